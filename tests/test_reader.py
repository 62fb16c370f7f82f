"""Tests for reading a facility workbook: finding sheets and header rows, forgiving
names, reordered and extra columns, blank rows, Settings, Standards, and the
committed blank workbook against the declarations in toolkit.schema."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from conftest import BASE_RESIDENT
from toolkit import schema
from toolkit.facility import load_facility
from toolkit.resources import workbook_templates_dir

AS_OF = dt.datetime(2026, 12, 4, 9, 0)

RESIDENT_HEADER = ["Resident ID", "Name", "Status", "Admitted on", "Case manager", "Consent to share"]
RESIDENT_ROW = ["R1", "Ada Example", "Active", dt.date(2026, 6, 1), "CM1", "Yes"]


def of_code(problems, code):
    return [(p.code, p.severity, p.sheet, p.row, p.column, p.cell, p.value) for p in problems if p.code == code]


def sheet_problems(problems, sheet):
    return [(p.code, p.cell) for p in problems if p.sheet == sheet]


def load_residents_grid(make_workbook, grid, sheet_name="Residents"):
    return make_workbook.load(AS_OF, grids={sheet_name: grid}, extra_sheets={"Residents": None})


# ---------------------------------------------------------------- header row search


def test_title_rows_above_header(make_workbook):
    grid = [
        ["Maple Grove residents"],
        ["Updated weekly by the wellness director"],
        [],
        RESIDENT_HEADER,
        RESIDENT_ROW,
        ["R2", "Bruno Sample", "Activ", dt.date(2026, 7, 1), "CM1", "Yes"],
    ]
    facility = load_residents_grid(make_workbook, grid)
    residents = facility.residents
    assert residents.header_row == 4
    assert [record.row for record in residents] == [5, 6]
    assert residents.records[0].get("Resident ID") == "R1"
    assert sheet_problems(facility.problems, "Residents") == [("VALUE-CHOICE", "C6")]


def test_header_in_row_ten_is_found(make_workbook):
    grid = [[f"note {number}"] for number in range(1, 10)] + [RESIDENT_HEADER, RESIDENT_ROW]
    facility = load_residents_grid(make_workbook, grid)
    assert facility.residents.header_row == 10
    assert [record.get("Resident ID") for record in facility.residents] == ["R1"]
    assert sheet_problems(facility.problems, "Residents") == []


def test_header_below_row_ten_is_missing(make_workbook):
    grid = [[f"note {number}"] for number in range(1, 11)] + [RESIDENT_HEADER, RESIDENT_ROW]
    facility = load_residents_grid(make_workbook, grid)
    assert facility.residents.records == []
    assert [(p.code, p.severity, p.row, p.column, p.cell) for p in facility.problems if p.sheet == "Residents"] == [
        ("COLUMN-MISSING", "error", None, column.name, "") for column in schema.RESIDENTS.required_columns
    ]


def test_title_row_naming_two_columns_is_not_header(make_workbook):
    # Two known names are neither three nor every required column, so the search goes on.
    grid = [["Resident ID", "Name"], RESIDENT_HEADER, RESIDENT_ROW]
    facility = load_residents_grid(make_workbook, grid)
    assert facility.residents.header_row == 2
    assert sheet_problems(facility.problems, "Residents") == []


def test_three_known_names_make_a_header(make_workbook):
    # Room, Notes and Name are three known names, even though the required columns are not all there.
    grid = [["Note", ""], ["Name", "Room", "Notes"], ["Ada Example", "101", ""]]
    facility = load_residents_grid(make_workbook, grid)
    assert facility.residents.header_row == 2
    assert [(p.code, p.column, p.row) for p in facility.problems if p.sheet == "Residents"] == [
        ("COLUMN-MISSING", "Resident ID", None),
        ("COLUMN-MISSING", "Status", None),
        ("COLUMN-MISSING", "Admitted on", None),
    ]


def test_every_required_column_makes_a_header(make_workbook):
    # Check-ins has two required columns, and a header of just those two is found.
    facility = make_workbook.load(AS_OF, grids={"Check-ins": [
        ["Weekly check-ins"],
        ["Held on", "Resident ID"],
        [dt.date(2026, 12, 1), "R1"],
    ]})
    assert facility.check_ins.header_row == 2
    assert [record.get("Resident ID") for record in facility.check_ins] == ["R1"]
    assert sheet_problems(facility.problems, "Check-ins") == []


@pytest.mark.parametrize("sheet_name, columns", [
    ("Settings", ["Setting", "Value"]),
    ("Standards", ["Category", "Respond within (hours)"]),
], ids=["settings", "standards"])
def test_settings_header_not_found(make_workbook, sheet_name, columns):
    grid = [["Facility settings"], ["Name", "Amount"], ["Time zone", "America/Chicago"]]
    facility = make_workbook.load(AS_OF, grids={sheet_name: grid})
    assert [(p.code, p.severity, p.row, p.column, p.cell) for p in facility.problems if p.sheet == sheet_name] == [
        ("SETTING-INVALID", "error", None, column, "") for column in columns
    ]
    assert of_code(facility.problems, "COLUMN-MISSING") == []
    assert facility.settings.timezone_name == "America/New_York"
    assert facility.standards == schema.DEFAULT_STANDARDS


# ---------------------------------------------------------------- forgiving names


@pytest.mark.parametrize("sheet_name", [
    "residents", "RESIDENTS", " Residents ", "Residents\u00a0",
], ids=["lower-case", "upper-case", "surrounding-spaces", "non-breaking-space"])
def test_forgiving_sheet_name(make_workbook, sheet_name):
    facility = make_workbook.load(
        AS_OF, residents=[], extra_sheets={"Residents": None, sheet_name: [dict(BASE_RESIDENT)]},
    )
    assert facility.residents.present
    assert facility.residents.name == sheet_name
    assert [record.get("Resident ID") for record in facility.residents] == ["R1"]
    assert [p for p in facility.problems if p.severity == "error"] == []


@pytest.mark.parametrize("sheet_name", [
    "authorization  map", "Authorization\u00a0Map", "AUTHORIZATION MAP",
], ids=["repeated-spaces", "non-breaking-space", "upper-case"])
def test_forgiving_map_sheet_name(make_workbook, sheet_name):
    from conftest import full_map

    facility = make_workbook.load(
        AS_OF, extra_sheets={"Authorization Map": None, sheet_name: full_map()},
    )
    assert len(facility.authorization_map) == len(schema.CORE_DOMAINS)
    assert [p for p in facility.problems if p.severity == "error"] == []


@pytest.mark.parametrize("header", [
    "resident id", "RESIDENT ID", " Resident ID ", "Resident  ID", "Resident\u00a0ID", "\u00a0Resident ID\u00a0",
    "Resident ID ★",
], ids=["lower-case", "upper-case", "surrounding-spaces", "repeated-spaces", "non-breaking-space",
        "non-breaking-surrounding", "star"])
def test_forgiving_header_name(make_workbook, header):
    grid = [[header] + RESIDENT_HEADER[1:], RESIDENT_ROW]
    facility = load_residents_grid(make_workbook, grid)
    assert [record.get("Resident ID") for record in facility.residents] == ["R1"]
    assert sheet_problems(facility.problems, "Residents") == []


# ---------------------------------------------------------------- columns


def test_reordered_columns(make_workbook):
    header = list(reversed(RESIDENT_HEADER))
    row = list(reversed(RESIDENT_ROW))
    facility = load_residents_grid(make_workbook, [header, row])
    record = facility.residents.records[0]
    assert record.get("Resident ID") == "R1"
    assert record.get("Admitted on") == dt.date(2026, 6, 1)
    assert record.cell("Resident ID") == "F2"
    assert sheet_problems(facility.problems, "Residents") == []


def test_extra_column_reported_once(make_workbook):
    header = RESIDENT_HEADER[:2] + ["Favourite meal"] + RESIDENT_HEADER[2:]
    rows = [RESIDENT_ROW[:2] + ["Soup"] + RESIDENT_ROW[2:],
            ["R2", "Bruno Sample", "Stew", "Active", dt.date(2026, 7, 1), "CM1", "Yes"]]
    facility = load_residents_grid(make_workbook, [header] + rows)
    assert of_code(facility.problems, "COLUMN-UNKNOWN") == [
        ("COLUMN-UNKNOWN", "warning", "Residents", 1, "", "C1", "Favourite meal"),
    ]
    assert [record.get("Status") for record in facility.residents] == ["Active", "Active"]


def test_duplicate_column(make_workbook):
    header = RESIDENT_HEADER + ["Room", "room "]
    row = RESIDENT_ROW + ["101", "999"]
    facility = load_residents_grid(make_workbook, [header, row])
    assert of_code(facility.problems, "COLUMN-DUPLICATE") == [
        ("COLUMN-DUPLICATE", "error", "Residents", 1, "Room", "H1", "room"),
    ]
    assert facility.residents.records[0].get("Room") == "101"


def test_near_duplicate_column_is_unknown(make_workbook):
    header = RESIDENT_HEADER + ["Room", "Room 2"]
    row = RESIDENT_ROW + ["101", "102"]
    facility = load_residents_grid(make_workbook, [header, row])
    assert of_code(facility.problems, "COLUMN-DUPLICATE") == []
    assert [(p.code, p.cell) for p in facility.problems if p.sheet == "Residents"] == [("COLUMN-UNKNOWN", "H1")]


def test_missing_optional_column_is_fine(make_workbook):
    facility = load_residents_grid(make_workbook, [RESIDENT_HEADER, RESIDENT_ROW])
    assert "Room" not in facility.residents.columns
    assert facility.residents.records[0].get("Room") is None
    assert sheet_problems(facility.problems, "Residents") == []


# ---------------------------------------------------------------- rows


def test_blank_rows_skipped(make_workbook):
    header = RESIDENT_HEADER + ["Favourite meal"]
    grid = [
        header,
        RESIDENT_ROW + [""],
        [],
        ["", "  ", None, "", "\u00a0", "", ""],
        ["", "", "", "", "", "", "Soup"],
        ["R2", "Bruno Sample", "Active", dt.date(2026, 7, 1), "CM1", "Yes", ""],
    ]
    facility = load_residents_grid(make_workbook, grid)
    assert [(record.row, record.get("Resident ID")) for record in facility.residents] == [(2, "R1"), (6, "R2")]
    assert of_code(facility.problems, "VALUE-REQUIRED") == []


def test_hidden_sheet_row_and_column_read(make_workbook):
    path = make_workbook(residents=[dict(BASE_RESIDENT), dict(BASE_RESIDENT, **{"Resident ID": "R2"})])
    book = openpyxl.load_workbook(path)
    residents = book["Residents"]
    residents.sheet_state = "hidden"
    residents.row_dimensions[3].hidden = True
    residents.column_dimensions["A"].hidden = True
    book.save(path)

    facility = load_facility(path, AS_OF)
    assert [record.get("Resident ID") for record in facility.residents] == ["R1", "R2"]
    assert [p for p in facility.problems if p.severity == "error"] == []


# ---------------------------------------------------------------- Settings


def test_settings_defaults_without_sheet(make_workbook):
    facility = make_workbook.load(AS_OF, name="maple-grove.xlsx")
    settings = facility.settings
    assert settings.facility_name == "maple-grove"
    assert settings.timezone_name == "America/New_York"
    assert settings.day_first is False
    assert settings.holidays == "US"
    for declared in schema.SETTING_DECLARATIONS:
        if declared.kind in ("days", "hours", "count"):
            assert settings.number(declared.name) == declared.default, declared.name


def test_blank_setting_takes_default(make_workbook):
    facility = make_workbook.load(AS_OF, settings={"Time zone": None, "Map due (days)": "", "Holidays": "N/A"})
    assert facility.settings.timezone_name == "America/New_York"
    assert facility.settings.number("Map due (days)") == 7
    assert facility.settings.holidays == "US"
    # N/A is a placeholder, which counts as blank with a warning on every sheet.
    assert sheet_problems(facility.problems, "Settings") == [("VALUE-PLACEHOLDER", "B4")]


def test_settings_overrides(make_workbook):
    facility = make_workbook.load(AS_OF, settings={
        "Facility name": "Maple Grove",
        "time zone": "America/Chicago",
        "Date order": "DMY",
        "Holidays": "US-OH",
        "Map due (days)": 10,
        " Gap resolution limit (days) ": "5",
        "Post-incident review (hours)": "48.5",
    })
    settings = facility.settings
    assert settings.facility_name == "Maple Grove"
    assert settings.timezone_name == "America/Chicago"
    assert settings.day_first is True
    assert settings.holidays == "US-OH"
    assert settings.number("Map due (days)") == 10
    assert settings.number("Gap resolution limit (days)") == 5
    assert settings.number("Post-incident review (hours)") == 48.5
    assert sheet_problems(facility.problems, "Settings") == []


def test_bad_time_zone(make_workbook):
    facility = make_workbook.load(AS_OF, settings={"Time zone": "Eastern"})
    assert of_code(facility.problems, "SETTING-INVALID") == [
        ("SETTING-INVALID", "error", "Settings", 2, "Value", "B2", "Eastern"),
    ]
    assert facility.settings.timezone_name == "America/New_York"


@pytest.mark.parametrize("name, value", [
    ("Map due (days)", "seven"),
    ("Falls cluster (falls)", "two falls"),
    ("Post-incident review (hours)", "3 days"),
    ("Map due (days)", "-3"),
    ("Map due (days)", "2.5"),
    ("Falls cluster (falls)", "0"),
], ids=["days-as-words", "count-as-words", "hours-as-words", "negative-days", "fractional-days", "zero-falls"])
def test_unusable_number_setting(make_workbook, name, value):
    facility = make_workbook.load(AS_OF, settings={name: value})
    assert of_code(facility.problems, "SETTING-INVALID") == [
        ("SETTING-INVALID", "error", "Settings", 2, "Value", "B2", value),
    ]
    declared = schema.SETTINGS_BY_KEY[schema.header_key(name)]
    assert facility.settings.number(name) == declared.default


@pytest.mark.parametrize("name, value", [
    ("Date order", "YMD"),
    ("Holidays", "Atlantis"),
], ids=["date-order", "holidays"])
def test_unusable_choice_setting(make_workbook, name, value):
    facility = make_workbook.load(AS_OF, settings={name: value})
    assert of_code(facility.problems, "SETTING-INVALID") == [
        ("SETTING-INVALID", "error", "Settings", 2, "Value", "B2", value),
    ]


def test_unknown_setting_name(make_workbook):
    facility = make_workbook.load(AS_OF, settings={"Map due": 10})
    problems = of_code(facility.problems, "SETTING-INVALID")
    assert problems == [("SETTING-INVALID", "error", "Settings", 2, "Setting", "A2", "Map due")]
    assert '"Map due (days)"' in [p for p in facility.problems if p.code == "SETTING-INVALID"][0].message


def test_time_zone_used_for_as_of(make_workbook):
    facility = make_workbook.load(AS_OF, settings={"Time zone": "America/Chicago"})
    assert facility.as_of == dt.datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
    assert facility.as_of.utcoffset() == dt.timedelta(hours=-6)


@pytest.mark.parametrize("time_zone, future", [
    ("America/Chicago", True),
    ("America/New_York", False),
], ids=["chicago-08-30", "new-york-09-30"])
def test_time_zone_decides_future(make_workbook, time_zone, future):
    # 14:30 UTC is 08:30 in Chicago and 09:30 in New York; the incident happened at 09:00 local time.
    as_of = dt.datetime(2026, 12, 4, 14, 30, tzinfo=dt.timezone.utc)
    facility = make_workbook.load(
        as_of, settings={"Time zone": time_zone},
        incidents=[{"Incident ID": "I1", "Resident ID": "R1", "Occurred at": "2026-12-04 09:00", "Type": "Fall"}],
    )
    assert facility.as_of.tzinfo == ZoneInfo(time_zone)
    expected = [("VALUE-FUTURE", "error", "Incidents", 2, "Occurred at", "C2", "2026-12-04 09:00")]
    assert of_code(facility.problems, "VALUE-FUTURE") == (expected if future else [])


# ---------------------------------------------------------------- Standards


def test_standards_defaults_without_sheet(make_workbook):
    facility = make_workbook.load(AS_OF)
    assert facility.standards == {
        "Falls cluster": 24, "Acute confusion": 4, "Medication harm risk": 4, "Refusal of essential care": 24,
        "Behavioral concern": 24, "Missed service": 24, "Other": 72,
    }


def test_standards_overrides(make_workbook):
    facility = make_workbook.load(AS_OF, standards={"Acute confusion": 2, " missed SERVICE ": "12"})
    assert facility.standards["Acute confusion"] == 2
    assert facility.standards["Missed service"] == 12
    assert facility.standards["Falls cluster"] == 24
    assert facility.standards["Other"] == 72
    assert sheet_problems(facility.problems, "Standards") == []


@pytest.mark.parametrize("hours", ["soon", "four hours"], ids=["word", "words"])
def test_standard_text_hours(make_workbook, hours):
    facility = make_workbook.load(AS_OF, standards={"Acute confusion": hours})
    assert [(p.code, p.severity, p.column, p.cell, p.value) for p in facility.problems if p.sheet == "Standards"] == [
        ("SETTING-INVALID", "error", "Respond within (hours)", "B2", hours),
    ]


def test_standard_misspelled_category(make_workbook):
    facility = make_workbook.load(AS_OF, standards={"Acute confusoin": 2})
    problems = [p for p in facility.problems if p.sheet == "Standards"]
    assert [(p.code, p.severity, p.cell, p.value) for p in problems] == [
        ("SETTING-INVALID", "error", "A2", "Acute confusoin"),
    ]
    assert '"Acute confusion"' in problems[0].message
    assert facility.standards["Acute confusion"] == 4


@pytest.mark.parametrize("hours", [0, -4, 10_000], ids=["zero", "negative", "absurd"])
def test_standard_out_of_range(make_workbook, hours):
    facility = make_workbook.load(AS_OF, standards={"Acute confusion": hours})
    assert [(p.code, p.cell) for p in facility.problems if p.sheet == "Standards"] == [("SETTING-INVALID", "B2")]


def test_standard_given_twice(make_workbook):
    facility = make_workbook.load(AS_OF, grids={"Standards": [
        ["Category", "Respond within (hours)"], ["Other", 48], ["other", 24],
    ]})
    assert [(p.code, p.cell) for p in facility.problems if p.sheet == "Standards"] == [("SETTING-INVALID", "A3")]
    assert facility.standards["Other"] == 48


# ---------------------------------------------------------------- the committed blank workbook


def template_book():
    return openpyxl.load_workbook(workbook_templates_dir() / "facility.xlsx")


def validations_by_column(worksheet) -> dict[str, list[str]]:
    """Return, per column letter, the list values of every list validation covering row 2 of it."""
    found: dict[str, list[str]] = {}
    for validation in worksheet.data_validations.dataValidation:
        if validation.type != "list":
            continue
        choices = validation.formula1.strip('"').split(",")
        for cell_range in validation.sqref.ranges:
            if cell_range.min_row <= 2 <= cell_range.max_row:
                for column in range(cell_range.min_col, cell_range.max_col + 1):
                    found[get_column_letter(column)] = choices
    return found


@pytest.mark.parametrize("declared", schema.SHEETS, ids=lambda declared: declared.name)
def test_template_headers_match_schema(declared):
    book = template_book()
    assert declared.name in book.sheetnames
    header = [cell.value for cell in book[declared.name][1]]
    assert header == [column.name for column in declared.columns]


@pytest.mark.parametrize("declared", schema.SHEETS, ids=lambda declared: declared.name)
def test_template_dropdowns_match_schema(declared):
    validations = validations_by_column(template_book()[declared.name])
    for index, column in enumerate(declared.columns, start=1):
        letter = get_column_letter(index)
        if column.type == schema.CHOICE:
            assert validations.get(letter) == list(column.choices), column.name


def test_template_sheet_order():
    names = template_book().sheetnames
    declared = [name for name in names if name in {sheet.name for sheet in schema.SHEETS}]
    assert declared == [sheet.name for sheet in schema.SHEETS]


def test_template_default_settings():
    rows = [row for row in template_book()["Settings"].iter_rows(min_row=2, values_only=True)
            if any(value is not None for value in row)]
    assert rows == [(declared.name, declared.default) for declared in schema.SETTING_DECLARATIONS]


def test_template_settings_directly_below_header():
    settings = template_book()["Settings"]
    assert settings["A2"].value == schema.SETTING_DECLARATIONS[0].name
    assert settings["A3"].value == schema.SETTING_DECLARATIONS[1].name


def test_template_default_standards():
    rows = [row for row in template_book()["Standards"].iter_rows(min_row=2, values_only=True)
            if any(value is not None for value in row)]
    assert rows == list(schema.DEFAULT_STANDARDS.items())
    assert template_book()["Standards"]["A2"].value == next(iter(schema.DEFAULT_STANDARDS))


def test_template_loads_without_problems():
    facility = load_facility(workbook_templates_dir() / "facility.xlsx", AS_OF)
    assert facility.problems == []
    assert facility.standards == schema.DEFAULT_STANDARDS
    assert Path(facility.path).name == "facility.xlsx"


# Reading machinery: garbage collection, records and the reading threads -----

def test_collector_paused_restores_state():
    import gc

    from toolkit.facility import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        rows = [{"row": number} for number in range(1000)]
    assert gc.isenabled()
    assert rows[999] == {"row": 999}
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_record_is_dict_with_identity(make_workbook):
    facility = make_workbook.load(dt.datetime(2026, 12, 4, 9),
                                  residents=[BASE_RESIDENT, {**BASE_RESIDENT, "Resident ID": "R2"}])
    first, second = facility.residents.records
    assert first.get("Resident ID") == "R1"
    assert first.get("No such column") is None
    assert first != second
    assert first == first
    assert len({first, second}) == 2
    assert bool(first)
    assert first.errors == frozenset()
    assert first.left_out is False


def test_record_errors_belong_to_one_row(make_workbook):
    facility = make_workbook.load(dt.datetime(2026, 12, 4, 9),
                                  residents=[BASE_RESIDENT, {**BASE_RESIDENT, "Resident ID": "R2"}])
    first, second = facility.residents.records
    first.mark_error("Room")
    assert first.has_error("Room")
    assert not second.has_error("Room")
    assert second.errors == frozenset()


def test_one_or_two_reading_threads_agree(make_workbook, monkeypatch):
    from toolkit import workbook

    path = make_workbook(
        residents=[{**BASE_RESIDENT, "Resident ID": f"R{number}", "Room": "Rm?"} for number in range(1, 40)],
        escalations=[{"Escalation ID": f"E{number}", "Resident ID": f"R{number}", "Category": "Other",
                      "Opened at": dt.datetime(2026, 12, 1, 8), "Contacted": "CM9"} for number in range(1, 30)],
    )
    results = []
    for threads in (1, 2):
        monkeypatch.setattr(workbook, "_reader_count", lambda threads=threads: threads)
        facility = load_facility(path, dt.datetime(2026, 12, 4, 9))
        results.append((
            [problem.to_dict() for problem in facility.problems],
            {name: [dict(record) for record in table] for name, table in facility.tables.items()},
        ))
    assert results[0] == results[1]
    assert any(problem["code"] == "REF-UNKNOWN" for problem in results[0][0])


def test_sheet_without_rows_is_present(make_workbook):
    from conftest import header_grid

    path = make_workbook(grids={"Authorization Map": header_grid("Authorization Map")}, escalations=[])
    facility = load_facility(path, dt.datetime(2026, 12, 4, 9))
    assert facility.tables["Authorization Map"].present
    assert "Resident ID" in facility.tables["Authorization Map"].columns
    assert len(facility.tables["Authorization Map"]) == 0
    assert facility.tables["Escalations"].present
    assert facility.missing_required_sheets == []


def test_sheet_names_match_schema():
    from toolkit import schema, sheet_names

    assert tuple(sheet.name for sheet in schema.SHEETS) == sheet_names.NAMES
    assert [sheet_names.reading_order(name) for name in sheet_names.NAMES] == [1, 1, 1, 1, 1, 1, 1, 0, 1]
    assert sheet_names.reading_order(" risk  register ") == 1
    assert sheet_names.reading_order("Instructions") is None
