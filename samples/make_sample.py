"""Write samples/facility.xlsx, a realistic facility workbook for trying ``handoff``.

Run from the repository root::

    python samples/make_sample.py            # writes samples/facility.xlsx
    python samples/make_sample.py OUT.xlsx   # writes OUT.xlsx instead

The workbook describes Maple Grove Assisted Living from June to early December
2026: 40 residents, their partners, service maps, escalations, risks,
incidents and weekly check-ins. The data is fixed: the few varied values come
from a seeded ``random.Random`` and nothing reads today's date, so every run
writes the same cell values. samples/README.md lists the due items and the
deliberate problems in the workbook at the moment 2026-12-04 09:00.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# The script runs as a file (python samples/make_sample.py), so Python puts
# samples/ on the import path, not the repository root that contains toolkit/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from toolkit import schema  # noqa: E402

SEED = 20261204
FACILITY_NAME = "Maple Grove Assisted Living"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "facility.xlsx"

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

# Weekly partner check-ins are held on Tuesdays.
FIRST_CHECK_IN = date(2026, 6, 2)
LAST_CHECK_IN = date(2026, 12, 1)


def on(month: int, day: int, year: int = 2026) -> date:
    """Return a date, in 2026 unless another year is given."""
    return date(year, month, day)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Return a local date-time in 2026."""
    return datetime(2026, month, day, hour, minute)


# ---------------------------------------------------------------------------
# Contacts
# ---------------------------------------------------------------------------

CONTACTS = [
    # Contact ID, Name, Organization, Role, Phone, Email, Backup contact
    ("C-001", "Tamara Greene", "Tri-County Area Agency on Aging", "LTSS case manager",
     "(614) 555-0142", "tgreene@tricountyaaa.example.org", "C-003"),
    ("C-002", "Luis Ortega", "Tri-County Area Agency on Aging", "LTSS case manager",
     "(614) 555-0147", "lortega@tricountyaaa.example.org", "C-003"),
    ("C-003", "Denise Walsh", "Tri-County Area Agency on Aging", "LTSS case manager",
     "(614) 555-0150", "dwalsh@tricountyaaa.example.org", "C-001"),
    ("C-004", "Karen Pope", "Riverbend Home Health", "Home health",
     "(614) 555-0163", "intake@riverbendhh.example.com", "C-005"),
    ("C-005", "Mark Ellison, RN", "Riverbend Home Health", "Home health",
     "(614) 555-0164", "mellison@riverbendhh.example.com", None),
    ("C-006", "Shanice Boyd", "Caring Hands Home Care", "Home health",
     "(614) 555-0171", "scheduling@caringhands.example.com", None),
    ("C-007", "Dr. Anita Rao", "Eastside Family Medicine", "Primary care",
     "(614) 555-0118", "frontdesk@eastsidefm.example.com", "C-008"),
    ("C-008", "Jenna Fox, NP", "Eastside Family Medicine", "Primary care",
     "(614) 555-0119", "jfox@eastsidefm.example.com", None),
    ("C-009", "Dr. Paul Whitford", "Lakeside Geriatrics (house calls)", "Primary care",
     "(614) 555-0126", "office@lakesidegeri.example.com", None),
    ("C-010", "Mike Tran, RPh", "Cedar Street Pharmacy", "Pharmacy",
     "(614) 555-0133", "ltc@cedarstrx.example.com", None),
    ("C-011", "Ben Ostrowski, PT", "StrideWell Therapy", "Therapy",
     "(614) 555-0155", "referrals@stridewell.example.com", None),
    ("C-012", "Rhonda Tate", "Keystone Medical Supply", "Equipment",
     "(614) 555-0177", "orders@keystonemed.example.com", None),
    ("C-013", "Dispatch", "County Senior Transit", "Transport",
     "(614) 555-0180", "N/A", None),
    ("C-014", "Nina Castillo, LISW", "Harbor Behavioral Health", "Behavioral health",
     "(614) 555-0188", "ncastillo@harborbh.example.org", None),
    ("C-015", "Grace Holt, RN", "Maple Grove AL - Wellness Director", "Facility",
     "(614) 555-0101 x210", "gholt@maplegroveal.example.com", "C-017"),
    ("C-016", "Derek Mills", "Maple Grove AL - Executive Director", "Facility",
     "(614) 555-0101 x200", "dmills@maplegroveal.example.com", "C-015"),
    ("C-017", "Rosa Alvarez, LPN", "Maple Grove AL - Resident Care Coord.", "Facility",
     "(614) 555-0101 x212", "ralvarez@maplegroveal.example.com", "C-015"),
    ("C-018", "Susan Whitaker", "Family - R-1013 (daughter, POA)", "Family",
     "(614) 555-0192", "swhitaker62@example.com", None),
    ("C-019", "Jim Kowalski", "Family - R-1014 (son, HCPOA)", "Family",
     "(614) 555-0195", "jkowalski@example.net", None),
    ("C-020", "Linda Park", "Family - R-1035 (niece)", "Family",
     "(614) 555-0198", "lindapark@example.com", None),
]
CONTACT_IDS = {contact[0] for contact in CONTACTS}


# ---------------------------------------------------------------------------
# Residents
# ---------------------------------------------------------------------------

@dataclass
class Resident:
    """One Residents row plus the facts the generator needs to lay out its history."""

    resident_id: str
    name: str
    room: str
    status: str
    admitted_on: date | str
    last_transition_on: date | None
    transition_type: str | None
    stable_from: date | None
    case_manager: str | None
    complex_risk: str | None
    consent: str | None
    share_with: str | None
    notes: str
    # Not written to the workbook:
    discharged_on: date | None = None
    away: tuple[tuple[date, date], ...] = ()  # hospital stays, first and last day away
    weekly_from: tuple[date, ...] = ()  # starts of periods reviewed weekly until stable
    map_reviewed_on: date | None = None  # overrides "latest check-in" on map rows
    partners: tuple[str, ...] = ()  # contacts who sometimes join this resident's check-in


