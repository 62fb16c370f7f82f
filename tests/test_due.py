"""The due rules (toolkit.due) and `handoff due`, on small workbooks built per test.

Every expected due_at below is worked out by hand from the product contract,
with the arithmetic in a comment. The facility time zone is the default,
America/New_York: EDT (UTC-4) until 2026-11-01 02:00, EST (UTC-5) after it,
and EDT again from 2026-03-08 03:00. US holidays used here: Veterans Day
Wed 2026-11-11 and Thanksgiving Thu 2026-11-26.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from conftest import BASE_CONTACTS, BASE_RESIDENT, full_map

from toolkit.cli import main
from toolkit.due import DueItem, due_items
from toolkit.facility import load_facility

NY = ZoneInfo("America/New_York")
SECOND = dt.timedelta(seconds=1)


def local(*fields: int) -> dt.datetime:
    """Return a moment on the facility's clock (America/New_York)."""
    return dt.datetime(*fields, tzinfo=NY)


def due_for(make_workbook, as_of, horizon: int | None = 7, **sheets) -> list[DueItem]:
    """Build a workbook from ``sheets``, load it at ``as_of`` and return its due items."""
    return due_items(make_workbook.load(as_of, **sheets), horizon)


def timeline(items: list[DueItem], code: str) -> list[tuple]:
    """Return (code, status, due_at) of each item with ``code``."""
    return [(item.code, item.status, item.due_at) for item in items if item.code == code]


def map_with(*rows: dict) -> list[dict]:
    """Return a complete, confirmed map for R1 in which ``rows`` replace the rows of their domains."""
    replaced = {row["Domain"] for row in rows}
    kept = [row for row in full_map() if row["Domain"] not in replaced]
    return kept + [dict({"Resident ID": "R1", "Contact ID": "CM1"}, **row) for row in rows]


def escalation(changes: dict | None = None, identifier: str = "E1") -> dict:
    row = {
        "Escalation ID": identifier, "Resident ID": "R1", "Opened at": dt.datetime(2026, 11, 16, 9, 0),
        "Category": "Acute confusion", "Observed": "New confusion at breakfast",
        "Decision needed": "Check for infection today?", "Contacted": "CM1",
    }
    row.update(changes or {})
    return row


def risk(changes: dict | None = None, identifier: str = "K1") -> dict:
    row = {
        "Risk ID": identifier, "Resident ID": "R1", "Risk": "Falls", "Controls": "Walker, night checks",
        "Warning signs": "Unsteady at night", "Next step": "PT referral", "Owner": "HH1",
        "Opened on": dt.date(2026, 10, 1), "Status": "Active",
    }
    row.update(changes or {})
    return row


def incident(identifier: str, occurred, kind: str = "Fall", resident_id: str = "R1") -> dict:
    return {"Incident ID": identifier, "Resident ID": resident_id, "Occurred at": occurred, "Type": kind}


def check_in(held_on, resident_id: str = "R1") -> dict:
    return {"Held on": held_on, "Resident ID": resident_id, "Attendees": "CM1"}


# Residents whose anchor date (the later of Admitted on and Last transition on) is Mon 2026-11-02.
RETURNED_NOV_2 = dict(BASE_RESIDENT, **{
    "Last transition on": dt.date(2026, 11, 2), "Transition type": "Hospital return",
})

# ---------------------------------------------------------------- each rule around its due time

BOUNDARY_CASES = [
    pytest.param(
        "MAP-MISSING",
        {"residents": [RETURNED_NOV_2],
         "authorization_map": [row for row in full_map() if row["Domain"] not in ("Meals", "Transport")]},
        local(2026, 11, 9, 23, 59, 59),  # anchor 11-02 (later than admission 06-01) + 7 map-due days
        id="MAP-MISSING",
    ),
    pytest.param(
        "MAP-REVIEW",
        {"residents": [RETURNED_NOV_2],
         "check_ins": [check_in(dt.date(2026, 11, 4))],
         "authorization_map": map_with({"Domain": "Meals", "Route": "Facility",
                                        "Start confirmed on": dt.date(2026, 6, 2),
                                        "Last reviewed on": dt.date(2026, 11, 6)})},
        local(2026, 11, 13, 23, 59, 59),  # latest of check-in 11-04 and map review 11-06, + 7 (not stable)
        id="MAP-REVIEW",
    ),
    pytest.param(
        "AUTH-PENDING",
        {"authorization_map": map_with({"Domain": "Wound care", "Route": "Home health", "Contact ID": "HH1",
                                        "Authorization status": "Pending",
                                        "Requested on": dt.date(2026, 11, 25)})},
        # Wed 11-25 + 5 business days: Thu 26 Thanksgiving skipped, Fri 27 (1), Mon 30 (2),
        # Tue 12-01 (3), Wed 12-02 (4), Thu 12-03 (5).
        local(2026, 12, 3, 23, 59, 59),
        id="AUTH-PENDING",
    ),
    pytest.param(
        "AUTH-EXPIRY",
        {"authorization_map": map_with({"Domain": "Therapy", "Route": "LTSS authorized service",
                                        "Contact ID": "HH1", "Authorization status": "Approved",
                                        "Requested on": dt.date(2026, 10, 1),
                                        "Authorized through": dt.date(2026, 12, 20),
                                        "Start confirmed on": dt.date(2026, 10, 5)})},
        local(2026, 12, 20, 23, 59, 59),  # Authorized through, a date-only due
        id="AUTH-EXPIRY",
    ),
    pytest.param(
        "REFERRAL-PENDING",
        {"authorization_map": map_with({"Domain": "Therapy", "Route": "Other partner",
                                        "Provider": "Valley Therapy", "Referral status": "Sent",
                                        "Referral sent on": dt.date(2026, 11, 10)})},
        # Tue 11-10 + 3 business days: Wed 11 Veterans Day skipped, Thu 12 (1), Fri 13 (2), Mon 16 (3).
        local(2026, 11, 16, 23, 59, 59),
        id="REFERRAL-PENDING",
    ),
    pytest.param(
        "START-UNCONFIRMED",
        {"authorization_map": map_with({"Domain": "Bathing", "Route": "Family-paid add-on",
                                        "Start date": dt.date(2026, 11, 16)})},
        local(2026, 11, 17, 23, 59, 59),  # Start date 11-16 + 1 grace day
        id="START-UNCONFIRMED",
    ),
    pytest.param(
        "GAP-OPEN",
        {"authorization_map": map_with({"Domain": "Meals", "Route": "Facility",
                                        "Start confirmed on": dt.date(2026, 6, 2), "Gap": "Open",
                                        "Gap noted on": dt.date(2026, 11, 16)})},
        local(2026, 11, 19, 23, 59, 59),  # Gap noted on 11-16 + 3 resolution days
        id="GAP-OPEN",
    ),
    pytest.param(
        "ESC-RESPONSE",
        {"escalations": [escalation({"Contacted at": dt.datetime(2026, 11, 16, 9, 20)})]},
        local(2026, 11, 16, 13, 20),  # Contacted at 09:20 (not Opened at 09:00) + 4 h for Acute confusion
        id="ESC-RESPONSE",
    ),
    pytest.param(
        "ESC-DECISION",
        {"escalations": [escalation({"Responded at": dt.datetime(2026, 11, 16, 10, 0),
                                     "Needed by": dt.datetime(2026, 11, 17, 12, 0)})]},
        local(2026, 11, 17, 12, 0),  # Needed by, a date-time
        id="ESC-DECISION",
    ),
    pytest.param(
        "ESC-FOLLOWUP",
        {"escalations": [escalation({"Responded at": dt.datetime(2026, 11, 16, 10, 0), "Decision": "Start PT",
                                     "Decided at": dt.datetime(2026, 11, 16, 15, 0),
                                     "Follow-up": "Case manager confirms the PT start date",
                                     "Follow-up owner": "CM2", "Follow-up due": dt.date(2026, 11, 18)})]},
        local(2026, 11, 18, 23, 59, 59),  # Follow-up due 11-18 with no time: the end of that day
        id="ESC-FOLLOWUP",
    ),
    pytest.param(
        "RISK-REVIEW",
        {"risks": [risk({"Opened on": dt.date(2026, 10, 15), "Last reviewed on": dt.date(2026, 11, 5)})]},
        local(2026, 11, 19, 23, 59, 59),  # Auto: review 11-05 is 21 days after opening (< 30), so + 14
        id="RISK-REVIEW",
    ),
    pytest.param(
        "RISK-AFTER-INCIDENT",
        {"risks": [risk({"Opened on": dt.date(2026, 10, 15), "Last reviewed on": dt.date(2026, 11, 5),
                         "Cadence": "Monthly"})],
         "incidents": [incident("I1", dt.datetime(2026, 11, 16, 7, 45), kind="Behavioral")]},
        local(2026, 11, 19, 7, 45),  # incident 11-16 07:45 + 72 h
        id="RISK-AFTER-INCIDENT",
    ),
    pytest.param(
        "RISK-MISSING",
        {"residents": [dict(BASE_RESIDENT, **{"Admitted on": dt.date(2026, 11, 9), "Complex risk": "Yes"})]},
        local(2026, 11, 16, 23, 59, 59),  # anchor 11-09 + 7 map-due days
        id="RISK-MISSING",
    ),
    pytest.param(
        "FALLS-CLUSTER",
        {"incidents": [incident("F1", dt.datetime(2026, 11, 3, 22, 10)),
                       incident("F2", dt.datetime(2026, 11, 20, 6, 30))]},
        local(2026, 11, 21, 6, 30),  # F2 is the 2nd fall within 30 days (17 days after F1), so 06:30 + 24 h
        id="FALLS-CLUSTER",
    ),
]


