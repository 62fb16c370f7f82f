"""Checks across cells and rows: duplicates, references, dates, consent, loops.

Cell-level problems (required, type, choice, placeholder) are found while
reading in ``toolkit.facility``. Each check here appends Problems and marks
the cells it finds in error, so the due rules can leave out or unschedule the
rows concerned. No check raises for bad data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from toolkit import schema, values
from toolkit.facility import Facility, Record, worth_sharing
from toolkit.forked import start as start_forked
from toolkit.problems import ERROR, WARNING, Problem

# Response standards longer than a year are taken as typos.
MAX_RESPONSE_HOURS = 24 * 365


def _add(facility: Facility, code: str, severity: str, record: Record, column: str, message: str,
         value: str | None = None) -> None:
    facility.problems.append(Problem(
        code, severity, record.table.name, record.row, column, record.cell(column),
        record.text(column) if value is None else value, message,
    ))
    if severity == ERROR:
        record.mark_error(column)


def _spelling(index: dict[str, Record], identifier: str, id_column: str) -> str:
    """Return an ID as spelled on the row that defines it, or as given when no row does."""
    record = index.get(values.id_key(identifier))
    return record.get(id_column) if record is not None else identifier


def run_checks(facility: Facility, then: Callable[[Facility], object] | None = None) -> None:
    """Run every cross-cell check on a loaded facility and sort its problems.

    For a large workbook, a forked process runs the later checks while this
    one runs the earlier ones (see toolkit.forked and LATER_CHECKS). Their
    problems are added after the earlier ones' with the same cells marked,
    so the result is the same either way.

    ``then`` is for a caller that goes on to work out due items. The forked
    process receives the marks of the earlier checks, so it has every mark
    this one has, and then runs ``then`` on its copy of the facility. The
    process is left in ``facility.forked``, whose next value is what ``then``
    returned. It is None when nothing was forked or the process stopped.
    """
    forked = None
    if worth_sharing(facility):
        if then is None:
            forked = start_forked(lambda: [_run_later_checks(facility)])
        else:
            forked = start_forked(lambda receive: _later_checks_then(facility, receive, then), duplex=True)
    later = None
    try:
        before = len(facility.problems)
        for check in EARLIER_CHECKS:
            check(facility)
        if forked is not None:
            later = forked.take()
            if then is not None:
                forked.send([_mark_of(problem) for problem in facility.problems[before:]
                             if problem.severity == ERROR])
    except EOFError:  # the forked process stopped early, and take or send has reaped it
        forked = None
    except BaseException:
        if forked is not None:
            forked.close()
        raise
    if forked is not None and then is None:
        forked.close()  # it has sent all it had
        forked = None
    facility.forked = forked
    if later is None:  # not forked, or the forked process stopped early
        _run_later_checks(facility)
    else:
        _add_found(facility, later)
    sort_problems(facility)


def _later_checks_then(facility: Facility, receive: Callable[[], object], then: Callable[[Facility], object]):
    """In the forked process: send the later checks' problems, take the earlier ones' marks, run ``then``."""
    yield _run_later_checks(facility)
    _apply_marks(facility, receive())
    yield then(facility)


# The checks that leave a row out of due items, by the code of the problem they report on it.
_LEAVES_ROW_OUT = frozenset({"ID-DUPLICATE", "ROW-DUPLICATE"})


def _mark_of(problem: Problem) -> tuple:
    """Return what an error problem changed on its row: sheet, row, column, and whether the row is left out."""
    return problem.sheet, problem.row, problem.column, problem.code in _LEAVES_ROW_OUT


def _apply_marks(facility: Facility, marks: list[tuple]) -> None:
    """Make the changes ``_mark_of`` describes, as the checks that found the problems did."""
    rows = _rows_by_number(facility, {sheet for sheet, _, _, _ in marks})
    for sheet, row, column, left_out in marks:
        record = rows[sheet][row]
        record.mark_error(column)
        if left_out:
            record.left_out = True


def _run_later_checks(facility: Facility) -> list[Problem]:
    """Run LATER_CHECKS and return the problems they added."""
    before = len(facility.problems)
    for check in LATER_CHECKS:
        check(facility)
    return facility.problems[before:]


def _add_found(facility: Facility, found: list[Problem]) -> None:
    """Add problems that LATER_CHECKS found in the forked process, and mark their cells as _add does."""
    facility.problems.extend(found)
    errors = [problem for problem in found if problem.severity == ERROR]
    rows = _rows_by_number(facility, {problem.sheet for problem in errors})
    for problem in errors:
        rows[problem.sheet][problem.row].mark_error(problem.column)


def _rows_by_number(facility: Facility, sheets: set[str]) -> dict[str, dict[int, Record]]:
    """Return the records of the named tables by Excel row number."""
    return {table.name: {record.row: record for record in table.records}
            for table in facility.tables.values() if table.name in sheets}


def sort_problems(facility: Facility) -> None:
    """Order problems: workbook-level ones first, then by sheet in declared order, row and column.

    Sheets are matched by name as the reader matches them, so problems on a
    sheet spelled "RESIDENTS " sort with Residents.
    """
    order = {schema.header_key(sheet.name): position for position, sheet in enumerate(schema.SHEETS)}
    columns = {schema.header_key(table.name): table.columns for table in facility.tables.values()}

    def sort_key(problem: Problem) -> tuple:
        if not problem.sheet:
            return (-1, 0, -1, problem.code)
        sheet_key = schema.header_key(problem.sheet)
        column = columns.get(sheet_key, {}).get(problem.column, -1)
        return (order.get(sheet_key, len(order)), problem.row or 0, column, problem.code)

    facility.problems.sort(key=sort_key)


def check_workbook_open(facility: Facility) -> None:
    if facility.lock_file is not None:
        facility.problems.append(Problem(  # sort_problems puts it first, as a workbook-level problem
            "WORKBOOK-OPEN", WARNING, "", None, "", "", facility.lock_file.name,
            f"Someone has {facility.path.name} open in Excel ({facility.lock_file.name} is beside it). "
            "Edits not yet saved are not included; ask them to save, then run this again.",
        ))


def check_duplicate_ids(facility: Facility) -> None:
    for table in facility.tables.values():
        id_column = table.sheet.id_column
        if id_column is None or id_column not in table.columns:
            continue
        # Counted while the cells were read: a sheet with no rows below its header has neither.
        distinct = table.ids_found.get(id_column, set())
        filled = table.ids_filled or 0
        if len(distinct) == filled and len(values.id_keys(distinct)) == filled:
            continue  # every ID is used once, the usual case
        first_rows: dict[str, Record] = {}
        for record in table:
            identifier = record.get(id_column)
            if identifier is None:
                continue
            key = values.id_key(identifier)
            first = first_rows.get(key)
            if first is None:
                first_rows[key] = record
                continue
            record.left_out = True
            _add(facility, "ID-DUPLICATE", ERROR, record, id_column,
                 f"{id_column} {first.get(id_column)} is already used in row {first.row}. Give this row its own "
                 "ID, or delete it if it repeats the other; until then it is left out of due items.")


def check_duplicate_map_rows(facility: Facility) -> None:
    first_rows: dict[tuple[str, str], Record] = {}
    for record in facility.authorization_map:
        resident, domain = record.get("Resident ID"), record.get("Domain")
        if resident is None or domain is None or domain == "Other":
            continue
        key = (values.id_key(resident), domain)
        first = first_rows.get(key)
        if first is None:
            first_rows[key] = record
            continue
        record.left_out = True
        resident = _spelling(facility.residents_by_id, resident, "Resident ID")
        _add(facility, "ROW-DUPLICATE", ERROR, record, "Domain",
             f"Resident {resident} already has a {domain} row (row {first.row}). Keep one row per "
             "resident and domain; merge the two. Until then this row is left out of due items.")


# (sheet, column, referenced sheet)
_REFERENCES = [
    (sheet.name, column.name, column.ref)
    for sheet in schema.SHEETS
    for column in sheet.columns
    if column.ref
]


# The most ID comparisons spent on "Did you mean" advice in one check run. Each takes tens of
# microseconds (difflib), so a workbook whose IDs were all renamed, with thousands of unknown
# IDs, gets advice for the first of them and is still checked in seconds.
ADVICE_COMPARISONS = 50_000


def check_references(facility: Facility) -> None:
    advice_budget = ADVICE_COMPARISONS
    indexes = {
        "Residents": facility.residents_by_id,
        "Contacts": facility.contacts_by_id,
        "Risk Register": facility.risks_by_id,
    }
    for sheet_name, column_name, target in _REFERENCES:
        table = facility.tables[sheet_name]
        # A missing required sheet is already an error, so references to it are not checked.
        # An absent optional sheet contains nothing yet, so references to it are unknown.
        target_missing = facility.tables[target].sheet.required and not facility.tables[target].present
        if target_missing or column_name not in table.columns:
            continue
        known = indexes[target]
        # The distinct IDs of the column, found while its cells were read, are matched
        # first, and its rows are walked only when one of them is unknown.
        if values.id_keys(table.ids_found.get(column_name, ())) <= known.keys():
            continue
        # IDs repeat from row to row, so each one as typed is matched, and its advice found, once.
        found: dict[str, bool] = {}
        advice_for: dict[str, str] = {}
        known_ids = [record.get(facility.tables[target].sheet.id_column) for record in known.values()]
        noun = {"Residents": "resident", "Contacts": "contact", "Risk Register": "risk"}[target]
        for record in table:
            value = record.get(column_name)
            if value is None:
                continue
            identifiers = value if isinstance(value, (list, tuple)) else [value]
            for identifier in identifiers:
                is_known = found.get(identifier)
                if is_known is None:
                    is_known = found[identifier] = values.id_key(identifier) in known
                if is_known:
                    continue
                advice = advice_for.get(identifier)
                if advice is None:
                    hint = None
                    if len(known_ids) <= advice_budget:
                        advice_budget -= len(known_ids)
                        hint = values.nearest(identifier, known_ids)
                    advice = advice_for[identifier] = f' Did you mean "{hint}"?' if hint else ""
                _add(facility, "REF-UNKNOWN", ERROR, record, column_name,
                     f'{column_name} "{identifier}" is not a {noun} on the {target} sheet.{advice} '
                     f"Correct the ID or add the {noun} to {target}.", value=identifier)


def _require(facility: Facility, record: Record, column: str, reason: str) -> None:
    if column in record.table.columns and record.is_blank(column):
        _add(facility, "VALUE-REQUIRED", ERROR, record, column, f"{column} is required {reason}. "
             "Fill in this cell.")
    elif column not in record.table.columns and not record.has_error(column):
        _add(facility, "VALUE-REQUIRED", ERROR, record, column,
             f"{column} is required {reason}, but the sheet has no {column} column. Add the column.")
        record.mark_error(column)


def check_conditional_values(facility: Facility) -> None:
    for record in facility.authorization_map:
        route = record.get("Route")
        authorization = record.get("Authorization status")
        if route is not None and route != "Not needed":
            _require(facility, record, "Contact ID", f"when Route is {route}")
        if route in ("Home health", "LTSS authorized service"):
            _require(facility, record, "Authorization status", f"when Route is {route}")
        if authorization in ("Requested", "Pending"):
            _require(facility, record, "Requested on", f"when Authorization status is {authorization}")
        if authorization == "Approved":
            _require(facility, record, "Authorized through", "when Authorization status is Approved")
        if record.get("Referral status") == "Sent":
            _require(facility, record, "Referral sent on", "when Referral status is Sent")
        gap = record.get("Gap")
        if gap in ("Open", "Resolved"):
            _require(facility, record, "Gap noted on", f"when Gap is {gap}")
        if gap == "Resolved":
            _require(facility, record, "Gap resolved on", "when Gap is Resolved")


# Moments that have already happened, so they cannot lie after the as-of time.
PAST_MOMENTS = {
    "Escalations": ("Opened at", "Contacted at", "Responded at", "Decided at", "Follow-up confirmed at",
                    "Closed at"),
    "Incidents": ("Occurred at",),
    "Check-ins": ("Held on",),
    "Authorization Map": ("Requested on", "Referral sent on", "Start confirmed on", "Last reviewed on",
                          "Gap noted on", "Gap resolved on"),
    "Risk Register": ("Opened on", "Last reviewed on", "Controls changed on"),
}


def check_future_moments(facility: Facility) -> None:
    as_of = facility.as_of
    as_of_date = as_of.date()
    shown_as_of = as_of.strftime("%Y-%m-%d %H:%M")
    wall_clock = as_of.replace(tzinfo=None)
    near_start, near_end = wall_clock - dt.timedelta(days=1), wall_clock + dt.timedelta(days=1)
    for sheet_name, columns in PAST_MOMENTS.items():
        for record in facility.tables[sheet_name]:
            for column in columns:
                value = record.get(column)
                if value is None:
                    continue
                if isinstance(value, dt.datetime):
                    # Wall-clock times more than a day from the as-of time cannot be
                    # reordered by a UTC offset, so only the near ones are converted.
                    if value < near_start:
                        future = False
                    elif value > near_end:
                        future = True
                    else:
                        future = facility.localize(value) > as_of
                else:
                    future = value > as_of_date
                if future:
                    _add(facility, "VALUE-FUTURE", ERROR, record, column,
                         f"{column} {record.text(column)} is after the as-of time ({shown_as_of}), but it "
                         "records something that already happened. Correct the date or the year.")


def check_ranges(facility: Facility) -> None:
    column = "Response standard (hours)"
    for record in facility.authorization_map:
        hours = record.get(column)
        if hours is not None and (hours < 0 or hours > MAX_RESPONSE_HOURS):
            _add(facility, "VALUE-RANGE", ERROR, record, column,
                 f"{column} {record.text(column)} is not a usable number of hours. Enter 0 or more "
                 f"and at most {MAX_RESPONSE_HOURS} (a year).")


def _before(facility: Facility, later, earlier) -> bool:
    """Return True when ``later`` lies before ``earlier``, comparing dates only when either has no time."""
    if isinstance(later, dt.datetime) and isinstance(earlier, dt.datetime):
        return later < earlier
    later_date = later.date() if isinstance(later, dt.datetime) else later
    earlier_date = earlier.date() if isinstance(earlier, dt.datetime) else earlier
    return later_date < earlier_date


# (sheet, later column, earlier column)
DATE_PAIRS = (
    ("Escalations", "Contacted at", "Opened at"),
    ("Escalations", "Responded at", "Opened at"),
    ("Escalations", "Decided at", "Opened at"),
    ("Escalations", "Follow-up confirmed at", "Opened at"),
    ("Escalations", "Closed at", "Opened at"),
    ("Authorization Map", "Gap resolved on", "Gap noted on"),
    ("Authorization Map", "Authorized through", "Requested on"),
    ("Authorization Map", "Start confirmed on", "Requested on"),
)


def check_date_order(facility: Facility) -> None:
    for sheet_name, later_column, earlier_column in DATE_PAIRS:
        for record in facility.tables[sheet_name]:
            later, earlier = record.get(later_column), record.get(earlier_column)
            if later is None or earlier is None:
                continue
            if _before(facility, later, earlier):
                _add(facility, "DATE-ORDER", ERROR, record, later_column,
                     f"{later_column} {record.text(later_column)} is before {earlier_column} "
                     f"{record.text(earlier_column)}. Correct whichever date is wrong.")


def check_consent(facility: Facility) -> None:
    from toolkit.consent import consent_covers  # one definition of consent for checks and documents

    contacts = facility.contacts_by_id
    residents = facility.residents_by_id

    for resident in facility.residents:
        consent = resident.get("Consent to share") or "No"
        if consent != "No" or resident.has_error("Consent to share"):
            continue
        for identifier in resident.get("Share with") or []:
            if values.id_key(identifier) in contacts:
                contact_id = _spelling(contacts, identifier, "Contact ID")
                _add(facility, "CONSENT", ERROR, resident, "Share with",
                     f"Share with names {contact_id}, but Consent to share is No. Remove the contact, or "
                     "record the consent the resident gave (Limited or Yes).", value=identifier)

    for risk in facility.risk_register:
        resident_id = risk.get("Resident ID")
        if resident_id is None or risk.has_error("Resident ID"):
            continue
        resident = residents.get(values.id_key(resident_id))
        if resident is None:
            continue
        for identifier in risk.get("Shared with") or []:
            key = values.id_key(identifier)
            if key in contacts and not consent_covers(resident, key):
                contact_id = _spelling(contacts, identifier, "Contact ID")
                _add(facility, "CONSENT", ERROR, risk, "Shared with",
                     f"Risk {risk.get('Risk ID') or ''} is shared with {contact_id}, but resident "
                     f"{resident.get('Resident ID')}'s consent does not cover that contact. Remove "
                     f"{contact_id} from Shared with, or update the resident's consent.", value=identifier)


def check_loops(facility: Facility) -> None:
    for record in facility.escalations:
        closed = record.get("Closed at") is not None
        decision = record.get("Decision") or record.get("Decided at")
        follow_up_set = record.get("Follow-up due") is not None or record.get("Follow-up") is not None
        confirmed = record.get("Follow-up confirmed at") is not None
        identifier = record.get("Escalation ID") or f"in row {record.row}"
        if closed and not decision:
            _add(facility, "LOOP-OPEN", WARNING, record, "Decision",
                 f"Escalation {identifier} is closed with no decision recorded. Record the decision "
                 "and when it was made, or reopen the escalation.")
        if closed and follow_up_set and not confirmed:
            _add(facility, "LOOP-OPEN", WARNING, record, "Follow-up confirmed at",
                 f"Escalation {identifier} is closed but its follow-up was never confirmed. Record "
                 "when it was confirmed, or reopen the escalation.")
        if (record.get("Decided at") is not None and record.get("Follow-up due") is None
                and not closed and not record.has_error("Follow-up due")):
            _add(facility, "LOOP-OPEN", WARNING, record, "Follow-up due",
                 f"Escalation {identifier} has a decision but no follow-up due time and is not closed. "
                 "Set a follow-up (who confirms what, by when) or close it.")


def check_map_consistency(facility: Facility) -> None:
    as_of_date = facility.as_of.date()
    for record in facility.authorization_map:
        authorization = record.get("Authorization status")
        gap = record.get("Gap")
        route = record.get("Route")
        if authorization in ("Denied", "Expired") and gap != "Open":
            _add(facility, "MAP-INCONSISTENT", WARNING, record, "Gap",
                 f"Authorization is {authorization} but no gap is open. Set Gap to Open with Gap noted "
                 "on, so the missing service is tracked until it is resolved.")
        if record.get("Referral status") == "Declined" and gap != "Open":
            _add(facility, "MAP-INCONSISTENT", WARNING, record, "Gap",
                 "The referral was declined but no gap is open. Set Gap to Open with Gap noted on, "
                 "so the missing service is tracked until it is resolved.")
        if route == "Not needed" and record.get("Contact ID") is not None:
            _add(facility, "MAP-INCONSISTENT", WARNING, record, "Contact ID",
                 "Route is Not needed but a contact is named. Clear the contact, or choose the route "
                 "that delivers the service.")
        through = record.get("Authorized through")
        if authorization == "Approved" and through is not None and through < as_of_date:
            _add(facility, "MAP-INCONSISTENT", WARNING, record, "Authorized through",
                 f"The authorization is Approved but ran out on {record.text('Authorized through')}. "
                 "Record the renewal, or set the status to Expired and open a gap.")


# The checks in the order they run. The later ones read only values and the marks
# made while reading cells, so a forked process can run them beside the earlier ones.
# check_consent is an earlier one because it reads marks of check_references (an
# unknown contact in Share with). check_map_consistency could be a later one, and runs
# with the earlier ones so the two processes take about the same time. Each check adds
# problems with codes of its own, so the order in which they run leaves the sorted
# problems unchanged.
EARLIER_CHECKS = (check_workbook_open, check_duplicate_ids, check_duplicate_map_rows, check_references,
                  check_conditional_values, check_consent, check_map_consistency)
LATER_CHECKS = (check_future_moments, check_ranges, check_date_order, check_loops)
