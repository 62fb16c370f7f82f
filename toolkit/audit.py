"""Work out the governance audit: how well a facility met its own standards in a period.

The audit answers three questions for one or many facility workbooks: were
escalation standards met, were service gaps tracked to resolution, and were
risk controls updated after incidents. Every row of the workbook that falls in
the period becomes an ``Event`` with a result: met, not met, not yet due or
excluded. Every figure is a count over those events, so a lead can check it by
hand against the Events sheet of the audit workbook. ``docs/audit.md`` explains
each measure as counted here.

Dates are local to each facility (its Time zone setting). A date-time belongs
to the period when its local date lies between ``--from`` and ``--to``
inclusive. Deadlines are judged at the cutoff: the end of the ``--to`` day, or
the as-of moment when that is earlier. Elapsed hours are computed in UTC, so a
daylight-saving change counts as the hour it really was.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from toolkit import schema, values
from toolkit.errors import HandoffError
from toolkit.facility import Facility, Record, load_facility
from toolkit.problems import count_by_severity

# Event results.
MET = "met"
NOT_MET = "not met"
NOT_YET_DUE = "not yet due"
EXCLUDED = "excluded"

# Figure kinds.
SHARE = "share"
MEDIAN = "median"
COUNT = "count"

NO_EVENTS = "no events in period"

# The workbook keeps no date a map row was added, so a dated entry on the row on
# or before the map-due day is used in its place. Last reviewed on keeps only
# the latest review, so a check-in of the resident within the window also counts.
MAP_EVIDENCE_COLUMNS = ("Last reviewed on", "Start confirmed on", "Start date", "Requested on", "Referral sent on")


@dataclass(frozen=True)
class Measure:
    """One governance measure: its stable key, label, kind and how it is counted."""

    key: str
    label: str
    kind: str
    how_counted: str
    unit: str = ""
    # A median, or a count of another measure's rows, is taken over that measure's events.
    source: str = ""
    # What a median shows when its source has events but none with an amount.
    no_values: str = ""


ESCALATIONS_OPENED = "escalations-opened"
ESCALATION_RESPONSE = "escalation-response"
ESCALATION_RESPONSE_HOURS = "escalation-response-hours"
ESCALATION_DECISION = "escalation-decision"
FOLLOW_UP_ON_TIME = "follow-up-on-time"
ESCALATION_OUTCOME = "escalation-outcome"
GAPS_NOTED = "gaps-noted"
GAPS_RESOLVED = "gaps-resolved"
GAP_DAYS = "gap-days-to-resolve"
GAPS_WITHIN_LIMIT = "gaps-within-limit"
GAPS_CLOSED = "gaps-closed"
INCIDENT_REVIEW = "incident-risk-review"
INCIDENT_CONTROLS = "incident-controls-changed"
INCIDENTS = "incidents"
MAP_COMPLETE = "map-complete"

MEASURES: dict[str, Measure] = {measure.key: measure for measure in (
    Measure(
        ESCALATIONS_OPENED, "Escalations opened", COUNT,
        "Escalations whose Opened at falls in the period.",
        source=ESCALATION_OUTCOME,
    ),
    Measure(
        ESCALATION_RESPONSE, "Escalations responded to within standard", SHARE,
        "Escalations opened in the period whose Responded at came within the category's standard after "
        "Contacted at (or Opened at); an unanswered one counts as not met once its standard passed by the cutoff.",
    ),
    Measure(
        ESCALATION_RESPONSE_HOURS, "Response time (median)", MEDIAN,
        "Median elapsed hours from Contacted at (or Opened at) to Responded at, over the escalations opened "
        "in the period that have a response.",
        unit="hours", source=ESCALATION_RESPONSE, no_values="no response recorded",
    ),
    Measure(
        ESCALATION_DECISION, "Escalations with a documented decision", SHARE,
        "Escalations opened in the period that have a Decision or a Decided at.",
    ),
    Measure(
        FOLLOW_UP_ON_TIME, "Follow-ups confirmed on time", SHARE,
        "Escalations whose Follow-up due falls in the period, confirmed at or before Follow-up due; an "
        "unconfirmed one counts as not met once Follow-up due passed by the cutoff.",
    ),
    Measure(
        ESCALATION_OUTCOME, "Escalation outcomes", SHARE,
        "Escalations opened in the period with this Outcome, out of all escalations opened in the period.",
    ),
    Measure(
        GAPS_NOTED, "Service gaps noted", COUNT,
        "Authorization Map rows whose Gap noted on falls in the period.",
    ),
    Measure(
        GAPS_RESOLVED, "Gaps noted in the period and since resolved", SHARE,
        "Gaps noted in the period whose row has a Gap resolved on date.",
    ),
    Measure(
        GAP_DAYS, "Days to resolve a gap (median)", MEDIAN,
        "Median days from Gap noted on to Gap resolved on, over the resolved gaps noted in the period.",
        unit="days", source=GAPS_RESOLVED, no_values="no gap resolved",
    ),
    Measure(
        GAPS_WITHIN_LIMIT, "Gaps resolved within the resolution limit", SHARE,
        "Gaps noted in the period and resolved within the Gap resolution limit (days); an unresolved one "
        "counts as not met once the limit passed by the cutoff.",
    ),
    Measure(
        GAPS_CLOSED, "Service gaps resolved", COUNT,
        "Authorization Map rows whose Gap resolved on falls in the period, whenever the gap was noted.",
    ),
    Measure(
        INCIDENTS, "Incidents", COUNT,
        "Incidents whose Occurred at falls in the period.",
        source=INCIDENT_CONTROLS,
    ),
    Measure(
        INCIDENT_REVIEW, "Incidents followed by a risk review in time", SHARE,
        "Incidents in the period for which a risk of the same resident was last reviewed (or opened, if never "
        "reviewed) between the incident's date and the date Post-incident review hours after it.",
    ),
    Measure(
        INCIDENT_CONTROLS, "Incidents followed by a change of controls", SHARE,
        "Incidents in the period for which a risk of the same resident has Controls changed on on or after "
        "the incident's date.",
    ),
    Measure(
        MAP_COMPLETE, "Maps completed within the map-due days", SHARE,
        "Residents whose anchor date falls in the period with a row for all nine core domains, dated by anchor "
        "date plus Map due days (a dated entry on each core row, or a check-in held from the anchor date on).",
    ),
)}

# The measures of the summary, per-facility and per-month tables, in order.
HEADLINE_MEASURES = (
    ESCALATIONS_OPENED, ESCALATION_RESPONSE, ESCALATION_RESPONSE_HOURS, ESCALATION_DECISION, FOLLOW_UP_ON_TIME,
    GAPS_NOTED, GAPS_RESOLVED, GAP_DAYS, GAPS_WITHIN_LIMIT, GAPS_CLOSED,
    INCIDENTS, INCIDENT_REVIEW, INCIDENT_CONTROLS, MAP_COMPLETE,
)

NO_OUTCOME = "Not recorded"
OUTCOME_GROUPS = (*schema.OUTCOMES, NO_OUTCOME)


@dataclass(frozen=True)
class Period:
    """The audited dates, both inclusive, in each facility's own time zone."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"

    def months(self) -> list[dt.date]:
        """Return the first day of each calendar month the period touches."""
        months = []
        month = self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return months


