"""Due items as an iCalendar file that calendar programs can import again and again.

Each item gets a UID built from what identifies it in the workbook (code,
resident, reference), never from its row number or due time, so importing
next week's file updates the same event instead of adding a second one. An
item that was in the previous file but is no longer due is written as a
cancelled event, which removes it from the calendar on import.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from toolkit.due import DueItem, UNSCHEDULED

PRODUCT_ID = "-//Handoff toolkit//Due items//EN"
EVENT_MINUTES = 15
# Deadlines at the end of a day are reminded at this local hour that morning.
MORNING_REMINDER = dt.time(8, 0)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "facility"


def item_uid(facility_name: str, item: DueItem, occurrence: int = 0) -> str:
    """Return the stable UID of a due item.

    ``occurrence`` tells apart items that share code, resident and reference
    (two map rows of domain Other, say) by their order in the report.
    """
    key = "|".join((item.code, item.resident_id.casefold(), item.ref.casefold(), str(occurrence)))
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
    return f"{digest}@{_slug(facility_name)}.handoff"


def _uids(facility_name: str, items: list[DueItem]) -> list[str]:
    seen: dict[tuple, int] = {}
    uids = []
    for item in items:
        key = (item.code, item.resident_id.casefold(), item.ref.casefold())
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        uids.append(item_uid(facility_name, item, occurrence))
    return uids


def _sequence(as_of: dt.datetime) -> int:
    # Calendar programs keep the version with the higher SEQUENCE; minutes since
    # 2020 grow with every later report and stay well inside 32 bits.
    return int((as_of - dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)).total_seconds() // 60)


def build_calendar(facility_name: str, as_of: dt.datetime, items: list[DueItem],
                   owner_names: dict[str, str] | None = None, previous: bytes | None = None) -> bytes:
    """Return an iCalendar file with one event per due item, plus cancellations.

    Unscheduled items (no due time) appear as all-day events on the as-of date,
    so a missing date stays visible. ``previous`` is the file written last time;
    its events whose items are gone are sent with STATUS:CANCELLED.
    """
    from icalendar import Alarm, Calendar, Event

    owner_names = owner_names or {}
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{facility_name}: due items")
    stamp = as_of.astimezone(dt.timezone.utc)
    sequence = _sequence(as_of)

    current = set()
    for uid, item in zip(_uids(facility_name, items), items):
        current.add(uid)
        event = Event()
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        event.add("sequence", sequence)
        event.add("summary", f"{item.code} {item.resident_id} {item.ref}".strip() + f" ({item.status})")
        owner = f"{item.owner} {owner_names.get(item.owner, '')}".strip() if item.owner else "no owner"
        event.add("description", f"{item.summary}\nOwner: {owner}\nWorkbook: {item.sheet} row {item.row}")
        event.add("categories", [item.code])
        if item.status == UNSCHEDULED or item.due_at is None:
            event.add("dtstart", as_of.date())
        else:
            event.add("dtstart", item.due_at)
            event.add("dtend", item.due_at + dt.timedelta(minutes=EVENT_MINUTES))
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"Due: {item.code} {item.resident_id}")
            if item.due_at.time() == dt.time(23, 59, 59):
                morning = dt.datetime.combine(item.due_at.date(), MORNING_REMINDER, tzinfo=item.due_at.tzinfo)
                alarm.add("trigger", morning.astimezone(dt.timezone.utc))
            else:
                alarm.add("trigger", dt.timedelta(hours=-1))
            event.add_component(alarm)
        calendar.add_component(event)

    if previous:
        for old in Calendar.from_ical(previous).walk("VEVENT"):
            uid = str(old.get("uid"))
            if uid in current or str(old.get("status", "")).upper() == "CANCELLED":
                continue
            cancelled = Event()
            cancelled.add("uid", uid)
            cancelled.add("dtstamp", stamp)
            cancelled.add("sequence", sequence)
            cancelled.add("status", "CANCELLED")
            cancelled.add("summary", f"Done: {old.get('summary', '')}")
            if old.get("dtstart") is not None:
                cancelled.add("dtstart", old.decoded("dtstart"))
            calendar.add_component(cancelled)
    calendar.add_missing_timezones()
    return calendar.to_ical()