RESIDENTS = [
    Resident("R-1001", "Dorothy Kessler", "104", "Active", on(3, 14, 2023), on(8, 10),
             "Level-of-care change", on(9, 1), "C-001", "Yes", "Yes", None,
             "2-person assist for transfers after 6pm. Walker at all times. Mild dementia.",
             weekly_from=(on(8, 10),), partners=("C-011",)),
    Resident("R-1002", "Harold Brenner", "112", "Discharged", on(9, 3, 2024), on(5, 28),
             "Hospital return", on(6, 15), "C-002", "No", "Yes", None,
             "D/C 8/21 to Brookside SNF for LTC.", discharged_on=on(8, 21),
             weekly_from=(on(5, 28),)),
    Resident("R-1003", "Margaret Oyelaran", "108", "Active", on(11, 1, 2022), None, None,
             on(12, 12, 2022), "C-001", "No", "Yes", None,
             "Likes early breakfast. Hearing aid L ear only - check battery Mon.",
             map_reviewed_on=on(11, 5)),
    Resident("R-1004", "Walter Pruitt", "115", "Active", on(6, 23, 2025), on(4, 2),
             "Rehab return", on(5, 4), "C-001", "N", "Yes", None,
             "R heel wound healing - HH wound RN 2x/wk.", partners=("C-005",)),
    Resident("R-1005", "Evelyn Castellano", "121", "Active", on(1, 8, 2024), None, None,
             on(2, 19, 2024), None, "No", "Yes", None,
             "Private pay. Dtr pays Caring Hands aide for AM showers Tu/Fri.",
             partners=("C-006",)),
    Resident("R-1006", "Eugene Marsh", "118", "Discharged", on(2, 10, 2025), None, None,
             on(3, 24, 2025), "C-002", "Yes", "Yes", None,
             "D/C 10/9 - moved in w/ dtr.", discharged_on=on(10, 9)),
    Resident("R-1007", "Ruth Delacroix", "203", "Active", on(9, 15, 2025), on(10, 28),
             "Hospital return", on(11, 13), "C-001", "No", "Yes", None,
             "Sacral wound stg 2 since hosp. Reposition q2h in bed. RN doing dsg until HH starts.",
             away=((on(10, 21), on(10, 28)),), weekly_from=(on(10, 28),), partners=("C-004",)),
    Resident("R-1008", "Frank Lindqvist", "205", "Active", on(6, 3, 2024), None, None,
             on(7, 15, 2024), "C-002", "No", "Limited", "C-002; C-011",
             "Cardiology q3mo - needs w/c van. Share info w/ CM + PT only (per res).",
             partners=("C-011",)),
    Resident("R-1009", "Betty Hargrove", "207", "Active", on(10, 23, 2023), None, None,
             on(12, 4, 2023), "C-001", "Yes", "Yes", None,
             "On Eliquis. Fall w/ head strike = send out per PCP."),
    Resident("R-1010", "Raymond Sutter", "210", "Active", on(3, 3, 2025), None, None,
             on(4, 14, 2025), "N/A", None, "No", None,
             "Private pay. Son handles all appts + meds pickup."),
    Resident("R-1011", "Shirley Abernathy", "212", "Active", on(4, 22, 2024), None, None,
             on(6, 3, 2024), "C-002", "Y", "Yes", None,
             "Walker + gait belt w/ transfers. Bed alarm at night.", partners=("C-011",)),
    Resident("R-1012", "Donald Okafor", "214", "Active", on(1, 13, 2025), on(9, 1),
             "Level-of-care change", on(9, 22), "C-001", "Yes", "Yes", None,
             "Hourly checks at night. Hipsters on. Low bed + bedside commode.",
             weekly_from=(on(9, 1),), partners=("C-004",)),
    Resident("R-1013", "Joan Whitaker", "216", "Active", on(5, 30, 2023), None, None,
             on(7, 10, 2023), "C-003", "No", "Yes", None,
             "Dtr Susan (C-018) is POA - call her first for appts.", partners=("C-018",)),
    Resident("R-1014", "Gerald Kowalski", "218", "Active", on(10, 7, 2024), None, None,
             on(11, 18, 2024), "C-002", "N", "Yes", None,
             "Hx UTIs w/ confusion. Son Jim (C-019) is HCPOA.", partners=("C-019",)),
    Resident("R-1015", "Marjorie Fenwick", "220", "Discharged", on(8, 14, 2023), None, None,
             on(9, 25, 2023), "C-001", "No", "Yes", None,
             "D/C 9/14 to Mercy Hospice House.", discharged_on=on(9, 14)),
    Resident("R-1016", "Howard Yoder", "301", "Hospital", on(6, 6, 2022), None, None,
             on(7, 18, 2022), "C-002", "Yes", "Yes", None,
             "Sent to ED 11/30 - admitted St. Luke's. CM aware. Hold bed.",
             away=((on(11, 30), on(12, 31)),)),
    Resident("R-1017", "Phyllis Nakamura", "303", "Active", on(12, 2, 2024), None, None,
             on(1, 13, 2025), "C-001", "No", "Yes", None,
             "Waiver personal care aide M/W/F for showers (Home Helpers since 10/19)."),
    Resident("R-1018", "Norman Greer", "305", "Active", on(5, 19, 2025), None, None,
             on(6, 30, 2025), "C-003", "No", "Yes", None,
             "W/c. Dialysis M/W/F 6:30am @ Eastgate - needs w/c van both ways."),
    Resident("R-1019", "Gloria Dunleavy", "307", "Active", on(8, 26, 2024), None, None,
             on(10, 7, 2024), "C-002", "Yes", "Yes", None,
             "Exit-seeking late afternoons. Wander guard vs MC eval - decision pending.",
             partners=("C-014",)),
    Resident("R-1020", "Leonard Petrakis", "309", "Active", on(2, 20, 2023), None, None,
             on(4, 3, 2023), "C-003", "No", "Yes", None,
             "R shoulder pain - OT eval at StrideWell 12/14."),
    Resident("R-1021", "Barbara Holloway", "311", "Active", on(11, 10, 2025), None, None,
             on(1, 5), "C-001", "No", "Yes", None,
             "O2 2L NC at night (Keystone concentrator)."),
    Resident("R-1022", "Arthur Sorensen", "313", "Active", on(3, 11, 2024), None, None,
             on(4, 22, 2024), "C-001", "Yes", "Limited", "C-001, C-007",
             "Warfarin - INR q2wk at Eastside lab. Share only w/ CM + PCP (per res)."),
    Resident("R-1023", "Jean Caldwell", "315", "Active", on(7, 7, 2025), None, None,
             on(8, 18, 2025), "C-002", "No", "Yes", None,
             "Waiver reassessment 12/9 - bathing auth ends 12/15."),
    Resident("R-1024", "Clifford Beaumont", "317", "Discharged", on(10, 20, 2025), None, None,
             on(12, 1, 2025), "C-002", "Yes", "Yes", None,
             "D/C 10/5 to Willow Court Memory Care.", discharged_on=on(10, 5)),
    Resident("R-1025", "Irene Vasquez", "319", "Active", on(2, 5, 2024), on(11, 18),
             "Level-of-care change", on(3, 18, 2024), "C-002", "x", "Yes", None,
             "LOC tier 3 eff 11/18 - 1:1 redirection 4-8pm. Harbor BH weekly.",
             weekly_from=(on(11, 18),), partners=("C-014",)),
    Resident("R-1026", "Vernon Ashby", "321", "Active", on(9, 18, 2023), on(11, 30),
             "Level-of-care change", on(10, 30, 2023), "C-001", "Y", "Yes", None,
             "LOC change 11/30: now 2-person assist for transfers. Hosp bed + hoyer ordered.",
             weekly_from=(on(11, 30),), partners=("C-012",)),
    Resident("R-1027", "Helen Marchetti", "323", "Active", on(4, 14, 2025), None, None,
             on(5, 27, 2025), "C-002", "No", "Yes", None,
             "HH aide (Riverbend) for showers Tu/Fri - 2 no-shows in Nov.",
             partners=("C-004",)),
    Resident("R-1028", "Stanley Wojcik", "325", "Active", on(11, 18, 2024), None, None,
             on(12, 30, 2024), "C-003", "Y", "No", None,
             "Declines sharing info outside facility + PCP. Insulin - refuses HS dose at times."),
    Resident("R-1029", "Doris Lindgren", "327", "Active", on(8, 25, 2025), None, None,
             on(10, 6, 2025), "C-001", "No", "Yes", None,
             "Refusing PM meds since 11/27. Dtr lives out of state, call evenings."),
    Resident("R-1030", "Wallace Pettigrew", "329", "Discharged", on(5, 6, 2024), None, None,
             on(6, 17, 2024), "C-003", "No", None, None,
             "D/C 7/31 - moved to AZ near son.", discharged_on=on(7, 31)),
    Resident("R-1031", "Louise Chambers", "102", "Active", on(11, 16), on(11, 16), "Admission",
             None, "C-003", "No", "Yes", None,
             "New adm 11/16 from Riverside Rehab. PT referral out. Map not finished.",
             weekly_from=(on(11, 16),), partners=("C-011",)),
    Resident("R-1032", "Earl Fitzgerald", "106", "Active", on(8, 3), on(8, 3), "Admission",
             on(9, 8), "C-002", "No", "Yes", None,
             "Diabetic - FSBS AC & HS. Podiatry q9wk.", weekly_from=(on(8, 3),)),
    Resident("R-1033", "Patricia Nguyen", "110", "Active", on(12, 1, 2025), on(11, 20),
             "Hospital return", on(1, 12), "C-001", "N", "Yes", None,
             "Back from St. Luke's 11/20 (pneumonia). HH PT/OT resumption - 1st visit 12/7?",
             away=((on(11, 6), on(11, 20)),), weekly_from=(on(11, 20),), partners=("C-004",)),
    Resident("R-1034", "Lloyd Brandt", "114", "Active", on(7, 29, 2024), None, None,
             on(9, 9, 2024), "C-003", "No", "No", None,
             "Fall 11/10 - OT eval for ADLs ordered. Declines info sharing."),
    Resident("R-1035", "Carol Jimenez", "116", "Active", "12/1/2026", None, None, None,
             "C-001", "No", "Yes", None,
             "New adm 12/1 from home. Niece Linda Park (C-020) is contact. Waiver bathing requested.",
             weekly_from=(on(12, 1),)),
    Resident("R-1036", "Herbert Lang", "120", "Active", on(9, 8), on(9, 8), "Admission",
             on(10, 13), "C-002", "No", "Yes", None,
             "PERS pendant via waiver - CM says auth submitted.", weekly_from=(on(9, 8),)),
    Resident("R-1037", "Mildred Osei", "122", "Active", on(10, 12), on(10, 12), "Admission",
             on(11, 9), "C-003", "No", "Limited", "C-003\nC-014",
             "Tearful, poor appetite since move. BH referral sent 12/2.",
             weekly_from=(on(10, 12),)),
    Resident("R-1038", "Russell Boateng", "124", "Active", on(7, 6), on(7, 6), "Admission",
             on(8, 17), "C-001", "Yes", "Yes", None,
             "Diabetic foot ulcer R heel - HH wound RN Mon/Thu. Offloading boot.",
             weekly_from=(on(7, 6),), partners=("C-005",)),
    Resident("R-1039", "Beverly Sinclair", "126", "Active", on(1, 16, 2023), None, None,
             on(2, 27, 2023), "C-002", "Yes", "Yes", None,
             "O2 tubing = trip hazard. New exit-seeking at shift change since 11/20."),
    Resident("R-1040", "Lorraine Ebersole", "128", "Active", on(10, 6, 2025), None, None,
             on(11, 17, 2025), "C-002", "x", "Yes", None,
             "Resists showers - female aide only, approach from front.", partners=("C-014",)),
]


# ---------------------------------------------------------------------------
# Authorization Map
# ---------------------------------------------------------------------------

# The usual arrangement for each core domain. Residents' rows start from these
# and take the changes listed in MAP_CHANGES.
MAP_DEFAULTS: dict[str, dict] = {
    "Medication management": {
        "Route": "Facility", "Provider": "Maple Grove AL - med techs", "Contact ID": "C-017",
        "Authorization status": "Not required", "Response standard (hours)": 1,
        "If missed": "Med tech calls nurse on call; nurse calls PCP if dose held/missed.",
    },
    "Bathing": {
        "Route": "Facility", "Provider": "Maple Grove AL - care staff", "Contact ID": "C-017",
        "Authorization status": "Not required", "Response standard (hours)": 2,
        "If missed": "Shift lead reassigns; offer shower next shift.",
    },
    "Mobility supervision": {
        "Route": "Facility", "Provider": "Maple Grove AL - care staff", "Contact ID": "C-015",
        "Authorization status": "Not required", "Response standard (hours)": 1,
        "If missed": "Notify nurse; fall protocol if found on floor.",
    },
    "Wound care": {"Route": "Not needed"},
    "Therapy": {"Route": "Not needed"},
    "Transport": {
        "Route": "Facility", "Provider": "Maple Grove van (local appts)", "Contact ID": "C-016",
        "Authorization status": "Not required", "Response standard (hours)": 24,
        "If missed": "Reschedule appt; family or county transit as backup.",
    },
    "Equipment": {"Route": "Not needed"},
    "Meals": {
        "Route": "Facility", "Provider": "Maple Grove AL - dining", "Contact ID": "C-016",
        "Authorization status": "Not required", "Response standard (hours)": 2,
        "If missed": "Dining lead sends tray; tell nurse if 2 meals refused.",
    },
    "Behavioral support": {"Route": "Not needed"},
}


