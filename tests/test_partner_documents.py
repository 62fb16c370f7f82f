"""Partner document sets, escalation notes and risk summaries through `handoff docs`.

The consent workbook has four residents with distinctive names, IDs and
rooms: consent Yes, Limited with the partner CM1 in Share with, Limited
without it, and No. Every test that writes CM1's set searches every XML part
of every document for the two residents outside CM1's consent.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from lxml import etree

from conftest import BASE_CONTACTS, full_map
from toolkit.cli import main
from toolkit.consent import PartnerScope, find_contact, partner_scope
from toolkit.contexts import ContextBuilder
from toolkit.due import due_items
from toolkit.errors import HandoffError
from toolkit.facility import load_facility
from toolkit.template_check import SAMPLE_CONTEXTS

AS_OF = "2026-12-04T09:00"
AS_OF_MOMENT = dt.datetime(2026, 12, 4, 9, 0)

CONTACTS = BASE_CONTACTS + [
    {"Contact ID": "FAC1", "Name": "Fran Staffer", "Organization": "Maple Test", "Role": "Facility",
     "Phone": "555-0190"},
    {"Contact ID": "FAM-N", "Name": "Norma Quillfeather", "Organization": "Family", "Role": "Family",
     "Phone": "555-0177"},
]

# Resident ID, name, room, consent, share with.
COVERED = [
    ("R-5101", "Yolanda Brightwater", "Y-101", "Yes", None),
    ("R-5202", "Lionel Marchbanks", "L-202", "Limited", "CM1"),
]
OUTSIDE = [
    ("R-7303", "Lorna Ashcombe", "L-303", "Limited", "HH1"),
    ("R-8404", "Nestor Quillfeather", "N-404", "No", None),
]

# Text of the residents outside CM1's consent that must not reach CM1: names,
# name parts, IDs, rooms, their rows' IDs and free text, their family contact.
OUTSIDE_TERMS = [
    "Lorna Ashcombe", "Lorna", "Ashcombe", "R-7303", "L-303",
    "Nestor Quillfeather", "Nestor", "Quillfeather", "R-8404", "N-404",
    "E-7303", "E-8404", "RR-7303", "RR-8404", "IR-7303", "IR-8404",
    "Norma", "FAM-N", "ashcombe-only observation", "quillfeather-only observation",
    "ashcombe-only incident", "quillfeather-only incident",
]


def resident_row(identifier, name, room, consent, share_with, **extra) -> dict:
    row = {"Resident ID": identifier, "Name": name, "Room": room, "Status": "Active",
           "Admitted on": dt.date(2026, 6, 1), "Case manager": "CM1", "Complex risk": "Yes",
           "Consent to share": consent, "Share with": share_with}
    row.update(extra)
    return row


def escalation_row(identifier: str, resident_id: str, observed: str, **extra) -> dict:
    row = {"Escalation ID": identifier, "Resident ID": resident_id, "Opened at": dt.datetime(2026, 12, 3, 14, 0),
           "Category": "Falls cluster", "Observed": observed, "Decision needed": "Is a walker assessment needed?",
           "Contacted": "CM1"}
    row.update(extra)
    return row


def risk_row(identifier: str, resident_id: str, **extra) -> dict:
    row = {"Risk ID": identifier, "Resident ID": resident_id, "Risk": "Falls", "Controls": "Night checks",
           "Warning signs": "Getting up alone", "Next step": "Therapy assessment", "Owner": "HH1",
           "Opened on": dt.date(2026, 11, 1), "Status": "Active"}
    row.update(extra)
    return row


def consent_workbook(make_workbook) -> Path:
    residents = [resident_row(*row) for row in COVERED + OUTSIDE]
    authorization_map = []
    for identifier, *_ in COVERED + OUTSIDE:
        authorization_map += full_map(identifier)
    escalations = [
        escalation_row("E-5101", "R-5101", "Two falls this week; she mentioned Nestor Quillfeather in Room N-404 "
                                           "and his daughter Norma Quillfeather."),
        escalation_row("E-5202", "R-5202", "Unsteady after new medication."),
        escalation_row("E-7303", "R-7303", "ashcombe-only observation"),
        escalation_row("E-8404", "R-8404", "quillfeather-only observation", **{"Follow-up owner": "FAM-N",
                                                                              "Follow-up": "Family confirms"}),
    ]
    risks = [
        risk_row("RR-5101", "R-5101", **{"Shared with": "CM1", "Description": "Falls at night near R-8404's door"}),
        risk_row("RR-5101B", "R-5101", **{"Risk": "Behavioral", "Shared with": "HH1"}),
        risk_row("RR-5202", "R-5202", Owner="CM1"),
        risk_row("RR-7303", "R-7303", **{"Shared with": "HH1"}),
        risk_row("RR-8404", "R-8404"),
    ]
    incidents = [
        {"Incident ID": "IR-5101", "Resident ID": "R-5101", "Occurred at": dt.datetime(2026, 12, 2, 3, 0),
         "Type": "Fall", "Description": "Found on the floor beside Lorna Ashcombe's chair."},
        {"Incident ID": "IR-5202", "Resident ID": "R-5202", "Occurred at": dt.datetime(2026, 12, 1, 8, 0),
         "Type": "Fall", "Description": "Slipped in the bathroom."},
        {"Incident ID": "IR-7303", "Resident ID": "R-7303", "Occurred at": dt.datetime(2026, 12, 1, 9, 0),
         "Type": "Fall", "Description": "ashcombe-only incident"},
        {"Incident ID": "IR-8404", "Resident ID": "R-8404", "Occurred at": dt.datetime(2026, 12, 1, 10, 0),
         "Type": "Fall", "Description": "quillfeather-only incident"},
    ]
    return make_workbook(residents=residents, contacts=CONTACTS, authorization_map=authorization_map,
                         escalations=escalations, risks=risks, incidents=incidents,
                         settings={"Facility name": "Maple Test"})


def run_cli(*arguments):
    return CliRunner().invoke(main, [str(argument) for argument in arguments])


def docx_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.docx"))


def every_part_text(path: Path) -> str:
    """Return the raw XML and the joined text of every part of a Word file.

    The raw XML catches attribute values; the joined text catches a word that
    Word or docxtpl split across runs.
    """
    texts = []
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            data = package.read(name)
            if name.endswith((".xml", ".rels")):
                texts.append(data.decode("utf-8"))
                texts.append("".join(etree.fromstring(data).itertext()))
    return "\n".join(texts)


def leaked_terms(folder: Path) -> dict[str, list[str]]:
    """Return, per document, the OUTSIDE_TERMS found in it as whole words, in any case.

    Whole words, because "Norma" is also the start of the style name "Normal".
    """
    found = {}
    for path in docx_files(folder):
        text = every_part_text(path)
        hits = [term for term in OUTSIDE_TERMS
                if re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", text, re.IGNORECASE)]
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found


def labelled_cells(path: Path) -> dict[str, str]:
    """Return label -> value for every two-column row of a document's tables."""
    cells = {}
    for table in docx.Document(str(path)).tables:
        for row in table.rows:
            texts = [cell.text for cell in row.cells]
            if len(texts) == 2:
                cells[texts[0]] = texts[1]
    return cells


