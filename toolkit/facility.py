"""Turn the grids of a workbook file into typed tables, settings and problems.

``load_facility`` is the one entry point: it finds each declared sheet and its
header row, reads every cell by its column's type, reads Settings and
Standards, and runs the checks. The result carries every problem found and,
on each row, which columns had errors, so the due rules can tell a blank date
from an unreadable one.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import functools
import gc
import itertools
import operator
import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from toolkit import schema, values
from toolkit.errors import RequiredSheetMissing
from toolkit.forked import Forked
from toolkit.problems import ERROR, WARNING, Problem, column_letter
from toolkit.progress import ProgressCallback, no_progress
from toolkit.sheet_names import reading_order
from toolkit.workbook import RawWorkbook, read_workbook, take_early

HEADER_SEARCH_ROWS = 10


@dataclass
class Settings:
    """The facility's settings after defaults and validation."""

    facility_name: str
    timezone_name: str
    day_first: bool
    holidays: str
    numbers: dict[str, float]

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone_name)

    def number(self, name: str) -> float:
        """Return a numeric setting by its name as the Settings sheet spells it."""
        return self.numbers[schema.header_key(name)]


_NO_ERRORS: frozenset[str] = frozenset()


class Record(dict):
    """One data row of a sheet: its parsed values by column name, raw text and the columns with errors.

    The record is the dict of parsed values itself, so ``record.get(column)``
    returns a column's value, or None when the cell is blank or unreadable.
    Being a dict makes each of the hundreds of thousands of rows of a large
    workbook one object, built at C speed from the parsed columns. Records
    still compare and hash by identity, and are always true.
    """

    # "__dict__" is only created for a row that gets its own errors or is left out.
    __slots__ = ("table", "row", "__dict__")

    # Columns with an error: shared and empty until mark_error gives the row its own set.
    errors: set[str] | frozenset[str] = _NO_ERRORS
    # Set on the later row of a duplicate ID or resident-and-domain pair, which the due rules leave out.
    left_out: bool = False

    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    # The reader builds each record as Record(pairs of column name and value) and
    # then sets table and row (the Excel row number, 1-based). Leaving out a
    # Python __init__ keeps that at C speed. The cell values as read, for
    # messages, stay in the table's columns (Table.raw_columns).
    table: Table
    row: int

    def __bool__(self) -> bool:
        return True

    def text(self, column: str) -> str:
        """Return the cell's text as found in the workbook, with outer spaces removed."""
        table = self.table
        position = table.positions.get(column)
        if position is None:
            return ""
        raw = table.raw_columns[position][self.row - table.first_row]
        return "" if raw is None else values.clean_text(raw)

    def mark_error(self, column: str) -> None:
        """Record that a column of this row has an error, so rules treat it as unreadable."""
        if self.errors is _NO_ERRORS:
            self.errors = set()
        self.errors.add(column)

    def has_error(self, column: str) -> bool:
        return column in self.errors

    def is_blank(self, column: str) -> bool:
        """Return True when the cell is empty (placeholders count as empty)."""
        return self.get(column) is None and column not in self.errors

    def is_set(self, column: str) -> bool:
        """Return True when the cell contains a value, readable or not."""
        return not self.is_blank(column)

    def cell(self, column: str) -> str:
        return self.table.cell(column, self.row)

    def __repr__(self) -> str:
        return f"<Record {self.table.name}!{self.row}>"


# Below this many rows of the map, escalations, risks and incidents, the checks and
# the due rules take a few milliseconds, and forking to share them costs more than it saves.
SHARED_WORK_MIN_ROWS = 5000
_SHARED_WORK_TABLES = ("Authorization Map", "Escalations", "Risk Register", "Incidents")


def worth_sharing(facility: Facility) -> bool:
    """Return True when the checks and due rules are worth sharing with a forked process."""
    rows = sum(len(facility.tables[name].records) for name in _SHARED_WORK_TABLES)
    return rows >= SHARED_WORK_MIN_ROWS


@dataclass
class Table:
    """One declared sheet as found in the workbook."""

    sheet: schema.Sheet
    name: str  # the sheet's name as spelled in the workbook
    present: bool = False
    header_row: int | None = None
    columns: dict[str, int] = field(default_factory=dict)  # declared name -> 0-based index
    positions: dict[str, int] = field(default_factory=dict)  # declared name -> place in raw_columns
    records: list[Record] = field(default_factory=list)
    # The cells as read of each known column, one tuple per column from the row below the header,
    # blank rows included, and the Excel row number of that first row.
    raw_columns: list[tuple] = field(default_factory=list)
    first_row: int = 0
    # The distinct values, None left out, of each ID column that refers to a sheet (the IDs of
    # a list column), and of the sheet's own ID column, found while reading the cells.
    ids_found: dict[str, set[str]] = field(default_factory=dict)
    # How many rows have a value in the sheet's own ID column, when it was read.
    ids_filled: int | None = None

    def cell(self, column: str, row: int) -> str:
        index = self.columns.get(column)
        return "" if index is None else f"{column_letter(index)}{row}"

    def __iter__(self):
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


