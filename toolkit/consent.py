"""Consent: which contacts may receive which residents' details.

Every partner-facing output asks this module, so consent is decided in one
place. Consent Yes covers every contact, Limited only the contacts in the
resident's Share with list, and No (or blank) nobody.
"""

from __future__ import annotations

from toolkit import values
from toolkit.facility import Facility, Record

# Contacts with this role work for the facility, so they see everyone.
FACILITY_ROLE = "Facility"


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


def items_for_owner(facility: Facility, items: list, owner: str) -> list:
    """Return the due items owned by one contact, within the consent of its residents.

    Raises HandoffError when ``owner`` is not a Contact ID of the workbook.
    """
    from toolkit.errors import HandoffError

    contact = facility.contacts_by_id.get(values.id_key(owner))
    if contact is None:
        raise HandoffError(
            f'"{owner}" is not a Contact ID in {facility.path.name}. Use an ID from the Contacts sheet.'
        )
    contact_id = contact.get("Contact ID")
    visible = visible_resident_keys(facility, contact)
    return [
        item for item in items
        if item.owner == contact_id and values.id_key(item.resident_id) in visible
    ]
