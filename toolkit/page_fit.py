"""Keep the one-pager on one page by estimating the height of its tables.

The one-pager template is Letter landscape with two tables: a row per support
domain and a row per open due item. Their height depends on how many lines
each cell wraps to, so the estimate wraps every cell at its column width with
a conservative character width. Then, only as far as the page needs it:

1. long free-text cells (provider, contact, what to do if missed, due-item
   owner and summary) are cut to four lines, then to three. A cut cell ends
   with "…(continued in the workbook)". A contact first loses its
   organization, so a name is cut only when the name alone is too long;
2. when the domain rows and the first three due items still do not fit,
   rows of the domain Other, which may repeat, are dropped from the end and
   counted in a line that points to the workbook;
3. the due items that fit in the space left are kept, and the rest are
   counted in a line that points to the weekly agenda.

The nine core domains are always shown.

NOTE: the widths and the line budget describe the default ``one_pager.docx``
at 8.5 pt. They were set from LibreOffice 7.4 renderings with DejaVu Sans,
which LibreOffice uses when Calibri is missing and which is wider than Calibri,
so Word with Calibri has room to spare. A restyled template with larger text
or other column widths can still run onto a second page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CONTINUED = "…(continued in the workbook)"

# Key of a row's shorter forms of some cells, tried before a cell is cut. It
# is removed from every row fit_one_pager returns.
SHORT_FORMS = "short_forms"

TABLE_FONT_PT = 8.5
# Average advance of a character, in ems, chosen above DejaVu Sans's digits and
# capitals (0.64 em) weighed with its lower case (0.55 em), so lines are not underestimated.
CHARACTER_EM = 0.62
# Left plus right cell margin of the template tables (70 twentieths of a point each).
CELL_PADDING_PT = 7.0
# Height of a row beyond its lines (cell margins and border), in lines.
ROW_EXTRA_LINES = 0.3
# Lines of table text the page holds below the title, the resident block and
# the two headings, as this module counts them. 41 fitted in the LibreOffice
# renderings and 42 did not; two lines are kept as a safety margin.
PAGE_LINES = 39.0

DOMAIN_HEADER_LINES = 3
DUE_HEADER_LINES = 1
# The "N more …" paragraph under a table.
MORE_LINE = 1.2
# Due items that keep their place before rows of the domain Other.
RESERVED_DUE_ITEMS = 3
# Line limits tried in turn for free-text cells; None leaves them whole.
CUT_LEVELS = (None, 4, 3)


@dataclass(frozen=True)
class ColumnFit:
    """One template column: its width in inches, and whether its text may be cut."""

    width_in: float
    free_text: bool = False
    font_pt: float = TABLE_FONT_PT

    @property
    def characters(self) -> int:
        usable = self.width_in * 72 - CELL_PADDING_PT
        return max(1, int(usable / (self.font_pt * CHARACTER_EM)))


# The column widths of one_pager.docx, in the order of its tables. Only free
# text is cut: choices, dates, codes and phone numbers stay whole.
DOMAIN_COLUMNS = {
    "domain": ColumnFit(0.95),
    "route": ColumnFit(0.9),
    "provider": ColumnFit(1.1, free_text=True),
    "contact": ColumnFit(1.3, free_text=True),
    "phone": ColumnFit(0.9),
    "state": ColumnFit(0.85),
    "authorization": ColumnFit(1.05),
    "response_standard": ColumnFit(0.55),
    "if_missed": ColumnFit(2.4, free_text=True),
}
DUE_COLUMNS = {
    "status": ColumnFit(0.8),
    "due_at": ColumnFit(1.3),
    "code": ColumnFit(1.45),
    "ref": ColumnFit(1.15, free_text=True),
    "owner": ColumnFit(1.6, free_text=True),
    "summary": ColumnFit(3.7, free_text=True),
}
# The resident block is set at 9 pt. Its values are never cut.
RESIDENT_NAME = ColumnFit(2.4, font_pt=9)
RESIDENT_CASE_MANAGER = ColumnFit(3.55, font_pt=9)

_WORD = re.compile(r"\S+")


def wrapped_lines(text: str, characters: int) -> int:
    """Return how many lines ``text`` takes when wrapped at ``characters`` per line."""
    lines = 0
    for paragraph in (text or "").split("\n"):
        lines += len(_wrap(paragraph, characters)) or 1
    return max(lines, 1)


def _wrap(paragraph: str, characters: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in _WORD.findall(paragraph):
        while len(word) > characters:  # a word longer than the line breaks anywhere
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:characters])
            word = word[characters:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= characters:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def shorten(text: str, characters: int, max_lines: int) -> str:
    """Return ``text`` cut to ``max_lines`` lines of ``characters``, ending with CONTINUED when cut."""
    if wrapped_lines(text, characters) <= max_lines:
        return text
    words = _WORD.findall(text.replace("\n", " "))
    # Bisection finds the maximum number of words that still fit beside the marker.
    low, high = 0, len(words)
    while low < high:
        middle = (low + high + 1) // 2
        if wrapped_lines(" ".join(words[:middle]) + CONTINUED, characters) <= max_lines:
            low = middle
        else:
            high = middle - 1
    if low == 0:
        # Not even the first word fits beside the marker: cut inside it.
        room = max(characters * max_lines - len(CONTINUED) - max_lines, 1)
        return text[:room].rstrip() + CONTINUED
    return " ".join(words[:low]) + CONTINUED


def cut_row(row: dict, columns: dict[str, ColumnFit], max_lines: int | None) -> dict:
    """Return a copy of ``row`` whose free-text cells take at most ``max_lines`` lines (None: no limit)."""
    cut = {key: value for key, value in row.items() if key != SHORT_FORMS}
    if max_lines is None:
        return cut
    short_forms = row.get(SHORT_FORMS) or {}
    for name, column in columns.items():
        text = cut.get(name)
        if not column.free_text or not isinstance(text, str):
            continue
        if wrapped_lines(text, column.characters) > max_lines and name in short_forms:
            text = short_forms[name]
        cut[name] = shorten(text, column.characters, max_lines)
    return cut


def row_lines(row: dict, columns: dict[str, ColumnFit]) -> float:
    """Return the estimated height of a table row, in lines."""
    tallest = max(wrapped_lines(str(row.get(name, "")), column.characters) for name, column in columns.items())
    return tallest + ROW_EXTRA_LINES


@dataclass
class FittedPage:
    """The rows that fit on the one-pager and what was left out."""

    domains: list[dict]
    due_items: list[dict]
    more_domains: str
    more_due_items: str


def fit_one_pager(resident: dict, domains: list[dict], due_items: list[dict]) -> FittedPage:
    """Cut and cap the one-pager's rows so that the page does not overflow.

    ``domains`` must list the core domains before the rows of the domain
    Other. A row may carry SHORT_FORMS, a dict of shorter texts for some cells.
    """
    budget = PAGE_LINES - _resident_block_extra(resident)

    for level in CUT_LEVELS:
        fitted_domains = [cut_row(row, DOMAIN_COLUMNS, level) for row in domains]
        fitted_items = [cut_row(row, DUE_COLUMNS, level) for row in due_items]
        domain_heights = [row_lines(row, DOMAIN_COLUMNS) for row in fitted_domains]
        due_heights = [row_lines(row, DUE_COLUMNS) for row in fitted_items]
        due_minimum = _due_minimum(due_heights)
        if DOMAIN_HEADER_LINES + sum(domain_heights) + due_minimum <= budget:
            break

    # Rows of Other give way to the first few due items, which are more urgent.
    kept_domains = len(fitted_domains)
    while kept_domains and DOMAIN_HEADER_LINES + sum(domain_heights[:kept_domains]) + due_minimum > budget:
        if fitted_domains[kept_domains - 1].get("domain") != "Other":
            break
        kept_domains -= 1
    more_domains = ""
    if kept_domains < len(fitted_domains):
        hidden = len(fitted_domains) - kept_domains
        more_domains = (f"{hidden} more Other row{'s are' if hidden != 1 else ' is'} not shown here: "
                        "see the Authorization Map in the workbook.")
        budget -= MORE_LINE

    left = budget - DOMAIN_HEADER_LINES - sum(domain_heights[:kept_domains])
    kept_items = 0
    if fitted_items:
        left -= DUE_HEADER_LINES
        for index, height in enumerate(due_heights):
            reserve = 0 if index == len(fitted_items) - 1 else MORE_LINE
            if height + reserve > left:
                break
            left -= height
            kept_items += 1
    more_due_items = ""
    if kept_items < len(fitted_items):
        hidden = len(fitted_items) - kept_items
        more_due_items = (f"{hidden} more due item{'s are' if hidden != 1 else ' is'} not shown here: "
                          "see the weekly agenda, or run handoff due.")

    return FittedPage(fitted_domains[:kept_domains], fitted_items[:kept_items], more_domains, more_due_items)


def _due_minimum(due_heights: list[float]) -> float:
    """Return the lines the due-items section needs for its first few items."""
    if not due_heights:
        return 1  # the "No open items." line
    reserved = min(len(due_heights), RESERVED_DUE_ITEMS)
    minimum = DUE_HEADER_LINES + sum(due_heights[:reserved])
    if len(due_heights) > reserved:
        minimum += MORE_LINE
    return minimum


def _resident_block_extra(resident: dict) -> float:
    """Return the lines the resident block takes beyond its usual two rows, in table lines.

    The first row contains the name, the second the case manager beside labels
    that already wrap to two lines.
    """
    name_lines = wrapped_lines(str(resident.get("name", "")), RESIDENT_NAME.characters)
    case_manager_lines = wrapped_lines(str(resident.get("case_manager", "")), RESIDENT_CASE_MANAGER.characters)
    extra = (name_lines - 1) + max(0, case_manager_lines - 2)
    return extra * RESIDENT_NAME.font_pt / TABLE_FONT_PT
