"""Build the default Word templates for ``handoff docs``.

Writes ``one_pager.docx``, ``agenda.docx``, ``escalation_note.docx`` and
``risk_summary.docx`` beside this script (or into ``--out DIR``) with python-docx. The files are docxtpl templates: ``{{ name }}``
prints a field, ``{%p ... %}`` controls a whole paragraph and ``{%tr ... %}`` a
whole table row. The field names are listed in README.md beside this script.

Run from the repository root after changing this script, and commit the
``.docx`` files it writes::

    python doc_templates/build_templates.py

The output is reproducible: document properties carry a fixed date and the
zip entries a fixed timestamp, so rebuilding unchanged code with the same
python-docx version gives the same document parts. The version is recorded in
each file's "version" document property.
"""

from __future__ import annotations

import argparse
import datetime
import io
import zipfile
from pathlib import Path

import docx
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor

FONT = "Calibri"
BODY_SIZE = Pt(10.5)
ONE_PAGER_TABLE_SIZE = Pt(8.5)
AGENDA_TABLE_SIZE = Pt(9)

NAVY = RGBColor(0x1F, 0x38, 0x64)
GREY = RGBColor(0x59, 0x59, 0x59)
DARK_RED = RGBColor(0xC0, 0x00, 0x00)
HEADER_FILL = "D9E2F3"
LABEL_FILL = "F2F2F2"
BORDER_COLOR = "A6A6A6"
GAP_FILL = "F8D7DA"
WARNING_FILL = "FFF3CD"

# Fixed metadata so that two builds of the same code are identical. The
# python-docx version is recorded because another version may write other XML.
GENERATOR = f"python-docx {docx.__version__}"
BUILD_DATE = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)

# Letter landscape: 11 in wide, so 10 in of text width between 0.5 in margins.
ONE_PAGER_MARGIN = Inches(0.5)
AGENDA_MARGIN = Inches(0.6)
# Letter portrait: 8.5 in wide, so 7.3 in of text width between 0.6 in margins.
NOTE_MARGIN = Inches(0.6)
NOTE_TABLE_SIZE = Pt(9.5)
RISK_TABLE_SIZE = Pt(9)


# ---------------------------------------------------------------- document setup


def new_document(title: str, margin, landscape: bool = True) -> Document:
    """Create a Letter document, landscape or portrait, with the house fonts and styles."""
    document = Document()

    section = document.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width = Inches(11)
        section.page_height = Inches(8.5)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width = Inches(8.5)
        section.page_height = Inches(11)
    section.top_margin = margin
    section.bottom_margin = margin
    section.left_margin = margin
    section.right_margin = margin
    section.header_distance = Inches(0.3)
    section.footer_distance = Inches(0.3)

    configure_styles(document)

    properties = document.core_properties
    properties.title = title
    properties.subject = "Handoff toolkit document template"
    properties.author = "Handoff toolkit"
    properties.last_modified_by = "Handoff toolkit"
    properties.comments = ""
    properties.keywords = ""
    properties.revision = 1
    properties.version = GENERATOR
    properties.created = BUILD_DATE
    properties.modified = BUILD_DATE
    return document


def set_style_font(style, size, bold=None, color=None) -> None:
    """Set a style's font to Calibri at ``size``, for Latin and East Asian text."""
    style.font.name = FONT
    style.font.size = size
    if bold is not None:
        style.font.bold = bold
    if color is not None:
        style.font.color.rgb = color
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), FONT)
    # Heading styles of the default template name a theme font, which would win.
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)


def configure_styles(document) -> None:
    """Set Normal, headings, header and footer to compact Calibri styles."""
    styles = document.styles

    normal = styles["Normal"]
    set_style_font(normal, BODY_SIZE)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(2)
    normal.paragraph_format.line_spacing = 1.0

    heading_sizes = {"Heading 1": (Pt(13), Pt(10)), "Heading 2": (Pt(10.5), Pt(6))}
    for name, (size, space_before) in heading_sizes.items():
        heading = styles[name]
        set_style_font(heading, size, bold=True, color=NAVY)
        heading.font.italic = False
        heading.paragraph_format.space_before = space_before
        heading.paragraph_format.space_after = Pt(2)
        heading.paragraph_format.keep_with_next = True

    for name in ("Header", "Footer"):
        set_style_font(styles[name], Pt(8), color=GREY)


