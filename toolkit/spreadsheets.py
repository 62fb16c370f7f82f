"""Report workbooks: the check report, the annotated copy and the due report.

Text taken from the facility workbook is always written as text, so a value
such as ``=HYPERLINK(...)`` or ``+1 555 0100`` never becomes a formula in a
report. Every file is written atomically.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from toolkit.files import atomic_path
from toolkit.problems import ERROR, Problem

ERROR_FILL = "F8CBAD"
WARNING_FILL = "FFE699"
OVERDUE_FILL = "F8CBAD"
DUE_SOON_FILL = "FFE699"
HEADER_FILL = "1F4E79"
PROBLEM_COLUMNS = ("Sheet", "Cell", "Row", "Column", "Severity", "Code", "Value", "Message")


def _openpyxl():
    import openpyxl

    return openpyxl


def set_text(cell, value) -> None:
    """Write ``value`` into ``cell``, keeping strings as text even when they look like formulas."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def link_target(workbook: Path, report: Path) -> str:
    """Return the facility workbook's path as seen from the report's folder."""
    try:
        return os.path.relpath(workbook.resolve(), report.resolve().parent).replace(os.sep, "/")
    except ValueError:  # on another drive (Windows): only an absolute path works
        return workbook.resolve().as_uri()


def cell_location(sheet: str, cell: str) -> str:
    """Return an Excel location such as ``'Authorization Map'!D14``."""
    return "'" + sheet.replace("'", "''") + "'!" + cell


def _style_header(sheet, columns: tuple[str, ...] | list[str], row: int = 1) -> None:
    from openpyxl.styles import Font, PatternFill

    for index, name in enumerate(columns, start=1):
        cell = sheet.cell(row=row, column=index)
        set_text(cell, name)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", start_color=HEADER_FILL, end_color=HEADER_FILL)


def _hyperlink(cell, target: str, location: str) -> None:
    from openpyxl.styles import Font
    from openpyxl.worksheet.hyperlink import Hyperlink

    cell.hyperlink = Hyperlink(ref=cell.coordinate, target=target, location=location)
    cell.font = Font(color="0563C1", underline="single")


def _fill(cell, colour: str) -> None:
    from openpyxl.styles import PatternFill

    cell.fill = PatternFill("solid", start_color=colour, end_color=colour)


def _problem_rows(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.sheet, p.row or 0, p.cell))