def partner_row(route: str, provider: str, contact: str, sent_on: date, started_on: date,
                response_hours: int, if_missed: str, notes: str = "",
                authorization: str = "Not required", requested_on: date | None = None,
                authorized_through: date | None = None) -> dict:
    """Return a map row for a partner service that was referred, accepted and seen to start."""
    return {
        "Route": route, "Provider": provider, "Contact ID": contact,
        "Authorization status": authorization, "Requested on": requested_on,
        "Authorized through": authorized_through, "Referral status": "Accepted",
        "Referral sent on": sent_on, "Start date": started_on, "Start confirmed on": started_on,
        "Response standard (hours)": response_hours, "If missed": if_missed, "Notes": notes,
    }


TRANSIT = ("Other partner", "County Senior Transit", "C-013")
KEYSTONE = ("Other partner", "Keystone Medical Supply", "C-012")
STRIDEWELL = ("Other partner", "StrideWell Therapy", "C-011")
HARBOR = ("Other partner", "Harbor Behavioral Health", "C-014")
TRANSIT_IF_MISSED = "Call dispatch; facility van backup for medical appts."
KEYSTONE_IF_MISSED = "Call Keystone; loaner from facility stock if available."

# Per-resident changes to MAP_DEFAULTS, by domain. Scenario rows (the ones that
# produce due items or check problems) are described in samples/README.md.
MAP_CHANGES: dict[str, dict[str, dict]] = {
    "R-1001": {
        "Mobility supervision": {"Notes": "2-person assist for transfers after 6pm. Walker at all times."},
        "Therapy": partner_row(*STRIDEWELL, on(8, 11), on(8, 17), 24,
                               "Call StrideWell; do HEP w/ aide.", "PT 3x/wk x4wk, now maint 1x/wk."),
        "Equipment": partner_row(*KEYSTONE, on(8, 10), on(8, 12), 24, KEYSTONE_IF_MISSED,
                                 "Low bed + bed alarm."),
        "Behavioral support": {
            "Route": "Facility", "Provider": "Maple Grove AL - care staff", "Contact ID": "C-015",
            "Authorization status": "Not required", "Response standard (hours)": 2,
            "If missed": "Redirect, call nurse if agitated > 30 min.",
            "Notes": "Cue to use call light each round.",
        },
    },
    "R-1003": {"Equipment": {"Notes": "Owns rollator walker."}},
    "R-1004": {
        # Deliberate problem: "Home Heath" is not an allowed Route.
        "Wound care": partner_row(
            "Home Heath", "Riverbend Home Health", "C-005", on(10, 5), on(10, 8), 4,
            "Facility RN does dsg per order; call Riverbend clinical mgr.",
            "R heel stg 3, healing. Visits Tue/Fri.", authorization="Approved",
            requested_on=on(10, 5), authorized_through=on(1, 15, 2027)),
        "Bathing": partner_row(
            "LTSS authorized service", "Home Helpers (waiver PCA)", "C-001", on(4, 6), on(4, 13), 24,
            "Facility aide covers; tell CM.", "M/W/F showers.", authorization="Approved",
            requested_on=on(4, 6), authorized_through=on(4, 30, 2027)),
    },
    "R-1005": {
        "Bathing": partner_row(
            "Family-paid add-on", "Caring Hands Home Care", "C-006", on(2, 1, 2024), on(2, 6, 2024),
            2, "Facility aide covers shower same day; call Caring Hands sched.",
            "Tu/Fri 7am shower, dtr pays."),
        "Equipment": {"Notes": "Owns cane."},
    },
    "R-1007": {
        "Wound care": {
            "Route": "Home health", "Provider": "Riverbend Home Health", "Contact ID": "C-004",
            "Authorization status": "Pending", "Requested on": on(11, 24),
            "Referral status": "Accepted", "Referral sent on": on(11, 24),
            "Response standard (hours)": 4,
            "If missed": "Facility RN does dsg per Dr. Rao order.",
            "Notes": "Sacral stg 2. Riverbend accepted, waiting on auth before SOC.",
        },
    },
    "R-1008": {
        "Transport": {
            **partner_row(*TRANSIT, on(6, 20, 2024), on(7, 1, 2024), 24, TRANSIT_IF_MISSED,
                          "W/c van. Standing order for cardiology."),
            "Gap": "Resolved", "Gap noted on": on(6, 23), "Gap resolved on": on(6, 30),
        },
        "Equipment": partner_row(*KEYSTONE, on(6, 5, 2024), on(6, 7, 2024), 24, KEYSTONE_IF_MISSED,
                                 "Manual w/c + cushion."),
    },
    "R-1009": {
        "Equipment": partner_row(*KEYSTONE, on(8, 10), on(8, 12), 24, KEYSTONE_IF_MISSED,
                                 "Hi-lo bed + floor mat."),
        "Mobility supervision": {"Notes": "Neuro checks after any fall (Eliquis)."},
    },
    "R-1010": {"Transport": {"Notes": "Son drives to most appts."}},
    "R-1011": {
        "Equipment": partner_row(*KEYSTONE, on(7, 1), on(7, 3), 24, KEYSTONE_IF_MISSED, "Bed alarm."),
        "Mobility supervision": {"Notes": "Gait belt w/ all transfers."},
    },
    "R-1012": {
        "Equipment": partner_row(*KEYSTONE, on(8, 31), on(9, 2), 24, KEYSTONE_IF_MISSED,
                                 "Low bed + bedside commode."),
        "Therapy": {"Notes": "HH PT d/c'd 10/27 - goals met."},
        "Mobility supervision": {"Notes": "Hourly checks at night since 9/1."},
    },
    "R-1013": {
        # Deliberate problem: C-111 is a typo for C-011.
        "Therapy": partner_row("Other partner", "StrideWell Therapy", "C-111", on(9, 8), on(9, 14), 24,
                               "Call StrideWell front desk.", "PT 2x/wk for knee OA."),
        "Transport": partner_row("Other partner", "Family - dtr Susan drives", "C-018",
                                 on(5, 30, 2023), on(6, 1, 2023), 24,
                                 "Facility van if dtr can't make it."),
    },
    "R-1014": {
        "Transport": partner_row("Other partner", "Family - son Jim drives", "C-019",
                                 on(10, 7, 2024), on(10, 10, 2024), 24,
                                 "Facility van; call Jim to reschedule."),
    },
    "R-1016": {
        "Bathing": partner_row(
            "LTSS authorized service", "Home Helpers (waiver PCA)", "C-002", on(2, 2), on(2, 9), 24,
            "Facility aide covers; tell CM.", "", authorization="Approved",
            requested_on=on(2, 2), authorized_through=on(2, 28, 2027)),
        "Transport": {
            **partner_row(*TRANSIT, on(6, 10, 2022), on(6, 14, 2022), 24, TRANSIT_IF_MISSED),
            "Gap": "Open", "Gap noted on": on(11, 20),
            "Notes": "Transit dropped Tue w/c runs - cardiology moved?",
        },
    },
    "R-1017": {
        # Deliberate problem: "Aproved" is not an allowed Authorization status.
        "Bathing": {
            **partner_row("LTSS authorized service", "Home Helpers (waiver PCA)", "C-001", on(10, 13),
                          on(10, 19), 24, "Facility aide covers; tell CM.",
                          "Switched agency 10/19 after missed visits.",
                          authorization="Aproved", requested_on=on(10, 13),
                          authorized_through=on(4, 30, 2027)),
            "Gap": "Resolved", "Gap noted on": on(10, 12), "Gap resolved on": on(10, 19),
        },
    },
    "R-1018": {
        "Transport": {
            **partner_row(*TRANSIT, on(5, 20, 2025), on(5, 26, 2025), 4, TRANSIT_IF_MISSED,
                          authorization="Not required"),
            "Gap": "Open", "Gap noted on": on(11, 27),
            "Notes": "Transit: no w/c van after 3pm from 11/27 - dialysis return M/W/F uncovered.",
        },
        "Equipment": partner_row(*KEYSTONE, on(5, 20, 2025), on(5, 22, 2025), 24, KEYSTONE_IF_MISSED,
                                 "W/c, self-propels short distance."),
    },
    "R-1019": {
        "Behavioral support": partner_row(*HARBOR, on(6, 22), on(7, 1), 24,
                                          "Call Harbor; nurse reviews behavior log.",
                                          "BH visits q2wk. Checks q30min 3-8pm."),
    },
    "R-1020": {
        "Therapy": {
            "Route": "Other partner", "Provider": "StrideWell Therapy", "Contact ID": "C-011",
            "Authorization status": "Not required", "Referral status": "Accepted",
            "Referral sent on": on(11, 30), "Start date": on(12, 14),
            "Response standard (hours)": 24, "If missed": "Call StrideWell to rebook.",
            "Notes": "OT eval R shoulder sched 12/14, van booked.",
        },
    },
    "R-1021": {
        "Equipment": {
            **partner_row(*KEYSTONE, on(11, 10, 2025), on(11, 11, 2025), 4,
                          "Backup O2 tank in room; call Keystone on-call.", "O2 concentrator 2L HS."),
            "Gap": "Resolved", "Gap noted on": on(10, 21), "Gap resolved on": on(10, 22),
        },
    },
    "R-1022": {
        "Transport": partner_row(*TRANSIT, on(3, 12, 2024), on(3, 19, 2024), 24, TRANSIT_IF_MISSED,
                                 "INR draws q2wk Tue."),
        "Medication management": {"Notes": "Warfarin - dose per Dr. Rao after each INR."},
    },
    "R-1023": {
        "Bathing": partner_row(
            "LTSS authorized service", "Home Helpers (waiver PCA)", "C-002", on(12, 1, 2025),
            on(12, 8, 2025), 24, "Facility aide covers; tell CM.",
            "Auth ends 12/15 - CM reassessing 12/9.", authorization="Approved",
            requested_on=on(12, 1, 2025), authorized_through=on(12, 15)),
    },
    "R-1025": {
        "Behavioral support": partner_row(*HARBOR, on(6, 5), on(6, 15), 24,
                                          "Call Harbor; 1:1 redirection.", "BH weekly since 11/18."),
        "Mobility supervision": {"Notes": "1:1 redirection 4-8pm (LOC tier 3)."},
    },
    "R-1026": {
        "Equipment": {
            "Route": "Other partner", "Provider": "Keystone Medical Supply", "Contact ID": "C-012",
            "Authorization status": "Not required", "Referral status": "Accepted",
            "Referral sent on": on(11, 30), "Start date": on(11, 30),
            "Response standard (hours)": 24, "If missed": KEYSTONE_IF_MISSED,
            "Notes": "Hosp bed + hoyer. Delivery sched 11/30 - hoyer here?? nobody confirmed.",
        },
        "Mobility supervision": {"Notes": "2-person assist for transfers. Hoyer once delivered."},
        "Bathing": {"Notes": "Bed bath until hoyer + shower chair in place."},
    },
    "R-1027": {
        "Bathing": partner_row(
            "Home health", "Riverbend Home Health (aide)", "C-004", on(10, 20), on(10, 27), 2,
            "Facility aide showers her; call Riverbend sched.", "Aide Tu/Fri. Missed 11/20 + 11/23.",
            authorization="Approved", requested_on=on(10, 20), authorized_through=on(1, 18, 2027)),
    },
    "R-1028": {
        "Medication management": {"Notes": "AM long-acting insulin. Call PCP if BG >350 or <70."},
    },
    "R-1029": {"Medication management": {"Notes": "Eliquis + metoprolol. Refusing PM meds since 11/27."}},
    "R-1031": {
        "Therapy": {
            "Route": "Other partner", "Provider": "StrideWell Therapy", "Contact ID": "C-011",
            "Authorization status": "Not required", "Referral status": "Sent",
            "Referral sent on": on(11, 25), "Response standard (hours)": 24,
            "If missed": "Call StrideWell intake.", "Notes": "PT eval + treat per rehab d/c orders.",
        },
    },
    "R-1032": {
        "Transport": partner_row(*TRANSIT, on(8, 4), on(8, 11), 24, TRANSIT_IF_MISSED,
                                 "Podiatry q9wk."),
        "Medication management": {"Notes": "FSBS AC & HS. Insulin per sliding scale."},
    },
    "R-1033": {
        "Therapy": {
            "Route": "Home health", "Provider": "Riverbend Home Health", "Contact ID": "C-004",
            "Authorization status": "Approved", "Requested on": on(11, 20),
            "Authorized through": on(1, 18, 2027), "Referral status": "Accepted",
            "Referral sent on": on(11, 20), "Start date": on(12, 7),
            "Response standard (hours)": 24, "If missed": "Call Riverbend clinical mgr.",
            "Notes": "PT/OT resumption of care after hosp. 1st visit 12/7 per Karen.",
        },
        "Equipment": partner_row(*KEYSTONE, on(11, 19), on(11, 20), 4,
                                 "Backup O2 tank; call Keystone on-call.", "O2 2L PRN since d/c."),
    },
    "R-1034": {
        # Deliberate problem: "next tues" is not a date.
        "Therapy": {
            "Route": "Other partner", "Provider": "StrideWell Therapy", "Contact ID": "C-011",
            "Authorization status": "Not required", "Referral status": "Accepted",
            "Referral sent on": on(11, 12), "Start date": "next tues",
            "Response standard (hours)": 24, "If missed": "Call StrideWell to rebook.",
            "Notes": "OT eval for ADLs after 11/10 fall.",
        },
    },
    "R-1035": {
        "Bathing": {
            "Route": "LTSS authorized service", "Provider": "Waiver PCA (agency TBD by CM)",
            "Contact ID": "C-001", "Authorization status": "Requested", "Requested on": on(12, 1),
            "Response standard (hours)": 24, "If missed": "Facility aides cover showers.",
            "Notes": "Facility covering showers until auth.",
        },
    },
    "R-1036": {
        # Deliberate problem: Pending with no Requested on.
        "Equipment": {
            "Route": "LTSS authorized service", "Provider": "PERS pendant (waiver)", "Contact ID": "C-002",
            "Authorization status": "Pending", "Response standard (hours)": 24,
            "If missed": "Hourly checks at night until pendant in.", "Notes": "CM says submitted - date?",
        },
    },
    "R-1037": {
        "Behavioral support": {
            "Route": "Other partner", "Provider": "Harbor Behavioral Health", "Contact ID": "C-014",
            "Authorization status": "Not required", "Referral status": "Sent",
            "Referral sent on": on(12, 2), "Response standard (hours)": 24,
            "If missed": "Nurse check-in daily; call PCP if not eating.",
            "Notes": "Depression screen PHQ-9 = 14. Referral faxed 12/2.",
        },
    },
    "R-1038": {
        "Wound care": {
            **partner_row("Home health", "Riverbend Home Health", "C-005", on(7, 7), on(7, 9), 4,
                          "Facility RN does dsg per order; call Riverbend clinical mgr.",
                          authorization="Approved", requested_on=on(7, 7),
                          authorized_through=on(1, 4, 2027)),
            "Gap": "Open", "Gap noted on": "12/3/26",
            "Notes": "RN visit missed 12/2 + 12/3 - nurse out sick, no backup sent.",
        },
        "Equipment": partner_row(*KEYSTONE, on(7, 7), on(7, 8), 24, KEYSTONE_IF_MISSED,
                                 "Offloading boot R foot."),
    },
    "R-1039": {
        "Equipment": partner_row(*KEYSTONE, on(1, 17, 2023), on(1, 18, 2023), 4,
                                 "Backup O2 tank; call Keystone on-call.", "O2 2L continuous."),
        "Behavioral support": {"Notes": "Watch - exit-seeking at shift change since 11/20."},
    },
    "R-1040": {
        "Behavioral support": partner_row(*HARBOR, on(10, 6), on(10, 14), 24,
                                          "Call Harbor; stop + reapproach.", "BH q2wk."),
        "Bathing": {"Notes": "Female aide only, 10am shower (her choice)."},
    },
}