@pytest.fixture
def partner_set(make_workbook, tmp_path):
    out = tmp_path / "out"
    result = run_cli("docs", consent_workbook(make_workbook), "--out", out, "--as-of", AS_OF, "--partner", "cm1")
    assert result.exit_code == 0, result.output
    return out / "partner-CM1", result


# ---------------------------------------------------------------- consent


def test_partner_set_files(partner_set):
    folder, result = partner_set

    names = [str(path.relative_to(folder)) for path in docx_files(folder)]

    assert names == [
        "escalation-notes/escalation-note-E-5101.docx",
        "escalation-notes/escalation-note-E-5202.docx",
        "risk-summaries/risk-summary-R-5101.docx",
        "risk-summaries/risk-summary-R-5202.docx",
        "weekly-agenda-CM1.docx",
    ]
    assert "Wrote 5 documents for contact CM1" in result.output
    assert "weekly agenda, 2 escalation notes, 2 risk summaries" in result.output


def test_partner_set_leaks_no_outside_resident(partner_set):
    folder, _ = partner_set

    assert docx_files(folder)
    assert leaked_terms(folder) == {}


def test_partner_set_names_covered_residents(partner_set):
    folder, _ = partner_set

    agenda = every_part_text(folder / "weekly-agenda-CM1.docx")

    for identifier, name, room, *_ in COVERED:
        assert identifier in agenda
        assert name in agenda
        assert room in agenda


