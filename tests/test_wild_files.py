"""`handoff check` on workbooks in the shapes they arrive in from the field.

tests/data/make_files.py builds the workbooks in tests/data. They were saved
by LibreOffice or exported from Google Sheets, or hold Excel tables, hidden
sheets, the 1904 date system, formulas, merged and rich-text cells, emoji,
control characters, dates and numbers typed as text, non-breaking spaces,
title rows or a lock file. Each has its expected problems below, worked out
by hand from the contract. The tests then cover files that cannot be read, the
check report and annotated copy written from these workbooks, arbitrary cell
values, and the parity of the JSON report with the library.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.rich_text import CellRichText

from toolkit import report, schema
from toolkit.cli import main
from toolkit.due import due_items
from toolkit.errors import WorkbookUnreadable
from toolkit.facility import load_facility
from toolkit.problems import CODES, ERROR, WARNING
from toolkit.spreadsheets import ERROR_FILL, EXCEL_MAX_CELL_TEXT, WARNING_FILL, excel_text
from toolkit.workbook import RawWorkbook

DATA = Path(__file__).parent / "data"
UNREADABLE = DATA / "unreadable"
SAMPLE = Path(__file__).parent.parent / "samples" / "facility.xlsx"
AS_OF = dt.datetime(2026, 12, 4, 9, 0)
AS_OF_TEXT = "2026-12-04T09:00"
NBSP = "\u00a0"
MAP = "Authorization Map"


def _load_make_files():
    spec = importlib.util.spec_from_file_location("make_files", DATA / "make_files.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_files = _load_make_files()

# Expected problems as (code, sheet, cell), in report order, for each workbook. Every
# workbook starts from the same clean base, make_files.base_sheets. It has resident R1 in
# row 2, contacts CM1 and HH1, and a map row per core domain in rows 2 to 10, where Wound
# care (row 5) is home health. Escalations, Risk Register, Incidents and Check-ins are
# empty. The as-of time is 2026-12-04 09:00 in America/New_York.
EXPECTED = {
    "libreoffice-saved.xlsx": [
        ("VALUE-CHOICE", "Residents", "D3"),  # Status "Activ"
        ("DATE-ORDER", "Escalations", "H2"),  # responded 13:00, opened 14:00 the same day
    ],
    "google-sheets-export.xlsx": [
        ("VALUE-TYPE", "Residents", "E3"),  # "13/1/2026" read month first: there is no month 13
        ("VALUE-REQUIRED", MAP, "F5"),  # Home health with a blank Authorization status
    ],
    "excel-table.xlsx": [
        ("VALUE-CHOICE", MAP, "C3"),  # Route "Home Helth" inside the table
    ],
    "hidden-sheets-and-rows.xlsx": [
        ("VALUE-TYPE", "Residents", "E3"),  # Admitted on "someday", in a hidden row
        ("VALUE-CHOICE", "Risk Register", "I2"),  # Status "Open", on a very hidden sheet
        ("REF-UNKNOWN", "Incidents", "B2"),  # resident R9, on a hidden sheet
    ],
    "date-system-1904.xlsx": [
        ("DATE-ORDER", "Escalations", "H2"),  # responded 14:00, opened 14:30 the same day
        ("VALUE-FUTURE", "Check-ins", "A3"),  # held on 2026-12-10; the 2026-12-03 row above is fine
    ],
    # Row 3 of Residents contains only a formula, so it is a blank row.
    "formulas-never-calculated.xlsx": [
        ("VALUE-FORMULA", "Residents", "C2"),  # Room ="1"&"01"
        ("VALUE-FORMULA", "Residents", "E2"),  # Admitted on =DATE(2026,6,1) ...
        ("VALUE-REQUIRED", "Residents", "E2"),  # ... which counts as blank in a required column
        ("VALUE-FORMULA", "Residents", "I2"),  # Last transition on =TODAY()
        ("VALUE-FORMULA", MAP, "I3"),  # Start confirmed on =DATE(2026,6,2)
    ],
    "formulas-saved-by-libreoffice.xlsx": [
        ("VALUE-FUTURE", MAP, "I3"),  # the saved result of =DATE(2026,12,24); an empty text result is no problem
    ],
    "merged-cells.xlsx": [
        ("VALUE-REQUIRED", MAP, "A3"),  # A2:A4 is merged, so only A2 contains the Resident ID
        ("VALUE-REQUIRED", MAP, "A4"),
    ],
    "rich-text-cells.xlsx": [
        ("VALUE-CHOICE", "Contacts", "D3"),  # Role "Home " + italic "heath"
    ],
    "emoji-and-long-text.xlsx": [
        ("VALUE-CHOICE", "Residents", "D3"),  # Status "Active ✅"
        ("VALUE-CHOICE", "Residents", "G3"),  # Consent to share: 40,000 characters of "Yes Yes ..."
    ],
    "control-characters.xlsx": [
        ("VALUE-CHOICE", "Residents", "D3"),  # Status "Active" + a raw BEL byte
        ("VALUE-TYPE", "Residents", "E3"),  # Admitted on "2026-07-01" + an escaped backspace
    ],
    "dates-typed-as-text.xlsx": [
        ("DATE-ORDER", "Escalations", "H3"),  # opened "Dec 1, 2026 2pm", responded "12/1/26 1:00 PM"
        ("VALUE-TYPE", "Escalations", "C5"),  # "12/1/2026 25:00"
        ("VALUE-TYPE", "Check-ins", "A8"),  # "12/32/2026"
        ("VALUE-TYPE", "Check-ins", "A9"),  # "Feb 30, 2026"
        ("VALUE-FUTURE", "Check-ins", "A10"),  # "2026-12-05", after the as-of date
    ],
    "numbers-stored-as-text.xlsx": [
        ("VALUE-RANGE", MAP, "J4"),  # Response standard (hours) "-4"
        ("VALUE-TYPE", MAP, "J5"),  # Response standard (hours) "four"
        ("SETTING-INVALID", "Settings", "B4"),  # Falls cluster (falls) "two"
    ],
    "non-breaking-spaces.xlsx": [
        ("REF-UNKNOWN", "Authorization" + NBSP + "Map", "A11"),  # "R9" + a non-breaking space
    ],
    "title-rows-above-header.xlsx": [
        ("VALUE-CHOICE", "Residents", "D6"),  # header in row 4; Status "Hosptial"
        ("VALUE-CHOICE", MAP, "F6"),  # header in row 2; Authorization status "Aproved"
    ],
    "open-in-excel/facility.xlsx": [
        ("WORKBOOK-OPEN", "", ""),  # ~$facility.xlsx lies beside it
        ("VALUE-PLACEHOLDER", "Residents", "C2"),  # Room "TBD"
    ],
    "staff-formatting.xlsx": [
        ("VALUE-CHOICE", "Residents", "D3"),  # Status "Activ", a cell with a staff comment
        ("REF-UNKNOWN", MAP, "E3"),  # Contact ID "CM7"
    ],
}
SCENARIOS = list(EXPECTED)


def load(name: str):
    return load_facility(DATA / name, AS_OF)


def problem_cells(problems) -> list[tuple[str, str, str]]:
    return [(p.code, p.sheet, p.cell) for p in problems]


def records(facility, table: str, column: str) -> list:
    return [record.get(column) for record in facility.table(table)]


def run_check(path, *options):
    return CliRunner().invoke(main, ["check", str(path), "--as-of", AS_OF_TEXT, *options])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- each workbook's problems


def test_every_data_workbook_has_expected_problems():
    found = {path.relative_to(DATA).as_posix() for path in DATA.rglob("*.xlsx")
             if UNREADABLE not in path.parents and not path.name.startswith("~$")}
    assert found == set(EXPECTED)


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_problems(name):
    assert problem_cells(load(name).problems) == EXPECTED[name]


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_check_command(name):
    result = run_check(DATA / name)
    has_errors = any(p.severity == ERROR for p in load(name).problems)
    assert result.exit_code == (1 if has_errors else 0)
    assert result.stderr == ""
    assert "Traceback" not in result.output
    for code, _, cell in EXPECTED[name]:
        assert any(code in line and cell in line for line in result.stdout.splitlines()), (code, cell)


@pytest.mark.parametrize("name", SCENARIOS + ["sample"])
def test_scenario_due_rules_run(name):
    facility = load_facility(SAMPLE if name == "sample" else DATA / name, AS_OF)
    items = due_items(facility)
    for item in items:
        assert item.status in ("overdue", "due soon", "unscheduled")
        assert (item.due_at is None) == (item.status == "unscheduled")
    if name != "sample":
        # R1 has a map row for every core domain, except where merged cells leave two rows blank.
        expected = ["No map row for: Bathing, Mobility supervision."] if name == "merged-cells.xlsx" else []
        assert [item.summary for item in items if item.code == "MAP-MISSING" and item.resident_id == "R1"] \
            == expected


# ---------------------------------------------------------------- values read from each shape


def test_libreoffice_values():
    facility = load("libreoffice-saved.xlsx")
    # Typed as 10:30 on 2026-06-01 in a cell formatted yyyy-mm-dd, so a date with no time.
    assert records(facility, "Residents", "Admitted on") == [dt.date(2026, 6, 1), dt.date(2026, 7, 1)]
    assert records(facility, "Escalations", "Opened at") == [dt.datetime(2026, 12, 1, 14, 0)]


def test_google_export_values():
    facility = load("google-sheets-export.xlsx")
    assert records(facility, "Residents", "Admitted on") == [dt.date(2026, 6, 1), None]
    assert records(facility, "Residents", "Complex risk") == [False, True]
    assert records(facility, "Residents", "Room") == ["101", "102"]
    assert set(records(facility, MAP, "Start confirmed on")) == {dt.date(2026, 6, 2)}


def test_excel_table_rows_read():
    facility = load("excel-table.xlsx")
    assert records(facility, MAP, "Domain") == list(make_files.CORE_DOMAINS)
    assert records(facility, "Residents", "Resident ID") == ["R1"]


def test_hidden_sheets_rows_and_columns_read():
    facility = load("hidden-sheets-and-rows.xlsx")
    assert records(facility, "Residents", "Resident ID") == ["R1", "R2"]
    assert records(facility, "Residents", "Notes") == ["Prefers mornings", None]
    assert records(facility, "Incidents", "Incident ID") == ["I1"]
    assert records(facility, "Risk Register", "Risk ID") == ["RK1"]
    assert facility.settings.timezone_name == "America/New_York"


def test_1904_dates_read_as_calendar_dates():
    facility = load("date-system-1904.xlsx")
    assert records(facility, "Residents", "Admitted on") == [dt.date(2026, 6, 1)]
    assert records(facility, "Check-ins", "Held on") == [dt.date(2026, 12, 3), dt.date(2026, 12, 10)]
    assert records(facility, "Escalations", "Opened at") == [dt.datetime(2026, 12, 1, 14, 30)]
    assert records(facility, "Escalations", "Responded at") == [dt.datetime(2026, 12, 1, 14, 0)]
    assert records(facility, MAP, "Authorized through")[3] == dt.date(2027, 1, 31)


def test_1904_serial_number_in_general_cell(tmp_path):
    # In the 1904 date system, serial day 44712 is 2026-06-01 (1904-01-01 + 44712 days), the
    # date Excel shows once the General-formatted cell is formatted as a date.
    book = make_files.book_from(make_files.base_sheets())
    book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    book["Residents"]["E2"] = 44712
    book["Residents"]["E2"].number_format = "General"
    path = tmp_path / "serial-1904.xlsx"
    book.save(path)
    facility = load_facility(path, AS_OF)
    assert records(facility, "Residents", "Admitted on") == [dt.date(2026, 6, 1)]


def test_formula_results_saved_by_libreoffice_used():
    facility = load("formulas-saved-by-libreoffice.xlsx")
    resident = facility.residents.records[0]
    assert resident.get("Room") == "101"
    assert resident.get("Status") == "Active"
    assert resident.get("Admitted on") == dt.date(2026, 6, 1)
    assert resident.get("Last transition on") == dt.date(2026, 11, 20)
    assert resident.get("Notes") is None  # =IF(1=1,"","not shown") saved an empty text result
    assert records(facility, MAP, "Start confirmed on")[1] == dt.date(2026, 12, 24)


def test_formulas_never_calculated_count_as_blank():
    facility = load("formulas-never-calculated.xlsx")
    resident = facility.residents.records[0]
    assert [record.row for record in facility.residents] == [2]
    assert resident.get("Room") is None
    assert resident.get("Last transition on") is None


def test_merged_cells_read_from_top_left():
    facility = load("merged-cells.xlsx")
    assert facility.residents.header_row == 2
    assert records(facility, "Residents", "Notes") == ["Prefers mornings"]
    assert records(facility, MAP, "Resident ID")[:4] == ["R1", None, None, "R1"]


def test_rich_text_read_as_plain_text():
    facility = load("rich-text-cells.xlsx")
    resident = facility.residents.records[0]
    assert resident.text("Name") == "Ada Example"
    assert resident.get("Status") == "Active"
    assert resident.get("Notes") == "Daughter visits Sundays"
    assert records(facility, MAP, "Route")[3] == "Home health"


def test_emoji_and_long_text_read_whole():
    facility = load("emoji-and-long-text.xlsx")
    first, second = facility.residents.records
    assert first.text("Name") == "Ada \U0001F33B Example"
    assert first.get("Notes") == make_files.LONG_NOTE
    assert len(first.get("Notes")) == 40_000
    assert second.text("Status") == "Active \u2705"
    assert records(facility, "Escalations", "Observed") == [make_files.LONG_OBSERVATION]
    consent = [p for p in facility.problems if p.cell == "G3"][0]
    assert len(consent.value) == 40_000
    assert consent.message.endswith("Allowed: Yes, Limited, No.")


def test_control_characters_read():
    facility = load("control-characters.xlsx")
    first, second = facility.residents.records
    assert first.get("Notes") == "Call bell\x07 rings twice"
    assert second.get("Notes") == "Line\x01one\x1ftwo"
    assert [p.value for p in facility.problems] == ["Active\x07", "2026-07-01\x08"]
    assert '"Active"' in facility.problems[0].message


def test_every_text_date_form_read():
    facility = load("dates-typed-as-text.xlsx")
    assert records(facility, "Check-ins", "Held on")[:6] == [dt.date(2026, 12, 1)] * 6
    assert records(facility, "Residents", "Admitted on") == [dt.date(2026, 6, 1)] * 2
    assert records(facility, "Residents", "Last transition on") == [dt.date(2026, 11, 20)] * 2
    assert records(facility, "Residents", "Stable from") == [dt.date(2026, 11, 27)] * 2
    two_pm = dt.datetime(2026, 12, 1, 14, 0)
    assert records(facility, "Escalations", "Opened at") == [two_pm, two_pm, two_pm, None]
    assert records(facility, "Escalations", "Responded at") == [
        dt.datetime(2026, 12, 1, 14, 30), dt.datetime(2026, 12, 1, 13, 0), dt.datetime(2026, 12, 1, 15, 0), None,
    ]


def test_numbers_stored_as_text_read():
    facility = load("numbers-stored-as-text.xlsx")
    assert records(facility, "Residents", "Resident ID") == ["1007"]
    assert records(facility, "Residents", "Complex risk") == [False]
    assert records(facility, "Contacts", "Phone") == ["5550100", "555-0102"]
    assert records(facility, MAP, "Response standard (hours)")[:2] == [48, 1000]
    assert facility.settings.number("Map due (days)") == 10
    assert facility.settings.number("Falls cluster (falls)") == 2  # "two" is invalid: the default applies
    assert facility.standards["Acute confusion"] == 6


def test_non_breaking_spaces_ignored():
    facility = load("non-breaking-spaces.xlsx")
    assert facility.authorization_map.name == "Authorization" + NBSP + "Map"
    assert records(facility, "Residents", "Resident ID") == ["R1"]
    assert records(facility, "Residents", "Status") == ["Active"]
    assert records(facility, "Contacts", "Role")[0] == "LTSS case manager"
    assert set(records(facility, MAP, "Route")) == {"Facility", "Home health"}
    assert facility.problems[0].value == "R9"


def test_title_rows_above_header():
    facility = load("title-rows-above-header.xlsx")
    assert facility.residents.header_row == 4
    assert [record.row for record in facility.residents] == [5, 6]
    assert facility.authorization_map.header_row == 2


def test_lock_file_reported_and_workbook_read():
    facility = load("open-in-excel/facility.xlsx")
    assert facility.lock_file == DATA / "open-in-excel" / "~$facility.xlsx"
    assert records(facility, "Residents", "Resident ID") == ["R1"]
    assert facility.problems[0].value == "~$facility.xlsx"


# ---------------------------------------------------------------- files that cannot be read

# The command runs in its own process under these limits, so a file that made the
# reader unpack gigabytes, or allocate a grid of billions of cells, would fail the test.
MEMORY_LIMIT_BYTES = 2 * 1024**3
TIME_LIMIT_SECONDS = 60
FAST_SECONDS = 15

UNREADABLE_CASES = [
    ("empty.xlsx", "empty"),
    ("csv-renamed.xlsx", "CSV"),
    ("old-format.xls", ".xls"),
    ("old-format-renamed.xlsx", ".xls"),
    ("password-protected.xlsx", "password-protected"),
    ("truncated.xlsx", "damaged"),
    ("zip-bomb.xlsx", "would unpack to 1.1 GB"),
    ("zip-bomb-lying-sizes.xlsx", "unpacks to more than the zip directory declares"),
    ("value-in-last-cell.xlsx", "XFD1048576"),
]


def limit_resources() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


def run_check_process(path: Path, *options: str) -> tuple[subprocess.CompletedProcess, float]:
    """Run `python -m toolkit check` on ``path`` under the memory limit; return the result and seconds taken."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "toolkit", "check", str(path), "--as-of", AS_OF_TEXT, *options],
        capture_output=True, text=True, timeout=TIME_LIMIT_SECONDS, preexec_fn=limit_resources,
        cwd=Path(__file__).parent.parent, env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    return result, time.monotonic() - started