def test_boundary_cases_cover_every_code():
    from toolkit.due import CODES

    assert sorted(case.values[0] for case in BOUNDARY_CASES) == sorted(CODES)


@pytest.mark.parametrize("offset, status", [
    pytest.param(-SECOND, "due soon", id="just-before"),
    pytest.param(dt.timedelta(0), "due soon", id="at"),
    pytest.param(SECOND, "overdue", id="just-after"),
])
@pytest.mark.parametrize("code, sheets, expected_due", BOUNDARY_CASES)
def test_status_around_due_time(make_workbook, code, sheets, expected_due, offset, status):
    as_of = (expected_due + offset).replace(tzinfo=None)

    items = due_for(make_workbook, as_of, **sheets)

    assert timeline(items, code) == [(code, status, expected_due)]


# ---------------------------------------------------------------- business days


def pending_authorization(status: str = "Pending", requested_on=dt.date(2026, 11, 25)) -> list[dict]:
    return map_with({"Domain": "Wound care", "Route": "Home health", "Contact ID": "HH1",
                     "Authorization status": status, "Requested on": requested_on})


@pytest.mark.parametrize("holidays, status, expected_due", [
    # Wed 11-25 + 5: Thu 26 Thanksgiving skipped, Fri 27, Mon 30, Tue 1, Wed 2, Thu 12-03.
    pytest.param("US", "Pending", local(2026, 12, 3, 23, 59, 59), id="US-pending"),
    pytest.param("US", "Requested", local(2026, 12, 3, 23, 59, 59), id="US-requested"),
    # Weekends only: Thu 26, Fri 27, Mon 30, Tue 1, Wed 12-02.
    pytest.param("none", "Pending", local(2026, 12, 2, 23, 59, 59), id="none"),
    # California also closes Fri 11-27 (Day After Thanksgiving): Mon 30, Tue 1, Wed 2, Thu 3, Fri 12-04.
    pytest.param("US-CA", "Pending", local(2026, 12, 4, 23, 59, 59), id="US-CA"),
])
def test_auth_pending_skips_holidays(make_workbook, holidays, status, expected_due):
    items = due_for(make_workbook, dt.datetime(2026, 11, 30, 9, 0),
                    authorization_map=pending_authorization(status), settings={"Holidays": holidays})

    assert timeline(items, "AUTH-PENDING") == [("AUTH-PENDING", "due soon", expected_due)]


@pytest.mark.parametrize("holidays, expected_due", [
    # Tue 11-24 + 3: Wed 25 (1), Thu 26 Thanksgiving skipped, Fri 27 (2), Mon 30 (3).
    pytest.param("US", local(2026, 11, 30, 23, 59, 59), id="US"),
    # Weekends only: Wed 25, Thu 26, Fri 27.
    pytest.param("none", local(2026, 11, 27, 23, 59, 59), id="none"),
])
def test_referral_pending_skips_holidays(make_workbook, holidays, expected_due):
    authorization_map = map_with({"Domain": "Therapy", "Route": "Other partner", "Referral status": "Sent",
                                  "Referral sent on": dt.date(2026, 11, 24)})

    items = due_for(make_workbook, dt.datetime(2026, 11, 25, 9, 0), authorization_map=authorization_map,
                    settings={"Holidays": holidays})

    assert timeline(items, "REFERRAL-PENDING") == [("REFERRAL-PENDING", "due soon", expected_due)]


# ---------------------------------------------------------------- daylight saving


@pytest.mark.parametrize("as_of, status", [
    pytest.param(dt.datetime(2026, 11, 1, 2, 29, 59), "due soon", id="just-before"),
    pytest.param(dt.datetime(2026, 11, 1, 2, 30), "due soon", id="at"),
    pytest.param(dt.datetime(2026, 11, 1, 2, 30, 1), "overdue", id="just-after"),
])
def test_esc_response_hours_across_fall_back(make_workbook, as_of, status):
    escalations = [escalation({"Opened at": dt.datetime(2026, 10, 31, 23, 30)})]

    items = due_for(make_workbook, as_of, escalations=escalations)

    # 23:30 EDT is 03:30 UTC, and 4 elapsed hours later is 07:30 UTC, which is 02:30 EST (not 03:30).
    assert timeline(items, "ESC-RESPONSE") == [("ESC-RESPONSE", status, local(2026, 11, 1, 2, 30))]
    assert [item.due_at.isoformat() for item in items if item.code == "ESC-RESPONSE"] == ["2026-11-01T02:30:00-05:00"]


def test_esc_response_hours_across_spring_forward(make_workbook):
    residents = [dict(BASE_RESIDENT, **{"Admitted on": dt.date(2026, 1, 5)})]
    escalations = [escalation({"Opened at": dt.datetime(2026, 3, 7, 23, 30)})]

    items = due_for(make_workbook, dt.datetime(2026, 3, 8, 1, 0), residents=residents, escalations=escalations)

    # 23:30 EST is 04:30 UTC, and 4 h later is 08:30 UTC, which is 04:30 EDT (02:00-03:00 never happens).
    [response] = [item for item in items if item.code == "ESC-RESPONSE"]
    assert response.due_at.isoformat() == "2026-03-08T04:30:00-04:00"
    assert response.status == "due soon"


@pytest.mark.parametrize("as_of, status", [
    pytest.param(dt.datetime(2026, 11, 1, 5, 45, tzinfo=dt.timezone.utc), "due soon", id="01:45-EDT-before"),
    pytest.param(dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.timezone.utc), "due soon", id="01:30-EST-at"),
    pytest.param(dt.datetime(2026, 11, 1, 6, 31, tzinfo=dt.timezone.utc), "overdue", id="01:31-EST-after"),
])
def test_status_in_repeated_hour(make_workbook, as_of, status):
    escalations = [escalation({"Opened at": dt.datetime(2026, 10, 31, 22, 30)})]

    items = due_for(make_workbook, as_of, escalations=escalations)

    # 22:30 EDT is 02:30 UTC, and 4 h later is 06:30 UTC, which is 01:30 EST, the second 01:30 of the night.
    # An as-of of 01:45 EDT (05:45 UTC) is 45 minutes before it, although its clock reading is later.
    [response] = [item for item in items if item.code == "ESC-RESPONSE"]
    assert response.due_at.isoformat() == "2026-11-01T01:30:00-05:00"
    assert response.status == status


def test_risk_after_incident_hours_across_fall_back(make_workbook):
    risks = [risk({"Last reviewed on": dt.date(2026, 10, 20), "Cadence": "Monthly"})]
    incidents = [incident("I1", dt.datetime(2026, 10, 30, 12, 0), kind="Behavioral")]

    items = due_for(make_workbook, dt.datetime(2026, 11, 1, 12, 0), risks=risks, incidents=incidents)

    # 12:00 EDT is 16:00 UTC, and 72 h later is 11-02 16:00 UTC, which is 11:00 EST.
    [review] = [item for item in items if item.code == "RISK-AFTER-INCIDENT"]
    assert review.due_at.isoformat() == "2026-11-02T11:00:00-05:00"


@pytest.mark.parametrize("needed_by, expected", [
    # As-of 10-28 00:00 EDT is 04:00 UTC, and 7 elapsed days later is 11-04 04:00 UTC, which is 11-03 23:00 EST.
    pytest.param(dt.datetime(2026, 11, 3, 23, 0), [("ESC-DECISION", "due soon", local(2026, 11, 3, 23, 0))],
                 id="exactly-7-days"),
    pytest.param(dt.datetime(2026, 11, 3, 23, 30), [], id="7-days-30-minutes"),
])
def test_horizon_is_elapsed_time_across_fall_back(make_workbook, needed_by, expected):
    escalations = [escalation({"Opened at": dt.datetime(2026, 10, 27, 9, 0),
                               "Responded at": dt.datetime(2026, 10, 27, 10, 0), "Needed by": needed_by})]

    items = due_for(make_workbook, dt.datetime(2026, 10, 28, 0, 0), horizon=7, escalations=escalations)

    assert timeline(items, "ESC-DECISION") == expected


