"""Tests for the governance audit: figures worked out by hand, the report, the workbook and the CLI.

The main workbook is audited for November 2026 (America/New_York, so the
clocks go back at 02:00 on Sunday 1 November) at 2026-12-04 09:00. Deadlines
are judged at the end of the period, 2026-12-01 00:00. Each figure below is
worked out in the comments beside the rows that make it.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from conftest import full_map
from docx.oxml.ns import qn
from lxml import etree

from toolkit import audit
from toolkit.audit import (
    EXCLUDED,
    MET,
    NOT_MET,
    NOT_YET_DUE,
    AuditResult,
    Period,
    audit_workbook,
    audit_workbooks,
    expand_workbook_arguments,
    gap_weeks,
)
from toolkit.cli import main
from toolkit.errors import RequiredSheetMissing, WorkbookUnreadable
from toolkit.resources import doc_templates_dir

REPO_ROOT = Path(__file__).resolve().parent.parent
NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
AS_OF = dt.datetime(2026, 12, 4, 9, 0)

# Resident names appear only here: the audit outputs must never contain them.
NAMES = ("Ada Example", "Ben Newcomer", "Cora Returning", "Dev Partial", "Eve Undated", "Finn Recent")


def resident(resident_id: str, name: str, admitted: dt.date, transition: dt.date | None = None) -> dict:
    row = {"Resident ID": resident_id, "Name": name, "Room": "1", "Status": "Active", "Admitted on": admitted,
           "Case manager": "CM1", "Consent to share": "Yes"}
    if transition:
        row["Last transition on"] = transition
        row["Transition type"] = "Hospital return"
    return row


def escalation(escalation_id: str, category: str, opened: dt.datetime, resident_id: str = "R1", **columns) -> dict:
    row = {"Escalation ID": escalation_id, "Resident ID": resident_id, "Opened at": opened, "Category": category,
           "Observed": "Observed change", "Decision needed": "Decision asked", "Contacted": "CM1"}
    row.update(columns)
    return row


# ---------------------------------------------------------------- escalations
#
# Response within standard (standards: Falls cluster 24 h, Missed service 24 h,
# Acute confusion 4 h, Medication harm risk 4 h, Behavioral concern 24 h):
#   E1 opened Nov 3 09:00, responded 15:00: 6 h, met.
#   E2 contacted Nov 10 10:00, responded Nov 11 08:00: 22 h from the contact
#      (24 h from opening), met.
#   E3 opened Nov 1 00:30 EDT, responded 04:00 EST: 4.5 elapsed hours although
#      the clock moved only 3.5 h, so the 4 h standard is not met.
#   E4 opened Nov 20 09:00, no response: the standard passed at 13:00,
#      before the cutoff, so not met.
#   E5 opened Nov 30 20:00, no response: the standard passes Dec 1 20:00,
#      after the cutoff, so not yet due.
#   E6 opened Oct 30: outside the period.
#   E7 names resident R9, who does not exist: excluded.
#   Share: 2 of 4 = 50%; 1 not yet due; 1 excluded.
#   Median response of E1, E2 and E3, which have a response: median(6, 22, 4.5) = 6.0 h.
# Decision documented (Decision or Decided at), over E1-E5:
#   E1 both, E3 Decision only, E4 Decided at only: 3 of 5 = 60%.
# Follow-ups due in November:
#   E1 due Nov 5 14:00, confirmed 10:00: on time.
#   E2 due Nov 12 (end of that day), confirmed Nov 13: late.
#   E4 due Nov 30 17:00, never confirmed and passed by the cutoff: not met.
#   E6 (opened in October) due Nov 2 09:00, confirmed 08:00: on time.
#   E5 due Dec 2: outside the period.
#   Share: 2 of 4 = 50%.
# Outcomes over E1-E5: Service started or changed 1, ED transfer 1,
#   Resolved in place 1, not recorded 2 (E2, E5).

ESCALATIONS = [
    escalation("E1", "Falls cluster", dt.datetime(2026, 11, 3, 9, 0),
               **{"Responded at": dt.datetime(2026, 11, 3, 15, 0), "Decision": "Add physical therapy",
                  "Decided at": dt.datetime(2026, 11, 3, 16, 0), "Follow-up": "Confirm therapy start",
                  "Follow-up due": dt.datetime(2026, 11, 5, 14, 0),
                  "Follow-up confirmed at": dt.datetime(2026, 11, 5, 10, 0),
                  "Outcome": "Service started or changed"}),
    escalation("E2", "Missed service", dt.datetime(2026, 11, 10, 8, 0),
               **{"Contacted at": dt.datetime(2026, 11, 10, 10, 0),
                  "Responded at": dt.datetime(2026, 11, 11, 8, 0),
                  "Follow-up due": dt.date(2026, 11, 12),
                  "Follow-up confirmed at": dt.datetime(2026, 11, 13, 9, 0)}),
    escalation("E3", "Acute confusion", dt.datetime(2026, 11, 1, 0, 30),
               **{"Responded at": dt.datetime(2026, 11, 1, 4, 0), "Decision": "ED evaluation",
                  "Outcome": "ED transfer"}),
    escalation("E4", "Medication harm risk", dt.datetime(2026, 11, 20, 9, 0),
               **{"Decided at": dt.datetime(2026, 11, 21, 10, 0),
                  "Follow-up due": dt.datetime(2026, 11, 30, 17, 0), "Outcome": "Resolved in place"}),
    escalation("E5", "Behavioral concern", dt.datetime(2026, 11, 30, 20, 0),
               **{"Follow-up due": dt.date(2026, 12, 2)}),
    escalation("E6", "Falls cluster", dt.datetime(2026, 10, 30, 9, 0),
               **{"Responded at": dt.datetime(2026, 10, 30, 10, 0),
                  "Follow-up due": dt.datetime(2026, 11, 2, 9, 0),
                  "Follow-up confirmed at": dt.datetime(2026, 11, 2, 8, 0)}),
    escalation("E7", "Other", dt.datetime(2026, 11, 15, 9, 0), resident_id="R9",
               **{"Responded at": dt.datetime(2026, 11, 15, 10, 0)}),
]

# ---------------------------------------------------------------- gaps
#
# Gap resolution limit 3 days. On R1's map:
#   Wound care noted Nov 2, resolved Nov 4: 2 days, within the limit.
#   Transport noted Nov 10, resolved Nov 20: 10 days, over the limit.
#   Equipment noted Nov 12, open: the limit passed Nov 15, not met.
#   Meals noted Nov 29, open: the limit passes Dec 2, not yet due.
#   Therapy noted Oct 20, resolved Nov 3: counts only as resolved in November.
#   Bathing noted Oct 1, resolved Oct 5: outside the period.
# Noted 4; resolved 2 of 4 = 50%; median days median(2, 10) = 6.0;
# within the limit 1 of 3 = 33%, 1 not yet due; resolved in November 3
# (Therapy Nov 3, Wound care Nov 4, Transport Nov 20).

GAPS = {
    "Wound care": {"Gap": "Resolved", "Gap noted on": dt.date(2026, 11, 2), "Gap resolved on": dt.date(2026, 11, 4)},
    "Transport": {"Gap": "Resolved", "Gap noted on": dt.date(2026, 11, 10),
                  "Gap resolved on": dt.date(2026, 11, 20)},
    "Equipment": {"Gap": "Open", "Gap noted on": dt.date(2026, 11, 12)},
    "Meals": {"Gap": "Open", "Gap noted on": dt.date(2026, 11, 29)},
    "Therapy": {"Gap": "Resolved", "Gap noted on": dt.date(2026, 10, 20), "Gap resolved on": dt.date(2026, 11, 3)},
    "Bathing": {"Gap": "Resolved", "Gap noted on": dt.date(2026, 10, 1), "Gap resolved on": dt.date(2026, 10, 5)},
}

# ---------------------------------------------------------------- incidents
#
# Post-incident review 72 hours. R1's only risk RR1 was last reviewed and had
# its controls changed on Nov 6. R2 has no risk.
#   I1 R1 Nov 5 22:00: review window Nov 5 to Nov 8 contains Nov 6, met;
#      controls changed Nov 6, met.
#   I2 R1 Nov 2 08:00: window Nov 2 to Nov 5 misses Nov 6, not met;
#      controls changed Nov 6, met.
#   I3 R2 Nov 15: no risk row, not met for both.
#   I4 R1 Nov 29 12:00: the window runs to Dec 2 12:00, after the cutoff,
#      and has no review yet, so not yet due. No change since Nov 29, not met.
#   I5 R1 Oct 31: outside the period.
#   I1 again (a duplicate Incident ID) on Nov 20: excluded.
# Incidents 4; reviewed in time 1 of 3 = 33%, 1 not yet due, 1 excluded;
# controls changed 2 of 4 = 50%, 1 excluded.

RISKS = [
    {"Risk ID": "RR1", "Resident ID": "R1", "Risk": "Falls", "Controls": "Walker", "Warning signs": "Dizzy",
     "Next step": "Call nurse", "Owner": "CM1", "Opened on": dt.date(2026, 7, 1),
     "Last reviewed on": dt.date(2026, 11, 6), "Controls changed on": dt.date(2026, 11, 6), "Status": "Active"},
]

INCIDENTS = [
    {"Incident ID": "I1", "Resident ID": "R1", "Occurred at": dt.datetime(2026, 11, 5, 22, 0), "Type": "Fall"},
    {"Incident ID": "I2", "Resident ID": "R1", "Occurred at": dt.datetime(2026, 11, 2, 8, 0), "Type": "Fall"},
    {"Incident ID": "I3", "Resident ID": "R2", "Occurred at": dt.datetime(2026, 11, 15, 13, 0),
     "Type": "Medication error"},
    {"Incident ID": "I4", "Resident ID": "R1", "Occurred at": dt.datetime(2026, 11, 29, 12, 0), "Type": "Fall"},
    {"Incident ID": "I5", "Resident ID": "R1", "Occurred at": dt.datetime(2026, 10, 31, 12, 0), "Type": "Fall"},
    {"Incident ID": "I1", "Resident ID": "R1", "Occurred at": dt.datetime(2026, 11, 20, 12, 0), "Type": "Fall"},
]

# ---------------------------------------------------------------- maps
#
# Map due 7 days after the anchor date (the later of Admitted on and Last
# transition on).
#   R1 admitted Jun 1: outside the period.
#   R2 admitted Nov 3, nine rows with Start confirmed on Nov 6 (by Nov 10): met.
#   R3 back from hospital Nov 10, nine rows dated only Last reviewed on Nov 25,
#      but a check-in on Nov 16 (by Nov 17): met.
#   R4 admitted Nov 12, rows for the first six core domains only (no
#      Equipment, Meals or Behavioral support): not met.
#   R5 admitted Nov 14, nine rows dated only Last reviewed on Nov 28 (after
#      Nov 21) and no check-in: not met.
#   R6 admitted Nov 27, two rows; due Dec 4, after the cutoff: not yet due.
# Maps completed in time: 2 of 4 = 50%, 1 not yet due.

RESIDENTS = [
    resident("R1", "Ada Example", dt.date(2026, 6, 1)),
    resident("R2", "Ben Newcomer", dt.date(2026, 11, 3)),
    resident("R3", "Cora Returning", dt.date(2026, 3, 1), transition=dt.date(2026, 11, 10)),
    resident("R4", "Dev Partial", dt.date(2026, 11, 12)),
    resident("R5", "Eve Undated", dt.date(2026, 11, 14)),
    resident("R6", "Finn Recent", dt.date(2026, 11, 27)),
]


def authorization_map() -> list[dict]:
    rows = full_map("R1")
    for row in rows:
        row.update(GAPS.get(row["Domain"], {}))
    rows += full_map("R2", **{"Start confirmed on": dt.date(2026, 11, 6)})
    rows += full_map("R3", **{"Start confirmed on": None, "Last reviewed on": dt.date(2026, 11, 25)})
    rows += full_map("R4", **{"Start confirmed on": dt.date(2026, 11, 13)})[:6]
    rows += full_map("R5", **{"Start confirmed on": None, "Last reviewed on": dt.date(2026, 11, 28)})
    rows += full_map("R6", **{"Start confirmed on": dt.date(2026, 11, 28)})[:2]
    return rows


CHECK_INS = [{"Held on": dt.date(2026, 11, 16), "Resident ID": "R3", "Attendees": "CM1", "Summary": "Map reviewed"}]


@pytest.fixture
def facility_workbook(make_workbook):
    return make_workbook(
        residents=RESIDENTS, authorization_map=authorization_map(), escalations=ESCALATIONS, risks=RISKS,
        incidents=INCIDENTS, check_ins=CHECK_INS, settings={"Facility name": "Maple Court"},
        name="maple-court.xlsx",
    )


@pytest.fixture
def november(facility_workbook) -> AuditResult:
    return audit_workbooks([facility_workbook], NOVEMBER, AS_OF)


def counts(figure) -> tuple:
    return figure.numerator, figure.denominator, figure.not_yet_due, figure.excluded


# ---------------------------------------------------------------- escalation figures


def test_response_within_standard(november):
    figure = november.combined.figure(audit.ESCALATION_RESPONSE)
    assert counts(figure) == (2, 4, 1, 1)
    assert figure.value == 0.5
    assert figure.result_text == "50% (2 of 4)"
    assert "Responded at" in figure.how_counted


def test_response_median_hours(november):
    figure = november.combined.figure(audit.ESCALATION_RESPONSE_HOURS)
    assert figure.denominator == 3
    assert figure.value == pytest.approx(6.0)
    assert figure.result_text == "6.0 h (median of 3)"


def test_response_crosses_daylight_saving_change(november):
    (event,) = [e for e in november.facilities[0].events
                if e.measure == audit.ESCALATION_RESPONSE and e.reference == "E3"]
    assert event.result == NOT_MET
    assert event.amount == pytest.approx(4.5)


def test_response_counts_from_contacted_at(november):
    (event,) = [e for e in november.facilities[0].events
                if e.measure == audit.ESCALATION_RESPONSE and e.reference == "E2"]
    assert event.result == MET
    assert event.amount == pytest.approx(22.0)


@pytest.mark.parametrize(
    "category, expected_counts, share_text, median_text",
    [
        ("Falls cluster", (1, 1, 0, 0), "100% (1 of 1)", "6.0 h (median of 1)"),
        ("Missed service", (1, 1, 0, 0), "100% (1 of 1)", "22.0 h (median of 1)"),
        ("Acute confusion", (0, 1, 0, 0), "0% (0 of 1)", "4.5 h (median of 1)"),
        ("Medication harm risk", (0, 1, 0, 0), "0% (0 of 1)", "no response recorded"),
        ("Behavioral concern", (0, 0, 1, 0), "none due by the cutoff (1 not yet due)", "no response recorded"),
        ("Other", (0, 0, 0, 1), "no events in period", "no events in period"),
        ("Refusal of essential care", (0, 0, 0, 0), "no events in period", "no events in period"),
    ],
)
def test_response_by_category(november, category, expected_counts, share_text, median_text):
    share = november.combined.figure(audit.ESCALATION_RESPONSE, category)
    median = november.combined.figure(audit.ESCALATION_RESPONSE_HOURS, category)
    assert counts(share) == expected_counts
    assert share.result_text == share_text
    assert median.result_text == median_text


def test_escalations_opened_count(november):
    figure = november.combined.figure(audit.ESCALATIONS_OPENED)
    assert (figure.numerator, figure.excluded) == (5, 1)


def test_decisions_documented(november):
    figure = november.combined.figure(audit.ESCALATION_DECISION)
    assert counts(figure) == (3, 5, 0, 1)
    assert figure.result_text == "60% (3 of 5)"


def test_follow_ups_on_time(november):
    figure = november.combined.figure(audit.FOLLOW_UP_ON_TIME)
    assert counts(figure) == (2, 4, 0, 0)
    references = sorted(e.reference for e in november.facilities[0].events if e.measure == audit.FOLLOW_UP_ON_TIME)
    assert references == ["E1", "E2", "E4", "E6"]


@pytest.mark.parametrize(
    "outcome, numerator",
    [("Service started or changed", 1), ("ED transfer", 1), ("Resolved in place", 1), ("Not recorded", 2),
     ("Step-up in care", 0), ("Hospital admission", 0), ("Other", 0)],
)
def test_outcomes(november, outcome, numerator):
    figure = november.combined.figure(audit.ESCALATION_OUTCOME, outcome)
    assert (figure.numerator, figure.denominator) == (numerator, 5)


# ---------------------------------------------------------------- gap figures


def test_gaps_noted(november):
    figure = november.combined.figure(audit.GAPS_NOTED)
    assert (figure.numerator, figure.excluded) == (4, 0)
    assert figure.result_text == "4"


def test_gaps_resolved(november):
    assert counts(november.combined.figure(audit.GAPS_RESOLVED)) == (2, 4, 0, 0)


def test_gap_days_to_resolve(november):
    figure = november.combined.figure(audit.GAP_DAYS)
    assert (figure.denominator, figure.value) == (2, 6.0)
    assert figure.result_text == "6.0 days (median of 2)"


def test_gaps_within_limit(november):
    figure = november.combined.figure(audit.GAPS_WITHIN_LIMIT)
    assert counts(figure) == (1, 3, 1, 0)
    assert figure.result_text == "33% (1 of 3)"


def test_gaps_resolved_in_period(november):
    assert november.combined.figure(audit.GAPS_CLOSED).numerator == 3


def test_gap_weeks(november):
    weeks = gap_weeks(november.facilities[0].events, NOVEMBER)
    assert weeks == [
        (dt.date(2026, 10, 26), 0, 0),
        (dt.date(2026, 11, 2), 1, 2),
        (dt.date(2026, 11, 9), 2, 0),
        (dt.date(2026, 11, 16), 0, 1),
        (dt.date(2026, 11, 23), 1, 0),
        (dt.date(2026, 11, 30), 0, 0),
    ]


# ---------------------------------------------------------------- incident figures


def test_incidents_count(november):
    figure = november.combined.figure(audit.INCIDENTS)
    assert (figure.numerator, figure.excluded) == (4, 1)


def test_incident_risk_review(november):
    figure = november.combined.figure(audit.INCIDENT_REVIEW)
    assert counts(figure) == (1, 3, 1, 1)
    results = {e.reference: e.result for e in november.facilities[0].events
               if e.measure == audit.INCIDENT_REVIEW and e.result != EXCLUDED}
    assert results == {"I1": MET, "I2": NOT_MET, "I3": NOT_MET, "I4": NOT_YET_DUE}


def test_incident_controls_changed(november):
    figure = november.combined.figure(audit.INCIDENT_CONTROLS)
    assert counts(figure) == (2, 4, 0, 1)
    assert figure.result_text == "50% (2 of 4)"


# ---------------------------------------------------------------- map figures


def test_maps_completed_in_time(november):
    figure = november.combined.figure(audit.MAP_COMPLETE)
    assert counts(figure) == (2, 4, 1, 0)
    results = {e.reference: e.result for e in november.facilities[0].events if e.measure == audit.MAP_COMPLETE}
    assert results == {"Residents row 3": MET, "Residents row 4": MET, "Residents row 5": NOT_MET,
                       "Residents row 6": NOT_MET, "Residents row 7": NOT_YET_DUE}


def test_map_note_names_missing_domains(november):
    (event,) = [e for e in november.facilities[0].events if e.reference == "Residents row 5"]
    assert event.note == "no row for Equipment, Meals, Behavioral support"


# ---------------------------------------------------------------- periods and months


def test_empty_period_says_no_events(facility_workbook):
    result = audit_workbooks([facility_workbook], Period(dt.date(2026, 1, 1), dt.date(2026, 1, 31)), AS_OF)
    for key in audit.HEADLINE_MEASURES:
        figure = result.combined.figure(key)
        assert figure.result_text == "no events in period", key
        assert figure.value in (None, 0), key


def test_months_split_the_period(facility_workbook):
    result = audit_workbooks([facility_workbook], Period(dt.date(2026, 10, 1), dt.date(2026, 11, 30)), AS_OF)
    october, november = result.combined.months
    assert (october.label, november.label) == ("Oct 2026", "Nov 2026")
    # October contains only E6 (responded in 1 h). November has the four of the main test.
    assert counts(october.figure(audit.ESCALATION_RESPONSE)) == (1, 1, 0, 0)
    assert counts(november.figure(audit.ESCALATION_RESPONSE)) == (2, 4, 1, 1)
    assert counts(result.combined.figure(audit.ESCALATION_RESPONSE)) == (3, 5, 1, 1)


def test_as_of_inside_period_is_cutoff(make_workbook):
    # E4's standard passes Nov 20 13:00; at an as-of of 12:00 it is not yet due.
    workbook = make_workbook(escalations=[ESCALATIONS[3]])
    before = audit_workbook(workbook, NOVEMBER, dt.datetime(2026, 11, 20, 12, 0))
    after = audit_workbook(workbook, NOVEMBER, dt.datetime(2026, 11, 20, 14, 0))
    assert counts(before.result.figure(audit.ESCALATION_RESPONSE)) == (0, 0, 1, 0)
    assert counts(after.result.figure(audit.ESCALATION_RESPONSE)) == (0, 1, 0, 0)


def test_missing_required_column_excludes_rows(make_workbook):
    # Without its Occurred at column no incident can be placed in a period,
    # so both rows are excluded rather than silently left out.
    incidents = [{"Incident ID": "I1", "Resident ID": "R1", "Type": "Fall"},
                 {"Incident ID": "I2", "Resident ID": "R1", "Type": "Fall"}]
    result = audit_workbook(make_workbook(incidents=incidents), NOVEMBER, AS_OF)
    figure = result.result.figure(audit.INCIDENTS)
    assert (figure.numerator, figure.excluded) == (0, 2)
    notes = {e.note for e in result.events if e.measure == audit.INCIDENT_REVIEW}
    assert notes == {"the sheet has no Occurred at column"}


def test_period_rejects_end_before_start():
    with pytest.raises(ValueError, match="before it starts"):
        Period(dt.date(2026, 11, 30), dt.date(2026, 11, 1))


# ---------------------------------------------------------------- several workbooks


@pytest.fixture
def second_workbook(make_workbook):
    # South responds to a Falls cluster escalation in 30 h against its own 48 h
    # standard, so it is met there although 30 h breaks the default 24 h.
    return make_workbook(
        escalations=[escalation("S1", "Falls cluster", dt.datetime(2026, 11, 4, 9, 0),
                                **{"Responded at": dt.datetime(2026, 11, 5, 15, 0)})],
        settings={"Facility name": "South House"}, standards={"Falls cluster": 48}, name="south.xlsx",
    )


def test_two_workbooks_combined(facility_workbook, second_workbook):
    result = audit_workbooks([facility_workbook, second_workbook], NOVEMBER, AS_OF)

    assert [fa.facility for fa in result.facilities] == ["Maple Court", "South House"]
    assert counts(result.facilities[1].result.figure(audit.ESCALATION_RESPONSE)) == (1, 1, 0, 0)
    # Together: 2 of 4 from Maple Court plus 1 of 1 from South House.
    combined = result.combined.figure(audit.ESCALATION_RESPONSE)
    assert counts(combined) == (3, 5, 1, 1)
    # median(4.5, 6, 22, 30) = (6 + 22) / 2
    assert result.combined.figure(audit.ESCALATION_RESPONSE_HOURS).value == pytest.approx(14.0)
    assert result.combined.name == "All facilities"


def test_unreadable_workbook_stops_audit(facility_workbook, tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_text("Resident ID,Name\n", encoding="utf-8")
    with pytest.raises(WorkbookUnreadable, match="broken.xlsx"):
        audit_workbooks([facility_workbook, broken], NOVEMBER, AS_OF)


def test_missing_required_sheet_raises(make_workbook):
    workbook = make_workbook(extra_sheets={"Contacts": None})
    with pytest.raises(RequiredSheetMissing, match='"Contacts"'):
        audit_workbook(workbook, NOVEMBER, AS_OF)


def test_folder_expands_to_workbooks(tmp_path, make_workbook):
    folder = tmp_path / "facilities"
    folder.mkdir()
    (folder / "b.xlsx").write_bytes(make_workbook().read_bytes())
    (folder / "a.XLSX").write_bytes(make_workbook().read_bytes())
    (folder / "~$a.xlsx").write_bytes(b"lock")
    (folder / "notes.txt").write_text("not a workbook", encoding="utf-8")

    found = expand_workbook_arguments([folder, folder / "b.xlsx"])

    assert [path.name for path in found] == ["a.XLSX", "b.xlsx"]


# ---------------------------------------------------------------- the Word report


def run_cli(*arguments) -> object:
    return CliRunner().invoke(main, [str(argument) for argument in arguments])


@pytest.fixture
def audit_out(facility_workbook, tmp_path) -> Path:
    out = tmp_path / "audit"
    result = run_cli("audit", facility_workbook, "--from", "2026-11-01", "--to", "2026-11-30", "--out", out,
                     "--as-of", "2026-12-04T09:00")
    assert result.exit_code == 0, result.output
    return out


def all_text(path: Path) -> str:
    """Return the text of every XML part of a Word or Excel file."""
    texts = []
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            if name.endswith(".xml") or name.endswith(".rels"):
                texts.append("".join(etree.fromstring(package.read(name)).itertext()))
    return "\n".join(texts)


def test_report_embeds_three_charts(audit_out):
    report = audit_out / "governance-audit.docx"
    with zipfile.ZipFile(report) as package:
        images = [name for name in package.namelist() if name.startswith("word/media/")]
        assert len(images) == 3
        for name in images:
            assert package.read(name)[:8] == b"\x89PNG\r\n\x1a\n"

    document = docx.Document(str(report))
    drawings = document.element.body.findall(".//" + qn("w:drawing"))
    assert len(drawings) == 3
    for drawing in drawings:
        blip = drawing.find(".//" + qn("a:blip"))
        part = document.part.related_parts[blip.get(qn("r:embed"))]
        assert part.content_type == "image/png"


def test_report_states_period_and_sources(audit_out):
    text = all_text(audit_out / "governance-audit.docx")
    assert "Maple Court" in text
    assert "2026-11-01 to 2026-11-30" in text
    assert "2026-12-04 09:00 EST" in text
    assert "maple-court.xlsx" in text
    assert "INTERNAL" in text
    assert "50% (2 of 4)" in text
    assert "no events in period" in text


def test_report_names_no_resident(audit_out):
    for name in ("governance-audit.docx", "governance-audit.xlsx"):
        text = all_text(audit_out / name)
        for resident_name in NAMES:
            assert resident_name not in text, (name, resident_name)


def test_report_prints_facility_name_as_typed(make_workbook, tmp_path):
    typed = "{{ name }} & <Care>"
    workbook = make_workbook(settings={"Facility name": typed})
    out = tmp_path / "audit"

    result = run_cli("audit", workbook, "--from", "2026-11-01", "--to", "2026-11-30", "--out", out,
                     "--as-of", "2026-12-04")

    assert result.exit_code == 0, result.output
    paragraphs = [paragraph.text for paragraph in docx.Document(str(out / "governance-audit.docx")).paragraphs]
    assert any(typed in text for text in paragraphs)


# ---------------------------------------------------------------- the audit workbook


def sheet_rows(path: Path, title: str) -> list[dict]:
    book = openpyxl.load_workbook(path)
    rows = list(book[title].iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def test_workbook_figures_per_facility(audit_out):
    rows = sheet_rows(audit_out / "governance-audit.xlsx", "By facility")
    (row,) = [r for r in rows if r["Measure"] == "Escalations responded to within standard" and not r["Group"]]
    assert (row["Facility"], row["Workbook"]) == ("Maple Court", "maple-court.xlsx")
    assert (row["Numerator"], row["Denominator"], row["Value"]) == (2, 4, 0.5)
    assert (row["Not yet due"], row["Excluded"]) == (1, 1)
    assert row["Result"] == "50% (2 of 4)"
    assert row["How counted"].startswith("Escalations opened in the period")


def test_workbook_figures_per_month(audit_out):
    rows = sheet_rows(audit_out / "governance-audit.xlsx", "By month")
    (row,) = [r for r in rows if r["Measure"] == "Maps completed within the map-due days"]
    assert row["Month"] == "Nov 2026"
    assert (row["Numerator"], row["Denominator"], row["Not yet due"]) == (2, 4, 1)


def test_workbook_lists_events(audit_out):
    rows = sheet_rows(audit_out / "governance-audit.xlsx", "Events")
    (row,) = [r for r in rows if r["Reference"] == "E3" and r["Measure"] == "Escalations responded to within standard"]
    assert row["Result"] == "not met"
    assert row["Amount"] == pytest.approx(4.5)
    assert row["Date"] == dt.datetime(2026, 11, 1)


def test_workbook_keeps_formula_text_as_text(make_workbook, tmp_path):
    # openpyxl would save "=..." as a formula, so the setting is stored as a text cell.
    workbook = make_workbook(settings={"Facility name": "placeholder"})
    book = openpyxl.load_workbook(workbook)
    book["Settings"]["B2"].value = "=HYPERLINK(\"x\")"
    book["Settings"]["B2"].data_type = "s"
    book.save(workbook)
    out = tmp_path / "audit"

    result = run_cli("audit", workbook, "--from", "2026-11-01", "--to", "2026-11-30", "--out", out,
                     "--as-of", "2026-12-04")

    assert result.exit_code == 0, result.output
    cell = openpyxl.load_workbook(out / "governance-audit.xlsx")["By facility"]["A2"]
    assert cell.value == "=HYPERLINK(\"x\")"
    assert cell.data_type == "s"


# ---------------------------------------------------------------- CLI


def test_cli_prints_headline_figures(facility_workbook, tmp_path):
    result = run_cli("audit", facility_workbook, "--from", "2026-11-01", "--to", "2026-11-30",
                     "--out", tmp_path / "audit", "--as-of", "2026-12-04T09:00")
    assert result.exit_code == 0, result.output
    assert "Escalations responded to within standard: 50% (2 of 4)" in result.output
    assert "Wrote governance-audit.docx and governance-audit.xlsx" in result.output
    assert sorted(path.name for path in (tmp_path / "audit").iterdir()) == [
        "governance-audit.docx", "governance-audit.xlsx",
    ]


def test_cli_folder_of_workbooks(facility_workbook, second_workbook, tmp_path):
    folder = tmp_path / "facilities"
    folder.mkdir()
    for workbook in (facility_workbook, second_workbook):
        (folder / workbook.name).write_bytes(workbook.read_bytes())
    (folder / "~$south.xlsx").write_bytes(b"lock")
    out = tmp_path / "audit"

    result = run_cli("audit", folder, "--from", "2026-11-01", "--to", "2026-11-30", "--out", out,
                     "--as-of", "2026-12-04T09:00")

    assert result.exit_code == 0, result.output
    assert "Governance audit of 2 facilities" in result.output
    assert "Escalations responded to within standard: 60% (3 of 5)" in result.output
    facilities = {row["Facility"] for row in sheet_rows(out / "governance-audit.xlsx", "By facility")}
    assert facilities == {"Maple Court", "South House", "All facilities"}
    assert "2 facilities: Maple Court, South House" in all_text(out / "governance-audit.docx")
    tables = docx.Document(str(out / "governance-audit.docx")).tables
    (by_facility,) = [table for table in tables if table.rows[0].cells[0].text == "Facility"]
    assert [[cell.text for cell in row.cells][:3] for row in by_facility.rows[1:]] == [
        ["Maple Court", "5", "50% (2 of 4)"],
        ["South House", "1", "100% (1 of 1)"],
    ]


def test_cli_to_before_from_is_usage_error(facility_workbook, tmp_path):
    result = run_cli("audit", facility_workbook, "--from", "2026-11-30", "--to", "2026-11-01",
                     "--out", tmp_path / "audit")
    assert result.exit_code == 2
    assert "--to 2026-11-01 is before --from 2026-11-30" in result.output
    assert not (tmp_path / "audit").exists()


def test_cli_requires_period(facility_workbook, tmp_path):
    result = run_cli("audit", facility_workbook, "--to", "2026-11-30", "--out", tmp_path / "audit")
    assert result.exit_code == 2
    assert "--from" in result.output


def test_cli_unreadable_workbook_exit_2(facility_workbook, tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"")
    out = tmp_path / "audit"

    result = run_cli("audit", facility_workbook, broken, "--from", "2026-11-01", "--to", "2026-11-30",
                     "--out", out)

    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: broken.xlsx: the file is empty")
    assert not (out / "governance-audit.docx").exists()


def test_cli_missing_required_sheet_exit_2(make_workbook, tmp_path):
    workbook = make_workbook(extra_sheets={"Authorization Map": None})
    result = run_cli("audit", workbook, "--from", "2026-11-01", "--to", "2026-11-30", "--out", tmp_path / "a")
    assert result.exit_code == 2
    assert 'the required sheet "Authorization Map" is missing' in result.output


def test_cli_empty_folder_exit_2(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    result = run_cli("audit", folder, "--from", "2026-11-01", "--to", "2026-11-30", "--out", tmp_path / "a")
    assert result.exit_code == 2
    assert "no .xlsx workbook found in this folder" in result.output


def test_cli_out_inside_audited_folder_rejected(facility_workbook):
    folder = facility_workbook.parent
    result = run_cli("audit", folder, "--from", "2026-11-01", "--to", "2026-11-30", "--out", folder)
    assert result.exit_code == 2
    assert "--out names the folder of workbooks being audited" in result.output


# ---------------------------------------------------------------- packaging


def test_audit_modules_import_no_heavy_libraries():
    code = ("import sys, toolkit.audit, toolkit.audit_report, toolkit.audit_charts; "
            "print(sorted(m for m in ('matplotlib', 'docxtpl', 'openpyxl') if m in sys.modules))")
    environment = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=environment, capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_committed_audit_template_matches_build_script(tmp_path):
    script = doc_templates_dir() / "build_audit_template.py"
    spec = importlib.util.spec_from_file_location("build_audit_template", script)
    build_audit_template = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_audit_template)
    import build_templates

    committed = doc_templates_dir() / "audit.docx"
    if docx.Document(str(committed)).core_properties.version != build_templates.GENERATOR:
        pytest.skip(f"audit.docx was built with another python-docx than {build_templates.GENERATOR}")

    built = build_audit_template.build(tmp_path)

    with zipfile.ZipFile(built) as new, zipfile.ZipFile(committed) as old:
        assert new.namelist() == old.namelist()
        for name in new.namelist():
            assert new.read(name) == old.read(name), f"audit.docx: {name} differs"