def assert_one_line_refusal(result: subprocess.CompletedProcess, name: str, phrase: str) -> None:
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert name in lines[0]
    assert phrase in lines[0]


def test_memory_limit_lets_real_workbook_through():
    result, _ = run_check_process(SAMPLE)
    assert result.returncode == 1
    assert result.stderr == ""
    assert result.stdout.splitlines()[-1].endswith("warnings.")


@pytest.mark.parametrize("name, phrase", UNREADABLE_CASES, ids=[case[0] for case in UNREADABLE_CASES])
def test_unreadable_file_refused_fast(name, phrase):
    path = UNREADABLE / name
    before = digest(path)
    result, seconds = run_check_process(path)
    assert_one_line_refusal(result, name, phrase)
    assert seconds < FAST_SECONDS
    assert digest(path) == before


@pytest.mark.parametrize("name", [case[0] for case in UNREADABLE_CASES])
def test_unreadable_file_raises_in_library(name):
    with pytest.raises(WorkbookUnreadable):
        load_facility(UNREADABLE / name, AS_OF)


def test_missing_path_refused(tmp_path):
    result, _ = run_check_process(tmp_path / "nowhere.xlsx")
    assert_one_line_refusal(result, "nowhere.xlsx", "not found")


def test_directory_refused(tmp_path):
    folder = tmp_path / "facility.xlsx"
    folder.mkdir()
    result, _ = run_check_process(folder)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "facility.xlsx" in result.stderr