@dataclass(frozen=True)
class Event:
    """One row counted by one measure, with its result.

    ``day`` is the local date that placed the row in the period, or None for
    an excluded row whose date could not be read. ``amount`` is the
    response hours or days to resolve, for the medians. ``reference`` points at
    the row without naming the resident: an Escalation ID, an Incident ID or a
    sheet row.
    """

    measure: str
    result: str
    day: dt.date | None
    sheet: str
    row: int
    reference: str
    group: str = ""
    amount: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Figure:
    """One audited figure with the counts behind it.

    For a share, ``numerator`` events met the measure out of ``denominator``
    events that were due; ``value`` is the fraction. For a median,
    ``denominator`` is the number of values and ``value`` the median. For a
    count, ``numerator`` and ``value`` are the count. ``value`` is None when
    there is nothing to count. ``not_yet_due`` events are left out of the
    denominator because their deadline lay after the cutoff. ``excluded``
    rows were left out because of errors in the cells the measure reads.
    """

    key: str
    label: str
    group: str
    kind: str
    numerator: int | None
    denominator: int | None
    value: float | None
    unit: str
    not_yet_due: int
    excluded: int
    how_counted: str
    # Shown in place of a value when there is none.
    empty_text: str = NO_EVENTS

    @property
    def result_text(self) -> str:
        """Return the figure as a reader sees it, e.g. "50% (2 of 4)" or "no events in period"."""
        if self.kind == SHARE:
            if not self.denominator:
                return f"none due by the cutoff ({self.not_yet_due} not yet due)" if self.not_yet_due else NO_EVENTS
            return f"{self.value:.0%} ({self.numerator} of {self.denominator})"
        if self.kind == MEDIAN:
            if self.value is None:
                return self.empty_text
            unit = "h" if self.unit == "hours" else self.unit
            return f"{self.value:.1f} {unit} (median of {self.denominator})"
        return str(self.numerator) if self.numerator else NO_EVENTS


