"""Open a facility workbook file and return its sheets as grids of cell values.

python-calamine reads the file (it is several times faster than openpyxl; the
measurements are in docs/performance.md). The sheet XML is then searched for
two things calamine does not report: date cells whose format shows no time, and
formulas with no saved result. Everything that can go wrong with the file
itself ends here as a ``WorkbookUnreadable`` with one clear line.
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import os
import queue
import re
import stat
import threading
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from xml.etree import ElementTree

from toolkit.errors import WorkbookUnreadable
from toolkit.pending import Pending, as_ready
from toolkit.sheet_scan import (HelperScans, SheetScan, date_only_cells, helper_worthwhile, scan_here,
                                style_attribute)
from toolkit.xlsx_package import check_package, unpack_sheet
from toolkit.xml_search import found

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class SheetGrids(Mapping):
    """The grids of a workbook's sheets, read in the background by reading threads.

    python-calamine parses a sheet without holding the GIL, so while the
    caller reads the typed rows of one sheet, the threads parse the next ones.
    Looking a sheet up waits for it; a failure while reading it raises
    WorkbookUnreadable there. Iteration order is the workbook's sheet order.
    """

    def __init__(self, names: list[str], results: dict, load: Callable, threads: list[threading.Thread] = ()):
        self.names = names
        self.results = results
        self.load = load
        self.threads = list(threads)

    def finish(self, timeout: float = 2.0) -> None:
        """Wait for the reading threads (and the helper's) to end, once every sheet needed is read.

        With no other thread left, the process may fork again to share later work.
        """
        for thread in self.threads:
            thread.join(timeout)

    def _result(self, name: str) -> tuple[list[list], set[tuple[int, int]]]:
        if name not in self.names:
            raise KeyError(name)
        pending = self.results.get(name)
        if pending is None:  # not scheduled, or released: read it now
            return self.load(name)
        return pending.result()

    def __getitem__(self, name: str) -> list[list]:
        return self._result(name)[0]

    def in_order_read(self, names: list[str]):
        """Yield the given sheet names as their grids become ready, so none is waited for needlessly.

        Names that were not scheduled come last and are read when their turn comes.
        """
        pending = {self.results[name]: name for name in names if name in self.results}
        for result in as_ready(pending):
            yield pending[result]
        yield from (name for name in names if name not in pending.values())

    def release(self, name: str) -> None:
        """Forget a sheet's grid once its rows have been read, to free its memory."""
        result = self.results.pop(name, None)
        if result is not None:
            result.cancel()

    def __iter__(self):
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def unsaved_formulas(self, name: str) -> set[tuple[int, int]]:
        return self._result(name)[1]


class RawWorkbook:
    """The sheets of one workbook file, each a list of rows of cell values from A1.

    A plain class rather than a dataclass: this module is imported before
    reading starts (see toolkit.start), and importing dataclasses took 7 ms.
    """

    def __init__(self, path: Path, sheets: Mapping[str, list[list]], lock_file: Path | None,
                 unsaved_formulas: dict[str, set[tuple[int, int]]] | None = None, date1904: bool = False):
        self.path = path
        self.sheets = sheets
        self.lock_file = lock_file
        # Per sheet, the 0-based (row, column) of each formula cell with no saved result.
        self.unsaved_formulas = {} if unsaved_formulas is None else unsaved_formulas
        # True when serial day numbers count from 1904-01-01 instead of 1899-12-30.
        self.date1904 = date1904

    def formulas_without_result(self, name: str) -> set[tuple[int, int]]:
        if isinstance(self.sheets, SheetGrids):
            return self.sheets.unsaved_formulas(name)
        return self.unsaved_formulas.get(name, set())


def _refuse(path: Path, what: str) -> WorkbookUnreadable:
    return WorkbookUnreadable(f"{path.name}: {what}")


def _check_container(path: Path) -> dict[str, zipfile.ZipInfo]:
    """Raise WorkbookUnreadable unless ``path`` looks like an .xlsx package.

    Returns the zip entry of each worksheet, by sheet name, for ``unpack_sheet``.
    """
    if not path.exists():
        raise _refuse(path, "file not found. Check the path and file name.")
    if path.is_dir():
        raise _refuse(path, "is a folder, not a workbook file.")
    try:
        is_file = stat.S_ISREG(path.stat().st_mode)
    except OSError as error:
        raise _refuse(path, f"cannot be opened ({error.strerror}).") from error
    if not is_file:
        # A pipe or device can be read only once, and opening a named pipe waits for a writer.
        raise _refuse(path, "is not a file on disk but a pipe or device. Save the workbook as an .xlsx file "
                            "and give that file's name.")
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as error:
        raise _refuse(path, f"cannot be opened ({error.strerror}).") from error
    if not head:
        raise _refuse(path, "the file is empty (0 bytes). Restore it from a backup or run `handoff init`.")
    if head.startswith(_OLE_MAGIC):
        if _is_encrypted_package(path):
            raise _refuse(
                path,
                "the workbook is password-protected. Save a copy without a password "
                "(File > Info > Protect Workbook > Encrypt with Password, clear it) and use that.",
            )
        raise _refuse(
            path,
            "this is an old Excel 97-2003 (.xls) file. Open it in Excel or LibreOffice "
            "and save it as an Excel Workbook (.xlsx).",
        )
    if not head.startswith(_ZIP_MAGIC):
        raise _refuse(
            path,
            "not an Excel workbook (.xlsx); it may be a CSV or text file renamed. "
            "Open it in Excel and save it as an Excel Workbook (.xlsx).",
        )
    try:
        with zipfile.ZipFile(path) as archive, path.open("rb") as handle:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                raise _refuse(path, _not_a_workbook_advice(names))
            return check_package(path, archive, handle)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise _refuse(
            path, "the file is damaged or incomplete. Restore it from a backup or re-save it in Excel."
        ) from None


# An encrypted workbook is an OLE file with these two streams, and an .xls file has a "Workbook" stream.
_ENCRYPTION_STREAMS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))