def test_bomb_messages_say_what_to_do():
    for name in ("zip-bomb.xlsx", "zip-bomb-lying-sizes.xlsx"):
        with pytest.raises(WorkbookUnreadable) as raised:
            load_facility(UNREADABLE / name, AS_OF)
        assert "backup" in str(raised.value)
        assert "re-save it in excel" in str(raised.value).casefold()


def test_lying_sizes_seen_by_zip_directory_as_small():
    # The zip directory alone cannot tell: it declares a sheet of 20 KB, with a matching CRC.
    with zipfile.ZipFile(UNREADABLE / "zip-bomb-lying-sizes.xlsx") as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
        assert sheet.file_size == 20_000
        assert len(archive.read(sheet)) == 20_000


def test_far_cell_message_names_cell_and_fix():
    with pytest.raises(WorkbookUnreadable) as raised:
        load_facility(UNREADABLE / "value-in-last-cell.xlsx", AS_OF)
    message = str(raised.value)
    assert 'sheet "Residents"' in message
    assert "XFD1048576" in message
    assert "Ctrl+End" in message


def test_value_in_last_row_still_read(tmp_path):
    # A value typed in row 1,048,576 of a narrow sheet keeps the grid under the cap, so it is read.
    book = make_files.book_from(make_files.base_sheets())
    book["Check-ins"]["B1048576"] = "R1"
    path = tmp_path / "last-row.xlsx"
    book.save(path)
    facility = load_facility(path, AS_OF)
    assert problem_cells(facility.problems) == [("VALUE-REQUIRED", "Check-ins", "A1048576")]