# Domains a resident has no row for yet (the map is unfinished).
MAP_MISSING_DOMAINS = {
    "R-1031": ("Transport", "Equipment", "Behavioral support"),
    "R-1035": ("Wound care", "Therapy", "Transport", "Equipment", "Behavioral support"),
}

# A second Transport row for R-1008, added at the bottom of the resident's block
# (a deliberate duplicate resident + domain).
DUPLICATE_MAP_ROW = ("R-1008", {
    "Domain": "Transport", "Route": "Facility", "Provider": "Maple Grove van (local appts)",
    "Contact ID": "C-016", "Authorization status": "Not required", "Response standard (hours)": 24,
    "If missed": "Reschedule appt.", "Notes": "Van for local appts (barber, church).",
})

# Residents whose map rows have no Last reviewed on yet.
MAP_NOT_YET_REVIEWED = {"R-1035"}


# ---------------------------------------------------------------------------
# Escalations
# ---------------------------------------------------------------------------

ESCALATION_FIELDS = (
    "Escalation ID", "Resident ID", "Opened at", "Category", "Observed", "Action taken",
    "Decision needed", "Needed by", "Contacted", "Contacted at", "Responded at", "Decision",
    "Decided at", "Follow-up", "Follow-up owner", "Follow-up due", "Follow-up confirmed at",
    "Closed at", "Outcome",
)

