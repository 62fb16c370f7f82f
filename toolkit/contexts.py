"""Build the data behind each document: plain dicts of already-formatted text.

The templates in ``doc_templates/`` only lay these values out; every decision
about what a document contains (which residents, which rows, what state a
service is in) is made here, where it can be tested without Word.
"""

from __future__ import annotations

import datetime as dt

from toolkit import schema, values
from toolkit.due import DueItem, DueRules, OVERDUE, DUE_SOON, UNSCHEDULED
from toolkit.facility import Facility, Record
from toolkit.page_fit import SHORT_FORMS, fit_one_pager
from toolkit.report import format_moment

INTERNAL_AUDIENCE = "INTERNAL: contains resident details. Do not share outside the care team."

# Escalation notes cover open escalations and those closed this many days
# before the as-of time, so a weekly set also shows how last week's ended.
RECENTLY_CLOSED_DAYS = 7

# Risk summaries list the resident's incidents of this many days before the as-of time.
RISK_INCIDENT_DAYS = 30

ESCALATION_CODES = ("ESC-RESPONSE", "ESC-DECISION", "ESC-FOLLOWUP")
RISK_SUMMARY_CODES = ("RISK-REVIEW", "RISK-AFTER-INCIDENT", "RISK-MISSING", "FALLS-CLUSTER")


def partner_audience(contact: Record) -> str:
    """Return the audience line of a partner's documents: who they were prepared for."""
    name = contact.get("Name") or contact.get("Contact ID")
    organization = contact.get("Organization")
    label = f"{name} ({organization})" if organization else name
    return (f"Prepared for {label}, contact {contact.get('Contact ID')}. Holds only residents whose consent "
            "to share covers this contact; do not pass it on.")


def service_state(record: Record) -> str:
    """Return the map row's service state: Not needed, Gap, Confirmed or Not confirmed."""
    if record.get("Route") == "Not needed":
        return "Not needed"
    if (record.get("Gap") == "Open" or record.get("Authorization status") in ("Denied", "Expired")
            or record.get("Referral status") == "Declined"):
        return "Gap"
    if record.get("Start confirmed on") is not None:
        return "Confirmed"
    return "Not confirmed"


def _date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%b %d, %Y %H:%M")
    return value.strftime("%b %d, %Y")


def _hours(value) -> str:
    return "" if value is None else f"{value:g} h"


def _cell(record: Record, column: str) -> str:
    """Return a date or date-time cell for print; an unreadable one as typed, marked as such."""
    value = record.get(column)
    if value is None:
        if record.has_error(column) and record.text(column):
            return f"{record.text(column)} (cannot be read: see the check report)"
        return ""
    return _date(value)


def _text(record: Record, column: str) -> str:
    value = record.get(column)
    if value is None:
        return record.text(column) if record.has_error(column) else ""
    return str(value)