def test_ods_renamed_refused(tmp_path):
    path = tmp_path / "facility.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    result = run_check(path)
    assert result.exit_code == 2
    assert "OpenDocument spreadsheet (.ods)" in result.stderr


# ---------------------------------------------------------------- the check report workbook


def write_report(source: Path, out: Path):
    result = run_check(source, "--format", "xlsx", "-o", str(out))
    assert result.stderr == ""
    return openpyxl.load_workbook(out)


def report_rows(sheet) -> list[tuple]:
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows(min_row=2)]


@pytest.mark.parametrize("name", ["dates-typed-as-text.xlsx", "open-in-excel/facility.xlsx",
                                  "non-breaking-spaces.xlsx", "hidden-sheets-and-rows.xlsx"])
def test_report_one_row_per_problem_sorted(name, tmp_path):
    source = tmp_path / Path(name).name
    shutil.copyfile(DATA / name, source)
    if name.startswith("open-in-excel"):
        shutil.copyfile(DATA / "open-in-excel" / "~$facility.xlsx", tmp_path / "~$facility.xlsx")
    problems = load_facility(source, AS_OF).problems
    sheet = write_report(source, tmp_path / "report.xlsx")["Problems"]
    assert [cell.value for cell in sheet[1]] == ["Sheet", "Cell", "Row", "Column", "Severity", "Code", "Value",
                                                 "Message"]
    # One row per problem, in the order the text report lists them: by sheet, then row.
    assert [(code, sheet_name or "", cell or "") for sheet_name, cell, _, _, _, code, _, _ in report_rows(sheet)] \
        == problem_cells(problems)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:H{len(problems) + 1}"


