"""Render problem lists and due items as text and JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from itertools import groupby, islice
from json.encoder import encode_basestring as _quote
from typing import TYPE_CHECKING

from toolkit.problems import Problem, count_by_severity

if TYPE_CHECKING:  # imported for annotations only, so `check` does not load the due rules
    from toolkit.due import DueItem


def format_moment(moment: dt.datetime | None) -> str:
    """Return a moment as ``2026-12-04 09:00 EST``, or "" for None."""
    if moment is None:
        return ""
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def problems_text(workbook: str, as_of: dt.datetime, problems: list[Problem], max_problems: int | None = None) -> str:
    """Return the check report as text: one line per problem, grouped by sheet, counts at the end."""
    errors, warnings = count_by_severity(problems)
    lines = [f"Checked {workbook} as of {format_moment(as_of)}"]
    shown = problems if max_problems is None else problems[:max_problems]
    for sheet, group in groupby(shown, key=lambda problem: problem.sheet):
        lines.append("")
        lines.append(sheet or "Workbook")
        for problem in group:
            where = problem.cell or (problem.column and f"[{problem.column}]") or "-"
            # A value quoted in the message may contain line breaks, which are joined so that
            # each problem stays on one line.
            message = " / ".join(problem.message.splitlines())
            lines.append(f"  {where:<8} {problem.severity:<7} {problem.code:<17} {message}")
    if len(shown) < len(problems):
        lines.append("")
        lines.append(
            f"Showing the first {len(shown)} of {len(problems)} problems (--max-problems {max_problems})."
        )
    lines.append("")
    if problems:
        lines.append(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}.")
    else:
        lines.append("No problems found.")
    return "\n".join(lines) + "\n"


def problems_json(workbook: str, as_of: dt.datetime, problems: list[Problem]) -> str:
    """Return the check report as JSON: workbook, as_of, summary and problems."""
    errors, warnings = count_by_severity(problems)
    document = {
        "workbook": workbook,
        "as_of": as_of.isoformat(),
        "summary": {"errors": errors, "warnings": warnings},
        "problems": [problem.to_dict() for problem in problems],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# One line of the due report. The fields are text, and %-formatting pads them in half
# the time an f-string with format specifications takes.
_DUE_LINE = "  %-11s %-16s %-19s %-9s %-22s %-9s %s"


def due_text(workbook: str, facility: str, as_of: dt.datetime, horizon_days: int, items: list[DueItem]) -> str:
    """Return the due report as text, one line per item."""
    lines = [f"Due items for {facility} ({workbook}) as of {format_moment(as_of)}, horizon {horizon_days} days"]
    if not items:
        lines += ["", "Nothing overdue or due soon."]
        return "\n".join(lines) + "\n"
    lines.append("")
    lines.append(f"  {'STATUS':<11} {'DUE':<16} {'CODE':<19} {'RESIDENT':<9} {'REF':<22} {'OWNER':<9} SUMMARY")
    # Many items share a due moment (the end of a day), so each is formatted once. Moments in
    # one zone that compare equal print alike. The zone is part of the key, because a local
    # time can equal FAR_FUTURE, which is in UTC.
    shown_due: dict = {None: "-"}
    for item in items:
        key = None if item.due_at is None else (item.due_at, item.due_at.tzinfo)
        due = shown_due.get(key)
        if due is None:
            due = shown_due[key] = item.due_at.strftime("%Y-%m-%d %H:%M")
        lines.append(_DUE_LINE % (item.status, due, item.code, item.resident_id, item.ref, item.owner or "-",
                                  item.summary))
    counts = {status: sum(1 for item in items if item.status == status)
              for status in ("overdue", "due soon", "unscheduled")}
    lines.append("")
    lines.append(f"{counts['overdue']} overdue, {counts['due soon']} due soon, {counts['unscheduled']} unscheduled.")
    return "\n".join(lines) + "\n"


def due_json(workbook: str, facility: str, as_of: dt.datetime, timezone: str, horizon_days: int,
             items: list[DueItem]) -> str:
    """Return the due report as JSON: workbook, facility, as_of, timezone, horizon_days and items."""
    return "".join(due_json_chunks(workbook, facility, as_of, timezone, horizon_days, item_json_lines(items)))


def due_json_chunks(workbook: str, facility: str, as_of: dt.datetime, timezone: str, horizon_days: int,
                    item_lines: Iterable[str]):
    """Yield the due report's JSON text piece by piece, one item at a time.

    ``item_lines`` are the items' lines, in order: ``item_json_lines`` of the
    items, or ``due.due_json_lines``. Each item is one line, so tens of
    thousands of items never sit in memory as dicts and text at once.
    """
    header = {
        "workbook": workbook,
        "facility": facility,
        "as_of": as_of.isoformat(),
        "timezone": timezone,
        "horizon_days": horizon_days,
    }
    opening = json.dumps(header, indent=2, ensure_ascii=False)[:-2]  # drop the closing "\n}"
    yield opening + ',\n  "items": ['
    # Lines are joined a block at a time: one piece per line took longer than writing them.
    lines = iter(item_lines)
    separator = "\n    "  # before the first item, then a comma before each of the others
    while block := list(islice(lines, _JSON_BLOCK)):
        yield separator + ",\n    ".join(block)
        separator = ",\n    "
    # "]" follows "[" directly when there is no item.
    yield ("]" if separator == "\n    " else "\n  ]") + "\n}\n"


_JSON_BLOCK = 2000


def item_json_lines(items: Iterable[DueItem]) -> Iterator[str]:
    """Yield each item as one line of JSON: the text ``json.dumps(item.to_dict())`` gives.

    The line is put together with json's own string quoting (and its fast C
    encoder): encoding a dict per item was most of the time taken by a report
    of tens of thousands of items.
    """
    # Many items share a due moment (the end of a day), so each is written out once.
    # The key separates moments that compare equal but print differently: the two
    # 01:30s of a fall-back night (fold), and a local time equal to FAR_FUTURE in UTC.
    written_due: dict = {}
    for item in items:
        code, status, resident_id, sheet, row, ref, due_at, owner, summary = item
        if due_at is None:
            due_json = '""'
        else:
            key = (due_at, due_at.fold, due_at.tzinfo)
            due_json = written_due.get(key)
            if due_json is None:
                due_json = written_due[key] = _quote(due_at.isoformat())
        try:
            yield _ITEM_JSON % (_quote(code), _quote(status), _quote(resident_id), _quote(sheet), row, _quote(ref),
                                due_json, _quote(owner), _quote(summary))
        except TypeError:  # a field that is not text, such as a missing resident ID
            yield _encode(item.to_dict())


_encode = json.JSONEncoder(ensure_ascii=False).encode

# One due item in JSON, with the keys in the order of DueItem's fields.
_ITEM_JSON = ('{"code": %s, "status": %s, "resident_id": %s, "sheet": %s, "row": %d, "ref": %s, "due_at": %s, '
              '"owner": %s, "summary": %s}')