# ---------------------------------------------------------------- paragraphs


def add_text(container, parts, size=None, space_after=None, style=None):
    """Add a paragraph made of ``parts``: strings, or (text, options) pairs.

    Options are ``bold``, ``color`` and ``size``. Each docxtpl tag should sit
    in a part of its own, so that Word keeps it in one run when restyled.
    """
    paragraph = container.add_paragraph(style=style)
    if space_after is not None:
        paragraph.paragraph_format.space_after = space_after
    for part in parts:
        text, options = (part, {}) if isinstance(part, str) else part
        run = paragraph.add_run(text)
        run.font.size = options.get("size", size)
        if options.get("bold"):
            run.bold = True
        if "color" in options:
            run.font.color.rgb = options["color"]
    return paragraph


def add_control(container, tag: str):
    """Add a paragraph that contains only a ``{%p ... %}`` tag, which docxtpl removes."""
    paragraph = container.add_paragraph()
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.add_run(tag).font.size = Pt(8)
    return paragraph


def add_title(document, title: str) -> None:
    """Add the document title and the facility, as-of, workbook and audience lines."""
    add_text(document, [(title, {"bold": True, "color": NAVY})], size=Pt(16), space_after=Pt(1))

    label = {"color": GREY}
    add_text(
        document,
        [
            ("Facility: ", label),
            ("{{ facility }}", {"bold": True}),
            ("     As of: ", label),
            "{{ as_of }}",
            ("     Source workbook: ", label),
            "{{ workbook }}",
        ],
        size=Pt(9.5),
        space_after=Pt(1),
    )

    # Internal documents show the audience line in red, partner documents in navy.
    add_control(document, "{%p if internal %}")
    add_text(document, [("{{ audience }}", {"bold": True, "color": DARK_RED})], size=Pt(10), space_after=Pt(4))
    add_control(document, "{%p else %}")
    add_text(document, [("{{ audience }}", {"bold": True, "color": NAVY})], size=Pt(10), space_after=Pt(4))
    add_control(document, "{%p endif %}")


def add_spacer(container, size):
    """Add an empty paragraph ``size`` high, which keeps two tables from joining."""
    paragraph = container.add_paragraph()
    paragraph.paragraph_format.space_after = Pt(0)
    # An empty paragraph is as tall as its paragraph mark, so size the mark.
    mark = OxmlElement("w:rPr")
    for name in ("w:sz", "w:szCs"):
        element = OxmlElement(name)
        element.set(qn("w:val"), str(int(size.pt * 2)))
        mark.append(element)
    paragraph._p.get_or_add_pPr().append(mark)
    return paragraph


def add_closing_paragraph(document) -> None:
    """End the body with a tiny empty paragraph, because Word expects one after a table."""
    add_spacer(document, Pt(1))


