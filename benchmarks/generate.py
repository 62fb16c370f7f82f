"""Generate synthetic facility workbooks of a given size for benchmarks.

Deterministic: the same size and seed always give the same cell values.
Each resident gets about 46 rows across the sheets (a full authorization map,
six months of escalations, risks, incidents and weekly check-ins), so 1,000
residents make a workbook of about 46,000 rows.

    python benchmarks/generate.py 1000 benchmarks/data/facility-1000.xlsx
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

from toolkit import schema

FIRST_NAMES = ["Ada", "Bernard", "Clara", "Dorothy", "Edwin", "Frances", "George", "Harriet", "Irene",
               "James", "Kathleen", "Louis", "Margaret", "Norman", "Olive", "Patrick", "Ruth", "Stanley",
               "Theresa", "Walter"]
LAST_NAMES = ["Abbott", "Brennan", "Castillo", "Dawson", "Ellis", "Fischer", "Greene", "Hollis", "Iverson",
              "Jensen", "Kowalski", "Lindqvist", "Moreno", "Nakamura", "O'Connell", "Price", "Quinlan",
              "Russo", "Sorensen", "Tran"]
OBSERVED = [
    "Two unwitnessed falls in 10 days, both at night on way to bathroom.",
    "New confusion since this morning, not oriented to place, refused breakfast.",
    "Missed PM doses x2, pharmacy delivery late; BP 168/94.",
    "Refusing showers for 5 days, skin breakdown noted on sacrum.",
    "Agitated with staff during care, exit-seeking after dinner.",
    "Home health PT did not show for scheduled visit; no call.",
]
CONTROLS = [
    "Hourly rounding 10p-6a, bed alarm, walker within reach.",
    "Med pass with 2-person verification; hold sedative if drowsy.",
    "Redirect with music, daughter calls at 4pm, door alarm on unit.",
    "Turn q2h, barrier cream, nutrition shakes BID.",
]
PROVIDERS = {
    "Facility": "Facility staff",
    "Home health": "Sunrise Home Health",
    "LTSS authorized service": "County LTSS program",
    "Family-paid add-on": "Comfort Companions",
    "Other partner": "Valley Mobility Supply",
    "Not needed": "",
}


def _write(sheet, headers, rows):
    sheet.append(list(headers))
    for row in rows:
        sheet.append([row.get(header) for header in headers])


def generate(residents: int, path: Path, seed: int = 7) -> Path:
    """Write a synthetic workbook with ``residents`` residents to ``path``."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    start = dt.date(2026, 6, 1)
    # Every recorded event lies before this day, so a check at 2026-12-04 finds
    # the workbook of a well-run facility rather than thousands of future dates.
    last_day = dt.date(2026, 12, 3)

    def day_after(first: dt.date, within: int) -> dt.date:
        return min(first + dt.timedelta(days=rng.randrange(0, within)), last_day)
    contacts = []
    roles = list(schema.CONTACT_ROLES)
    for index in range(max(20, residents // 10)):
        contacts.append({
            "Contact ID": f"C-{index + 1:04d}",
            "Name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            "Organization": rng.choice(["Area Agency on Aging", "Sunrise Home Health", "Valley Primary Care",
                                        "Main St Pharmacy", "Family"]),
            "Role": roles[index % len(roles)],
            "Phone": f"555-{rng.randrange(10000):04d}",
            "Email": f"contact{index + 1}@example.org",
            "Backup contact": f"C-{(index + 1) % 20 + 1:04d}",
        })
    contact_ids = [c["Contact ID"] for c in contacts]

    tables = {name: [] for name in ("Residents", "Authorization Map", "Escalations", "Risk Register",
                                     "Incidents", "Check-ins")}
    for number in range(1, residents + 1):
        resident_id = f"R-{number:05d}"
        admitted = start + dt.timedelta(days=rng.randrange(0, 120))
        consent = rng.choice(["Yes", "Limited", "No"])
        tables["Residents"].append({
            "Resident ID": resident_id,
            "Name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            "Room": str(100 + number % 400),
            "Status": rng.choices(["Active", "Hospital", "Discharged"], [90, 4, 6])[0],
            "Admitted on": admitted,
            "Last transition on": admitted + dt.timedelta(days=rng.randrange(0, 30)) if rng.random() < 0.3 else None,
            "Transition type": "Hospital return" if rng.random() < 0.3 else "Admission",
            "Stable from": admitted + dt.timedelta(days=21) if rng.random() < 0.6 else None,
            "Case manager": rng.choice(contact_ids),
            "Complex risk": rng.choice(["Yes", "No", "No"]),
            "Consent to share": consent,
            "Share with": ", ".join(rng.sample(contact_ids, 2)) if consent == "Limited" else None,
            "Notes": "Prefers shower in the morning; daughter visits Sundays.",
        })
        for domain in schema.CORE_DOMAINS + ("Other",):
            route = rng.choice(schema.ROUTES)
            status = rng.choice(["Approved", "Pending", "Requested", "Not required"]) \
                if route in ("Home health", "LTSS authorized service") else None
            tables["Authorization Map"].append({
                "Resident ID": resident_id, "Domain": domain, "Route": route,
                "Provider": PROVIDERS[route],
                "Contact ID": rng.choice(contact_ids) if route != "Not needed" else None,
                "Authorization status": status,
                "Requested on": admitted + dt.timedelta(days=2) if status else None,
                "Authorized through": admitted + dt.timedelta(days=180) if status == "Approved" else None,
                "Referral status": "Accepted" if route == "Home health" else None,
                "Start date": admitted + dt.timedelta(days=5),
                "Start confirmed on": admitted + dt.timedelta(days=6) if rng.random() < 0.8 else None,
                "Response standard (hours)": rng.choice([4, 24, 48]),
                "If missed": "Call agency scheduler, then case manager; document in shift log.",
                "Last reviewed on": day_after(admitted + dt.timedelta(days=7), 60),
                "Gap": "None",
                "Notes": "",
            })
        for index in range(8):
            opened = dt.datetime.combine(day_after(admitted, 150), dt.time(rng.randrange(24)))
            closed = rng.random() < 0.85 and opened.date() < last_day - dt.timedelta(days=4)
            tables["Escalations"].append({
                "Escalation ID": f"E-{number:05d}-{index}", "Resident ID": resident_id, "Opened at": opened,
                "Category": rng.choice(schema.ESCALATION_CATEGORIES), "Observed": rng.choice(OBSERVED),
                "Action taken": "Vitals taken, family notified, on-call RN paged.",
                "Decision needed": "Does she need a PT re-eval or a higher level of supervision?",
                "Needed by": opened + dt.timedelta(hours=24), "Contacted": rng.choice(contact_ids),
                "Responded at": opened + dt.timedelta(hours=rng.randrange(1, 30)) if closed else None,
                "Decision": "PT re-eval ordered; continue hourly rounding." if closed else None,
                "Decided at": opened + dt.timedelta(hours=30) if closed else None,
                "Follow-up": "Case manager confirms PT start date",
                "Follow-up owner": rng.choice(contact_ids),
                "Follow-up due": opened + dt.timedelta(days=3),
                "Follow-up confirmed at": opened + dt.timedelta(days=3) if closed else None,
                "Closed at": opened + dt.timedelta(days=4) if closed else None,
                "Outcome": "Service started or changed" if closed else None,
            })
        for index in range(5):
            opened_on = day_after(admitted, 60)
            tables["Risk Register"].append({
                "Risk ID": f"K-{number:05d}-{index}", "Resident ID": resident_id,
                "Risk": rng.choice(schema.RISKS), "Description": "Unsteady gait, poor safety awareness.",
                "Controls": rng.choice(CONTROLS), "Warning signs": "More drowsy, skipping meals, new bruises.",
                "Next step": "Call case manager for reassessment; consider step-up.",
                "Owner": rng.choice(contact_ids), "Shared with": "", "Opened on": opened_on,
                "Last reviewed on": day_after(opened_on, 90),
                "Cadence": rng.choice(schema.CADENCES), "Status": rng.choice(["Active", "Closed"]),
            })
        for index in range(10):
            tables["Incidents"].append({
                "Incident ID": f"I-{number:05d}-{index}", "Resident ID": resident_id,
                "Occurred at": dt.datetime.combine(day_after(admitted, 150),
                                                   dt.time(rng.randrange(24), rng.randrange(60))),
                "Type": rng.choice(schema.INCIDENT_TYPES),
                "Description": "Found on floor beside bed, no injury, vitals stable.",
            })
        for index in range(13):
            tables["Check-ins"].append({
                "Held on": min(admitted + dt.timedelta(days=7 * (index + 1)), last_day), "Resident ID": resident_id,
                "Attendees": ", ".join(rng.sample(contact_ids, 2)),
                "Summary": "Reviewed map; PT continuing 3x/wk; no new concerns.",
            })

    book = Workbook(write_only=True)
    _write(book.create_sheet("Residents"), [c.name for c in schema.RESIDENTS.columns], tables["Residents"])
    _write(book.create_sheet("Contacts"), [c.name for c in schema.CONTACTS.columns], contacts)
    for declared in (schema.AUTHORIZATION_MAP, schema.ESCALATIONS, schema.RISK_REGISTER, schema.INCIDENTS,
                     schema.CHECK_INS):
        _write(book.create_sheet(declared.name), [c.name for c in declared.columns], tables[declared.name])
    # Every setting and standard is filled in, as in a workbook made by `handoff init`,
    # so the run checks the time zone and the holiday calendar like a real one.
    settings = book.create_sheet("Settings")
    settings.append(["Setting", "Value"])
    for declared in schema.SETTING_DECLARATIONS:
        value = f"Synthetic facility ({residents} residents)" if declared.name == "Facility name" else declared.default
        settings.append([declared.name, value])
    standards = book.create_sheet("Standards")
    standards.append([column.name for column in schema.STANDARDS.columns])
    for category, hours in schema.DEFAULT_STANDARDS.items():
        standards.append([category, hours])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("residents", type=int)
    parser.add_argument("path", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    generate(arguments.residents, arguments.path, arguments.seed)


if __name__ == "__main__":
    main()
