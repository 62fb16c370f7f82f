"""Work out what is due: the fourteen due rules over a loaded facility.

Every rule reads the typed rows of ``toolkit.facility`` and yields DueItems.
Time is an input: the as-of moment comes from the facility, never from the
clock. Elapsed-hour rules add real hours (so they cross daylight-saving
changes correctly); day rules land on calendar dates and are due at 23:59:59
local time.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Iterator
from typing import NamedTuple

from toolkit import schema, values
from toolkit.calendar import BusinessCalendar
from toolkit.facility import Facility, Record, collector_paused, worth_sharing
from toolkit.forked import start as start_forked

OVERDUE = "overdue"
DUE_SOON = "due soon"
UNSCHEDULED = "unscheduled"

CODES: dict[str, str] = {
    "MAP-MISSING": "an active resident lacks a map row for one or more core domains",
    "MAP-REVIEW": "the resident's authorization map is due for review",
    "AUTH-PENDING": "an authorization requested or pending past the limit",
    "AUTH-EXPIRY": "an approved authorization running out",
    "REFERRAL-PENDING": "a referral sent but not accepted within the limit",
    "START-UNCONFIRMED": "a service start nobody has confirmed",
    "GAP-OPEN": "an open service gap past the resolution limit",
    "ESC-RESPONSE": "an escalation waiting for the contact's response",
    "ESC-DECISION": "an escalation waiting for its decision",
    "ESC-FOLLOWUP": "an escalation follow-up not yet confirmed",
    "RISK-REVIEW": "a risk due for its cadence review",
    "RISK-AFTER-INCIDENT": "a risk to review after an incident",
    "RISK-MISSING": "a resident with complex risk and no active risk",
    "FALLS-CLUSTER": "a falls cluster with no falls-cluster escalation",
}


class DueItem(NamedTuple):
    """One due item: its rule, resident, workbook row, due time and owner.

    A named tuple rather than a frozen dataclass, because a tuple is built at C
    speed and a large workbook gives tens of thousands of items.
    """

    code: str
    status: str
    resident_id: str
    sheet: str
    row: int
    ref: str
    due_at: dt.datetime | None
    owner: str
    summary: str

    def to_dict(self) -> dict:
        # Built by hand: dataclasses.asdict deep-copies every field, which made
        # writing 76,000 items take longer than working them out.
        return {
            "code": self.code,
            "status": self.status,
            "resident_id": self.resident_id,
            "sheet": self.sheet,
            "row": self.row,
            "ref": self.ref,
            "due_at": self.due_at.isoformat() if self.due_at else "",
            "owner": self.owner,
            "summary": self.summary,
        }


class _Candidate(NamedTuple):
    code: str
    resident: Record
    record: Record
    ref: str
    due_at: dt.datetime | None
    owner: str
    summary: str
    warning_days: int | None = None


# A due time beyond the last date Python can represent, such as the end of
# 12/31/9999 (often typed for an authorization with no end): far past any horizon.
FAR_FUTURE = dt.datetime(9999, 12, 30, tzinfo=dt.timezone.utc)


def _day_due(facility: Facility, day: dt.date | None, days: int = 0) -> dt.datetime | None:
    if day is None:
        return None
    try:
        due = facility.localize(day + dt.timedelta(days=days), end_of_day=True)
        due.astimezone(dt.timezone.utc)
    except OverflowError:
        return FAR_FUTURE
    return due


def _hours_after(moment: dt.datetime | None, hours: float | None) -> dt.datetime | None:
    """Add elapsed hours: computed in UTC so a daylight-saving change counts as it happened."""
    if moment is None or hours is None:
        return None
    zone = moment.tzinfo
    try:
        return (moment.astimezone(dt.timezone.utc) + dt.timedelta(hours=hours)).astimezone(zone)
    except OverflowError:
        return FAR_FUTURE


class DueRules:
    """Apply the due rules to one facility."""

    def __init__(self, facility: Facility):
        self.facility = facility
        self.settings = facility.settings
        self.as_of = facility.as_of
        self.calendar = BusinessCalendar(facility.settings.holidays)
        self.residents = facility.residents_by_id
        self.contacts = facility.contacts_by_id
        # Residents whose rows the rules look at, by ID key: active ones, and active
        # or in hospital. Worked out once rather than for each of thousands of rows.
        self.active = {key: resident for key, resident in self.residents.items()
                       if self.resident_in_scope(resident)}
        self.active_or_hospital = {key: resident for key, resident in self.residents.items()
                                   if self.resident_in_scope(resident, allow_hospital=True)}
        self._owners: dict[str, str] = {}
        self._scoped_active: dict[str, Record | None] = {}
        self._scoped_hospital: dict[str, Record | None] = {}
        self._backups: dict[str, str] = {}
        self._incident_moments: list[tuple[dt.datetime, Record]] | None = None
        self._day_dues: dict[tuple[dt.date, int], dt.datetime | None] = {}
        # Each ID as typed, with its matching form (values.id_key), and each date with its
        # text in summaries: they repeat from row to row, and strftime costs more than a lookup.
        self._keys: dict[str, str] = {}
        self._dates_shown: dict[tuple[dt.date, str], str] = {}
        self._resident_ranks: dict[str, int] | None = None

    def setting(self, name: str) -> int | float:
        return self.settings.number(name)

    # Who the rules look at -------------------------------------------------

    def resident_of(self, record: Record, allow_hospital: bool = False) -> Record | None:
        """Return the row's resident when its rules apply, or None to leave the row out."""
        if record.left_out or record.has_error("Resident ID"):
            return None
        identifier = record.get("Resident ID")
        if identifier is None:
            return None
        # Resident IDs repeat on every sheet, so each one as typed is matched once.
        scoped = self._scoped_hospital if allow_hospital else self._scoped_active
        if identifier not in scoped:
            in_scope = self.active_or_hospital if allow_hospital else self.active
            scoped[identifier] = in_scope.get(self.key(identifier))
        return scoped[identifier]

    @staticmethod
    def resident_in_scope(resident: Record, allow_hospital: bool = False) -> bool:
        if resident.left_out or resident.has_error("Status"):
            return False
        status = resident.get("Status")
        return status == "Active" or (allow_hospital and status == "Hospital")

    def owner(self, record: Record, column: str) -> str:
        """Return the owner's Contact ID as the Contacts sheet spells it, or "" when unknown."""
        identifier = record.get(column)
        if identifier is None or record.has_error(column):
            return ""
        owner = self._owners.get(identifier)
        if owner is None:
            contact = self.contacts.get(values.id_key(identifier))
            owner = self._owners[identifier] = contact.get("Contact ID") if contact else ""
        return owner

    def key(self, identifier: str) -> str:
        """Return an ID's matching form (``values.id_key``), kept per ID as typed."""
        key = self._keys.get(identifier)
        if key is None:
            key = self._keys[identifier] = values.id_key(identifier)
        return key

    def date_text(self, day: dt.date, pattern: str) -> str:
        """Return ``format(day, pattern)``, kept per date and pattern."""
        text = self._dates_shown.get((day, pattern))
        if text is None:
            text = self._dates_shown[day, pattern] = format(day, pattern)
        return text

    def day_due(self, day: dt.date | None, days: int = 0) -> dt.datetime | None:
        """Return the end of the day ``days`` calendar days after ``day``, kept per date and count."""
        key = (day, days)
        if key not in self._day_dues:
            self._day_dues[key] = _day_due(self.facility, day, days)
        return self._day_dues[key]

    def resident_id(self, resident: Record) -> str:
        return resident.get("Resident ID")

    def anchor_date(self, resident: Record) -> dt.date | None:
        admitted, transition = resident.get("Admitted on"), resident.get("Last transition on")
        if admitted is None:
            return transition
        if transition is None:
            return admitted
        return max(admitted, transition)

    def happened(self, record: Record, column: str):
        """Return a past moment usable by the rules: None when blank, unreadable or in the future."""
        return None if column in record.errors else record.get(column)

    # The rules ---------------------------------------------------------------

    def candidates(self) -> Iterator[_Candidate]:
        for rule in RULE_ORDER:
            yield from getattr(self, rule)()

    def resident_rules(self) -> Iterator[_Candidate]:
        map_due = int(self.setting("Map due (days)"))
        key = self.key
        domains_by_resident: dict[str, set[str]] = {}
        for record in self.facility.authorization_map:
            identifier, domain = record.get("Resident ID"), record.get("Domain")
            if identifier is not None and domain is not None:
                domains_by_resident.setdefault(key(identifier), set()).add(domain)
        reviews_by_resident = self.reviews_by_resident()

        risky_residents = {
            key(risk.get("Resident ID"))
            for risk in self.facility.risk_register
            if risk.get("Resident ID") and risk.get("Status") == "Active" and not risk.left_out
        }

        for resident in self.facility.residents:
            if not self.resident_in_scope(resident):
                continue
            identifier = self.resident_id(resident)
            if identifier is None:
                continue
            resident_key = key(identifier)
            anchor = self.anchor_date(resident)
            case_manager = self.owner(resident, "Case manager")

            missing = [d for d in schema.CORE_DOMAINS if d not in domains_by_resident.get(resident_key, ())]
            if missing:
                yield _Candidate(
                    "MAP-MISSING", resident, resident, "", self.day_due(anchor, map_due),
                    case_manager, f"No map row for: {', '.join(missing)}.",
                )

            yield self.map_review(resident, anchor, reviews_by_resident.get(resident_key, []), case_manager)

            if resident.get("Complex risk") is True and resident_key not in risky_residents:
                yield _Candidate(
                    "RISK-MISSING", resident, resident, "", self.day_due(anchor, map_due),
                    case_manager, "Complex risk is Yes but the Risk Register has no active risk.",
                )

    def review_state(self, resident: Record, anchor, reviews: list[dt.date]):
        """Return (stable, last review or None, next review due) for a resident's map.

        Only reviews dated on or after the anchor date count, so a transition
        starts the weekly cycle again.
        """
        as_of_date = self.as_of.date()
        stable_from = resident.get("Stable from")
        stable = stable_from is not None and anchor is not None and anchor <= stable_from <= as_of_date
        period = int(self.setting(
            "Map review once stable (days)" if stable else "Map review until stable (days)"
        ))
        if anchor is None:
            return stable, None, None
        counted = [day for day in reviews if day >= anchor]
        last_review = max(counted) if counted else None
        return stable, last_review, self.day_due(last_review or anchor, period)

    def map_review(self, resident: Record, anchor, reviews: list[dt.date], case_manager: str) -> _Candidate:
        stable, last_review, due_at = self.review_state(resident, anchor, reviews)
        if anchor is None:
            basis = "no admission or transition date"
        elif last_review is not None:
            basis = f"last reviewed {self.date_text(last_review, '%b %d, %Y')}"
        else:
            basis = f"no review since {self.date_text(anchor, '%b %d, %Y')}"
        cycle = "monthly review (stable)" if stable else "weekly review until stable"
        return _Candidate("MAP-REVIEW", resident, resident, "", due_at, case_manager,
                          f"Map review, {cycle}; {basis}.")

    def reviews_by_resident(self) -> dict[str, list[dt.date]]:
        """Return the usable map review and check-in dates of each resident, by ID key."""
        reviews: dict[str, list[dt.date]] = {}
        key = self.key
        # happened() written out: these loops visit every map and check-in row.
        for record in self.facility.authorization_map:
            identifier = record.get("Resident ID")
            reviewed = record.get("Last reviewed on")
            if (identifier is not None and not record.left_out and reviewed is not None
                    and "Last reviewed on" not in record.errors):
                reviews.setdefault(key(identifier), []).append(reviewed)
        for record in self.facility.check_ins:
            identifier = record.get("Resident ID")
            held = record.get("Held on")
            if identifier is not None and held is not None and "Held on" not in record.errors:
                reviews.setdefault(key(identifier), []).append(held)
        return reviews

    def map_rules(self) -> Iterator[_Candidate]:
        pending_limit = int(self.setting("Authorization pending limit (business days)"))
        acceptance_limit = int(self.setting("Referral acceptance limit (business days)"))
        grace = int(self.setting("Start confirmation grace (days)"))
        gap_limit = int(self.setting("Gap resolution limit (days)"))
        warning = int(self.setting("Authorization expiry warning (days)"))
        resident_of, owner_of, day_due, date_text = self.resident_of, self.owner, self.day_due, self.date_text

        # has_error(), happened() and is_blank() are written out as their expressions:
        # this loop visits every map row, and a method call costs more than its body.
        for record in self.facility.authorization_map:
            resident = resident_of(record)
            errors = record.errors
            if resident is None or "Domain" in errors:
                continue
            domain = record.get("Domain") or ""
            owner = owner_of(record, "Contact ID")
            provider = record.get("Provider") or record.get("Route") or ""

            authorization = record.get("Authorization status")
            if authorization in ("Requested", "Pending") and "Authorization status" not in errors:
                requested = None if "Requested on" in errors else record.get("Requested on")
                due_day = None if requested is None else self.calendar.add_business_days(requested, pending_limit)
                when = f"requested {date_text(requested, '%b %d')}" if requested else "no Requested on date"
                yield _Candidate("AUTH-PENDING", resident, record, domain, day_due(due_day),
                                 owner, f"{domain} authorization {authorization.lower()} ({when}); "
                                        f"limit {pending_limit} business days.")

            if authorization == "Approved" and "Authorization status" not in errors:
                through = None if "Authorized through" in errors else record.get("Authorized through")
                yield _Candidate("AUTH-EXPIRY", resident, record, domain, day_due(through),
                                 owner, f"{domain} authorization ({provider}) runs through "
                                        f"{date_text(through, '%b %d, %Y')}." if through else
                                        f"{domain} authorization approved with no Authorized through date.",
                                 warning_days=warning)

            if record.get("Referral status") == "Sent" and "Referral status" not in errors:
                sent = None if "Referral sent on" in errors else record.get("Referral sent on")
                due_day = None if sent is None else self.calendar.add_business_days(sent, acceptance_limit)
                when = f"sent {date_text(sent, '%b %d')}" if sent else "no Referral sent on date"
                yield _Candidate("REFERRAL-PENDING", resident, record, domain, day_due(due_day),
                                 owner, f"{domain} referral to {provider} not accepted ({when}).")

            route = record.get("Route")
            if (route is not None and (record.get("Start date") is not None or "Start date" in errors)
                    and record.get("Start confirmed on") is None and "Start confirmed on" not in errors
                    and route != "Not needed" and "Route" not in errors):
                start_text = record.text("Start date")
                start = None if "Start date" in errors else record.get("Start date")
                yield _Candidate("START-UNCONFIRMED", resident, record, domain,
                                 day_due(start, grace), owner,
                                 f"{domain} start ({provider}) planned {start_text} not confirmed.")

            if record.get("Gap") == "Open" and "Gap" not in errors:
                noted = None if "Gap noted on" in errors else record.get("Gap noted on")
                since = f" since {date_text(noted, '%b %d')}." if noted else " (no Gap noted on date)."
                yield _Candidate("GAP-OPEN", resident, record, domain, day_due(noted, gap_limit),
                                 owner, f"Open gap in {domain}{since}")

    def escalation_rules(self) -> Iterator[_Candidate]:
        resident_of, owner_of, localize = self.resident_of, self.owner, self.facility.localize
        standards = self.facility.standards
        # has_error(), happened(), is_set() and is_blank() are written out as their expressions:
        # this loop visits every escalation, and a method call costs more than its body.
        for record in self.facility.escalations:
            resident = resident_of(record, allow_hospital=True)
            errors = record.errors
            if resident is None or "Closed at" in errors or record.get("Closed at") is not None:
                continue
            identifier = record.get("Escalation ID") or ""
            if not identifier or "Escalation ID" in errors:
                continue
            category = record.get("Category")
            contacted = owner_of(record, "Contacted")

            if record.get("Responded at") is None and "Responded at" not in errors:
                # The start of contact: Contacted at when it is set, else Opened at.
                if record.get("Contacted at") is not None or "Contacted at" in errors:
                    start = localize(None if "Contacted at" in errors else record.get("Contacted at"))
                else:
                    start = localize(None if "Opened at" in errors else record.get("Opened at"))
                hours = standards.get(category) if category else None
                due_at = _hours_after(start, hours) if start is not None else None
                summary = f"{category or 'Escalation'}: no response from {contacted or 'the contact'}"
                if hours is not None:
                    summary += f" (standard {hours:g} h)"
                backup = self._backup(contacted)
                summary += f"; next to call: {backup}." if backup else "."
                yield _Candidate("ESC-RESPONSE", resident, record, identifier, due_at, contacted, summary)

            if ((record.get("Needed by") is not None or "Needed by" in errors)
                    and record.get("Decided at") is None and "Decided at" not in errors):
                needed_by = None if "Needed by" in errors else record.get("Needed by")
                yield _Candidate("ESC-DECISION", resident, record, identifier,
                                 self._due_moment(needed_by), contacted,
                                 f"Decision needed: {record.get('Decision needed') or '(not stated)'}")

            if ((record.get("Follow-up due") is not None or "Follow-up due" in errors)
                    and record.get("Follow-up confirmed at") is None and "Follow-up confirmed at" not in errors):
                follow_up_due = None if "Follow-up due" in errors else record.get("Follow-up due")
                yield _Candidate("ESC-FOLLOWUP", resident, record, identifier,
                                 self._due_moment(follow_up_due), owner_of(record, "Follow-up owner"),
                                 f"Confirm: {record.get('Follow-up') or '(follow-up not described)'}")

    def _due_moment(self, value) -> dt.datetime | None:
        moment = self.facility.localize(value, end_of_day=True)
        # Only a moment in the first or last year Python can represent can lie outside UTC's range.
        if moment is not None and (moment.year >= dt.MAXYEAR or moment.year <= dt.MINYEAR):
            try:
                moment.astimezone(dt.timezone.utc)
            except OverflowError:  # the end of 12/31/9999 lies past the last UTC moment
                return FAR_FUTURE
        return moment

    def _backup(self, contact_id: str) -> str:
        backup = self._backups.get(contact_id)
        if backup is None:
            backup = self._backups[contact_id] = self._find_backup(contact_id)
        return backup

    def _find_backup(self, contact_id: str) -> str:
        contact = self.contacts.get(values.id_key(contact_id)) if contact_id else None
        if contact is None:
            return ""
        backup = contact.get("Backup contact")
        if backup is None or contact.has_error("Backup contact"):
            return ""
        backup_contact = self.contacts.get(values.id_key(backup))
        if backup_contact is None:
            return ""
        name = backup_contact.get("Name") or ""
        return f"{backup_contact.get('Contact ID')} ({name})" if name else backup_contact.get("Contact ID")

    def incident_moments(self) -> list[tuple[dt.datetime, Record]]:
        """Return each incident the rules count, with the wall-clock time it occurred.

        The times are naive (a date alone is its start), so they order as the
        aware ones would, and only those a rule uses are given the facility's zone.
        """
        if self._incident_moments is None:
            self._incident_moments = []
            midnight = dt.time(0)
            for incident in self.facility.incidents:
                occurred = incident.get("Occurred at")  # happened(), written out for every incident
                if occurred is not None and not incident.left_out and "Occurred at" not in incident.errors:
                    if type(occurred) is dt.date:
                        occurred = dt.datetime.combine(occurred, midnight)
                    self._incident_moments.append((occurred, incident))
        return self._incident_moments

    def risk_rules(self) -> Iterator[_Candidate]:
        first_period = int(self.setting("Risk first period (days)"))
        first_review = int(self.setting("Risk review in first period (days)"))
        later_review = int(self.setting("Risk review after first period (days)"))
        incident_hours = self.setting("Post-incident review (hours)")
        cadence_days = {"Weekly": 7, "Biweekly": 14, "Monthly": 30}
        key, resident_of, owner_of, day_due, date_text = (self.key, self.resident_of, self.owner, self.day_due,
                                                          self.date_text)

        incidents_by_resident: dict[str, list[tuple[dt.datetime, Record]]] = {}
        for moment, incident in self.incident_moments():
            identifier = incident.get("Resident ID")
            if identifier is not None:
                incidents_by_resident.setdefault(key(identifier), []).append((moment, incident))
        # The latest incident after a risk's last review is the resident's latest
        # incident, when that one falls after the review (first of equal times).
        latest_incident = {
            resident_key: max(pairs, key=lambda pair: pair[0]) for resident_key, pairs in incidents_by_resident.items()
        }

        # has_error() and happened() are written out as their expressions: this loop
        # visits every risk, and a method call costs more than its body.
        for record in self.facility.risk_register:
            errors = record.errors
            if "Status" in errors or record.get("Status") != "Active":
                continue
            resident = resident_of(record)
            if resident is None:
                continue
            identifier = record.get("Risk ID") or ""
            if not identifier or "Risk ID" in errors:
                continue
            owner = owner_of(record, "Owner")
            risk_name = record.get("Risk") or "Risk"
            opened = None if "Opened on" in errors else record.get("Opened on")
            reviewed = None if "Last reviewed on" in errors else record.get("Last reviewed on")
            base = reviewed or opened

            if base is None or "Cadence" in errors:
                due_at = None
            else:
                cadence = record.get("Cadence") or "Auto"
                if cadence == "Auto":
                    in_first_period = opened is not None and (base - opened).days < first_period
                    days = first_review if in_first_period else later_review
                else:
                    days = cadence_days[cadence]
                due_at = day_due(base, days)
            basis = f"last reviewed {date_text(reviewed, '%b %d')}" if reviewed else (
                f"opened {date_text(opened, '%b %d')}, never reviewed" if opened else "no Opened on date")
            yield _Candidate("RISK-REVIEW", resident, record, identifier, due_at, owner,
                             f"{risk_name} risk review ({basis}).")

            covered_until = reviewed or opened
            if covered_until is None:
                continue
            latest = latest_incident.get(key(resident.get("Resident ID")))
            if latest is not None and latest[0].date() > covered_until:
                moment, incident = self.facility.localize(latest[0]), latest[1]
                incident_id = incident.get("Incident ID") or f"row {incident.row}"
                incident_type = incident.get("Type") or "incident"
                yield _Candidate(
                    "RISK-AFTER-INCIDENT", resident, record, identifier,
                    _hours_after(moment, incident_hours), owner,
                    f"Review {risk_name.lower()} risk after incident {incident_id} "
                    f"({incident_type.lower()}, {moment:%b %d %H:%M}).",
                )

    def falls_cluster_rule(self) -> Iterator[_Candidate]:
        threshold = int(self.setting("Falls cluster (falls)"))
        window = dt.timedelta(days=self.setting("Falls cluster window (days)"))
        hours = self.facility.standards.get("Falls cluster")

        falls_by_resident: dict[str, list[tuple[dt.datetime, Record]]] = {}
        for occurred, incident in self.incident_moments():
            if incident.get("Type") != "Fall":
                continue
            resident = self.resident_of(incident)
            if resident is not None:
                falls_by_resident.setdefault(self.key(resident.get("Resident ID")), []).append(
                    (self.facility.localize(occurred), incident)
                )

        escalations_by_resident: dict[str, list[dt.datetime]] = {}
        for escalation in self.facility.escalations:
            if escalation.get("Category") != "Falls cluster":
                continue
            opened = self.happened(escalation, "Opened at")
            identifier = escalation.get("Resident ID")
            if opened is not None and identifier:
                escalations_by_resident.setdefault(self.key(identifier), []).append(
                    self.facility.localize(opened)
                )

        utc, zero = dt.timezone.utc, dt.timedelta(0)
        for resident_key, falls in falls_by_resident.items():
            falls.sort(key=lambda pair: pair[0])
            # Python subtracts aware date-times that share a zone by their wall-clock readings,
            # an hour off across a daylight-saving change, so elapsed time is measured in UTC.
            in_utc = [moment.astimezone(utc) for moment, _ in falls]
            latest = None
            for (moment, incident), moment_utc in zip(falls, in_utc):
                in_window = [m for (m, _), m_utc in zip(falls, in_utc) if zero <= moment_utc - m_utc <= window]
                if len(in_window) >= threshold:
                    latest = (moment, incident, in_window[0], len(in_window))
            if latest is None:
                continue
            moment, incident, earliest, count = latest
            if any(opened >= earliest for opened in escalations_by_resident.get(resident_key, [])):
                continue
            resident = self.residents[resident_key]
            yield _Candidate(
                "FALLS-CLUSTER", resident, incident, incident.get("Incident ID") or "",
                _hours_after(moment, hours), self.owner(resident, "Case manager"),
                f"{count} falls since {earliest:%b %d}; no Falls cluster escalation opened.",
            )

    # Status ------------------------------------------------------------------

    def items(self, horizon_days: int) -> list[DueItem]:
        """Return the due items within the horizon, sorted."""
        found = self._found(horizon_days, json_lines=False)
        items = list(itertools.chain.from_iterable(found[rule][0] for rule in RULE_ORDER))
        keys = list(itertools.chain.from_iterable(found[rule][1] for rule in RULE_ORDER))
        return _in_key_order(items, keys)

    def json_lines(self, horizon_days: int) -> list[str]:
        """Return the line of the JSON report (see report.item_json_lines) of each due item, sorted as ``items``."""
        found = self._found(horizon_days, json_lines=True)
        lines = []
        keys = []
        for rule in RULE_ORDER:
            rule_items, rule_keys, rule_lines = found[rule]
            lines.extend(_json_lines(rule_items) if rule_lines is None else rule_lines)
            keys.extend(rule_keys)
        return _in_key_order(lines, keys)

    def _found(self, horizon_days: int, json_lines: bool) -> dict[str, tuple[list[DueItem] | None, list[int],
                                                                            list[str] | None]]:
        """Return each rule's items within the horizon, unsorted, their sort keys, and with ``json_lines`` their lines.

        For a large workbook, a forked process works out the rules of
        FORKED_RULES while this one works out the others (see toolkit.forked).
        With ``json_lines`` it sends its items' lines of the JSON report and
        their sort keys only (the items are then None), and this process
        writes the lines of its own items. Each item comes with its sort key
        (see ``rule_items``), and callers join the rules in RULE_ORDER before
        one stable sort, so the result is the same either way.
        """
        forked, self.facility.forked = self.facility.forked, None
        if forked is None and worth_sharing(self.facility):
            forked = start_forked(lambda: [forked_rules(self.facility, horizon_days, json_lines)])
        found: dict[str, tuple[list[DueItem] | None, list[int], list[str] | None]] = {}
        try:
            for rule in RULE_ORDER:
                if forked is None or rule not in FORKED_RULES:
                    items, keys = self.rule_items(rule, horizon_days)
                    found[rule] = items, keys, _json_lines(items) if json_lines else None
            if forked is not None:
                horizon, sent = forked.take()
                # Sent for this horizon, and with JSON lines exactly when they were requested (see forked_rules).
                if horizon == horizon_days and all((lines is not None) == json_lines for _, _, lines in sent.values()):
                    found.update((rule, (None if items is None else list(map(DueItem._make, items)), keys, lines))
                                 for rule, (items, keys, lines) in sent.items())
        except EOFError:  # the forked process stopped early
            pass
        finally:
            if forked is not None:
                forked.close()
        for rule in RULE_ORDER:
            if rule not in found:  # the forked process stopped early
                items, keys = self.rule_items(rule, horizon_days)
                found[rule] = items, keys, None
        return found

    def resident_ranks(self) -> dict[str, int]:
        """Return the place of each resident ID in natural order; IDs equal in that order share a place."""
        if self._resident_ranks is None:
            ids = {record.get("Resident ID") for record in self.facility.residents}
            ids.discard(None)
            self._resident_ranks = _natural_ranks(ids)
        return self._resident_ranks

    def rule_items(self, rule: str, horizon_days: int) -> tuple[list[DueItem], list[int]]:
        """Return the due items of one rule within the horizon, unsorted, and the sort key of each.

        The key is one integer that orders items as ``sort_items`` does (see
        ``_sort_key``). It is worked out here, where the item's status and
        distance from the as-of moment are known, so sorting costs little.
        """
        horizon = _microseconds(dt.timedelta(days=horizon_days))
        utc = dt.timezone.utc
        # In UTC, so a local due moment minus it counts both offsets: two date-times that share
        # a tzinfo subtract as wall-clock readings, an hour off across a daylight-saving change.
        as_of = self.as_of.astimezone(utc)
        ranks = self.resident_ranks()
        found = []
        keys = []
        keep = found.append
        keep_key = keys.append
        new_tuple = tuple.__new__
        status_ranks, code_ranks = _STATUS_RANK, _CODE_RANK
        # Many candidates share a due moment (the end of a day), so each is converted once. Moments
        # in a zone's repeated hour compare equal with either fold, so the fold is part of the key.
        ahead_of: dict[tuple[dt.datetime, int], int] = {}
        reach_of: dict[int | None, int] = {None: horizon}
        for code, resident, record, ref, due_at, owner, summary, warning_days in getattr(self, rule)():
            if due_at is None:
                status = UNSCHEDULED
                ahead = 0
            else:
                due_key = (due_at, due_at.fold)
                ahead = ahead_of.get(due_key)
                if ahead is None:
                    ahead = ahead_of[due_key] = _microseconds(due_at - as_of)
                if ahead < 0:
                    status = OVERDUE
                else:
                    reach = reach_of.get(warning_days)
                    if reach is None:
                        reach = reach_of[warning_days] = max(horizon, _microseconds(dt.timedelta(days=warning_days)))
                    if ahead > reach:
                        continue
                    status = DUE_SOON
            resident_id = resident.get("Resident ID")
            row = record.row
            # Made with tuple.__new__, and the key packed as _sort_key packs it: the named tuple's own
            # constructor and the call to _sort_key each took about 0.3 microseconds an item (measured).
            keep(new_tuple(DueItem, (code, status, resident_id, record.table.name, row, ref, due_at, owner, summary)))
            keep_key((((((status_ranks[status] << _AHEAD_BITS) | (ahead + _AHEAD_OFFSET)) << _RESIDENT_BITS)
                       | ranks[resident_id]) << _CODE_BITS | code_ranks[code]) << _ROW_BITS | row)
        return found, keys