def test_report_links_open_cells_in_workbook(tmp_path):
    source = tmp_path / "workbooks" / "dates typed.xlsx"
    source.parent.mkdir()
    shutil.copyfile(DATA / "dates-typed-as-text.xlsx", source)
    out = tmp_path / "reports" / "report.xlsx"
    sheet = write_report(source, out)["Problems"]
    for row in sheet.iter_rows(min_row=2):
        link = row[1].hyperlink
        assert link.target == "../workbooks/dates typed.xlsx"
        assert link.location == f"'{row[0].value}'!{row[1].value}"
    assert (out.parent / sheet["B2"].hyperlink.target).resolve() == source.resolve()


def test_report_workbook_level_problem_has_no_link(tmp_path):
    shutil.copyfile(DATA / "open-in-excel" / "facility.xlsx", tmp_path / "facility.xlsx")
    shutil.copyfile(DATA / "open-in-excel" / "~$facility.xlsx", tmp_path / "~$facility.xlsx")
    sheet = write_report(tmp_path / "facility.xlsx", tmp_path / "report.xlsx")["Problems"]
    assert sheet["F2"].value == "WORKBOOK-OPEN"
    assert sheet["B2"].value is None
    assert sheet["B2"].hyperlink is None
    assert sheet["B3"].hyperlink.location == "'Residents'!C2"


FORMULA_LIKE = {
    "D2": '=HYPERLINK("http://example.invalid","Active")',  # Status
    "E2": "+2026-06-01",  # Admitted on
    "F2": "-CM1",  # Case manager
    "G2": "@Yes",  # Consent to share
    "H2": "=1+1",  # Notes: text, no problem
}


def formula_like_workbook(folder: Path) -> Path:
    """Return a workbook whose Residents cells hold text that starts with =, +, - or @."""
    book = make_files.book_from(make_files.base_sheets())
    for coordinate, text in FORMULA_LIKE.items():
        cell = book["Residents"][coordinate]
        cell.value = text
        cell.data_type = "s"
    path = folder / "formula-like.xlsx"
    book.save(path)
    return path


def sheet_xml(path: Path, title: str) -> bytes:
    """Return the XML of the sheet called ``title`` in the workbook at ``path``."""
    with zipfile.ZipFile(path) as archive:
        book = archive.read("xl/workbook.xml").decode()
        relation = re.search(rf'<sheet [^>]*name="{re.escape(title)}"[^>]*r:id="(rId\d+)"', book).group(1)
        relations = archive.read("xl/_rels/workbook.xml.rels").decode()
        target = re.search(rf'Id="{relation}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{relation}"',
                           relations)
        part = (target.group(1) or target.group(2)).lstrip("/")
        return archive.read(part if part.startswith("xl/") else f"xl/{part}")


def test_formula_like_text_read_as_text(tmp_path):
    facility = load_facility(formula_like_workbook(tmp_path), AS_OF)
    assert [(p.code, p.cell, p.value) for p in facility.problems] == [
        ("VALUE-CHOICE", "D2", FORMULA_LIKE["D2"]),
        ("VALUE-TYPE", "E2", FORMULA_LIKE["E2"]),
        ("REF-UNKNOWN", "F2", FORMULA_LIKE["F2"]),
        ("VALUE-CHOICE", "G2", FORMULA_LIKE["G2"]),
    ]
    assert facility.residents.records[0].get("Notes") == "=1+1"


def test_report_writes_formula_like_text_as_text(tmp_path):
    source = formula_like_workbook(tmp_path)
    out = tmp_path / "report.xlsx"
    sheet = write_report(source, out)["Problems"]
    values = {row[1].value: row[6] for row in sheet.iter_rows(min_row=2)}
    assert set(values) == {"D2", "E2", "F2", "G2"}
    for coordinate, cell in values.items():
        assert cell.value == FORMULA_LIKE[coordinate]
        assert cell.data_type == "s"
    assert b"<f>" not in sheet_xml(out, "Problems")
    assert b"<f " not in sheet_xml(out, "Problems")


def test_report_long_and_control_text(tmp_path):
    out = tmp_path / "report.xlsx"
    write_report(DATA / "emoji-and-long-text.xlsx", out)
    sheet = openpyxl.load_workbook(out)["Problems"]
    consent = [row for row in sheet.iter_rows(min_row=2) if row[1].value == "G3"][0]
    assert len(consent[6].value) == EXCEL_MAX_CELL_TEXT
    assert consent[6].value.endswith("\u2026")
    assert len(consent[7].value) <= EXCEL_MAX_CELL_TEXT

    out = tmp_path / "control.xlsx"
    write_report(DATA / "control-characters.xlsx", out)
    # Written as the xlsx format's _xHHHH_ escapes, which python-calamine turns back into the characters.
    from python_calamine import CalamineWorkbook

    grid = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Problems").to_python()
    assert [row[6] for row in grid[1:]] == ["Active\x07", "2026-07-01\x08"]


def test_report_write_is_atomic(tmp_path):
    out = tmp_path / "report.xlsx"
    out.write_bytes(b"previous report")
    result = run_check(UNREADABLE / "truncated.xlsx", "--format", "xlsx", "-o", str(out))
    assert result.exit_code == 2
    assert out.read_bytes() == b"previous report"
    assert [path.name for path in tmp_path.iterdir()] == ["report.xlsx"]


# ---------------------------------------------------------------- the annotated copy


