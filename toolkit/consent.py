"""Consent: which contacts may receive which residents' details.

Every partner-facing output asks this module, so consent is decided in one
place. Consent Yes covers every contact, Limited only the contacts in the
resident's Share with list, and No (or blank) nobody.

A partner's documents are built from a ``PartnerScope``:

- a resident appears only when their consent covers the partner;
- a risk of such a resident appears only when the partner is its Owner or is
  named in its Shared with list, because the Risk Register records who each
  risk is shared with;
- every text printed for the partner passes through ``PartnerScope.redact``,
  which replaces the names, IDs and rooms of every other resident, and the
  names of family contacts known only through them, with "[withheld]". Rows
  of other residents are never used, so this only matters for free text that
  mentions them, such as an incident description of a consenting resident.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from toolkit import values
from toolkit.errors import HandoffError
from toolkit.facility import Facility, Record

# Contacts with this role work for the facility, so they see everyone.
FACILITY_ROLE = "Facility"
FAMILY_ROLE = "Family"

WITHHELD = values.WITHHELD

# Due items about one risk, whose ref is the Risk ID.
RISK_ITEM_CODES = ("RISK-REVIEW", "RISK-AFTER-INCIDENT")

# Words that may precede a room number in free text ("Room 214", "apt. 3B").
_ROOM_WORDS = r"(?:room|rm|apt|apartment|suite|unit)\.?\s*(?:no\.?\s*|#\s*)?"

# Name parts shorter than this, and these honorifics, are not withheld on
# their own, because they would hide ordinary words.
_MIN_NAME_PART = 3
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "jr", "sr", "ii", "iii", "iv"})

_WORDS = re.compile(r"\w+")


def consent_covers(resident: Record, contact_key: str) -> bool:
    """Return True when the resident's consent covers the contact with this ID key."""
    if resident.has_error("Consent to share"):
        return False
    consent = resident.get("Consent to share") or "No"
    if consent == "Yes":
        return True
    if consent == "Limited" and not resident.has_error("Share with"):
        return contact_key in {values.id_key(identifier) for identifier in resident.get("Share with") or []}
    return False


def is_partner(contact: Record) -> bool:
    """Return True for a contact outside the facility (any role but Facility)."""
    return contact.get("Role") != FACILITY_ROLE


def visible_resident_keys(facility: Facility, contact: Record) -> set[str]:
    """Return the ID keys of residents whose details may go to this contact."""
    contact_key = values.id_key(contact.get("Contact ID"))
    keys = set()
    for resident in facility.residents:
        identifier = resident.get("Resident ID")
        if identifier is None or resident.left_out:
            continue
        if not is_partner(contact) or consent_covers(resident, contact_key):
            keys.add(values.id_key(identifier))
    return keys


def find_contact(facility: Facility, contact_id: str) -> Record:
    """Return the Contacts row of ``contact_id``.

    Raises HandoffError when it is not a Contact ID of the workbook.
    """
    contact = facility.contacts_by_id.get(values.id_key(contact_id))
    if contact is None:
        raise HandoffError(
            f'"{contact_id}" is not a Contact ID in {facility.path.name}. Use an ID from the Contacts sheet.'
        )
    return contact


def items_for_owner(facility: Facility, items: list, owner: str) -> list:
    """Return the due items owned by one contact, within the consent of its residents.

    For a partner, the summaries pass through ``PartnerScope.redact``, because
    they quote free text such as the decision an escalation needs.

    Raises HandoffError when ``owner`` is not a Contact ID of the workbook.
    """
    contact = find_contact(facility, owner)
    contact_id = contact.get("Contact ID")
    owned = [item for item in items if item.owner == contact_id]
    if not is_partner(contact):
        return owned
    scope = PartnerScope(facility, contact)
    return [
        item._replace(summary=scope.redact(item.summary))
        for item in owned if values.id_key(item.resident_id) in scope.resident_keys
    ]


def partner_scope(facility: Facility, contact_id: str) -> PartnerScope:
    """Return what the partner ``contact_id`` may see.

    Raises HandoffError when the ID is not a contact, or is a Facility
    contact: facility staff receive the internal set, which is marked internal.
    """
    contact = find_contact(facility, contact_id)
    if not is_partner(contact):
        raise HandoffError(
            f"Contact {contact.get('Contact ID')} has Role Facility, so they are facility staff, not a partner. "
            "Run handoff docs without --partner for the internal set, which covers every resident."
        )
    return PartnerScope(facility, contact)