def test_partner_free_text_is_withheld(partner_set):
    folder, _ = partner_set

    note = labelled_cells(folder / "escalation-notes" / "escalation-note-E-5101.docx")
    summary = every_part_text(folder / "risk-summaries" / "risk-summary-R-5101.docx")

    assert note["Observed"] == ("Two falls this week; she mentioned [withheld] in Room [withheld] "
                                "and his daughter [withheld].")
    assert "Found on the floor beside [withheld]'s chair." in summary
    assert "Falls at night near [withheld]'s door" in summary


def test_partner_documents_say_who_for(partner_set):
    folder, _ = partner_set

    for path in docx_files(folder):
        text = every_part_text(path)
        assert "Prepared for Dana Case (Area Agency on Aging), contact CM1." in text, path.name
        assert "INTERNAL" not in text, path.name
        assert "Maple Test" in text, path.name
        assert "2026-12-04 09:00 EST" in text, path.name
        assert "facility-1.xlsx" in text, path.name


def test_partner_risk_summary_only_shared_risks(partner_set):
    folder, _ = partner_set

    yolanda = every_part_text(folder / "risk-summaries" / "risk-summary-R-5101.docx")
    lionel = every_part_text(folder / "risk-summaries" / "risk-summary-R-5202.docx")

    # RR-5101 is shared with CM1; RR-5101B only with HH1; CM1 owns RR-5202.
    assert "RR-5101" in yolanda
    assert "RR-5101B" not in yolanda
    assert "Behavioral" not in yolanda
    assert "RR-5202" in lionel


def test_partner_agenda_hides_unshared_risk_items(partner_set):
    folder, _ = partner_set

    agenda = every_part_text(folder / "weekly-agenda-CM1.docx")

    assert "RR-5101B" not in agenda
    assert "RR-5202" in agenda


def test_internal_set_covers_everyone(make_workbook, tmp_path):
    out = tmp_path / "out"

    result = run_cli("docs", consent_workbook(make_workbook), "--out", out, "--as-of", AS_OF)

    assert result.exit_code == 0, result.output
    names = sorted(path.name for path in docx_files(out))
    assert "escalation-note-E-8404.docx" in names
    assert "risk-summary-R-7303.docx" in names
    assert "one-pager-R-8404.docx" in names
    assert "weekly-agenda.docx" in names
    for path in docx_files(out):
        assert "INTERNAL: contains resident details." in every_part_text(path), path.name
    summary = every_part_text(out / "risk-summaries" / "risk-summary-R-5101.docx")
    assert "RR-5101B" in summary
    assert "Lorna Ashcombe's chair" in summary


def test_partner_facility_contact_refused(make_workbook, tmp_path):
    out = tmp_path / "out"

    result = run_cli("docs", consent_workbook(make_workbook), "--out", out, "--as-of", AS_OF, "--partner", "FAC1")

    assert result.exit_code == 2
    assert "Role Facility" in result.output
    assert "without --partner" in result.output
    assert docx_files(out) == []


def test_partner_unknown_contact(make_workbook, tmp_path):
    result = run_cli("docs", consent_workbook(make_workbook), "--out", tmp_path / "out", "--as-of", AS_OF,
                     "--partner", "CM9")

    assert result.exit_code == 2
    assert '"CM9" is not a Contact ID' in result.output