def _microseconds(span: dt.timedelta) -> int:
    return span // _MICROSECOND


_MICROSECOND = dt.timedelta(microseconds=1)


def _in_key_order(values: list, keys: list[int]) -> list:
    """Return ``values`` sorted by their sort keys (``keys[i]`` is that of ``values[i]``), equal keys in order."""
    return list(map(values.__getitem__, sorted(range(len(keys)), key=keys.__getitem__)))


def _json_lines(items: list[DueItem]) -> list[str]:
    from toolkit.report import item_json_lines

    return list(item_json_lines(items))


def forked_rules(facility: Facility, horizon_days: int | None, json_lines: bool = False
                 ) -> tuple[int, dict[str, tuple[list[tuple] | None, list[int], list[str] | None]]]:
    """Work out the rules of FORKED_RULES, in a forked process: return the horizon and each rule's findings.

    ``horizon_days`` None means the Due soon horizon setting. A rule's
    findings are its items as plain tuples, which pickle in less than half the
    time of named tuples, and their sort keys. With ``json_lines`` they are
    the items' lines of the JSON report instead of the items, and the keys:
    a JSON report needs nothing else, and lines cost less to send.
    """
    if horizon_days is None:
        horizon_days = int(facility.settings.number("Due soon horizon (days)"))
    rules = DueRules(facility)
    found = {}
    for rule in FORKED_RULES:
        items, keys = rules.rule_items(rule, horizon_days)
        if json_lines:
            found[rule] = None, keys, _json_lines(items)
        else:
            found[rule] = list(map(tuple, items)), keys, None
    return horizon_days, found