@dataclass
class Facility:
    """A loaded facility workbook: settings, standards, tables and problems."""

    path: Path
    as_of: dt.datetime
    settings: Settings
    standards: dict[str, float | None]
    tables: dict[str, Table]
    problems: list[Problem]
    lock_file: Path | None = None
    # A forked process working out due rules beside this one (see checks.run_checks), or None.
    forked: Forked | None = None

    def table(self, name: str) -> Table:
        return self.tables[name]

    @property
    def residents(self) -> Table:
        return self.tables["Residents"]

    @property
    def contacts(self) -> Table:
        return self.tables["Contacts"]

    @property
    def authorization_map(self) -> Table:
        return self.tables["Authorization Map"]

    @property
    def escalations(self) -> Table:
        return self.tables["Escalations"]

    @property
    def risk_register(self) -> Table:
        return self.tables["Risk Register"]

    @property
    def incidents(self) -> Table:
        return self.tables["Incidents"]

    @property
    def check_ins(self) -> Table:
        return self.tables["Check-ins"]

    @property
    def missing_required_sheets(self) -> list[str]:
        return [name for name, table in self.tables.items() if table.sheet.required and not table.present]

    def require_sheets(self, work: str = "due items") -> None:
        """Raise RequiredSheetMissing when a required sheet is absent, naming the ``work`` that needs it."""
        missing = self.missing_required_sheets
        if missing:
            names = ", ".join(f'"{name}"' for name in missing)
            raise RequiredSheetMissing(
                f"{self.path.name}: the required sheet {names} is missing, so {work} cannot be "
                "worked out. Run `handoff check` for details."
            )

    def index(self, table_name: str) -> dict[str, Record]:
        """Return the table's rows by ID key, the first row of each ID only."""
        table = self.tables[table_name]
        id_column = table.sheet.id_column
        by_id: dict[str, Record] = {}
        for record in table.records:
            identifier = record.get(id_column)
            if identifier is not None:
                by_id.setdefault(values.id_key(identifier), record)
        return by_id

    @property
    def residents_by_id(self) -> dict[str, Record]:
        return self._cached("residents", "Residents")

    @property
    def contacts_by_id(self) -> dict[str, Record]:
        return self._cached("contacts", "Contacts")

    @property
    def risks_by_id(self) -> dict[str, Record]:
        return self._cached("risks", "Risk Register")

    def _cached(self, slot: str, table_name: str) -> dict[str, Record]:
        cache = self.__dict__.setdefault("_indexes", {})
        if slot not in cache:
            cache[slot] = self.index(table_name)
        return cache[slot]

    def localize(self, value: dt.date | dt.datetime | None, end_of_day: bool = False) -> dt.datetime | None:
        """Return a workbook date or date-time as an aware moment in the facility's zone.

        A date with no time is the start of that day, or 23:59:59 with
        ``end_of_day`` (for a moment something is due).
        """
        if value is None:
            return None
        # The as-of moment is always in the facility's zone, and reading its zone is
        # quicker than looking the zone up by name on each of thousands of calls.
        # combine takes a fifth of the time of replace(tzinfo=...), and keeps the fold.
        if not isinstance(value, dt.datetime):
            return _combine(value, _END_OF_DAY if end_of_day else _START_OF_DAY, self.as_of.tzinfo)
        return _combine(value, value.time(), self.as_of.tzinfo)


_combine = dt.datetime.combine
_START_OF_DAY = dt.time(0)
_END_OF_DAY = dt.time(23, 59, 59)


@contextlib.contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector for the block, then restore its state.

    Reading a large workbook creates millions of objects and no garbage, and
    every automatic collection walks all the objects created so far again.
    Measured on the 1,000-resident benchmark workbook: reading the typed rows
    took 0.31 s with collection paused against 0.54 s without.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # Re-enabled as it is, the collector would walk every object made in the
            # block at its next run (0.13 s for a million small objects, measured).
            # Freezing and unfreezing moves them to the oldest generation without a
            # walk, where long-lived data belongs and later full collections see it.
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _problem(code, severity, table_name, row, column, cell, value, message) -> Problem:
    return Problem(code, severity, table_name, row, column, cell, value, message)


def _find_sheets(raw: RawWorkbook) -> tuple[dict[str, str], list[Problem]]:
    """Match workbook sheet names to declared sheets."""
    found: dict[str, str] = {}
    for name in raw.sheets:
        key = schema.header_key(name)
        declared = schema.SHEETS_BY_KEY.get(key)
        if declared and declared.name not in found:
            found[declared.name] = name

    problems = []
    unmatched = [name for name in raw.sheets if name not in found.values()]
    for declared in schema.SHEETS:
        if declared.name in found:
            continue
        hint = values.nearest(declared.name, unmatched)
        message = f'The workbook has no sheet named "{declared.name}".'
        if hint:
            message += f' Did you mean "{hint}"? Rename that sheet to "{declared.name}".'
        elif declared.required:
            message += " Add it (copy it from a workbook made by `handoff init`)."
        elif declared in (schema.SETTINGS, schema.STANDARDS):
            message += " The defaults are used; `handoff init` writes a sheet you can copy in."
        else:
            message += " Nothing is recorded there yet; add the sheet when you need it."
        severity = ERROR if declared.required else WARNING
        problems.append(_problem("SHEET-MISSING", severity, declared.name, None, "", "", "", message))
    return found, problems


