"""Problems found in a workbook: values with a stable code, never exceptions."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"

# The catalogue of problem codes and what each means, as shown in docs and help.
CODES: dict[str, str] = {
    "SHEET-MISSING": "a sheet is absent (an error for a required sheet, otherwise a warning)",
    "COLUMN-MISSING": "a required column is absent",
    "COLUMN-DUPLICATE": "two columns carry the same known name",
    "COLUMN-UNKNOWN": "a column the toolkit does not know (ignored)",
    "VALUE-REQUIRED": "a required or conditionally required value is blank",
    "VALUE-TYPE": "not a date, date-time, number or Yes/No where one is needed",
    "VALUE-PLACEHOLDER": "placeholder text such as N/A or TBD, counted as blank",
    "VALUE-CHOICE": "not one of the allowed values",
    "VALUE-FUTURE": "a moment that already happened lies after the as-of time",
    "VALUE-RANGE": "a negative or absurd number",
    "ID-DUPLICATE": "an ID used twice in its sheet",
    "ROW-DUPLICATE": "the same resident and domain twice in the Authorization Map",
    "REF-UNKNOWN": "a reference to a resident, contact or risk that does not exist",
    "DATE-ORDER": "an impossible sequence of dates",
    "CONSENT": "sharing with a contact the resident's consent does not cover",
    "LOOP-OPEN": "an escalation loop left open",
    "MAP-INCONSISTENT": "an Authorization Map row that contradicts itself",
    "SETTING-INVALID": "a setting or standard that cannot be used",
    "VALUE-FORMULA": "a formula cell with no saved result, counted as blank",
    "WORKBOOK-OPEN": "someone has the workbook open in Excel; unsaved edits are not included",
}


@dataclass(frozen=True)
class Problem:
    """One problem at a sheet, row and cell, with a message a coordinator can act on."""

    code: str
    severity: str
    sheet: str
    row: int | None
    column: str
    cell: str
    value: str
    message: str

    def to_dict(self) -> dict:
        # Not dataclasses.asdict, which deep-copies each field and is slow on large reports.
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "cell": self.cell,
            "value": self.value,
            "message": self.message,
        }


def column_letter(index: int) -> str:
    """Return the Excel column letters for a 0-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def count_by_severity(problems) -> tuple[int, int]:
    """Return the number of errors and of warnings."""
    errors = sum(1 for problem in problems if problem.severity == ERROR)
    return errors, len(problems) - errors