def annotate(source: Path, out: Path):
    result = run_check(source, "--annotate", str(out), "-o", str(out.with_suffix(".txt")))
    assert result.stderr == ""
    assert result.exit_code in (0, 1)
    return openpyxl.load_workbook(out, rich_text=True)


def fill_colour(cell) -> str:
    return (cell.fill.fgColor.rgb or "")[-6:] if cell.fill and cell.fill.fill_type == "solid" else ""


def problems_sheet_title(copy, original) -> str:
    added = [name for name in copy.sheetnames if name not in original.sheetnames]
    assert len(added) == 1
    return added[0]


def assert_problems_marked(copy, problems) -> None:
    """Assert each problem's cell, or its merged range's top-left cell, is filled and commented."""
    for problem in problems:
        if not problem.cell or problem.sheet not in copy.sheetnames:
            continue
        sheet = copy[problem.sheet]
        anchor = problem.cell
        for merged in sheet.merged_cells.ranges:
            if problem.cell in merged:
                anchor = merged.start_cell.coordinate
        cell = sheet[anchor]
        assert fill_colour(cell) in (ERROR_FILL, WARNING_FILL), problem
        if problem.severity == ERROR:
            assert fill_colour(cell) == ERROR_FILL, problem
        assert problem.code in cell.comment.text, problem
        assert excel_text(problem.message[:200]) in cell.comment.text, problem


@pytest.mark.parametrize("name", SCENARIOS)
def test_annotate_every_scenario(name, tmp_path):
    source = tmp_path / Path(name).name
    shutil.copyfile(DATA / name, source)
    before = digest(source)
    problems = load_facility(source, AS_OF).problems
    copy = annotate(source, tmp_path / "annotated.xlsx")
    original = openpyxl.load_workbook(source, rich_text=True) if name != "control-characters.xlsx" else None
    if original is not None:
        title = problems_sheet_title(copy, original)
        assert copy.sheetnames == original.sheetnames + [title]
    else:
        title = "Problems"
    assert copy[title].max_row == len(problems) + 1
    assert_problems_marked(copy, problems)
    assert digest(source) == before


def test_annotate_links_problems_to_cells(tmp_path):
    copy = annotate(DATA / "hidden-sheets-and-rows.xlsx", tmp_path / "annotated.xlsx")
    sheet = copy["Problems"]
    for row in sheet.iter_rows(min_row=2):
        assert row[1].hyperlink.location == f"'{row[0].value}'!{row[1].value}"
        assert row[1].hyperlink.target is None


def test_annotate_merged_cell_problem_on_top_left(tmp_path):
    copy = annotate(DATA / "merged-cells.xlsx", tmp_path / "annotated.xlsx")
    sheet = copy[MAP]
    assert fill_colour(sheet["A2"]) == ERROR_FILL
    assert "A3 VALUE-REQUIRED" in sheet["A2"].comment.text
    assert "A4 VALUE-REQUIRED" in sheet["A2"].comment.text
    assert "A2:A4" in {str(merged) for merged in sheet.merged_cells.ranges}


def test_annotate_keeps_control_characters(tmp_path):
    source = DATA / "control-characters.xlsx"
    out = tmp_path / "annotated.xlsx"
    annotate(source, out)
    # The raw control bytes become _xHHHH_ escapes in the copy, which read back as the same characters.
    copy = load_facility(out, AS_OF)
    assert records(copy, "Residents", "Notes") == ["Call bell\x07 rings twice", "Line\x01one\x1ftwo"]
    assert records(copy, "Contacts", "Name")[1] == "Pat\x0bNurse"


def test_annotate_keeps_rich_text_and_1904_dates(tmp_path):
    copy = annotate(DATA / "rich-text-cells.xlsx", tmp_path / "rich.xlsx")
    name = copy["Residents"]["B2"].value
    assert isinstance(name, CellRichText)
    assert str(name) == "Ada Example"
    assert name[0].font.b

    copy = annotate(DATA / "date-system-1904.xlsx", tmp_path / "1904.xlsx")
    assert copy.epoch == openpyxl.utils.datetime.CALENDAR_MAC_1904
    assert copy["Check-ins"]["A2"].value == dt.datetime(2026, 12, 3)
    assert load_facility(tmp_path / "1904.xlsx", AS_OF).problems[-1].cell == "A3"


def test_annotate_keeps_formula_like_text(tmp_path):
    source = formula_like_workbook(tmp_path)
    out = tmp_path / "annotated.xlsx"
    copy = annotate(source, out)
    for coordinate, text in FORMULA_LIKE.items():
        assert copy["Residents"][coordinate].value == text
        assert copy["Residents"][coordinate].data_type == "s"
    assert b"<f>" not in sheet_xml(out, "Problems")
    assert b"<f>" not in sheet_xml(out, "Residents")


STAFF_PROBLEM_CELLS = {("Residents", "D3"), (MAP, "E3")}