def _locate_header(sheet: schema.Sheet, grid: list[list]) -> tuple[int | None, dict[int, object]]:
    """Return the 0-based header row index and the declared column found at each index."""
    required = {column.key for column in sheet.required_columns}
    for row_index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        keys = {
            index: schema.header_key(cell)
            for index, cell in enumerate(row)
            if isinstance(cell, str) and cell.strip()
        }
        known = {key for key in keys.values() if key in sheet.columns_by_key}
        if len(known) >= 3 or (required and required <= known):
            return row_index, keys
    return None, {}


class _Outcome:
    """What reading one raw value in one column gives: the parsed value and any problems.

    Outcomes depend only on the column and the raw value, so the reader keeps
    one per distinct value of a column and reuses it for every cell that
    holds the same value (choices, IDs and dates repeat a great deal).
    """

    __slots__ = ("parsed", "problems")

    def __init__(self, parsed, problems: tuple[tuple[str, str, str, str], ...] = ()):
        self.parsed = parsed
        self.problems = problems  # (code, severity, value shown, message)


_BLANK = _Outcome(None)


class _Reader:
    """Reads the cells of one table by their declared types."""

    def __init__(self, table: Table, day_first: bool, problems: list[Problem], date1904: bool = False):
        self.table = table
        self.day_first = day_first
        self.date1904 = date1904
        self.problems = problems
        self.settings_sheet = table.sheet in (schema.SETTINGS, schema.STANDARDS)

    def report_formula(self, record: Record, name: str) -> None:
        self.report(record, name, "VALUE-FORMULA", WARNING, "",
                    f"{name} contains a formula with no saved result (the file was written by a program "
                    "that does not calculate), so it counts as blank. Open the workbook in Excel or "
                    "LibreOffice, save it, and run this again.")

    def report(self, record: Record, column: str, code: str, severity: str, value: str, message: str) -> None:
        if severity == ERROR and self.settings_sheet:
            code = "SETTING-INVALID"  # a setting or standard that cannot be used
        self.problems.append(
            Problem(code, severity, self.table.name, record.row, column, record.cell(column), value, message)
        )
        if severity == ERROR:
            record.mark_error(column)

    def outcome(self, column: schema.Column, raw_value) -> _Outcome:
        """Read a raw value by the column's type, without reference to any row."""
        kind = column.type
        value_type = type(raw_value)
        if value_type is dt.date and kind in (schema.DATE, schema.DATETIME):
            return _Outcome(raw_value)
        if value_type is dt.datetime and kind == schema.DATETIME:
            return _Outcome(raw_value)
        if value_type is dt.datetime and kind == schema.DATE:
            return _Outcome(raw_value.date())
        if value_type is str and (kind is schema.TEXT or kind is schema.ID):
            text = values.clean_text(raw_value)
            if text and not values.is_placeholder(text):
                return _Outcome(text)

        name = column.name
        text = "" if raw_value is None or raw_value == "" else values.clean_text(raw_value)
        shown = "" if self.table.sheet is schema.RESIDENTS and name == "Name" else text
        problems: list[tuple[str, str, str, str]] = []

        if text and isinstance(raw_value, str) and values.is_placeholder(text):
            if not (column.type == schema.CHOICE and values.match_choice(text, column.choices)):
                problems.append(("VALUE-PLACEHOLDER", WARNING, shown,
                                 f'{name} "{values.for_message(text)}" is a placeholder and counts as blank. '
                                 "Enter the real value, or leave the cell empty."))
                text = ""
        if not text:
            if column.blank_means:
                return _Outcome(column.blank_means, tuple(problems))
            if column.required and self.table.sheet is not schema.SETTINGS:
                # A blank setting takes its default, so only data sheets require values.
                problems.append(("VALUE-REQUIRED", ERROR, "", f"{name} is required. Fill in this cell."))
            return _Outcome(None, tuple(problems)) if problems else _BLANK

        try:
            if kind in (schema.TEXT, schema.ID):
                parsed = text
            elif kind == schema.CHOICE:
                parsed = values.match_choice(text, column.choices)
                if parsed is None:
                    hint = values.nearest(text, column.choices)
                    advice = f'Did you mean "{hint}"?' if hint else "Pick a value from the dropdown list."
                    problems.append(("VALUE-CHOICE", ERROR, shown,
                                     f'{name} "{values.for_message(text)}" is not an allowed value. {advice} '
                                     f"Allowed: {', '.join(column.choices)}."))
                    return _Outcome(None, tuple(problems))
            elif kind == schema.DATE:
                parsed = values.parse_date(raw_value, self.day_first, self.date1904)
            elif kind == schema.DATETIME:
                parsed = values.parse_datetime(raw_value, self.day_first, self.date1904)
            elif kind == schema.YESNO:
                parsed = values.parse_yes_no(raw_value)
            elif kind == schema.NUMBER:
                parsed = values.parse_number(raw_value)
            elif kind == schema.LIST:
                # NOTE: one list is shared by every cell holding the same text, so callers must not change it.
                parsed = values.parse_id_list(raw_value)
            else:  # pragma: no cover - the schema declares only the types above
                raise AssertionError(kind)
        except ValueError as error:
            problems.append(("VALUE-TYPE", ERROR, shown, _type_message(name, kind, text, error)))
            return _Outcome(None, tuple(problems))
        return _Outcome(parsed, tuple(problems))


