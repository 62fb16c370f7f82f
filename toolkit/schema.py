"""The facility workbook, declared once.

Reading, checking, ``handoff init`` and the committed workbook template all
follow these declarations, so a sheet, column or choice changes here and
nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from toolkit import sheet_names
from toolkit.sheet_names import header_key  # noqa: F401 - part of the schema's interface

# Column types.
ID = "id"
TEXT = "text"
CHOICE = "choice"
DATE = "date"
DATETIME = "datetime"
YESNO = "yesno"
LIST = "list"
NUMBER = "number"


@dataclass(frozen=True)
class Column:
    """One declared column: its header, type and rules."""

    name: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    ref: str | None = None  # sheet whose IDs this column refers to
    unique: bool = False
    blank_means: str | None = None  # the choice a blank cell stands for
    note: str = ""
    width: int = 16

    @property
    def key(self) -> str:
        return header_key(self.name)


@dataclass(frozen=True)
class Sheet:
    """One declared sheet and its columns, in template order."""

    name: str
    columns: tuple[Column, ...]
    required: bool = False
    purpose: str = ""
    id_column: str | None = None
    columns_by_key: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns_by_key", {c.key: c for c in self.columns})

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return self.columns_by_key[header_key(name)]


CONTACT_ROLES = (
    "LTSS case manager", "Home health", "Primary care", "Behavioral health", "Pharmacy",
    "Therapy", "Equipment", "Transport", "Family", "Facility", "Other",
)
CORE_DOMAINS = (
    "Medication management", "Bathing", "Mobility supervision", "Wound care", "Therapy",
    "Transport", "Equipment", "Meals", "Behavioral support",
)
ROUTES = (
    "Facility", "Family-paid add-on", "Home health", "LTSS authorized service",
    "Other partner", "Not needed",
)
AUTHORIZATION_STATUSES = ("Not required", "Requested", "Pending", "Approved", "Denied", "Expired")
REFERRAL_STATUSES = ("Not needed", "Sent", "Accepted", "Declined")
GAP_STATES = ("None", "Open", "Resolved")
ESCALATION_CATEGORIES = (
    "Falls cluster", "Acute confusion", "Medication harm risk", "Refusal of essential care",
    "Behavioral concern", "Missed service", "Other",
)
OUTCOMES = (
    "Resolved in place", "Service started or changed", "Step-up in care", "ED transfer",
    "Hospital admission", "Other",
)
RISKS = (
    "Falls", "Cognition", "Medication", "Behavioral", "Wandering or elopement",
    "Skin integrity", "Nutrition or hydration", "Other",
)
CADENCES = ("Auto", "Weekly", "Biweekly", "Monthly")
INCIDENT_TYPES = (
    "Fall", "Medication error", "Wandering or elopement", "Behavioral", "Injury", "ED visit",
    "Hospital admission", "Other",
)
RESIDENT_STATUSES = ("Active", "Hospital", "Discharged")
TRANSITION_TYPES = ("Admission", "Hospital return", "Rehab return", "Level-of-care change", "Other")
CONSENT_CHOICES = ("Yes", "Limited", "No")

RESIDENTS = Sheet(
    sheet_names.RESIDENTS,
    required=True,
    id_column="Resident ID",
    purpose="One row per resident.",
    columns=(
        Column("Resident ID", ID, required=True, unique=True, width=13),
        Column("Name", TEXT, required=True, width=24, note="Personal data: never written to logs."),
        Column("Room", TEXT, width=8),
        Column("Status", CHOICE, required=True, choices=RESIDENT_STATUSES, width=12),
        Column("Admitted on", DATE, required=True, width=13),
        Column("Last transition on", DATE, width=14,
               note="Most recent major transition (hospital return, level-of-care change)."),
        Column("Transition type", CHOICE, choices=TRANSITION_TYPES, width=20),
        Column("Stable from", DATE, width=13,
               note="When the team agreed the arrangement is stable."),
        Column("Case manager", ID, ref="Contacts", width=14, note="Contact ID of the LTSS case manager."),
        Column("Complex risk", YESNO, width=10, note="Yes requires rows in the Risk Register."),
        Column("Consent to share", CHOICE, choices=CONSENT_CHOICES, blank_means="No", width=12),
        Column("Share with", LIST, ref="Contacts", width=18,
               note="Contact IDs who may receive details when consent is Limited."),
        Column("Notes", TEXT, width=30),
    ),
)

CONTACTS = Sheet(
    sheet_names.CONTACTS,
    required=True,
    id_column="Contact ID",
    purpose="Everyone the facility works with: case managers, agencies, clinicians, family.",
    columns=(
        Column("Contact ID", ID, required=True, unique=True, width=12),
        Column("Name", TEXT, required=True, width=22),
        Column("Organization", TEXT, required=True, width=26),
        Column("Role", CHOICE, required=True, choices=CONTACT_ROLES, width=18),
        Column("Phone", TEXT, width=15),
        Column("Email", TEXT, width=26),
        Column("Backup contact", ID, ref="Contacts", width=12,
               note="Contact ID to call when this contact does not respond."),
    ),
)

AUTHORIZATION_MAP = Sheet(
    sheet_names.AUTHORIZATION_MAP,
    required=True,
    purpose="One row per resident per support domain: who delivers it, through which route, "
            "and whether it is really in place.",
    columns=(
        Column("Resident ID", ID, required=True, ref="Residents", width=12),
        Column("Domain", CHOICE, required=True, choices=CORE_DOMAINS + ("Other",), width=22),
        Column("Route", CHOICE, required=True, choices=ROUTES, width=22),
        Column("Provider", TEXT, width=24),
        Column("Contact ID", ID, ref="Contacts", width=12, note="Required unless Route is Not needed."),
        Column("Authorization status", CHOICE, choices=AUTHORIZATION_STATUSES, width=14,
               note="Required for Home health and LTSS authorized service."),
        Column("Requested on", DATE, width=13, note="Required when Requested or Pending."),
        Column("Authorized through", DATE, width=13, note="Required when Approved."),
        Column("Referral status", CHOICE, choices=REFERRAL_STATUSES, width=12),
        Column("Referral sent on", DATE, width=13, note="Required when Sent."),
        Column("Start date", DATE, width=12),
        Column("Start confirmed on", DATE, width=13,
               note="When someone verified the service really started."),
        Column("Response standard (hours)", NUMBER, width=12),
        Column("If missed", TEXT, width=30),
        Column("Last reviewed on", DATE, width=13),
        Column("Gap", CHOICE, choices=GAP_STATES, blank_means="None", width=10),
        Column("Gap noted on", DATE, width=13, note="Required when Gap is Open or Resolved."),
        Column("Gap resolved on", DATE, width=13, note="Required when Gap is Resolved."),
        Column("Notes", TEXT, width=30),
    ),
)

ESCALATIONS = Sheet(
    sheet_names.ESCALATIONS,
    id_column="Escalation ID",
    purpose="The closed-loop escalation log: one row per urgent change.",
    columns=(
        Column("Escalation ID", ID, required=True, unique=True, width=12),
        Column("Resident ID", ID, required=True, ref="Residents", width=12),
        Column("Opened at", DATETIME, required=True, width=17),
        Column("Category", CHOICE, required=True, choices=ESCALATION_CATEGORIES, width=20),
        Column("Observed", TEXT, required=True, width=32),
        Column("Action taken", TEXT, width=28),
        Column("Decision needed", TEXT, required=True, width=28),
        Column("Needed by", DATETIME, width=17),
        Column("Contacted", ID, required=True, ref="Contacts", width=12),
        Column("Contacted at", DATETIME, width=17, note="Blank means at Opened at."),
        Column("Responded at", DATETIME, width=17),
        Column("Decision", TEXT, width=28),
        Column("Decided at", DATETIME, width=17),
        Column("Follow-up", TEXT, width=28, note='The confirmation point, e.g. "case manager confirms start date".'),
        Column("Follow-up owner", ID, ref="Contacts", width=12),
        Column("Follow-up due", DATETIME, width=17),
        Column("Follow-up confirmed at", DATETIME, width=17),
        Column("Closed at", DATETIME, width=17),
        Column("Outcome", CHOICE, choices=OUTCOMES, width=22),
    ),
)

RISK_REGISTER = Sheet(
    sheet_names.RISK_REGISTER,
    id_column="Risk ID",
    purpose="Cross-partner risks for residents with complex risk.",
    columns=(
        Column("Risk ID", ID, required=True, unique=True, width=10),
        Column("Resident ID", ID, required=True, ref="Residents", width=12),
        Column("Risk", CHOICE, required=True, choices=RISKS, width=20),
        Column("Description", TEXT, width=28),
        Column("Controls", TEXT, required=True, width=32),
        Column("Warning signs", TEXT, required=True, width=28),
        Column("Next step", TEXT, required=True, width=28),
        Column("Owner", ID, ref="Contacts", width=10),
        Column("Shared with", LIST, ref="Contacts", width=16, note="Must stay within the resident's consent."),
        Column("Opened on", DATE, required=True, width=13),
        Column("Last reviewed on", DATE, width=13),
        Column("Controls changed on", DATE, width=13),
        Column("Cadence", CHOICE, choices=CADENCES, blank_means="Auto", width=11),
        Column("Status", CHOICE, required=True, choices=("Active", "Closed"), width=10),
    ),
)

INCIDENTS = Sheet(
    sheet_names.INCIDENTS,
    id_column="Incident ID",
    purpose="Falls, medication errors and other incidents.",
    columns=(
        Column("Incident ID", ID, required=True, unique=True, width=12),
        Column("Resident ID", ID, required=True, ref="Residents", width=12),
        Column("Occurred at", DATETIME, required=True, width=17),
        Column("Type", CHOICE, required=True, choices=INCIDENT_TYPES, width=20),
        Column("Description", TEXT, width=36),
        Column("Risk ID", ID, ref="Risk Register", width=10),
    ),
)

CHECK_INS = Sheet(
    sheet_names.CHECK_INS,
    purpose="Weekly check-ins held with partners, one row per resident discussed.",
    columns=(
        Column("Held on", DATE, required=True, width=13),
        Column("Resident ID", ID, required=True, ref="Residents", width=12),
        Column("Attendees", LIST, ref="Contacts", width=22),
        Column("Summary", TEXT, width=40),
    ),
)

SETTINGS = Sheet(
    sheet_names.SETTINGS,
    purpose="Facility settings. A blank value takes its default.",
    columns=(Column("Setting", TEXT, required=True, width=44), Column("Value", TEXT, required=True, width=22)),
)

STANDARDS = Sheet(
    sheet_names.STANDARDS,
    purpose="Response-time standards for escalations, in hours, by category.",
    columns=(
        Column("Category", CHOICE, required=True, choices=ESCALATION_CATEGORIES, width=26),
        Column("Respond within (hours)", NUMBER, required=True, width=22),
    ),
)

SHEETS: tuple[Sheet, ...] = (
    RESIDENTS, CONTACTS, AUTHORIZATION_MAP, ESCALATIONS, RISK_REGISTER, INCIDENTS, CHECK_INS,
    SETTINGS, STANDARDS,
)
SHEETS_BY_KEY = {header_key(s.name): s for s in SHEETS}


@dataclass(frozen=True)
class Setting:
    """One row of the Settings sheet: its name, kind and default."""

    name: str
    kind: str  # "text", "timezone", "date_order", "holidays", "days", "hours", "count"
    default: str | int | None
    note: str = ""

    @property
    def key(self) -> str:
        return header_key(self.name)


SETTING_DECLARATIONS: tuple[Setting, ...] = (
    Setting("Facility name", "text", None, "Blank means the workbook's file name."),
    Setting("Time zone", "timezone", "America/New_York", "An IANA time zone name."),
    Setting("Date order", "date_order", "MDY", "MDY or DMY: how to read dates typed as 5/12/2026."),
    Setting("Holidays", "holidays", "US",
            "Country code, optionally with subdivision (US-OH); none = weekends only."),
    Setting("Map due (days)", "days", 7),
    Setting("Map review until stable (days)", "days", 7),
    Setting("Map review once stable (days)", "days", 30),
    Setting("Authorization pending limit (business days)", "days", 5),
    Setting("Referral acceptance limit (business days)", "days", 3),
    Setting("Start confirmation grace (days)", "days", 1),
    Setting("Gap resolution limit (days)", "days", 3),
    Setting("Authorization expiry warning (days)", "days", 14),
    Setting("Risk first period (days)", "days", 30),
    Setting("Risk review in first period (days)", "days", 14),
    Setting("Risk review after first period (days)", "days", 30),
    Setting("Post-incident review (hours)", "hours", 72),
    Setting("Falls cluster (falls)", "count", 2),
    Setting("Falls cluster window (days)", "days", 30),
    Setting("Due soon horizon (days)", "days", 7),
)
SETTINGS_BY_KEY = {s.key: s for s in SETTING_DECLARATIONS}

DEFAULT_STANDARDS: dict[str, float] = {
    "Falls cluster": 24,
    "Acute confusion": 4,
    "Medication harm risk": 4,
    "Refusal of essential care": 24,
    "Behavioral concern": 24,
    "Missed service": 24,
    "Other": 72,
}

PLACEHOLDERS = frozenset({"n/a", "na", "tbd", "unknown", "pending", "-", "?"})


def sheet(name: str) -> Sheet:
    """Return the declared sheet with this name, matched as headers are."""
    return SHEETS_BY_KEY[header_key(name)]
