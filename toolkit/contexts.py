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
from toolkit.report import format_moment

INTERNAL_AUDIENCE = "INTERNAL: contains resident details. Do not share outside the care team."


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


class ContextBuilder:
    """Builds document contexts for one loaded facility and its due items."""

    def __init__(self, facility: Facility, items: list[DueItem]):
        self.facility = facility
        self.items = items
        self.rules = DueRules(facility)
        self.contacts = facility.contacts_by_id
        self.items_by_resident: dict[str, list[DueItem]] = {}
        for item in items:
            self.items_by_resident.setdefault(values.id_key(item.resident_id), []).append(item)

    # Shared pieces ---------------------------------------------------------

    def header(self, audience: str = INTERNAL_AUDIENCE, internal: bool = True) -> dict:
        return {
            "facility": self.facility.settings.facility_name,
            "as_of": format_moment(self.facility.as_of),
            "workbook": self.facility.path.name,
            "audience": audience,
            "internal": internal,
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

    def one_pager(self, resident: Record) -> dict:
        """Return the one-pager context for one resident."""
        anchor = self.rules.anchor_date(resident)
        transition = resident.get("Transition type") or ("Admission" if anchor == resident.get("Admitted on") else "")
        case_manager = resident.get("Case manager")
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
                "contact": self.contact_label(record.get("Contact ID")),
                "phone": (contact.get("Phone") or "") if contact else "",
                "state": service_state(record),
                "authorization": self.authorization_text(record),
                "response_standard": _hours(record.get("Response standard (hours)")),
                "if_missed": record.get("If missed") or "",
            })
        mapped = {record.get("Domain") for record in map_rows}
        for domain in schema.CORE_DOMAINS:
            if domain not in mapped:
                domains.append({
                    "domain": domain, "route": "Not mapped", "provider": "", "contact": "", "phone": "",
                    "state": "Missing", "authorization": "", "response_standard": "", "if_missed": "",
                })
        return {
            **self.header(),
            "resident": {
                "resident_id": resident.get("Resident ID"),
                "name": resident.get("Name") or "",
                "room": resident.get("Room") or "",
                "status": resident.get("Status") or "",
                "anchor_date": _date(anchor),
                "transition": transition,
                "case_manager": self.contact_label(case_manager, with_phone=True) if case_manager else "None recorded",
            },
            "domains": domains,
            "due_items": [self.item_row(item) for item in self.items_by_resident.get(
                values.id_key(resident.get("Resident ID")), [])],
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

    def agenda(self, residents: list[Record] | None = None, audience: str = INTERNAL_AUDIENCE,
               internal: bool = True) -> dict:
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
            step = f"next: {follow_up}" + (f" ({owner})" if owner else "") + (f" by {_date(due)}" if due else "")
        else:
            step = "follow-up confirmed; ready to close"
        return f"{identifier} {category}, opened {opened}: {step}"