def test_annotate_keeps_staff_formatting(tmp_path):
    source = tmp_path / "staff-formatting.xlsx"
    shutil.copyfile(DATA / "staff-formatting.xlsx", source)
    before = digest(source)
    copy = annotate(source, tmp_path / "annotated.xlsx")
    original = openpyxl.load_workbook(source, rich_text=True)

    assert copy.sheetnames == original.sheetnames + ["Problems (2)"]
    assert set(copy.defined_names) == set(original.defined_names)
    for title in original.sheetnames:
        before_sheet, after_sheet = original[title], copy[title]
        assert after_sheet.sheet_state == before_sheet.sheet_state, title
        assert after_sheet.freeze_panes == before_sheet.freeze_panes, title
        assert {key: dim.width for key, dim in after_sheet.column_dimensions.items()} == \
            {key: dim.width for key, dim in before_sheet.column_dimensions.items()}, title
        assert {str(merged) for merged in after_sheet.merged_cells.ranges} == \
            {str(merged) for merged in before_sheet.merged_cells.ranges}, title
        assert [(str(v.sqref), v.type, v.formula1) for v in after_sheet.data_validations.dataValidation] == \
            [(str(v.sqref), v.type, v.formula1) for v in before_sheet.data_validations.dataValidation], title
        assert dict(after_sheet.tables.items()) == dict(before_sheet.tables.items()), title
        assert [str(rule.sqref) for rule in after_sheet.conditional_formatting] == \
            [str(rule.sqref) for rule in before_sheet.conditional_formatting], title
        for row in before_sheet.iter_rows():
            for cell in row:
                after = after_sheet[cell.coordinate]
                assert after.value == cell.value, (title, cell.coordinate)
                assert after.number_format == cell.number_format, (title, cell.coordinate)
                # openpyxl hands out style proxies, which compare equal only through their repr.
                assert repr(after.font) == repr(cell.font), (title, cell.coordinate)
                if (title, cell.coordinate) not in STAFF_PROBLEM_CELLS:
                    assert repr(after.fill) == repr(cell.fill), (title, cell.coordinate)
                    assert (after.comment and after.comment.text) == (cell.comment and cell.comment.text)

    residents = copy["Residents"]
    assert residents["C2"].comment.text == "Room changes in January"
    assert residents["D3"].comment.text.startswith("Check with the family\n---\nVALUE-CHOICE: ")
    assert fill_colour(residents["D3"]) == ERROR_FILL
    assert fill_colour(copy[MAP]["E3"]) == ERROR_FILL
    assert copy["Problems (2)"]["F2"].value == "VALUE-CHOICE"
    assert copy["problems"]["A1"].value == "Staff list of problems"
    assert digest(source) == before


def test_annotate_sample_highlights_problems(tmp_path):
    source = tmp_path / "facility.xlsx"
    shutil.copyfile(SAMPLE, source)
    before = digest(source)
    problems = load_facility(source, AS_OF).problems
    assert problems
    copy = annotate(source, tmp_path / "facility-annotated.xlsx")
    assert copy["Problems"].max_row == len(problems) + 1
    assert_problems_marked(copy, problems)
    assert digest(source) == before


def test_annotate_refuses_to_replace_workbook(tmp_path):
    source = tmp_path / "facility.xlsx"
    shutil.copyfile(DATA / "excel-table.xlsx", source)
    before = digest(source)
    result = run_check(source, "--annotate", str(source))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert digest(source) == before


# ---------------------------------------------------------------- the JSON report matches the library


@pytest.mark.parametrize("name", SCENARIOS + ["sample"])
def test_json_report_matches_library(name, tmp_path):
    path = SAMPLE if name == "sample" else DATA / name
    result = run_check(path, "--format", "json")
    document = json.loads(result.stdout)
    assert document["problems"] == [problem.to_dict() for problem in load_facility(path, AS_OF).problems]
    assert document["workbook"] == path.name


# ---------------------------------------------------------------- extreme settings and dates


def test_overlong_time_zone_setting_invalid(make_workbook):
    facility = make_workbook.load(AS_OF, settings={"Time zone": "America/" + "X" * 300})
    assert ("SETTING-INVALID", "Settings", "B2") in problem_cells(facility.problems)
    assert facility.settings.timezone_name == "America/New_York"


def test_time_zone_with_many_slashes_invalid(make_workbook):
    facility = make_workbook.load(AS_OF, settings={"Time zone": "a/" * 400 + "b"})
    assert ("SETTING-INVALID", "Settings", "B2") in problem_cells(facility.problems)
    assert facility.settings.timezone_name == "America/New_York"


def year_9999_map(**changes) -> list[dict]:
    from conftest import full_map

    rows = full_map()
    rows[3].update({"Route": "Home health", "Contact ID": "HH1", "Authorization status": "Approved",
                    "Requested on": dt.date(2026, 11, 1), "Authorized through": dt.date(2027, 1, 31)})
    rows[3].update(changes)
    return rows


def test_due_authorized_through_year_9999(make_workbook):
    # 12/31/9999 is Excel's last date, often typed for an authorization with no end. It is far
    # beyond the expiry warning, so the row yields no AUTH-EXPIRY item.
    facility = make_workbook.load(AS_OF, authorization_map=year_9999_map(**{"Authorized through": "12/31/9999"}))
    assert [item.code for item in due_items(facility) if item.code == "AUTH-EXPIRY"] == []


def test_due_start_date_year_9999(make_workbook):
    facility = make_workbook.load(AS_OF, authorization_map=year_9999_map(**{"Start date": "12/31/9999",
                                                                             "Start confirmed on": None}))
    # The due date does not exist, so the item is left out or unscheduled, never overdue or due soon.
    statuses = [item.status for item in due_items(facility) if item.code == "START-UNCONFIRMED"]
    assert statuses in ([], ["unscheduled"])


def test_due_needed_by_year_9999(make_workbook):
    # The decision is due at the end of 12/31/9999, far beyond any horizon: no ESC-DECISION item.
    facility = make_workbook.load(AS_OF, escalations=[{
        "Escalation ID": "E1", "Resident ID": "R1", "Opened at": "2026-12-01 14:00", "Category": "Other",
        "Observed": "Refused lunch", "Decision needed": "Change the diet?", "Contacted": "CM1",
        "Responded at": "2026-12-01 15:00", "Needed by": "12/31/9999",
    }])
    assert [item.code for item in due_items(facility) if item.code == "ESC-DECISION"] == []


