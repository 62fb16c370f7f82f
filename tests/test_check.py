"""Tests for `handoff check`: every problem code on a small workbook that triggers it
and on a near miss that does not, and the command's text, JSON and exit status."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl.utils import get_column_letter

from conftest import BASE_CONTACTS, BASE_RESIDENT, full_map, header_grid
from toolkit import schema
from toolkit.errors import WorkbookUnreadable
from toolkit.facility import load_facility
from toolkit.cli import main

AS_OF = dt.datetime(2026, 12, 4, 9, 0)
AS_OF_TEXT = "2026-12-04T09:00"
SAMPLE = Path(__file__).parent.parent / "samples" / "facility.xlsx"
DATA = Path(__file__).parent / "data"


def found(problems, code):
    """Return (code, sheet, cell) of each problem with this code, in report order."""
    return [(p.code, p.sheet, p.cell) for p in problems if p.code == code]


def full_row(sheet_name: str, values: dict | None = None, **overrides) -> dict:
    """Return a row with every declared column of the sheet, in template order."""
    row = {column.name: None for column in schema.sheet(sheet_name).columns}
    row.update(values or {})
    row.update(overrides)
    return row


def cell(sheet_name: str, column: str, row: int = 2) -> str:
    """Return the cell of a declared column in a sheet written with full_row (template order)."""
    names = [declared.name for declared in schema.sheet(sheet_name).columns]
    return f"{get_column_letter(names.index(column) + 1)}{row}"


def resident(**overrides) -> dict:
    return full_row("Residents", BASE_RESIDENT, **overrides)


def map_row(**overrides) -> dict:
    return full_row("Authorization Map", {
        "Resident ID": "R1", "Domain": "Wound care", "Route": "Home health", "Provider": "Sunrise Home Health",
        "Contact ID": "HH1", "Authorization status": "Approved", "Requested on": dt.date(2026, 11, 1),
        "Authorized through": dt.date(2027, 1, 31), "Referral status": "Accepted",
        "Referral sent on": dt.date(2026, 11, 1), "Start confirmed on": dt.date(2026, 11, 10), "Gap": "None",
    }, **overrides)


def escalation(**overrides) -> dict:
    return full_row("Escalations", {
        "Escalation ID": "E1", "Resident ID": "R1", "Opened at": "2026-12-01 14:00", "Category": "Acute confusion",
        "Observed": "New confusion since lunch", "Decision needed": "Does she need a urine test today?",
        "Contacted": "HH1",
    }, **overrides)


def risk(**overrides) -> dict:
    return full_row("Risk Register", {
        "Risk ID": "RK1", "Resident ID": "R1", "Risk": "Falls", "Controls": "Night checks every 2 hours",
        "Warning signs": "Unsteady on turning", "Next step": "Call the case manager", "Owner": "CM1",
        "Opened on": dt.date(2026, 11, 1), "Status": "Active",
    }, **overrides)


def incident(**overrides) -> dict:
    return full_row("Incidents", {
        "Incident ID": "I1", "Resident ID": "R1", "Occurred at": "2026-12-02 03:10", "Type": "Fall",
    }, **overrides)


def check_in(**overrides) -> dict:
    return full_row("Check-ins", {"Held on": dt.date(2026, 12, 1), "Resident ID": "R1"}, **overrides)


def contact(**overrides) -> dict:
    return full_row("Contacts", {
        "Contact ID": "FAM1", "Name": "Sam Relative", "Organization": "Family", "Role": "Family",
    }, **overrides)


def every_sheet(make_workbook, **sheets) -> Path:
    """Build a workbook with every declared sheet; sheets not given are present but empty."""
    grids = {}
    for name, keyword in [("Escalations", "escalations"), ("Risk Register", "risks"),
                          ("Incidents", "incidents"), ("Check-ins", "check_ins")]:
        if keyword not in sheets:
            grids[name] = header_grid(name)
    sheets.setdefault("settings", {"Time zone": "America/New_York"})
    sheets.setdefault("standards", {})
    return make_workbook(grids=grids, **sheets)


def load_every_sheet(make_workbook, **sheets):
    return load_facility(every_sheet(make_workbook, **sheets), AS_OF)


# ---------------------------------------------------------------- a clean workbook


def test_every_sheet_workbook_is_clean(make_workbook):
    facility = load_every_sheet(make_workbook)
    assert facility.problems == []


# ---------------------------------------------------------------- SHEET-MISSING


def test_required_sheet_missing(make_workbook):
    facility = make_workbook.load(AS_OF, extra_sheets={"Contacts": None})
    problems = [p for p in facility.problems if p.code == "SHEET-MISSING" and p.sheet == "Contacts"]
    assert [(p.severity, p.row, p.column, p.cell) for p in problems] == [("error", None, "", "")]


def test_optional_sheet_missing(make_workbook):
    facility = make_workbook.load(AS_OF)
    assert [(p.sheet, p.severity) for p in facility.problems if p.code == "SHEET-MISSING"] == [
        ("Escalations", "warning"), ("Risk Register", "warning"), ("Incidents", "warning"),
        ("Check-ins", "warning"), ("Settings", "warning"), ("Standards", "warning"),
    ]


def test_misspelled_sheet_named_in_message(make_workbook):
    facility = make_workbook.load(AS_OF, extra_sheets={"Residents": None, "Residnets": [dict(BASE_RESIDENT)]})
    problems = [p for p in facility.problems if p.code == "SHEET-MISSING" and p.sheet == "Residents"]
    assert [p.severity for p in problems] == ["error"]
    assert '"Residnets"' in problems[0].message


def test_sheet_name_in_other_case_is_not_missing(make_workbook):
    facility = load_every_sheet(
        make_workbook, residents=[], extra_sheets={"Residents": None, "residents ": [dict(BASE_RESIDENT)]},
    )
    assert found(facility.problems, "SHEET-MISSING") == []


# ---------------------------------------------------------------- columns


def test_required_column_missing(make_workbook):
    row = dict(BASE_RESIDENT)
    del row["Status"]
    facility = make_workbook.load(AS_OF, residents=[row])
    problems = [p for p in facility.problems if p.code == "COLUMN-MISSING"]
    assert [(p.severity, p.sheet, p.row, p.column, p.cell) for p in problems] == [
        ("error", "Residents", None, "Status", ""),
    ]
    assert "Status" in problems[0].message


def test_optional_column_missing_is_fine(make_workbook):
    row = dict(BASE_RESIDENT)
    del row["Room"]
    facility = make_workbook.load(AS_OF, residents=[row])
    assert found(facility.problems, "COLUMN-MISSING") == []


def residents_grid(make_workbook, header, row):
    return make_workbook.load(AS_OF, extra_sheets={"Residents": None}, grids={"Residents": [header, row]})


RESIDENT_HEADER = ["Resident ID", "Name", "Status", "Admitted on"]
RESIDENT_CELLS = ["R1", "Ada Example", "Active", dt.date(2026, 6, 1)]


def test_duplicate_column(make_workbook):
    facility = residents_grid(make_workbook, RESIDENT_HEADER + ["STATUS"], RESIDENT_CELLS + ["Hospital"])
    assert [(p.code, p.severity, p.sheet, p.row, p.column, p.cell) for p in facility.problems
            if p.code == "COLUMN-DUPLICATE"] == [("COLUMN-DUPLICATE", "error", "Residents", 1, "Status", "E1")]


def test_distinct_columns_not_duplicate(make_workbook):
    facility = residents_grid(make_workbook, RESIDENT_HEADER + ["Room"], RESIDENT_CELLS + ["101"])
    assert found(facility.problems, "COLUMN-DUPLICATE") == []


def test_unknown_column(make_workbook):
    facility = residents_grid(make_workbook, RESIDENT_HEADER + ["Diet"], RESIDENT_CELLS + ["Soft"])
    assert [(p.code, p.severity, p.row, p.cell, p.value) for p in facility.problems if p.code == "COLUMN-UNKNOWN"] == [
        ("COLUMN-UNKNOWN", "warning", 1, "E1", "Diet"),
    ]


def test_known_column_not_unknown(make_workbook):
    facility = residents_grid(make_workbook, RESIDENT_HEADER + ["  notes "], RESIDENT_CELLS + ["Soft diet"])
    assert found(facility.problems, "COLUMN-UNKNOWN") == []


# ---------------------------------------------------------------- VALUE-REQUIRED


VALID_ROWS = {
    "Residents": resident,
    "Contacts": contact,
    "Authorization Map": map_row,
    "Escalations": escalation,
    "Risk Register": risk,
    "Incidents": incident,
    "Check-ins": check_in,
}
SHEET_KEYWORDS = {
    "Residents": "residents", "Contacts": "contacts", "Authorization Map": "authorization_map",
    "Escalations": "escalations", "Risk Register": "risks", "Incidents": "incidents", "Check-ins": "check_ins",
}


def load_one_row(make_workbook, sheet_name, row):
    """Load a workbook whose sheet contains ``row`` (the Contacts sheet keeps its base contacts too)."""
    rows = [full_row("Contacts", base) for base in BASE_CONTACTS] + [row] if sheet_name == "Contacts" else [row]
    return make_workbook.load(AS_OF, **{SHEET_KEYWORDS[sheet_name]: rows})


def one_row_cell(sheet_name, column):
    return cell(sheet_name, column, 5 if sheet_name == "Contacts" else 2)


STARRED = [
    (sheet.name, column.name)
    for sheet in schema.SHEETS
    if sheet.name in VALID_ROWS
    for column in sheet.required_columns
]


@pytest.mark.parametrize("sheet_name, column", STARRED, ids=[f"{sheet}-{column}" for sheet, column in STARRED])
def test_starred_value_required(make_workbook, sheet_name, column):
    facility = load_one_row(make_workbook, sheet_name, VALID_ROWS[sheet_name](**{column: None}))
    assert found(facility.problems, "VALUE-REQUIRED") == [
        ("VALUE-REQUIRED", sheet_name, one_row_cell(sheet_name, column)),
    ]


@pytest.mark.parametrize("sheet_name", list(VALID_ROWS))
def test_valid_rows_need_nothing(make_workbook, sheet_name):
    facility = load_one_row(make_workbook, sheet_name, VALID_ROWS[sheet_name]())
    assert found(facility.problems, "VALUE-REQUIRED") == []


NO_AUTHORIZATION = {"Authorization status": None, "Requested on": None, "Authorized through": None}

CONDITIONAL = [
    ("contact-for-facility-route", dict(Route="Facility", **{"Contact ID": None}, **NO_AUTHORIZATION),
     ["Contact ID"]),
    ("contact-for-home-health", {"Contact ID": None}, ["Contact ID"]),
    ("no-contact-when-not-needed", dict(Route="Not needed", **{"Contact ID": None}, **NO_AUTHORIZATION), []),
    ("authorization-for-home-health", {"Authorization status": None}, ["Authorization status"]),
    ("authorization-for-ltss", {"Route": "LTSS authorized service", "Authorization status": None},
     ["Authorization status"]),
    ("no-authorization-for-facility", dict(Route="Facility", **NO_AUTHORIZATION), []),
    ("no-authorization-for-family-add-on", dict(Route="Family-paid add-on", **NO_AUTHORIZATION), []),
    ("requested-on-when-requested", {"Authorization status": "Requested", "Requested on": None}, ["Requested on"]),
    ("requested-on-when-pending", {"Authorization status": "Pending", "Requested on": None}, ["Requested on"]),
    ("no-requested-on-when-approved", {"Requested on": None}, []),
    ("authorized-through-when-approved", {"Authorized through": None}, ["Authorized through"]),
    ("no-authorized-through-when-requested", {"Authorization status": "Requested", "Authorized through": None}, []),
    ("sent-on-when-sent", {"Referral status": "Sent", "Referral sent on": None}, ["Referral sent on"]),
    ("no-sent-on-when-accepted", {"Referral sent on": None}, []),
    ("noted-on-when-open", {"Gap": "Open"}, ["Gap noted on"]),
    ("noted-on-when-resolved", {"Gap": "Resolved", "Gap resolved on": dt.date(2026, 11, 20)}, ["Gap noted on"]),
    ("resolved-on-when-resolved", {"Gap": "Resolved", "Gap noted on": dt.date(2026, 11, 12)}, ["Gap resolved on"]),
    ("both-gap-dates-when-resolved", {"Gap": "Resolved"}, ["Gap noted on", "Gap resolved on"]),
    ("no-resolved-on-when-open", {"Gap": "Open", "Gap noted on": dt.date(2026, 11, 12)}, []),
    ("no-gap-dates-when-none", {"Gap": "None"}, []),
    ("no-gap-dates-when-blank", {"Gap": None}, []),
]


@pytest.mark.parametrize("overrides, columns", [case[1:] for case in CONDITIONAL],
                         ids=[case[0] for case in CONDITIONAL])
def test_conditional_value_required(make_workbook, overrides, columns):
    facility = make_workbook.load(AS_OF, authorization_map=[map_row(**overrides)])
    assert found(facility.problems, "VALUE-REQUIRED") == [
        ("VALUE-REQUIRED", "Authorization Map", cell("Authorization Map", column)) for column in columns
    ]


def test_conditional_column_absent(make_workbook):
    # The sheet has no Authorization status column, but a Home health row needs one.
    row = map_row()
    del row["Authorization status"]
    facility = make_workbook.load(AS_OF, authorization_map=[row])
    problems = [p for p in facility.problems if p.code == "VALUE-REQUIRED"]
    assert [(p.row, p.column) for p in problems] == [(2, "Authorization status")]
    assert "Add the column" in problems[0].message


# ---------------------------------------------------------------- VALUE-TYPE


TYPE_CASES = [
    ("Residents", "Admitted on", "soon", "June 1, 2026"),
    ("Residents", "Complex risk", "maybe", "x"),
    ("Escalations", "Opened at", "yesterday 2pm", "12/1/2026 2pm"),
    ("Escalations", "Needed by", "12/1/2026 2:75 PM", "12/1/2026 2:45 PM"),
    ("Authorization Map", "Response standard (hours)", "a day", "24"),
    ("Check-ins", "Held on", "Tuesday", "12/1/26"),
]


@pytest.mark.parametrize("sheet_name, column, bad, good", TYPE_CASES,
                         ids=[f"{case[0]}-{case[1]}" for case in TYPE_CASES])
def test_value_type(make_workbook, sheet_name, column, bad, good):
    facility = load_one_row(make_workbook, sheet_name, VALID_ROWS[sheet_name](**{column: bad}))
    problems = [p for p in facility.problems if p.code == "VALUE-TYPE"]
    assert [(p.code, p.sheet, p.cell, p.value) for p in problems] == [
        ("VALUE-TYPE", sheet_name, one_row_cell(sheet_name, column), bad),
    ]
    assert column in problems[0].message

    near_miss = load_one_row(make_workbook, sheet_name, VALID_ROWS[sheet_name](**{column: good}))
    assert found(near_miss.problems, "VALUE-TYPE") == []


# ---------------------------------------------------------------- VALUE-PLACEHOLDER


def test_value_placeholder(make_workbook):
    facility = make_workbook.load(AS_OF, residents=[resident(Room="TBD")])
    problems = [p for p in facility.problems if p.code == "VALUE-PLACEHOLDER"]
    assert [(p.code, p.severity, p.sheet, p.cell, p.value) for p in problems] == [
        ("VALUE-PLACEHOLDER", "warning", "Residents", cell("Residents", "Room"), "TBD"),
    ]


@pytest.mark.parametrize("sheet_name, column, value", [
    ("Residents", "Room", "TBD-2"),
    ("Authorization Map", "Authorization status", "Pending"),
], ids=["text-containing-placeholder", "pending-authorization"])
def test_value_placeholder_near_miss(make_workbook, sheet_name, column, value):
    overrides = {column: value}
    if column == "Authorization status":
        overrides["Authorized through"] = None
    facility = load_one_row(make_workbook, sheet_name, VALID_ROWS[sheet_name](**overrides))
    assert found(facility.problems, "VALUE-PLACEHOLDER") == []


# ---------------------------------------------------------------- VALUE-CHOICE


@pytest.mark.parametrize("sheet_name, column, value, nearest", [
    ("Authorization Map", "Authorization status", "Aproved", "Approved"),
    ("Authorization Map", "Route", "Home helth", "Home health"),
    ("Residents", "Status", "Activ", "Active"),
    ("Contacts", "Role", "case manager LTSS", None),
], ids=["authorization-status", "route", "resident-status", "role-far-off"])
def test_value_choice(make_workbook, sheet_name, column, value, nearest):
    facility = load_one_row(make_workbook, sheet_name, VALID_ROWS[sheet_name](**{column: value}))
    problems = [p for p in facility.problems if p.code == "VALUE-CHOICE"]
    assert [(p.code, p.sheet, p.cell, p.value) for p in problems] == [
        ("VALUE-CHOICE", sheet_name, one_row_cell(sheet_name, column), value),
    ]
    if nearest:
        assert f'"{nearest}"' in problems[0].message


@pytest.mark.parametrize("value", [" approved", "APPROVED", "approved\u00a0"], ids=repr)
def test_value_choice_near_miss(make_workbook, value):
    facility = make_workbook.load(AS_OF, authorization_map=[map_row(**{"Authorization status": value})])
    assert found(facility.problems, "VALUE-CHOICE") == []
    assert facility.authorization_map.records[0].get("Authorization status") == "Approved"


# ---------------------------------------------------------------- VALUE-FUTURE


# (sheet, column, value after the as-of time, value on the as-of day that is not after it)
FUTURE_CASES = [
    ("Escalations", "Opened at", "2026-12-04 10:00", "2026-12-04 09:00"),
    ("Escalations", "Contacted at", "2026-12-04 09:01", "2026-12-04"),
    ("Escalations", "Responded at", "12/5/2026", "12/4/2026 8:59 AM"),
    ("Escalations", "Decided at", "2026-12-04 2pm", "2026-12-04 9am"),
    ("Escalations", "Follow-up confirmed at", "2026-12-05", "2026-12-04"),
    ("Escalations", "Closed at", "2026-12-04 23:00", "2026-12-04 08:00"),
    ("Incidents", "Occurred at", "2026-12-04 09:30", "2026-12-04"),
    ("Check-ins", "Held on", "2026-12-05", "2026-12-04"),
    ("Authorization Map", "Requested on", "2026-12-05", "2026-12-04"),
    ("Authorization Map", "Referral sent on", "2026-12-05", "2026-12-04"),
    ("Authorization Map", "Start confirmed on", "2026-12-05", "2026-12-04"),
    ("Authorization Map", "Last reviewed on", "2026-12-05", "2026-12-04"),
    ("Authorization Map", "Gap noted on", "2026-12-05", "2026-12-04"),
    ("Authorization Map", "Gap resolved on", "2026-12-05", "2026-12-04"),
    ("Risk Register", "Opened on", "2026-12-05", "2026-12-04"),
    ("Risk Register", "Last reviewed on", "2026-12-05", "2026-12-04"),
    ("Risk Register", "Controls changed on", "2026-12-05", "2026-12-04"),
]


def future_row(sheet_name, column, value):
    overrides = {column: value}
    if sheet_name == "Escalations" and column != "Opened at":
        overrides["Opened at"] = "2026-12-01"
    if sheet_name == "Authorization Map" and column.startswith("Gap"):
        overrides.update({"Gap": "Resolved", "Gap noted on": "2026-11-01", "Gap resolved on": "2026-11-02"})
        overrides[column] = value
    return VALID_ROWS[sheet_name](**overrides)


@pytest.mark.parametrize("sheet_name, column, future, today", FUTURE_CASES,
                         ids=[f"{case[0]}-{case[1]}" for case in FUTURE_CASES])
def test_value_future(make_workbook, sheet_name, column, future, today):
    facility = load_one_row(make_workbook, sheet_name, future_row(sheet_name, column, future))
    assert found(facility.problems, "VALUE-FUTURE") == [("VALUE-FUTURE", sheet_name, cell(sheet_name, column))]

    near_miss = load_one_row(make_workbook, sheet_name, future_row(sheet_name, column, today))
    assert found(near_miss.problems, "VALUE-FUTURE") == []


@pytest.mark.parametrize("sheet_name, column, value", [
    ("Escalations", "Needed by", "2026-12-10 12:00"),
    ("Escalations", "Follow-up due", "2026-12-10 12:00"),
    ("Authorization Map", "Start date", "2026-12-10"),
    ("Authorization Map", "Authorized through", "2027-03-31"),
    ("Residents", "Admitted on", "2026-12-10"),
    ("Residents", "Stable from", "2026-12-10"),
], ids=["needed-by", "follow-up-due", "start-date", "authorized-through", "admitted-on", "stable-from"])
def test_planned_dates_may_lie_ahead(make_workbook, sheet_name, column, value):
    facility = load_one_row(make_workbook, sheet_name, VALID_ROWS[sheet_name](**{column: value}))
    assert found(facility.problems, "VALUE-FUTURE") == []


# ---------------------------------------------------------------- VALUE-RANGE


@pytest.mark.parametrize("hours", [-1, "-0.5", 10_000], ids=["negative", "negative-text", "absurd"])
def test_value_range(make_workbook, hours):
    facility = make_workbook.load(AS_OF, authorization_map=[map_row(**{"Response standard (hours)": hours})])
    assert found(facility.problems, "VALUE-RANGE") == [
        ("VALUE-RANGE", "Authorization Map", cell("Authorization Map", "Response standard (hours)")),
    ]


@pytest.mark.parametrize("hours", [0, 4, "24", 72], ids=["zero", "four", "text", "three-days"])
def test_value_range_near_miss(make_workbook, hours):
    facility = make_workbook.load(AS_OF, authorization_map=[map_row(**{"Response standard (hours)": hours})])
    assert found(facility.problems, "VALUE-RANGE") == []


# ---------------------------------------------------------------- ID-DUPLICATE


ID_SHEETS = [
    ("Residents", resident, "Resident ID", "R1"),
    ("Contacts", contact, "Contact ID", "FAM1"),
    ("Escalations", escalation, "Escalation ID", "E1"),
    ("Risk Register", risk, "Risk ID", "RK1"),
    ("Incidents", incident, "Incident ID", "I1"),
]


def load_rows(make_workbook, sheet_name, rows):
    if sheet_name == "Contacts":
        rows = [full_row("Contacts", base) for base in BASE_CONTACTS] + rows
    return make_workbook.load(AS_OF, **{SHEET_KEYWORDS[sheet_name]: rows})


@pytest.mark.parametrize("sheet_name, build, id_column, identifier", ID_SHEETS, ids=[case[0] for case in ID_SHEETS])
def test_id_duplicate_on_later_row(make_workbook, sheet_name, build, id_column, identifier):
    later_spelling = f" {identifier.lower()} "
    facility = load_rows(make_workbook, sheet_name, [build(), build(**{id_column: later_spelling})])
    first_row = 5 if sheet_name == "Contacts" else 2
    problems = [p for p in facility.problems if p.code == "ID-DUPLICATE"]
    assert [(p.code, p.sheet, p.cell) for p in problems] == [
        ("ID-DUPLICATE", sheet_name, cell(sheet_name, id_column, first_row + 1)),
    ]
    assert f"row {first_row}" in problems[0].message
    assert identifier in problems[0].message
    assert problems[0].value == identifier.lower()
    assert [record.left_out for record in facility.table(sheet_name)][-2:] == [False, True]


@pytest.mark.parametrize("sheet_name, build, id_column, identifier", ID_SHEETS, ids=[case[0] for case in ID_SHEETS])
def test_distinct_ids_not_duplicate(make_workbook, sheet_name, build, id_column, identifier):
    facility = load_rows(make_workbook, sheet_name, [build(), build(**{id_column: identifier + "A"})])
    assert found(facility.problems, "ID-DUPLICATE") == []


# ---------------------------------------------------------------- ROW-DUPLICATE


def test_row_duplicate_at_later_domain(make_workbook):
    rows = [map_row(), map_row(**{"Resident ID": "r1 ", "Domain": "wound care"})]
    facility = make_workbook.load(AS_OF, authorization_map=rows)
    problems = [p for p in facility.problems if p.code == "ROW-DUPLICATE"]
    assert [(p.code, p.sheet, p.row, p.column, p.cell) for p in problems] == [
        ("ROW-DUPLICATE", "Authorization Map", 3, "Domain", cell("Authorization Map", "Domain", 3)),
    ]
    assert "row 2" in problems[0].message
    assert [record.left_out for record in facility.authorization_map] == [False, True]


def test_row_duplicate_names_defining_spelling(make_workbook):
    residents = [resident(**{"Resident ID": "R-1007"})]
    rows = [map_row(**{"Resident ID": "r-1007"}), map_row(**{"Resident ID": "r-1007"})]
    facility = make_workbook.load(AS_OF, residents=residents, authorization_map=rows)
    messages = [p.message for p in facility.problems if p.code == "ROW-DUPLICATE"]
    assert len(messages) == 1
    assert "R-1007" in messages[0]
    assert "r-1007" not in messages[0]


@pytest.mark.parametrize("rows", [
    [map_row(Domain="Other"), map_row(Domain="Other")],
    [map_row(), map_row(Domain="Bathing")],
    [map_row(), map_row(**{"Resident ID": "R2"})],
], ids=["domain-other-repeats", "other-domain", "other-resident"])
def test_row_duplicate_near_miss(make_workbook, rows):
    residents = [resident(), resident(**{"Resident ID": "R2"})]
    facility = make_workbook.load(AS_OF, residents=residents, authorization_map=rows)
    assert found(facility.problems, "ROW-DUPLICATE") == []


# ---------------------------------------------------------------- REF-UNKNOWN


REF_CASES = [
    ("Authorization Map", "Resident ID", "R9"),
    ("Authorization Map", "Contact ID", "HH9"),
    ("Residents", "Case manager", "CM9"),
    ("Contacts", "Backup contact", "CM9"),
    ("Escalations", "Resident ID", "R9"),
    ("Escalations", "Contacted", "HH9"),
    ("Escalations", "Follow-up owner", "CM9"),
    ("Risk Register", "Resident ID", "R9"),
    ("Risk Register", "Owner", "CM9"),
    ("Incidents", "Resident ID", "R9"),
    ("Incidents", "Risk ID", "RK9"),
    ("Check-ins", "Resident ID", "R9"),
]


def load_with_risk(make_workbook, sheet_name, row):
    """Load ``row`` into its sheet, with risk RK1 on the Risk Register unless the row is a risk."""
    sheets = {SHEET_KEYWORDS[sheet_name]: [row]}
    if sheet_name == "Contacts":
        sheets["contacts"] = [full_row("Contacts", base) for base in BASE_CONTACTS] + [row]
    if sheet_name != "Risk Register":
        sheets["risks"] = [risk()]
    return make_workbook.load(AS_OF, **sheets)


@pytest.mark.parametrize("sheet_name, column, unknown", REF_CASES, ids=[f"{case[0]}-{case[1]}" for case in REF_CASES])
def test_ref_unknown(make_workbook, sheet_name, column, unknown):
    facility = load_with_risk(make_workbook, sheet_name, VALID_ROWS[sheet_name](**{column: unknown}))
    problems = [p for p in facility.problems if p.code == "REF-UNKNOWN"]
    assert [(p.code, p.sheet, p.cell, p.value) for p in problems] == [
        ("REF-UNKNOWN", sheet_name, one_row_cell(sheet_name, column), unknown),
    ]


KNOWN_SPELLINGS = {"Resident ID": " r1", "Contact ID": "hh1 ", "Case manager": "cm1", "Backup contact": "Cm2",
                   "Contacted": "HH1", "Follow-up owner": " cm1 ", "Owner": "cM1", "Risk ID": "rk1"}


@pytest.mark.parametrize("sheet_name, column, unknown", REF_CASES, ids=[f"{case[0]}-{case[1]}" for case in REF_CASES])
def test_ref_known_in_other_spelling(make_workbook, sheet_name, column, unknown):
    row = VALID_ROWS[sheet_name](**{column: KNOWN_SPELLINGS[column]})
    facility = load_with_risk(make_workbook, sheet_name, row)
    assert found(facility.problems, "REF-UNKNOWN") == []


@pytest.mark.parametrize("sheet_name, column, build", [
    ("Residents", "Share with", lambda ids: resident(**{"Share with": ids})),
    ("Risk Register", "Shared with", lambda ids: risk(**{"Shared with": ids})),
    ("Check-ins", "Attendees", lambda ids: check_in(Attendees=ids)),
], ids=["share-with", "shared-with", "attendees"])
def test_ref_unknown_in_list(make_workbook, sheet_name, column, build):
    facility = load_with_risk(make_workbook, sheet_name, build("cm1; CM9\nHH1"))
    problems = [p for p in facility.problems if p.code == "REF-UNKNOWN"]
    assert [(p.code, p.sheet, p.cell, p.value) for p in problems] == [
        ("REF-UNKNOWN", sheet_name, cell(sheet_name, column), "CM9"),
    ]


def test_ref_unknown_hint_uses_defining_spelling(make_workbook):
    contacts = [full_row("Contacts", base) for base in BASE_CONTACTS] + [contact(**{"Contact ID": "FAM-01"})]
    facility = make_workbook.load(AS_OF, contacts=contacts, residents=[resident(**{"Case manager": "fam-1"})])
    problems = [p for p in facility.problems if p.code == "REF-UNKNOWN"]
    assert [p.value for p in problems] == ["fam-1"]
    assert '"FAM-01"' in problems[0].message


def test_ref_advice_within_budget(make_workbook, monkeypatch):
    from toolkit import checks

    # Residents R1 and R2 are the candidates, so each advice costs two comparisons: a budget
    # of four gives advice for the first two unknown IDs (in row order), and repeats reuse it.
    monkeypatch.setattr(checks, "ADVICE_COMPARISONS", 4)
    residents = [resident(), resident(**{"Resident ID": "R2", "Name": "Bruno Sample"})]
    unknown = ["R11", "R12", "R11", "R13", "R12"]
    escalations = [escalation(**{"Escalation ID": f"E{number}", "Resident ID": identifier})
                   for number, identifier in enumerate(unknown, start=1)]
    facility = make_workbook.load(AS_OF, residents=residents, escalations=escalations)
    problems = [p for p in facility.problems if p.code == "REF-UNKNOWN" and p.sheet == "Escalations"]
    assert [p.value for p in problems] == unknown
    assert ["Did you mean" in p.message for p in problems] == [True, True, True, False, True]


def test_references_to_missing_residents_sheet_not_checked(make_workbook):
    facility = make_workbook.load(
        AS_OF, extra_sheets={"Residents": None}, authorization_map=[map_row(**{"Resident ID": "R9"})],
        escalations=[escalation(**{"Resident ID": "R9"})],
    )
    assert found(facility.problems, "REF-UNKNOWN") == []
    assert ("SHEET-MISSING", "Residents", "") in found(facility.problems, "SHEET-MISSING")


def test_references_to_missing_contacts_sheet_not_checked(make_workbook):
    facility = make_workbook.load(
        AS_OF, extra_sheets={"Contacts": None}, residents=[resident(**{"Case manager": "CM9"})],
        risks=[risk(Owner="CM9", **{"Shared with": "CM9"})],
    )
    assert found(facility.problems, "REF-UNKNOWN") == []
    assert found(facility.problems, "CONSENT") == []


def test_reference_to_absent_risk_register(make_workbook):
    # An optional sheet that is absent contains nothing yet, so a Risk ID pointing there is unknown.
    facility = make_workbook.load(AS_OF, incidents=[incident(**{"Risk ID": "RK1"})])
    assert found(facility.problems, "REF-UNKNOWN") == [("REF-UNKNOWN", "Incidents", cell("Incidents", "Risk ID"))]


@pytest.mark.parametrize("consent", ["No", "Limited", None], ids=["consent-no", "consent-limited", "consent-blank"])
def test_unknown_contact_is_not_also_consent(make_workbook, consent):
    residents = [resident(**{"Consent to share": consent, "Share with": "CM9"})]
    facility = make_workbook.load(AS_OF, residents=residents, risks=[risk(**{"Shared with": "HH9"})])
    assert found(facility.problems, "REF-UNKNOWN") == [
        ("REF-UNKNOWN", "Residents", cell("Residents", "Share with")),
        ("REF-UNKNOWN", "Risk Register", cell("Risk Register", "Shared with")),
    ]
    assert found(facility.problems, "CONSENT") == []


# ---------------------------------------------------------------- DATE-ORDER


# (sheet, earlier column and value, later column and a value before it)
ORDER_CASES = [
    ("Escalations", "Opened at", "2026-12-01 14:00", "Contacted at", "2026-12-01 13:59"),
    ("Escalations", "Opened at", "2026-12-01 14:00", "Responded at", "2026-11-30 16:00"),
    ("Escalations", "Opened at", "2026-12-01 14:00", "Decided at", "2026-11-30"),
    ("Escalations", "Opened at", "2026-12-01", "Follow-up confirmed at", "2026-11-30 23:00"),
    ("Escalations", "Opened at", "2026-12-01 14:00", "Closed at", "2026-12-01 9am"),
    ("Authorization Map", "Gap noted on", "2026-11-10", "Gap resolved on", "2026-11-09"),
    ("Authorization Map", "Requested on", "2026-11-01", "Authorized through", "2026-10-31"),
    ("Authorization Map", "Requested on", "2026-11-01", "Start confirmed on", "2026-10-31"),
]


def order_row(sheet_name, earlier_column, earlier, later_column, later):
    overrides = {earlier_column: earlier, later_column: later}
    if sheet_name == "Authorization Map" and "Gap" in earlier_column:
        overrides["Gap"] = "Resolved"
    return VALID_ROWS[sheet_name](**overrides)


@pytest.mark.parametrize("sheet_name, earlier_column, earlier, later_column, later", ORDER_CASES,
                         ids=[f"{case[3]}-before-{case[1]}" for case in ORDER_CASES])
def test_date_order_at_later_column(make_workbook, sheet_name, earlier_column, earlier, later_column, later):
    row = order_row(sheet_name, earlier_column, earlier, later_column, later)
    facility = load_one_row(make_workbook, sheet_name, row)
    assert found(facility.problems, "DATE-ORDER") == [("DATE-ORDER", sheet_name, cell(sheet_name, later_column))]


# Same moment, or the same day where one side has no time, is in order.
IN_ORDER_CASES = [
    ("Escalations", "Opened at", "2026-12-01 14:00", "Responded at", "2026-12-01"),
    ("Escalations", "Opened at", "2026-12-01", "Responded at", "2026-12-01 00:30"),
    ("Escalations", "Opened at", "2026-12-01 14:00", "Contacted at", "2026-12-01 14:00"),
    ("Escalations", "Opened at", "2026-12-01 14:00", "Closed at", "Dec 1, 2026"),
    ("Authorization Map", "Gap noted on", "2026-11-10", "Gap resolved on", "2026-11-10"),
    ("Authorization Map", "Requested on", "2026-11-01", "Start confirmed on", "2026-11-01"),
]


@pytest.mark.parametrize("sheet_name, earlier_column, earlier, later_column, later", IN_ORDER_CASES,
                         ids=["response-dated-same-day", "opened-dated-same-day", "contacted-same-minute",
                              "closed-dated-same-day", "gap-resolved-same-day", "start-confirmed-same-day"])
def test_date_order_near_miss(make_workbook, sheet_name, earlier_column, earlier, later_column, later):
    row = order_row(sheet_name, earlier_column, earlier, later_column, later)
    facility = load_one_row(make_workbook, sheet_name, row)
    assert found(facility.problems, "DATE-ORDER") == []


def test_date_order_pairs_outside_the_list(make_workbook):
    # A deadline before the opening is odd but not an impossible sequence of events.
    row = escalation(**{"Needed by": "2026-11-30 10:00", "Follow-up due": "2026-11-30 10:00"})
    facility = make_workbook.load(AS_OF, escalations=[row])
    assert found(facility.problems, "DATE-ORDER") == []


def test_date_order_with_date_formatted_excel_cell(make_workbook):
    # Responded at contains 09:00, but its cell shows only the date, so it is in order with 14:00 that day.
    row = escalation(**{"Opened at": dt.datetime(2026, 12, 1, 14, 0), "Responded at": dt.datetime(2026, 12, 1, 9, 0)})
    facility = make_workbook.load(AS_OF, escalations=[row], formats={
        ("Escalations", "Opened at"): "yyyy-mm-dd hh:mm", ("Escalations", "Responded at"): "yyyy-mm-dd",
    })
    assert found(facility.problems, "DATE-ORDER") == []


def test_date_order_with_datetime_formatted_excel_cell(make_workbook):
    row = escalation(**{"Opened at": dt.datetime(2026, 12, 1, 14, 0), "Responded at": dt.datetime(2026, 12, 1, 9, 0)})
    facility = make_workbook.load(AS_OF, escalations=[row], formats={
        ("Escalations", "Opened at"): "yyyy-mm-dd hh:mm", ("Escalations", "Responded at"): "yyyy-mm-dd hh:mm",
    })
    assert found(facility.problems, "DATE-ORDER") == [
        ("DATE-ORDER", "Escalations", cell("Escalations", "Responded at")),
    ]


def test_date_order_across_many_rows(make_workbook):
    # Pairs of date-times and pairs with a date on one side, in one sheet: rows 3 and 4 are out of order.
    rows = [
        escalation(**{"Escalation ID": "E1", "Opened at": "2026-12-01 14:00", "Responded at": "2026-12-01 15:00"}),
        escalation(**{"Escalation ID": "E2", "Opened at": "2026-12-01", "Responded at": "2026-11-30 23:00"}),
        escalation(**{"Escalation ID": "E3", "Opened at": "2026-12-01 14:00", "Responded at": "2026-12-01 13:00"}),
        escalation(**{"Escalation ID": "E4", "Opened at": "2026-12-01 14:00", "Responded at": "2026-12-01"}),
        escalation(**{"Escalation ID": "E5", "Opened at": "2026-12-02", "Responded at": "2026-12-02"}),
    ]
    facility = make_workbook.load(AS_OF, escalations=rows)
    assert found(facility.problems, "DATE-ORDER") == [
        ("DATE-ORDER", "Escalations", cell("Escalations", "Responded at", 3)),
        ("DATE-ORDER", "Escalations", cell("Escalations", "Responded at", 4)),
    ]


def test_future_moments_across_many_rows(make_workbook):
    # As of 2026-12-04 09:00: a later date (row 3) and a later time that day (row 5) lie in the future.
    rows = [
        escalation(**{"Escalation ID": "E1", "Opened at": "2026-12-01 14:00"}),
        escalation(**{"Escalation ID": "E2", "Opened at": "2026-12-05"}),
        escalation(**{"Escalation ID": "E3", "Opened at": "2026-12-04"}),
        escalation(**{"Escalation ID": "E4", "Opened at": "2026-12-04 10:00", "Closed at": "2026-12-03"}),
        escalation(**{"Escalation ID": "E5", "Opened at": "2026-12-04 08:59"}),
    ]
    facility = make_workbook.load(AS_OF, escalations=rows)
    assert found(facility.problems, "VALUE-FUTURE") == [
        ("VALUE-FUTURE", "Escalations", cell("Escalations", "Opened at", 3)),
        ("VALUE-FUTURE", "Escalations", cell("Escalations", "Opened at", 5)),
    ]


# ---------------------------------------------------------------- CONSENT


CONSENT_CASES = [
    ("yes-covers-everyone", "Yes", None, []),
    ("limited-covers-share-list", "Limited", "CM1, HH1", []),
    ("limited-misses-one", "Limited", "CM1", ["HH1"]),
    ("limited-with-empty-list", "Limited", None, ["CM1", "HH1"]),
    ("no-covers-nobody", "No", None, ["CM1", "HH1"]),
    ("blank-means-no", None, None, ["CM1", "HH1"]),
]


@pytest.mark.parametrize("consent, share_with, uncovered", [case[1:] for case in CONSENT_CASES],
                         ids=[case[0] for case in CONSENT_CASES])
def test_consent_for_shared_risk(make_workbook, consent, share_with, uncovered):
    residents = [resident(**{"Consent to share": consent, "Share with": share_with})]
    facility = make_workbook.load(AS_OF, residents=residents, risks=[risk(**{"Shared with": "CM1, HH1"})])
    problems = [p for p in facility.problems if p.code == "CONSENT" and p.sheet == "Risk Register"]
    assert [(p.code, p.sheet, p.cell, p.value) for p in problems] == [
        ("CONSENT", "Risk Register", cell("Risk Register", "Shared with"), contact_id) for contact_id in uncovered
    ]


@pytest.mark.parametrize("consent, expected", [
    ("No", ["CM1", "HH1"]), (None, ["CM1", "HH1"]), ("Limited", []), ("Yes", []),
], ids=["consent-no", "consent-blank", "consent-limited", "consent-yes"])
def test_consent_for_share_list(make_workbook, consent, expected):
    residents = [resident(**{"Consent to share": consent, "Share with": "CM1; HH1"})]
    facility = make_workbook.load(AS_OF, residents=residents)
    assert [(p.code, p.sheet, p.cell, p.value) for p in facility.problems if p.code == "CONSENT"] == [
        ("CONSENT", "Residents", cell("Residents", "Share with"), contact_id) for contact_id in expected
    ]


def test_consent_message_uses_defining_spelling(make_workbook):
    residents = [resident(**{"Resident ID": "R-1007", "Consent to share": "Limited", "Share with": "CM1"})]
    risks = [risk(**{"Resident ID": "r-1007", "Shared with": "cm1, hh1"})]
    facility = make_workbook.load(AS_OF, residents=residents, risks=risks,
                                  authorization_map=full_map("R-1007"))
    problems = [p for p in facility.problems if p.code == "CONSENT"]
    assert [p.value for p in problems] == ["hh1"]
    assert "HH1" in problems[0].message
    assert "R-1007" in problems[0].message
    assert "hh1" not in problems[0].message
    assert "r-1007" not in problems[0].message


# ---------------------------------------------------------------- LOOP-OPEN


DECIDED = {"Responded at": "2026-12-01 15:00", "Decision": "Start a urine test", "Decided at": "2026-12-01 16:00"}
FOLLOW_UP = {"Follow-up": "Nurse confirms the result", "Follow-up owner": "HH1", "Follow-up due": "2026-12-03 17:00"}
CONFIRMED = {"Follow-up confirmed at": "2026-12-03 12:00"}
CLOSED = {"Closed at": "2026-12-03 13:00", "Outcome": "Resolved in place"}

LOOP_CASES = [
    ("closed-without-decision", CLOSED, ["Decision"]),
    ("closed-with-unconfirmed-follow-up", {**DECIDED, **FOLLOW_UP, **CLOSED}, ["Follow-up confirmed at"]),
    ("decided-without-follow-up-due", DECIDED, ["Follow-up due"]),
    ("closed-with-confirmed-follow-up", {**DECIDED, **FOLLOW_UP, **CONFIRMED, **CLOSED}, []),
    ("decided-with-follow-up-due", {**DECIDED, **FOLLOW_UP}, []),
    ("closed-after-decision-without-follow-up", {**DECIDED, **CLOSED}, []),
    ("open-awaiting-response", {}, []),
]


@pytest.mark.parametrize("overrides, columns", [case[1:] for case in LOOP_CASES], ids=[case[0] for case in LOOP_CASES])
def test_loop_open(make_workbook, overrides, columns):
    facility = make_workbook.load(AS_OF, escalations=[escalation(**overrides)])
    problems = [p for p in facility.problems if p.code == "LOOP-OPEN"]
    assert [(p.code, p.severity, p.sheet, p.cell) for p in problems] == [
        ("LOOP-OPEN", "warning", "Escalations", cell("Escalations", column)) for column in columns
    ]


# ---------------------------------------------------------------- MAP-INCONSISTENT


MAP_CASES = [
    ("denied-without-gap", {"Authorization status": "Denied", "Authorized through": None}, ["Gap"]),
    ("expired-with-blank-gap", {"Authorization status": "Expired", "Gap": None}, ["Gap"]),
    ("denied-with-open-gap", {"Authorization status": "Denied", "Gap": "Open", "Gap noted on": "2026-11-20"}, []),
    ("declined-referral-without-gap", {"Referral status": "Declined"}, ["Gap"]),
    ("declined-referral-with-open-gap", {"Referral status": "Declined", "Gap": "Open", "Gap noted on": "2026-11-20"},
     []),
    ("not-needed-with-contact", {"Route": "Not needed", "Authorization status": None, "Authorized through": None},
     ["Contact ID"]),
    ("not-needed-without-contact", {"Route": "Not needed", "Contact ID": None, "Authorization status": None,
                                    "Authorized through": None}, []),
    ("approved-through-yesterday", {"Authorized through": "2026-12-03"}, ["Authorized through"]),
    ("approved-through-today", {"Authorized through": "2026-12-04"}, []),
]


@pytest.mark.parametrize("overrides, columns", [case[1:] for case in MAP_CASES], ids=[case[0] for case in MAP_CASES])
def test_map_inconsistent(make_workbook, overrides, columns):
    facility = make_workbook.load(AS_OF, authorization_map=[map_row(**overrides)])
    problems = [p for p in facility.problems if p.code == "MAP-INCONSISTENT"]
    assert [(p.code, p.severity, p.sheet, p.cell) for p in problems] == [
        ("MAP-INCONSISTENT", "warning", "Authorization Map", cell("Authorization Map", column)) for column in columns
    ]


# ---------------------------------------------------------------- SETTING-INVALID


@pytest.mark.parametrize("settings, expected", [
    ({"Time zone": "Mars/Olympus"}, [("SETTING-INVALID", "Settings", "B2")]),
    ({"Time zone": "America/Chicago"}, []),
    ({"Map due (days)": "a week"}, [("SETTING-INVALID", "Settings", "B2")]),
    ({"Map due (days)": " 10 "}, []),
    ({"Facility name": "Maple Grove", "Due soon horizon (days)": "two"}, [("SETTING-INVALID", "Settings", "B3")]),
], ids=["unknown-time-zone", "known-time-zone", "text-number", "number-as-text", "second-row"])
def test_setting_invalid(make_workbook, settings, expected):
    facility = make_workbook.load(AS_OF, settings=settings)
    assert found(facility.problems, "SETTING-INVALID") == expected


def test_standard_invalid(make_workbook):
    facility = make_workbook.load(AS_OF, standards={"Other": "three days", "Acute confusion": "6"})
    assert found(facility.problems, "SETTING-INVALID") == [("SETTING-INVALID", "Standards", "B2")]
    assert facility.standards["Acute confusion"] == 6


# ---------------------------------------------------------------- WORKBOOK-OPEN


def test_workbook_open_still_read(make_workbook):
    path = make_workbook(name="maple.xlsx", residents=[resident(Status="Activ")])
    (path.parent / "~$maple.xlsx").write_bytes(b"\x00" * 165)
    facility = load_facility(path, AS_OF)
    problems = [p for p in facility.problems if p.code == "WORKBOOK-OPEN"]
    assert [(p.code, p.severity, p.sheet, p.row, p.column, p.cell) for p in problems] == [
        ("WORKBOOK-OPEN", "warning", "", None, "", ""),
    ]
    assert found(facility.problems, "VALUE-CHOICE") == [("VALUE-CHOICE", "Residents", cell("Residents", "Status"))]


def test_other_lock_file_ignored(make_workbook):
    path = make_workbook(name="maple.xlsx")
    (path.parent / "~$oak.xlsx").write_bytes(b"\x00" * 165)
    facility = load_facility(path, AS_OF)
    assert found(facility.problems, "WORKBOOK-OPEN") == []


# ---------------------------------------------------------------- VALUE-FORMULA


def rewrite_part(path: Path, member: str, replacements: list[tuple[bytes, bytes]]) -> None:
    """Rewrite one part of an .xlsx package in place, replacing bytes as given (each must occur)."""
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            if info.filename == member:
                for old, new in replacements:
                    assert old in data, old
                    data = data.replace(old, new)
            target.writestr(info, data)


RESIDENTS_PART = "xl/worksheets/sheet1.xml"  # the factory writes Residents first


def test_formula_without_result(make_workbook):
    path = make_workbook(residents=[resident(**{"Last transition on": "=TODAY()"})])
    facility = load_facility(path, AS_OF)
    problems = [p for p in facility.problems if p.code == "VALUE-FORMULA"]
    assert [(p.code, p.severity, p.sheet, p.cell) for p in problems] == [
        ("VALUE-FORMULA", "warning", "Residents", cell("Residents", "Last transition on")),
    ]
    assert facility.residents.records[0].get("Last transition on") is None
    assert found(facility.problems, "VALUE-TYPE") == []


def test_formula_without_result_in_required_column(make_workbook):
    path = make_workbook(residents=[resident(**{"Admitted on": "=DATE(2026,6,1)"})])
    facility = load_facility(path, AS_OF)
    admitted = cell("Residents", "Admitted on")
    assert [(p.code, p.cell) for p in facility.problems if p.sheet == "Residents"] == [
        ("VALUE-FORMULA", admitted), ("VALUE-REQUIRED", admitted),
    ]


def test_shared_formula_without_result(make_workbook):
    rows = [resident(**{"Last transition on": "=TODAY()"}),
            resident(**{"Resident ID": "R2", "Last transition on": "=TODAY()"})]
    path = make_workbook(residents=rows)
    first, second = cell("Residents", "Last transition on", 2), cell("Residents", "Last transition on", 3)
    rewrite_part(path, RESIDENTS_PART, [
        (f'<c r="{first}"><f>TODAY()</f>'.encode(), f'<c r="{first}"><f t="shared" ref="{first}:{second}" '
                                                    f'si="0">TODAY()</f>'.encode()),
        (f'<c r="{second}"><f>TODAY()</f><v></v>'.encode(), f'<c r="{second}"><f t="shared" si="0"/>'.encode()),
    ])
    facility = load_facility(path, AS_OF)
    assert found(facility.problems, "VALUE-FORMULA") == [
        ("VALUE-FORMULA", "Residents", first), ("VALUE-FORMULA", "Residents", second),
    ]


def test_formula_with_saved_result(make_workbook):
    path = make_workbook(residents=[resident(**{"Last transition on": "=DATE(2026,7,1)"})])
    # 46204 is 2026-07-01 as an Excel serial day, as Excel saves the result beside the formula.
    rewrite_part(path, RESIDENTS_PART, [(b"<f>DATE(2026,7,1)</f><v></v>", b"<f>DATE(2026,7,1)</f><v>46204</v>")])
    facility = load_facility(path, AS_OF)
    assert found(facility.problems, "VALUE-FORMULA") == []
    assert facility.residents.records[0].get("Last transition on") == dt.date(2026, 7, 1)


def test_row_of_formulas_only_is_skipped(make_workbook):
    # A row prepared with formulas but no data is blank, like any other empty row.
    rows = [resident(), full_row("Residents", Room='=IF(A3="","",A3)')]
    facility = load_facility(make_workbook(residents=rows), AS_OF)
    assert [record.row for record in facility.residents] == [2]
    assert found(facility.problems, "VALUE-FORMULA") == []


# ---------------------------------------------------------------- resident names stay out of problems


RESIDENT_NAME = "Zebulon Quixotewright"


def broken_resident_workbook(make_workbook) -> Path:
    broken = resident(**{
        "Resident ID": "R-77", "Name": RESIDENT_NAME, "Room": "TBD", "Status": "Activ", "Admitted on": "someday",
        "Complex risk": "maybe", "Case manager": "CM9", "Consent to share": "Limted", "Share with": "HH1",
        "Last transition on": "31/31/2026",
    })
    duplicate = resident(**{"Resident ID": "r-77", "Name": RESIDENT_NAME, "Status": None})
    return make_workbook(
        residents=[broken, duplicate],
        authorization_map=[map_row(**{"Resident ID": "R-77", "Authorization status": "Denied"}),
                           map_row(**{"Resident ID": "R-77"})],
        escalations=[escalation(**{"Resident ID": "R-77", "Closed at": "2026-12-02"})],
        risks=[risk(**{"Resident ID": "R-77", "Shared with": "CM1"})],
    )


def test_resident_name_not_in_problems(make_workbook):
    facility = load_facility(broken_resident_workbook(make_workbook), AS_OF)
    assert len(facility.problems) >= 10
    for problem in facility.problems:
        text = " ".join(str(value) for value in problem.to_dict().values())
        assert "Zebulon" not in text, problem.code
        assert "Quixotewright" not in text, problem.code


def test_resident_name_not_in_report(make_workbook):
    path = broken_resident_workbook(make_workbook)
    for output_format in ("text", "json"):
        result = run_check(path, "--format", output_format)
        assert result.exit_code == 1
        assert "Zebulon" not in result.output
        assert "Quixotewright" not in result.output


# ---------------------------------------------------------------- the check command


def run_check(path, *options):
    return CliRunner().invoke(main, ["check", str(path), "--as-of", AS_OF_TEXT, *options])


def three_problem_workbook(make_workbook) -> Path:
    """Return a workbook with an error and a warning on Residents and an error on the map."""
    return every_sheet(
        make_workbook,
        residents=[resident(Room="TBD", Status="Activ")],
        authorization_map=[map_row(Route="Home helth")],
    )


def test_text_report(make_workbook):
    result = run_check(three_problem_workbook(make_workbook))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    residents_heading = lines.index("Residents")
    map_heading = lines.index("Authorization Map")
    assert residents_heading < map_heading
    residents_lines = lines[residents_heading + 1:map_heading]
    assert [line for line in residents_lines if "VALUE-PLACEHOLDER" in line and "C2" in line]
    assert [line for line in residents_lines if "VALUE-CHOICE" in line and "D2" in line]
    map_lines = [line for line in lines[map_heading + 1:] if "VALUE-CHOICE" in line]
    assert len(map_lines) == 1
    assert "C2" in map_lines[0]
    assert lines[-1] == "2 errors, 1 warning."


def test_text_report_one_line_per_problem(make_workbook):
    path = three_problem_workbook(make_workbook)
    result = run_check(path)
    problems = load_facility(path, AS_OF).problems
    codes = {problem.code for problem in problems}
    problem_lines = [line for line in result.stdout.splitlines() if any(code in line for code in codes)]
    assert len(problem_lines) == len(problems) == 3


def test_text_report_line_break_in_value(make_workbook):
    path = make_workbook(residents=[resident(Status="Active\nHospital")])
    result = run_check(path)
    problems = load_facility(path, AS_OF).problems
    headings = {sheet.name for sheet in schema.SHEETS} | {"Workbook"}
    body = [line for line in result.stdout.splitlines()[1:-1] if line]
    assert [line for line in body if not line.startswith("  ") and line not in headings] == []
    assert len([line for line in body if line.startswith("  ")]) == len(problems)
    assert len([line for line in body if "VALUE-CHOICE" in line]) == 1


def test_text_report_clean(make_workbook):
    result = run_check(every_sheet(make_workbook))
    assert result.exit_code == 0
    assert "No problems" in result.stdout.splitlines()[-1]


def test_max_problems_cuts_and_says_so(make_workbook):
    result = run_check(three_problem_workbook(make_workbook), "--max-problems", "2")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len([line for line in lines if "VALUE-" in line]) == 2
    assert any("2 of 3" in line for line in lines)
    assert lines[-1] == "2 errors, 1 warning."


def test_max_problems_not_reached(make_workbook):
    result = run_check(three_problem_workbook(make_workbook), "--max-problems", "3")
    assert not any(" of 3" in line for line in result.stdout.splitlines())


def test_json_report_keys(make_workbook):
    path = three_problem_workbook(make_workbook)
    result = run_check(path, "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert set(document) == {"workbook", "as_of", "summary", "problems"}
    assert document["workbook"] == path.name
    assert document["as_of"] == "2026-12-04T09:00:00-05:00"
    assert document["summary"] == {"errors": 2, "warnings": 1}
    for problem in document["problems"]:
        assert set(problem) == {"code", "severity", "sheet", "row", "column", "cell", "value", "message"}


def test_json_report_matches_library(make_workbook):
    path = broken_resident_workbook(make_workbook)
    document = json.loads(run_check(path, "--format", "json").stdout)
    problems = load_facility(path, AS_OF).problems
    assert document["problems"] == [problem.to_dict() for problem in problems]
    errors = sum(1 for problem in problems if problem.severity == "error")
    assert document["summary"] == {"errors": errors, "warnings": len(problems) - errors}


def test_json_workbook_level_problem_fields(make_workbook):
    path = make_workbook(extra_sheets={"Contacts": None})
    document = json.loads(run_check(path, "--format", "json").stdout)
    missing = [problem for problem in document["problems"] if problem["sheet"] == "Contacts"]
    assert [(p["code"], p["severity"], p["row"], p["column"], p["cell"]) for p in missing] == [
        ("SHEET-MISSING", "error", None, "", ""),
    ]


def test_output_file(make_workbook, tmp_path):
    path = three_problem_workbook(make_workbook)
    out = tmp_path / "report.json"
    result = run_check(path, "--format", "json", "-o", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["summary"] == {"errors": 2, "warnings": 1}


def test_exit_zero_when_clean(make_workbook):
    assert run_check(every_sheet(make_workbook)).exit_code == 0


def test_exit_zero_with_warnings_only(make_workbook):
    path = make_workbook(residents=[resident(Room="N/A")])
    facility = load_facility(path, AS_OF)
    assert {problem.severity for problem in facility.problems} == {"warning"}
    assert run_check(path).exit_code == 0


def test_exit_one_with_errors(make_workbook):
    result = run_check(make_workbook(residents=[resident(Status="Gone")]))
    assert result.exit_code == 1


def test_exit_one_when_required_sheet_missing(make_workbook):
    result = run_check(make_workbook(extra_sheets={"Authorization Map": None}))
    assert result.exit_code == 1
    assert "SHEET-MISSING" in result.stdout


def test_bad_as_of_rejected(make_workbook):
    result = CliRunner().invoke(main, ["check", str(make_workbook()), "--as-of", "next Friday"])
    assert result.exit_code == 2
    assert "next Friday" in result.stderr
    assert "Traceback" not in result.output


def test_as_of_date_means_start_of_day(make_workbook):
    result = CliRunner().invoke(main, ["check", str(make_workbook()), "--as-of", "2026-12-04", "--format", "json"])
    assert json.loads(result.stdout)["as_of"] == "2026-12-04T00:00:00-05:00"


# ---------------------------------------------------------------- unreadable files


def write_missing(folder: Path) -> Path:
    return folder / "nowhere.xlsx"


def write_empty(folder: Path) -> Path:
    path = folder / "empty.xlsx"
    path.write_bytes(b"")
    return path


def write_csv(folder: Path) -> Path:
    path = folder / "residents.xlsx"
    path.write_text("Resident ID,Name\nR1,Ada Example\n", encoding="utf-8")
    return path


def write_old_xls(folder: Path) -> Path:
    path = folder / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x07" * 4096)
    return path


def write_password_protected(folder: Path) -> Path:
    path = folder / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + "EncryptionInfo".encode("utf-16-le"))
    return path


def write_truncated(folder: Path) -> Path:
    from conftest import write_workbook

    whole = write_workbook(folder / "whole.xlsx", {"Residents": [dict(BASE_RESIDENT)]})
    data = whole.read_bytes()
    path = folder / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def write_other_zip(folder: Path) -> Path:
    path = folder / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("holiday/photo.txt", "not a workbook")
    return path


def write_corrupt_workbook_part(folder: Path) -> Path:
    path = folder / "corrupt.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook><sheets><sheet name=")
    return path


UNREADABLE = [
    ("missing-path", write_missing, "not found"),
    ("empty-file", write_empty, "empty"),
    ("csv-renamed", write_csv, ".xlsx"),
    ("old-xls", write_old_xls, ".xls"),
    ("password-protected", write_password_protected, "password"),
    ("truncated-xlsx", write_truncated, "damaged"),
    ("zip-not-workbook", write_other_zip, "not an Excel workbook"),
    ("corrupt-workbook-part", write_corrupt_workbook_part, "cannot be read"),
]


@pytest.mark.parametrize("write, phrase", [case[1:] for case in UNREADABLE], ids=[case[0] for case in UNREADABLE])
def test_unreadable_file_one_line(tmp_path, write, phrase):
    path = write(tmp_path)
    for output_format in ("text", "json"):
        result = run_check(path, "--format", output_format)
        assert result.exit_code == 2
        assert result.stdout == ""
        assert "Traceback" not in result.output
        stderr_lines = result.stderr.strip().splitlines()
        assert len(stderr_lines) == 1
        assert path.name in stderr_lines[0]
        assert phrase in stderr_lines[0]


@pytest.mark.parametrize("write", [case[1] for case in UNREADABLE], ids=[case[0] for case in UNREADABLE])
def test_unreadable_file_raises_in_library(tmp_path, write):
    with pytest.raises(WorkbookUnreadable):
        load_facility(write(tmp_path), AS_OF)


def test_unreadable_file_left_unchanged(tmp_path):
    path = write_truncated(tmp_path)
    before = path.read_bytes()
    run_check(path)
    assert path.read_bytes() == before


# ---------------------------------------------------------------- handoff init


def test_init_writes_loadable_workbook(tmp_path):
    path = tmp_path / "new-facility.xlsx"
    result = CliRunner().invoke(main, ["init", str(path)])
    assert result.exit_code == 0
    assert load_facility(path, AS_OF).problems == []


def test_init_refuses_to_overwrite(tmp_path):
    path = tmp_path / "facility.xlsx"
    path.write_bytes(b"keep me")
    result = CliRunner().invoke(main, ["init", str(path)])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--force" in result.stderr
    assert "Traceback" not in result.output
    assert path.read_bytes() == b"keep me"


def test_init_force_overwrites(tmp_path):
    path = tmp_path / "facility.xlsx"
    path.write_bytes(b"old")
    result = CliRunner().invoke(main, ["init", str(path), "--force"])
    assert result.exit_code == 0
    assert load_facility(path, AS_OF).problems == []


def test_resident_name_in_message_withheld(make_workbook):
    # A resident's name typed where an ID and a date belong: the messages quote the cells
    # without the name, and the values as found stay in the problems.
    row = escalation(**{"Resident ID": " dorothy  KESSLER", "Opened at": "Bruno Sample"})
    residents = [resident(**{"Name": "Dorothy Kessler"}), resident(**{"Resident ID": "R2", "Name": "Bruno Sample"})]
    facility = make_workbook.load(AS_OF, residents=residents, escalations=[row])
    quoted = [p for p in facility.problems if p.sheet == "Escalations" and p.code in ("REF-UNKNOWN", "VALUE-TYPE")]
    assert sorted(p.code for p in quoted) == ["REF-UNKNOWN", "VALUE-TYPE"]
    for problem in quoted:
        assert '"[withheld]"' in problem.message
        assert "kessler" not in problem.message.casefold()
        assert "Bruno" not in problem.message
    assert sorted(p.value for p in quoted) == ["Bruno Sample", "dorothy KESSLER"]  # outer and double spaces cleaned


@pytest.mark.parametrize("workbook", [SAMPLE, *sorted(DATA.glob("*.xlsx"))], ids=lambda path: path.name)
def test_ids_found_while_reading_match_rows(workbook):
    # The reference and duplicate-ID checks match the IDs found while the cells were read,
    # so those must be the values of the table's rows.
    facility = load_facility(workbook, AS_OF)
    for table in facility.tables.values():
        for column, found in table.ids_found.items():
            if table.sheet.column(column).type == schema.LIST:
                in_rows = {identifier for record in table for identifier in record.get(column) or ()}
            else:
                in_rows = {record.get(column) for record in table} - {None}
            assert found == in_rows, (table.name, column)
        if table.sheet.id_column in table.columns and table.records:
            filled = sum(1 for record in table if record.get(table.sheet.id_column) is not None)
            assert table.ids_filled == filled, table.name


def test_ids_across_blank_rows_and_lists(make_workbook):
    path = make_workbook(
        escalations=[{"Escalation ID": "E1", "Resident ID": "R1", "Category": "Other", "Contacted": "CM1",
                      "Opened at": "2026-12-01 10:00"},
                     {},
                     {"Escalation ID": " e1 ", "Resident ID": "R1", "Category": "Other", "Contacted": "CM9",
                      "Opened at": "2026-12-01 11:00"}],
        check_ins=[{"Held on": "2026-12-01", "Resident ID": "R1", "Attendees": "CM1, CM8"}],
    )
    problems = load_facility(path, AS_OF).problems
    found = {(problem.code, problem.sheet, problem.column, problem.value) for problem in problems
             if problem.code in ("ID-DUPLICATE", "REF-UNKNOWN")}
    assert ("ID-DUPLICATE", "Escalations", "Escalation ID", "e1") in found
    assert ("REF-UNKNOWN", "Escalations", "Contacted", "CM9") in found
    assert ("REF-UNKNOWN", "Check-ins", "Attendees", "CM8") in found
