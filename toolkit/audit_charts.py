"""Draw the governance audit charts as PNG images with matplotlib.

matplotlib is imported inside each function, and only its object-oriented API
is used (a Figure drawn on an Agg canvas, no pyplot), so nothing opens a
window, no global figure state is shared, and starting the CLI stays fast.
"""

from __future__ import annotations

import io

from toolkit.audit import INCIDENT_REVIEW, AuditResult, ScopeResult, ESCALATION_RESPONSE, gap_weeks
from toolkit.schema import ESCALATION_CATEGORIES

# Inches at 150 dots per inch: wide enough for the landscape page's text width.
CHART_SIZE = (9.0, 3.4)
DPI = 150

NAVY = "#1F3864"
GREEN = "#2E7D32"
RED = "#C62828"
GREY = "#9E9E9E"
LIGHT_BLUE = "#8EA9DB"
TEXT_GREY = "#595959"


def _new_figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=CHART_SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    # Leaving out the Software entry keeps the bytes the same across matplotlib versions' builds.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _style_axes(axes) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(colors=TEXT_GREY, labelsize=8)


def _no_events(axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes, color=TEXT_GREY, fontsize=10)
    axes.set_xticks([])
    axes.set_yticks([])


def response_by_category_chart(scope: ScopeResult) -> bytes:
    """Draw the share of escalations responded to within standard, one bar per category."""
    figure = _new_figure()
    axes = figure.add_subplot()
    _style_axes(axes)
    axes.set_title("Escalations responded to within standard, by category", fontsize=10, color=NAVY, loc="left")

    categories = list(reversed(ESCALATION_CATEGORIES))
    figures = [scope.figure(ESCALATION_RESPONSE, category) for category in categories]
    if not any(item.denominator for item in figures):
        _no_events(axes, "No escalations were due in the period.")
        return _png(figure)

    shares = [100 * item.value if item.denominator else 0 for item in figures]
    colours = [GREEN if item.value == 1 else NAVY for item in figures]
    axes.barh(categories, shares, color=colours, height=0.6)
    for position, item in enumerate(figures):
        label = f"{item.value:.0%}  ({item.numerator} of {item.denominator})" if item.denominator else "no events"
        axes.text(min(shares[position], 100) + 1.5, position, label, va="center", fontsize=8, color=TEXT_GREY)
    axes.set_xlim(0, 118)
    axes.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    return _png(figure)


def gaps_per_week_chart(result: AuditResult) -> bytes:
    """Draw the service gaps noted and resolved in each week of the period, for all facilities."""
    figure = _new_figure()
    axes = figure.add_subplot()
    _style_axes(axes)
    axes.set_title("Service gaps noted and resolved per week (weeks start on Monday)", fontsize=10,
                   color=NAVY, loc="left")

    events = [event for audit in result.facilities for event in audit.events]
    weeks = gap_weeks(events, result.period)
    if not any(noted or resolved for _, noted, resolved in weeks):
        _no_events(axes, "No service gaps were noted or resolved in the period.")
        return _png(figure)

    positions = range(len(weeks))
    width = 0.4
    axes.bar([p - width / 2 for p in positions], [noted for _, noted, _ in weeks], width, color=RED, label="Noted")
    axes.bar([p + width / 2 for p in positions], [resolved for _, _, resolved in weeks], width, color=GREEN,
             label="Resolved")
    step = max(1, len(weeks) // 14)  # at most about 14 labels, so they stay readable
    axes.set_xticks(list(positions)[::step], [f"{monday:%b %d}" for monday, _, _ in weeks][::step])
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_ylabel("Gaps", fontsize=8, color=TEXT_GREY)
    axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png(figure)


def incident_reviews_chart(scope: ScopeResult) -> bytes:
    """Draw, for each month, the incidents reviewed in time, not in time and still within their window."""
    figure = _new_figure()
    axes = figure.add_subplot()
    _style_axes(axes)
    axes.set_title("Incidents followed by a risk review within the post-incident standard", fontsize=10,
                   color=NAVY, loc="left")

    months = scope.months
    figures = [month.figure(INCIDENT_REVIEW) for month in months]
    if not any(item.denominator or item.not_yet_due for item in figures):
        _no_events(axes, "No incidents in the period.")
        return _png(figure)

    labels = [month.label for month in months]
    on_time = [item.numerator for item in figures]
    late = [item.denominator - item.numerator for item in figures]
    open_window = [item.not_yet_due for item in figures]
    axes.bar(labels, on_time, color=GREEN, label="Reviewed in time", width=0.6)
    axes.bar(labels, late, bottom=on_time, color=RED, label="Not reviewed in time", width=0.6)
    axes.bar(labels, open_window, bottom=[a + b for a, b in zip(on_time, late)], color=GREY,
             label="Review window still open", width=0.6)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_ylabel("Incidents", fontsize=8, color=TEXT_GREY)
    axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png(figure)


def audit_charts(result: AuditResult) -> dict[str, bytes]:
    """Return the three audit charts as PNG bytes, by template field name."""
    return {
        "response_by_category": response_by_category_chart(result.combined),
        "gaps_per_week": gaps_per_week_chart(result),
        "incident_reviews": incident_reviews_chart(result.combined),
    }
