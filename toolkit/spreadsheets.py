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

from toolkit import schema
from toolkit.errors import OutputError
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


# Excel's limit on the characters in one cell.
EXCEL_MAX_CELL_TEXT = 32_767
# Characters XML 1.0 cannot carry. The xlsx format writes them as _xHHHH_
# escapes, which LibreOffice 7.4 and python-calamine 0.9 read back as the character.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Text that already looks like such an escape; its underscore is escaped as _x005F_ so it reads back as typed.
_ESCAPE_LOOKALIKE = re.compile("_(x[0-9A-Fa-f]{4}_)")


def shorten(text: str, limit: int) -> str:
    """Return ``text`` cut to ``limit`` characters, ending in "…" when it was cut."""
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def excel_text(text: str) -> str:
    """Return ``text`` as a cell or comment can hold it.

    Text longer than Excel's 32,767 characters is cut and ends in "…", and
    characters XML cannot carry become _xHHHH_ escapes.
    """
    text = _ESCAPE_LOOKALIKE.sub(r"_x005F_\1", shorten(text, EXCEL_MAX_CELL_TEXT))
    return _XML_ILLEGAL.sub(lambda match: f"_x{ord(match.group()):04X}_", text)


def set_text(cell, value) -> None:
    """Write ``value`` into ``cell``, keeping strings as text even when they look like formulas."""
    if isinstance(value, str):
        cell.value = excel_text(value)
        cell.data_type = "s"
    else:
        cell.value = value


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


def _hyperlink(cell, target: str | None, location: str) -> None:
    """Link ``cell`` to ``location`` in the workbook at ``target``, or in its own workbook when target is None."""
    from openpyxl.styles import Font
    from openpyxl.worksheet.hyperlink import Hyperlink

    cell.hyperlink = Hyperlink(ref=cell.coordinate, target=target, location=location)
    cell.font = Font(color="0563C1", underline="single")


def _fill(cell, colour: str) -> None:
    from openpyxl.styles import PatternFill

    cell.fill = PatternFill("solid", start_color=colour, end_color=colour)


_CELL_COLUMN = re.compile(r"[A-Z]+")


def _problem_sort_key(problem: Problem) -> tuple:
    """Order problems as ``handoff check`` lists them: workbook-level first, then by sheet, row and column."""
    if not problem.sheet:
        return (-1, 0, 0, problem.code)
    declared = schema.SHEETS_BY_KEY.get(schema.header_key(problem.sheet))
    position = schema.SHEETS.index(declared) if declared else len(schema.SHEETS)
    column = 0
    letters = _CELL_COLUMN.match(problem.cell or "")
    for letter in letters.group() if letters else "":
        column = column * 26 + ord(letter) - 64
    return (position, problem.row or 0, column, problem.code)


def _problem_rows(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=_problem_sort_key)


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
            _hyperlink(sheet.cell(row=row_number, column=2), target, location)
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
    rows = (("Workbook", workbook.name), ("As of", as_of.isoformat()), ("Errors", errors),
            ("Warnings", len(problems) - errors))
    for row_number, row in enumerate(rows, start=1):
        for index, value in enumerate(row, start=1):
            set_text(summary.cell(row=row_number, column=index), value)
    with atomic_path(out) as temporary:
        book.save(temporary)
    return out


def _unique_sheet_title(book, wanted: str) -> str:
    """Return ``wanted``, numbered if needed so that it differs from every sheet name in any case, as Excel requires."""
    taken = {name.casefold() for name in book.sheetnames}
    title, number = wanted, 2
    while title.casefold() in taken:
        title = f"{wanted} ({number})"
        number += 1
    return title


