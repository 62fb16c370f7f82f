"""Sheet scans give the same result in a forked helper process as in the reading threads.

A helper is forked only from a process with a single thread, and only for a
large workbook. Each case therefore loads its workbook in a fresh Python
process: with the helper forced on for any size, forced off, or stopping
after its first result.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import BASE_RESIDENT
from toolkit import sheet_scan
DATA = Path(__file__).parent / "data"
AS_OF = dt.datetime(2026, 12, 4, 9, 0)

# Loads argv[1] with the scan mode given in argv[2] and prints the outcome as JSON,
# with the sheets whose scan came from the helper.
LOAD = r"""
import datetime as dt, json, os, sys
from toolkit import sheet_scan, xml_search
from toolkit.errors import WorkbookUnreadable
from toolkit.facility import load_facility

path, mode = sys.argv[1], sys.argv[2]
from_helper = []
original = sheet_scan.HelperScans.result


def result(self, name):
    found = original(self, name)
    if found is not None:
        from_helper.append(name)
    return found


sheet_scan.HelperScans.result = result
if mode != "default":
    sheet_scan.HELPER_MIN_BYTES = float("inf") if mode == "in-thread" else 0
if mode == "no-threads":
    import threading

    start = threading.Thread.start

    def failing_start(self):
        if self.name.startswith("handoff-"):
            raise RuntimeError("can't start new thread")  # as with a low ulimit -u
        start(self)

    threading.Thread.start = failing_start
if mode == "helper-stops":
    scan_all = sheet_scan._scan_sheets

    def scan_first(*arguments):
        for found in scan_all(*arguments):
            yield found
            os._exit(0)  # the helper ends once the first result is sent

    sheet_scan._scan_sheets = scan_first
try:
    facility = load_facility(path, dt.datetime(2026, 12, 4, 9))
except WorkbookUnreadable as error:
    print(json.dumps({"refused": str(error), "from_helper": from_helper, "re2_here": xml_search._re2_on}))
    sys.exit()
tables = {
    name: [[record.row, {column: repr(value) for column, value in record.items()}] for record in table.records]
    for name, table in facility.tables.items()
}
print(json.dumps({"problems": [problem.to_dict() for problem in facility.problems], "tables": tables,
                  "from_helper": from_helper, "re2_here": xml_search._re2_on}))
"""


def load_in_process(path: Path, mode: str) -> dict:
    finished = subprocess.run([sys.executable, "-c", LOAD, str(path), mode], capture_output=True, text=True,
                              timeout=120, cwd=Path(__file__).parent.parent)
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)


def all_ways(path: Path) -> dict:
    """Load ``path`` the three ways, check they agree, and return the helper's result."""
    by_helper = load_in_process(path, "helper")
    in_thread = load_in_process(path, "in-thread")
    helper_stops = load_in_process(path, "helper-stops")
    assert by_helper["from_helper"], "the helper scanned no sheet"
    assert in_thread["from_helper"] == []
    assert len(helper_stops["from_helper"]) == 1
    for result in (by_helper, in_thread, helper_stops):
        del result["from_helper"]
        # Only the forked helper searches with RE2 (see toolkit.xml_search).
        assert result.pop("re2_here") is False
    assert by_helper == in_thread
    assert helper_stops == in_thread
    return by_helper


def test_date_only_format_hides_time_either_way(make_workbook):
    escalation = {"Escalation ID": "E1", "Resident ID": "R1", "Category": "Other", "Contacted": "CM1",
                  "Opened at": dt.datetime(2026, 12, 1, 14, 0), "Needed by": dt.datetime(2026, 12, 3, 17, 30)}
    path = make_workbook(escalations=[escalation],
                         formats={("Escalations", "Opened at"): "yyyy-mm-dd",
                                  ("Escalations", "Needed by"): "yyyy-mm-dd hh:mm"})
    result = all_ways(path)
    (row, values), = result["tables"]["Escalations"]
    assert row == 2
    # The first cell's format shows no time, so it contains a date only. The second keeps its time.
    assert values["Opened at"] == repr(dt.date(2026, 12, 1))
    assert values["Needed by"] == repr(dt.datetime(2026, 12, 3, 17, 30))


def test_whole_day_in_date_only_cell_either_way(make_workbook):
    # With no time of day anywhere in the sheet, the helper skips the cell search.
    path = make_workbook(residents=[{**BASE_RESIDENT, "Last transition on": dt.datetime(2026, 11, 2)}],
                         formats={("Residents", "Last transition on"): "yyyy-mm-dd"})
    (row, values), = all_ways(path)["tables"]["Residents"]
    assert values["Last transition on"] == repr(dt.date(2026, 11, 2))


def test_formula_without_result_either_way(make_workbook):
    path = make_workbook(residents=[{**BASE_RESIDENT, "Last transition on": "=TODAY()"}])
    result = all_ways(path)
    formula = [(problem["code"], problem["sheet"], problem["column"]) for problem in result["problems"]
               if problem["code"] == "VALUE-FORMULA"]
    assert formula == [("VALUE-FORMULA", "Residents", "Last transition on")]


