"""Reading a column's cells: text read together, lists split, blank rows found.

The reader reads the plain texts of a text, ID or list column in one batch
and every other value one at a time. Both must follow the workbook
conventions for each cell, and match reading each cell alone.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import BASE_RESIDENT
from toolkit import schema
from toolkit.facility import Table, _blank_rows, _read_column, _Reader, load_facility

AS_OF = dt.datetime(2026, 12, 4, 9, 0)


def read(sheet: schema.Sheet, column_name: str, cells: tuple) -> tuple[list, list]:
    """Return the parsed values of ``cells`` and the (offset, codes) of each cell with problems."""
    reader = _Reader(Table(sheet=sheet, name=sheet.name), day_first=False, problems=[])
    parsed, flagged, _ = _read_column(reader, sheet.column(column_name), cells)
    return list(parsed), [(offset, [problem[0] for problem in outcome.problems]) for offset, outcome in flagged]


def test_text_cells_lose_outer_spaces():
    parsed, flagged = read(schema.RESIDENTS, "Room", ("  12B ", "12B", "Wing\u00a0A", "a  b", "x\ny"))
    assert parsed == ["12B", "12B", "Wing A", "a b", "x\ny"]
    assert flagged == []


def test_placeholder_and_blank_text_cells():
    parsed, flagged = read(schema.RESIDENTS, "Room", ("N/A", " ", "", "tbd", "Room 4"))
    assert parsed == [None, None, None, None, "Room 4"]
    assert flagged == [(0, ["VALUE-PLACEHOLDER"]), (3, ["VALUE-PLACEHOLDER"])]


def test_required_id_blank_is_flagged():
    parsed, flagged = read(schema.RESIDENTS, "Resident ID", ("R1", "  ", "R2 "))
    assert parsed == ["R1", None, "R2"]
    assert flagged == [(1, ["VALUE-REQUIRED"])]


def test_number_typed_in_id_column_reads_as_typed():
    parsed, _ = read(schema.RESIDENTS, "Resident ID", (1007.0, "1007"))
    assert parsed == ["1007", "1007"]


def test_list_cells_split_at_separators():
    parsed, flagged = read(schema.RESIDENTS, "Share with", ("CM1, HH1", "CM1;HH1", " CM1 ", "CM1,,", "N/A"))
    assert parsed == [["CM1", "HH1"], ["CM1", "HH1"], ["CM1"], ["CM1"], None]
    assert flagged == [(4, ["VALUE-PLACEHOLDER"])]


cell_text = st.one_of(
    st.text(alphabet="ab1 ,;\t\n\r\u00a0\u202f", max_size=8),
    st.sampled_from(["N/A", " tbd ", "R1", "R1, CM1", "-"]),
)
cell_values = st.one_of(
    cell_text, st.none(), st.floats(allow_nan=False), st.booleans(), st.integers(-2, 2),
    st.sampled_from(["Active", " active", "Yes", "no", "12", "1.5", "2026-12-04", "12/4/2026 9:00"]),
    st.dates(dt.date(2026, 1, 1), dt.date(2026, 1, 3)),
    st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 2)).map(lambda moment: moment.replace(microsecond=0)),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(cell_values, max_size=12),
       st.sampled_from([(schema.RESIDENTS, "Room"), (schema.RESIDENTS, "Resident ID"),
                        (schema.RESIDENTS, "Share with"), (schema.RESIDENTS, "Status"),
                        (schema.RESIDENTS, "Admitted on"), (schema.RESIDENTS, "Complex risk"),
                        (schema.AUTHORIZATION_MAP, "Response standard (hours)"),
                        (schema.ESCALATIONS, "Opened at")]))
def test_column_read_equals_cells_read_alone(cells, declared):
    sheet, column_name = declared
    together, flagged = read(sheet, column_name, tuple(cells))
    alone = [read(sheet, column_name, (value,)) for value in cells]
    assert together == [parsed[0] for parsed, _ in alone]
    # Equal is not enough where True == 1 == 1.0: each value keeps the type it has alone.
    assert [type(value) for value in together] == [type(parsed[0]) for parsed, _ in alone]
    assert flagged == [(offset, codes[0][1]) for offset, (_, codes) in enumerate(alone) if codes]


def test_row_blank_in_first_column_is_kept(make_workbook):
    # Row 3 has no Resident ID but a name, so it is a row with a missing ID, not a blank row.
    residents = [BASE_RESIDENT, {**BASE_RESIDENT, "Resident ID": ""}, {key: "" for key in BASE_RESIDENT},
                 {**BASE_RESIDENT, "Resident ID": "R3"}]
    facility = load_facility(make_workbook(residents=residents), AS_OF)
    assert [record.row for record in facility.residents.records] == [2, 3, 5]
    missing_id = [problem.row for problem in facility.problems
                  if problem.code == "VALUE-REQUIRED" and problem.column == "Resident ID"]
    assert missing_id == [3]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 3).flatmap(lambda width: st.lists(st.tuples(*[cell_values] * width), min_size=1, max_size=10)))
def test_blank_rows_all_cells_blank(rows):
    # Blank as a reader sees it: an empty cell, or text of spaces only (any kind of space).
    def blank(value):
        return value is None or (isinstance(value, str) and value.strip() == "")

    columns = list(zip(*rows))
    assert _blank_rows(columns) == {offset for offset, row in enumerate(rows) if all(map(blank, row))}