ESCALATIONS = [
    ("ESC-26-001", "R-1025", at(6, 4, 10, 20), "Behavioral concern",
     "Yelling at tablemates, threw cup at dinner 6/1 + 6/3. Calms w/ 1:1 but not at meals.",
     "Moved to 2-top by window. Behavior log started. Dtr notified.",
     "BH referral via waiver?", at(6, 8, 17), "C-002", None, at(6, 4, 15, 10),
     "CM OK'd Harbor BH referral, waiver covers.", at(6, 5, 9, 30),
     "Harbor confirms 1st visit date", "C-014", at(6, 15, 17), at(6, 12, 11), on(6, 15),
     "Service started or changed"),
    ("ESC-26-002", "R-1006", at(6, 11, 8, 45), "Falls cluster",
     "2nd fall in 9 days (6/2, 6/10). R wrist pain after 6/10, xray neg. Not using walker at night.",
     "Bed alarm on, night checks q2h, walker at bedside.",
     "PT eval? Need order.", at(6, 12, 17), "C-007", None, at(6, 11, 13, 30),
     "Dr. Rao: PT eval + treat at StrideWell, UA to r/o UTI.", at(6, 11, 13, 30),
     "StrideWell confirms eval date", "C-011", at(6, 16, 17), at(6, 15, 10), on(6, 17),
     "Service started or changed"),
    ("ESC-26-003", "R-1020", at(6, 18, 12, 40), "Medication harm risk",
     "New oxycodone 5mg from ortho on top of HS lorazepam. Very drowsy at lunch, nodding off.",
     "Held lorazepam per RN. VS stable, O2 95%.",
     "Which sedating med to stop?", at(6, 18, 20), "C-007", at(6, 18, 12, 45), at(6, 18, 14, 5),
     "Stop lorazepam. Oxy 5mg q6h prn only.", at(6, 18, 14, 5),
     "Pharmacy updates MAR + profile", "C-010", at(6, 19, 12), at(6, 19, 9, 15), at(6, 19, 9, 30),
     "Resolved in place"),
    ("ESC-26-004", "R-1008", at(6, 23, 9, 15), "Missed service",
     "County transit no-show for 9:30 cardiology appt. Appt missed.",
     "Called dispatch - driver had old address. Appt rebooked 6/30.",
     "Transit to fix standing pickup address + time", at(6, 26, 17), "C-013", None,
     at(6, 23, 11, 40), "Dispatch corrected address on standing order.", at(6, 23, 11, 40),
     "Confirm 6/30 pickup happened", "C-015", at(6, 30, 12), at(6, 30, 10, 5), at(6, 30, 10, 10),
     "Resolved in place"),
    ("ESC-26-005", "R-1030", at(7, 7, 14), "Refusal of essential care",
     "Refused showers x10 days, strong odor, groin folds red.",
     "Offered bed bath, diff aides, PM times. Son called.",
     "Care conf - can AL still meet needs?", at(7, 14, 17), "C-003", None, at(7, 8, 9, 30),
     "Son moving him to AZ end of month. Interim: daily wash-up + barrier cream.", at(7, 9, 16),
     "Confirm d/c date + med list sent", "C-015", at(7, 31, 17), at(7, 31, 11), on(7, 31),
     "Other"),
    ("ESC-26-006", "R-1015", at(7, 14, 7, 30), "Acute confusion",
     "New confusion, not recognizing staff, temp 100.9. Baseline at 10pm last night.",
     "VS, FSBS 142. Called PCP on-call.",
     "Send out vs treat in place?", at(7, 14, 9), "C-007", at(7, 14, 7, 35), at(7, 14, 7, 55),
     "Send to ED for eval.", at(7, 14, 7, 55),
     "ED d/c instructions + new Rx to pharmacy", "C-015", at(7, 15, 12), at(7, 14, 18, 30),
     at(7, 14, 18, 45), "ED transfer"),
    ("ESC-26-007", "R-1020", at(7, 19, 3, 20), "Acute confusion",
     "Found wandering halls 3am, agitated, says he has to get to work. New incontinence.",
     "Redirected, VS OK, called on-call.",
     "Send out?", at(7, 19, 6), "C-008", at(7, 19, 3, 25), at(7, 19, 3, 50),
     "Send to ED - r/o UTI/stroke.", at(7, 19, 3, 50),
     "Confirm abx started on return", "C-017", at(7, 20, 12), at(7, 19, 17, 10), at(7, 19, 17, 15),
     "ED transfer"),
    ("ESC-26-008", "R-1005", at(7, 27, 11), "Missed service",
     "Riverbend PT missed 7/22 + 7/27 visits. No call.",
     "Called Riverbend sched, left msg.",
     "Make-up visits + reliable schedule?", at(7, 29, 17), "C-004", None, at(7, 27, 15, 20),
     "New PT assigned; Sat make-up visit added.", at(7, 27, 15, 20),
     "Confirm Sat visit done", "C-004", at(8, 1, 17), at(8, 1, 14, 40), on(8, 3),
     "Service started or changed"),
    ("ESC-26-009", "R-1001", at(8, 9, 15), "Falls cluster",
     "2nd fall in 3 wks (7/22, 8/9). Unwitnessed, found by bed. Skin tear L forearm 7/22.",
     "Neuro checks, bed alarm, walker at bedside, toileting rounds 10p/2a.",
     "PT eval + review HS meds? LOC review?", at(8, 11, 17), "C-007", None, at(8, 10, 9, 10),
     "PT eval 3x/wk x4wk at StrideWell, stop HS trazodone, CM to do LOC review.", at(8, 10, 9, 10),
     "CM confirms LOC review date", "C-001", at(8, 14, 17), at(8, 13, 10, 30), on(8, 17),
     "Service started or changed"),
    ("ESC-26-010", "R-1024", at(8, 24, 20, 45), "Behavioral concern",
     "Found in parking lot at dusk trying car doors. Says he's going home.",
     "Redirected in, 1:1 til calm, checks q30min overnight. Wife notified.",
     "Memory care eval? Wander guard?", at(8, 27, 17), "C-002", at(8, 25, 8, 30), at(8, 25, 10, 15),
     "CM schedules MC assessment; BH consult meanwhile.", at(8, 25, 10, 15),
     "Assessment date confirmed", "C-002", at(8, 31, 17), at(8, 28, 14), on(9, 1), "Other"),
    ("ESC-26-011", "R-1012", at(8, 30, 10), "Falls cluster",
     "2nd fall in 12 days (8/18, 8/30). Both early AM getting to BR.",
     "Bedside commode, low bed ordered, hipsters on.",
     "PT + LOC change for night checks?", at(9, 1, 17), "C-007", None, at(8, 31, 9, 20),
     "HH PT via Riverbend, hourly night checks, LOC tier 2.", at(8, 31, 9, 20),
     "Riverbend confirms PT start of care", "C-004", at(9, 4, 17), at(9, 3, 15), on(9, 4),
     "Service started or changed"),
    ("ESC-26-012", "R-1015", at(9, 3, 11, 15), "Refusal of essential care",
     "Eating <25% of meals x5 days, refusing fluids. Wt down 6 lb in 2 wks.",
     "Supplements, fav foods offered; family visited.",
     "Hospice eval?", at(9, 5, 17), "C-007", None, at(9, 3, 16, 40),
     "Hospice eval ordered; family agrees.", at(9, 4, 10),
     "Hospice admits or family decides on move", "C-001", at(9, 11, 17), at(9, 10, 12), on(9, 14),
     "Step-up in care"),
    ("ESC-26-013", "R-1032", at(9, 10, 7, 55), "Missed service",
     "County transit no-show for 8:00 podiatry appt.",
     "Facility van took him, 20 min late, was seen.",
     "Why missed? Need reliable standing ride", at(9, 14, 17), "C-013", None, at(9, 10, 10, 30),
     "Driver error; standing order re-entered.", at(9, 10, 10, 30),
     "Confirm next ride on time", "C-015", at(9, 24, 12), at(9, 24, 9), at(9, 24, 9, 5),
     "Resolved in place"),
    ("ESC-26-014", "R-1024", at(9, 22, 7, 40), "Behavioral concern",
     "Exit-seeking x2 this wk (9/20 front door alarm, 9/21 fire door). Swinging at staff when redirected.",
     "1:1 afternoons, BH notified.",
     "Memory care move - timeline?", at(9, 25, 17), "C-002", None, at(9, 22, 11, 30),
     "Willow Court MC bed 10/5. Family agrees.", at(9, 23, 15),
     "Transfer done + records sent", "C-015", at(10, 5, 17), at(10, 5, 14, 30), at(10, 5, 15),
     "Step-up in care"),
    ("ESC-26-015", "R-1003", at(9, 28, 13, 30), "Medication harm risk",
     "Cycle fill sent metoprolol 50mg, order is 25mg. 1 dose given 9/28 AM. HR 54, BP 102/60.",
     "Held PM dose, VS q4h, called pharmacy.",
     "PCP: hold/resume + monitoring?", at(9, 28, 18), "C-007", at(9, 28, 13, 35), "9/28/2026 4:30 PM",
     "Hold til HR >60, then resume 25mg. Pharmacy to replace.", at(9, 28, 16, 30),
     "Correct strength delivered", "C-010", at(9, 29, 17), at(9, 29, 11), at(9, 29, 11, 30),
     "Resolved in place"),
    ("ESC-26-016", "R-1040", at(10, 5, 11), "Behavioral concern",
     "Struck aide during shower 10/5. Screaming, resists undressing. 3rd episode this wk.",
     "Shower stopped, bed bath later w/ female aide.",
     "BH referral? Med review?", at(10, 8, 17), "C-002", None, at(10, 5, 15, 45),
     "Harbor BH referral; female aide only; PCP med review.", at(10, 6, 9),
     "Harbor 1st visit confirmed", "C-014", at(10, 14, 17), at(10, 14, 13), on(10, 15),
     "Service started or changed"),
    ("ESC-26-017", "R-1017", at(10, 12, 9, 30), "Missed service",
     "Waiver PCA missed 10/7, 10/9, 10/12 showers.",
     "Facility aides covered showers.",
     "New agency or backup aide?", at(10, 15, 17), "C-001", None, at(10, 13, 11),
     "CM switched to Home Helpers M/W/F.", at(10, 14, 14),
     "New agency 1st visit confirmed", "C-001", at(10, 19, 17), at(10, 19, 10), at(10, 19, 10, 15),
     "Service started or changed"),
    ("ESC-26-018", "R-1022", at(10, 19, 15, 10), "Medication harm risk",
     "INR 4.8 today (goal 2-3). Bruising both forearms. No bleeding.",
     "Warfarin held tonight per lab call. Fall precautions reinforced.",
     "Dose change + recheck date", at(10, 19, 20), "C-007", None, at(10, 19, 16, 20),
     "Hold 2 doses, then 2.5mg daily. Recheck INR 10/23.", at(10, 19, 16, 20),
     "INR 10/23 result", "C-015", at(10, 23, 17), at(10, 23, 14, 10), at(10, 23, 14, 15),
     "Resolved in place"),
    ("ESC-26-019", "R-1009", at(10, 27, 18, 55), "Other",
     "Fall in room w/ head strike (on Eliquis). Small bump R forehead, alert.",
     "Neuro checks started, called on-call.",
     "Send out per protocol?", at(10, 27, 20), "C-008", None, at(10, 27, 19, 10),
     "Send to ED for CT.", at(10, 27, 19, 10),
     "CT result + return plan", "C-015", at(10, 28, 12), at(10, 28, 1, 40), at(10, 28, 8),
     "ED transfer"),
    ("ESC-26-020", "R-1028", at(11, 2, 9, 40), "Refusal of essential care",
     "Refused HS insulin 10/30, 10/31, 11/1. AM BG 288-341.",
     "Educated, offered 1 hr later, called PCP.",
     "Change insulin timing?", at(11, 4, 17), "C-009", None, at(11, 2, 14, 15),
     "Switch to AM long-acting dose. Call if BG >350.", at(11, 2, 14, 15),
     "New order on MAR + BG log reviewed", "C-009", at(11, 9, 17), at(11, 9, 11, 30),
     at(11, 9, 11, 45), "Resolved in place"),
    ("ESC-26-021", "R-1033", at(11, 6, 13, 20), "Acute confusion",
     "Lethargic, confused, O2 sat 86% RA, productive cough.",
     "O2 2L, VS, called PCP.",
     "Send out?", at(11, 6, 14), "C-007", at(11, 6, 13, 25), at(11, 6, 13, 40),
     "Send to ED.", at(11, 6, 13, 40),
     "CM confirms d/c plan + HH resumption before return", "C-001", at(11, 20, 12),
     at(11, 19, 15, 30), at(11, 20, 16), "Hospital admission"),
    ("ESC-26-022", "R-1038", at(11, 9, 10), "Missed service",
     "Riverbend wound RN missed 11/6 visit, dsg not changed.",
     "Facility RN changed dsg per orders.",
     "Reschedule + backup nurse plan", at(11, 10, 17), "C-005", None, at(11, 9, 12, 30),
     "RN visits moved to Mon/Thu; clinical mgr is backup.", at(11, 9, 12, 30),
     "Confirm Thu visit", "C-005", at(11, 12, 17), at(11, 12, 15), at(11, 12, 15, 10),
     "Resolved in place"),
    ("ESC-26-023", "R-1031", at(11, 16, 15, 30), "Other",
     "New adm from Riverside Rehab - no d/c med list, 2 meds w/o orders.",
     "Called rehab, fax request sent.",
     "PCP to verify orders tonight", at(11, 16, 21), "C-007", at(11, 16, 15, 35), at(11, 16, 17, 10),
     "Dr. Rao gave verbal orders; 1 med d/c'd.", at(11, 16, 17, 10),
     "Pharmacy delivers + MAR built", "C-010", at(11, 17, 12), at(11, 17, 9, 40), at(11, 17, 10),
     "Resolved in place"),
    ("ESC-26-024", "R-1025", at(11, 17, 16), "Behavioral concern",
     "Sundowning worse x2 wks: pacing, crying, tried to leave w/ another res's walker.",
     "1:1 4-8pm when staffing allows. BH notified.",
     "LOC increase for evening supervision?", at(11, 19, 17), "C-002", None, at(11, 18, 9),
     "LOC tier 3 eff 11/18. Harbor BH to see weekly.", at(11, 18, 9),
     "Waiver plan updated w/ new LOC", "C-002", at(11, 25, 17), at(11, 24, 10), on(11, 24),
     "Step-up in care"),
    # Open escalations.
    ("ESC-26-025", "R-1027", at(11, 23, 9, 50), "Missed service",
     "Riverbend HH aide no-show for shower 11/20 + 11/23. No call either time.",
     "Facility aide gave shower. Left msg w/ Riverbend sched.",
     "Backup aide or switch shower days?", at(11, 25, 17), "C-004", at(11, 23, 10), at(11, 23, 14, 20),
     "Riverbend assigning new aide Tu/Fri; sched to call w/ name.", at(11, 24, 9),
     "Riverbend sched confirms new aide name + 1st visit", "C-004", "12/1/2026 2:00 PM", None, None,
     None),
    ("ESC-26-026", "R-1029", at(11, 30, 10, 15), "Refusal of essential care",
     "Refused all PM meds 11/27-11/29 incl Eliquis + metoprolol. Says pills make her sick.",
     "Offered w/ applesauce, later times. BP 152/88. Dtr updated.",
     "Change timing/form, or stop any meds? Family mtg?", at(12, 2, 17), "C-007", at(11, 30, 10, 20),
     at(11, 30, 13, 5), None, None, None, None, None, None, None, None),
    ("ESC-26-027", "R-1016", at(11, 30, 6, 20), "Acute confusion",
     "Lethargic, hard to arouse, temp 101.4, new incontinence.",
     "VS, O2 sat 91%, called on-call.",
     "Send out?", at(11, 30, 7, 30), "C-008", at(11, 30, 6, 25), at(11, 30, 6, 40),
     "Send to ED.", at(11, 30, 6, 40),
     "CM confirms hosp d/c plan + whether AL can meet needs (LOC?)", "C-002", on(12, 7), None, None,
     "Hospital admission"),
    ("ESC-26-028", "R-1019", at(12, 1, 20, 5), "Behavioral concern",
     "Found in parking lot 7:40pm w/ coat + purse, said waiting for her ride. 3rd exit attempt in 2 wks.",
     "Redirected, 1:1 til bed, checks q30min overnight. Son called.",
     "Wander guard vs memory care eval?", at(12, 8, 17), "C-002", at(12, 2, 8, 30), at(12, 2, 11),
     None, None, None, None, None, None, None, None),
    ("ESC-26-029", "R-1014", at(12, 3, 15, 40), "Acute confusion",
     "Confused since lunch - thinks it's 1990, picking at air. Temp 99.8, strong urine odor.",
     "VS, pushing fluids, UA cup given. Son Jim notified.",
     "UA/abx order or send out?", at(12, 4, 12), "C-007", "12/3/2026 3:50 PM", None,
     None, None, None, None, None, None, None, None),
    ("ESC-26-030", "R-1005", at(12, 4, 7, 45), "Missed service",
     "Caring Hands aide no-show for 7am shower. 2nd no-show since 11/20.",
     "Facility aide will shower her after breakfast.",
     "Sub aide for Fri or change days?", None, "C-006", at(12, 4, 7, 50), None,
     None, None, None, None, None, None, None, None),
]