def _find_figure(figures: list[Figure], key: str, group: str) -> Figure:
    """Return the figure of ``key`` for ``group`` among ``figures``; raise KeyError when there is none."""
    for candidate in figures:
        if candidate.key == key and candidate.group == group:
            return candidate
    raise KeyError((key, group))


@dataclass
class ScopeResult:
    """The figures of one facility, or of all facilities together, for the period and each month."""

    name: str
    figures: list[Figure]
    months: list[MonthResult]

    def figure(self, key: str, group: str = "") -> Figure:
        """Return the figure of ``key`` for ``group`` ("" for the whole measure)."""
        return _find_figure(self.figures, key, group)


@dataclass
class MonthResult:
    """The figures of one calendar month of the period."""

    month: dt.date
    figures: list[Figure]

    @property
    def label(self) -> str:
        return f"{self.month:%b %Y}"

    def figure(self, key: str, group: str = "") -> Figure:
        """Return the month's figure of ``key`` for ``group`` ("" for the whole measure)."""
        return _find_figure(self.figures, key, group)


@dataclass
class FacilityAudit:
    """The audit of one workbook: where it came from, the settings used, its events and figures."""

    workbook: Path
    facility: str
    timezone: str
    as_of: dt.datetime
    cutoff: dt.datetime
    errors: int
    warnings: int
    standards: dict[str, float | None]
    settings: dict[str, float]
    events: list[Event]
    result: ScopeResult

    @property
    def excluded(self) -> int:
        """Return the number of excluded events, over all measures."""
        return sum(1 for event in self.events if event.result == EXCLUDED)


@dataclass
class AuditResult:
    """The audit of one or many workbooks: one result per facility and one across all of them."""

    period: Period
    facilities: list[FacilityAudit]
    combined: ScopeResult = field(init=False)

    def __post_init__(self) -> None:
        name = self.facilities[0].facility if len(self.facilities) == 1 else "All facilities"
        events = [event for audit in self.facilities for event in audit.events]
        self.combined = summarize(name, events, self.period)


# ---------------------------------------------------------------- figures from events


def _figure(measure: Measure, events: list[Event], group: str | None) -> Figure:
    if measure.kind == MEDIAN:
        source = [event for event in events if event.measure == measure.source]
        if group is not None:
            source = [event for event in source if event.group == group]
        amounts = [event.amount for event in source if event.result in (MET, NOT_MET) and event.amount is not None]
        counted = any(event.result != EXCLUDED for event in source)
        return Figure(
            measure.key, measure.label, group or "", MEDIAN, None, len(amounts),
            statistics.median(amounts) if amounts else None, measure.unit,
            0, sum(1 for event in source if event.result == EXCLUDED), measure.how_counted,
            empty_text=measure.no_values if counted else NO_EVENTS,
        )

    own = [event for event in events if event.measure == (measure.source or measure.key)]
    counted = [event for event in own if event.result != EXCLUDED]
    excluded = len(own) - len(counted)
    if group is not None:
        own_group = [event for event in counted if event.group == group]
        excluded = sum(1 for event in own if event.result == EXCLUDED and event.group == group)
    else:
        own_group = counted

    if measure.kind == COUNT:
        count = len(own_group)
        return Figure(measure.key, measure.label, group or "", COUNT, count, None, count, measure.unit,
                      0, excluded, measure.how_counted)

    if measure.key == ESCALATION_OUTCOME:
        # Each outcome is a share of all escalations opened in the period.
        numerator, denominator, not_yet_due = len(own_group), len(counted), 0
    else:
        numerator = sum(1 for event in own_group if event.result == MET)
        denominator = sum(1 for event in own_group if event.result in (MET, NOT_MET))
        not_yet_due = sum(1 for event in own_group if event.result == NOT_YET_DUE)
    return Figure(
        measure.key, measure.label, group or "", SHARE, numerator, denominator,
        numerator / denominator if denominator else None, measure.unit, not_yet_due, excluded,
        measure.how_counted,
    )


