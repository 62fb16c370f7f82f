"""Scan each worksheet's XML before python-calamine parses it.

A scan unpacks the sheet's part within the size the zip directory declares
and rejects a sheet whose grid would not fit in memory (both in
``xlsx_package``). It also finds two things calamine does not report: formula
cells with no saved result, and cells whose number format shows a date
without a time.

The scan is regular-expression work that holds the GIL, so when the reading
threads did it, the main thread waited while it turned rows into records. On
Linux, a process with a single thread therefore forks a helper process. The
helper scans the sheets in the order they will be read and sends each result
back through a pipe (see ``toolkit.forked``), so the scan runs on the other
core.
On other systems, in a process that already runs other threads, for a small
workbook, or when the helper stops early, the thread that reads a sheet scans
it itself. Both ways give the same result.
"""
from __future__ import annotations

import array
import collections
import re
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path

from toolkit.errors import WorkbookUnreadable
from toolkit.forked import Forked
from toolkit.forked import start as start_forked
from toolkit.pending import Pending
from toolkit.xlsx_package import unpack_sheet
from toolkit.xml_search import found, use_re2

# Below this much sheet XML, forking a helper costs more than it saves.
HELPER_MIN_BYTES = 1024**2

class SheetScan(collections.namedtuple("SheetScan", ["formulas_without_result", "date_only_cells", "data"])):
    """The findings of one sheet's scan.

    ``formulas_without_result`` is the 0-based (row, column) of each formula
    cell with no saved result. ``date_only_cells`` is the 0-based row and
    column of each cell with a date-only number format, as alternating
    numbers. It is None when the scan ran here and kept ``data`` (the sheet's
    XML) instead, and when the helper did not look for the cells (see
    may_hold_times). The class is a collections.namedtuple rather than a
    typing.NamedTuple because this module is imported before reading starts,
    and importing typing took 3 ms.
    """

    __slots__ = ()

    formulas_without_result: set[tuple[int, int]]
    date_only_cells: Sequence[int] | None
    data: bytes | None


def scan_here(path: Path, entry: zipfile.ZipInfo, name: str) -> SheetScan:
    """Scan a sheet in this thread, raising WorkbookUnreadable when calamine must not parse it."""
    data = unpack_sheet(path, entry, name)
    return SheetScan(find_unsaved_formulas(data), None, data)


# A cell whose formula has no saved result: <c r="E7"><f>TODAY()</f><v></v></c>, or a
# shared formula <f t="shared" si="0"/>, followed by an empty or absent <v>.
# Group 2 is the empty <v>, when there is one.
_UNSAVED_FORMULA = re.compile(
    rb"<(?:\w+:)?c\s([^>]*[^/>])>\s*"
    rb"<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)\s*"
    rb"(<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*"
    rb"</(?:\w+:)?c>"
)
# LibreOffice 7.4 saves a formula whose result is empty text as t="str" with an empty <v>.
_TEXT_RESULT = re.compile(rb'(?:^|\s)t="str"')
_CELL_TAG_START = re.compile(rb"<(?:\w+:)?c\s")
# The end of a formula: </f>, </x:f>, or a shared master's (see toolkit.xml_search).
_FORMULA_END = re.compile(rb"f>")
_CELL_REFERENCE = re.compile(rb"""\sr=["']([A-Z]+)(\d+)["']""")


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


def _cell_position(data: bytes, tag_start: int, tag_end: int) -> tuple[int, int] | None:
    """Return the 0-based (row, column) named by the r attribute of the tag in ``data[tag_start:tag_end]``."""
    reference = _CELL_REFERENCE.search(data, tag_start, tag_end)
    if reference is None:
        return None
    return int(reference.group(2)) - 1, _column_index(reference.group(1))


def find_unsaved_formulas(data: bytes) -> set[tuple[int, int]]:
    """Return the 0-based (row, column) of each formula cell in a sheet's XML with no saved result.

    Excel and LibreOffice save each formula's result. A program that writes
    formulas without calculating them leaves the result out, so calamine reads
    the cell as blank.
    """
    cells: set[tuple[int, int]] = set()
    if not found(_FORMULA_END, data):  # every formula ends in </f> or </x:f>, or its shared master does
        return cells
    for match in _UNSAVED_FORMULA.finditer(data):
        if match.group(2) is not None and _TEXT_RESULT.search(match.group(1)):
            continue  # a saved result that is empty text, such as =IF(A2="","",A2)
        position = _cell_position(data, match.start(1) - 1, match.end(1))
        if position is not None:
            cells.add(position)
    return cells