_EXPECTED = {
    schema.DATE: "a date such as 2026-12-05 or 12/5/2026",
    schema.DATETIME: "a date and time such as 2026-12-05 14:00 or 12/5/2026 2:00 PM",
    schema.YESNO: "Yes or No",
    schema.NUMBER: "a number",
}


def _type_message(name: str, kind: str, text: str, error: ValueError) -> str:
    return f'{name} "{values.for_message(text)}" {error}. Enter {_EXPECTED[kind]}.'


def _read_table(
    declared: schema.Sheet, sheet_name: str | None, grid: list[list] | None, day_first: bool,
    problems: list[Problem], unsaved_formulas: set[tuple[int, int]] = frozenset(), date1904: bool = False,
) -> Table:
    table = Table(sheet=declared, name=sheet_name or declared.name)
    if sheet_name is None:
        return table
    table.present = True

    header_index, header_keys = _locate_header(declared, grid)
    if header_index is None:
        code = "SETTING-INVALID" if declared in (schema.SETTINGS, schema.STANDARDS) else "COLUMN-MISSING"
        for column in declared.required_columns:
            problems.append(_problem(
                code, ERROR, table.name, None, column.name, "", "",
                f'No header row with the column "{column.name}" was found in the first '
                f"{HEADER_SEARCH_ROWS} rows of {table.name}. Add the header row "
                f"({', '.join(c.name for c in declared.required_columns)}).",
            ))
        return table
    table.header_row = header_index + 1

    header_cells = grid[header_index]
    for index, key in header_keys.items():
        column = declared.columns_by_key.get(key)
        cell = f"{column_letter(index)}{table.header_row}"
        if column is None:
            problems.append(_problem(
                "COLUMN-UNKNOWN", WARNING, table.name, table.header_row, "", cell,
                values.clean_text(header_cells[index]),
                f'Column "{values.clean_text(header_cells[index])}" is not one the toolkit knows, '
                "so it is ignored. Rename it if it was meant to be a known column.",
            ))
        elif column.name in table.columns:
            first = column_letter(table.columns[column.name])
            problems.append(_problem(
                "COLUMN-DUPLICATE", ERROR, table.name, table.header_row, column.name, cell,
                values.clean_text(header_cells[index]),
                f'Column "{column.name}" appears twice (columns {first} and {column_letter(index)}). '
                f"Only column {first} is read; rename or delete the other.",
            ))
        else:
            table.columns[column.name] = index
    for column in declared.required_columns:
        if column.name not in table.columns:
            code = "SETTING-INVALID" if declared in (schema.SETTINGS, schema.STANDARDS) else "COLUMN-MISSING"
            problems.append(_problem(
                code, ERROR, table.name, None, column.name, "", "",
                f'{table.name} has no "{column.name}" column. Add it to the header row '
                f"(row {table.header_row}).",
            ))

    reader = _Reader(table, day_first, problems, date1904)
    _read_rows(reader, grid, header_index + 1, unsaved_formulas)
    return table


def _is_blank(value) -> bool:
    return value is None or value == "" or (type(value) is str and not value.strip())


# The Python types a column of each kind keeps as they are: calamine already
# returns date cells as dates and date-time cells as date-times.
_KEPT_AS_READ = {
    schema.DATE: frozenset({dt.date}),
    schema.DATETIME: frozenset({dt.datetime, dt.date}),
}


# Values that can be equal across types (True == 1 == 1.0), so a set of a column's
# cells may keep one of them and lose the others' types.
_NUMERIC_TYPES = frozenset({bool, int, float})
_TEXT_ONLY = frozenset({str})


