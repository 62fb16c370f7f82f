"""Write the governance audit: a Word report with charts and a workbook of every figure.

``write_audit`` puts ``governance-audit.docx`` and ``governance-audit.xlsx``
into the output folder together, through a staging folder, so a failure
leaves the folder as it was. The report is internal and names no resident:
events are identified by Escalation ID, Incident ID or sheet row.

Fields of the ``audit`` Word template (every value is text unless stated):

- ``facility``, ``period``, ``as_of``, ``workbook`` (the source file names),
  ``audience``, ``internal`` (always True).
- ``summary``: one entry per headline measure with ``measure``, ``result``,
  ``not_yet_due``, ``excluded``, ``how``.
- ``categories``: one entry per escalation category with ``category``,
  ``standard``, ``result``, ``median``, ``not_yet_due``, ``excluded``.
- ``outcomes``: ``outcome``, ``result``.
- ``sources``: one entry per workbook with ``workbook``, ``facility``,
  ``timezone``, ``as_of``, ``cutoff``, ``errors``, ``excluded``.
- ``by_facility`` (empty for one workbook) and ``months``: ``name`` and one
  result text per column: ``escalations``, ``response``, ``decisions``,
  ``follow_ups``, ``gaps_noted``, ``gaps_in_limit``, ``incidents``,
  ``reviews``, ``controls``, ``maps``.
- ``notes``: lines of text on how the figures were counted.
- ``charts``: ``response_by_category``, ``gaps_per_week``,
  ``incident_reviews``, each a ChartImage.
"""

from __future__ import annotations

import os
from pathlib import Path

from toolkit import audit
from toolkit.audit import AuditResult, Event, FacilityAudit, Figure, ScopeResult
from toolkit.files import atomic_path
from toolkit.report import format_moment
from toolkit.schema import ESCALATION_CATEGORIES

REPORT_NAME = "governance-audit.docx"
WORKBOOK_NAME = "governance-audit.xlsx"

AUDIENCE = "INTERNAL: for governance leads. Residents are not named; events are identified by ID or sheet row."

# The chart width on the landscape page, whose text is 9.8 inches wide.
CHART_WIDTH_MM = 228.6

# Columns of the per-facility and per-month tables: context field and measure key.
TABLE_COLUMNS = (
    ("escalations", audit.ESCALATIONS_OPENED),
    ("response", audit.ESCALATION_RESPONSE),
    ("decisions", audit.ESCALATION_DECISION),
    ("follow_ups", audit.FOLLOW_UP_ON_TIME),
    ("gaps_noted", audit.GAPS_NOTED),
    ("gaps_in_limit", audit.GAPS_WITHIN_LIMIT),
    ("incidents", audit.INCIDENTS),
    ("reviews", audit.INCIDENT_REVIEW),
    ("controls", audit.INCIDENT_CONTROLS),
    ("maps", audit.MAP_COMPLETE),
)

NOTES = (
    "Deadlines are judged at the end of the period, or at the as-of time when that is earlier. An event "
    "whose deadline lies after that is counted as not yet due and left out of its share.",
    "Rows with an error in a cell a measure reads (a duplicate ID, an unknown Resident ID, an unreadable "
    "date) are left out of that measure and counted as excluded. The command handoff check lists them.",
    "The standards and settings used are those in each workbook now, not at the time of each event.",
    "The workbook keeps only the latest Last reviewed on and Controls changed on of each risk, and the "
    "latest gap of each map row. A review or gap overwritten since cannot be counted.",
    "A map row has no date it was added, so a map counts as in place by its due day when each core row "
    "has a dated entry by then, or a check-in of the resident was held between the anchor date and then.",
)


# ---------------------------------------------------------------- Word report


def _figure_row(figure: Figure) -> dict:
    return {
        "measure": figure.label,
        "result": figure.result_text,
        "not_yet_due": str(figure.not_yet_due) if figure.not_yet_due else "",
        "excluded": str(figure.excluded) if figure.excluded else "",
        "how": figure.how_counted,
    }


def _table_row(name: str, scope) -> dict:
    row = {"name": name}
    for field, key in TABLE_COLUMNS:
        row[field] = scope.figure(key).result_text
    return row


def _standard_text(result: AuditResult, category: str) -> str:
    """Return a category's response standard, or its range when the workbooks differ."""
    standards = [facility_audit.standards.get(category) for facility_audit in result.facilities]
    known = sorted({hours for hours in standards if hours is not None})
    if not known:
        return "not usable"
    text = f"{known[0]:g} h" if len(known) == 1 else f"{known[0]:g}–{known[-1]:g} h (varies)"
    if None in standards:
        text += "; not usable in some workbooks"
    return text