@pytest.mark.parametrize("name", ["formulas-never-calculated.xlsx", "formulas-saved-by-libreoffice.xlsx",
                                  "date-system-1904.xlsx", "hidden-sheets-and-rows.xlsx",
                                  "libreoffice-saved.xlsx", "staff-formatting.xlsx"])
def test_field_workbooks_read_the_same_either_way(name):
    result = all_ways(DATA / name)
    assert result["tables"]["Residents"], "the workbook has residents"


def test_far_cell_refused_the_same_either_way():
    result = all_ways(DATA / "unreadable" / "value-in-last-cell.xlsx")
    assert "values far outside its table" in result["refused"]


def test_row_past_excel_limit_refused_either_way(make_workbook, tmp_path):
    from test_damaged_parts import edited, sheet_part

    source = make_workbook()
    path = edited(source, tmp_path / "far-row.xlsx", sheet_part(source, "Contacts"), "</sheetData>",
                  '<row r="1048577"><c r="A1048577" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')
    assert "beyond the last row Excel allows" in all_ways(path)["refused"]


# Prints whether this process may fork a helper, before and while another thread runs.
THREADS = r"""
import json, threading
from toolkit import forked

alone = forked.fork_allowed()
release = threading.Event()
other = threading.Thread(target=release.wait)
other.start()
beside_thread = forked.fork_allowed()
release.set()
other.join()
print(json.dumps([alone, beside_thread]))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the helper is forked on Linux only")
def test_fork_needs_one_thread():
    finished = subprocess.run([sys.executable, "-c", THREADS], capture_output=True, text=True, timeout=60,
                              check=True)
    alone, beside_thread = json.loads(finished.stdout)
    assert alone is (len(os.sched_getaffinity(0)) >= 2)
    assert beside_thread is False


def test_no_helper_for_small_workbook(make_workbook):
    path = make_workbook(residents=[{**BASE_RESIDENT, "Last transition on": "=TODAY()"}])
    assert load_in_process(path, "default")["from_helper"] == []
    assert not sheet_scan.helper_worthwhile(sheet_scan.HELPER_MIN_BYTES - 1)
    assert sheet_scan.helper_worthwhile(sheet_scan.HELPER_MIN_BYTES)


@pytest.mark.parametrize("xml, expected", [
    (b'<c r="B2" s="1"><v>46357.583333333336</v></c>', True),
    # Exponent notation escapes the quick guess, and the reading thread's check of the grid catches it.
    (b'<c r="B2" s="1"><v>4635758333333334E-11</v></c>', False),
    (b'<c r="B2" s="1" t="d"><v>2026-12-01T14:00:00</v></c>', True),
    (b"<c r='B2' s='1' t='d'><v>2026-12-01T14:00:00</v></c>", True),  # single quotes
    (b'<c r="B2" s="1"><v>46357</v></c>', False),  # a whole day
    (b'<c r="B2" s="1"><v>46357.0</v></c>', False),
    (b'<c r="B2" t="inlineStr"><is><t>12.5 hours</t></is></c>', False),  # text, not a value
])
def test_may_hold_times(xml, expected):
    assert sheet_scan.may_hold_times(b"<sheetData><row r=\"2\">" + xml + b"</row></sheetData>") is expected


@pytest.mark.parametrize("written", ["exponent", "iso-single-quotes"])
def test_hidden_time_in_unusual_notation_cut_either_way(make_workbook, tmp_path, written):
    from test_damaged_parts import edited, sheet_part

    escalation = {"Escalation ID": "E1", "Resident ID": "R1", "Category": "Other", "Contacted": "CM1",
                  "Opened at": dt.datetime(2026, 12, 1, 14, 0)}
    source = make_workbook(escalations=[escalation], formats={("Escalations", "Opened at"): "yyyy-mm-dd"})
    part = sheet_part(source, "Escalations")
    with zipfile.ZipFile(source) as archive:
        xml = archive.read(part).decode()
    # 2026-12-01 14:00 is day 46357 and 14/24 of a day, as openpyxl writes it.
    cell = re.search(r'(<c r="[A-Z]+2" s="\d+") t="n">(<v>46357\.58[0-9]*</v>)', xml)
    old = cell.group(0)
    if written == "exponent":
        new = f'{cell.group(1)} t="n"><v>4635758333333334E-11</v>'
    else:
        new = f"{cell.group(1)} t='d'><v>2026-12-01T14:00:00</v>"
    path = edited(source, tmp_path / "unusual.xlsx", part, old, new)
    (row, values), = all_ways(path)["tables"]["Escalations"]
    # The cell's format shows no time, so it contains the date only, however the time was written.
    assert values["Opened at"] == repr(dt.date(2026, 12, 1))


def test_no_thread_to_spare_reads_in_main_thread(make_workbook):
    # The helper is forked but its result thread cannot start, nor can the reading threads:
    # the helper is stopped and every sheet is scanned and read in the main thread.
    path = make_workbook(residents=[{**BASE_RESIDENT, "Last transition on": "=TODAY()"}])
    without_threads = load_in_process(path, "no-threads")
    in_thread = load_in_process(path, "in-thread")
    assert without_threads["from_helper"] == []
    del without_threads["from_helper"], in_thread["from_helper"]
    assert without_threads == in_thread
    assert any(problem["code"] == "VALUE-FORMULA" for problem in in_thread["problems"])