# ---------------------------------------------------------------- unscheduled

UNSCHEDULED_CASES = [
    pytest.param("AUTH-PENDING", {"authorization_map": pending_authorization(requested_on=None)},
                 id="pending-authorization-no-requested-on"),
    pytest.param("AUTH-PENDING", {"authorization_map": pending_authorization(requested_on="TBD")},
                 id="pending-authorization-placeholder-requested-on"),
    pytest.param("GAP-OPEN", {"authorization_map": map_with({"Domain": "Meals", "Route": "Facility",
                                                             "Gap": "Open"})},
                 id="open-gap-no-gap-noted-on"),
    pytest.param("START-UNCONFIRMED", {"authorization_map": map_with({"Domain": "Bathing", "Route": "Facility",
                                                                      "Start date": "after the move"})},
                 id="unreadable-start-date"),
    pytest.param("REFERRAL-PENDING", {"authorization_map": map_with({"Domain": "Therapy",
                                                                     "Route": "Other partner",
                                                                     "Referral status": "Sent"})},
                 id="sent-referral-no-sent-on"),
    pytest.param("AUTH-EXPIRY", {"authorization_map": map_with({"Domain": "Therapy", "Route": "Home health",
                                                                "Authorization status": "Approved",
                                                                "Requested on": dt.date(2026, 10, 1)})},
                 id="approved-no-authorized-through"),
    pytest.param("ESC-RESPONSE", {"escalations": [escalation({"Category": "Behavioral concern"})],
                                  "standards": {"Behavioral concern": "soon"}},
                 id="category-standard-invalid"),
    pytest.param("ESC-RESPONSE", {"escalations": [escalation({"Contacted at": "after lunch"})]},
                 id="unreadable-contacted-at"),
    pytest.param("ESC-DECISION", {"escalations": [escalation({"Needed by": "before the weekend"})]},
                 id="unreadable-needed-by"),
    pytest.param("ESC-FOLLOWUP", {"escalations": [escalation({"Follow-up": "Confirm PT start",
                                                              "Follow-up due": "next visit"})]},
                 id="unreadable-follow-up-due"),
    pytest.param("RISK-REVIEW", {"risks": [risk({"Opened on": "last autumn"})]}, id="unreadable-risk-opened-on"),
    pytest.param("RISK-REVIEW", {"risks": [risk({"Cadence": "Fortnightly"})]}, id="unreadable-cadence"),
    pytest.param("MAP-REVIEW", {"residents": [dict(BASE_RESIDENT, **{"Admitted on": "spring"})]},
                 id="unreadable-admitted-on"),
]


@pytest.mark.parametrize("code, sheets", UNSCHEDULED_CASES)
def test_unscheduled_when_due_time_unknown(make_workbook, code, sheets):
    # Horizon 0: an unscheduled item is reported whatever the horizon.
    items = due_for(make_workbook, dt.datetime(2026, 11, 20, 9, 0), horizon=0, **sheets)

    assert timeline(items, code) == [(code, "unscheduled", None)]
    assert [item.to_dict()["due_at"] for item in items if item.code == code] == [""]


# ---------------------------------------------------------------- where items point


def test_items_point_to_defining_rows(make_workbook):
    residents = [
        dict(BASE_RESIDENT, **{"Resident ID": "R-101", "Admitted on": dt.date(2026, 11, 2), "Case manager": "cm1"}),
        dict(BASE_RESIDENT, **{"Resident ID": "R-102", "Name": "Bo Sample", "Admitted on": dt.date(2026, 11, 9),
                               "Case manager": "CM2", "Complex risk": "Yes"}),
    ]
    authorization_map = [
        {"Resident ID": "r-101", "Domain": "wound care", "Route": "Home health", "Contact ID": "hh1",
         "Authorization status": "Pending", "Requested on": dt.date(2026, 11, 12)},
        {"Resident ID": "r-101", "Domain": "Therapy", "Route": "LTSS authorized service", "Contact ID": "HH1",
         "Authorization status": "Approved", "Requested on": dt.date(2026, 10, 1),
         "Authorized through": dt.date(2026, 11, 25)},
        {"Resident ID": "r-101", "Domain": "Transport", "Route": "Other partner", "Contact ID": "cm2",
         "Referral status": "Sent", "Referral sent on": dt.date(2026, 11, 13)},
        {"Resident ID": "r-101", "Domain": "Bathing", "Route": "Family-paid add-on", "Contact ID": "CM1",
         "Start date": dt.date(2026, 11, 15)},
        {"Resident ID": "r-101", "Domain": "Meals", "Route": "Facility", "Contact ID": "CM1",
         "Start confirmed on": dt.date(2026, 11, 3), "Gap": "Open", "Gap noted on": dt.date(2026, 11, 16)},
    ] + full_map("R-102")
    escalations = [
        escalation({"Resident ID": "r-101", "Contacted": "cm1",
                    "Needed by": dt.datetime(2026, 11, 18, 12, 0)}, identifier="Esc-7"),
        escalation({"Resident ID": "r-101", "Opened at": dt.datetime(2026, 11, 15, 8, 0),
                    "Category": "Missed service", "Contacted": "HH1",
                    "Responded at": dt.datetime(2026, 11, 15, 9, 0), "Decision": "Reschedule the aide",
                    "Decided at": dt.datetime(2026, 11, 15, 10, 0), "Follow-up": "Aide visit confirmed",
                    "Follow-up owner": "cm2", "Follow-up due": dt.datetime(2026, 11, 18, 17, 0)},
                   identifier="Esc-8"),
    ]
    risks = [risk({"Resident ID": "r-101", "Owner": "hh1", "Opened on": dt.date(2026, 11, 3)}, identifier="Rk-1")]
    incidents = [
        incident("Inc-1", dt.datetime(2026, 11, 10, 8, 0), resident_id="r-101"),
        incident("Inc-2", dt.datetime(2026, 11, 16, 20, 0), resident_id="r-101"),
    ]

    items = due_for(make_workbook, dt.datetime(2026, 11, 17, 9, 0), horizon=14, residents=residents,
                    authorization_map=authorization_map, escalations=escalations, risks=risks,
                    incidents=incidents)

    found = sorted((item.code, item.resident_id, item.sheet, item.row, item.ref, item.owner) for item in items)
    assert found == sorted([
        ("MAP-MISSING", "R-101", "Residents", 2, "", "CM1"),
        ("MAP-REVIEW", "R-101", "Residents", 2, "", "CM1"),
        ("MAP-REVIEW", "R-102", "Residents", 3, "", "CM2"),
        ("RISK-MISSING", "R-102", "Residents", 3, "", "CM2"),
        ("AUTH-PENDING", "R-101", "Authorization Map", 2, "Wound care", "HH1"),
        ("AUTH-EXPIRY", "R-101", "Authorization Map", 3, "Therapy", "HH1"),
        ("REFERRAL-PENDING", "R-101", "Authorization Map", 4, "Transport", "CM2"),
        ("START-UNCONFIRMED", "R-101", "Authorization Map", 5, "Bathing", "CM1"),
        ("GAP-OPEN", "R-101", "Authorization Map", 6, "Meals", "CM1"),
        ("ESC-RESPONSE", "R-101", "Escalations", 2, "Esc-7", "CM1"),
        ("ESC-DECISION", "R-101", "Escalations", 2, "Esc-7", "CM1"),
        ("ESC-FOLLOWUP", "R-101", "Escalations", 3, "Esc-8", "CM2"),
        ("RISK-REVIEW", "R-101", "Risk Register", 2, "Rk-1", "HH1"),
        ("RISK-AFTER-INCIDENT", "R-101", "Risk Register", 2, "Rk-1", "HH1"),
        ("FALLS-CLUSTER", "R-101", "Incidents", 3, "Inc-2", "CM1"),
    ])

    summaries = {item.code: item.summary for item in items if item.resident_id == "R-101"}
    for domain in ("Medication management", "Mobility supervision", "Equipment", "Behavioral support"):
        assert domain in summaries["MAP-MISSING"]
    assert "Meals" not in summaries["MAP-MISSING"]
    assert "Inc-2" in summaries["RISK-AFTER-INCIDENT"]
    assert "CM2" in summaries["ESC-RESPONSE"]


def test_esc_response_names_backup_as_spelled(make_workbook):
    contacts = [dict(contact) for contact in BASE_CONTACTS]
    contacts[0]["Backup contact"] = " cm2 "

    items = due_for(make_workbook, dt.datetime(2026, 11, 16, 10, 0), contacts=contacts,
                    escalations=[escalation({"Contacted": "Cm1"})])

    [response] = [item for item in items if item.code == "ESC-RESPONSE"]
    assert response.owner == "CM1"
    assert "CM2" in response.summary