def test_partner_resident_outside_consent(make_workbook, tmp_path):
    out = tmp_path / "out"

    result = run_cli("docs", consent_workbook(make_workbook), "--out", out, "--as-of", AS_OF,
                     "--partner", "CM1", "--resident", "R-8404")

    assert result.exit_code == 2
    assert "R-8404" in result.output
    assert "does not cover contact CM1" in result.output
    assert "Nestor" not in result.output
    assert docx_files(out) == []


def test_partner_one_resident_only(make_workbook, tmp_path):
    out = tmp_path / "out"

    result = run_cli("docs", consent_workbook(make_workbook), "--out", out, "--as-of", AS_OF,
                     "--partner", "CM1", "--resident", "R-5202")

    assert result.exit_code == 0, result.output
    names = [path.name for path in docx_files(out)]
    assert names == ["escalation-note-E-5202.docx", "risk-summary-R-5202.docx", "weekly-agenda-CM1.docx"]
    assert "Yolanda" not in every_part_text(out / "partner-CM1" / "weekly-agenda-CM1.docx")


def test_partner_one_pagers_on_request(make_workbook, tmp_path):
    out = tmp_path / "out"

    result = run_cli("docs", consent_workbook(make_workbook), "--out", out, "--as-of", AS_OF,
                     "--partner", "CM1", "--kind", "one-pager")

    assert result.exit_code == 0, result.output
    folder = out / "partner-CM1"
    assert [path.name for path in docx_files(folder)] == ["one-pager-R-5101.docx", "one-pager-R-5202.docx"]
    assert leaked_terms(folder) == {}


def test_partner_folder_replaced(make_workbook, tmp_path):
    out = tmp_path / "out"
    stale = out / "partner-CM1" / "risk-summaries" / "risk-summary-R-8404.docx"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"written when consent still covered CM1")
    beside = out / "weekly-agenda.docx"
    beside.write_bytes(b"internal agenda")

    result = run_cli("docs", consent_workbook(make_workbook), "--out", out, "--as-of", AS_OF, "--partner", "CM1")

    assert result.exit_code == 0, result.output
    assert not stale.exists()
    assert beside.read_bytes() == b"internal agenda"
    assert sorted(path.name for path in out.iterdir()) == ["partner-CM1", "weekly-agenda.docx"]


def test_limited_partner_sees_own_residents(make_workbook, tmp_path):
    out = tmp_path / "out"

    result = run_cli("docs", consent_workbook(make_workbook), "--out", out, "--as-of", AS_OF, "--partner", "HH1")

    assert result.exit_code == 0, result.output
    agenda = every_part_text(out / "partner-HH1" / "weekly-agenda-HH1.docx")
    assert "Yolanda Brightwater" in agenda
    assert "Lorna Ashcombe" in agenda
    assert "Lionel Marchbanks" not in agenda
    assert "R-5202" not in agenda
    assert "Nestor" not in agenda


def test_due_owner_summaries_withheld(make_workbook):
    facility = load_facility(consent_workbook(make_workbook), AS_OF_MOMENT)
    items = due_items(facility)

    from toolkit.consent import items_for_owner

    owned = items_for_owner(facility, items, "CM1")

    assert {item.resident_id for item in owned} == {"R-5101", "R-5202"}
    assert not any("R-8404" in item.summary or "R-7303" in item.summary for item in owned)


# ---------------------------------------------------------------- redaction


@pytest.fixture
def scope(make_workbook) -> PartnerScope:
    facility = load_facility(consent_workbook(make_workbook), AS_OF_MOMENT)
    return partner_scope(facility, "CM1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nestor Quillfeather fell.", "[withheld] fell."),
        ("Quillfeather, Nestor was seen.", "[withheld] was seen."),
        ("NESTOR asked for Lorna.", "[withheld] asked for [withheld]."),
        ("Moved from room N-404 to Apt. L-303", "Moved from room [withheld] to Apt. [withheld]"),
        ("See R-8404 and r-7303.", "See [withheld] and [withheld]."),
        ("Yolanda Brightwater in Y-101, R-5101", "Yolanda Brightwater in Y-101, R-5101"),
        ("Norma Quillfeather called.", "[withheld] called."),
        ("Dana Case (Area Agency on Aging) on 2026-12-04", "Dana Case (Area Agency on Aging) on 2026-12-04"),
        ("R-84045 is another code", "R-84045 is another code"),
    ],
    ids=["full-name", "last-first", "parts", "rooms", "ids", "covered-kept", "family-contact", "contacts-kept",
         "longer-id-kept"],
)
def test_redact_texts(scope, text, expected):
    assert scope.redact(text) == expected