class PartnerScope:
    """The residents, risks and text that one partner contact may receive."""

    def __init__(self, facility: Facility, contact: Record):
        self.facility = facility
        self.contact = contact
        self.contact_id: str = contact.get("Contact ID")
        self.contact_key = values.id_key(self.contact_id)
        self.resident_keys = frozenset(visible_resident_keys(facility, contact))
        self._redactor = _Redactor(facility, self.resident_keys, contact)

    def covers(self, resident: Record) -> bool:
        """Return True when this resident's details may go to the partner."""
        identifier = resident.get("Resident ID")
        return (identifier is not None and not resident.left_out
                and values.id_key(identifier) in self.resident_keys)

    def risk_visible(self, risk: Record) -> bool:
        """Return True when the partner may see this Risk Register row.

        The resident's consent must cover the partner, and the partner must
        be the risk's Owner or be named in its Shared with list.
        """
        resident_id = risk.get("Resident ID")
        if resident_id is None or risk.has_error("Resident ID") or risk.left_out:
            return False
        if values.id_key(resident_id) not in self.resident_keys:
            return False
        owner = risk.get("Owner")
        if owner is not None and not risk.has_error("Owner") and values.id_key(owner) == self.contact_key:
            return True
        if risk.has_error("Shared with"):
            return False
        return self.contact_key in {values.id_key(identifier) for identifier in risk.get("Shared with") or []}

    def item_visible(self, item) -> bool:
        """Return True when a due item may go to the partner: its resident, and its risk if it has one."""
        if values.id_key(item.resident_id) not in self.resident_keys:
            return False
        if item.code in RISK_ITEM_CODES:
            risk = self.facility.risks_by_id.get(values.id_key(item.ref)) if item.ref else None
            return risk is not None and self.risk_visible(risk)
        return True

    def redact(self, text: str) -> str:
        """Return ``text`` with other residents' names, IDs and rooms replaced by "[withheld]"."""
        return self._redactor.redact(text)

    def redact_values(self, value):
        """Return a copy of a document context with every string passed through ``redact``."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {key: self.redact_values(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.redact_values(item) for item in value]
        return value


# ---------------------------------------------------------------- redaction


def _name_pattern(name: str) -> str:
    words = name.split()
    return r"(?<!\w)" + r"\s+".join(re.escape(word) for word in words) + r"(?!\w)"


def _id_pattern(identifier: str) -> str:
    pattern = r"(?<!\w)" + re.escape(identifier) + r"(?!\w)"
    if identifier.isdigit():
        # A numeric ID must not match inside a date, time, phone number or amount.
        pattern = r"(?<!\d[-/:.,])(?<!\d[-/:.,]\s)" + pattern + r"(?![-/:.,]\s?\d)"
    return pattern


class _Redactor:
    """Replace mentions of residents outside a partner's consent.

    Terms are indexed by their first word, so a text is matched only against
    the few terms whose first word occurs in it: a facility of a thousand
    residents yields thousands of terms.

    NOTE: names are found as typed on the Residents and Contacts sheets, so a
    nickname or a misspelling in free text is not caught.
    """

    def __init__(self, facility: Facility, visible_keys: frozenset[str], partner: Record):
        self._terms: dict[str, list[tuple[int, re.Pattern, str]]] = {}
        hidden_residents, shown_residents = [], []
        for resident in facility.residents:
            identifier = resident.get("Resident ID")
            shown = (identifier is not None and not resident.left_out
                     and values.id_key(identifier) in visible_keys)
            (shown_residents if shown else hidden_residents).append(resident)

        their_family = self._family_contacts_of(facility, hidden_residents, shown_residents, partner)

        protected_values: set[str] = set()
        protected_words: set[str] = set(_HONORIFICS)
        kept_texts = [facility.settings.facility_name]
        for resident in shown_residents:
            kept_texts += [resident.get("Name"), resident.get("Resident ID"), resident.get("Room")]
        for contact in facility.contacts:
            if values.id_key(contact.get("Contact ID") or "") in their_family:
                continue
            kept_texts += [contact.get("Name"), contact.get("Organization"), contact.get("Contact ID")]
        for text in kept_texts:
            if text:
                protected_values.add(values.fold_spaces(str(text)))
                protected_words.update(_WORDS.findall(str(text).casefold()))

        for resident in hidden_residents:
            self._add_name(resident.get("Name"), protected_values, protected_words)
            identifier = resident.get("Resident ID")
            if identifier is not None and values.id_key(identifier) not in visible_keys:
                self._add(str(identifier), _id_pattern(str(identifier)), WITHHELD, protected_values)
            room = resident.get("Room")
            if room is not None:
                room = str(room).strip()
                self._add(room, r"(?<!\w)(?P<prefix>" + _ROOM_WORDS + ")" + re.escape(room) + r"(?!\w)",
                          r"\g<prefix>" + WITHHELD, protected_values)
        for contact in facility.contacts:
            if values.id_key(contact.get("Contact ID") or "") in their_family:
                self._add_name(contact.get("Name"), protected_values, protected_words)
                identifier = contact.get("Contact ID")
                self._add(identifier, _id_pattern(identifier), WITHHELD, protected_values)

        for patterns in self._terms.values():
            patterns.sort(key=lambda entry: -entry[0])

    @staticmethod
    def _family_contacts_of(facility: Facility, hidden: list[Record], shown: list[Record],
                            partner: Record) -> set[str]:
        """Return the ID keys of Family contacts named only on rows of hidden residents."""
        hidden_keys = {values.id_key(r.get("Resident ID")) for r in hidden if r.get("Resident ID")}
        shown_keys = {values.id_key(r.get("Resident ID")) for r in shown if r.get("Resident ID")}
        named_by_hidden: set[str] = set()
        named_by_shown: set[str] = set()
        for resident_key, contact_ids in _contacts_named_per_resident(facility):
            if resident_key in shown_keys:
                named_by_shown.update(contact_ids)
            elif resident_key in hidden_keys:
                named_by_hidden.update(contact_ids)
        partner_key = values.id_key(partner.get("Contact ID"))
        family = {
            values.id_key(contact.get("Contact ID")) for contact in facility.contacts
            if contact.get("Contact ID") and contact.get("Role") == FAMILY_ROLE
        }
        return (named_by_hidden & family) - named_by_shown - {partner_key}

    def _add_name(self, name, protected_values: set[str], protected_words: set[str]) -> None:
        if not name:
            return
        name = " ".join(str(name).split())
        self._add(name, _name_pattern(name), WITHHELD, protected_values)
        parts = name.split()
        if len(parts) >= 2:
            reversed_name = f"{parts[-1]}, {' '.join(parts[:-1])}"
            self._add(reversed_name, _name_pattern(reversed_name), WITHHELD, protected_values)
        for part in re.findall(r"\w[\w'’]*", name):
            folded = part.casefold()
            if len(part) >= _MIN_NAME_PART and not part.isdigit() and folded not in protected_words:
                self._add(part, _name_pattern(part), WITHHELD, protected_values)

    def _add(self, term: str, pattern: str, replacement: str, protected_values: set[str]) -> None:
        words = _WORDS.findall(term.casefold())
        if not words or values.fold_spaces(term) in protected_values:
            return
        compiled = re.compile(pattern, re.IGNORECASE)
        self._terms.setdefault(words[0], []).append((len(term), compiled, replacement))

    def redact(self, text: str) -> str:
        if not text or not self._terms:
            return text
        candidates = []
        for word in set(_WORDS.findall(text.casefold())):
            candidates.extend(self._terms.get(word, ()))
        candidates.sort(key=lambda entry: -entry[0])
        for _, pattern, replacement in candidates:
            text = pattern.sub(replacement, text)
        return text


def _contacts_named_per_resident(facility: Facility) -> Iterable[tuple[str, set[str]]]:
    """Yield (resident ID key, contact ID keys) for every row that names contacts for a resident."""
    columns = {
        "Residents": ("Case manager", "Share with"),
        "Authorization Map": ("Contact ID",),
        "Escalations": ("Contacted", "Follow-up owner"),
        "Risk Register": ("Owner", "Shared with"),
        "Check-ins": ("Attendees",),
    }
    for table_name, names in columns.items():
        table = facility.tables.get(table_name)
        if table is None:
            continue
        for record in table:
            resident_id = record.get("Resident ID")
            if resident_id is None:
                continue
            contacts: set[str] = set()
            for column in names:
                value = record.get(column)
                for identifier in value if isinstance(value, list) else [value]:
                    if identifier:
                        contacts.add(values.id_key(identifier))
            yield values.id_key(resident_id), contacts