@pytest.mark.parametrize("code, sheets", [
    pytest.param("GAP-OPEN", {"authorization_map": map_with({"Domain": "Meals", "Route": "Facility",
                                                             "Contact ID": "ZZ9", "Gap": "Open",
                                                             "Gap noted on": dt.date(2026, 11, 18)})},
                 id="map-contact"),
    pytest.param("ESC-RESPONSE", {"escalations": [escalation({"Contacted": "ZZ9"})]}, id="contacted"),
    pytest.param("ESC-FOLLOWUP", {"escalations": [escalation({"Follow-up": "Confirm PT start",
                                                              "Follow-up owner": "ZZ9",
                                                              "Follow-up due": dt.date(2026, 11, 21)})]},
                 id="follow-up-owner"),
    pytest.param("RISK-REVIEW", {"risks": [risk({"Owner": "ZZ9"})]}, id="risk-owner"),
    pytest.param("MAP-REVIEW", {"residents": [dict(BASE_RESIDENT, **{"Case manager": "ZZ9"})]},
                 id="case-manager"),
])
def test_unknown_owner_is_blank(make_workbook, code, sheets):
    facility = make_workbook.load(dt.datetime(2026, 11, 20, 9, 0), **sheets)

    items = due_items(facility, 7)

    assert [(item.code, item.owner) for item in items if item.code == code] == [(code, "")]
    assert "REF-UNKNOWN" in [problem.code for problem in facility.problems if problem.value == "ZZ9"]


# ---------------------------------------------------------------- horizon


@pytest.mark.parametrize("horizon, as_of, expected", [
    # GAP-OPEN due 11-19 23:59:59 (noted 11-16 + 3 days).
    pytest.param(3, dt.datetime(2026, 11, 16, 23, 59, 59), [("GAP-OPEN", "due soon", local(2026, 11, 19, 23, 59, 59))],
                 id="exactly-3-days-out"),
    pytest.param(3, dt.datetime(2026, 11, 16, 23, 59, 58), [], id="3-days-and-a-second-out"),
    pytest.param(0, dt.datetime(2026, 11, 19, 23, 59, 59), [("GAP-OPEN", "due soon", local(2026, 11, 19, 23, 59, 59))],
                 id="horizon-0-at-due"),
    pytest.param(0, dt.datetime(2026, 11, 19, 23, 59, 58), [], id="horizon-0-a-second-before"),
    pytest.param(0, dt.datetime(2026, 11, 25, 9, 0), [("GAP-OPEN", "overdue", local(2026, 11, 19, 23, 59, 59))],
                 id="overdue-whatever-the-horizon"),
])
def test_horizon_limits_due_soon(make_workbook, horizon, as_of, expected):
    authorization_map = map_with({"Domain": "Meals", "Route": "Facility", "Gap": "Open",
                                  "Gap noted on": dt.date(2026, 11, 16)})

    items = due_for(make_workbook, as_of, horizon=horizon, authorization_map=authorization_map)

    assert timeline(items, "GAP-OPEN") == expected


@pytest.mark.parametrize("as_of, expected", [
    pytest.param(dt.datetime(2026, 11, 17, 23, 59, 59), [("GAP-OPEN", "due soon", local(2026, 11, 19, 23, 59, 59))],
                 id="exactly-2-days-out"),
    pytest.param(dt.datetime(2026, 11, 17, 23, 59, 58), [], id="2-days-and-a-second-out"),
])
def test_default_horizon_from_settings(make_workbook, as_of, expected):
    authorization_map = map_with({"Domain": "Meals", "Route": "Facility", "Gap": "Open",
                                  "Gap noted on": dt.date(2026, 11, 16)})

    items = due_for(make_workbook, as_of, horizon=None, authorization_map=authorization_map,
                    settings={"Due soon horizon (days)": "2"})

    assert timeline(items, "GAP-OPEN") == expected


EXPIRES_DEC_20 = local(2026, 12, 20, 23, 59, 59)


@pytest.mark.parametrize("horizon, settings, as_of, expected", [
    # Horizon 7, warning 14 (default): reported from 14 days before 12-20 23:59:59.
    pytest.param(7, {}, dt.datetime(2026, 12, 6, 23, 59, 59), [("AUTH-EXPIRY", "due soon", EXPIRES_DEC_20)],
                 id="warning-14-exactly"),
    pytest.param(7, {}, dt.datetime(2026, 12, 6, 23, 59, 58), [], id="warning-14-a-second-more"),
    # Horizon 20 is larger than the warning, so it wins: reported from 11-30 23:59:59.
    pytest.param(20, {}, dt.datetime(2026, 11, 30, 23, 59, 59), [("AUTH-EXPIRY", "due soon", EXPIRES_DEC_20)],
                 id="horizon-20-exactly"),
    pytest.param(20, {}, dt.datetime(2026, 11, 30, 23, 59, 58), [], id="horizon-20-a-second-more"),
    # Warning 3 is smaller than horizon 7: reported from 12-13 23:59:59.
    pytest.param(7, {"Authorization expiry warning (days)": 3}, dt.datetime(2026, 12, 13, 23, 59, 59),
                 [("AUTH-EXPIRY", "due soon", EXPIRES_DEC_20)], id="warning-3-horizon-7-exactly"),
    pytest.param(7, {"Authorization expiry warning (days)": 3}, dt.datetime(2026, 12, 13, 23, 59, 58), [],
                 id="warning-3-horizon-7-a-second-more"),
])
def test_auth_expiry_reach(make_workbook, horizon, settings, as_of, expected):
    authorization_map = map_with(
        {"Domain": "Therapy", "Route": "LTSS authorized service", "Contact ID": "HH1",
         "Authorization status": "Approved", "Requested on": dt.date(2026, 10, 1),
         "Authorized through": dt.date(2026, 12, 20), "Start confirmed on": dt.date(2026, 10, 5)},
    )

    items = due_for(make_workbook, as_of, horizon=horizon, authorization_map=authorization_map, settings=settings)

    assert timeline(items, "AUTH-EXPIRY") == expected


def test_expiry_warning_does_not_widen_other_rules(make_workbook):
    authorization_map = map_with(
        {"Domain": "Therapy", "Route": "LTSS authorized service", "Contact ID": "HH1",
         "Authorization status": "Approved", "Requested on": dt.date(2026, 10, 1),
         "Authorized through": dt.date(2026, 12, 20), "Start confirmed on": dt.date(2026, 10, 5)},
        {"Domain": "Bathing", "Route": "Family-paid add-on", "Start date": dt.date(2026, 12, 19)},
    )

    items = due_for(make_workbook, dt.datetime(2026, 12, 6, 23, 59, 59), horizon=7,
                    authorization_map=authorization_map)

    # Both fall due 12-20 23:59:59, 14 days out: only AUTH-EXPIRY reaches that far.
    assert [item.code for item in items if item.due_at == EXPIRES_DEC_20] == ["AUTH-EXPIRY"]


# ---------------------------------------------------------------- who yields items


def busy_resident_sheets(status: str) -> dict:
    """Return sheets for one resident with something due under every kind of rule."""
    return {
        "residents": [dict(BASE_RESIDENT, **{"Status": status, "Admitted on": dt.date(2026, 11, 2)})],
        "authorization_map": [
            {"Resident ID": "R1", "Domain": "Wound care", "Route": "Home health", "Contact ID": "HH1",
             "Authorization status": "Pending", "Requested on": dt.date(2026, 11, 12)},
            {"Resident ID": "R1", "Domain": "Meals", "Route": "Facility", "Contact ID": "CM1", "Gap": "Open",
             "Gap noted on": dt.date(2026, 11, 16)},
        ],
        "escalations": [escalation({"Needed by": dt.datetime(2026, 11, 18, 12, 0),
                                    "Follow-up": "Confirm the lab draw", "Follow-up owner": "CM1",
                                    "Follow-up due": dt.date(2026, 11, 19)})],
        "risks": [risk({"Opened on": dt.date(2026, 11, 3)})],
        "incidents": [incident("F1", dt.datetime(2026, 11, 10, 8, 0)),
                      incident("F2", dt.datetime(2026, 11, 16, 20, 0))],
    }


@pytest.mark.parametrize("status, expected_codes", [
    pytest.param("Active", ["AUTH-PENDING", "ESC-DECISION", "ESC-FOLLOWUP", "ESC-RESPONSE", "FALLS-CLUSTER",
                            "GAP-OPEN", "MAP-MISSING", "MAP-REVIEW", "RISK-AFTER-INCIDENT", "RISK-REVIEW"],
                 id="active"),
    pytest.param("Hospital", ["ESC-DECISION", "ESC-FOLLOWUP", "ESC-RESPONSE"], id="hospital"),
    pytest.param("Discharged", [], id="discharged"),
])
def test_resident_status_limits_items(make_workbook, status, expected_codes):
    items = due_for(make_workbook, dt.datetime(2026, 11, 17, 9, 0), horizon=14, **busy_resident_sheets(status))

    assert sorted(item.code for item in items) == expected_codes