def test_redact_numeric_ids_spare_dates(make_workbook):
    residents = [
        resident_row("12", "Ada Example", "101", "Yes", None),
        resident_row("1001", "Bruno Hidden", "7", "No", None),
    ]
    facility = load_facility(make_workbook(residents=residents, authorization_map=full_map("12")), AS_OF_MOMENT)
    scope = partner_scope(facility, "CM1")

    assert scope.redact("Resident 1001 fell on 12/10/2026 at 10:01, call 555-1001") == (
        "Resident [withheld] fell on 12/10/2026 at 10:01, call 555-1001")
    assert scope.redact("Room 7 and room 101") == "Room [withheld] and room 101"


def test_consent_blank_means_no(make_workbook):
    residents = [resident_row("R1", "Ada Example", "101", None, None)]
    facility = load_facility(make_workbook(residents=residents), AS_OF_MOMENT)

    assert partner_scope(facility, "CM1").resident_keys == frozenset()
    assert find_contact(facility, "cm1").get("Contact ID") == "CM1"


def test_facility_contact_scope_refused(make_workbook):
    facility = load_facility(consent_workbook(make_workbook), AS_OF_MOMENT)

    with pytest.raises(HandoffError, match="Role Facility"):
        partner_scope(facility, "FAC1")


# ---------------------------------------------------------------- escalation notes


def note_workbook(make_workbook, escalations, contacts=None):
    return make_workbook(escalations=escalations, contacts=contacts, settings={"Facility name": "Maple Test"})


def write_notes(make_workbook, tmp_path, escalations, contacts=None) -> Path:
    out = tmp_path / "notes"
    result = run_cli("docs", note_workbook(make_workbook, escalations, contacts), "--out", out, "--as-of", AS_OF,
                     "--kind", "escalation-note")
    assert result.exit_code == 0, result.output
    return out / "escalation-notes"


def test_escalation_note_closed_loop(make_workbook, tmp_path):
    escalation = {
        "Escalation ID": "E1", "Resident ID": "R1", "Opened at": dt.datetime(2026, 12, 3, 14, 0),
        "Category": "Acute confusion", "Observed": "New confusion since lunch\nand not eating",
        "Action taken": "Checked vital signs", "Decision needed": "Does she need a urine test today?",
        "Needed by": dt.datetime(2026, 12, 3, 20, 0), "Contacted": "HH1",
        "Contacted at": dt.datetime(2026, 12, 3, 14, 10), "Responded at": dt.datetime(2026, 12, 3, 16, 40),
        "Decision": "Urine test this evening", "Decided at": dt.datetime(2026, 12, 3, 17, 0),
        "Follow-up": "Nurse confirms the result", "Follow-up owner": "HH1",
        "Follow-up due": dt.datetime(2026, 12, 5, 12, 0),
    }

    notes = write_notes(make_workbook, tmp_path, [escalation])

    path = notes / "escalation-note-E1.docx"
    cells = labelled_cells(path)
    # 14:10 + 4 h (Acute confusion) = 18:10; the response at 16:40 took 2.5 h.
    assert cells == {
        "Case manager": "Dana Case (Area Agency on Aging), 555-0100",
        "Observed": "New confusion since lunch\nand not eating",
        "What was done": "Checked vital signs",
        "Decision needed": "Does she need a urine test today?",
        "Needed by": "Dec 03, 2026 20:00",
        "Contacted": "Pat Nurse (Sunrise Home Health), 555-0102",
        "Contacted at": "Dec 03, 2026 14:10",
        "Response standard": "4 h for Acute confusion, so a response was due by Dec 03, 2026 18:10",
        "Response": "Responded Dec 03, 2026 16:40, 2.5 h after contact: within the 4 h standard.",
        "Decision": "Urine test this evening",
        "Decided at": "Dec 03, 2026 17:00",
        "Follow-up": "Nurse confirms the result",
        "Follow-up owner": "Pat Nurse (Sunrise Home Health), 555-0102",
        "Follow-up due": "Dec 05, 2026 12:00",
        "Follow-up confirmed": "Not confirmed yet",
        "Next confirmation point": "Nurse confirms the result, confirmed by Pat Nurse (Sunrise Home Health) "
                                   "by Dec 05, 2026 12:00.",
    }
    paragraphs = [paragraph.text for paragraph in docx.Document(str(path)).paragraphs]
    assert "Escalation E1  ·  Acute confusion  ·  Open" in paragraphs
    assert "Opened: Dec 03, 2026 14:00" in paragraphs
    due = docx.Document(str(path)).tables[-1]
    assert [cell.text for cell in due.rows[1].cells][2:4] == ["ESC-FOLLOWUP", "E1"]


