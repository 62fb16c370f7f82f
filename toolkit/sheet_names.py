"""The names of the workbook's sheets, and how a name found in a workbook is matched to one.

``handoff check`` and ``handoff due`` start reading the workbook before the
rest of the program is imported (see toolkit.start), and the order in which
sheets are read needs only their names. toolkit.schema declares each sheet
under the name given here.
"""

from __future__ import annotations

import re

RESIDENTS = "Residents"
CONTACTS = "Contacts"
AUTHORIZATION_MAP = "Authorization Map"
ESCALATIONS = "Escalations"
RISK_REGISTER = "Risk Register"
INCIDENTS = "Incidents"
CHECK_INS = "Check-ins"
SETTINGS = "Settings"
STANDARDS = "Standards"

# In the order of the workbook template.
NAMES = (RESIDENTS, CONTACTS, AUTHORIZATION_MAP, ESCALATIONS, RISK_REGISTER, INCIDENTS, CHECK_INS, SETTINGS,
         STANDARDS)

_NON_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")


def header_key(text: str) -> str:
    """Reduce a sheet or column name to the form used for matching.

    Case, spaces (including non-breaking ones), punctuation and a trailing
    required-column star are ignored, so "Resident ID", " resident  id " and
    "Resident ID ★" all match.
    """
    return _NON_ALPHANUMERIC.sub("", str(text).casefold())


_RANKS = {header_key(name): 0 if name == SETTINGS else 1 for name in NAMES}


def reading_order(sheet_name: str) -> int | None:
    """Rank a sheet for reading: Settings first (dates depend on it), then every other known sheet.

    Sheets the toolkit does not know are not read (None).
    """
    return _RANKS.get(header_key(sheet_name))