@pytest.mark.parametrize("closed_at, expected_codes", [
    pytest.param(None, ["ESC-DECISION", "ESC-FOLLOWUP", "ESC-RESPONSE"], id="open"),
    pytest.param(dt.datetime(2026, 11, 16, 12, 0), [], id="closed"),
])
def test_closed_escalation_yields_nothing(make_workbook, closed_at, expected_codes):
    escalations = [escalation({"Needed by": dt.datetime(2026, 11, 18, 12, 0), "Follow-up": "Confirm the lab draw",
                               "Follow-up owner": "CM1", "Follow-up due": dt.date(2026, 11, 19),
                               "Closed at": closed_at})]

    items = due_for(make_workbook, dt.datetime(2026, 11, 17, 9, 0), escalations=escalations)

    assert sorted(item.code for item in items if item.code.startswith("ESC-")) == expected_codes


@pytest.mark.parametrize("status, expected_codes", [
    pytest.param("Active", ["RISK-AFTER-INCIDENT", "RISK-REVIEW"], id="active"),
    pytest.param("Closed", [], id="closed"),
])
def test_closed_risk_yields_nothing(make_workbook, status, expected_codes):
    items = due_for(make_workbook, dt.datetime(2026, 11, 17, 9, 0),
                    risks=[risk({"Opened on": dt.date(2026, 11, 3), "Status": status})],
                    incidents=[incident("I1", dt.datetime(2026, 11, 16, 8, 0), kind="Behavioral")])

    assert sorted(item.code for item in items if item.code.startswith("RISK-")) == expected_codes


@pytest.mark.parametrize("sheets, expected", [
    # Status "Away" is not an allowed value, so R1 is left out of every rule.
    pytest.param({"residents": [dict(BASE_RESIDENT, **{"Status": "Away"})], "escalations": [escalation()]},
                 [], id="unreadable-resident-status"),
    # R9 is not on the Residents sheet: only R1's own map review remains.
    pytest.param({"escalations": [escalation({"Resident ID": "R9"})],
                  "risks": [risk({"Resident ID": "R9"})],
                  "authorization_map": full_map() + [{"Resident ID": "R9", "Domain": "Meals", "Route": "Facility",
                                                      "Contact ID": "CM1", "Gap": "Open",
                                                      "Gap noted on": dt.date(2026, 11, 16)}]},
                 [("MAP-REVIEW", "R1")], id="unknown-resident-id"),
])
def test_row_left_out_when_resident_unusable(make_workbook, sheets, expected):
    items = due_for(make_workbook, dt.datetime(2026, 11, 16, 10, 0), **sheets)

    assert [(item.code, item.resident_id) for item in items] == expected


# ---------------------------------------------------------------- duplicates


def test_duplicate_escalation_id_later_row_left_out(make_workbook):
    escalations = [escalation(identifier="E1"), escalation({"Category": "Other"}, identifier=" e1 ")]

    facility = make_workbook.load(dt.datetime(2026, 11, 16, 10, 0), escalations=escalations)
    items = due_items(facility, 7)

    assert [(item.code, item.row) for item in items if item.code == "ESC-RESPONSE"] == [("ESC-RESPONSE", 2)]
    assert [(p.code, p.row) for p in facility.problems if p.code == "ID-DUPLICATE"] == [("ID-DUPLICATE", 3)]


def test_duplicate_map_row_left_out(make_workbook):
    authorization_map = full_map() + [
        {"Resident ID": "r1", "Domain": "Meals", "Route": "Facility", "Contact ID": "CM1", "Gap": "Open",
         "Gap noted on": dt.date(2026, 11, 16)},
        {"Resident ID": "R1", "Domain": "Other", "Route": "Facility", "Contact ID": "CM1", "Gap": "Open",
         "Gap noted on": dt.date(2026, 11, 16)},
        {"Resident ID": "R1", "Domain": "Other", "Route": "Facility", "Contact ID": "CM1", "Gap": "Open",
         "Gap noted on": dt.date(2026, 11, 17)},
    ]

    items = due_for(make_workbook, dt.datetime(2026, 11, 17, 9, 0), authorization_map=authorization_map)

    # full_map() fills rows 2-10, so the repeated Meals row is 11 and the two Other rows (Other may repeat) 12-13.
    assert [(item.code, item.row, item.ref) for item in items if item.code == "GAP-OPEN"] == [
        ("GAP-OPEN", 12, "Other"),
        ("GAP-OPEN", 13, "Other"),
    ]


def test_duplicate_ids_elsewhere_left_out(make_workbook):
    residents = [
        dict(BASE_RESIDENT),
        dict(BASE_RESIDENT, **{"Resident ID": "r1", "Admitted on": dt.date(2026, 11, 9), "Complex risk": "Yes"}),
    ]
    risks = [risk({"Opened on": dt.date(2026, 11, 3)}), risk({"Opened on": dt.date(2026, 11, 10)})]
    # One real fall, then a second row reusing its ID: the later row must not complete a cluster.
    incidents = [incident("F1", dt.datetime(2026, 11, 10, 8, 0)), incident("f1", dt.datetime(2026, 11, 16, 20, 0))]

    items = due_for(make_workbook, dt.datetime(2026, 11, 17, 9, 0), horizon=14, residents=residents,
                    risks=risks, incidents=incidents)

    found = sorted((item.code, item.sheet, item.row) for item in items
                   if item.code not in ("MAP-MISSING", "RISK-AFTER-INCIDENT"))
    assert found == [
        ("MAP-REVIEW", "Residents", 2),
        ("RISK-REVIEW", "Risk Register", 2),
    ]
    # The first fall (11-10 08:00) is after the first risk's opening, so it alone is the latest incident.
    assert [item.summary.count("F1") for item in items if item.code == "RISK-AFTER-INCIDENT"] == [1]
    assert [item.due_at for item in items if item.code == "RISK-AFTER-INCIDENT"] == [local(2026, 11, 13, 8, 0)]


# ---------------------------------------------------------------- MAP-REVIEW


@pytest.mark.parametrize("changes, check_ins, map_review, settings, expected", [
    pytest.param({}, [], None, {}, ("overdue", local(2026, 11, 9, 23, 59, 59)), id="no-review-anchor-plus-7"),
    pytest.param({}, [check_in(dt.date(2026, 10, 30))], None, {}, ("overdue", local(2026, 11, 9, 23, 59, 59)),
                 id="check-in-before-anchor-ignored"),
    pytest.param({}, [check_in(dt.date(2026, 11, 12))], dt.date(2026, 11, 10), {},
                 ("overdue", local(2026, 11, 19, 23, 59, 59)), id="latest-is-check-in"),
    pytest.param({}, [check_in(dt.date(2026, 11, 12))], dt.date(2026, 11, 16), {},
                 ("due soon", local(2026, 11, 23, 23, 59, 59)), id="latest-is-map-review"),
    pytest.param({}, [check_in(dt.date(2026, 11, 16), resident_id=" r1")], None, {},
                 ("due soon", local(2026, 11, 23, 23, 59, 59)), id="check-in-id-other-spelling"),
    pytest.param({}, [check_in(dt.date(2026, 11, 21))], None, {}, ("overdue", local(2026, 11, 9, 23, 59, 59)),
                 id="future-check-in-ignored"),
    pytest.param({}, [], "last week", {}, ("overdue", local(2026, 11, 9, 23, 59, 59)),
                 id="unreadable-review-ignored"),
    pytest.param({}, [], None, {"Map review until stable (days)": 5}, ("overdue", local(2026, 11, 7, 23, 59, 59)),
                 id="until-stable-setting"),
    # Stable (Stable from between the anchor 11-02 and the as-of date 11-20, both included) means + 30.
    pytest.param({"Stable from": dt.date(2026, 11, 5)}, [check_in(dt.date(2026, 11, 12))], None, {},
                 ("due soon", local(2026, 12, 12, 23, 59, 59)), id="stable"),
    pytest.param({"Stable from": dt.date(2026, 11, 2)}, [check_in(dt.date(2026, 11, 12))], None, {},
                 ("due soon", local(2026, 12, 12, 23, 59, 59)), id="stable-from-anchor-date"),
    pytest.param({"Stable from": dt.date(2026, 11, 20)}, [check_in(dt.date(2026, 11, 12))], None, {},
                 ("due soon", local(2026, 12, 12, 23, 59, 59)), id="stable-from-as-of-date"),
    pytest.param({"Stable from": dt.date(2026, 11, 21)}, [check_in(dt.date(2026, 11, 12))], None, {},
                 ("overdue", local(2026, 11, 19, 23, 59, 59)), id="stable-from-after-as-of"),
    pytest.param({"Stable from": dt.date(2026, 9, 1)}, [check_in(dt.date(2026, 11, 12))], None, {},
                 ("overdue", local(2026, 11, 19, 23, 59, 59)), id="stable-from-before-transition"),
    pytest.param({"Stable from": dt.date(2026, 11, 5)}, [], None, {},
                 ("due soon", local(2026, 12, 2, 23, 59, 59)), id="stable-no-review-anchor-plus-30"),
    pytest.param({"Stable from": dt.date(2026, 11, 5)}, [check_in(dt.date(2026, 11, 12))], None,
                 {"Map review once stable (days)": 14}, ("due soon", local(2026, 11, 26, 23, 59, 59)),
                 id="once-stable-setting"),
])
def test_map_review_cycle(make_workbook, changes, check_ins, map_review, settings, expected):
    # Anchor: Last transition on 11-02 is later than Admitted on 06-01.
    residents = [dict(RETURNED_NOV_2, **changes)]
    authorization_map = map_with({"Domain": "Meals", "Route": "Facility", "Start confirmed on": dt.date(2026, 6, 2),
                                  "Last reviewed on": map_review})

    items = due_for(make_workbook, dt.datetime(2026, 11, 20, 9, 0), horizon=60, residents=residents,
                    authorization_map=authorization_map, check_ins=check_ins or None, settings=settings)

    assert timeline(items, "MAP-REVIEW") == [("MAP-REVIEW", *expected)]