def test_escalation_note_waiting_for_response(make_workbook, tmp_path):
    escalation = {
        "Escalation ID": "E2", "Resident ID": "R1", "Opened at": dt.datetime(2026, 12, 3, 14, 0),
        "Category": "Falls cluster", "Observed": "Third fall", "Decision needed": "Walker?", "Contacted": "CM1",
    }

    cells = labelled_cells(write_notes(make_workbook, tmp_path, [escalation]) / "escalation-note-E2.docx")

    # Falls cluster: 24 h from 14:00 on Dec 3 is Dec 4 14:00, after the as-of time 09:00.
    assert cells["Contacted at"] == "Dec 03, 2026 14:00 (when opened)"
    assert cells["Response"] == "No response recorded yet: due by Dec 04, 2026 14:00."
    assert cells["Next to call"] == "Lee Backup (Area Agency on Aging), 555-0101"
    assert cells["Needed by"] == "No time set."
    assert cells["Decision"] == "No decision recorded yet."
    assert cells["Follow-up"] == "No follow-up recorded."
    assert cells["Follow-up confirmed"] == ""
    assert cells["Next confirmation point"] == "Response from Dana Case (Area Agency on Aging) by Dec 04, 2026 14:00."
    assert "Outcome" not in cells


def test_escalation_note_late_and_dateonly_responses(make_workbook, tmp_path):
    late = {
        "Escalation ID": "E3", "Resident ID": "R1", "Opened at": dt.datetime(2026, 12, 2, 8, 0),
        "Category": "Medication harm risk", "Observed": "Double dose", "Decision needed": "Hold?",
        "Contacted": "HH1", "Responded at": dt.datetime(2026, 12, 2, 14, 15),
    }
    overdue = {
        "Escalation ID": "E4", "Resident ID": "R1", "Opened at": dt.datetime(2026, 12, 2, 8, 0),
        "Category": "Medication harm risk", "Observed": "Missed dose", "Decision needed": "Hold?",
        "Contacted": "HH1",
    }
    date_only = {
        "Escalation ID": "E5", "Resident ID": "R1", "Opened at": dt.datetime(2026, 12, 2, 8, 0),
        "Category": "Other", "Observed": "Refused lunch", "Decision needed": "Diet review?",
        "Contacted": "HH1", "Responded at": "12/3/2026",
    }

    notes = write_notes(make_workbook, tmp_path, [late, overdue, date_only])

    # 08:00 to 14:15 is 6.25 h, shown to one decimal, against a 4 h standard.
    assert labelled_cells(notes / "escalation-note-E3.docx")["Response"] == (
        "Responded Dec 02, 2026 14:15, 6.2 h after contact: outside the 4 h standard.")
    assert labelled_cells(notes / "escalation-note-E4.docx")["Response"] == (
        "No response recorded: the 4 h standard ran out at Dec 02, 2026 12:00.")
    assert labelled_cells(notes / "escalation-note-E5.docx")["Response"] == (
        "Responded Dec 03, 2026. No time of day was recorded, so the time taken is not known.")