def _add_problem_sheet(book, title: str, problems: list[Problem], target: str | None) -> None:
    """Add a sheet listing the problems, one per row, with filters and a frozen header."""
    sheet = book.create_sheet(title)
    _style_header(sheet, PROBLEM_COLUMNS)
    for row_number, problem in enumerate(_problem_rows(problems), start=2):
        values = (problem.sheet, problem.cell, problem.row, problem.column, problem.severity, problem.code,
                  problem.value, problem.message)
        for column_number, value in enumerate(values, start=1):
            set_text(sheet.cell(row=row_number, column=column_number), value)
        if problem.cell:
            location = cell_location(problem.sheet, problem.cell)
            link_cell = sheet.cell(row=row_number, column=2)
            if target is None:
                link_cell.hyperlink = f"#{location}"
            else:
                _hyperlink(link_cell, target, location)
        _fill(sheet.cell(row=row_number, column=5), ERROR_FILL if problem.severity == ERROR else WARNING_FILL)
    widths = (20, 8, 7, 24, 9, 18, 24, 100)
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(65 + index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:H{max(len(problems) + 1, 1)}"


def write_problem_report(out: Path, workbook: Path, as_of: dt.datetime, problems: list[Problem]) -> Path:
    """Write the check report workbook: one row per problem, linked to its cell in ``workbook``."""
    openpyxl = _openpyxl()
    book = openpyxl.Workbook()
    book.remove(book.active)
    _add_problem_sheet(book, "Problems", problems, link_target(workbook, out))
    summary = book.create_sheet("About")
    errors = sum(1 for p in problems if p.severity == ERROR)
    for row in (("Workbook", workbook.name), ("As of", as_of.isoformat()), ("Errors", errors),
                ("Warnings", len(problems) - errors)):
        summary.append([])
        for index, value in enumerate(row, start=1):
            set_text(summary.cell(row=summary.max_row, column=index), value)
    with atomic_path(out) as temporary:
        book.save(temporary)
    return out


def _unique_sheet_title(book, wanted: str) -> str:
    title, number = wanted, 2
    while title in book.sheetnames:
        title = f"{wanted} ({number})"
        number += 1
    return title


def annotate_workbook(source: Path, out: Path, problems: list[Problem]) -> Path:
    """Write a copy of ``source`` with each problem cell highlighted and commented.

    A Problems sheet listing every problem is added at the end. The staff's
    formatting, validation, tables, hidden sheets and column widths are kept
    as openpyxl reads them. ``source`` itself is only read.
    """
    from openpyxl.comments import Comment

    openpyxl = _openpyxl()
    if out.resolve() == source.resolve():
        raise ValueError("the annotated copy must not replace the workbook itself")
    book = openpyxl.load_workbook(source)
    by_cell: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        if problem.cell and problem.sheet in book.sheetnames:
            by_cell.setdefault((problem.sheet, problem.cell), []).append(problem)
    for (sheet_name, coordinate), cell_problems in by_cell.items():
        cell = book[sheet_name][coordinate]
        worst = ERROR if any(p.severity == ERROR for p in cell_problems) else "warning"
        _fill(cell, ERROR_FILL if worst == ERROR else WARNING_FILL)
        text = "\n".join(f"{p.code}: {p.message}" for p in cell_problems)
        if cell.comment is not None:
            text = f"{cell.comment.text}\n---\n{text}"
        comment = Comment(text, "handoff check")
        comment.width, comment.height = 320, 40 + 40 * len(cell_problems)
        cell.comment = comment
    _add_problem_sheet(book, _unique_sheet_title(book, "Problems"), problems, None)
    with atomic_path(out) as temporary:
        book.save(temporary)
    return out


_SHEET_TITLE_UNSAFE = re.compile(r"[\[\]:*?/\\]")


def _owner_title(book, owner: str) -> str:
    title = _SHEET_TITLE_UNSAFE.sub("-", owner or "No owner")[:28] or "No owner"
    return _unique_sheet_title(book, title)


DUE_COLUMNS = ("Status", "Due at", "Code", "Resident ID", "Ref", "Owner", "Owner name", "Summary", "Sheet", "Row")


def write_due_report(out: Path, workbook: Path, facility_name: str, as_of: dt.datetime, items,
                     owner_names: dict[str, str]) -> Path:
    """Write the due report workbook: all items, then one sheet per owner.

    Overdue rows are red, due-soon rows amber; each item links to its row in
    the facility workbook.
    """
    from openpyxl.styles import Font

    openpyxl = _openpyxl()
    target = link_target(workbook, out)
    book = openpyxl.Workbook()
    book.remove(book.active)

    def fill_sheet(title: str, sheet_items) -> None:
        sheet = book.create_sheet(title)
        set_text(sheet.cell(row=1, column=1), f"{facility_name}: due items as of {as_of:%Y-%m-%d %H:%M %Z}")
        sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
        set_text(sheet.cell(row=2, column=1), f"Workbook: {workbook.name}    As of: {as_of.isoformat()}")
        _style_header(sheet, DUE_COLUMNS, row=4)
        for row_number, item in enumerate(sheet_items, start=5):
            due_at = item.due_at.replace(tzinfo=None) if item.due_at else "unscheduled"
            values = (item.status, due_at, item.code, item.resident_id, item.ref, item.owner,
                      owner_names.get(item.owner, ""), item.summary, item.sheet, item.row)
            for column_number, value in enumerate(values, start=1):
                set_text(sheet.cell(row=row_number, column=column_number), value)
            sheet.cell(row=row_number, column=2).number_format = "yyyy-mm-dd hh:mm"
            colour = {"overdue": OVERDUE_FILL, "due soon": DUE_SOON_FILL}.get(item.status)
            if colour:
                for column_number in range(1, len(DUE_COLUMNS) + 1):
                    _fill(sheet.cell(row=row_number, column=column_number), colour)
            _hyperlink(sheet.cell(row=row_number, column=3), target, cell_location(item.sheet, f"A{item.row}"))
        for index, width in enumerate((11, 17, 19, 12, 22, 10, 24, 70, 18, 6)):
            sheet.column_dimensions[chr(65 + index)].width = width
        sheet.freeze_panes = "A5"
        sheet.auto_filter.ref = f"A4:J{len(sheet_items) + 4}"

    fill_sheet("All items", items)
    owners = sorted({item.owner for item in items})
    for owner in owners:
        fill_sheet(_owner_title(book, owner), [item for item in items if item.owner == owner])
    with atomic_path(out) as temporary:
        book.save(temporary)
    return out