def _cutoff_text(facility_audit: FacilityAudit, period) -> str:
    """Return when deadlines were judged: the end of the period, or the as-of moment when earlier."""
    # The end of the period is stored as the first moment of the next day.
    if facility_audit.cutoff.date() > period.end:
        return f"end of {period.end:%Y-%m-%d}"
    return format_moment(facility_audit.cutoff)


def _facility_names(result: AuditResult) -> list[str]:
    """Return each workbook's facility name, with the file name added where two facilities share a name."""
    names = [facility_audit.facility for facility_audit in result.facilities]
    return [
        f"{name} ({facility_audit.workbook.name})" if names.count(name) > 1 else name
        for name, facility_audit in zip(names, result.facilities)
    ]


# Above this many facilities the header names only their number; the Source workbooks table lists them.
MAX_NAMED_FACILITIES = 3


def _facility_label(result: AuditResult) -> str:
    """Return the facility line of the header: its name, or how many facilities and which."""
    names = list(dict.fromkeys(facility_audit.facility for facility_audit in result.facilities))
    count = len(result.facilities)
    if count == 1:
        return names[0]
    if len(names) > MAX_NAMED_FACILITIES:
        return f"{count} facilities (listed under Source workbooks)"
    return f"{count} facilities: {', '.join(names)}"


def audit_context(result: AuditResult, charts: dict[str, bytes]) -> dict:
    """Return the ``audit`` template context for ``result`` with the chart images."""
    from toolkit.documents import ChartImage

    combined = result.combined
    as_of_texts = list(dict.fromkeys(format_moment(facility_audit.as_of) for facility_audit in result.facilities))
    categories = []
    for category in ESCALATION_CATEGORIES:
        share = combined.figure(audit.ESCALATION_RESPONSE, category)
        median = combined.figure(audit.ESCALATION_RESPONSE_HOURS, category)
        categories.append({
            "category": category,
            "standard": _standard_text(result, category),
            "result": share.result_text,
            "median": median.result_text,
            "not_yet_due": str(share.not_yet_due) if share.not_yet_due else "",
            "excluded": str(share.excluded) if share.excluded else "",
        })
    several = len(result.facilities) > 1
    notes = list(NOTES)
    if several:
        notes.append("Figures for all facilities count the events of every workbook together; each "
                     "facility's dates are in its own time zone.")
    return {
        "facility": _facility_label(result),
        "period": result.period.label,
        "as_of": "; ".join(as_of_texts),
        "workbook": ", ".join(facility_audit.workbook.name for facility_audit in result.facilities),
        "audience": AUDIENCE,
        "internal": True,
        "summary": [_figure_row(combined.figure(key)) for key in audit.HEADLINE_MEASURES],
        "categories": categories,
        "outcomes": [
            {"outcome": outcome, "result": combined.figure(audit.ESCALATION_OUTCOME, outcome).result_text}
            for outcome in audit.OUTCOME_GROUPS
        ],
        "sources": [
            {
                "workbook": facility_audit.workbook.name,
                "facility": facility_audit.facility,
                "timezone": facility_audit.timezone,
                "as_of": format_moment(facility_audit.as_of),
                "cutoff": _cutoff_text(facility_audit, result.period),
                "errors": str(facility_audit.errors),
                "excluded": str(facility_audit.excluded),
            }
            for facility_audit in result.facilities
        ],
        "by_facility": [_table_row(name, fa.result) for name, fa in zip(_facility_names(result), result.facilities)]
        if several else [],
        "months": [_table_row(month.label, month) for month in combined.months],
        "notes": notes,
        "charts": {name: ChartImage(png, CHART_WIDTH_MM) for name, png in charts.items()},
    }


# ---------------------------------------------------------------- workbook

FIGURE_COLUMNS = ("Facility", "Workbook", "Measure", "Group", "Result", "Numerator", "Denominator", "Value", "Unit",
                  "Not yet due", "Excluded", "How counted")
MONTH_COLUMNS = ("Facility", "Workbook", "Month", *FIGURE_COLUMNS[2:])
EVENT_COLUMNS = ("Facility", "Workbook", "Measure", "Group", "Date", "Result", "Reference", "Sheet", "Row",
                 "Amount", "Note")


def _figure_values(figure: Figure) -> list:
    return [figure.label, figure.group, figure.result_text, figure.numerator, figure.denominator, figure.value,
            figure.unit, figure.not_yet_due, figure.excluded, figure.how_counted]


def _write_rows(sheet, columns: tuple[str, ...], rows: list[list], widths: tuple[int, ...],
                number_formats: dict[str, str]) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    from toolkit.spreadsheets import HEADER_FILL, set_text

    for index, name in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        set_text(cell, name)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
    formats = {columns.index(name) + 1: number_format for name, number_format in number_formats.items()}
    for row_number, values in enumerate(rows, start=2):
        for column_number, value in enumerate(values, start=1):
            cell = sheet.cell(row=row_number, column=column_number)
            set_text(cell, value)
            if column_number in formats:
                cell.number_format = formats[column_number]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"