def test_escalation_notes_selection(make_workbook, tmp_path):
    def escalation(identifier, **extra):
        row = {"Escalation ID": identifier, "Resident ID": "R1", "Opened at": dt.datetime(2026, 11, 20, 9, 0),
               "Category": "Other", "Observed": "x", "Decision needed": "y", "Contacted": "CM1",
               "Responded at": dt.datetime(2026, 11, 20, 10, 0), "Decision": "z",
               "Decided at": dt.datetime(2026, 11, 20, 11, 0)}
        row.update(extra)
        return row

    escalations = [
        escalation("E-OPEN"),
        # Closed 3 days and 7 days (to the minute) before the as-of time: kept.
        escalation("E-RECENT", **{"Closed at": dt.datetime(2026, 12, 1, 9, 0), "Outcome": "Resolved in place"}),
        escalation("E-EDGE", **{"Closed at": dt.datetime(2026, 11, 27, 9, 0)}),
        # Closed 7 days and a minute before: left out.
        escalation("E-OLD", **{"Closed at": dt.datetime(2026, 11, 27, 8, 59)}),
        # Opened after the as-of time: left out.
        escalation("E-LATER", **{"Opened at": dt.datetime(2026, 12, 4, 10, 0), "Responded at": None,
                                 "Decision": None, "Decided at": None}),
    ]

    notes = write_notes(make_workbook, tmp_path, escalations)

    assert sorted(path.name for path in notes.iterdir()) == [
        "escalation-note-E-EDGE.docx", "escalation-note-E-OPEN.docx", "escalation-note-E-RECENT.docx",
    ]
    recent = labelled_cells(notes / "escalation-note-E-RECENT.docx")
    assert recent["Outcome"] == "Resolved in place"
    assert recent["Next confirmation point"] == "None: the escalation is closed."
    paragraphs = [p.text for p in docx.Document(str(notes / "escalation-note-E-RECENT.docx")).paragraphs]
    assert "Escalation E-RECENT  ·  Other  ·  Closed Dec 01, 2026 09:00" in paragraphs


def test_escalation_note_unreadable_date_marked(make_workbook, tmp_path):
    escalation = {
        "Escalation ID": "E6", "Resident ID": "R1", "Opened at": dt.datetime(2026, 12, 3, 14, 0),
        "Category": "Other", "Observed": "x", "Decision needed": "y", "Contacted": "CM1",
        "Needed by": "next Tuesday",
    }

    cells = labelled_cells(write_notes(make_workbook, tmp_path, [escalation]) / "escalation-note-E6.docx")

    assert cells["Needed by"] == "next Tuesday (cannot be read: see the check report)"


# ---------------------------------------------------------------- risk summaries