def figures_for(events: list[Event]) -> list[Figure]:
    """Return every figure over ``events``: the headline measures, then by category and by outcome."""
    figures = [_figure(MEASURES[key], events, None) for key in HEADLINE_MEASURES]
    for category in schema.ESCALATION_CATEGORIES:
        figures.append(_figure(MEASURES[ESCALATION_RESPONSE], events, category))
        figures.append(_figure(MEASURES[ESCALATION_RESPONSE_HOURS], events, category))
    for outcome in OUTCOME_GROUPS:
        figures.append(_figure(MEASURES[ESCALATION_OUTCOME], events, outcome))
    return figures


def summarize(name: str, events: list[Event], period: Period) -> ScopeResult:
    """Return the figures of ``events`` for the whole period and for each month of it.

    An excluded event whose date could not be read counts in the whole-period
    figures only, because it belongs to no month.
    """
    months = []
    for month in period.months():
        in_month = [event for event in events
                    if event.day is not None and (event.day.year, event.day.month) == (month.year, month.month)]
        months.append(MonthResult(month, figures_for(in_month)))
    return ScopeResult(name, figures_for(events), months)


# ---------------------------------------------------------------- events from one facility


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc)


def _column_missing(record: Record, column: str) -> bool:
    """Return True when the sheet lacks a required (★) column, so no row can be read by it."""
    return column not in record.table.columns and record.table.sheet.column(column).required


def _day(value) -> dt.date | None:
    """Return the date of a parsed date or date-time cell value."""
    if value is None:
        return None
    return value.date() if isinstance(value, dt.datetime) else value