class ContextBuilder:
    """Builds document contexts for one loaded facility and its due items."""

    def __init__(self, facility: Facility, items: list[DueItem], audience: str = INTERNAL_AUDIENCE,
                 internal: bool = True):
        """Build contexts for ``items``; ``audience`` and ``internal`` head every document."""
        self.facility = facility
        self.items = items
        self.audience = audience
        self.internal = internal
        self.rules = DueRules(facility)
        self.contacts = facility.contacts_by_id
        self.items_by_resident: dict[str, list[DueItem]] = {}
        for item in items:
            self.items_by_resident.setdefault(values.id_key(item.resident_id), []).append(item)

    # Shared pieces ---------------------------------------------------------

    def header(self, audience: str | None = None, internal: bool | None = None) -> dict:
        return {
            "facility": self.facility.settings.facility_name,
            "as_of": format_moment(self.facility.as_of),
            "workbook": self.facility.path.name,
            "audience": self.audience if audience is None else audience,
            "internal": self.internal if internal is None else internal,
        }

    def contact(self, identifier: str | None) -> Record | None:
        return self.contacts.get(values.id_key(identifier)) if identifier else None

    def contact_label(self, identifier: str | None, with_phone: bool = False) -> str:
        """Return "Name (Organization)" for a Contact ID, or the ID when it is unknown."""
        contact = self.contact(identifier)
        if contact is None:
            return identifier or ""
        label = contact.get("Name") or contact.get("Contact ID")
        if contact.get("Organization"):
            label += f" ({contact.get('Organization')})"
        if with_phone and contact.get("Phone"):
            label += f", {contact.get('Phone')}"
        return label

    def contact_name(self, identifier: str | None) -> str:
        """Return a contact's name, or the ID when it is unknown."""
        contact = self.contact(identifier)
        if contact is None:
            return identifier or ""
        return contact.get("Name") or contact.get("Contact ID")

    def short_contact_label(self, identifier: str | None, provider: str | None) -> str:
        """Return a contact's name, followed by the organization unless it is the ``provider``."""
        contact = self.contact(identifier)
        organization = contact.get("Organization") if contact else None
        if not organization or " ".join(organization.split()).casefold() == " ".join((provider or "").split()).casefold():
            return self.contact_name(identifier)
        return f"{self.contact_name(identifier)} ({organization})"

    def item_row(self, item: DueItem) -> dict:
        return {
            "code": item.code,
            "status": item.status,
            "due_at": format_moment(item.due_at) if item.due_at else "not scheduled: date missing",
            "ref": item.ref,
            "owner": self.contact_label(item.owner) if item.owner else "",
            "summary": item.summary,
        }

    def residents_in_scope(self) -> list[Record]:
        """Return residents not discharged and not left out, in workbook order."""
        return [
            resident for resident in self.facility.residents
            if not resident.left_out and resident.get("Resident ID")
            and DueRules.resident_in_scope(resident, allow_hospital=True)
        ]

    def rows_of(self, table_name: str, resident: Record) -> list[Record]:
        key = values.id_key(resident.get("Resident ID"))
        return [
            record for record in self.facility.tables[table_name]
            if not record.left_out and record.get("Resident ID") and values.id_key(record.get("Resident ID")) == key
        ]

    # One-pager -------------------------------------------------------------

    def resident_block(self, resident: Record) -> dict:
        """Return the resident fields shared by the one-pager, escalation note and risk summary."""
        anchor = self.rules.anchor_date(resident)
        transition = resident.get("Transition type") or ("Admission" if anchor == resident.get("Admitted on") else "")
        case_manager = resident.get("Case manager")
        return {
            "resident_id": resident.get("Resident ID"),
            "name": resident.get("Name") or "",
            "room": resident.get("Room") or "",
            "status": resident.get("Status") or "",
            "anchor_date": _date(anchor),
            "transition": transition,
            "case_manager": self.contact_label(case_manager, with_phone=True) if case_manager else "None recorded",
        }

    def one_pager(self, resident: Record) -> dict:
        """Return the one-pager context for one resident, cut to fit one page."""
        domains = []
        map_rows = self.rows_of("Authorization Map", resident)
        order = {domain: position for position, domain in enumerate(schema.CORE_DOMAINS + ("Other",))}
        map_rows.sort(key=lambda record: order.get(record.get("Domain"), len(order)))
        for record in map_rows:
            contact = self.contact(record.get("Contact ID"))
            domains.append({
                "domain": record.get("Domain") or record.text("Domain"),
                "route": record.get("Route") or record.text("Route"),
                "provider": record.get("Provider") or "",
                "contact": self.short_contact_label(record.get("Contact ID"), record.get("Provider")),
                "phone": (contact.get("Phone") or "") if contact else "",
                "state": service_state(record),
                "authorization": self.authorization_text(record),
                "response_standard": _hours(record.get("Response standard (hours)")),
                "if_missed": record.get("If missed") or "",
                SHORT_FORMS: {"contact": self.contact_name(record.get("Contact ID"))},
            })

        mapped = {record.get("Domain") for record in map_rows}
        for domain in schema.CORE_DOMAINS:
            if domain not in mapped:
                domains.append({
                    "domain": domain, "route": "Not mapped", "provider": "", "contact": "", "phone": "",
                    "state": "Missing", "authorization": "", "response_standard": "", "if_missed": "",
                })
        # Core domains first, so that page fitting only ever drops rows of Other.
        domains.sort(key=lambda row: row["domain"] == "Other")

        block = self.resident_block(resident)
        due = []
        for item in self.items_by_resident.get(values.id_key(resident.get("Resident ID")), []):
            row = self.item_row(item)
            # The page is narrow, so the owner is named without the organization.
            row["owner"] = self.contact_name(item.owner) if item.owner else ""
            due.append(row)
        page = fit_one_pager(block, domains, due)
        return {
            **self.header(),
            "resident": block,
            "domains": page.domains,
            "due_items": page.due_items,
            "more_domains": page.more_domains,
            "more_due_items": page.more_due_items,
        }

    @staticmethod
    def authorization_text(record: Record) -> str:
        status = record.get("Authorization status")
        if status is None or status == "Not required":
            return status or ""
        if status == "Approved" and record.get("Authorized through"):
            return f"Approved through {_date(record.get('Authorized through'))}"
        if status in ("Requested", "Pending") and record.get("Requested on"):
            return f"{status} since {_date(record.get('Requested on'))}"
        return status

    # Weekly check-in agenda ------------------------------------------------

    def agenda(self, residents: list[Record] | None = None, audience: str | None = None,
               internal: bool | None = None) -> dict:
        """Return the weekly check-in agenda context for the given residents (default: all in scope)."""
        residents = self.residents_in_scope() if residents is None else residents
        reviews = self.rules.reviews_by_resident()
        keys = {values.id_key(resident.get("Resident ID")) for resident in residents}
        items = [item for item in self.items if values.id_key(item.resident_id) in keys]

        weekly_review = []
        sections = []
        for resident in residents:
            key = values.id_key(resident.get("Resident ID"))
            anchor = self.rules.anchor_date(resident)
            if resident.get("Status") == "Active":
                stable, last_review, next_review = self.rules.review_state(resident, anchor, reviews.get(key, []))
                if not stable:
                    weekly_review.append({
                        "resident_id": resident.get("Resident ID"),
                        "name": resident.get("Name") or "",
                        "room": resident.get("Room") or "",
                        "anchor_date": _date(anchor),
                        "transition": resident.get("Transition type") or "",
                        "last_review": _date(last_review) or "not yet reviewed",
                        "next_review": format_moment(next_review) if next_review else "date missing",
                    })
            section = self.resident_section(resident, reviews.get(key, []))
            if section:
                sections.append(section)

        counts = {
            "overdue": str(sum(1 for item in items if item.status == OVERDUE)),
            "due_soon": str(sum(1 for item in items if item.status == DUE_SOON)),
            "unscheduled": str(sum(1 for item in items if item.status == UNSCHEDULED)),
        }
        actions = [
            {
                "resident_id": item.resident_id,
                "what": item.summary,
                "owner": self.contact_label(item.owner) if item.owner else "Unassigned",
                "due_at": format_moment(item.due_at) if item.due_at else "date missing",
                "status": item.status,
            }
            for item in items
        ]
        return {
            **self.header(audience, internal),
            "counts": counts,
            "weekly_review": weekly_review,
            "residents": sections,
            "actions": actions,
        }

    def resident_section(self, resident: Record, reviews: list[dt.date]) -> dict | None:
        """Return the agenda section of one resident, or None when nothing is open."""
        key = values.id_key(resident.get("Resident ID"))
        map_rows = self.rows_of("Authorization Map", resident)
        unconfirmed, authorizations, referrals, gaps = [], [], [], []
        for record in map_rows:
            domain = record.get("Domain") or record.text("Domain")
            who = record.get("Provider") or self.contact_label(record.get("Contact ID")) or record.get("Route") or ""
            if (record.is_set("Start date") and record.is_blank("Start confirmed on")
                    and record.get("Route") not in (None, "Not needed")):
                unconfirmed.append(f"{domain}: {who}, planned start {record.text('Start date')}, not confirmed")
            if record.get("Authorization status") in ("Requested", "Pending"):
                authorizations.append(f"{domain}: {self.authorization_text(record)}")
            if record.get("Referral status") == "Sent":
                referrals.append(f"{domain}: referral to {who} sent {record.text('Referral sent on')}")
            if record.get("Gap") == "Open":
                note = f" ({record.get('Notes')})" if record.get("Notes") else ""
                gaps.append(f"{domain}: open since {record.text('Gap noted on') or 'date missing'}{note}")

        escalations = []
        for record in self.rows_of("Escalations", resident):
            if record.get("Closed at") is not None or record.has_error("Closed at"):
                continue
            escalations.append(self.escalation_line(record))

        risk_codes = ("RISK-REVIEW", "RISK-AFTER-INCIDENT")
        resident_items = self.items_by_resident.get(key, [])
        risks_due = [f"{item.ref}: {item.summary}" for item in resident_items if item.code in risk_codes]

        counted = [day for day in reviews if day <= self.facility.as_of.date()]
        since = max(counted) if counted else self.rules.anchor_date(resident)
        incidents = []
        for record in self.rows_of("Incidents", resident):
            occurred = self.rules.happened(record, "Occurred at")
            occurred_date = occurred.date() if isinstance(occurred, dt.datetime) else occurred
            if occurred is None or (since is not None and occurred_date < since):
                continue
            description = f": {record.get('Description')}" if record.get("Description") else ""
            incidents.append(f"{record.get('Incident ID') or ''} {record.get('Type') or ''}, "
                             f"{_date(occurred)}{description}")

        lists = {
            "unconfirmed_starts": unconfirmed,
            "pending_authorizations": authorizations,
            "pending_referrals": referrals,
            "open_gaps": gaps,
            "open_escalations": escalations,
            "risks_due": risks_due,
            "incidents_since": incidents,
        }
        if not resident_items and not any(lists.values()):
            return None
        return {
            "resident_id": resident.get("Resident ID"),
            "name": resident.get("Name") or "",
            "room": resident.get("Room") or "",
            "due_items": [self.item_row(item) for item in resident_items],
            **lists,
        }

    def escalation_line(self, record: Record) -> str:
        identifier = record.get("Escalation ID") or f"row {record.row}"
        category = record.get("Category") or "Escalation"
        opened = _date(record.get("Opened at"))
        if record.get("Responded at") is None:
            step = f"awaiting response from {self.contact_label(record.get('Contacted')) or 'the contact'}"
        elif record.get("Decided at") is None:
            needed_by = record.get("Needed by")
            step = "awaiting decision" + (f" by {_date(needed_by)}" if needed_by else "")
        elif record.get("Follow-up confirmed at") is None:
            follow_up = record.get("Follow-up") or "follow-up"
            due = record.get("Follow-up due")
            owner = self.contact_label(record.get("Follow-up owner"))
            step = f"next: {follow_up}"
            if owner:
                step += f" ({owner})"
            if due:
                step += f" by {_date(due)}"
        else:
            step = "follow-up confirmed; ready to close"
        return f"{identifier} {category}, opened {opened}: {step}"

    # Escalation notes ------------------------------------------------------

    def _moment(self, value) -> dt.datetime | None:
        """Return a workbook date or date-time as an aware UTC moment (a date is its start)."""
        moment = self.facility.localize(value)
        return moment.astimezone(dt.timezone.utc) if moment is not None else None

    def escalations_for_notes(self, residents: list[Record]) -> list[Record]:
        """Return the escalations of ``residents`` that get a note, in the order they were opened.

        A note is written for every escalation opened by the as-of time that
        is open, or was closed in the RECENTLY_CLOSED_DAYS before it. One whose
        Closed at cannot be read is included, because it may still be open.
        """
        keys = {values.id_key(resident.get("Resident ID")) for resident in residents}
        as_of = self.facility.as_of.astimezone(dt.timezone.utc)
        window = dt.timedelta(days=RECENTLY_CLOSED_DAYS)
        chosen = []
        for record in self.facility.escalations:
            resident_id = record.get("Resident ID")
            if record.left_out or resident_id is None or record.has_error("Resident ID"):
                continue
            if values.id_key(resident_id) not in keys:
                continue
            opened = self._moment(record.get("Opened at"))
            if opened is not None and opened > as_of:
                continue
            closed = self._moment(record.get("Closed at"))
            if closed is not None and closed <= as_of and as_of - closed > window:
                continue
            chosen.append(record)
        far_future = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
        chosen.sort(key=lambda record: (self._moment(record.get("Opened at")) or far_future, record.row))
        return chosen

    def escalation_note(self, record: Record, resident: Record) -> dict:
        """Return the escalation note context of one escalation of ``resident``."""
        category = record.get("Category")
        standard = self.facility.standards.get(category) if category else None
        if record.is_set("Contacted at"):
            started = self.rules.happened(record, "Contacted at")
            contacted_at = _cell(record, "Contacted at")
        else:
            started = self.rules.happened(record, "Opened at")
            contacted_at = f"{_date(started)} (when opened)" if started else ""
        respond_by = None
        if started is not None and standard is not None:
            respond_by = self._moment(started) + dt.timedelta(hours=standard)
            respond_by = respond_by.astimezone(self.facility.settings.timezone)

        if standard is None:
            response_standard = f"No response standard is set for {category or 'this category'}."
        else:
            response_standard = f"{standard:g} h for {category}"
            if respond_by is not None:
                response_standard += f", so a response was due by {_date(respond_by.replace(tzinfo=None))}"

        responded = record.get("Responded at") is not None
        backup = ""
        if not responded:
            backup = self.backup_label(record.get("Contacted"))

        follow_up_set = record.is_set("Follow-up") or record.is_set("Follow-up due")
        confirmed = _cell(record, "Follow-up confirmed at")
        if not confirmed and follow_up_set:
            confirmed = "Not confirmed yet"

        state, closed = self.escalation_state(record)
        identifier = record.get("Escalation ID") or f"in row {record.row}"
        return {
            **self.header(),
            "resident": self.resident_block(resident),
            "escalation": {
                "escalation_id": identifier,
                "category": category or record.text("Category"),
                "state": state,
                "opened_at": _cell(record, "Opened at"),
                "observed": _text(record, "Observed"),
                "action_taken": _text(record, "Action taken") or "Nothing recorded.",
                "decision_needed": _text(record, "Decision needed"),
                "needed_by": _cell(record, "Needed by") or "No time set.",
                "contacted": self.contact_label(record.get("Contacted"), with_phone=True) or record.text("Contacted"),
                "contacted_at": contacted_at,
                "response_standard": response_standard,
                "response": self.response_text(record, started, standard, respond_by),
                "backup": backup,
                "decision": _text(record, "Decision") or "No decision recorded yet.",
                "decided_at": _cell(record, "Decided at"),
                "follow_up": _text(record, "Follow-up") or "No follow-up recorded.",
                "follow_up_owner": (self.contact_label(record.get("Follow-up owner"), with_phone=True)
                                    or record.text("Follow-up owner")),
                "follow_up_due": _cell(record, "Follow-up due"),
                "follow_up_confirmed_at": confirmed,
                "outcome": _text(record, "Outcome"),
                "next_step": self.next_confirmation_point(record, closed, respond_by),
            },
            "due_items": [
                self.item_row(item) for item in self.items_by_resident.get(values.id_key(resident.get("Resident ID")), [])
                if item.code in ESCALATION_CODES and item.ref == record.get("Escalation ID")
            ],
        }

    def next_confirmation_point(self, record: Record, closed: bool, respond_by: dt.datetime | None) -> str:
        """Return the next confirmation point of an escalation, as a sentence for its note."""
        if closed:
            return "None: the escalation is closed."
        if record.get("Responded at") is None:
            who = self.contact_label(record.get("Contacted")) or "the contact"
            by = f" by {_date(respond_by.replace(tzinfo=None))}" if respond_by is not None else ""
            return f"Response from {who}{by}."
        if record.get("Decided at") is None:
            needed_by = record.get("Needed by")
            return "Decision" + (f" by {_date(needed_by)}." if needed_by else ", with no time set.")
        if record.get("Follow-up confirmed at") is None:
            follow_up = record.get("Follow-up") or "Follow-up not described"
            owner = self.contact_label(record.get("Follow-up owner"))
            due = record.get("Follow-up due")
            return (follow_up.rstrip(".") + (f", confirmed by {owner}" if owner else "")
                    + (f" by {_date(due)}" if due else "") + ".")
        return "None: the follow-up is confirmed, so the escalation can be closed."

    def escalation_state(self, record: Record) -> tuple[str, bool]:
        """Return the state line of an escalation at the as-of time, and whether it was closed."""
        closed = self._moment(record.get("Closed at"))
        if closed is not None and closed <= self.facility.as_of.astimezone(dt.timezone.utc):
            return f"Closed {_date(record.get('Closed at'))}", True
        if record.get("Closed at") is None and record.has_error("Closed at"):
            return f"Closed at {record.text('Closed at')} cannot be read", False
        return "Open", False

    def response_text(self, record: Record, started, standard: float | None,
                      respond_by: dt.datetime | None) -> str:
        """Return whether and how fast the contact responded, against the category's standard."""
        responded = record.get("Responded at")
        if responded is None:
            if record.has_error("Responded at") and record.text("Responded at"):
                return f"Responded at {record.text('Responded at')} cannot be read: see the check report."
            if respond_by is None:
                return "No response recorded yet."
            due = _date(respond_by.replace(tzinfo=None))
            if respond_by.astimezone(dt.timezone.utc) < self.facility.as_of.astimezone(dt.timezone.utc):
                return f"No response recorded: the {standard:g} h standard ran out at {due}."
            return f"No response recorded yet: due by {due}."

        text = f"Responded {_date(responded)}"
        if not (isinstance(responded, dt.datetime) and isinstance(started, dt.datetime)):
            return f"{text}. No time of day was recorded, so the time taken is not known."
        hours = (self._moment(responded) - self._moment(started)).total_seconds() / 3600
        taken = f"{hours:.1f}".removesuffix(".0")
        if standard is None:
            return f"{text}, {taken} h after contact."
        verdict = "within" if hours <= standard else "outside"
        return f"{text}, {taken} h after contact: {verdict} the {standard:g} h standard."

    def backup_label(self, contact_id: str | None) -> str:
        """Return the backup of a contact with phone, for when the contact does not respond."""
        contact = self.contact(contact_id)
        if contact is None or contact.has_error("Backup contact"):
            return ""
        backup = contact.get("Backup contact")
        if backup is None or self.contact(backup) is None:
            return ""
        return self.contact_label(backup, with_phone=True)

    # Risk summaries --------------------------------------------------------

    def active_risks(self, resident: Record) -> list[Record]:
        """Return the resident's risks with Status Active, in workbook order."""
        return [
            record for record in self.rows_of("Risk Register", resident)
            if record.get("Status") == "Active" and not record.has_error("Status")
        ]

    def risk_summary(self, resident: Record, risks: list[Record]) -> dict:
        """Return the risk summary context of ``resident`` listing ``risks``."""
        next_reviews = {
            id(candidate.record): candidate.due_at
            for candidate in self.rules.risk_rules() if candidate.code == "RISK-REVIEW"
        }
        rows = []
        for record in risks:
            reviews = [f"Opened {_cell(record, 'Opened on') or 'date missing'}"]
            reviewed = _cell(record, "Last reviewed on")
            reviews.append(f"last reviewed {reviewed}" if reviewed else "never reviewed")
            if record.is_set("Controls changed on"):
                reviews.append(f"controls changed {_cell(record, 'Controls changed on')}")
            cadence = record.get("Cadence") or "Auto"
            next_review = next_reviews.get(id(record))
            if next_review is not None:
                reviews.append(f"next review due {_date(next_review.date())} (cadence {cadence})")
            rows.append({
                "risk_id": record.get("Risk ID") or f"row {record.row}",
                "risk": record.get("Risk") or record.text("Risk"),
                "description": _text(record, "Description"),
                "controls": _text(record, "Controls"),
                "warning_signs": _text(record, "Warning signs"),
                "next_step": _text(record, "Next step"),
                "owner": self.contact_label(record.get("Owner")) or record.text("Owner"),
                "reviews": "; ".join(reviews) + ".",
            })

        shown_risks = {values.id_key(record.get("Risk ID")) for record in risks if record.get("Risk ID")}
        since = self.facility.as_of.date() - dt.timedelta(days=RISK_INCIDENT_DAYS)
        incidents = []
        for record in self.rows_of("Incidents", resident):
            occurred = self.rules.happened(record, "Occurred at")
            day = occurred.date() if isinstance(occurred, dt.datetime) else occurred
            if occurred is None or day < since:
                continue
            risk_id = record.get("Risk ID")
            incidents.append((self._moment(occurred), record.row, {
                "incident_id": record.get("Incident ID") or f"row {record.row}",
                "occurred_at": _date(occurred),
                "type": record.get("Type") or record.text("Type"),
                "description": _text(record, "Description"),
                "risk_id": risk_id if risk_id and values.id_key(risk_id) in shown_risks else "",
            }))
        incidents.sort(key=lambda entry: entry[:2])

        due = []
        for item in self.items_by_resident.get(values.id_key(resident.get("Resident ID")), []):
            if item.code not in RISK_SUMMARY_CODES:
                continue
            if item.code in ("RISK-REVIEW", "RISK-AFTER-INCIDENT") and values.id_key(item.ref) not in shown_risks:
                continue
            due.append(self.item_row(item))

        return {
            **self.header(),
            "resident": self.resident_block(resident),
            "risks": rows,
            "incident_days": str(RISK_INCIDENT_DAYS),
            "incidents": [entry[2] for entry in incidents],
            "due_items": due,
        }