def _read_column(reader: _Reader, column: schema.Column, cells: tuple,
                 ids: bool = False) -> tuple[tuple | list, list, set | None]:
    """Return a column's parsed values, the offset and outcome of each cell that has problems, and its IDs.

    With ``ids``, for an ID or list column, the third value is the set of
    distinct values the column contains (for a list column, the IDs in its
    lists), None left out. Otherwise it is None.

    Each distinct value is read once and its outcome reused for every cell
    holding the same value (choices, IDs and dates repeat a great deal). The
    distinct values are found, and the parsed values looked up, at C speed.
    Dates and date-times of a date column are kept without a lookup, so a
    column of them costs almost nothing.

    On a large sheet each pass over a column's cells costs a memory access per
    cell, so the passes are kept few. The types are taken from the distinct
    values. A column whose cells all read as themselves (IDs and free text
    with nothing to clean) is returned as it is.
    """
    as_read = _KEPT_AS_READ.get(column.type, frozenset())
    distinct = None
    if as_read:
        types = set(map(type, cells))
        if types <= as_read:
            return cells, [], None
    else:
        distinct = set(cells)
        types = set(map(type, distinct))
        if not types.isdisjoint(_NUMERIC_TYPES):
            types = set(map(type, cells))
            distinct = None
    if bool in types:
        # True and 1.0 are equal dict keys, so a column containing booleans is keyed by type as well.
        keys = [("bool", value) if type(value) is bool else value for value in cells]
        values_of = dict(zip(keys, cells))
        distinct = set(keys)
    else:
        keys = cells
        values_of = None
        if distinct is None:
            distinct = set(keys)
    outcome = reader.outcome
    memo = {}
    all_different = len(distinct) == len(keys)
    parsed_of = {}
    if column.type is schema.TEXT or column.type is schema.ID or column.type is schema.LIST:
        parsed_of = _plain_texts([key for key in distinct if type(key) is str])
        distinct.difference_update(parsed_of)
        if column.type is schema.LIST:
            parsed_of = {key: values.split_id_list(text) for key, text in parsed_of.items()}
    for key in distinct:
        value = key if values_of is None else values_of[key]
        if type(value) in as_read:
            parsed_of[key] = value
        else:
            memo[key] = result = outcome(column, value)
            parsed_of[key] = result.parsed
    flagged = {key for key, result in memo.items() if result.problems}
    found_ids = None
    if ids:
        found_ids = (set(itertools.chain.from_iterable(filter(None, parsed_of.values())))
                     if column.type is schema.LIST else set(parsed_of.values()))
        found_ids.discard(None)
    # Every cell read as itself (str.strip returns the same text when it strips nothing).
    # Cells equal as values but of different types (1 and 1.0) would be read alike, so
    # repeated values qualify only when they are all texts.
    if (not flagged and values_of is None and (all_different or types <= _TEXT_ONLY)
            and all(map(operator.is_, parsed_of, parsed_of.values()))):
        return cells, [], found_ids
    parsed = list(map(parsed_of.__getitem__, keys))
    if not flagged:
        return parsed, [], found_ids
    return parsed, [(offset, memo[key]) for offset, key in enumerate(keys) if key in flagged], found_ids


_LONGEST_PLACEHOLDER = max(map(len, values.PLACEHOLDERS))


def _plain_texts(texts: list[str]) -> dict[str, str]:
    """Return, by text, the value read from each text cell that needs only its outer spaces removed.

    These are the texts ``values.clean_text`` strips and nothing else, and
    that are neither empty nor a placeholder, so reading them raises no
    problem. Most cells of text and ID columns are such texts, and this reads
    them together with one search for unusual spaces instead of one per text.
    """
    # The texts are searched joined first, as usually none has a line break, a double
    # space or an unusual space, and they are looked at one by one only when some do.
    joined = "\x00".join(texts)
    if "\n" in joined or "\r" in joined or "  " in joined:
        plain = [text for text in texts if "\n" not in text and "\r" not in text and "  " not in text]
        joined = "\x00".join(plain)
    else:
        plain = texts
    if values.has_unusual_space(joined):
        plain = [text for text in plain if not values.has_unusual_space(text)]
    stripped = list(map(str.strip, plain))
    read = dict(zip(plain, stripped))
    # Case folding never shortens a text, so only short ones can be placeholders.
    folded = set(map(str.casefold, [text for text in stripped if len(text) <= _LONGEST_PLACEHOLDER]))
    if "" in folded or not folded.isdisjoint(values.PLACEHOLDERS):
        read = {text: value for text, value in read.items() if value and not values.is_placeholder(value)}
    return read


def _blank_rows(raw_columns: list[tuple]) -> set[int]:
    """Return the offsets of the rows whose known columns are all blank.

    Only rows blank in the first column can be blank. The first column's
    distinct values are tested, and its rows holding a blank one are found at
    C speed, so the other columns are looked at for those rows alone.
    """
    first = raw_columns[0]
    blank_values = {value for value in set(first) if _is_blank(value)}
    if not blank_values:
        return set()
    candidates = itertools.compress(range(len(first)), map(blank_values.__contains__, first))
    return {offset for offset in candidates if all(_is_blank(cells[offset]) for cells in raw_columns)}