# ---------------------------------------------------------------------------
# Risk Register
# ---------------------------------------------------------------------------

RISK_FIELDS = (
    "Risk ID", "Resident ID", "Risk", "Description", "Controls", "Warning signs", "Next step",
    "Owner", "Shared with", "Opened on", "Last reviewed on", "Controls changed on", "Cadence",
    "Status",
)

RISKS = [
    ("RR-01", "R-1001", "Falls", "Unsteady gait, 2 falls Jul-Aug.",
     "Walker at all times. 2-person assist for transfers after 6pm. Low bed + bed alarm. "
     "Toileting rounds 10p/2a.",
     "Not using walker, up alone at night, new dizziness.",
     "PT re-eval + PCP med review; CM for LOC review.",
     "C-015", "C-001, C-007", on(11, 3, 2025), on(11, 17), on(8, 10), None, "Active"),
    ("RR-02", "R-1001", "Cognition", "Mild dementia, forgets call light.",
     "Cue to use call light each round. Same routine daily.",
     "More confused PM, new agitation.", "UA to r/o UTI; PCP visit.",
     "C-015", "C-001", on(2, 10), on(11, 17), None, "Monthly", "Active"),
    ("RR-03", "R-1009", "Falls", "On Eliquis - any fall w/ head strike = send out.",
     "Hi-lo bed, floor mat, night light, walker. Neuro checks after any fall.",
     "Dizzy on standing, SBP <100.", "Send to ED if head strike; PCP orthostatic check.",
     "C-015", "C-001, C-007", on(8, 10), on(10, 30), on(10, 30), None, "Active"),
    ("RR-04", "R-1011", "Falls", "Falls w/ walker turns, leans L.",
     "Walker + gait belt w/ transfers. Bed alarm at night. Non-skid socks.",
     "Leaning L, rushing to BR, refusing walker.", "PT eval; consider 2-person assist.",
     "C-015", "C-002, C-011", on(7, 1), on(11, 23), on(11, 23), "Auto", "Active"),
    ("RR-05", "R-1012", "Falls", "Early AM falls getting to BR.",
     "Low bed, bedside commode, hipsters. Hourly checks at night.",
     "Up w/o call light, incontinence, new meds.", "PCP med review; CM LOC review if 2+ falls/mo.",
     "C-015", "C-001, C-004, C-007", on(8, 20), on(11, 16), on(11, 16), None, "Active"),
    ("RR-06", "R-1016", "Cognition", "Moderate dementia, UTIs present as lethargy.",
     "Redirect, structured day. Checks q2h.",
     "Lethargy, fever, new incontinence.", "Call PCP on-call; send out if hard to arouse.",
     "C-015", "C-002", on(4, 6), on(11, 10), None, "Monthly", "Active"),
    ("RR-07", "R-1019", "Wandering or elopement", "Exit-seeking late afternoons.",
     "Checks q30min 3-8pm. Door alarm. Photo at front desk.",
     "Packing purse/coat, asking for a ride, at exit doors.", "Wander guard or MC eval (CM).",
     "C-015", "C-002, C-014", on(6, 20), on(12, 2), on(12, 2), None, "Active"),
    ("RR-08", "R-1022", "Medication", "Warfarin - INR swings.",
     "INR q2wk at Eastside lab. Dose per Dr. Rao. Fall precautions.",
     "Bruising, dark stool, nosebleeds, INR >3.5.", "Hold dose + call PCP same day.",
     "C-015", "C-001, C-007, C-014", on(3, 9), on(11, 18), on(10, 19), None, "Active"),
    ("RR-09", "R-1024", "Wandering or elopement", "Exit-seeking, tried car doors.",
     "1:1 afternoons, checks q30min.", "At exits, agitated when redirected.",
     "Memory care placement.", "C-015", "C-002", on(8, 24), on(9, 22), on(9, 22), None, "Closed"),
    ("RR-10", "R-1025", "Behavioral", "Outbursts at meals.",
     "2-top seating, 1:1 at meals, Harbor BH weekly.", "Yelling at meals, throwing items.",
     "BH med review.", "C-015", "C-002, C-014", on(6, 4), on(9, 15), on(6, 15), None, "Closed"),
    ("RR-11", "R-1039", "Falls", "O2 tubing trip hazard.",
     "Tubing secured, short tubing in room. Walker.", "SOB w/ exertion, tripping.",
     "PT eval.", "C-015", "C-002", on(5, 12), on(11, 20), on(9, 10), None, "Active"),
    ("RR-12", "R-1039", "Wandering or elopement", "New exit-seeking at shift change.",
     "Checks q1h 2-4pm. Door alarm.", "At front door w/ coat, asking for her car.",
     "CM + PCP: UA, cognitive screen.", "C-015", "C-002", "Nov 20, 2026", None, None, None, "Active"),
    ("RR-13", "R-1040", "Behavioral", "Resists showers, has struck aides.",
     "Female aide only. Approach from front, explain each step. Shower 10am (her choice).",
     "Clenched fists, yelling 'no'.", "Stop + reapproach in 15 min; call Harbor.",
     "C-015", "C-002, C-014", on(10, 6), on(11, 25), on(10, 14), None, "Active"),
    # Deliberate problem: Next step is blank.
    ("RR-14", "R-1038", "Skin integrity", "Diabetic foot ulcer R heel.",
     "Offloading boot R foot. Reposition q2h in bed. HH wound RN Mon/Thu.",
     "Drainage, odor, spreading redness, fever.", None,
     "C-005", "C-001, C-005", on(9, 2), on(11, 19), on(9, 2), "Monthly", "Active"),
    ("RR-15", "R-1028", "Medication", "Refuses HS insulin at times.",
     "AM long-acting insulin. FSBS AC & HS. Call PCP if BG >350 or <70.",
     "Refusing insulin, BG >300, lethargy.", "PCP visit; diabetes educator.",
     "C-015", None, on(11, 3), on(11, 30), on(11, 2), "Biweekly", "Active"),
    ("RR-16", "R-1006", "Falls", "Falls at night w/o walker.",
     "Bed alarm, walker at bedside, checks q2h at night.", "Up alone at night.",
     "PT eval.", "C-015", "C-002", on(6, 11), on(8, 14), on(6, 11), None, "Active"),
]