class FacilityAuditor:
    """Classify the rows of one loaded facility into audit events for a period."""

    def __init__(self, facility: Facility, period: Period):
        self.facility = facility
        self.period = period
        self.residents = facility.residents_by_id
        period_end = facility.localize(period.end + dt.timedelta(days=1))
        self.cutoff = min(period_end, facility.as_of, key=_utc)

    def setting(self, name: str) -> float:
        return self.facility.settings.number(name)

    def events(self) -> list[Event]:
        found: list[Event] = []
        found += self.escalation_events()
        found += self.follow_up_events()
        found += self.gap_events()
        found += self.incident_events()
        found += self.map_events()
        return found

    # Shared rules ----------------------------------------------------------

    def placed(self, record: Record, column: str) -> tuple[bool, dt.date | None]:
        """Return whether the row belongs to the audit by ``column``'s date, and that date.

        A row belongs when its date lies in the period. It also belongs when
        the cell has an error or its required column is missing, because then
        the row cannot be placed and is counted as excluded.
        """
        day = _day(record.get(column))
        if day is None:
            return record.has_error(column) or _column_missing(record, column), None
        return day in self.period, day

    def row_error(self, record: Record, *columns: str) -> str:
        """Return why a row is left out of a measure, or "" when it can be counted."""
        if record.left_out:
            return "duplicate row"
        identifier = record.get("Resident ID")
        if identifier is None or record.has_error("Resident ID"):
            return "Resident ID missing or unknown"
        if values.id_key(identifier) not in self.residents:
            return "Resident ID unknown"
        for column in columns:
            if record.has_error(column):
                return f"{column} has an error"
            if _column_missing(record, column):
                return f"the sheet has no {column} column"
        return ""

    def moment(self, record: Record, column: str) -> dt.datetime | None:
        """Return a date-time cell as an aware moment. A date with no time is the start of that day."""
        return self.facility.localize(record.get(column))

    def deadline(self, record: Record, column: str) -> dt.datetime | None:
        """Return a deadline cell as an aware moment. A date with no time is the end of that day."""
        return self.facility.localize(record.get(column), end_of_day=True)

    def passed(self, deadline: dt.datetime) -> bool:
        """Return True when ``deadline`` lies before the cutoff."""
        return _utc(deadline) < _utc(self.cutoff)

    @staticmethod
    def reference(record: Record, id_column: str | None = None, detail: str = "") -> str:
        identifier = record.get(id_column) if id_column else None
        if identifier:
            return identifier
        return f"{record.table.name} row {record.row}" + (f" ({detail})" if detail else "")

    # Escalations -----------------------------------------------------------

    def escalation_events(self) -> Iterator[Event]:
        for record in self.facility.escalations:
            belongs, day = self.placed(record, "Opened at")
            if not belongs:
                continue
            reference = self.reference(record, "Escalation ID")
            category = "" if record.has_error("Category") else record.get("Category") or ""

            def event(measure: str, result: str, group: str = category, amount: float | None = None,
                      note: str = "") -> Event:
                return Event(measure, result, day, "Escalations", record.row, reference, group, amount, note)

            problem = self.row_error(record, "Opened at")
            if problem:
                for measure in (ESCALATION_RESPONSE, ESCALATION_DECISION, ESCALATION_OUTCOME):
                    yield event(measure, EXCLUDED, group="" if measure == ESCALATION_OUTCOME else category,
                                note=problem)
                continue

            yield self.response_event(record, event)

            if record.get("Decision") or (record.get("Decided at") is not None and not record.has_error("Decided at")):
                yield event(ESCALATION_DECISION, MET)
            elif record.has_error("Decided at"):
                yield event(ESCALATION_DECISION, EXCLUDED, note="Decided at has an error")
            else:
                yield event(ESCALATION_DECISION, NOT_MET, note="no Decision or Decided at")

            if record.has_error("Outcome"):
                yield event(ESCALATION_OUTCOME, EXCLUDED, group="", note="Outcome has an error")
            else:
                yield event(ESCALATION_OUTCOME, MET, group=record.get("Outcome") or NO_OUTCOME)

    def response_event(self, record: Record, event) -> Event:
        problem = self.row_error(record, "Category", "Contacted at", "Responded at")
        if problem:
            return event(ESCALATION_RESPONSE, EXCLUDED, note=problem)
        category = record.get("Category")
        hours = self.facility.standards.get(category)
        if hours is None:
            return event(ESCALATION_RESPONSE, EXCLUDED, note=f"no usable standard for {category}")
        standard = dt.timedelta(hours=hours)

        contacted = record.get("Contacted at")
        start = self.moment(record, "Contacted at" if contacted is not None else "Opened at")
        responded = self.moment(record, "Responded at")
        if responded is None:
            if self.passed(_utc(start) + standard):
                return event(ESCALATION_RESPONSE, NOT_MET, note="no response")
            return event(ESCALATION_RESPONSE, NOT_YET_DUE, note="no response yet; standard not passed")

        # A response typed as a date with no time is the start of that day, which
        # may precede the contact on the same day, so it counts as 0 hours.
        elapsed = max(_utc(responded) - _utc(start), dt.timedelta(0))
        amount = elapsed.total_seconds() / 3600
        if elapsed <= standard:
            return event(ESCALATION_RESPONSE, MET, amount=amount)
        return event(ESCALATION_RESPONSE, NOT_MET, amount=amount, note=f"standard {hours:g} h")

    def follow_up_events(self) -> Iterator[Event]:
        for record in self.facility.escalations:
            belongs, day = self.placed(record, "Follow-up due")
            if not belongs:
                continue
            reference = self.reference(record, "Escalation ID")

            def event(result: str, note: str = "") -> Event:
                return Event(FOLLOW_UP_ON_TIME, result, day, "Escalations", record.row, reference, note=note)

            problem = self.row_error(record, "Follow-up due", "Follow-up confirmed at")
            if problem:
                yield event(EXCLUDED, problem)
                continue
            due = self.deadline(record, "Follow-up due")
            confirmed = self.moment(record, "Follow-up confirmed at")
            if confirmed is not None:
                on_time = _utc(confirmed) <= _utc(due)
                yield event(MET if on_time else NOT_MET, "" if on_time else "confirmed after Follow-up due")
            elif self.passed(due):
                yield event(NOT_MET, "not confirmed")
            else:
                yield event(NOT_YET_DUE, "not confirmed; Follow-up due not passed")

    # Service gaps --------------------------------------------------------------

    def gap_events(self) -> Iterator[Event]:
        limit = int(self.setting("Gap resolution limit (days)"))
        for record in self.facility.authorization_map:
            domain = "" if record.has_error("Domain") else record.get("Domain") or ""
            reference = self.reference(record, detail=domain)

            belongs, day = self.placed(record, "Gap resolved on")
            if belongs:
                problem = self.row_error(record, "Gap resolved on")
                yield Event(GAPS_CLOSED, EXCLUDED if problem else MET, day, record.table.name, record.row,
                            reference, note=problem)

            belongs, day = self.placed(record, "Gap noted on")
            if not belongs:
                continue

            def event(measure: str, result: str, amount: float | None = None, note: str = "") -> Event:
                return Event(measure, result, day, record.table.name, record.row, reference, amount=amount,
                             note=note)

            problem = self.row_error(record, "Gap noted on")
            if problem:
                for measure in (GAPS_NOTED, GAPS_RESOLVED, GAPS_WITHIN_LIMIT):
                    yield event(measure, EXCLUDED, note=problem)
                continue
            yield event(GAPS_NOTED, MET)

            if record.has_error("Gap resolved on"):
                for measure in (GAPS_RESOLVED, GAPS_WITHIN_LIMIT):
                    yield event(measure, EXCLUDED, note="Gap resolved on has an error")
                continue
            resolved = record.get("Gap resolved on")
            if resolved is not None:
                days = (resolved - day).days
                yield event(GAPS_RESOLVED, MET, amount=days)
                within = days <= limit
                yield event(GAPS_WITHIN_LIMIT, MET if within else NOT_MET,
                            note="" if within else f"resolved after {days} days; limit {limit}")
                continue
            yield event(GAPS_RESOLVED, NOT_MET, note="not resolved")
            due = self.facility.localize(day + dt.timedelta(days=limit), end_of_day=True)
            if self.passed(due):
                yield event(GAPS_WITHIN_LIMIT, NOT_MET, note="not resolved")
            else:
                yield event(GAPS_WITHIN_LIMIT, NOT_YET_DUE, note="not resolved; limit not passed")

    # Incidents and risk reviews ------------------------------------------------

    def risk_dates(self) -> dict[str, list[tuple[dt.date | None, dt.date | None]]]:
        """Return each resident's risks as (review date, controls changed date), by Resident ID key.

        The review date is Last reviewed on, or Opened on for a risk never
        reviewed, as the RISK-AFTER-INCIDENT due rule counts it. A date with an
        error is no date.
        """
        by_resident: dict[str, list[tuple[dt.date | None, dt.date | None]]] = {}
        for record in self.facility.risk_register:
            if self.row_error(record):
                continue
            reviewed = None if record.has_error("Last reviewed on") else record.get("Last reviewed on")
            if reviewed is None and not record.has_error("Opened on"):
                reviewed = record.get("Opened on")
            changed = None if record.has_error("Controls changed on") else record.get("Controls changed on")
            by_resident.setdefault(values.id_key(record.get("Resident ID")), []).append((reviewed, changed))
        return by_resident

    def incident_events(self) -> Iterator[Event]:
        hours = self.setting("Post-incident review (hours)")
        risks = self.risk_dates()
        for record in self.facility.incidents:
            belongs, day = self.placed(record, "Occurred at")
            if not belongs:
                continue
            reference = self.reference(record, "Incident ID")

            def event(measure: str, result: str, note: str = "") -> Event:
                return Event(measure, result, day, "Incidents", record.row, reference, note=note)

            problem = self.row_error(record, "Occurred at")
            if problem:
                yield event(INCIDENT_REVIEW, EXCLUDED, problem)
                yield event(INCIDENT_CONTROLS, EXCLUDED, problem)
                continue

            resident_risks = risks.get(values.id_key(record.get("Resident ID")), [])
            due = (_utc(self.moment(record, "Occurred at")) + dt.timedelta(hours=hours)).astimezone(
                self.facility.settings.timezone)
            last_review_day = due.date()
            reviewed = any(review is not None and day <= review <= last_review_day for review, _ in resident_risks)
            if reviewed:
                yield event(INCIDENT_REVIEW, MET)
            elif not resident_risks:
                yield event(INCIDENT_REVIEW, NOT_MET if self.passed(due) else NOT_YET_DUE,
                            "no risk row for the resident")
            elif self.passed(due):
                yield event(INCIDENT_REVIEW, NOT_MET, f"no risk reviewed from {day} to {last_review_day}")
            else:
                yield event(INCIDENT_REVIEW, NOT_YET_DUE, "review window still open")

            changed = any(change is not None and change >= day for _, change in resident_risks)
            yield event(INCIDENT_CONTROLS, MET if changed else NOT_MET,
                        "" if changed else "no Controls changed on since the incident")

    # Service authorization maps ------------------------------------------------

    def map_rows_by_resident(self) -> dict[str, dict[str, Record]]:
        rows: dict[str, dict[str, Record]] = {}
        for record in self.facility.authorization_map:
            domain = record.get("Domain")
            if self.row_error(record, "Domain") or domain not in schema.CORE_DOMAINS:
                continue
            rows.setdefault(values.id_key(record.get("Resident ID")), {})[domain] = record
        return rows

    def check_in_days(self) -> dict[str, list[dt.date]]:
        """Return the readable Held on dates of each resident's check-ins, by Resident ID key."""
        days: dict[str, list[dt.date]] = {}
        for record in self.facility.check_ins:
            held = record.get("Held on")
            if held is None or self.row_error(record, "Held on"):
                continue
            days.setdefault(values.id_key(record.get("Resident ID")), []).append(held)
        return days

    def map_events(self) -> Iterator[Event]:
        map_due = int(self.setting("Map due (days)"))
        rows_by_resident = self.map_rows_by_resident()
        check_ins = self.check_in_days()
        for record in self.facility.residents:
            admitted, transition = record.get("Admitted on"), record.get("Last transition on")
            anchor = max((day for day in (admitted, transition) if day is not None), default=None)
            if anchor is None:
                belongs = (record.has_error("Admitted on") or record.has_error("Last transition on")
                           or _column_missing(record, "Admitted on"))
            else:
                belongs = anchor in self.period
            if not belongs:
                continue
            reference = self.reference(record)

            def event(result: str, note: str = "") -> Event:
                return Event(MAP_COMPLETE, result, anchor, "Residents", record.row, reference, note=note)

            problem = self.row_error(record, "Admitted on", "Last transition on")
            if problem:
                yield event(EXCLUDED, problem)
                continue

            last_day = anchor + dt.timedelta(days=map_due)
            key = values.id_key(record.get("Resident ID"))
            rows = rows_by_resident.get(key, {})
            missing = [domain for domain in schema.CORE_DOMAINS if domain not in rows]
            reviewed_at_check_in = any(anchor <= held <= last_day for held in check_ins.get(key, []))
            undated = [] if reviewed_at_check_in else [
                domain for domain, row in rows.items() if not self.dated_by(row, last_day)
            ]
            if not missing and not undated:
                yield event(MET)
                continue
            note = "; ".join(part for part in (
                f"no row for {', '.join(missing)}" if missing else "",
                f"no date by {last_day} on {', '.join(d for d in schema.CORE_DOMAINS if d in undated)}"
                if undated else "",
            ) if part)
            if self.passed(self.facility.localize(last_day, end_of_day=True)):
                yield event(NOT_MET, note)
            else:
                yield event(NOT_YET_DUE, note)

    @staticmethod
    def dated_by(row: Record, last_day: dt.date) -> bool:
        """Return True when the map row has a readable dated entry on or before ``last_day``."""
        return any(
            not row.has_error(column) and row.get(column) is not None and _day(row.get(column)) <= last_day
            for column in MAP_EVIDENCE_COLUMNS
        )