# Each message in a cell comment is cut to this many characters; the Problems sheet has it whole.
COMMENT_MESSAGE_CHARACTERS = 1_000
# Control characters XML 1.0 forbids, as raw bytes in a part; python-calamine reads
# them, but openpyxl's XML parser rejects the part.
_RAW_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def annotate_workbook(source: Path, out: Path, problems: list[Problem]) -> Path:
    """Write a copy of ``source`` with each problem cell highlighted and commented.

    A Problems sheet listing every problem, each linked to its cell, is added
    at the end. The copy keeps what openpyxl 3.1 reads: formatting, data
    validation, tables, hidden sheets, column widths, frozen panes, rich text
    and existing comments, to which the problems are appended. A problem in a
    merged range is shown on the range's top-left cell, the one Excel displays.
    ``source`` itself is only read.

    NOTE: openpyxl drops what it cannot read, such as data validation and
    conditional formatting in Excel 2010 extension lists, slicers and sparklines,
    and formulas in the copy lose their saved results until it is opened in
    Excel or LibreOffice.
    """
    if out.resolve() == source.resolve():
        raise ValueError("the annotated copy must not replace the workbook itself")
    book = _load_for_annotation(source)

    by_cell: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        if problem.cell and problem.sheet in book.sheetnames:
            anchor = _merged_anchor(book[problem.sheet], problem.cell)
            by_cell.setdefault((problem.sheet, anchor), []).append(problem)
    for (sheet_name, coordinate), cell_problems in by_cell.items():
        _mark_cell(book[sheet_name][coordinate], cell_problems)

    _add_problem_sheet(book, _unique_sheet_title(book, "Problems"), problems, None)
    with atomic_path(out) as temporary:
        book.save(temporary)
    return out


def _load_for_annotation(source: Path):
    """Open ``source`` with openpyxl, keeping rich text; raise OutputError when openpyxl cannot read it."""
    import io
    import warnings
    import zipfile
    from xml.etree.ElementTree import ParseError

    openpyxl = _openpyxl()
    with warnings.catch_warnings():
        # openpyxl warns about each part it drops (listed in annotate_workbook's NOTE).
        warnings.simplefilter("ignore", UserWarning)
        try:
            # Read from memory: openpyxl 3.1 leaves the file open when it fails to parse a part.
            package = source.read_bytes()
            try:
                return openpyxl.load_workbook(io.BytesIO(package), rich_text=True)
            except ParseError:
                # Raw control characters: copy the package with each one as the _xHHHH_
                # escape Excel writes, which keeps the text the same.
                return openpyxl.load_workbook(io.BytesIO(_escape_control_bytes(package)), rich_text=True)
        except (OSError, zipfile.BadZipFile, ParseError, KeyError, ValueError, TypeError, AttributeError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise OutputError(
                f"Cannot write the annotated copy: openpyxl cannot read {source.name} ({reason}). "
                "The check report itself is complete; open and save the workbook in Excel, then try again."
            ) from error


def _escape_control_bytes(package: bytes) -> bytes:
    """Return ``package`` with raw control characters in its XML parts escaped as _xHHHH_."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as original, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            data = original.read(info)
            if info.filename.endswith((".xml", ".rels")):
                data = _RAW_CONTROL_BYTES.sub(lambda match: b"_x%04X_" % match.group()[0], data)
            copy.writestr(info, data)
    return buffer.getvalue()


def _merged_anchor(sheet, coordinate: str) -> str:
    """Return the top-left cell of the merged range containing ``coordinate``, or ``coordinate`` itself."""
    for merged in sheet.merged_cells.ranges:
        if coordinate in merged:
            return merged.start_cell.coordinate
    return coordinate


def _mark_cell(cell, problems: list[Problem]) -> None:
    """Fill ``cell`` by its worst problem and add a comment with each problem's message."""
    from openpyxl.comments import Comment

    worst = ERROR if any(p.severity == ERROR for p in problems) else "warning"
    _fill(cell, ERROR_FILL if worst == ERROR else WARNING_FILL)
    lines = []
    for problem in problems:
        # A problem in a merged range is shown on its top-left cell, so the comment names the cell.
        where = f"{problem.cell} " if problem.cell != cell.coordinate else ""
        lines.append(f"{where}{problem.code}: {shorten(problem.message, COMMENT_MESSAGE_CHARACTERS)}")
    text = excel_text("\n".join(lines))
    if cell.comment is not None:
        # The staff's comment is kept exactly as openpyxl read it, escapes included.
        text = f"{cell.comment.text}\n---\n{text}"
    comment = Comment(text, "handoff check")
    comment.width, comment.height = 320, 40 + 40 * len(problems)
    cell.comment = comment


_SHEET_TITLE_UNSAFE = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def _owner_title(book, owner: str) -> str:
    # Excel also rejects a sheet name that starts or ends with an apostrophe.
    title = _SHEET_TITLE_UNSAFE.sub("-", owner or "No owner")[:28].strip("'") or "No owner"
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