# ---------------------------------------------------------------- RISK-REVIEW


@pytest.mark.parametrize("changes, settings, expected", [
    # Opened on 10-01 throughout, as-of 11-20 09:00.
    pytest.param({}, {}, ("overdue", local(2026, 10, 15, 23, 59, 59)), id="auto-never-reviewed-plus-14"),
    pytest.param({"Last reviewed on": dt.date(2026, 10, 30)}, {}, ("overdue", local(2026, 11, 13, 23, 59, 59)),
                 id="auto-review-on-day-29-plus-14"),
    pytest.param({"Last reviewed on": dt.date(2026, 10, 31)}, {}, ("due soon", local(2026, 11, 30, 23, 59, 59)),
                 id="auto-review-on-day-30-plus-30"),
    pytest.param({"Last reviewed on": dt.date(2026, 10, 31), "Cadence": "Auto"}, {},
                 ("due soon", local(2026, 11, 30, 23, 59, 59)), id="auto-spelled-out"),
    pytest.param({"Last reviewed on": dt.date(2026, 11, 10), "Cadence": "Weekly"}, {},
                 ("overdue", local(2026, 11, 17, 23, 59, 59)), id="weekly"),
    pytest.param({"Last reviewed on": dt.date(2026, 11, 10), "Cadence": "Biweekly"}, {},
                 ("due soon", local(2026, 11, 24, 23, 59, 59)), id="biweekly"),
    pytest.param({"Last reviewed on": dt.date(2026, 11, 10), "Cadence": "Monthly"}, {},
                 ("due soon", local(2026, 12, 10, 23, 59, 59)), id="monthly"),
    pytest.param({"Last reviewed on": dt.date(2026, 11, 25)}, {}, ("overdue", local(2026, 10, 15, 23, 59, 59)),
                 id="future-review-ignored"),
    pytest.param({"Last reviewed on": dt.date(2026, 10, 31)}, {"Risk first period (days)": 45},
                 ("overdue", local(2026, 11, 14, 23, 59, 59)), id="first-period-setting"),
    pytest.param({"Last reviewed on": dt.date(2026, 10, 31)}, {"Risk review after first period (days)": 20},
                 ("due soon", local(2026, 11, 20, 23, 59, 59)), id="after-first-period-setting"),
])
def test_risk_review_cadence(make_workbook, changes, settings, expected):
    items = due_for(make_workbook, dt.datetime(2026, 11, 20, 9, 0), horizon=60, risks=[risk(changes)],
                    settings=settings)

    assert timeline(items, "RISK-REVIEW") == [("RISK-REVIEW", *expected)]


# ---------------------------------------------------------------- RISK-AFTER-INCIDENT


@pytest.mark.parametrize("risks, incidents, settings, expected", [
    # Last reviewed 11-10 unless stated, as-of 11-20 09:00.
    pytest.param([risk({"Last reviewed on": dt.date(2026, 11, 10)})],
                 [incident("I1", dt.datetime(2026, 11, 10, 15, 0))], {}, [], id="incident-on-review-date-covered"),
    pytest.param([risk({"Last reviewed on": dt.date(2026, 11, 10)})],
                 [incident("I1", dt.datetime(2026, 11, 11, 6, 15))], {},
                 [("K1", "overdue", local(2026, 11, 14, 6, 15))], id="incident-day-after-review"),
    pytest.param([risk({"Last reviewed on": dt.date(2026, 11, 10)})],
                 [incident("I1", dt.date(2026, 11, 11))], {},
                 [("K1", "overdue", local(2026, 11, 14, 0, 0))], id="incident-date-only-start-of-day"),
    pytest.param([risk({"Last reviewed on": dt.date(2026, 11, 10)})],
                 [incident("I1", dt.datetime(2026, 11, 13, 9, 30)), incident("I2", dt.datetime(2026, 11, 12, 6, 0))],
                 {}, [("K1", "overdue", local(2026, 11, 16, 9, 30))], id="latest-incident-only"),
    pytest.param([risk({"Last reviewed on": dt.date(2026, 11, 10)})],
                 [incident("I1", dt.datetime(2026, 11, 21, 6, 0))], {}, [], id="future-incident-ignored"),
    pytest.param([risk({"Last reviewed on": dt.date(2026, 11, 10)})],
                 [incident("I1", dt.datetime(2026, 11, 12, 6, 0), resident_id="R2")], {}, [],
                 id="other-resident-incident"),
    pytest.param([risk({"Opened on": dt.date(2026, 11, 10)})],
                 [incident("I1", dt.datetime(2026, 11, 10, 18, 0))], {}, [], id="never-reviewed-opening-day-covered"),
    pytest.param([risk({"Opened on": dt.date(2026, 11, 10)})],
                 [incident("I1", dt.datetime(2026, 11, 12, 6, 0))], {},
                 [("K1", "overdue", local(2026, 11, 15, 6, 0))], id="never-reviewed-after-opening"),
    # A review dated after the as-of time is no review, so incidents count from Opened on (10-01).
    pytest.param([risk({"Last reviewed on": dt.date(2026, 11, 25)})],
                 [incident("I1", dt.datetime(2026, 11, 5, 8, 0))], {},
                 [("K1", "overdue", local(2026, 11, 8, 8, 0))], id="future-review-ignored"),
    pytest.param([risk({"Last reviewed on": dt.date(2026, 11, 10)})],
                 [incident("I1", dt.datetime(2026, 11, 12, 6, 0))], {"Post-incident review (hours)": 24},
                 [("K1", "overdue", local(2026, 11, 13, 6, 0))], id="post-incident-setting"),
    pytest.param([risk({"Last reviewed on": dt.date(2026, 11, 10)}),
                  risk({"Last reviewed on": dt.date(2026, 11, 10), "Risk": "Cognition"}, identifier="K2")],
                 [incident("I1", dt.datetime(2026, 11, 19, 6, 0))], {},
                 [("K1", "due soon", local(2026, 11, 22, 6, 0)), ("K2", "due soon", local(2026, 11, 22, 6, 0))],
                 id="one-item-per-risk"),
])
def test_risk_after_incident(make_workbook, risks, incidents, settings, expected):
    residents = [dict(BASE_RESIDENT), dict(BASE_RESIDENT, **{"Resident ID": "R2", "Name": "Bo Sample"})]

    items = due_for(make_workbook, dt.datetime(2026, 11, 20, 9, 0), horizon=60, residents=residents,
                    authorization_map=full_map("R1") + full_map("R2"), risks=risks, incidents=incidents,
                    settings=settings)

    found = sorted((item.ref, item.status, item.due_at) for item in items if item.code == "RISK-AFTER-INCIDENT")
    assert found == expected


def test_risk_after_incident_summary_names_latest(make_workbook):
    incidents = [incident("I1", dt.datetime(2026, 11, 13, 9, 30)), incident("I2", dt.datetime(2026, 11, 12, 6, 0))]

    items = due_for(make_workbook, dt.datetime(2026, 11, 14, 9, 0),
                    risks=[risk({"Last reviewed on": dt.date(2026, 11, 10)})], incidents=incidents)

    [review] = [item for item in items if item.code == "RISK-AFTER-INCIDENT"]
    assert "I1" in review.summary
    assert "I2" not in review.summary


# ---------------------------------------------------------------- RISK-MISSING