def _scopes(result: AuditResult) -> list[tuple[str, str, ScopeResult]]:
    """Return (facility, workbook file name, figures) of each workbook, then of all together when several."""
    scopes = [(fa.facility, fa.workbook.name, fa.result) for fa in result.facilities]
    if len(result.facilities) > 1:
        scopes.append((result.combined.name, "", result.combined))
    return scopes


def _value_format(figure: Figure) -> str:
    return "0%" if figure.kind == audit.SHARE else "0.0"


def write_audit_workbook(result: AuditResult, out: Path) -> Path:
    """Write the audit workbook: About, By facility, By month and Events sheets."""
    import openpyxl
    from openpyxl.styles import Font

    from toolkit.spreadsheets import set_text

    book = openpyxl.Workbook()
    about = book.active
    about.title = "About"
    set_text(about.cell(row=1, column=1), "Governance audit")
    about.cell(row=1, column=1).font = Font(bold=True, size=13)
    lines = [
        ("Facility", _facility_label(result)),
        ("Period", result.period.label),
        ("As of", "; ".join(dict.fromkeys(format_moment(fa.as_of) for fa in result.facilities))),
        ("Workbooks", ", ".join(fa.workbook.name for fa in result.facilities)),
        ("Audience", AUDIENCE),
    ]
    lines += [("Note", note) for note in NOTES]
    for row_number, (label, text) in enumerate(lines, start=3):
        set_text(about.cell(row=row_number, column=1), label)
        set_text(about.cell(row=row_number, column=2), text)
    about.column_dimensions["A"].width = 12
    about.column_dimensions["B"].width = 120

    figure_widths = (26, 22, 44, 24, 30, 11, 12, 9, 7, 11, 9, 100)
    scopes = _scopes(result)
    rows, value_formats = [], []
    for name, workbook, scope in scopes:
        for figure in scope.figures:
            rows.append([name, workbook, *_figure_values(figure)])
            value_formats.append(_value_format(figure))
    sheet = book.create_sheet("By facility")
    _write_rows(sheet, FIGURE_COLUMNS, rows, figure_widths, {})
    _format_values(sheet, FIGURE_COLUMNS.index("Value") + 1, value_formats)

    rows, value_formats = [], []
    for name, workbook, scope in scopes:
        for month in scope.months:
            for figure in month.figures:
                rows.append([name, workbook, month.label, *_figure_values(figure)])
                value_formats.append(_value_format(figure))
    sheet = book.create_sheet("By month")
    _write_rows(sheet, MONTH_COLUMNS, rows, (*figure_widths[:2], 10, *figure_widths[2:]), {})
    _format_values(sheet, MONTH_COLUMNS.index("Value") + 1, value_formats)

    rows = [_event_values(facility_audit, event) for facility_audit in result.facilities
            for event in facility_audit.events]
    sheet = book.create_sheet("Events")
    _write_rows(sheet, EVENT_COLUMNS, rows, (26, 22, 44, 24, 11, 11, 24, 18, 6, 8, 60),
                {"Date": "yyyy-mm-dd", "Amount": "0.0"})

    with atomic_path(out) as temporary:
        book.save(temporary)
    return out


def _format_values(sheet, column: int, number_formats: list[str]) -> None:
    for row_number, number_format in enumerate(number_formats, start=2):
        sheet.cell(row=row_number, column=column).number_format = number_format


def _event_values(facility_audit: FacilityAudit, event: Event) -> list:
    return [facility_audit.facility, facility_audit.workbook.name, audit.MEASURES[event.measure].label,
            event.group, event.day, event.result, event.reference, event.sheet, event.row, event.amount,
            event.note]


# ---------------------------------------------------------------- both files


def write_audit(result: AuditResult, out_dir: Path, templates_dir: str | os.PathLike | None = None) -> list[Path]:
    """Write the audit report and workbook into ``out_dir`` and return their paths.

    Both files are written to a staging folder first and moved in only when
    both succeeded.
    """
    from toolkit.audit_charts import audit_charts
    from toolkit.documents import DocumentRenderer
    from toolkit.pack import staging_folder

    renderer = DocumentRenderer(templates_dir)
    context = audit_context(result, audit_charts(result))
    with staging_folder(out_dir) as staging:
        renderer.render("audit", context, staging / REPORT_NAME)
        write_audit_workbook(result, staging / WORKBOOK_NAME)
    return [out_dir / REPORT_NAME, out_dir / WORKBOOK_NAME]