def _read_rows(reader: _Reader, grid: list[list], first_row: int, unsaved_formulas) -> None:
    """Read every data row below the header into records of the reader's table.

    The work runs column by column (see ``_read_column``), and records are
    built from the parsed columns at C speed with zip and map. A row whose
    known columns are all blank is skipped.
    """
    table = reader.table
    rows = grid[first_row:]
    if not rows:
        return
    lengths = set(map(len, rows))
    width = max(lengths)
    if len(lengths) > 1:
        rows = [row + [""] * (width - len(row)) for row in rows]
    names = list(table.columns)
    table.positions = {name: position for position, name in enumerate(names)}
    if not names:
        return  # no known column, so every row counts as blank
    indexes = [table.columns[name] for name in names]
    # Transposed at C speed. A declared column beyond the last cell of every row is blank.
    transposed = list(zip(*rows))
    raw_columns = [transposed[index] if index < width else ("",) * len(rows) for index in indexes]

    parsed_columns = []
    flagged_columns = []
    id_column = table.sheet.id_column
    for name, cells in zip(names, raw_columns):
        column = table.sheet.column(name)
        # The reference and duplicate-ID checks match these IDs instead of visiting every row.
        parsed, flagged, found_ids = _read_column(reader, column, cells, ids=bool(column.ref) or name == id_column)
        parsed_columns.append(parsed)
        flagged_columns.append(flagged)
        if found_ids is not None:
            table.ids_found[name] = found_ids
        if name == id_column:
            # A blank row's ID is None, like a blank ID, and blank rows get no record.
            table.ids_filled = len(parsed) - parsed.count(None)

    count = len(rows)
    blank = _blank_rows(raw_columns)
    # One record per row, None for a blank row, so a row's offset finds its record.
    records: list[Record | None] = list(map(Record, map(zip, itertools.repeat(names), zip(*parsed_columns))))
    set_each = functools.partial(collections.deque, maxlen=0)  # runs a map for its effect
    set_each(map(setattr, records, itertools.repeat("table"), itertools.repeat(table, count)))
    set_each(map(setattr, records, itertools.repeat("row"), range(first_row + 1, first_row + 1 + count)))
    table.raw_columns = raw_columns
    table.first_row = first_row + 1
    for offset in blank:
        records[offset] = None
    table.records.extend(records if not blank else [record for record in records if record is not None])

    for name, flagged in zip(names, flagged_columns):
        for offset, outcome in flagged:
            if records[offset] is not None:
                for code, severity, shown, message in outcome.problems:
                    reader.report(records[offset], name, code, severity, shown, message)

    name_of_index = dict(zip(indexes, names))
    for row_index, column_index in sorted(unsaved_formulas):
        offset = row_index - first_row
        name = name_of_index.get(column_index)
        if name is not None and 0 <= offset < len(records) and records[offset] is not None:
            reader.report_formula(records[offset], name)


def _read_settings(table: Table, file_name: str, problems: list[Problem]) -> Settings:
    """Read the Settings table, falling back to the default of each unusable setting."""
    entries: dict[str, tuple[Record, str]] = {}
    for record in table.records:
        name = record.text("Setting")
        if not name:
            continue
        declared = schema.SETTINGS_BY_KEY.get(schema.header_key(name))
        if declared is None:
            hint = values.nearest(name, [s.name for s in schema.SETTING_DECLARATIONS])
            advice = f'Did you mean "{hint}"?' if hint else "Check the spelling against the Instructions sheet."
            problems.append(Problem(
                "SETTING-INVALID", ERROR, table.name, record.row, "Setting", record.cell("Setting"), name,
                f'Setting "{name}" is not a known setting, so it has no effect. {advice}',
            ))
            continue
        entries.setdefault(declared.key, (record, record.text("Value")))

    def invalid(record: Record, text: str, message: str) -> None:
        problems.append(Problem(
            "SETTING-INVALID", ERROR, table.name, record.row, "Value", record.cell("Value"), text, message,
        ))

    resolved: dict[str, object] = {}
    for declared in schema.SETTING_DECLARATIONS:
        record, text = entries.get(declared.key, (None, ""))
        if not text or values.is_placeholder(text):
            resolved[declared.key] = declared.default
            continue
        default_note = f"The default ({declared.default}) is used until it is fixed."
        if declared.kind == "text":
            resolved[declared.key] = text
        elif declared.kind == "timezone":
            try:
                if not TIME_ZONE_NAME.fullmatch(text.strip()):
                    raise ValueError(text)
                ZoneInfo(text.strip())
                resolved[declared.key] = text.strip()
            except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
                invalid(record, text, f'Time zone "{text}" is not a known IANA time zone name '
                        f"(such as America/Chicago). {default_note}")
                resolved[declared.key] = declared.default
        elif declared.kind == "date_order":
            order = text.strip().upper()
            if order not in ("MDY", "DMY"):
                invalid(record, text, f'Date order "{text}" must be MDY or DMY. {default_note}')
                order = declared.default
            resolved[declared.key] = order
        elif declared.kind == "holidays":
            calendar = text.strip()
            problem = _holiday_calendar_problem(calendar)
            if problem:
                invalid(record, text, f"Holidays {problem} {default_note}")
                calendar = declared.default
            resolved[declared.key] = calendar
        else:
            try:
                number = values.parse_number(text)
            except ValueError:
                invalid(record, text, f'{declared.name} "{text}" is not a number. {default_note}')
                resolved[declared.key] = declared.default
                continue
            whole = declared.kind in ("days", "count")
            ceiling = SETTING_CEILINGS[declared.kind]
            if (number < 0 or number > ceiling or (whole and number != int(number))
                    or (declared.kind == "count" and number < 1)):
                unit = "a whole number" if whole else "a number"
                floor = "1" if declared.kind == "count" else "0"
                invalid(record, text, f"{declared.name} must be {unit} from {floor} to {ceiling:,}. {default_note}")
                resolved[declared.key] = declared.default
                continue
            resolved[declared.key] = int(number) if whole else number

    numbers = {
        declared.key: resolved[declared.key]
        for declared in schema.SETTING_DECLARATIONS
        if declared.kind in ("days", "hours", "count")
    }
    return Settings(
        facility_name=str(resolved[schema.header_key("Facility name")] or Path(file_name).stem),
        timezone_name=str(resolved[schema.header_key("Time zone")]),
        day_first=resolved[schema.header_key("Date order")] == "DMY",
        holidays=str(resolved[schema.header_key("Holidays")]),
        numbers=numbers,
    )


