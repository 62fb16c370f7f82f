"""Write a blank facility workbook from the declarations in ``toolkit.schema``.

Used by ``handoff init`` and to build the committed
``workbook_templates/facility.xlsx``.
"""

from __future__ import annotations

from pathlib import Path

from toolkit import schema
from toolkit.files import atomic_path

# Rows given date formats and dropdowns in a blank sheet; staff rarely pass this
# in one facility, and Excel extends formats as rows are added.
FORMATTED_ROWS = 500

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HEADER_FILL = "1F4E79"
REQUIRED_FILL = "C00000"

INSTRUCTIONS = [
    ("How to use this workbook", ""),
    ("", "Keep one workbook per facility. The handoff command reads it and never changes it."),
    ("", "Sheets and columns are found by name, so you may reorder columns, add title rows above "
         "the header (within the first 10 rows), add your own columns and sheets, colour cells and "
         "add filters."),
    ("", "Columns with a red header are required. Choice columns have a dropdown list."),
    ("", "Dates: use real Excel dates, or type 2026-12-05, 12/5/2026, Dec 5, 2026 or 5 Dec 2026. "
         "Date-times may add a time: 14:00, 2:00 PM or 2pm. A date with no time means the start of "
         "that day when something happened, and the end of that day when something is due."),
    ("", "Yes/No columns take Yes/No, Y/N, True/False, 1/0 or x. Lists of contact IDs are separated "
         "by commas, semicolons or line breaks."),
    ("", "N/A, TBD, unknown, pending, - and ? count as blank (except Pending as an Authorization status)."),
    ("", "Run `handoff check` on the file to find problems and `handoff due` to see what is overdue."),
    ("", ""),
    ("Sheet", "What it records"),
]


def _choices_formula(choices: tuple[str, ...]) -> str:
    return '"' + ",".join(choices) + '"'


def build_blank_workbook():
    """Return an openpyxl Workbook laid out from the schema, with defaults filled in."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    instructions = book.active
    instructions.title = "Instructions"
    for text, detail in INSTRUCTIONS:
        instructions.append([text, detail])
    for declared in schema.SHEETS:
        instructions.append([declared.name, declared.purpose])
    instructions["A1"].font = Font(bold=True, size=14)
    instructions[f"A{len(INSTRUCTIONS)}"].font = Font(bold=True)
    instructions[f"B{len(INSTRUCTIONS)}"].font = Font(bold=True)
    instructions.column_dimensions["A"].width = 22
    instructions.column_dimensions["B"].width = 110
    for row in instructions.iter_rows(min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")

    header_font = Font(bold=True, color="FFFFFF")
    for declared in schema.SHEETS:
        sheet = book.create_sheet(declared.name)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(declared.columns, start=1):
            cell = sheet.cell(row=1, column=index, value=column.name)
            cell.font = header_font
            colour = REQUIRED_FILL if column.required else HEADER_FILL
            cell.fill = PatternFill("solid", start_color=colour, end_color=colour)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            if column.note:
                cell.comment = Comment(column.note, "Handoff toolkit")
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = column.width
            area = f"{letter}2:{letter}{FORMATTED_ROWS + 1}"

            if column.type in (schema.CHOICE, schema.YESNO):
                choices = column.choices if column.type == schema.CHOICE else ("Yes", "No")
                validation = DataValidation(type="list", formula1=_choices_formula(choices), allow_blank=True)
                validation.error = f"Choose one of: {', '.join(choices)}."
                validation.errorTitle = column.name
                validation.showErrorMessage = True
                sheet.add_data_validation(validation)
                validation.add(area)
            if column.type in (schema.DATE, schema.DATETIME):
                number_format = DATE_FORMAT if column.type == schema.DATE else DATETIME_FORMAT
                for row in range(2, FORMATTED_ROWS + 2):
                    sheet.cell(row=row, column=index).number_format = number_format
            if column.type in (schema.TEXT, schema.LIST) and column.width >= 28:
                for row in range(2, FORMATTED_ROWS + 2):
                    sheet.cell(row=row, column=index).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[1].height = 30
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(declared.columns))}1"

    # Rows are written by number: append() would start below the formatted blank
    # cells, FORMATTED_ROWS rows down, instead of under the header.
    settings = book["Settings"]
    for row, declared in enumerate(schema.SETTING_DECLARATIONS, start=2):
        settings.cell(row=row, column=1, value=declared.name)
        settings.cell(row=row, column=2, value=declared.default)
    standards = book["Standards"]
    for row, (category, hours) in enumerate(schema.DEFAULT_STANDARDS.items(), start=2):
        standards.cell(row=row, column=1, value=category)
        standards.cell(row=row, column=2, value=hours)
    return book


def write_blank_workbook(path: str | Path, overwrite: bool = False) -> Path:
    """Write a blank facility workbook to ``path`` atomically.

    Raises FileExistsError when ``path`` exists and ``overwrite`` is false.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(path)
    book = build_blank_workbook()
    with atomic_path(path) as temporary:
        book.save(temporary)
    return path