# The rule methods of DueRules, in the order their items are listed before sorting.
RULE_ORDER = ("resident_rules", "map_rules", "escalation_rules", "risk_rules", "falls_cluster_rule")
# The rules a forked process works out for a large workbook: about half of the
# time of all rules on the 1,000-resident benchmark workbook.
FORKED_RULES = ("map_rules", "risk_rules", "falls_cluster_rule")

_STATUS_RANK = {OVERDUE: 0, UNSCHEDULED: 1, DUE_SOON: 2}
_CODE_RANK = {code: rank for rank, code in enumerate(sorted(CODES))}

# The bits of each part of a sort key. An item's distance from the as-of moment, in
# microseconds, lies within the 10,000 years a datetime spans (under 2**59 either way);
# Excel has at most 1,048,576 rows.
_ROW_BITS = 21
_CODE_BITS = 8
_RESIDENT_BITS = 32
_AHEAD_BITS = 61
_AHEAD_OFFSET = 1 << (_AHEAD_BITS - 1)


def _sort_key(status_rank: int, ahead: int, resident_rank: int, code_rank: int, row: int) -> int:
    """Pack an item's sort order into one integer: status, due moment, resident, code, row.

    Sorting 15,000 items by these integers took a quarter of the time of
    sorting them by tuples of date-times and texts (measured).
    """
    key = (status_rank << _AHEAD_BITS) | (ahead + _AHEAD_OFFSET)
    key = (key << _RESIDENT_BITS) | resident_rank
    key = (key << _CODE_BITS) | code_rank
    return (key << _ROW_BITS) | row


