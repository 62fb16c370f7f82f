"""Workbooks edited inside their zip: repeated sheet names, rows past Excel's last row,
calamine errors that quote a cell, and the program's streams closed or full."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import BASE_RESIDENT
from toolkit.errors import WorkbookUnreadable
from toolkit.facility import load_facility

AS_OF = "2026-12-04T09:00"


def edited(source: Path, target: Path, part: str, old: str, new: str) -> Path:
    """Copy the workbook at ``source`` to ``target``, replacing text in one of its parts."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename == part:
                text = data.decode("utf-8")
                assert old in text, f"{old!r} not in {part}"
                data = text.replace(old, new, 1).encode("utf-8")
            copy.writestr(info, data)
    return target


def read_error(path: Path) -> str:
    with pytest.raises(WorkbookUnreadable) as caught:
        load_facility(path, dt.datetime(2026, 12, 4, 9))
    return str(caught.value)


def sheet_part(path: Path, name: str) -> str:
    """Return the zip part of the sheet called ``name`` (openpyxl numbers them in sheet order)."""
    with zipfile.ZipFile(path) as archive:
        names = [line.split('"')[0] for line in archive.read("xl/workbook.xml").decode().split('name="')[1:]]
    return f"xl/worksheets/sheet{names.index(name) + 1}.xml"


def test_repeated_sheet_name_is_refused(make_workbook, tmp_path):
    path = edited(make_workbook(), tmp_path / "repeated.xlsx", "xl/workbook.xml",
                  'name="Contacts"', 'name="Residents"')
    message = read_error(path)
    assert 'two sheets named "Residents"' in message
    assert message.startswith("repeated.xlsx: ")


def test_repeated_sheet_name_exits_2_without_hanging(make_workbook, tmp_path):
    path = edited(make_workbook(), tmp_path / "repeated.xlsx", "xl/workbook.xml",
                  'name="Contacts"', 'name="Residents"')
    result = subprocess.run([sys.executable, "-m", "toolkit", "check", str(path), "--as-of", AS_OF],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("quote", ['"', "'"])
@pytest.mark.parametrize("row", ["99999999999", "50000000", "5000000", "1048577"])
def test_row_past_excel_limit_is_refused(make_workbook, tmp_path, row, quote):
    # XML lets attributes take single quotes as well as double quotes.
    source = make_workbook()
    part = sheet_part(source, "Contacts")
    path = edited(source, tmp_path / "far-row.xlsx", part, "</sheetData>",
                  f"<row r={quote}{row}{quote}><c r={quote}A{row}{quote} t={quote}inlineStr{quote}>"
                  "<is><t>x</t></is></c></row></sheetData>")
    assert "beyond the last row Excel allows" in read_error(path)


@pytest.mark.parametrize("cell", ['<c\nr="XFD2000"', '<c\tr="XFD2000"', '<c\r\n    r="XFD2000"', "<c r='XFD2000'"])
def test_far_cell_in_any_xml_form_is_refused(make_workbook, tmp_path, cell):
    # XML lets a line break or a tab separate a tag's attributes, as a program that indents
    # its XML writes them, and attributes take single quotes. Column XFD by row 2,000 is
    # 32.8 million cells, over the cap.
    source = make_workbook()
    part = sheet_part(source, "Contacts")
    path = edited(source, tmp_path / "far-cell.xlsx", part, "</sheetData>",
                  f'<row r="2000">{cell} t="inlineStr"><is><t>x</t></is></c></row></sheetData>')
    message = read_error(path)
    assert "values far outside its table" in message
    assert "XFD2000" in message


def test_last_excel_row_on_narrow_sheet_is_read(make_workbook, tmp_path):
    source = make_workbook()
    part = sheet_part(source, "Contacts")
    path = edited(source, tmp_path / "last-row.xlsx", part, "</sheetData>",
                  '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>C-LAST</t></is></c></row></sheetData>')
    facility = load_facility(path, dt.datetime(2026, 12, 4, 9))
    assert facility.contacts.records[-1].row == 1048576


@pytest.mark.parametrize("cell_type", ["e", "b"])
def test_calamine_error_does_not_quote_the_cell(make_workbook, tmp_path, cell_type):
    source = make_workbook(residents=[{**BASE_RESIDENT, "Name": "Dorothy Kessler"}])
    part = sheet_part(source, "Residents")
    with zipfile.ZipFile(source) as archive:
        xml = archive.read(part).decode()
    start = xml.index("Dorothy Kessler")
    cell_start = xml.rindex("<c ", 0, start)
    cell_end = xml.index("</c>", start) + len("</c>")
    reference = xml[cell_start:cell_end].split('r="')[1].split('"')[0]
    path = edited(source, tmp_path / "bad-cell.xlsx", part, xml[cell_start:cell_end],
                  f'<c r="{reference}" t="{cell_type}"><v>Dorothy Kessler</v></c>')
    message = read_error(path)
    assert "Dorothy" not in message
    assert "Kessler" not in message
    assert 'sheet "Residents"' in message


def test_closed_stdout_still_exits_0(make_workbook):
    result = subprocess.run(f'"{sys.executable}" -m toolkit due "{make_workbook()}" --as-of {AS_OF} >&-',
                            shell=True, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "Traceback" not in result.stderr


def test_closed_stderr_keeps_exit_2(tmp_path):
    result = subprocess.run(f'"{sys.executable}" -m toolkit check "{tmp_path / "missing.xlsx"}" 2>&-',
                            shell=True, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2


def test_check_keeps_status_when_reader_leaves(make_workbook):
    path = make_workbook(residents=[{**BASE_RESIDENT, "Status": "Sleeping"}])
    process = subprocess.Popen([sys.executable, "-m", "toolkit", "check", str(path), "--as-of", AS_OF],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    process.stdout.close()
    assert process.wait(timeout=60) == 1


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_full_disk_on_stdout_is_explained(make_workbook):
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "toolkit", "due", str(make_workbook()), "--as-of", AS_OF],
                                stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: Cannot write the report to standard output (No space left on device).")