@pytest.mark.parametrize("changes, risks, expected", [
    # Admitted on 11-09 unless stated, so anchor + 7 is 11-16 23:59:59. As-of 11-19 09:00.
    pytest.param({"Complex risk": "Yes"}, None, [("RISK-MISSING", "overdue", local(2026, 11, 16, 23, 59, 59))],
                 id="no-risks"),
    pytest.param({"Complex risk": "x"}, None, [("RISK-MISSING", "overdue", local(2026, 11, 16, 23, 59, 59))],
                 id="complex-risk-x"),
    pytest.param({"Complex risk": "Yes"}, [risk({"Status": "Closed"})],
                 [("RISK-MISSING", "overdue", local(2026, 11, 16, 23, 59, 59))], id="only-closed-risk"),
    pytest.param({"Complex risk": "Yes"}, [risk()], [], id="active-risk"),
    pytest.param({"Complex risk": "No"}, None, [], id="not-complex"),
    pytest.param({"Complex risk": "Yes", "Last transition on": dt.date(2026, 11, 12)}, None,
                 [("RISK-MISSING", "due soon", local(2026, 11, 19, 23, 59, 59))], id="anchor-is-transition"),
])
def test_risk_missing(make_workbook, changes, risks, expected):
    residents = [dict(BASE_RESIDENT, **{"Admitted on": dt.date(2026, 11, 9)}, **changes)]

    items = due_for(make_workbook, dt.datetime(2026, 11, 19, 9, 0), residents=residents, risks=risks)

    assert timeline(items, "RISK-MISSING") == expected


# ---------------------------------------------------------------- escalations


@pytest.mark.parametrize("changes, standards, expected", [
    # Opened at 11-16 09:00 unless stated, as-of 11-16 10:00.
    pytest.param({}, None, [("ESC-RESPONSE", "due soon", local(2026, 11, 16, 13, 0))], id="from-opened-at"),
    pytest.param({"Opened at": dt.date(2026, 11, 16)}, None,
                 [("ESC-RESPONSE", "overdue", local(2026, 11, 16, 4, 0))], id="opened-date-only-start-of-day"),
    pytest.param({"Category": "Falls cluster"}, None, [("ESC-RESPONSE", "due soon", local(2026, 11, 17, 9, 0))],
                 id="falls-cluster-24h"),
    pytest.param({"Category": "Other"}, None, [("ESC-RESPONSE", "due soon", local(2026, 11, 19, 9, 0))],
                 id="other-72h"),
    pytest.param({}, {"Acute confusion": 2}, [("ESC-RESPONSE", "due soon", local(2026, 11, 16, 11, 0))],
                 id="standards-sheet-2h"),
    pytest.param({"Responded at": dt.datetime(2026, 11, 16, 9, 45)}, None, [], id="responded"),
])
def test_esc_response_due(make_workbook, changes, standards, expected):
    items = due_for(make_workbook, dt.datetime(2026, 11, 16, 10, 0), escalations=[escalation(changes)],
                    standards=standards)

    assert timeline(items, "ESC-RESPONSE") == expected


@pytest.mark.parametrize("changes, expected", [
    pytest.param({"Needed by": dt.datetime(2026, 11, 17, 12, 0)},
                 [("ESC-DECISION", "due soon", local(2026, 11, 17, 12, 0))], id="date-time"),
    pytest.param({"Needed by": dt.date(2026, 11, 17)},
                 [("ESC-DECISION", "due soon", local(2026, 11, 17, 23, 59, 59))], id="excel-date-end-of-day"),
    pytest.param({"Needed by": "11/17/2026"},
                 [("ESC-DECISION", "due soon", local(2026, 11, 17, 23, 59, 59))], id="text-date-end-of-day"),
    pytest.param({"Needed by": "Nov 17, 2026 2pm"},
                 [("ESC-DECISION", "due soon", local(2026, 11, 17, 14, 0))], id="text-date-time"),
    pytest.param({"Needed by": dt.datetime(2026, 11, 17, 12, 0), "Decision": "Start antibiotics",
                  "Decided at": dt.datetime(2026, 11, 16, 11, 0)}, [], id="decided"),
])
def test_esc_decision_due(make_workbook, changes, expected):
    items = due_for(make_workbook, dt.datetime(2026, 11, 16, 12, 0), escalations=[escalation(changes)])

    assert timeline(items, "ESC-DECISION") == expected


@pytest.mark.parametrize("changes, expected", [
    pytest.param({"Follow-up due": dt.datetime(2026, 11, 18, 17, 0)},
                 [("ESC-FOLLOWUP", "due soon", local(2026, 11, 18, 17, 0), "CM2")], id="date-time"),
    pytest.param({"Follow-up due": dt.date(2026, 11, 18)},
                 [("ESC-FOLLOWUP", "due soon", local(2026, 11, 18, 23, 59, 59), "CM2")], id="date-end-of-day"),
    pytest.param({"Follow-up due": dt.date(2026, 11, 18), "Follow-up confirmed at": dt.datetime(2026, 11, 16, 11, 0)},
                 [], id="confirmed"),
])
def test_esc_followup_due(make_workbook, changes, expected):
    row = escalation(dict({"Follow-up": "PT start confirmed", "Follow-up owner": "CM2"}, **changes))

    items = due_for(make_workbook, dt.datetime(2026, 11, 16, 12, 0), escalations=[row])

    assert [(i.code, i.status, i.due_at, i.owner) for i in items if i.code == "ESC-FOLLOWUP"] == expected


# ---------------------------------------------------------------- FALLS-CLUSTER

FALLS_NOV_3_AND_20 = [
    incident("F1", dt.datetime(2026, 11, 3, 22, 10)),
    incident("F2", dt.datetime(2026, 11, 20, 6, 30)),
]
# F2 completes the cluster: 11-20 06:30 + 24 h (Falls cluster standard).
F2_ITEM = [("FALLS-CLUSTER", "F2", 3, local(2026, 11, 21, 6, 30))]


def falls_escalation(opened_at, category: str = "Falls cluster", resident_id: str = "R1", **changes) -> dict:
    return escalation(dict({"Opened at": opened_at, "Category": category, "Resident ID": resident_id,
                            "Observed": "Second fall this month"}, **changes), identifier=f"E-{opened_at:%m%d%H%M}")


@pytest.mark.parametrize("incidents, escalations, settings, expected", [
    pytest.param(FALLS_NOV_3_AND_20, None, {}, F2_ITEM, id="uncovered"),
    pytest.param(FALLS_NOV_3_AND_20, [falls_escalation(dt.datetime(2026, 11, 3, 22, 10))], {}, [],
                 id="escalation-at-earliest-fall"),
    pytest.param(FALLS_NOV_3_AND_20, [falls_escalation(dt.datetime(2026, 11, 20, 8, 0))], {}, [],
                 id="escalation-after-latest-fall"),
    pytest.param(FALLS_NOV_3_AND_20, [falls_escalation(dt.datetime(2026, 11, 20, 8, 0),
                                                       **{"Closed at": dt.datetime(2026, 11, 20, 12, 0)})], {}, [],
                 id="closed-escalation-still-covers"),
    pytest.param(FALLS_NOV_3_AND_20, [falls_escalation(dt.datetime(2026, 11, 3, 22, 9))], {}, F2_ITEM,
                 id="escalation-before-earliest-fall"),
    pytest.param(FALLS_NOV_3_AND_20, [falls_escalation(dt.datetime(2026, 11, 20, 8, 0), category="Other")], {},
                 F2_ITEM, id="other-category"),
    pytest.param(FALLS_NOV_3_AND_20, [falls_escalation(dt.datetime(2026, 11, 20, 8, 0), resident_id="R2")], {},
                 F2_ITEM, id="other-resident-escalation"),
    # F2's window (back to 10-21 06:30) contains F1 and F2 but not F0, so only an escalation from F1 on covers it.
    pytest.param([incident("F0", dt.datetime(2026, 10, 20, 9, 0))] + FALLS_NOV_3_AND_20,
                 [falls_escalation(dt.datetime(2026, 10, 25, 9, 0))], {},
                 [("FALLS-CLUSTER", "F2", 4, local(2026, 11, 21, 6, 30))], id="latest-cluster-uncovered"),
    pytest.param(FALLS_NOV_3_AND_20, None, {"Falls cluster (falls)": 3}, [], id="below-threshold"),
    pytest.param([incident("F1", dt.datetime(2026, 11, 3, 22, 10)),
                  incident("B1", dt.datetime(2026, 11, 20, 6, 30), kind="Behavioral")], None, {}, [],
                 id="not-a-fall"),
    # As-of is 12-02 12:00 throughout, so a fall on 12-05 has not happened yet.
    pytest.param([incident("F1", dt.datetime(2026, 11, 30, 22, 10)), incident("F2", dt.datetime(2026, 12, 5, 6, 30))],
                 None, {}, [], id="future-fall-ignored"),
    # Window boundary: 30 elapsed days before 12-02 10:00 is 11-02 10:00 (both EST).
    pytest.param([incident("F1", dt.datetime(2026, 11, 2, 10, 0)), incident("F2", dt.datetime(2026, 12, 2, 10, 0))],
                 None, {}, [("FALLS-CLUSTER", "F2", 3, local(2026, 12, 3, 10, 0))], id="exactly-30-days"),
    pytest.param([incident("F1", dt.datetime(2026, 11, 2, 10, 0)), incident("F2", dt.datetime(2026, 12, 2, 10, 1))],
                 None, {}, [], id="30-days-1-minute"),
    # Across the fall-back change: 10-12 15:00 EDT and 11-11 14:00 EST are both 19:00 UTC, 30 days apart.
    pytest.param([incident("F1", dt.datetime(2026, 10, 12, 15, 0)), incident("F2", dt.datetime(2026, 11, 11, 14, 0))],
                 None, {}, [("FALLS-CLUSTER", "F2", 3, local(2026, 11, 12, 14, 0))], id="30-days-across-dst"),
    # 10-12 14:00 EDT is 18:00 UTC, so 11-11 14:00 EST (19:00 UTC) is 30 days and 1 hour later.
    pytest.param([incident("F1", dt.datetime(2026, 10, 12, 14, 0)), incident("F2", dt.datetime(2026, 11, 11, 14, 0))],
                 None, {}, [], id="30-days-1-hour-across-dst"),
])
def test_falls_cluster(make_workbook, incidents, escalations, settings, expected):
    residents = [dict(BASE_RESIDENT), dict(BASE_RESIDENT, **{"Resident ID": "R2", "Name": "Bo Sample"})]

    items = due_for(make_workbook, dt.datetime(2026, 12, 2, 12, 0), residents=residents,
                    authorization_map=full_map("R1") + full_map("R2"), incidents=incidents,
                    escalations=escalations, settings=settings)

    assert [(i.code, i.ref, i.row, i.due_at) for i in items if i.code == "FALLS-CLUSTER"] == expected