# The shape of an IANA time zone name ("America/Indiana/Knox", "Etc/GMT+5"). Checking
# it first keeps odd text away from zoneinfo, which recurses once per "/" in a name.
TIME_ZONE_NAME = re.compile(r"[A-Za-z0-9_+-]{1,30}(?:/[A-Za-z0-9_+-]{1,30}){0,3}")

# Upper limits of numeric settings: ten years of days, one year of hours, and a
# falls count no facility would set. Larger values are typos, and unbounded ones
# would overflow date arithmetic.
SETTING_CEILINGS = {"days": 3650, "hours": 8760, "count": 1000}


def _holiday_calendar_problem(calendar: str) -> str | None:
    """Return why a Holidays setting cannot be used, or None when it can."""
    from toolkit.calendar import calendar_problem

    return calendar_problem(calendar)


# Standards above a week are taken as typos (hours typed as minutes, say).
MAX_STANDARD_HOURS = 24 * 7


def _read_standards(table: Table, problems: list[Problem]) -> dict[str, float | None]:
    standards: dict[str, float | None] = dict(schema.DEFAULT_STANDARDS)
    seen: set[str] = set()
    for record in table.records:
        category = record.get("Category")
        if category is None:
            continue
        hours = record.get("Respond within (hours)")
        column = "Respond within (hours)"
        if category in seen:
            problems.append(Problem(
                "SETTING-INVALID", ERROR, table.name, record.row, "Category", record.cell("Category"),
                category, f'The standard for "{category}" is given twice; only the first row is used. '
                "Delete one of the rows.",
            ))
            continue
        seen.add(category)
        if record.has_error(column):
            standards[category] = None  # the reader reported the unreadable or blank cell
        elif hours is None:
            problems.append(Problem(
                "SETTING-INVALID", ERROR, table.name, record.row, column, record.cell(column),
                record.text(column), f'The response standard for "{category}" is not a usable number '
                "of hours, so its escalations cannot be timed. Enter the hours, e.g. 24.",
            ))
            standards[category] = None
        elif hours <= 0 or hours > MAX_STANDARD_HOURS:
            problems.append(Problem(
                "SETTING-INVALID", ERROR, table.name, record.row, column, record.cell(column),
                record.text(column), f'The response standard for "{category}" must be more than 0 and '
                f"at most {MAX_STANDARD_HOURS} hours. Enter the hours, e.g. 24.",
            ))
            standards[category] = None
        else:
            standards[category] = hours
    return standards


def _settings_only(raw: RawWorkbook, found: dict[str, str], problems: list[Problem]) -> Settings:
    sheet_name = found.get("Settings", "")
    table = _read_table(
        schema.SETTINGS, found.get("Settings"), raw.sheets.get(sheet_name), False, problems,
        raw.formulas_without_result(sheet_name) if sheet_name else frozenset(),
    )
    return _read_settings(table, raw.path.name, problems)


def load_facility(
    path: str | Path | RawWorkbook, as_of: dt.datetime | dt.date | None = None, *,
    prepare_calendar: bool = False, progress: ProgressCallback = no_progress,
    due_rules: bool = False, due_horizon: int | None = None, due_json: bool = False,
) -> Facility:
    """Read, parse and check a facility workbook.

    ``as_of`` is a naive date-time or date in the facility's time zone (a date
    means the start of that day), or an aware date-time, which is converted.
    ``None`` means the start of today is not guessed: the caller must pass the
    moment it wants, so the result can be reproduced.

    With ``prepare_calendar``, for callers that go on to work out due items,
    the holiday calendar is loaded in the background while the sheets are read.
    ``progress`` is called as each sheet is read and when the checks are done.

    With ``due_rules``, for a caller that calls ``due.due_items`` once with
    the horizon ``due_horizon`` (None for the Due soon horizon setting), a
    large workbook's forked process works out part of the due rules right
    after its checks (see checks.run_checks). With ``due_json`` as well, for
    a caller that calls ``due.due_json_lines`` instead, that process sends
    its items' lines of the JSON report instead of the items.
    """
    with collector_paused():
        return _load(path, as_of, prepare_calendar, progress, due_rules, due_horizon, due_json)