# ---------------------------------------------------------------------------
# Incidents
# ---------------------------------------------------------------------------

INCIDENT_FIELDS = ("Incident ID", "Resident ID", "Occurred at", "Type", "Description", "Risk ID")

INCIDENTS = [
    ("IR-26-001", "R-1025", at(6, 1, 18, 10), "Behavioral", "Threw cup at tablemate at dinner, yelling.", None),
    ("IR-26-002", "R-1006", at(6, 2, 7, 10), "Fall", "Found on floor by bed, no injury. No walker.", None),
    ("IR-26-003", "R-1006", at(6, 10, 14, 30), "Fall", "Lost balance in hallway. R wrist pain, xray neg.", None),
    ("IR-26-004", "R-1011", at(6, 28, 16, 45), "Fall", "Slid out of recliner, assist x2 to stand. No injury.", None),
    ("IR-26-005", "R-1015", at(7, 14, 8, 20), "ED visit", "Sent to ED - confusion/fever. UTI, back same day.", None),
    ("IR-26-006", "R-1020", at(7, 19, 3, 55), "ED visit", "Sent to ED - confusion. Back 7/19 PM on abx.", None),
    ("IR-26-007", "R-1001", at(7, 22, 5, 50), "Fall", "Unwitnessed, found by bed. Skin tear L forearm.", "RR-01"),
    ("IR-26-008", "R-1005", at(7, 30, 20, 15), "Medication error",
     "PM metformin missed - wrong cart drawer. PCP notified, no harm.", None),
    ("IR-26-009", "R-1009", at(8, 8, 22, 40), "Fall", "Fall in BR, no head strike. Bruise R hip.", None),
    ("IR-26-010", "R-1001", at(8, 9, 13, 15), "Fall", "Fell reaching for TV remote. No injury.", "RR-01"),
    ("IR-26-011", "R-1012", at(8, 18, 7, 15), "Fall", "Found on BR floor, incontinent. No injury.", None),
    ("IR-26-012", "R-1024", at(8, 24, 20, 30), "Wandering or elopement", "Found in parking lot at dusk.", None),
    ("IR-26-013", "R-1012", at(8, 30, 7, 5), "Fall", "Fell getting up to BR. Abrasion L knee.", None),
    ("IR-26-014", "R-1039", at(9, 9, 11), "Fall", "Tripped on O2 tubing in dining rm. No injury.", "RR-11"),
    ("IR-26-015", "R-1008", at(9, 15, 16, 20), "Fall", "Slid from w/c to floor during transfer. No injury.", None),
    ("IR-26-016", "R-1024", at(9, 20, 19, 45), "Wandering or elopement", "Front door alarm - found on porch.", "RR-09"),
    ("IR-26-017", "R-1024", at(9, 21, 21, 10), "Wandering or elopement", "Tried fire door at end of hall.", "RR-09"),
    ("IR-26-018", "R-1013", at(10, 3, 8, 40), "Fall", "Fell in shower room, aide present, lowered to floor.", None),
    ("IR-26-019", "R-1040", at(10, 5, 10, 30), "Behavioral", "Struck aide during shower.", None),
    # Deliberate problem: IR-26-018 typed again for a new incident.
    ("IR-26-018", "R-1032", at(10, 8, 20), "Medication error", "HS insulin given 1 hr late. BG 212, no harm.", None),
    ("IR-26-020", "R-1009", at(10, 27, 18, 50), "Fall",
     "Fall in room, head strike R forehead (on Eliquis). Sent to ED, CT neg.", "RR-03"),
    ("IR-26-021", "R-1033", at(11, 6, 13, 30), "Hospital admission",
     "Sent to ED - pneumonia, admitted St. Luke's.", None),
    ("IR-26-022", "R-1034", at(11, 10, 6, 15), "Fall", "Found sitting on floor by bed. Says he slid. No injury.", None),
    ("IR-26-023", "R-1012", at(11, 14, 6, 40), "Fall", "Found on floor by commode. No injury, neuro WNL.", "RR-05"),
    ("IR-26-024", "R-1011", at(11, 20, 10, 5), "Fall",
     "Lost balance turning w/ walker in hall. Bruise L elbow.", "RR-04"),
    ("IR-26-025", "R-1012", at(11, 29, 21, 15), "Fall",
     "Found sitting on floor by recliner. No injury. 2nd fall this month.", "RR-05"),
    ("IR-26-026", "R-1016", at(11, 30, 6, 30), "Hospital admission",
     "Sent to ED - lethargic, fever. Admitted St. Luke's.", None),
    ("IR-26-027", "R-1019", at(12, 1, 19, 40), "Wandering or elopement",
     "Found in parking lot w/ coat + purse, 'waiting for ride'.", "RR-07"),
    ("IR-26-028", "R-1040", at(12, 2, 14, 30), "Behavioral",
     "Yelled + swung at aide at shower time. Shower deferred.", "RR-13"),
    ("IR-26-029", "R-1011", "Dec 3, 2026 10:10 PM", "Fall",
     "Unwitnessed, found by bed. C/o L hip pain, ROM ok. PCP notified.", "RR-04"),
]
STAFF_INITIALS = ("RA", "GH", "KM", "TJ", "DL", "MS", "BW")


# ---------------------------------------------------------------------------
# Check-ins
# ---------------------------------------------------------------------------

WEEKLY_SUMMARIES = (
    "Map reviewed line by line. Svcs confirmed this wk.",
    "Settling in. Sleeping better. No gaps on map.",
    "Weekly review - all domains covered, starts confirmed w/ partners.",
    "Adjusting to routine. Eating ~50%, encourage fluids.",
    "Reviewed map w/ CM. Keep weekly until stable.",
    "Some confusion at night, improving. Map OK.",
)
ROUTINE_SUMMARIES = (
    "Stable. No changes to map.",
    "No concerns. Map reviewed, all svcs in place.",
    "Doing well. Eating 75-100%. No falls.",
    "Stable - family happy w/ care. No changes.",
    "Reviewed map + meds. Nothing new.",
    "No incidents since last review. Continue plan.",
    "Stable. Cycle fill OK. Next review ~3 wks.",
)
# Summaries written by hand for check-ins that matter at the end of the period.
CHECK_IN_SUMMARIES = {
    ("R-1003", on(10, 27)): "Stable. Care conf w/ dtr set for 11/5 - map review then.",
    ("R-1007", on(11, 10)): "Wound stg 2, RN doing dsg. Stable per team - monthly from here.",
    ("R-1012", on(11, 17)): "Fall 11/14 reviewed, controls updated 11/16. Stable otherwise.",
    ("R-1011", on(12, 1)): "Fall 11/20 - risk reviewed 11/23, non-skid socks + gait belt reinforced.",
    ("R-1025", on(11, 24)): "LOC tier 3 since 11/18. 1:1 4-8pm mostly covered.",
    ("R-1025", on(12, 1)): "Sundowning a bit better w/ 1:1. Risk register needs redo after LOC change.",
    ("R-1026", on(12, 1)): "LOC change 11/30 - 2-person assist. Bed here, hoyer?? Risk register not started.",
    ("R-1031", on(11, 17)): "Adm 11/16. Meds sorted w/ PCP. PT referral to go out.",
    ("R-1031", on(11, 24)): "PT referral not sent yet - Rosa to fax. Map missing transport/equip/BH.",
    ("R-1031", on(12, 1)): "PT referral sent 11/25, no answer from StrideWell. Map still not finished.",
    ("R-1033", "11/24/2026"): "Back from St. Luke's 11/20. O2 PRN. HH PT/OT ROC not sched yet - Karen to call.",
    ("R-1029", on(12, 1)): "Refusing PM meds since 11/27 - waiting on PCP decision.",
    ("R-1019", on(11, 24)): "Exit-seeking up at dusk - q30min checks 3-8pm. CM to look at wander guard.",
    ("R-1016", on(11, 24)): "Cognition at baseline. Transit Tue gap still open.",
    ("R-1023", on(12, 1)): "Bathing auth ends 12/15. CM reassessment 12/9.",
}


def check_in_dates() -> list[date]:
    """Return the Tuesdays from FIRST_CHECK_IN to LAST_CHECK_IN."""
    days = []
    day = FIRST_CHECK_IN
    while day <= LAST_CHECK_IN:
        days.append(day)
        day += timedelta(days=7)
    return days


def admitted_date(resident: Resident) -> date:
    """Return the admission date, parsing the one typed as text (M/D/YYYY)."""
    if isinstance(resident.admitted_on, date):
        return resident.admitted_on
    month, day, year = (int(part) for part in resident.admitted_on.split("/"))
    return date(year, month, day)