# ---------------------------------------------------------------- workbooks


def audit_facility(facility: Facility, period: Period) -> FacilityAudit:
    """Audit one loaded facility for ``period``.

    Raises RequiredSheetMissing when Residents, Contacts or Authorization Map is absent.
    """
    facility.require_sheets("the audit")
    auditor = FacilityAuditor(facility, period)
    events = auditor.events()
    errors, warnings = count_by_severity(facility.problems)
    settings = facility.settings
    return FacilityAudit(
        workbook=facility.path,
        facility=settings.facility_name,
        timezone=settings.timezone_name,
        as_of=facility.as_of,
        cutoff=auditor.cutoff,
        errors=errors,
        warnings=warnings,
        standards=dict(facility.standards),
        settings={name: settings.number(name) for name in (
            "Map due (days)", "Gap resolution limit (days)", "Post-incident review (hours)")},
        events=events,
        result=summarize(settings.facility_name, events, period),
    )


def audit_workbook(path: str | Path, period: Period, as_of: dt.datetime | dt.date) -> FacilityAudit:
    """Load one workbook at ``as_of`` and audit it. This is the unit of work of the process pool."""
    return audit_facility(load_facility(path, as_of), period)


def audit_workbooks(paths: list[Path], period: Period, as_of: dt.datetime | dt.date,
                    progress=None) -> AuditResult:
    """Audit every workbook in ``paths``, in parallel when there are several.

    Raises the HandoffError of the first workbook, in the order given, that
    cannot be read or lacks a required sheet. The whole audit stops because a
    governance audit that quietly left out a facility would mislead.
    """
    if not paths:
        raise ValueError("no workbooks to audit")
    progress = progress or (lambda done, total, label: None)
    if len(paths) == 1:
        audit = audit_workbook(paths[0], period, as_of)
        progress(1, 1, "Workbooks")
        return AuditResult(period, [audit])

    from concurrent.futures import ProcessPoolExecutor

    workers = min(len(paths), os.cpu_count() or 1)
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        futures = [pool.submit(audit_workbook, path, period, as_of) for path in paths]
        audits = []
        for done, future in enumerate(futures, start=1):
            audits.append(future.result())
            progress(done, len(futures), "Workbooks")
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return AuditResult(period, audits)