def add_page_field(paragraph, instruction: str) -> None:
    """Append a Word field such as PAGE or NUMPAGES to ``paragraph``."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def add_footer(document, document_name: str) -> None:
    """Add a footer with the audience, facility, as-of time and page numbers."""
    footer = document.sections[0].footer
    paragraph = footer.paragraphs[0]
    paragraph.text = ""
    paragraph.add_run("{{ audience }}").bold = True
    paragraph.add_run(f"   ·   {document_name}, ")
    paragraph.add_run("{{ facility }}")
    paragraph.add_run(", as of ")
    paragraph.add_run("{{ as_of }}")
    paragraph.add_run("   ·   Page ")
    add_page_field(paragraph, "PAGE")
    paragraph.add_run(" of ")
    add_page_field(paragraph, "NUMPAGES")


# ---------------------------------------------------------------- tables


# The OOXML schema fixes the order of table and cell properties, and Word may
# reject a file that breaks it, so new elements go before their successors.
TBLPR_AFTER_CELL_MARGINS = ("w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")
TCPR_AFTER_SHADING = (
    "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark",
    "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange",
)


def set_cell_fill(cell, fill: str) -> None:
    """Shade a table cell with the hex colour ``fill``."""
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.insert_element_before(shading, *TCPR_AFTER_SHADING)


def set_table_borders(table) -> None:
    """Draw thin grey borders around and inside every cell of ``table``."""
    properties = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        border = OxmlElement(f"w:{edge}")
        border.set(qn("w:val"), "single")
        border.set(qn("w:sz"), "4")
        border.set(qn("w:space"), "0")
        border.set(qn("w:color"), BORDER_COLOR)
        borders.append(border)
    properties.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", *TBLPR_AFTER_CELL_MARGINS)


def set_cell_margins(table, top: int, side: int) -> None:
    """Set the default cell margins of ``table``, in twentieths of a point."""
    properties = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for edge, width in (("top", top), ("left", side), ("bottom", top), ("right", side)):
        margin = OxmlElement(f"w:{edge}")
        margin.set(qn("w:w"), str(width))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    properties.insert_element_before(margins, *TBLPR_AFTER_CELL_MARGINS)


def set_row_flag(row, flag: str) -> None:
    """Set a row property without a value: ``tblHeader`` or ``cantSplit``."""
    properties = row._tr.get_or_add_trPr()
    element = OxmlElement(f"w:{flag}")
    properties.append(element)


def new_table(container, widths, rows: int):
    """Add a fixed-layout table of ``rows`` rows with column ``widths`` in inches."""
    table = container.add_table(rows=rows, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    set_table_borders(table)
    set_cell_margins(table, top=20, side=70)
    for row in table.rows:
        set_row_flag(row, "cantSplit")
        for cell, width in zip(row.cells, widths):
            cell.width = Inches(width)
    for column, width in zip(table.columns, widths):
        column.width = Inches(width)
    return table


def write_cell(cell, parts, size, bold=False, fill=None) -> None:
    """Replace the text of ``cell`` with ``parts`` (see ``add_text``) at ``size``."""
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.space_after = Pt(0)
    for part in [parts] if isinstance(parts, str) else parts:
        text, options = (part, {}) if isinstance(part, str) else part
        run = paragraph.add_run(text)
        run.font.size = size
        run.bold = bold or options.get("bold", False) or None
    if fill:
        set_cell_fill(cell, fill)


def add_loop_table(container, columns, widths, loop: str, size, fills=None):
    """Add a table with a header row and one data row repeated by ``loop``.

    ``columns`` pairs each header with the cell text of the data row, and
    ``loop`` is the ``for`` clause, e.g. ``"d in domains"``. ``fills`` maps a
    column index to a docxtpl ``cellbg`` expression that colours that cell.
    """
    fills = fills or {}
    table = new_table(container, widths, rows=4)
    header, opening, data, closing = table.rows

    set_row_flag(header, "tblHeader")
    for cell, (title, _) in zip(header.cells, columns):
        write_cell(cell, title, size, bold=True, fill=HEADER_FILL)

    write_cell(opening.cells[0], "{%tr for " + loop + " %}", size)
    for index, (cell, (_, text)) in enumerate(zip(data.cells, columns)):
        parts = [text]
        if index in fills:
            parts.insert(0, "{% cellbg " + fills[index] + " %}")
        write_cell(cell, parts, size)
    write_cell(closing.cells[0], "{%tr endfor %}", size)
    return table


def add_optional_table(container, condition: str, build, empty_text: str) -> None:
    """Add the table made by ``build`` when ``condition`` holds, else ``empty_text``."""
    add_control(container, "{%p if " + condition + " %}")
    build()
    add_control(container, "{%p else %}")
    add_text(container, [(empty_text, {"color": GREY})])
    add_control(container, "{%p endif %}")


# Column widths in inches. Each tuple adds up to the text width of its page.
ONE_PAGER_DUE_ITEM_WIDTHS = (0.8, 1.3, 1.45, 1.15, 1.6, 3.7)
AGENDA_DUE_ITEM_WIDTHS = (0.8, 1.3, 1.45, 1.15, 1.6, 3.5)


def add_due_items_table(container, items: str, widths, size) -> None:
    """Add the due-items table for the list named ``items``, with overdue cells in red."""
    add_loop_table(
        container,
        [
            ("Status", "{{ item.status }}"),
            ("Due", "{{ item.due_at }}"),
            ("Code", "{{ item.code }}"),
            ("Reference", "{{ item.ref }}"),
            ("Owner", "{{ item.owner }}"),
            ("What is due", "{{ item.summary }}"),
        ],
        widths,
        f"item in {items}",
        size,
        fills={0: f"'{GAP_FILL}' if item.status == 'overdue' else 'auto'"},
    )


# ---------------------------------------------------------------- one-pager


def add_resident_table(document, size) -> None:
    """Add the two-row resident block: name, ID, room, status, anchor, case manager."""
    widths = (0.95, 2.4, 0.95, 1.2, 0.95, 1.0, 0.95, 1.6)
    table = new_table(document, widths, rows=2)
    first, second = table.rows

    labels_and_values = [
        ("Resident", "{{ resident.name }}"),
        ("Resident ID", "{{ resident.resident_id }}"),
        ("Room", "{{ resident.room }}"),
        ("Status", "{{ resident.status }}"),
    ]
    for index, (label, value) in enumerate(labels_and_values):
        write_cell(first.cells[2 * index], label, size, bold=True, fill=LABEL_FILL)
        write_cell(first.cells[2 * index + 1], value, size, bold=index == 0)

    case_manager = second.cells[5].merge(second.cells[7])
    write_cell(second.cells[0], "Anchor date", size, bold=True, fill=LABEL_FILL)
    write_cell(second.cells[1], "{{ resident.anchor_date }}", size)
    write_cell(second.cells[2], "Transition", size, bold=True, fill=LABEL_FILL)
    write_cell(second.cells[3], "{{ resident.transition }}", size)
    write_cell(second.cells[4], "Case manager", size, bold=True, fill=LABEL_FILL)
    write_cell(case_manager, "{{ resident.case_manager }}", size)


def build_one_pager() -> Document:
    """Build the one-page service authorization map for one resident."""
    document = new_document("Service authorization map", ONE_PAGER_MARGIN)
    size = ONE_PAGER_TABLE_SIZE

    def add_note_if(field: str) -> None:
        """Add a grey paragraph printing ``field`` when it is not empty (rows left off the page)."""
        add_control(document, "{%p if " + field + " %}")
        add_text(document, [("{{ " + field + " }}", {"color": GREY})], size=size)
        add_control(document, "{%p endif %}")

    add_title(document, "Service authorization map")
    add_resident_table(document, Pt(9))

    document.add_paragraph("Who does what, by support domain", style="Heading 2")
    add_optional_table(
        document,
        "domains",
        lambda: add_loop_table(
            document,
            [
                ("Domain", "{{ d.domain }}"),
                ("Route", "{{ d.route }}"),
                ("Provider", "{{ d.provider }}"),
                ("Named contact", "{{ d.contact }}"),
                ("Phone", "{{ d.phone }}"),
                ("Service state", "{{ d.state }}"),
                ("Authorization", "{{ d.authorization }}"),
                ("Respond within", "{{ d.response_standard }}"),
                ("If the service is missed", "{{ d.if_missed }}"),
            ],
            # toolkit/page_fit.py estimates row heights from these widths: change both together.
            (0.95, 0.9, 1.1, 1.3, 0.9, 0.85, 1.05, 0.55, 2.4),
            "d in domains",
            size,
            fills={
                5: f"'{GAP_FILL}' if d.state in ('Gap', 'Missing') else "
                f"('{WARNING_FILL}' if d.state == 'Not confirmed' else 'auto')"
            },
        ),
        "No support domains are mapped for this resident yet.",
    )
    add_note_if("more_domains")

    document.add_paragraph("Open due items", style="Heading 2")
    add_control(document, "{%p if due_items or more_due_items %}")
    add_control(document, "{%p if due_items %}")
    add_due_items_table(document, "due_items", ONE_PAGER_DUE_ITEM_WIDTHS, size)
    add_control(document, "{%p endif %}")
    add_note_if("more_due_items")
    add_control(document, "{%p else %}")
    add_text(document, [("No open items.", {"color": GREY})])
    add_control(document, "{%p endif %}")

    add_footer(document, "Service authorization map")
    add_closing_paragraph(document)
    return document


# ---------------------------------------------------------------- agenda

OPEN_ITEM_ROWS = (
    ("Unconfirmed starts", "unconfirmed_starts"),
    ("Pending authorizations", "pending_authorizations"),
    ("Pending referrals", "pending_referrals"),
    ("Open service gaps", "open_gaps"),
    ("Open escalations", "open_escalations"),
    ("Risks due for review", "risks_due"),
    ("Incidents since last check-in", "incidents_since"),
)


def add_open_items_table(document, size) -> None:
    """Add a two-column table with one row per non-empty open-item list of ``r``."""
    widths = (2.0, 7.8)
    table = new_table(document, widths, rows=3 * len(OPEN_ITEM_ROWS))
    rows = iter(table.rows)
    for label, field in OPEN_ITEM_ROWS:
        opening, data, closing = next(rows), next(rows), next(rows)
        write_cell(opening.cells[0], f"{{%tr if r.{field} %}}", size)
        write_cell(data.cells[0], label, size, bold=True, fill=LABEL_FILL)
        # docxtpl turns each line break inside a value into a Word line break.
        write_cell(data.cells[1], f"{{{{ r.{field}|join('\\n') }}}}", size)
        write_cell(closing.cells[0], "{%tr endif %}", size)


def build_agenda() -> Document:
    """Build the weekly check-in agenda for a facility or one partner."""
    document = new_document("Weekly check-in agenda", AGENDA_MARGIN)
    size = AGENDA_TABLE_SIZE

    add_title(document, "Weekly check-in agenda")
    add_text(
        document,
        [
            ("Due items:  ", {"color": GREY}),
            ("{{ counts.overdue }}", {"bold": True, "color": DARK_RED}),
            " overdue   ·   ",
            ("{{ counts.due_soon }}", {"bold": True}),
            " due soon   ·   ",
            ("{{ counts.unscheduled }}", {"bold": True}),
            " unscheduled",
        ],
        space_after=Pt(2),
    )
    add_text(
        document,
        [("Attendees: ", {"color": GREY}), "_" * 90],
        space_after=Pt(2),
    )

    document.add_paragraph("1. Residents under weekly review", style="Heading 1")
    add_optional_table(
        document,
        "weekly_review",
        lambda: add_loop_table(
            document,
            [
                ("Resident ID", "{{ w.resident_id }}"),
                ("Name", "{{ w.name }}"),
                ("Room", "{{ w.room }}"),
                ("Anchor date", "{{ w.anchor_date }}"),
                ("Transition", "{{ w.transition }}"),
                ("Last review", "{{ w.last_review }}"),
                ("Next review", "{{ w.next_review }}"),
            ],
            (1.1, 2.4, 0.8, 1.2, 1.7, 1.3, 1.3),
            "w in weekly_review",
            size,
        ),
        "No residents are under weekly review.",
    )

    document.add_paragraph("2. Open items by resident", style="Heading 1")
    add_control(document, "{%p if residents %}")
    add_control(document, "{%p for r in residents %}")
    document.add_paragraph(
        "{{ r.resident_id }}  ·  {{ r.name }}{% if r.room %}  ·  Room {{ r.room }}{% endif %}",
        style="Heading 2",
    )
    add_control(document, "{%p if r.due_items %}")
    add_due_items_table(document, "r.due_items", AGENDA_DUE_ITEM_WIDTHS, size)
    add_control(document, "{%p endif %}")
    any_open_list = " or ".join(f"r.{field}" for _, field in OPEN_ITEM_ROWS)
    add_control(document, "{%p if " + any_open_list + " %}")
    add_spacer(document, Pt(3))
    add_open_items_table(document, size)
    add_control(document, "{%p endif %}")
    add_control(document, "{%p endfor %}")
    add_control(document, "{%p else %}")
    add_text(document, [("No open items.", {"color": GREY})])
    add_control(document, "{%p endif %}")

    document.add_paragraph("3. Actions", style="Heading 1")
    add_optional_table(
        document,
        "actions",
        lambda: add_loop_table(
            document,
            [
                ("Resident ID", "{{ a.resident_id }}"),
                ("Action", "{{ a.what }}"),
                ("Owner", "{{ a.owner }}"),
                ("Due", "{{ a.due_at }}"),
                ("Status", "{{ a.status }}"),
                ("Notes from the meeting", ""),
            ],
            (1.1, 3.6, 1.3, 1.35, 0.95, 1.5),
            "a in actions",
            size,
        ),
        "No actions.",
    )

    add_footer(document, "Weekly check-in agenda")
    add_closing_paragraph(document)
    return document


# ---------------------------------------------------------------- escalation note


def add_label_rows(container, rows, widths, size) -> None:
    """Add a two-column table of (label, value) rows; a row with a condition is kept only when it holds.

    Each entry of ``rows`` is ``(label, value)`` or ``(label, value, condition)``.
    """
    count = sum(3 if len(row) == 3 else 1 for row in rows)
    table = new_table(container, widths, rows=count)
    table_rows = iter(table.rows)
    for row in rows:
        label, value = row[0], row[1]
        condition = row[2] if len(row) == 3 else None
        if condition:
            write_cell(next(table_rows).cells[0], "{%tr if " + condition + " %}", size)
        data = next(table_rows)
        write_cell(data.cells[0], label, size, bold=True, fill=LABEL_FILL)
        write_cell(data.cells[1], value, size)
        if condition:
            write_cell(next(table_rows).cells[0], "{%tr endif %}", size)


def add_resident_line(document, size) -> None:
    """Add a one-row resident block: name, Resident ID, room, status and case manager."""
    widths = (0.85, 1.8, 1.05, 0.75, 0.55, 0.55, 0.65, 1.1)
    table = new_table(document, widths, rows=1)
    cells = table.rows[0].cells
    labels_and_values = [
        ("Resident", "{{ resident.name }}"),
        ("Resident ID", "{{ resident.resident_id }}"),
        ("Room", "{{ resident.room }}"),
        ("Status", "{{ resident.status }}"),
    ]
    for index, (label, value) in enumerate(labels_and_values):
        write_cell(cells[2 * index], label, size, bold=True, fill=LABEL_FILL)
        write_cell(cells[2 * index + 1], value, size, bold=index == 0)
    add_spacer(document, Pt(3))
    add_label_rows(document, [("Case manager", "{{ resident.case_manager }}")], (1.6, 5.7), size)


def build_escalation_note() -> Document:
    """Build the structured note of one escalation: observed, done, decision needed, response, follow-up."""
    document = new_document("Escalation note", NOTE_MARGIN, landscape=False)
    size = NOTE_TABLE_SIZE
    widths = (1.6, 5.7)

    add_title(document, "Escalation note")
    add_resident_line(document, size)

    document.add_paragraph(
        "Escalation {{ escalation.escalation_id }}  ·  {{ escalation.category }}  ·  {{ escalation.state }}",
        style="Heading 1",
    )
    add_text(document, [("Opened: ", {"color": GREY}), "{{ escalation.opened_at }}"], space_after=Pt(4))

    document.add_paragraph("What happened", style="Heading 2")
    add_label_rows(
        document,
        [
            ("Observed", "{{ escalation.observed }}"),
            ("What was done", "{{ escalation.action_taken }}"),
        ],
        widths,
        size,
    )

    document.add_paragraph("Decision needed", style="Heading 2")
    add_label_rows(
        document,
        [
            ("Decision needed", "{{ escalation.decision_needed }}"),
            ("Needed by", "{{ escalation.needed_by }}"),
        ],
        widths,
        size,
    )

    document.add_paragraph("Who was contacted", style="Heading 2")
    add_label_rows(
        document,
        [
            ("Contacted", "{{ escalation.contacted }}"),
            ("Contacted at", "{{ escalation.contacted_at }}"),
            ("Response standard", "{{ escalation.response_standard }}"),
            ("Response", "{{ escalation.response }}"),
            ("Next to call", "{{ escalation.backup }}", "escalation.backup"),
        ],
        widths,
        size,
    )

    document.add_paragraph("Decision and follow-up", style="Heading 2")
    add_label_rows(
        document,
        [
            ("Decision", "{{ escalation.decision }}"),
            ("Decided at", "{{ escalation.decided_at }}"),
            ("Follow-up", "{{ escalation.follow_up }}"),
            ("Follow-up owner", "{{ escalation.follow_up_owner }}"),
            ("Follow-up due", "{{ escalation.follow_up_due }}"),
            ("Follow-up confirmed", "{{ escalation.follow_up_confirmed_at }}"),
            ("Outcome", "{{ escalation.outcome }}", "escalation.outcome"),
        ],
        widths,
        size,
    )

    add_spacer(document, Pt(4))
    add_label_rows(document, [("Next confirmation point", "{{ escalation.next_step }}")], widths, size)

    document.add_paragraph("Open due items", style="Heading 2")
    add_optional_table(
        document,
        "due_items",
        lambda: add_due_items_table(document, "due_items", (0.75, 1.1, 1.25, 0.9, 1.3, 2.0), Pt(8.5)),
        "No open items for this escalation.",
    )

    add_footer(document, "Escalation note")
    add_closing_paragraph(document)
    return document


# ---------------------------------------------------------------- risk summary


def build_risk_summary() -> Document:
    """Build one resident's risk summary: active risks, controls, warning signs and next steps."""
    document = new_document("Risk summary", ONE_PAGER_MARGIN)
    size = RISK_TABLE_SIZE

    add_title(document, "Risk summary")
    add_resident_table(document, Pt(9))

    document.add_paragraph("Active risks", style="Heading 2")
    add_optional_table(
        document,
        "risks",
        lambda: add_loop_table(
            document,
            [
                ("Risk", "{{ k.risk_id }}  ·  {{ k.risk }}"),
                ("Description", "{{ k.description }}"),
                ("Current controls", "{{ k.controls }}"),
                ("Early warning signs", "{{ k.warning_signs }}"),
                ("Next step if it escalates", "{{ k.next_step }}"),
                ("Owner", "{{ k.owner }}"),
                ("Reviews", "{{ k.reviews }}"),
            ],
            (1.1, 1.5, 1.85, 1.65, 1.6, 1.1, 1.2),
            "k in risks",
            size,
        ),
        "No active risks are recorded.",
    )

    document.add_paragraph("Incidents in the last {{ incident_days }} days", style="Heading 2")
    add_optional_table(
        document,
        "incidents",
        lambda: add_loop_table(
            document,
            [
                ("Incident", "{{ n.incident_id }}"),
                ("When", "{{ n.occurred_at }}"),
                ("Type", "{{ n.type }}"),
                ("Description", "{{ n.description }}"),
                ("Risk", "{{ n.risk_id }}"),
            ],
            (1.0, 1.5, 1.4, 5.1, 1.0),
            "n in incidents",
            size,
        ),
        "No incidents in this period.",
    )

    document.add_paragraph("Open due items", style="Heading 2")
    add_optional_table(
        document,
        "due_items",
        lambda: add_due_items_table(document, "due_items", ONE_PAGER_DUE_ITEM_WIDTHS, size),
        "No open items.",
    )

    add_footer(document, "Risk summary")
    add_closing_paragraph(document)
    return document


# ---------------------------------------------------------------- output


def save_reproducibly(document, target: Path) -> None:
    """Save ``document`` to ``target`` with fixed zip timestamps and permissions."""
    buffer = io.BytesIO()
    document.save(buffer)
    buffer.seek(0)

    output = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as copy:
        for entry in source.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=ZIP_TIMESTAMP)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 3
            fixed.external_attr = 0o644 << 16
            copy.writestr(fixed, source.read(entry.filename))
    target.write_bytes(output.getvalue())


BUILDERS = {
    "one_pager.docx": build_one_pager,
    "agenda.docx": build_agenda,
    "escalation_note.docx": build_escalation_note,
    "risk_summary.docx": build_risk_summary,
}


def build_all(folder: Path) -> list[Path]:
    """Write every default template into ``folder`` and return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, build in BUILDERS.items():
        target = folder / file_name
        save_reproducibly(build(), target)
        written.append(target)
    return written


def main() -> None:
    """Parse ``--out`` and build the templates."""
    parser = argparse.ArgumentParser(description="Build the default Word templates for handoff docs.")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="folder to write the templates to (default: the folder of this script)",
    )
    arguments = parser.parse_args()
    for path in build_all(arguments.out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
