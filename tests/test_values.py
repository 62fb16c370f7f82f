"""Tests for the value conventions: dates, date-times, Yes/No, numbers, ID lists,
placeholders and choices, first as single values and then read from real workbooks."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import BASE_RESIDENT
from toolkit import values
from toolkit.schema import AUTHORIZATION_STATUSES, ROUTES

AS_OF = dt.datetime(2026, 12, 4, 9, 0)
DEC_5 = dt.date(2026, 12, 5)


def of_code(problems, code):
    return [(p.code, p.severity, p.sheet, p.cell, p.value) for p in problems if p.code == code]


# ---------------------------------------------------------------- single values


@pytest.mark.parametrize("text", [
    "2026-12-05",
    "12/5/2026",
    "12/05/2026",
    "12/5/26",
    "Dec 5, 2026",
    "dec 5, 2026",
    "December 5, 2026",
    "5 Dec 2026",
    "5 December 2026",
    "Dec 5, 26",
    "  2026-12-05  ",
    "2026-12-05\u00a0",
], ids=lambda text: repr(text))
def test_date_text_forms(text):
    assert values.parse_date(text) == DEC_5


@pytest.mark.parametrize("text, expected", [
    ("5/12/2026", DEC_5),
    ("5/12/26", DEC_5),
    ("2026-12-05", DEC_5),
    ("Dec 5, 2026", DEC_5),
    ("5 Dec 2026", DEC_5),
], ids=["slash", "slash-two-digit-year", "iso-unchanged", "month-name-first", "day-first-name"])
def test_date_day_first_order(text, expected):
    assert values.parse_date(text, day_first=True) == expected


def test_two_digit_year_is_twenty_first_century():
    assert values.parse_date("1/2/99") == dt.date(2099, 1, 2)


@pytest.mark.parametrize("value", [
    "next week",
    "13/45/2026",
    "2/30/2026",
    "2026-13-01",
    "Decembre 5, 2026",
    "5/12",
    "12/5/2026 junk",
    True,
    12.5,
], ids=["words", "month-13", "february-30", "iso-month-13", "misspelled-month", "no-year",
        "trailing-text", "boolean", "small-number"])
def test_date_rejects_non_dates(value):
    with pytest.raises(ValueError):
        values.parse_date(value)


def test_date_from_excel_values():
    assert values.parse_date(dt.date(2026, 12, 5)) == DEC_5
    assert values.parse_date(dt.datetime(2026, 12, 5, 14, 0)) == DEC_5
    # 46361 is 2026-12-05 as an Excel serial day number in a General-formatted cell.
    assert values.parse_date(46361.0) == DEC_5


TWO_PM = dt.datetime(2026, 12, 5, 14, 0)


@pytest.mark.parametrize("text", [
    "2026-12-05 14:00",
    "12/5/2026 14:00",
    "12/5/2026 2:00 PM",
    "12/5/2026 2:00 pm",
    "12/5/2026 2pm",
    "12/5/26 2pm",
    "Dec 5, 2026 2:00 PM",
    "December 5, 2026 14:00",
    "5 Dec 2026 2pm",
    "5 December 2026 14:00",
], ids=lambda text: repr(text))
def test_datetime_text_forms(text):
    assert values.parse_datetime(text) == TWO_PM


@pytest.mark.parametrize("text, expected", [
    ("12/5/2026 12:00 AM", dt.datetime(2026, 12, 5, 0, 0)),
    ("12/5/2026 12pm", dt.datetime(2026, 12, 5, 12, 0)),
    ("12/5/2026 9:30 am", dt.datetime(2026, 12, 5, 9, 30)),
    ("12/5/2026 23:59", dt.datetime(2026, 12, 5, 23, 59)),
], ids=["midnight-am", "noon-pm", "morning", "last-minute"])
def test_datetime_twelve_hour_clock(text, expected):
    assert values.parse_datetime(text) == expected


def test_datetime_without_time_stays_a_date():
    parsed = values.parse_datetime("Dec 5, 2026")
    assert parsed == DEC_5
    assert not isinstance(parsed, dt.datetime)


def test_datetime_day_first_order():
    assert values.parse_datetime("5/12/2026 2pm", day_first=True) == TWO_PM


@pytest.mark.parametrize("text", [
    "12/5/2026 25:00",
    "12/5/2026 14:75",
    "12/5/2026 13pm",
    "12/5/2026 14",
    "12/5/2026 soon",
    "tomorrow 2pm",
], ids=["hour-25", "minute-75", "13pm", "bare-hour", "words-after-date", "words-before-time"])
def test_datetime_rejects_bad_times(text):
    with pytest.raises(ValueError):
        values.parse_datetime(text)


@pytest.mark.parametrize("value", [
    "Yes", "yes", "YES", "Y", "y", "True", "TRUE", "1", 1.0, "x", "X", " yes ", True,
], ids=lambda value: repr(value))
def test_yes_forms(value):
    assert values.parse_yes_no(value) is True


@pytest.mark.parametrize("value", [
    "No", "no", "N", "n", "False", "false", "0", 0.0, False,
], ids=lambda value: repr(value))
def test_no_forms(value):
    assert values.parse_yes_no(value) is False


@pytest.mark.parametrize("value", ["maybe", "2", "ok", "yes please"])
def test_yes_no_rejects_other_text(value):
    with pytest.raises(ValueError):
        values.parse_yes_no(value)


@pytest.mark.parametrize("value, expected", [
    (24.0, 24.0),
    ("24", 24.0),
    (" 24 ", 24.0),
    ("1.5", 1.5),
    ("1,000", 1000.0),
    ("-3", -3.0),
], ids=["number", "text", "text-with-spaces", "decimal-text", "thousands-separator", "negative-text"])
def test_number_forms(value, expected):
    assert values.parse_number(value) == expected


@pytest.mark.parametrize("value", ["twelve", "24h", "nan", "inf", True], ids=lambda value: repr(value))
def test_number_rejects_non_numbers(value):
    with pytest.raises(ValueError):
        values.parse_number(value)


@pytest.mark.parametrize("text", [
    "CM1, HH1",
    "CM1;HH1",
    "CM1\nHH1",
    "CM1\r\nHH1",
    " CM1 ;  HH1 ,, ",
    "CM1,\nHH1;",
], ids=["commas", "semicolons", "line-break", "windows-line-break", "spaces-and-empty-parts", "mixed"])
def test_id_list_separators(text):
    assert values.parse_id_list(text) == ["CM1", "HH1"]


def test_id_list_keeps_spelling():
    assert values.parse_id_list("cm-01, Hh-02") == ["cm-01", "Hh-02"]


def test_id_key_trims_and_ignores_case():
    assert values.id_key("  Cm-01 ") == values.id_key("CM-01")


@pytest.mark.parametrize("text", [
    "N/A", "n/a", "NA", "na", "TBD", "tbd", "unknown", "Unknown", "UNKNOWN", "pending", "Pending",
    "-", "?",
], ids=lambda text: repr(text))
def test_placeholder_forms(text):
    assert values.is_placeholder(text)


@pytest.mark.parametrize("text", ["None", "no", "0", "n/a please", "--", "Pending review"])
def test_placeholder_near_misses(text):
    assert not values.is_placeholder(text)


@pytest.mark.parametrize("text, expected", [
    ("Approved", "Approved"),
    ("approved", "Approved"),
    ("  APPROVED ", "Approved"),
    ("ltss  authorized\u00a0service", "LTSS authorized service"),
], ids=["exact", "lower-case", "spaces-and-capitals", "repeated-and-non-breaking-spaces"])
def test_choice_matches(text, expected):
    choices = ROUTES if "service" in text else AUTHORIZATION_STATUSES
    assert values.match_choice(text, choices) == expected


def test_choice_rejects_misspelling():
    assert values.match_choice("Aproved", AUTHORIZATION_STATUSES) is None


@pytest.mark.parametrize("text, expected", [
    ("Aproved", "Approved"),
    ("requsted", "Requested"),
    ("Denyed", "Denied"),
], ids=["missing-letter", "lower-case-typo", "wrong-letter"])
def test_nearest_choice(text, expected):
    assert values.nearest(text, AUTHORIZATION_STATUSES) == expected


def test_nearest_none_when_nothing_close():
    assert values.nearest("zzzzzz", AUTHORIZATION_STATUSES) is None


@pytest.mark.parametrize("value, expected", [
    (None, ""),
    ("  a   b  ", "a b"),
    ("a\u00a0\u00a0b", "a b"),
    (1007.0, "1007"),
    (True, "TRUE"),
    ("line one \n  line two", "line one\nline two"),
], ids=["none", "spaces", "non-breaking-spaces", "whole-number", "boolean", "line-breaks-kept"])
def test_clean_text(value, expected):
    assert values.clean_text(value) == expected


# ---------------------------------------------------------------- values read from a workbook


def resident_value(make_workbook, column, value, settings=None, formats=None):
    """Load a workbook whose one resident has ``value`` in ``column``; return the record and problems."""
    facility = make_workbook.load(
        AS_OF, residents=[dict(BASE_RESIDENT, **{column: value})], settings=settings, formats=formats,
    )
    return facility.residents.records[0], facility.problems


@pytest.mark.parametrize("text", [
    "2026-12-05", "12/5/2026", "12/5/26", "Dec 5, 2026", "5 Dec 2026", "December 5, 2026", "5 December 2026",
], ids=lambda text: repr(text))
def test_text_date_in_workbook(make_workbook, text):
    record, problems = resident_value(make_workbook, "Last transition on", text)
    assert record.get("Last transition on") == DEC_5
    assert of_code(problems, "VALUE-TYPE") == []


def test_real_excel_date_in_workbook(make_workbook):
    record, problems = resident_value(make_workbook, "Last transition on", DEC_5,
                                      formats={("Residents", "Last transition on"): "yyyy-mm-dd"})
    assert record.get("Last transition on") == DEC_5
    assert of_code(problems, "VALUE-TYPE") == []


def test_date_order_dmy_setting(make_workbook):
    record, problems = resident_value(make_workbook, "Last transition on", "5/12/2026",
                                      settings={"Date order": "DMY"})
    assert record.get("Last transition on") == DEC_5
    assert of_code(problems, "SETTING-INVALID") == []


def test_date_order_mdy_by_default(make_workbook):
    record, _ = resident_value(make_workbook, "Last transition on", "5/12/2026")
    assert record.get("Last transition on") == dt.date(2026, 5, 12)


def test_date_order_setting_lower_case(make_workbook):
    record, problems = resident_value(make_workbook, "Last transition on", "5/12/2026",
                                      settings={"Date order": " dmy "})
    assert record.get("Last transition on") == DEC_5
    assert of_code(problems, "SETTING-INVALID") == []


def test_bad_date_in_workbook(make_workbook):
    record, problems = resident_value(make_workbook, "Last transition on", "last Tuesday")
    assert record.get("Last transition on") is None
    assert record.has_error("Last transition on")
    assert of_code(problems, "VALUE-TYPE") == [("VALUE-TYPE", "error", "Residents", "H2", "last Tuesday")]


def escalation(**overrides):
    row = {
        "Escalation ID": "E1", "Resident ID": "R1", "Opened at": "2026-12-01 14:00", "Category": "Other",
        "Observed": "Refused lunch twice", "Decision needed": "Review the meal plan", "Contacted": "CM1",
    }
    row.update(overrides)
    return row


def opened_at(make_workbook, value, number_format=None):
    formats = {("Escalations", "Opened at"): number_format} if number_format else None
    facility = make_workbook.load(AS_OF, escalations=[escalation(**{"Opened at": value})], formats=formats)
    return facility.escalations.records[0].get("Opened at"), facility.problems


@pytest.mark.parametrize("text", [
    "2026-12-01 14:00", "12/1/2026 2:00 PM", "12/1/26 2pm", "Dec 1, 2026 14:00", "1 Dec 2026 2pm",
    "December 1, 2026 2:00 PM",
], ids=lambda text: repr(text))
def test_text_datetime_in_workbook(make_workbook, text):
    value, problems = opened_at(make_workbook, text)
    assert value == dt.datetime(2026, 12, 1, 14, 0)
    assert of_code(problems, "VALUE-TYPE") == []


def test_real_excel_datetime_keeps_time(make_workbook):
    value, _ = opened_at(make_workbook, dt.datetime(2026, 12, 1, 14, 0), "yyyy-mm-dd hh:mm")
    assert value == dt.datetime(2026, 12, 1, 14, 0)


def test_real_excel_date_is_date_only(make_workbook):
    value, _ = opened_at(make_workbook, dt.datetime(2026, 12, 1), "yyyy-mm-dd")
    assert value == dt.date(2026, 12, 1)
    assert not isinstance(value, dt.datetime)


@pytest.mark.parametrize("number_format", ["yyyy-mm-dd", "m/d/yyyy", "d-mmm-yy", "mmmm d, yyyy"])
def test_date_format_hides_time(make_workbook, number_format):
    # The cell contains 14:00, but its format shows no time, so it counts as a date only.
    value, _ = opened_at(make_workbook, dt.datetime(2026, 12, 1, 14, 0), number_format)
    assert value == dt.date(2026, 12, 1)
    assert not isinstance(value, dt.datetime)


@pytest.mark.parametrize("number_format", ["m/d/yyyy h:mm", "yyyy-mm-dd hh:mm:ss", "m/d/yy h:mm AM/PM"])
def test_datetime_format_keeps_time(make_workbook, number_format):
    value, _ = opened_at(make_workbook, dt.datetime(2026, 12, 1, 14, 0), number_format)
    assert value == dt.datetime(2026, 12, 1, 14, 0)


def test_bad_datetime_in_workbook(make_workbook):
    value, problems = opened_at(make_workbook, "12/1/2026 25:00")
    assert value is None
    assert of_code(problems, "VALUE-TYPE") == [("VALUE-TYPE", "error", "Escalations", "C2", "12/1/2026 25:00")]


@pytest.mark.parametrize("text", ["N/A", "na", "TBD", "Unknown", "pending", "PENDING", "-", "?", " n/a "],
                         ids=lambda text: repr(text))
def test_placeholder_counts_as_blank(make_workbook, text):
    record, problems = resident_value(make_workbook, "Room", text)
    assert record.get("Room") is None
    assert not record.has_error("Room")
    assert [(p.code, p.severity, p.cell) for p in problems if p.sheet == "Residents"] == [
        ("VALUE-PLACEHOLDER", "warning", "C2"),
    ]


def test_placeholder_in_required_column(make_workbook):
    record, problems = resident_value(make_workbook, "Admitted on", "TBD")
    assert record.get("Admitted on") is None
    assert [(p.code, p.severity, p.cell) for p in problems if p.sheet == "Residents"] == [
        ("VALUE-PLACEHOLDER", "warning", "E2"),
        ("VALUE-REQUIRED", "error", "E2"),
    ]


def map_row(**overrides):
    row = {"Resident ID": "R1", "Domain": "Wound care", "Route": "Home health", "Contact ID": "HH1",
           "Authorization status": "Approved", "Requested on": "2026-11-01", "Authorized through": "2027-01-31",
           "Start confirmed on": "2026-11-10"}
    row.update(overrides)
    return row


@pytest.mark.parametrize("text", ["Pending", "pending", " PENDING "], ids=lambda text: repr(text))
def test_pending_is_an_authorization_status(make_workbook, text):
    facility = make_workbook.load(AS_OF, authorization_map=[map_row(**{"Authorization status": text})])
    assert facility.authorization_map.records[0].get("Authorization status") == "Pending"
    assert of_code(facility.problems, "VALUE-PLACEHOLDER") == []


def test_placeholder_in_choice_column(make_workbook):
    facility = make_workbook.load(AS_OF, authorization_map=[map_row(**{"Referral status": "pending"})])
    record = facility.authorization_map.records[0]
    assert record.get("Referral status") is None
    assert of_code(facility.problems, "VALUE-PLACEHOLDER") == [
        ("VALUE-PLACEHOLDER", "warning", "Authorization Map", "I2", "pending"),
    ]
    assert of_code(facility.problems, "VALUE-CHOICE") == []


@pytest.mark.parametrize("value, expected", [
    ("Yes", True), ("no", False), ("Y", True), ("n", False), ("TRUE", True), ("False", False),
    (1, True), (0, False), ("1", True), ("0", False), ("x", True), ("X", True), (True, True), (False, False),
], ids=lambda value: repr(value))
def test_yes_no_in_workbook(make_workbook, value, expected):
    record, problems = resident_value(make_workbook, "Complex risk", value)
    assert record.get("Complex risk") is expected
    assert of_code(problems, "VALUE-TYPE") == []


def test_bad_yes_no_in_workbook(make_workbook):
    record, problems = resident_value(make_workbook, "Complex risk", "maybe")
    assert record.get("Complex risk") is None
    assert of_code(problems, "VALUE-TYPE") == [("VALUE-TYPE", "error", "Residents", "H2", "maybe")]


@pytest.mark.parametrize("value, expected", [
    (24, 24.0), ("24", 24.0), (" 48 ", 48.0), ("1.5", 1.5),
], ids=["number", "text", "text-with-spaces", "decimal-text"])
def test_number_typed_as_text(make_workbook, value, expected):
    facility = make_workbook.load(AS_OF, authorization_map=[map_row(**{"Response standard (hours)": value})])
    assert facility.authorization_map.records[0].get("Response standard (hours)") == expected
    assert of_code(facility.problems, "VALUE-TYPE") == []


def test_bad_number_in_workbook(make_workbook):
    facility = make_workbook.load(AS_OF, authorization_map=[map_row(**{"Response standard (hours)": "a day"})])
    assert of_code(facility.problems, "VALUE-TYPE") == [
        ("VALUE-TYPE", "error", "Authorization Map", "I2", "a day"),
    ]


@pytest.mark.parametrize("text", ["CM1, HH1", "CM1;HH1", "CM1\nHH1", "cm1 ; hh1"],
                         ids=["commas", "semicolons", "line-break", "lower-case-with-spaces"])
def test_share_list_in_workbook(make_workbook, text):
    record, problems = resident_value(make_workbook, "Share with", text)
    assert [values.id_key(identifier) for identifier in record.get("Share with")] == ["cm1", "hh1"]
    assert of_code(problems, "REF-UNKNOWN") == []


def test_ids_match_case_insensitively(make_workbook):
    facility = make_workbook.load(
        AS_OF,
        residents=[dict(BASE_RESIDENT, **{"Resident ID": "R-1007", "Case manager": " cm1 "})],
        authorization_map=[map_row(**{"Resident ID": "r-1007 ", "Contact ID": "hh1"})],
    )
    assert of_code(facility.problems, "REF-UNKNOWN") == []
    assert facility.residents_by_id[values.id_key(" R-1007")].text("Resident ID") == "R-1007"


def test_id_typed_as_number(make_workbook):
    facility = make_workbook.load(
        AS_OF,
        residents=[dict(BASE_RESIDENT, **{"Resident ID": 1007})],
        authorization_map=[map_row(**{"Resident ID": "1007"})],
    )
    assert facility.residents.records[0].get("Resident ID") == "1007"
    assert of_code(facility.problems, "REF-UNKNOWN") == []


def test_choice_ignores_case_and_spaces(make_workbook):
    record, problems = resident_value(make_workbook, "Status", "  hospital ")
    assert record.get("Status") == "Hospital"
    assert of_code(problems, "VALUE-CHOICE") == []


def test_blank_choice_takes_its_meaning(make_workbook):
    record, _ = resident_value(make_workbook, "Consent to share", None)
    assert record.get("Consent to share") == "No"
