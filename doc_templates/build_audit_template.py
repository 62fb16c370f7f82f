"""Build the default Word template for ``handoff audit``.

Writes ``audit.docx`` beside this script (or into ``--out DIR``) with
python-docx, in the house style of the other templates: it reuses the page,
style, table and reproducible-save helpers of ``build_templates.py``. The
template's fields are listed in ``toolkit/audit_report.py``.

Run from the repository root after changing this script, and commit the
``audit.docx`` it writes::

    python doc_templates/build_audit_template.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from docx.shared import Pt

# The helpers live beside this script, which is run as a file, not as a module of a package.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_templates import (  # noqa: E402
    AGENDA_MARGIN,
    DARK_RED,
    GREY,
    NAVY,
    add_closing_paragraph,
    add_control,
    add_loop_table,
    add_optional_table,
    add_page_field,
    add_text,
    new_document,
    save_reproducibly,
)

FILE_NAME = "audit.docx"
TABLE_SIZE = Pt(8.5)

# Column widths in inches; each tuple adds up to the 9.8 in text width of the landscape page.
SUMMARY_WIDTHS = (2.4, 1.9, 0.8, 0.8, 3.9)
CATEGORY_WIDTHS = (2.2, 1.5, 2.0, 1.8, 1.1, 1.2)
OUTCOME_WIDTHS = (3.0, 3.0)
COMPARISON_WIDTHS = (1.0, 0.85, 1.0, 0.95, 0.9, 0.7, 0.9, 0.8, 0.95, 0.9, 0.85)
SOURCE_WIDTHS = (2.0, 2.0, 1.4, 1.4, 1.4, 0.8, 0.8)


def add_header_lines(document) -> None:
    """Add the title, the facility, period, as-of and workbook lines, and the audience line."""
    add_text(document, [("Governance audit", {"bold": True, "color": NAVY})], size=Pt(16), space_after=Pt(1))
    label = {"color": GREY}
    add_text(
        document,
        [("Facility: ", label), ("{{ facility }}", {"bold": True}), ("     Period: ", label), "{{ period }}",
         ("     As of: ", label), "{{ as_of }}"],
        size=Pt(9.5), space_after=Pt(1),
    )
    add_text(document, [("Source workbooks: ", label), "{{ workbook }}"], size=Pt(9.5), space_after=Pt(1))
    add_text(document, [("{{ audience }}", {"bold": True, "color": DARK_RED})], size=Pt(10), space_after=Pt(4))


def add_chart(document, field: str) -> None:
    """Add a paragraph that contains only the chart image printed from ``charts.<field>``."""
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.space_after = Pt(4)
    paragraph.add_run("{{ charts." + field + " }}")


def add_comparison_table(document, loop: str, first_column: str) -> None:
    """Add a table of the headline results, one row per facility or month."""
    add_loop_table(
        document,
        [
            (first_column, "{{ row.name }}"),
            ("Escalations", "{{ row.escalations }}"),
            ("Responded within standard", "{{ row.response }}"),
            ("Decision documented", "{{ row.decisions }}"),
            ("Follow-ups on time", "{{ row.follow_ups }}"),
            ("Gaps noted", "{{ row.gaps_noted }}"),
            ("Gaps resolved in limit", "{{ row.gaps_in_limit }}"),
            ("Incidents", "{{ row.incidents }}"),
            ("Risk review in time", "{{ row.reviews }}"),
            ("Controls changed", "{{ row.controls }}"),
            ("Maps in time", "{{ row.maps }}"),
        ],
        COMPARISON_WIDTHS,
        f"row in {loop}",
        TABLE_SIZE,
    )


def add_audit_footer(document) -> None:
    """Add a footer with the document name, facility, period and page numbers."""
    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.text = ""
    paragraph.add_run("INTERNAL").bold = True
    paragraph.add_run("   ·   Governance audit, ")
    paragraph.add_run("{{ facility }}")
    paragraph.add_run(", ")
    paragraph.add_run("{{ period }}")
    paragraph.add_run("   ·   Page ")
    add_page_field(paragraph, "PAGE")
    paragraph.add_run(" of ")
    add_page_field(paragraph, "NUMPAGES")


def build_audit() -> object:
    """Build the governance audit template."""
    document = new_document("Governance audit", AGENDA_MARGIN)
    add_header_lines(document)

    document.add_paragraph("Summary", style="Heading 1")
    add_loop_table(
        document,
        [
            ("Measure", "{{ s.measure }}"),
            ("Result", "{{ s.result }}"),
            ("Not yet due", "{{ s.not_yet_due }}"),
            ("Excluded (errors)", "{{ s.excluded }}"),
            ("How counted", "{{ s.how }}"),
        ],
        SUMMARY_WIDTHS,
        "s in summary",
        TABLE_SIZE,
    )

    document.add_paragraph("Escalations", style="Heading 1")
    add_chart(document, "response_by_category")
    document.add_paragraph("Response within standard, by category", style="Heading 2")
    add_loop_table(
        document,
        [
            ("Category", "{{ c.category }}"),
            ("Standard", "{{ c.standard }}"),
            ("Within standard", "{{ c.result }}"),
            ("Median response", "{{ c.median }}"),
            ("Not yet due", "{{ c.not_yet_due }}"),
            ("Excluded (errors)", "{{ c.excluded }}"),
        ],
        CATEGORY_WIDTHS,
        "c in categories",
        TABLE_SIZE,
    )
    document.add_paragraph("Outcomes of the escalations opened in the period", style="Heading 2")
    add_loop_table(
        document,
        [("Outcome", "{{ o.outcome }}"), ("Escalations", "{{ o.result }}")],
        OUTCOME_WIDTHS,
        "o in outcomes",
        TABLE_SIZE,
    )

    document.add_paragraph("Service gaps", style="Heading 1")
    add_chart(document, "gaps_per_week")

    document.add_paragraph("Incidents and risk reviews", style="Heading 1")
    add_chart(document, "incident_reviews")

    add_control(document, "{%p if by_facility %}")
    document.add_paragraph("By facility", style="Heading 1")
    add_comparison_table(document, "by_facility", "Facility")
    add_control(document, "{%p endif %}")

    document.add_paragraph("By month", style="Heading 1")
    add_optional_table(
        document, "months", lambda: add_comparison_table(document, "months", "Month"), "No months in the period.",
    )

    document.add_paragraph("Source workbooks", style="Heading 1")
    add_loop_table(
        document,
        [
            ("Workbook", "{{ w.workbook }}"),
            ("Facility", "{{ w.facility }}"),
            ("Time zone", "{{ w.timezone }}"),
            ("As of", "{{ w.as_of }}"),
            ("Deadlines judged at", "{{ w.cutoff }}"),
            ("Check errors", "{{ w.errors }}"),
            ("Rows excluded", "{{ w.excluded }}"),
        ],
        SOURCE_WIDTHS,
        "w in sources",
        TABLE_SIZE,
    )

    document.add_paragraph("How the figures are counted", style="Heading 1")
    add_control(document, "{%p for note in notes %}")
    add_text(document, ["•  ", "{{ note }}"], space_after=Pt(2))
    add_control(document, "{%p endfor %}")

    add_audit_footer(document)
    add_closing_paragraph(document)
    return document


def build(folder: Path) -> Path:
    """Write ``audit.docx`` into ``folder`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / FILE_NAME
    save_reproducibly(build_audit(), target)
    return target


def main() -> None:
    """Parse ``--out`` and build the template."""
    parser = argparse.ArgumentParser(description="Build the default Word template for handoff audit.")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="folder to write audit.docx to (default: the folder of this script)",
    )
    print(f"wrote {build(parser.parse_args().out)}")


if __name__ == "__main__":
    main()