# ---------------------------------------------------------------- as-of


def test_as_of_date_is_start_of_day(make_workbook):
    workbook = make_workbook(
        authorization_map=map_with({"Domain": "Meals", "Route": "Facility", "Gap": "Open",
                                    "Gap noted on": dt.date(2026, 11, 14)}),
        escalations=[escalation({"Opened at": dt.date(2026, 11, 17), "Category": "Falls cluster"})],
    )

    facility = load_facility(workbook, dt.date(2026, 11, 18))
    items = due_items(facility, 7)

    assert facility.as_of == local(2026, 11, 18, 0, 0)
    assert sorted((i.code, i.status, i.due_at) for i in items if i.code != "MAP-REVIEW") == [
        # Opened at 11-17 with no time is 00:00, so + 24 h is exactly the as-of moment.
        ("ESC-RESPONSE", "due soon", local(2026, 11, 18, 0, 0)),
        # Gap noted on 11-14 + 3 days is 11-17 23:59:59, one second before the as-of moment.
        ("GAP-OPEN", "overdue", local(2026, 11, 17, 23, 59, 59)),
    ]


# ---------------------------------------------------------------- `handoff due`


def run_due(*arguments) -> Result:
    return CliRunner().invoke(main, ["due", *(str(argument) for argument in arguments)])


@pytest.fixture
def chicago_workbook(make_workbook):
    """Return a Central-time facility with one overdue escalation, one open gap and R1's map review."""
    return make_workbook(
        name="maple-grove.xlsx",
        authorization_map=map_with({"Domain": "Meals", "Route": "Facility", "Gap": "Open",
                                    "Gap noted on": dt.date(2026, 11, 16)}),
        escalations=[escalation()],
        settings={"Facility name": "Maple Grove", "Time zone": "America/Chicago"},
    )


def test_cli_json_report(chicago_workbook):
    result = run_due(chicago_workbook, "--as-of", "2026-11-17T09:00", "--format", "json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert list(document) == ["workbook", "facility", "as_of", "timezone", "horizon_days", "items"]
    assert {key: value for key, value in document.items() if key != "items"} == {
        "workbook": "maple-grove.xlsx",
        "facility": "Maple Grove",
        "as_of": "2026-11-17T09:00:00-06:00",
        "timezone": "America/Chicago",
        "horizon_days": 7,
    }
    for item in document["items"]:
        assert list(item) == ["code", "status", "resident_id", "sheet", "row", "ref", "due_at", "owner", "summary"]
        assert item.pop("summary")
    assert sorted(document["items"], key=lambda item: item["code"]) == [
        # Opened 11-16 09:00 CST + 4 h (Acute confusion).
        {"code": "ESC-RESPONSE", "status": "overdue", "resident_id": "R1", "sheet": "Escalations", "row": 2,
         "ref": "E1", "due_at": "2026-11-16T13:00:00-06:00", "owner": "CM1"},
        # Gap noted 11-16 + 3 days. map_with() keeps 8 full_map() rows (2-9), so the Meals row is 10.
        {"code": "GAP-OPEN", "status": "due soon", "resident_id": "R1", "sheet": "Authorization Map", "row": 10,
         "ref": "Meals", "due_at": "2026-11-19T23:59:59-06:00", "owner": "CM1"},
        # Admitted 06-01 with no review since: 06-01 + 7, in Central daylight time (UTC-5).
        {"code": "MAP-REVIEW", "status": "overdue", "resident_id": "R1", "sheet": "Residents", "row": 2,
         "ref": "", "due_at": "2026-06-08T23:59:59-05:00", "owner": "CM1"},
    ]


def test_cli_text_report(chicago_workbook):
    result = run_due(chicago_workbook, "--as-of", "2026-11-17T09:00")

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert "Maple Grove" in lines[0]
    assert "2026-11-17 09:00" in lines[0]
    gap_line = next(line for line in lines if "GAP-OPEN" in line)
    for expected in ("due soon", "2026-11-19 23:59", "R1", "Meals", "CM1"):
        assert expected in gap_line
    response_line = next(line for line in lines if "ESC-RESPONSE" in line)
    for expected in ("overdue", "2026-11-16 13:00", "E1"):
        assert expected in response_line


def test_cli_horizon_and_date_as_of(chicago_workbook):
    result = run_due(chicago_workbook, "--as-of", "2026-11-17", "--horizon", "1", "--format", "json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["as_of"] == "2026-11-17T00:00:00-06:00"
    assert document["horizon_days"] == 1
    # GAP-OPEN (11-19 23:59:59) is more than one day after 11-17 00:00, so it is left out.
    assert sorted((item["code"], item["status"]) for item in document["items"]) == [
        ("ESC-RESPONSE", "overdue"),
        ("MAP-REVIEW", "overdue"),
    ]


def test_cli_exits_0_with_errors_in_workbook(make_workbook):
    workbook = make_workbook(escalations=[escalation({"Contacted": "ZZ9", "Category": "Sudden decline"})])

    result = run_due(workbook, "--as-of", "2026-11-17T09:00", "--format", "json")

    assert result.exit_code == 0, result.output
    assert [(item["code"], item["status"], item["owner"]) for item in json.loads(result.stdout)["items"]
            if item["code"] == "ESC-RESPONSE"] == [("ESC-RESPONSE", "unscheduled", "")]


@pytest.mark.parametrize("sheet", ["Residents", "Contacts", "Authorization Map"])
def test_cli_missing_required_sheet(make_workbook, sheet):
    workbook = make_workbook(extra_sheets={sheet: None})

    result = run_due(workbook, "--as-of", "2026-11-17T09:00")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert sheet in result.stderr


@pytest.mark.parametrize("first", ["E1", "E2"])
def test_repeated_hour_passes_keep_status(make_workbook, first):
    # E1: 21:30 EDT is 01:30 UTC, 4 h later is 05:30 UTC, the first 01:30 of the night (EDT).
    # E2: 22:30 EDT is 02:30 UTC, 4 h later is 06:30 UTC, the second 01:30 (EST).
    # At 06:00 UTC (01:00 EST) the first has passed and the second has not, though both read 01:30.
    rows = {"E1": escalation({"Opened at": dt.datetime(2026, 10, 31, 21, 30)}, "E1"),
            "E2": escalation({"Opened at": dt.datetime(2026, 10, 31, 22, 30)}, "E2")}
    escalations = [rows[first], rows["E2" if first == "E1" else "E1"]]

    items = due_for(make_workbook, dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.timezone.utc), escalations=escalations)

    status = {item.ref: item.status for item in items if item.code == "ESC-RESPONSE"}
    assert status == {"E1": "overdue", "E2": "due soon"}