def _is_encrypted_package(path: Path) -> bool:
    """Return True when the OLE file at ``path`` names an encrypted workbook's streams.

    The stream names sit in the OLE directory, which may lie anywhere in the
    file, so the whole file is searched a megabyte at a time.
    """
    overlap = max(len(marker) for marker in _ENCRYPTION_STREAMS)
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(1024**2):
            window = tail + chunk
            if any(marker in window for marker in _ENCRYPTION_STREAMS):
                return True
            tail = window[-overlap:]
    return False


def _not_a_workbook_advice(names: set[str]) -> str:
    """Return what a zip file without an Excel workbook part is, and what to do."""
    if "content.xml" in names and "mimetype" in names:
        return ("this is an OpenDocument spreadsheet (.ods) with an .xlsx name. Open it in LibreOffice and "
                "save it as Excel 2007-365 (.xlsx).")
    if "xl/workbook.bin" in names:
        return ("this is an Excel Binary Workbook (.xlsb). Open it in Excel and save it as an Excel "
                "Workbook (.xlsx).")
    return "this zip file is not an Excel workbook. Save the workbook as .xlsx and try again."


def find_lock_file(path: Path) -> Path | None:
    """Return Excel's lock file (``~$`` + name) beside ``path`` when it exists."""
    lock = path.with_name("~$" + path.name)
    return lock if lock.exists() else None


# The share of the workbook, by unpacked size, that the second reading thread
# reads smallest first. A third was quicker than none on the 5,000-resident
# benchmark workbook (4.1 s against 4.3 s for check) and no slower on 1,000.
_SMALL_SHEETS_SHARE = 0.3