def style_attribute(date_only: set[int]) -> re.Pattern | None:
    """Return a pattern for the style attribute of the given cell styles, or None for no styles.

    Searching for the attribute alone took 5 ms on the 9 MB Escalations sheet
    of a 1,000-resident benchmark workbook, against 110 ms for a whole-tag
    pattern, so each hit is checked afterwards to sit in a <c> tag.
    """
    if not date_only:
        return None
    styles = b"|".join(str(index).encode() for index in sorted(date_only))
    return re.compile(rb's="(?:' + styles + rb')"')


# A value with a fraction that is not zero: <v>46360.375</v>. Date-times are stored
# as day numbers, so a cell usually contains a time of day only if its value has a
# fraction, or if it is an ISO 8601 date-time (t="d").
_FRACTION_VALUE = re.compile(rb"v>[ \t\r\n]*-?[0-9]*\.[0-9]*[1-9]")
# The type of a cell written as an ISO 8601 date-time, in either kind of quotes. One
# search with re took half the time of two bytes membership tests.
_ISO_DATE_TYPE = re.compile(rb"""t=["']d["']""")


def may_hold_times(data: bytes) -> bool:
    """Return False when, judging by the usual ways of writing values, no cell can contain a time of day.

    This is a quick guess from the XML: a value written in exponent notation
    (4636037500000000E-11) escapes it. When the guess is False, the reading
    thread checks the parsed grid for times of day, so the result is exact.
    """
    return found(_FRACTION_VALUE, data) or found(_ISO_DATE_TYPE, data)


def date_only_cells(data: bytes, pattern: re.Pattern | None) -> array.array:
    """Return the 0-based row and column of each cell in ``pattern``'s styles, as alternating numbers."""
    cells = array.array("q")
    if pattern is None:
        return cells
    for hit in pattern.finditer(data):
        start = data.rfind(b"<", 0, hit.start())
        if not data[hit.start() - 1:hit.start()].isspace() or not _CELL_TAG_START.match(data, start):
            continue
        position = _cell_position(data, start, data.find(b">", hit.end()))
        if position is not None:
            cells.extend(position)
    return cells


def helper_worthwhile(total_bytes: int) -> bool:
    """Return True when sheets of ``total_bytes`` of XML are large enough for a helper to pay off."""
    return total_bytes >= HELPER_MIN_BYTES


class HelperScans:
    """The results of a forked helper that scans sheets in a given order.

    ``result`` waits for a sheet's result. It returns None for a sheet the
    helper did not scan (not in its list, or the helper stopped early, or no
    helper could be forked), which the caller then scans itself.
    """

    def __init__(self, path: Path, entries: dict[str, zipfile.ZipInfo], order: list[str],
                 date_only_styles):
        self.results: dict[str, Pending] = {name: Pending() for name in order}
        self.thread: threading.Thread | None = None
        helper = start_forked(lambda: _scan_sheets(path, entries, order, date_only_styles))
        if helper is None:  # forking not allowed here, or no process to spare: the readers scan every sheet
            self.results.clear()
            return
        thread = threading.Thread(target=self._collect, args=(helper,), name="handoff-scan-results", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # no thread to spare: stop the helper, and the readers scan every sheet
            helper.close()
            self.results.clear()
            return
        self.thread = thread

    def result(self, name: str) -> tuple | None:
        pending = self.results.get(name)
        return None if pending is None else pending.result()

    def _collect(self, helper: Forked) -> None:
        try:
            for name, result in helper:
                self.results[name].set_result(result)
        except Exception:  # noqa: BLE001 - out of memory, say: the readers scan the sheets left themselves
            helper.close()
        finally:
            for pending in self.results.values():
                if not pending.done():
                    pending.set_result(None)


def _scan_sheets(path: Path, entries: dict[str, zipfile.ZipInfo], order: list[str], date_only_styles):
    """Yield (sheet name, result) for each sheet in ``order``, in the helper process.

    Each result is ("ok", formulas without result, date-only cells or None) or
    ("refused", the message of WorkbookUnreadable). None stands for cells not
    looked for, because no value seemed to have a time of day.
    """
    use_re2()  # this process ends with os._exit (see toolkit.xml_search)
    with zipfile.ZipFile(path) as archive:
        pattern = style_attribute(date_only_styles(archive))
    for name in order:
        try:
            data = unpack_sheet(path, entries[name], name)
            if pattern is None or not found(pattern, data):
                cells = array.array("q")  # no cell has a date-only format
            elif may_hold_times(data):
                cells = date_only_cells(data, pattern)
            else:
                cells = None  # the reading thread checks the grid, and looks for the cells if need be
            result = ("ok", find_unsaved_formulas(data), cells)
        except WorkbookUnreadable as error:
            result = ("refused", str(error))
        yield name, result