def is_present(resident: Resident, held_on: date) -> bool:
    """Return whether the resident lived at the facility, and was not in hospital, on a check-in day."""
    if held_on <= admitted_date(resident):
        return False
    if resident.discharged_on is not None and held_on >= resident.discharged_on:
        return False
    return not any(first <= held_on <= last for first, last in resident.away)


def is_under_weekly_review(resident: Resident, held_on: date) -> bool:
    """Return whether a check-in day falls after a transition and before the resident was stable."""
    stable_from = resident.stable_from or date.max
    for start in resident.weekly_from:
        end = stable_from if stable_from > start else date.max
        if start < held_on < end:
            return True
    return False


# Residents left off a check-in that would otherwise have discussed them.
SKIPPED_CHECK_INS = {
    ("R-1003", on(11, 17)),  # waiting for the 11/5 care conference review instead
    ("R-1033", on(12, 1)),   # missed: the weekly review after her hospital return lapsed
}


def build_check_ins(rng: random.Random) -> list[dict]:
    """Lay out the weekly check-ins.

    Residents after an admission or transition are discussed every week until
    stable. Stable residents come up every third week in rotation, so each map
    is reviewed about every three weeks.
    """
    rows = []
    used_summaries = set()
    for index, held_on in enumerate(check_in_dates()):
        for resident in RESIDENTS:
            if not is_present(resident, held_on) or (resident.resident_id, held_on) in SKIPPED_CHECK_INS:
                continue
            weekly = is_under_weekly_review(resident, held_on)
            rotation_group = int(resident.resident_id[-2:]) % 3
            if not weekly and index % 3 != rotation_group:
                continue

            attendees = ["C-015"]
            if resident.case_manager in CONTACT_IDS and resident.consent != "No":
                attendees.append(resident.case_manager)
            for partner in resident.partners:
                if rng.random() < 0.3:
                    attendees.append(partner)
            pool = WEEKLY_SUMMARIES if weekly else ROUTINE_SUMMARIES
            summary = rng.choice(pool)

            held_on_cell: date | str = held_on
            for key in ((resident.resident_id, held_on),
                        (resident.resident_id, f"{held_on.month}/{held_on.day}/{held_on.year}")):
                if key in CHECK_IN_SUMMARIES:
                    summary = CHECK_IN_SUMMARIES[key]
                    held_on_cell = key[1]
                    used_summaries.add(key)
            rows.append({
                "Held on": held_on_cell, "Resident ID": resident.resident_id,
                "Attendees": ", ".join(attendees), "Summary": summary,
            })
    unused = set(CHECK_IN_SUMMARIES) - used_summaries
    if unused:
        raise ValueError("CHECK_IN_SUMMARIES has entries for check-ins that are never held; "
                         f"fix the resident or date: {sorted(map(str, unused))}")
    return rows


def latest_check_in(rows: list[dict], resident_id: str) -> date | None:
    """Return the latest Held on date of the resident's check-in rows."""
    dates = []
    for row in rows:
        if row["Resident ID"] != resident_id:
            continue
        held_on = row["Held on"]
        if isinstance(held_on, str):
            month, day, year = (int(part) for part in held_on.split("/"))
            held_on = date(year, month, day)
        dates.append(held_on)
    return max(dates) if dates else None


def build_map_rows(check_ins: list[dict], rng: random.Random) -> list[dict]:
    """Lay out the Authorization Map: nine core domains for every resident still on the books.

    Discharged residents' rows have been archived off the sheet. Each row's Last
    reviewed on is the resident's map_reviewed_on, else the latest check-in,
    and blank for residents in MAP_NOT_YET_REVIEWED.
    """
    rows = []
    for resident in RESIDENTS:
        if resident.status == "Discharged":
            continue
        if resident.resident_id in MAP_NOT_YET_REVIEWED:
            reviewed_on = None
        else:
            reviewed_on = resident.map_reviewed_on or latest_check_in(check_ins, resident.resident_id)
        changes = MAP_CHANGES.get(resident.resident_id, {})
        missing = MAP_MISSING_DOMAINS.get(resident.resident_id, ())
        for domain in schema.CORE_DOMAINS:
            if domain in missing:
                continue
            row = {"Resident ID": resident.resident_id, "Domain": domain, "Last reviewed on": reviewed_on}
            row.update(MAP_DEFAULTS[domain])
            if domain == "Transport" and domain not in changes and rng.random() < 0.35:
                admitted = admitted_date(resident)
                row.update(partner_row(*TRANSIT, admitted + timedelta(days=3),
                                       admitted + timedelta(days=10), 24, TRANSIT_IF_MISSED))
            if domain == "Equipment" and domain not in changes and rng.random() < 0.4:
                row["Notes"] = rng.choice(("Owns rollator walker.", "Owns cane.", "Owns walker + shower chair."))
            row.update(changes.get(domain, {}))
            rows.append(row)
        if resident.resident_id == DUPLICATE_MAP_ROW[0]:
            rows.append({"Resident ID": resident.resident_id, "Last reviewed on": reviewed_on,
                         **DUPLICATE_MAP_ROW[1]})
    return rows


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)


def write_cell(ws, row: int, column: int, value) -> None:
    """Write one value; real dates and date-times get the workbook's date formats."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT


def write_table(ws, sheet: schema.Sheet, rows: list[dict], header_row: int = 1,
                extra_columns: tuple[tuple[str, int], ...] = ()) -> None:
    """Write the declared header and the rows, with staff-added columns at the right."""
    names = [column.name for column in sheet.columns] + [name for name, _ in extra_columns]
    widths = [column.width for column in sheet.columns] + [width for _, width in extra_columns]
    for index, (name, width) in enumerate(zip(names, widths), start=1):
        ws.cell(row=header_row, column=index, value=name).font = HEADER_FONT
        ws.column_dimensions[get_column_letter(index)].width = width
    for offset, row in enumerate(rows, start=1):
        for index, name in enumerate(names, start=1):
            value = row.get(name)
            if value is not None and value != "":
                write_cell(ws, header_row + offset, index, value)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    last = get_column_letter(len(names))
    ws.auto_filter.ref = f"A{header_row}:{last}{header_row + len(rows)}"


def as_rows(fields: tuple[str, ...], records: list[tuple]) -> list[dict]:
    """Pair each record with the column names, rejecting a record of the wrong length."""
    rows = []
    for record in records:
        if len(record) != len(fields):
            raise ValueError(f"Record {record[0]} has {len(record)} values, expected {len(fields)}: "
                             f"one per column of {fields}")
        rows.append(dict(zip(fields, record)))
    return rows


def resident_rows() -> list[dict]:
    """Return the Residents rows as column-name dicts."""
    return [{
        "Resident ID": r.resident_id, "Name": r.name, "Room": r.room, "Status": r.status,
        "Admitted on": r.admitted_on, "Last transition on": r.last_transition_on,
        "Transition type": r.transition_type, "Stable from": r.stable_from,
        "Case manager": r.case_manager, "Complex risk": r.complex_risk,
        "Consent to share": r.consent, "Share with": r.share_with, "Notes": r.notes,
    } for r in RESIDENTS]


def build_workbook() -> Workbook:
    """Build the whole sample workbook in memory."""
    rng = random.Random(SEED)
    check_ins = build_check_ins(rng)
    map_rows = build_map_rows(check_ins, rng)

    wb = Workbook()
    wb.properties.creator = "Maple Grove AL"
    wb.properties.created = datetime(2026, 6, 1, 9, 0)
    wb.properties.modified = datetime(2026, 12, 4, 8, 0)

    # Residents: staff keep a title and an "updated" line above the header.
    ws = wb.active
    ws.title = schema.RESIDENTS.name
    ws["A1"] = f"{FACILITY_NAME} - Resident Roster"
    ws["A1"].font = TITLE_FONT
    ws["A2"] = "Updated 12/3 GH. Discharged residents stay on roster til year end."
    write_table(ws, schema.RESIDENTS, resident_rows(), header_row=4)

    ws = wb.create_sheet(schema.CONTACTS.name)
    contact_fields = tuple(column.name for column in schema.CONTACTS.columns)
    write_table(ws, schema.CONTACTS, as_rows(contact_fields, CONTACTS))

    ws = wb.create_sheet(schema.AUTHORIZATION_MAP.name)
    write_table(ws, schema.AUTHORIZATION_MAP, map_rows)

    ws = wb.create_sheet(schema.ESCALATIONS.name)
    write_table(ws, schema.ESCALATIONS, as_rows(ESCALATION_FIELDS, ESCALATIONS))

    ws = wb.create_sheet(schema.RISK_REGISTER.name)
    write_table(ws, schema.RISK_REGISTER, as_rows(RISK_FIELDS, RISKS))

    # Incidents: staff added an "Initials" column for the staff member who wrote the report.
    incident_rows = as_rows(INCIDENT_FIELDS, INCIDENTS)
    for row in incident_rows:
        row["Initials"] = rng.choice(STAFF_INITIALS)
    ws = wb.create_sheet(schema.INCIDENTS.name)
    write_table(ws, schema.INCIDENTS, incident_rows, extra_columns=(("Initials", 9),))

    ws = wb.create_sheet(schema.CHECK_INS.name)
    write_table(ws, schema.CHECK_INS, check_ins)

    settings = []
    for setting in schema.SETTING_DECLARATIONS:
        value = FACILITY_NAME if setting.name == "Facility name" else setting.default
        settings.append({"Setting": setting.name, "Value": value})
    ws = wb.create_sheet(schema.SETTINGS.name)
    write_table(ws, schema.SETTINGS, settings)

    standards = [{"Category": category, "Respond within (hours)": hours}
                 for category, hours in schema.DEFAULT_STANDARDS.items()]
    ws = wb.create_sheet(schema.STANDARDS.name)
    write_table(ws, schema.STANDARDS, standards)
    return wb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the sample facility workbook.")
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT,
                        help=f"path of the .xlsx file to write (default: {DEFAULT_OUTPUT.name} beside this script)")
    args = parser.parse_args(argv)
    workbook = build_workbook()
    workbook.save(args.output)
    print(f"Wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