def _reader_count() -> int:
    """Return how many threads parse sheets: one per core, at most two."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not available on macOS or Windows
        cores = os.cpu_count() or 1
    return max(1, min(2, cores))


def read_workbook(path: str | Path, first: Callable[[str], int] | None = None) -> RawWorkbook:
    """Open the workbook at ``path`` and start reading its sheets into grids of values.

    Grids start at cell A1, so ``grid[r][c]`` is Excel row ``r + 1``, column
    ``c + 1``. Blank cells are ``""``. Hidden sheets are read like any other.
    Sheets are read by background threads, lowest ``first(name)`` first (the
    order among equals is described where the threads start), so the caller
    can work on each sheet as soon as it is ready. Sheets for which ``first``
    returns None are read only when looked up.
    """
    path = Path(path)
    sheet_entries = _check_container(path)

    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
        if len(set(names)) < len(names):
            repeated = next(name for name in names if names.count(name) > 1)
            raise _refuse(
                path, f'the workbook lists two sheets named "{repeated}", which Excel does not allow, so the file '
                "is damaged. Restore it from a backup or re-save it in Excel."
            )
        with zipfile.ZipFile(path) as archive:
            date1904 = _uses_1904_dates(archive)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        raise _refuse(
            path, "the file is damaged or incomplete. Restore it from a backup or re-save it in Excel."
        ) from None
    except WorkbookUnreadable:
        raise
    except Exception as error:  # calamine raises its own error types for each format fault
        raise _unreadable(path, error) from None

    # A calamine workbook reads one sheet at a time, so each reading thread
    # takes a workbook of its own from this pool.
    books: queue.SimpleQueue = queue.SimpleQueue()
    books.put(book)
    styles: list[set[int] | None] = []
    styles_lock = threading.Lock()

    def date_only_styles() -> set[int]:
        with styles_lock:
            if not styles:
                with zipfile.ZipFile(path) as archive:
                    styles.append(_date_only_styles_or_none(archive))
            return styles[0]

    def load(name: str) -> tuple[list[list], set[tuple[int, int]]]:
        try:
            entry = sheet_entries.get(name)
            # Scanned first, so calamine never reads a part that would not stay bounded.
            found = helper.result(name) if helper is not None else None
            if entry is None:
                scan = SheetScan(set(), None, None)
            elif found is None:
                scan = scan_here(path, entry, name)
            elif found[0] == "refused":
                raise WorkbookUnreadable(found[1])
            else:
                scan = SheetScan(found[1], found[2], None)
            try:
                reader = books.get_nowait()
            except queue.Empty:
                reader = CalamineWorkbook.from_path(str(path))
            try:
                grid = reader.get_sheet_by_name(name).to_python(skip_empty_area=False)
            finally:
                books.put(reader)
            if scan.date_only_cells is not None:
                _keep_dates_only(grid, scan.date_only_cells)
            elif scan.data is not None:
                _drop_hidden_times(scan.data, date_only_styles(), grid)
            elif entry is not None and _has_time_of_day(grid):
                # The helper found date-only cells but judged from the XML that no value has a
                # time of day. The grid shows one, so the cells are looked for here.
                _drop_hidden_times(unpack_sheet(path, entry, name), date_only_styles(), grid)
            return grid, scan.formulas_without_result
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
            raise _refuse(
                path, "the file is damaged or incomplete. Restore it from a backup or re-save it in Excel."
            ) from None
        except WorkbookUnreadable:
            raise
        except Exception as error:  # calamine raises its own error types for each format fault
            raise _unreadable(path, error, name) from None

    def size(name: str) -> int:
        entry = sheet_entries.get(name)
        return 0 if entry is None else entry.file_size

    if first is None:
        order = names
    else:
        ranked = [name for name in names if first(name) is not None]
        order = sorted(ranked, key=lambda name: (first(name), -size(name)))
    results = {name: Pending() for name in order}
    small_budget = _SMALL_SHEETS_SHARE * sum(size(name) for name in order)
    scanned = [name for name in _scan_order(order, size, small_budget) if name in sheet_entries]
    helper = None
    if helper_worthwhile(sum(size(name) for name in scanned)):
        helper = HelperScans(path, sheet_entries, scanned, _date_only_styles_or_none)
    pending = collections.deque(order)
    pending_lock = threading.Lock()

    def read_pending(starts_small: bool) -> None:
        small_taken = 0
        while True:
            with pending_lock:
                if not pending:
                    return
                if starts_small and small_taken + size(pending[-1]) <= small_budget:
                    name = pending.pop()
                    small_taken += size(name)
                else:
                    name = pending.popleft()
            result = results[name]
            if not result.start():
                continue  # released before it was read
            try:
                result.set_result(load(name))
            except Exception as error:  # raised again where the caller looks the sheet up
                result.set_exception(error)

    # python-calamine parses a sheet without holding the GIL, so two threads
    # parse two sheets at once while the caller works on a third. The first
    # thread takes the sheets in order, the largest first among equal ranks.
    # The second starts with the smallest sheets, so the caller has rows to
    # read while the largest are parsed, then joins the first.
    threads = [] if helper is None or helper.thread is None else [helper.thread]
    for index in range(_reader_count()):
        thread = threading.Thread(target=read_pending, args=(index == 1,), name=f"handoff-read-{index}", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # the process may start no more threads (a low ulimit -u)
            break
        threads.append(thread)
    if not any(thread.name.startswith("handoff-read-") for thread in threads):
        results.clear()  # no reading thread: each sheet is read when it is looked up
    return RawWorkbook(path=path, sheets=SheetGrids(names, results, load, threads), lock_file=find_lock_file(path),
                       date1904=date1904)


# Workbooks whose reading started before the command line was parsed, by path as given.
_early: dict[str, RawWorkbook] = {}


def start_early(path: str) -> None:
    """Start reading the workbook at ``path`` for a command that will load it (see toolkit.start).

    A file that cannot be read is left alone here: the command reads it
    again and reports the problem the usual way.
    """
    from toolkit.sheet_names import reading_order

    try:
        _early[path] = read_workbook(path, first=reading_order)
    except Exception:  # noqa: BLE001 - reported when the command reads the file itself
        return


def take_early(path: str | Path) -> RawWorkbook | None:
    """Return the workbook whose reading ``start_early`` started for this path, once, or None."""
    return _early.pop(str(path), None) if _early else None


# Scanning a sheet in the helper took about an eighth of the time calamine took to parse it
# (measured on the 1,000-resident benchmark workbook).
_SCAN_SHARE = 0.12


def _scan_order(order: list[str], size: Callable[[str], int], small_budget: float) -> list[str]:
    """Return the order in which the helper scans the sheets, so the reading threads wait least.

    Parsing time is taken to grow with a sheet's size. The order follows the
    two reading threads as ``read_pending`` runs them: the thread that has
    parsed fewer bytes takes the next sheet. Sheets are then scanned by the
    time their thread needs them plus their own scanning time, so a small
    sheet needed at about the same time as a large one goes first.

    The helper scans every sheet, also the first large one, which the first
    thread waits for: the helper searches with RE2, and took less time than
    that thread took to scan the sheet itself with re.
    """
    pending = collections.deque(order)
    parsed = [0, 0]
    small_taken = 0
    needed_at = {}
    while pending:
        second = parsed[1] < parsed[0]
        if second and small_taken + size(pending[-1]) <= small_budget:
            name = pending.pop()
            small_taken += size(name)
        else:
            name = pending.popleft()
        needed_at[name] = parsed[second] + _SCAN_SHARE * size(name)
        parsed[second] += size(name)
    return sorted(needed_at, key=needed_at.__getitem__)


_DATE_1904 = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904=\"(?:1|true)\"")


def _uses_1904_dates(archive: zipfile.ZipFile) -> bool:
    """Return True when the workbook counts serial day numbers from 1904 (old Mac Excel)."""
    try:
        return bool(_DATE_1904.search(archive.read("xl/workbook.xml")))
    except KeyError:
        return False


def _unreadable(path: Path, error: Exception, sheet: str | None = None) -> WorkbookUnreadable:
    """Return the error for a file calamine cannot read.

    calamine's own message can quote a cell's contents, such as a resident's
    name in a cell marked as an error value, so it is not repeated.
    """
    where = f'sheet "{sheet}" of the workbook' if sheet else "the workbook"
    return _refuse(path, f"{where} cannot be read: the file is damaged or was written by a program that does "
                         "not follow the .xlsx format. Re-save it in Excel or LibreOffice as .xlsx.")


# python-calamine returns a datetime for every date cell whose value has a time
# of day, whatever the cell's number format. By the workbook conventions a date
# whose format shows no time counts as a date only, so such cells are found from
# the styles and sheet XML and cut back to their date.

_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

# Built-in number formats that show a date and no time: mm-dd-yy, d-mmm-yy, d-mmm
# and mmm-yy (the built-in format table is openpyxl.styles.numbers.BUILTIN_FORMATS).
_BUILTIN_DATE_FORMATS = frozenset({14, 15, 16, 17})

_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|[_*].')
_FORMAT_BRACKETS = re.compile(r"\[([^\]]*)\]")


def _format_section(format_code: str) -> str:
    """Return the first section of a number format, lower case, without literals and colours.

    Quoted text, escaped characters and bracketed colours or locales are
    dropped. Elapsed-time brackets such as ``[h]`` keep their letters.
    """
    section = _FORMAT_LITERALS.sub("", format_code).split(";")[0]

    def keep_elapsed(match: re.Match) -> str:
        inner = match.group(1).casefold()
        return inner if inner and set(inner) <= set("hms") else ""

    return _FORMAT_BRACKETS.sub(keep_elapsed, section).casefold()


def format_shows_time(format_code: str) -> bool:
    """Return True when an Excel number format code displays hours, minutes or seconds."""
    section = _format_section(format_code)
    return "h" in section or "s" in section or "am/pm" in section or "a/p" in section


def format_shows_date_only(format_code: str) -> bool:
    """Return True when an Excel number format code displays a date and no time of day."""
    section = _format_section(format_code)
    return ("d" in section or "y" in section) and not format_shows_time(format_code)


def _date_only_styles(archive: zipfile.ZipFile) -> set[int]:
    """Return the indexes of cell styles whose number format shows a date and no time."""
    try:
        root = ElementTree.fromstring(archive.read("xl/styles.xml"))
    except KeyError:
        return set()
    custom = {
        int(number_format.get("numFmtId", -1)): number_format.get("formatCode", "")
        for number_format in root.iter(f"{_MAIN_NS}numFmt")
    }
    styles = set()
    cell_formats = root.find(f"{_MAIN_NS}cellXfs")
    for index, style in enumerate(cell_formats if cell_formats is not None else ()):
        format_id = int(style.get("numFmtId", 0))
        if format_id in custom:
            date_only = format_shows_date_only(custom[format_id])
        else:
            date_only = format_id in _BUILTIN_DATE_FORMATS
        if date_only:
            styles.add(index)
    return styles


def _date_only_styles_or_none(archive: zipfile.ZipFile) -> set[int]:
    try:
        return _date_only_styles(archive)
    except (ValueError, ElementTree.ParseError):
        return set()  # NOTE: unreadable styles leave the date-times as calamine returned them.


def _drop_hidden_times(data: bytes, date_only: set[int], grid: list[list]) -> None:
    """Replace date-times in cells formatted to show no time with their date.

    ``data`` is the sheet's XML and ``date_only`` the indexes of cell styles
    whose number format shows no time. The XML is searched only when the grid
    contains a date-time with a time of day.
    """
    pattern = style_attribute(date_only)
    if pattern is None or not found(pattern, data):
        return  # no cell of this sheet has a date-only format
    if _has_time_of_day(grid):
        _keep_dates_only(grid, date_only_cells(data, pattern))


def _has_time_of_day(grid: list[list]) -> bool:
    """Return True when some cell of the grid is a date-time whose time is not midnight."""
    # The type scan runs at C speed; only sheets containing date-times are walked in Python.
    if dt.datetime not in set(map(type, itertools.chain.from_iterable(grid))):
        return False
    midnight = dt.time(0)
    return any(type(value) is dt.datetime and value.time() != midnight for row in grid for value in row)


def _keep_dates_only(grid: list[list], cells) -> None:
    """Cut each date-time at the given cells (row and column, alternating) back to its date."""
    positions = iter(cells)
    for row, column in zip(positions, positions):
        if row < len(grid) and column < len(grid[row]) and isinstance(grid[row][column], dt.datetime):
            grid[row][column] = grid[row][column].date()