def sort_items(items: list[DueItem]) -> list[DueItem]:
    """Order items: overdue first, then unscheduled, then due soon; earliest due first.

    Due moments are compared as instants, so of two items due in the hour a
    fall-back night repeats, the one due first in real time comes first.
    Items due at the same moment are ordered by resident ID in natural order
    (R-2 before R-10), then code, then row. Items equal in all of these keep
    their order. This is the order ``DueRules.items`` gives.
    """
    epoch = dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)
    ranks = _natural_ranks({item.resident_id for item in items})
    keys = [_sort_key(_STATUS_RANK[item.status],
                      0 if item.due_at is None else _microseconds(item.due_at - epoch),
                      ranks[item.resident_id], _CODE_RANK[item.code], item.row)
            for item in items]
    return [items[index] for index in sorted(range(len(items)), key=keys.__getitem__)]


def _natural_ranks(ids: set[str]) -> dict[str, int]:
    """Return the place of each ID in natural order; IDs equal in that order share a place."""
    places = {key: rank for rank, key in enumerate(sorted(set(map(natural_key, ids))))}
    return {identifier: places[natural_key(identifier)] for identifier in ids}


_DIGITS = re.compile(r"(\d+)")


@functools.lru_cache(maxsize=65536)
def natural_key(text: str) -> tuple:
    """Return a sort key that orders R-2 before R-10, as people expect."""
    # Splitting at a capturing group puts the runs of digits at the odd places.
    return tuple(_number_key(part) if place % 2 else part.casefold()
                 for place, part in enumerate(_DIGITS.split(text)))


def _number_key(digits: str) -> tuple[int, str]:
    """Return a key that orders runs of digits by their value, however long they are."""
    if not digits.isascii() and len(digits) < 4000:  # int() refuses longer texts
        digits = str(int(digits))  # digits of another script, by their value
    digits = digits.lstrip("0") or "0"
    return len(digits), digits


def due_items(facility: Facility, horizon_days: int | None = None) -> list[DueItem]:
    """Return the facility's due items at its as-of moment within the horizon.

    ``horizon_days`` defaults to the Due soon horizon setting.
    """
    if horizon_days is None:
        horizon_days = int(facility.settings.number("Due soon horizon (days)"))
    with collector_paused():
        return DueRules(facility).items(horizon_days)


def due_json_lines(facility: Facility, horizon_days: int | None = None) -> list[str]:
    """Return the line of the JSON report (see report.item_json_lines) of each of ``due_items``, in its order.

    For a large workbook, the forked process that works out part of the
    rules writes those items' lines, beside this process.
    """
    if horizon_days is None:
        horizon_days = int(facility.settings.number("Due soon horizon (days)"))
    with collector_paused():
        return DueRules(facility).json_lines(horizon_days)