def _prepare_calendar(setting: str) -> None:
    """Load the holiday dates of a Holidays setting, so the due rules find them ready."""
    from toolkit.calendar import calendar_problem

    calendar_problem(setting)  # an unusable calendar is reported by the Settings check, not here


def _load(path: str | Path | RawWorkbook, as_of: dt.datetime | dt.date | None, prepare_calendar: bool,
          progress: ProgressCallback, due_rules: bool = False, due_horizon: int | None = None,
          due_json: bool = False) -> Facility:
    if isinstance(path, RawWorkbook):
        raw = path
    else:
        # Started by toolkit.start for check and due, or read here.
        raw = take_early(path) or read_workbook(path, first=reading_order)
    problems: list[Problem] = []
    found, sheet_problems = _find_sheets(raw)
    problems.extend(sheet_problems)

    settings = _settings_only(raw, found, problems)
    if prepare_calendar:
        # Without cached holiday dates, the holidays package is imported (0.2 s in a measured run).
        # This thread can do that while the reading threads parse the large sheets.
        try:
            threading.Thread(target=_prepare_calendar, args=(settings.holidays,), daemon=True,
                             name="handoff-calendar").start()
        except RuntimeError:  # no thread to spare (a low ulimit -u): the due rules load the dates themselves
            pass
    declared_of = {sheet_name: schema.SHEETS_BY_KEY[schema.header_key(declared)]
                   for declared, sheet_name in found.items() if declared != "Settings"}
    in_order_read = getattr(raw.sheets, "in_order_read", None)
    sheet_names = list(declared_of) if in_order_read is None else in_order_read(list(declared_of))
    read: dict[str, Table] = {}
    steps = len(declared_of) + 1  # each sheet, then the checks
    for done, sheet_name in enumerate(sheet_names, start=1):
        declared = declared_of[sheet_name]
        read[declared.name] = _read_table(
            declared, sheet_name, raw.sheets[sheet_name], settings.day_first,
            problems, raw.formulas_without_result(sheet_name), raw.date1904,
        )
        if hasattr(raw.sheets, "release"):
            raw.sheets.release(sheet_name)
        progress(done, steps, "Reading workbook")
    if hasattr(raw.sheets, "finish"):
        raw.sheets.finish()
    # Tables keep the declared order, whichever sheet was ready first.
    tables = {
        declared.name: read[declared.name] if declared.name in read else _read_table(declared, None, None, False,
                                                                                     problems)
        for declared in schema.SHEETS
        if declared is not schema.SETTINGS
    }
    standards = _read_standards(tables.pop("Standards"), problems)

    facility = Facility(
        path=raw.path,
        as_of=resolve_as_of(as_of, settings.timezone),
        settings=settings,
        standards=standards,
        tables=tables,
        problems=problems,
        lock_file=raw.lock_file,
    )

    from toolkit.checks import run_checks

    then = None
    if due_rules:
        from toolkit.due import forked_rules

        then = functools.partial(forked_rules, horizon_days=due_horizon, json_lines=due_json)
    run_checks(facility, then)
    _withhold_names(facility)
    progress(steps, steps, "Reading workbook")
    return facility


# A value quoted in a problem's message, as the messages quote what was typed in a cell.
_QUOTED = re.compile(r'"([^"]*)"')


def _withhold_names(facility: Facility) -> None:
    """Replace a resident's name quoted in a problem's message with "[withheld]".

    Messages identify residents by Resident ID. A name appears in one when
    it was typed where an ID, date or choice belongs, and the message quotes
    the cell. The cell itself and its value as found stay in the problem, so
    the coordinator can still find and fix it.
    """
    names = {values.fold_spaces(name) for name in map(dict.get, facility.residents.records, itertools.repeat("Name"))
             if isinstance(name, str) and name.strip()}
    if not names:
        return
    withheld = f'"{values.WITHHELD}"'

    def quoted(match: re.Match) -> str:
        return withheld if values.fold_spaces(match.group(1)) in names else match.group(0)

    for position, problem in enumerate(facility.problems):
        if '"' in problem.message:
            message = _QUOTED.sub(quoted, problem.message)
            if message != problem.message:
                facility.problems[position] = replace(problem, message=message)


def resolve_as_of(as_of: dt.datetime | dt.date | None, timezone: ZoneInfo) -> dt.datetime:
    """Return the as-of moment as an aware date-time in the facility's zone."""
    if as_of is None:
        raise ValueError("an as-of moment is required")
    if not isinstance(as_of, dt.datetime):
        return dt.datetime.combine(as_of, dt.time(0), tzinfo=timezone)
    if as_of.tzinfo is None:
        return as_of.replace(tzinfo=timezone)
    return as_of.astimezone(timezone)