def test_risk_summary_content(make_workbook, tmp_path):
    risks = [risk_row("K1", "R1", **{
        "Description": "Unsteady at night", "Controls": "Bed alarm\nnight checks every 2 h", "Owner": "HH1",
        "Last reviewed on": dt.date(2026, 11, 20), "Controls changed on": dt.date(2026, 11, 20),
    }), risk_row("K2", "R1", Status="Closed")]
    incidents = [
        {"Incident ID": "I1", "Resident ID": "R1", "Occurred at": dt.datetime(2026, 11, 28, 2, 30),
         "Type": "Fall", "Description": "Found on the floor", "Risk ID": "K1"},
        {"Incident ID": "I0", "Resident ID": "R1", "Occurred at": dt.datetime(2026, 10, 1, 2, 30),
         "Type": "Fall", "Description": "Older fall"},
    ]
    out = tmp_path / "out"

    result = run_cli("docs", make_workbook(risks=risks, incidents=incidents), "--out", out, "--as-of", AS_OF,
                     "--kind", "risk-summary")

    assert result.exit_code == 0, result.output
    path = out / "risk-summaries" / "risk-summary-R1.docx"
    resident, risk_table, incident_table, due_table = [
        [[cell.text for cell in row.cells] for row in table.rows] for table in docx.Document(str(path)).tables
    ]
    assert resident[0][:4] == ["Resident", "Ada Example", "Resident ID", "R1"]
    # Auto cadence: reviewed Nov 20, 19 days after opening on Nov 1, so still in
    # the first 30 days and reviewed every 14 days: next review Dec 4.
    assert risk_table == [
        ["Risk", "Description", "Current controls", "Early warning signs", "Next step if it escalates", "Owner",
         "Reviews"],
        ["K1  ·  Falls", "Unsteady at night", "Bed alarm\nnight checks every 2 h", "Getting up alone",
         "Therapy assessment", "Pat Nurse (Sunrise Home Health)",
         "Opened Nov 01, 2026; last reviewed Nov 20, 2026; controls changed Nov 20, 2026; next review due "
         "Dec 04, 2026 (cadence Auto)."],
    ]
    assert incident_table == [
        ["Incident", "When", "Type", "Description", "Risk"],
        ["I1", "Nov 28, 2026 02:30", "Fall", "Found on the floor", "K1"],
    ]
    # The fall on Nov 28 02:30 came after the review on Nov 20: review within 72 h.
    assert [row[2:4] for row in due_table[1:]] == [["RISK-AFTER-INCIDENT", "K1"], ["RISK-REVIEW", "K1"]]
    assert "Incidents in the last 30 days" in [p.text for p in docx.Document(str(path)).paragraphs]


def test_risk_summary_skips_residents_without_risks(make_workbook, tmp_path):
    out = tmp_path / "out"

    result = run_cli("docs", make_workbook(risks=[risk_row("K2", "R1", Status="Closed")]), "--out", out,
                     "--as-of", AS_OF, "--kind", "risk-summary")

    assert result.exit_code == 0, result.output
    assert docx_files(out) == []
    assert "nothing to write" in result.output


# ---------------------------------------------------------------- sample contexts


def shape_differences(sample, real, where: str = "") -> list[str]:
    """Return where two contexts differ in keys or value types; an empty list matches any list."""
    if isinstance(sample, dict) and isinstance(real, dict):
        differences = [f"{where}.{key}: only in one" for key in set(sample) ^ set(real)]
        for key in set(sample) & set(real):
            differences += shape_differences(sample[key], real[key], f"{where}.{key}")
        return differences
    if isinstance(sample, list) and isinstance(real, list):
        return shape_differences(sample[0], real[0], f"{where}[0]") if sample and real else []
    return [] if type(sample) is type(real) else [f"{where}: {type(sample).__name__} != {type(real).__name__}"]


def test_sample_contexts_match_real_ones(make_workbook):
    facility = load_facility(consent_workbook(make_workbook), AS_OF_MOMENT)
    builder = ContextBuilder(facility, due_items(facility))
    resident = builder.residents_in_scope()[0]
    escalation = builder.escalations_for_notes([resident])[0]
    real = {
        "one_pager": builder.one_pager(resident),
        "agenda": builder.agenda(),
        "escalation_note": builder.escalation_note(escalation, resident),
        "risk_summary": builder.risk_summary(resident, builder.active_risks(resident)),
    }

    for kind, context in real.items():
        assert shape_differences(SAMPLE_CONTEXTS[kind], context) == [], kind


def test_partner_contexts_are_redacted_strings(scope):
    context = {"a": ["Nestor Quillfeather", {"b": "R-7303"}], "internal": False}

    assert scope.redact_values(context) == {"a": ["[withheld]", {"b": "[withheld]"}], "internal": False}


def test_withheld_marker_is_plain_text(partner_set):
    folder, _ = partner_set

    text = every_part_text(folder / "escalation-notes" / "escalation-note-E-5101.docx")

    assert re.search(r"mentioned \[withheld\] in Room \[withheld\]", text)