class NoWorkbooksFound(HandoffError):
    """A folder given to ``audit`` contains no .xlsx workbook."""


def expand_workbook_arguments(arguments: Iterable[str | Path]) -> list[Path]:
    """Return the workbooks named by files and folders, each once, in the order given.

    A folder means every ``.xlsx`` file directly inside it, sorted by
    name, leaving out Excel's ``~$`` lock files. A file is taken as given, so
    a missing or unreadable one is reported when it is loaded.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            workbooks = sorted(
                child for child in path.iterdir()
                if child.is_file() and child.suffix.casefold() == ".xlsx" and not child.name.startswith("~$")
            )
            if not workbooks:
                raise NoWorkbooksFound(f"{path}: no .xlsx workbook found in this folder. Give a workbook file "
                                       "or a folder of workbooks.")
        else:
            workbooks = [path]
        for workbook in workbooks:
            key = workbook.resolve()
            if key not in seen:
                seen.add(key)
                found.append(workbook)
    return found


def gap_weeks(events: list[Event], period: Period) -> list[tuple[dt.date, int, int]]:
    """Return (Monday of the week, gaps noted, gaps resolved) for each week the period touches.

    The first and last weeks count only the days inside the period.
    """
    monday = period.start - dt.timedelta(days=period.start.weekday())
    weeks = []
    while monday <= period.end:
        sunday = monday + dt.timedelta(days=6)
        noted = sum(1 for event in events if event.measure == GAPS_NOTED and event.result == MET
                    and monday <= event.day <= sunday)
        resolved = sum(1 for event in events if event.measure == GAPS_CLOSED and event.result == MET
                       and monday <= event.day <= sunday)
        weeks.append((monday, noted, resolved))
        monday += dt.timedelta(days=7)
    return weeks