@pytest.mark.parametrize("setting, value", [
    ("Due soon horizon (days)", 1_000_000_000),
    ("Post-incident review (hours)", 1e300),
], ids=["horizon-days", "post-incident-hours"])
def test_due_huge_number_setting(make_workbook, setting, value):
    # A setting that cannot be used is SETTING-INVALID and its default applies; `due` never fails.
    facility = make_workbook.load(
        AS_OF, settings={setting: value},
        risks=[{"Risk ID": "K1", "Resident ID": "R1", "Risk": "Falls", "Controls": "Night checks",
                "Warning signs": "Unsteady", "Next step": "Call CM1", "Opened on": dt.date(2026, 11, 1),
                "Status": "Active"}],
        incidents=[{"Incident ID": "I1", "Resident ID": "R1", "Occurred at": "2026-12-01 03:10", "Type": "Fall"}],
    )
    items = due_items(facility)
    assert {item.code for item in items} >= {"MAP-REVIEW", "RISK-REVIEW"}


# ---------------------------------------------------------------- arbitrary cell values

SPECIAL_TEXT = [
    "", " ", NBSP, "N/A", "tbd", "Pending", "-", "?", "R1", "r1 ", "CM1", "HH1", "C-404", "Yes", "No", "x", "Limited",
    "Approved", "Open", "Falls cluster", "2026-12-05", "12/5/2026", "12/5/26", "Dec 5, 2026", "5 Dec 2026",
    "December 5, 2026", "2026-12-05 14:00", "12/5/2026 2:00 PM", "Dec 5, 2026 2pm", "12/31/9999",
    "12/31/9999 23:59", "1/1/0001", "1/1/0001 00:00", "2/29/2025", "13/13/13", "0", "1", "-4", "1e308", "nan",
    "inf", "1,000", "=SUM(A1:A9)", "+1 555 0100", "@Yes", "\x07", "R1\x00", "\ud800", "\U0001F33B", "a\nb",
    "C1; C2\nC3,", "{{ name }}", "America/Chicago", "Mars/Olympus", "DMY", "US-OH", "none",
]
DATES = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))
DATE_TIMES = st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59))
CELL_VALUES = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from(SPECIAL_TEXT),
    st.text(max_size=30),
    st.builds(lambda text, count: text * count, st.text(min_size=1, max_size=4), st.integers(8_000, 12_000)),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=32_000, max_value=74_000),
    DATES,
    DATE_TIMES,
    st.times(),
    st.timedeltas(),
)

GRID_SHEETS = [sheet for sheet in schema.SHEETS if sheet not in (schema.SETTINGS, schema.STANDARDS)]


@st.composite
def workbook_grids(draw, values=CELL_VALUES, max_rows: int = 3) -> dict[str, list[list]]:
    """Draw a grid per declared sheet: every declared column, then rows of arbitrary values."""
    grids = {}
    for declared in GRID_SHEETS:
        header = [column.name for column in declared.columns]
        rows = draw(st.lists(st.lists(values, min_size=len(header), max_size=len(header)),
                             min_size=1, max_size=max_rows))
        grids[declared.name] = [header, *rows]
    setting_names = [setting.name for setting in schema.SETTING_DECLARATIONS]
    settings_rows = [["Setting", "Value"]]
    for name in draw(st.lists(st.sampled_from(setting_names), max_size=4, unique=True)):
        value = draw(values)
        settings_rows.append([name, value])
    grids["Settings"] = settings_rows
    categories = list(schema.DEFAULT_STANDARDS)
    grids["Standards"] = [["Category", "Respond within (hours)"]] + [
        [draw(st.one_of(st.sampled_from(categories), values)), draw(values)] for _ in range(draw(st.integers(0, 3)))
    ]
    return grids


def assert_problems_well_formed(facility) -> None:
    for problem in facility.problems:
        assert problem.code in CODES
        assert problem.severity in (ERROR, WARNING)
        assert isinstance(problem.message, str)
        assert problem.message.strip()


def check_everything(facility) -> None:
    """Run the checks' outputs and the due rules, as `check` and `due` do."""
    assert_problems_well_formed(facility)
    report.problems_text("facility.xlsx", facility.as_of, facility.problems)
    json.loads(report.problems_json("facility.xlsx", facility.as_of, facility.problems))
    for item in due_items(facility):
        assert item.status in ("overdue", "due soon", "unscheduled")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(grids=workbook_grids())
def test_arbitrary_values_in_every_column(grids):
    raw = RawWorkbook(path=Path("arbitrary.xlsx"), sheets=grids, lock_file=None)
    check_everything(load_facility(raw, AS_OF))


def excel_cell_value(value):
    """Return ``value`` as a workbook file can hold it, or None when it cannot."""
    if isinstance(value, str):
        # Control characters go in as the xlsx format's _xHHHH_ escapes, which the reader decodes.
        escaped = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", lambda match: f"_x{ord(match.group()):04X}_", value)
        return re.sub("[\ud800-\udfff\ufffe\uffff]", "", escaped)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)) and value.year < 1900:
        return None  # before the first date Excel can store
    return value


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(grids=workbook_grids(max_rows=2))
def test_arbitrary_values_through_a_file(grids, tmp_path_factory):
    book = make_files.new_book()
    for title, rows in grids.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([excel_cell_value(value) for value in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text such as "=SUM(A1:A9)" stays text
    path = tmp_path_factory.mktemp("arbitrary") / "facility.xlsx"
    book.save(path)
    facility = load_facility(path, AS_OF)
    check_everything(facility)
    result = run_check(path, "--format", "json")
    assert result.exit_code in (0, 1)
    assert json.loads(result.stdout)["problems"] == [problem.to_dict() for problem in facility.problems]
