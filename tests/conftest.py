"""Fixtures that build small facility workbooks in a temporary folder.

Tests describe only the rows they care about; the builder fills in the
required sheets with one active resident and one contact unless told
otherwise, and writes a real .xlsx with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import openpyxl
import pytest

from toolkit.facility import load_facility

@pytest.fixture(scope="session", autouse=True)
def holiday_cache_folder(tmp_path_factory):
    """Keep cached holiday dates in a folder of the test session, never in the user's cache folder."""
    folder = tmp_path_factory.mktemp("cache")
    previous = os.environ.get("HANDOFF_CACHE_DIR")
    os.environ["HANDOFF_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        del os.environ["HANDOFF_CACHE_DIR"]
    else:
        os.environ["HANDOFF_CACHE_DIR"] = previous


BASE_CONTACTS = [
    {"Contact ID": "CM1", "Name": "Dana Case", "Organization": "Area Agency on Aging",
     "Role": "LTSS case manager", "Phone": "555-0100", "Backup contact": "CM2"},
    {"Contact ID": "CM2", "Name": "Lee Backup", "Organization": "Area Agency on Aging",
     "Role": "LTSS case manager", "Phone": "555-0101"},
    {"Contact ID": "HH1", "Name": "Pat Nurse", "Organization": "Sunrise Home Health",
     "Role": "Home health", "Phone": "555-0102"},
]

BASE_RESIDENT = {
    "Resident ID": "R1", "Name": "Ada Example", "Room": "101", "Status": "Active",
    "Admitted on": dt.date(2026, 6, 1), "Case manager": "CM1", "Consent to share": "Yes",
}


def full_map(resident_id: str = "R1", **overrides) -> list[dict]:
    """Return a map row for every core domain, routed through the facility and confirmed."""
    from toolkit.schema import CORE_DOMAINS

    rows = []
    for domain in CORE_DOMAINS:
        row = {"Resident ID": resident_id, "Domain": domain, "Route": "Facility", "Contact ID": "CM1",
               "Start confirmed on": dt.date(2026, 6, 2)}
        row.update(overrides)
        rows.append(row)
    return rows


def header_grid(sheet_name: str) -> list[list]:
    """Return a grid holding only the declared header row of a sheet, for an empty sheet."""
    from toolkit.schema import sheet

    return [[column.name for column in sheet(sheet_name).columns]]


def write_workbook(path: Path, sheets: dict[str, list[dict] | None], settings: dict | None = None,
                   standards: dict | None = None, formats: dict | None = None,
                   grids: dict[str, list[list]] | None = None) -> Path:
    """Write a workbook whose sheets have the given rows; a sheet mapped to None is left out.

    Column headers are the union of the row keys, in first-seen order.
    ``formats`` maps (sheet, column) to an Excel number format for that column.
    ``grids`` maps further sheet names to rows of cell values written as given
    from A1, for layouts the row dicts cannot express (title rows, repeated headers).
    """
    book = openpyxl.Workbook()
    book.remove(book.active)
    formats = formats or {}
    for name, rows in sheets.items():
        if rows is None:
            continue
        sheet = book.create_sheet(name)
        headers: list[str] = []
        for row in rows:
            for key in row:
                if key not in headers:
                    headers.append(key)
        sheet.append(headers)
        for row in rows:
            sheet.append([row.get(header) for header in headers])
        for (sheet_name, column), number_format in formats.items():
            if sheet_name == name and column in headers:
                index = headers.index(column) + 1
                for cells in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cells[0].number_format = number_format
    if settings is not None:
        sheet = book.create_sheet("Settings")
        sheet.append(["Setting", "Value"])
        for key, value in settings.items():
            sheet.append([key, value])
    if standards is not None:
        sheet = book.create_sheet("Standards")
        sheet.append(["Category", "Respond within (hours)"])
        for key, value in standards.items():
            sheet.append([key, value])
    for name, grid in (grids or {}).items():
        sheet = book.create_sheet(name)
        for row in grid:
            sheet.append(list(row))
    book.save(path)
    return path


class WorkbookFactory:
    """Builds facility workbooks under one temporary folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0

    def __call__(self, residents=None, contacts=None, authorization_map=None, escalations=None,
                 risks=None, incidents=None, check_ins=None, settings=None, standards=None,
                 extra_sheets=None, formats=None, name=None, grids=None) -> Path:
        self.count += 1
        sheets = {
            "Residents": [dict(BASE_RESIDENT)] if residents is None else residents,
            "Contacts": BASE_CONTACTS if contacts is None else contacts,
            "Authorization Map": full_map() if authorization_map is None else authorization_map,
            "Escalations": escalations,
            "Risk Register": risks,
            "Incidents": incidents,
            "Check-ins": check_ins,
        }
        sheets.update(extra_sheets or {})
        for grid_name in grids or {}:
            sheets.pop(grid_name, None)
        path = self.folder / (name or f"facility-{self.count}.xlsx")
        return write_workbook(path, sheets, settings, standards, formats, grids)

    def load(self, as_of, **sheets):
        """Build a workbook and load it at ``as_of``."""
        return load_facility(self(**sheets), as_of)


@pytest.fixture
def make_workbook(tmp_path) -> WorkbookFactory:
    return WorkbookFactory(tmp_path)
