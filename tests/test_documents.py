"""Tests for toolkit.documents: real templates rendered to real Word files."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from lxml import etree

from toolkit.documents import DocumentRenderer, render_document
from toolkit.errors import TemplateError
from toolkit.resources import doc_templates_dir

REPO_ROOT = Path(__file__).resolve().parent.parent

CORE_DOMAINS = [
    "Medication management",
    "Bathing",
    "Mobility supervision",
    "Wound care",
    "Therapy",
    "Transport",
    "Equipment",
    "Meals",
    "Behavioral support",
]

DOMAIN_HEADER = [
    "Domain", "Route", "Provider", "Named contact", "Phone",
    "Service state", "Authorization", "Respond within", "If the service is missed",
]
DUE_ITEM_HEADER = ["Status", "Due", "Code", "Reference", "Owner", "What is due"]


# ---------------------------------------------------------------- contexts


def make_domain(domain: str, **overrides: str) -> dict:
    row = {
        "domain": domain,
        "route": "LTSS authorized service",
        "provider": "Riverside Home Health",
        "contact": "Dana Ortiz",
        "phone": "(614) 555-0142",
        "state": "Confirmed",
        "authorization": "Approved through 2026-06-30",
        "response_standard": "24 h",
        "if_missed": "Call the agency scheduler",
    }
    row.update(overrides)
    return row


def make_due_item(**overrides: str) -> dict:
    item = {
        "code": "START-UNCONFIRMED",
        "status": "overdue",
        "due_at": "2026-03-03T23:59:59-05:00",
        "ref": "Therapy",
        "owner": "C-014",
        "summary": "Confirm that therapy started",
    }
    item.update(overrides)
    return item


def one_pager_context(
    resident_id: str = "R-101",
    name: str = "Ada Lovelace",
    domains: list | None = None,
    due_items: list | None = None,
    **overrides,
) -> dict:
    context = {
        "facility": "Maple Court",
        "as_of": "2026-03-05 09:00",
        "workbook": "maple-court.xlsx",
        "audience": "INTERNAL — contains resident details",
        "internal": True,
        "resident": {
            "resident_id": resident_id,
            "name": name,
            "room": "12B",
            "status": "Active",
            "anchor_date": "2026-02-20",
            "transition": "Hospital return",
            "case_manager": "Dana Ortiz",
        },
        "domains": [make_domain("Therapy", state="Not confirmed")] if domains is None else domains,
        "due_items": [make_due_item()] if due_items is None else due_items,
        "more_domains": "",
        "more_due_items": "",
    }
    context.update(overrides)
    return context


def agenda_resident(resident_id: str, name: str, **lists) -> dict:
    resident = {
        "resident_id": resident_id,
        "name": name,
        "room": "",
        "due_items": [],
        "unconfirmed_starts": [],
        "pending_authorizations": [],
        "pending_referrals": [],
        "open_gaps": [],
        "open_escalations": [],
        "risks_due": [],
        "incidents_since": [],
    }
    resident.update(lists)
    return resident


def agenda_context(**overrides) -> dict:
    context = {
        "facility": "Maple Court",
        "as_of": "2026-03-05 09:00",
        "workbook": "maple-court.xlsx",
        "audience": "Prepared for Dana Ortiz",
        "internal": False,
        "counts": {"overdue": "3", "due_soon": "5", "unscheduled": "1"},
        "weekly_review": [
            {
                "resident_id": "R-101",
                "name": "Ada Lovelace",
                "room": "12B",
                "anchor_date": "2026-02-20",
                "transition": "Hospital return",
                "last_review": "2026-02-27",
                "next_review": "2026-03-06",
            }
        ],
        "residents": [
            agenda_resident(
                "R-101",
                "Ada Lovelace",
                room="12B",
                due_items=[make_due_item()],
                unconfirmed_starts=["Therapy, planned 2026-03-02"],
                open_gaps=["Equipment", "Wound care"],
            ),
            agenda_resident(
                "R-202",
                "Bo Chen",
                open_escalations=["E-7 Falls cluster: confirm start by 2026-03-06 14:00"],
            ),
        ],
        "actions": [
            {
                "resident_id": "R-101",
                "what": "Confirm therapy start",
                "owner": "C-014",
                "due_at": "2026-03-06 14:00",
                "status": "overdue",
            }
        ],
    }
    context.update(overrides)
    return context


# ---------------------------------------------------------------- reading Word files


def table_rows(path: Path) -> list[list[list[str]]]:
    """Return every body table as rows of cell texts."""
    document = docx.Document(str(path))
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]


def paragraph_texts(path: Path) -> list[str]:
    """Return the texts of the body paragraphs outside tables."""
    return [paragraph.text for paragraph in docx.Document(str(path)).paragraphs]


def full_text(path: Path) -> str:
    """Return the text of every XML part: body, headers, footers and properties."""
    texts = []
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            if name.endswith(".xml") or name.endswith(".rels"):
                root = etree.fromstring(package.read(name))
                texts.append("".join(root.itertext()))
    return "\n".join(texts)


def write_template(path: Path, paragraphs: list[str]) -> Path:
    """Write a minimal Word template with one paragraph per entry."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


# ---------------------------------------------------------------- one-pager content


def test_one_pager_resident_rows(tmp_path):
    out = render_document("one_pager", one_pager_context(), tmp_path / "R-101.docx")

    assert out == tmp_path / "R-101.docx"
    resident, domains, due_items = table_rows(out)
    assert resident[0] == [
        "Resident", "Ada Lovelace", "Resident ID", "R-101", "Room", "12B", "Status", "Active",
    ]
    assert resident[1][:6] == [
        "Anchor date", "2026-02-20", "Transition", "Hospital return", "Case manager", "Dana Ortiz",
    ]
    assert domains == [
        DOMAIN_HEADER,
        [
            "Therapy", "LTSS authorized service", "Riverside Home Health", "Dana Ortiz",
            "(614) 555-0142", "Not confirmed", "Approved through 2026-06-30", "24 h",
            "Call the agency scheduler",
        ],
    ]
    assert due_items == [
        DUE_ITEM_HEADER,
        [
            "overdue", "2026-03-03T23:59:59-05:00", "START-UNCONFIRMED", "Therapy", "C-014",
            "Confirm that therapy started",
        ],
    ]


def test_one_pager_header_lines(tmp_path):
    out = render_document("one_pager", one_pager_context(), tmp_path / "R-101.docx")

    paragraphs = paragraph_texts(out)
    assert paragraphs[0] == "Service authorization map"
    assert paragraphs[1] == (
        "Facility: Maple Court     As of: 2026-03-05 09:00     Source workbook: maple-court.xlsx"
    )
    assert paragraphs[2] == "INTERNAL — contains resident details"
    footer = docx.Document(str(out)).sections[0].footer.paragraphs[0].text
    assert footer.startswith("INTERNAL — contains resident details")
    assert "Maple Court, as of 2026-03-05 09:00" in footer


def test_one_pager_partner_audience(tmp_path):
    context = one_pager_context(audience="Prepared for Dana Ortiz", internal=False)

    out = render_document("one_pager", context, tmp_path / "R-101.docx")

    paragraphs = paragraph_texts(out)
    assert paragraphs[2] == "Prepared for Dana Ortiz"
    assert "INTERNAL" not in full_text(out)


def test_one_pager_nine_core_domains(tmp_path):
    context = one_pager_context(domains=[make_domain(name) for name in CORE_DOMAINS])

    out = render_document("one_pager", context, tmp_path / "R-101.docx")

    domains = table_rows(out)[1]
    assert domains[0] == DOMAIN_HEADER
    assert len(domains) == 1 + 9
    assert [row[0] for row in domains[1:]] == CORE_DOMAINS


def test_one_pager_state_cell_colours(tmp_path):
    domains = [
        make_domain("Therapy", state="Gap"),
        make_domain("Bathing", state="Not confirmed"),
        make_domain("Meals", state="Confirmed"),
        make_domain("Transport", route="Not mapped", state="Missing"),
    ]

    out = render_document("one_pager", one_pager_context(domains=domains), tmp_path / "R-101.docx")

    table = docx.Document(str(out)).tables[1]
    fills = [row.cells[5]._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) for row in table.rows[1:]]
    assert fills == ["F8D7DA", "FFF3CD", "auto", "F8D7DA"]


def test_one_pager_empty_sections(tmp_path):
    context = one_pager_context(domains=[], due_items=[])

    out = render_document("one_pager", context, tmp_path / "R-101.docx")

    paragraphs = paragraph_texts(out)
    assert "No support domains are mapped for this resident yet." in paragraphs
    assert "No open items." in paragraphs
    assert len(table_rows(out)) == 1  # only the resident block is left


# ---------------------------------------------------------------- values are data


@pytest.mark.parametrize(
    "value",
    [
        "{{ name }} & <b>",
        "{% if internal %}leak{% endif %}",
        "{_{ docxtpl escape }_} {_% x %_}",
        "a < b > c & d; \"quoted\" 'single'",
        "{# comment #} {%p if x %} {%tr for r in rows %}",
    ],
    ids=["variable-and-markup", "if-block", "docxtpl-escapes", "xml-characters", "docxtpl-tags"],
)
def test_special_characters_print_as_typed(tmp_path, value):
    context = one_pager_context(
        name=value,
        domains=[make_domain("Therapy", provider=value)],
        due_items=[make_due_item(summary=value)],
    )

    out = render_document("one_pager", context, tmp_path / "R-101.docx")

    resident, domains, due_items = table_rows(out)
    assert resident[0][1] == value
    assert domains[1][2] == value
    assert due_items[1][5] == value


def test_line_break_becomes_word_break(tmp_path):
    value = "Call Dana Ortiz first\nthen the on-call nurse"
    context = one_pager_context(domains=[make_domain("Therapy", if_missed=value)])

    out = render_document("one_pager", context, tmp_path / "R-101.docx")

    cell = docx.Document(str(out)).tables[1].rows[1].cells[8]
    assert cell.text == "Call Dana Ortiz first\nthen the on-call nurse"
    assert len(cell._tc.findall(".//" + qn("w:br"))) == 1
    texts = [node.text for node in cell._tc.iter(qn("w:t"))]
    assert texts == ["Call Dana Ortiz first", "then the on-call nurse"]


def test_windows_line_break_becomes_one_break(tmp_path):
    context = one_pager_context(name="Ada\r\nLovelace")

    out = render_document("one_pager", context, tmp_path / "R-101.docx")

    cell = docx.Document(str(out)).tables[0].rows[0].cells[1]
    assert cell.text == "Ada\nLovelace"
    assert len(cell._tc.findall(".//" + qn("w:br"))) == 1


def test_control_characters_dropped(tmp_path):
    context = one_pager_context(name="Ada\x00\x07 Lovelace\x1b")

    out = render_document("one_pager", context, tmp_path / "R-101.docx")

    assert table_rows(out)[0][0][1] == "Ada Lovelace"


# ---------------------------------------------------------------- agenda


def test_agenda_sections(tmp_path):
    out = render_document("agenda", agenda_context(), tmp_path / "agenda.docx")

    paragraphs = paragraph_texts(out)
    assert paragraphs[:4] == [
        "Weekly check-in agenda",
        "Facility: Maple Court     As of: 2026-03-05 09:00     Source workbook: maple-court.xlsx",
        "Prepared for Dana Ortiz",
        "Due items:  3 overdue   ·   5 due soon   ·   1 unscheduled",
    ]
    assert "R-101  ·  Ada Lovelace  ·  Room 12B" in paragraphs
    assert "R-202  ·  Bo Chen" in paragraphs

    weekly, ada_due, ada_open, bo_open, actions = table_rows(out)
    assert weekly == [
        ["Resident ID", "Name", "Room", "Anchor date", "Transition", "Last review", "Next review"],
        ["R-101", "Ada Lovelace", "12B", "2026-02-20", "Hospital return", "2026-02-27", "2026-03-06"],
    ]
    assert ada_due[1] == [
        "overdue", "2026-03-03T23:59:59-05:00", "START-UNCONFIRMED", "Therapy", "C-014",
        "Confirm that therapy started",
    ]
    assert ada_open == [
        ["Unconfirmed starts", "Therapy, planned 2026-03-02"],
        ["Open service gaps", "Equipment\nWound care"],
    ]
    assert bo_open == [
        ["Open escalations", "E-7 Falls cluster: confirm start by 2026-03-06 14:00"],
    ]
    assert actions == [
        ["Resident ID", "Action", "Owner", "Due", "Status", "Notes from the meeting"],
        ["R-101", "Confirm therapy start", "C-014", "2026-03-06 14:00", "overdue", ""],
    ]


def test_agenda_empty_sections(tmp_path):
    context = agenda_context(weekly_review=[], residents=[], actions=[])

    out = render_document("agenda", context, tmp_path / "agenda.docx")

    paragraphs = paragraph_texts(out)
    assert "No residents are under weekly review." in paragraphs
    assert "No open items." in paragraphs
    assert "No actions." in paragraphs
    assert table_rows(out) == []


def test_agenda_list_values_print_as_typed(tmp_path):
    resident = agenda_resident("R-101", "Ada Lovelace", open_gaps=["{{ x }} & <y>", "{% if %}"])
    context = agenda_context(residents=[resident])

    out = render_document("agenda", context, tmp_path / "agenda.docx")

    open_items = table_rows(out)[1]
    assert open_items == [["Open service gaps", "{{ x }} & <y>\n{% if %}"]]


# ---------------------------------------------------------------- many residents


def test_renderer_keeps_residents_apart(tmp_path):
    renderer = DocumentRenderer()
    ada = one_pager_context("R-101", "Ada Lovelace", domains=[make_domain(d) for d in CORE_DOMAINS])
    bo = one_pager_context(
        "R-202",
        "Bo Chen",
        domains=[make_domain("Meals", provider="Facility kitchen")],
        due_items=[],
    )

    ada_file = renderer.render("one_pager", ada, tmp_path / "R-101.docx")
    bo_file = renderer.render("one_pager", bo, tmp_path / "R-202.docx")

    ada_text = full_text(ada_file)
    bo_text = full_text(bo_file)
    assert "Ada Lovelace" in ada_text
    assert "R-101" in ada_text
    assert "Bo Chen" not in ada_text
    assert "R-202" not in ada_text
    assert "Bo Chen" in bo_text
    assert "R-202" in bo_text
    assert "Ada Lovelace" not in bo_text
    assert "R-101" not in bo_text
    assert len(table_rows(ada_file)[1]) == 1 + 9
    assert len(table_rows(bo_file)[1]) == 1 + 1


def test_renderer_reads_template_once(tmp_path):
    folder = tmp_path / "templates"
    template = write_template(folder / "one_pager.docx", ["First: {{ resident.resident_id }}"])
    renderer = DocumentRenderer(folder)
    renderer.render("one_pager", one_pager_context("R-101"), tmp_path / "a.docx")

    # A template changed after the first document is not read again.
    write_template(template, ["Second: {{ resident.resident_id }}"])
    renderer.render("one_pager", one_pager_context("R-202"), tmp_path / "b.docx")

    assert paragraph_texts(tmp_path / "b.docx") == ["First: R-202"]


# ---------------------------------------------------------------- template overrides


def test_override_template_used(tmp_path):
    folder = tmp_path / "templates"
    write_template(folder / "one_pager.docx", ["Custom map for {{ resident.resident_id }} at {{ facility }}"])

    out = render_document("one_pager", one_pager_context(), tmp_path / "R-101.docx", templates_dir=folder)

    assert paragraph_texts(out) == ["Custom map for R-101 at Maple Court"]
    assert DocumentRenderer(folder).template_path("one_pager") == folder / "one_pager.docx"


def test_override_missing_falls_back_to_default(tmp_path):
    folder = tmp_path / "templates"
    write_template(folder / "one_pager.docx", ["Custom map"])

    out = render_document("agenda", agenda_context(), tmp_path / "agenda.docx", templates_dir=folder)

    assert paragraph_texts(out)[0] == "Weekly check-in agenda"
    assert DocumentRenderer(folder).template_path("agenda") == doc_templates_dir() / "agenda.docx"


def test_templates_folder_not_found(tmp_path):
    with pytest.raises(TemplateError, match="Templates folder not found") as raised:
        DocumentRenderer(tmp_path / "no-such-folder")

    assert str(tmp_path / "no-such-folder") in str(raised.value)


# ---------------------------------------------------------------- broken templates


def test_syntax_error_names_file(tmp_path):
    folder = tmp_path / "templates"
    template = write_template(folder / "one_pager.docx", ["Resident: {{ resident.name }", "Room"])
    out = tmp_path / "R-101.docx"

    with pytest.raises(TemplateError) as raised:
        render_document("one_pager", one_pager_context(), out, templates_dir=folder)

    message = str(raised.value)
    assert str(template) in message
    assert "syntax error in the main text" in message
    assert "unexpected '}'" in message
    assert "\n" not in message
    assert not out.exists()


def test_unclosed_block_names_problem(tmp_path):
    folder = tmp_path / "templates"
    write_template(folder / "agenda.docx", ["{% if internal %}", "Internal only"])

    with pytest.raises(TemplateError) as raised:
        render_document("agenda", agenda_context(), tmp_path / "agenda.docx", templates_dir=folder)

    message = str(raised.value)
    assert "agenda.docx" in message
    assert "The innermost block that needs to be closed is 'if'" in message


def test_syntax_error_in_footer(tmp_path):
    folder = tmp_path / "templates"
    document = docx.Document()
    document.add_paragraph("Fine")
    document.sections[0].footer.paragraphs[0].text = "Page footer {{ facility }"
    folder.mkdir()
    document.save(str(folder / "one_pager.docx"))

    with pytest.raises(TemplateError, match="syntax error in a page footer"):
        render_document("one_pager", one_pager_context(), tmp_path / "R-101.docx", templates_dir=folder)


def test_unknown_field_rejected(tmp_path):
    folder = tmp_path / "templates"
    write_template(folder / "one_pager.docx", ["{{ facilty }} {{ resident.name }}"])

    with pytest.raises(TemplateError, match="uses unknown field facilty\\.") as raised:
        render_document("one_pager", one_pager_context(), tmp_path / "R-101.docx", templates_dir=folder)

    assert "one_pager.docx" in str(raised.value)


def test_unknown_subfield_rejected(tmp_path):
    folder = tmp_path / "templates"
    write_template(folder / "one_pager.docx", ["{{ resident.nickname }}"])

    with pytest.raises(TemplateError, match="has no attribute 'nickname'"):
        render_document("one_pager", one_pager_context(), tmp_path / "R-101.docx", templates_dir=folder)


def test_not_a_word_file(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "one_pager.docx").write_bytes(b"this is not a zip file")

    with pytest.raises(TemplateError, match="is not a readable Word document"):
        render_document("one_pager", one_pager_context(), tmp_path / "R-101.docx", templates_dir=folder)


@pytest.mark.parametrize(
    "expression",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ resident.__class__.__subclasses__() }}",
        "{{ '{0.__class__}'.format(resident) }}",
        "{{ due_items.append(1) }}",
        "{{ lipsum.__globals__ }}",
        "{{ cycler.__init__.__globals__ }}",
    ],
    ids=["mro", "subclasses", "str-format", "list-mutation", "lipsum-globals", "cycler-globals"],
)
def test_sandbox_rejects_python_internals(tmp_path, expression):
    folder = tmp_path / "templates"
    write_template(folder / "one_pager.docx", [expression])
    out = tmp_path / "R-101.docx"

    with pytest.raises(TemplateError, match="is unsafe") as raised:
        render_document("one_pager", one_pager_context(), out, templates_dir=folder)

    assert "one_pager.docx failed to render" in str(raised.value)
    assert not out.exists()


# ---------------------------------------------------------------- atomic output


def test_output_written_without_part_files(tmp_path):
    folder = tmp_path / "out"

    render_document("one_pager", one_pager_context(), folder / "R-101.docx")

    assert sorted(path.name for path in folder.iterdir()) == ["R-101.docx"]


def test_failed_render_keeps_old_output(tmp_path):
    templates = tmp_path / "templates"
    write_template(templates / "one_pager.docx", ["{{ ''.__class__.__mro__ }}"])
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "R-101.docx"
    out.write_bytes(b"previous document")

    with pytest.raises(TemplateError):
        render_document("one_pager", one_pager_context(), out, templates_dir=templates)

    assert out.read_bytes() == b"previous document"
    assert sorted(path.name for path in folder.iterdir()) == ["R-101.docx"]


# ---------------------------------------------------------------- programming errors


def test_unknown_kind_raises_value_error(tmp_path):
    with pytest.raises(ValueError, match="Unknown document kind 'memo'"):
        render_document("memo", one_pager_context(), tmp_path / "memo.docx")


def test_missing_context_field_raises_value_error(tmp_path):
    context = one_pager_context()
    del context["due_items"]

    with pytest.raises(ValueError, match="one_pager context is missing due_items"):
        render_document("one_pager", context, tmp_path / "R-101.docx")


# ---------------------------------------------------------------- packaging


def test_import_does_not_load_docxtpl():
    code = "import sys, toolkit.documents; print('docxtpl' in sys.modules, 'jinja2' in sys.modules)"
    environment = dict(os.environ, PYTHONPATH=str(REPO_ROOT))

    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.split() == ["False", "False"]


def test_committed_templates_match_build_script(tmp_path):
    script = doc_templates_dir() / "build_templates.py"
    spec = importlib.util.spec_from_file_location("build_templates", script)
    build_templates = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_templates)

    committed_generator = docx.Document(str(doc_templates_dir() / "one_pager.docx")).core_properties.version
    if committed_generator != build_templates.GENERATOR:
        pytest.skip(f"templates were built with {committed_generator}, not {build_templates.GENERATOR}")

    written = build_templates.build_all(tmp_path)

    assert sorted(path.name for path in written) == [
        "agenda.docx", "escalation_note.docx", "one_pager.docx", "risk_summary.docx",
    ]
    for path in written:
        with zipfile.ZipFile(path) as built, zipfile.ZipFile(doc_templates_dir() / path.name) as committed:
            assert built.namelist() == committed.namelist(), path.name
            for name in built.namelist():
                assert built.read(name) == committed.read(name), f"{path.name}: {name} differs"


# ---------------------------------------------------------------- templates restyled in Word


def split_run_template(path: Path) -> Path:
    """Write a template whose tags Word split across runs of different formatting."""
    document = docx.Document()
    paragraph = document.add_paragraph()
    paragraph.add_run("Resident: ")
    paragraph.add_run("{{ resident.")
    paragraph.add_run("name }}").bold = True
    paragraph = document.add_paragraph()
    paragraph.add_run("Room: {")
    paragraph.add_run("{ resident.room }")
    paragraph.add_run("}").italic = True
    # Word's spelling check marks words inside a tag with proofErr elements.
    paragraph = document.add_paragraph()
    paragraph.add_run("ID: {{ resident.resi")
    proof = etree.SubElement(paragraph._p, qn("w:proofErr"))
    proof.set(qn("w:type"), "spellStart")
    paragraph.add_run("dent_id }}")
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def test_tag_split_across_runs_renders(tmp_path):
    folder = tmp_path / "templates"
    split_run_template(folder / "one_pager.docx")

    out = render_document("one_pager", one_pager_context(), tmp_path / "R-101.docx", templates_dir=folder)

    assert paragraph_texts(out) == ["Resident: Ada Lovelace", "Room: 12B", "ID: R-101"]


@pytest.mark.parametrize(
    "tag",
    [
        "{% if resident.status == “Active” %}active{% endif %}",
        "{% if resident.status == ‘Active’ %}active{% endif %}",
        "{%p if resident.status == “Active” %}",
    ],
    ids=["double", "single", "paragraph-tag"],
)
def test_curly_quotes_in_tags_render(tmp_path, tag):
    folder = tmp_path / "templates"
    paragraphs = [tag, "active", "{%p endif %}"] if tag.startswith("{%p") else [tag]
    write_template(folder / "one_pager.docx", paragraphs)

    out = render_document("one_pager", one_pager_context(), tmp_path / "R-101.docx", templates_dir=folder)

    assert paragraph_texts(out) == ["active"]


def test_other_typographic_quotes_named(tmp_path):
    folder = tmp_path / "templates"
    write_template(folder / "one_pager.docx", ["Intro", "{% if resident.status == „Active“ %}x{% endif %}"])

    with pytest.raises(TemplateError) as raised:
        render_document("one_pager", one_pager_context(), tmp_path / "R-101.docx", templates_dir=folder)

    message = str(raised.value)
    # docxtpl has already turned the closing “ into a straight quote.
    assert ("syntax error in the main text near “{% if resident.status == „Active\" %}x{% endif %}”: "
            "unexpected char '„'. Word replaced a straight quote with „") in message
    assert "\n" not in message


def test_unknown_field_message_names_paragraph(tmp_path):
    folder = tmp_path / "templates"
    write_template(folder / "agenda.docx", ["Weekly agenda", "Overdue: {{ count.overdue }}"])

    with pytest.raises(TemplateError) as raised:
        render_document("agenda", agenda_context(), tmp_path / "agenda.docx", templates_dir=folder)

    assert str(raised.value).startswith(f"Template {folder / 'agenda.docx'} uses unknown field count. "
                                        "It is in the main text near “Overdue: {{ count.overdue }}”.")


def test_unknown_field_in_loop_is_error(tmp_path):
    folder = tmp_path / "templates"
    write_template(folder / "one_pager.docx", ["Domains", "{% for d in domains %}{{ d.nickname }}{% endfor %}"])
    out = tmp_path / "R-101.docx"

    with pytest.raises(TemplateError) as raised:
        render_document("one_pager", one_pager_context(), out, templates_dir=folder)

    message = str(raised.value)
    assert "failed to render in the main text near “{% for d in domains %}{{ d.nickname }}{% endfor %}”" in message
    assert "has no attribute 'nickname'" in message
    assert not out.exists()


def soffice_or_skip() -> str:
    from toolkit.pdf import find_soffice

    soffice = find_soffice()
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    return soffice


def libreoffice_resave(soffice: str, source: Path, folder: Path) -> Path:
    """Open ``source`` in LibreOffice and save it as .docx into ``folder``, as staff might."""
    folder.mkdir(parents=True, exist_ok=True)
    profile = (folder.parent / "lo-profile").resolve().as_uri()
    with __import__("tempfile").TemporaryDirectory() as converted:
        subprocess.run(
            [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "docx:MS Word 2007 XML",
             "--outdir", converted, str(source)],
            check=True, capture_output=True, timeout=180,
        )
        target = folder / source.name
        target.write_bytes((Path(converted) / source.name).read_bytes())
    return target


def test_libreoffice_resaved_templates_render(tmp_path):
    from toolkit.template_check import SAMPLE_CONTEXTS

    soffice = soffice_or_skip()
    folder = tmp_path / "templates"
    for kind in ("one_pager", "agenda", "escalation_note", "risk_summary"):
        libreoffice_resave(soffice, doc_templates_dir() / f"{kind}.docx", folder)
    renderer = DocumentRenderer(folder)

    for kind in ("escalation_note", "risk_summary"):
        out = renderer.render(kind, SAMPLE_CONTEXTS[kind], tmp_path / f"{kind}.docx")
        text = full_text(out)
        assert "Sample Resident" in text, kind
        assert "{{" not in text, kind
        assert "{%" not in text, kind

    one_pager = renderer.render("one_pager", one_pager_context(), tmp_path / "R-101.docx")
    agenda = renderer.render("agenda", agenda_context(), tmp_path / "agenda.docx")

    resident, domains, due_items = table_rows(one_pager)
    assert resident[0][:4] == ["Resident", "Ada Lovelace", "Resident ID", "R-101"]
    assert domains[1][0] == "Therapy"
    assert due_items[1][5] == "Confirm that therapy started"
    assert "{{" not in full_text(one_pager)
    assert "{%" not in full_text(one_pager)
    assert "R-202  ·  Bo Chen" in paragraph_texts(agenda)
    assert "{%" not in full_text(agenda)


# ---------------------------------------------------------------- handoff templates


def run_cli(*arguments):
    from click.testing import CliRunner

    from toolkit.cli import main

    return CliRunner().invoke(main, [str(argument) for argument in arguments])


def test_templates_export_and_force(tmp_path):
    from toolkit.documents import DOCUMENT_KINDS

    folder = tmp_path / "mine"

    first = run_cli("templates", "export", folder)
    (folder / "agenda.docx").write_bytes(b"restyled by staff")
    second = run_cli("templates", "export", folder)
    kept = (folder / "agenda.docx").read_bytes()
    forced = run_cli("templates", "export", folder, "--force")

    assert first.exit_code == 0, first.output
    assert sorted(path.name for path in folder.iterdir()) == sorted(f"{kind}.docx" for kind in DOCUMENT_KINDS)
    assert second.exit_code == 2
    assert "already contains" in second.output
    assert "--force" in second.output
    assert kept == b"restyled by staff"
    assert forced.exit_code == 0, forced.output
    assert (folder / "agenda.docx").read_bytes() == (doc_templates_dir() / "agenda.docx").read_bytes()


def test_templates_check_clean(tmp_path):
    folder = tmp_path / "mine"
    run_cli("templates", "export", folder)
    split_run_template(folder / "one_pager.docx")

    result = run_cli("templates", "check", folder)

    assert result.exit_code == 0, result.output
    assert "checked in" in result.output
    assert "no problems" in result.output


def test_templates_check_lists_problems(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    document = docx.Document()
    document.add_paragraph("Fine {{ facility }}")
    document.sections[0].footer.paragraphs[0].text = "Footer {{ as_of }"
    document.save(str(folder / "one_pager.docx"))
    write_template(folder / "agenda.docx", ["Overdue: {{ counts.overdue }}", "Owner: {{ owner }}"])
    write_template(folder / "escalation_note.docx", ["Note", "{% if not internal %}{{ escalation.nickname }}{% endif %}"])
    write_template(folder / "risk-summary.docx", ["{{ facility }}"])
    (folder / "~$agenda.docx").write_bytes(b"Word lock file")

    result = run_cli("templates", "check", folder)

    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0].startswith(f"Template {folder / 'agenda.docx'} uses unknown field owner. It is in the main "
                               "text near “Owner: {{ owner }}”.")
    assert lines[1].startswith(f"Template {folder / 'escalation_note.docx'} cannot be filled in: the main text near "
                               "“{% if not internal %}{{ escalation.nickname }}{% endif %}” fails with")
    assert "has no attribute 'nickname'" in lines[1]
    assert lines[2].startswith(f"Template {folder / 'one_pager.docx'} has a syntax error in a page footer near "
                               "“Footer {{ as_of }”: unexpected '}'")
    assert lines[3] == ("risk-summary.docx is not a template name, so it is never used. Did you mean "
                        "risk_summary.docx? Template names: " + ", ".join(
                            f"{kind}.docx" for kind in __import__("toolkit.documents").documents.DOCUMENT_KINDS)
                        + ".")
    assert lines[4] == f"4 problems in {folder}."
    assert len(lines) == 5


def test_templates_check_empty_folder(tmp_path):
    result = run_cli("templates", "check", tmp_path)

    assert result.exit_code == 1
    assert "holds no templates" in result.output


def test_docs_with_restyled_template(make_workbook, tmp_path):
    folder = tmp_path / "mine"
    split_run_template(folder / "one_pager.docx")
    out = tmp_path / "out"

    result = run_cli("docs", make_workbook(), "--out", out, "--as-of", "2026-12-04T09:00", "--kind", "one-pager",
                     "--templates", folder)

    assert result.exit_code == 0, result.output
    assert paragraph_texts(out / "one-pagers" / "one-pager-R1.docx") == [
        "Resident: Ada Example", "Room: 101", "ID: R1",
    ]


# ---------------------------------------------------------------- PDF copies


def test_pdf_written_beside_documents(make_workbook, tmp_path):
    soffice_or_skip()
    out = tmp_path / "out"

    result = run_cli("docs", make_workbook(), "--out", out, "--as-of", "2026-12-04T09:00", "--pdf")

    assert result.exit_code == 0, result.output
    documents = sorted(path.relative_to(out) for path in out.rglob("*.docx"))
    pdfs = sorted(path.relative_to(out) for path in out.rglob("*.pdf"))
    assert pdfs == [path.with_suffix(".pdf") for path in documents]
    assert f"Wrote {len(pdfs)} PDF copies." in result.output
    for pdf in pdfs:
        assert (out / pdf).read_bytes().startswith(b"%PDF")


def test_pdf_missing_still_writes_word(make_workbook, tmp_path, monkeypatch):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "out"

    result = run_cli("docs", make_workbook(), "--out", out, "--as-of", "2026-12-04T09:00", "--pdf")

    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines() == [
        "PDF not available: LibreOffice (soffice) was not found on PATH; install it to get PDF copies. "
        "The Word documents were written."
    ]
    assert list(out.rglob("*.pdf")) == []
    assert (out / "weekly-agenda.docx").exists()


def test_run_pdf_copies_pack_documents(make_workbook, tmp_path):
    soffice_or_skip()
    out = tmp_path / "pack"

    result = run_cli("run", make_workbook(), "--out", out, "--as-of", "2026-12-04T09:00", "--pdf")

    assert result.exit_code == 0, result.output
    assert sorted(str(path.relative_to(out)) for path in out.rglob("*.pdf")) == [
        "one-pagers/one-pager-R1.pdf", "weekly-agenda.pdf",
    ]
    assert "Wrote 2 PDF copies." in result.output
    assert "1 one-pagers in one-pagers/" in result.output
    assert "Wrote 8 files to" in result.output


def test_run_pdf_missing_exits_zero(make_workbook, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    out = tmp_path / "pack"

    result = run_cli("run", make_workbook(), "--out", out, "--as-of", "2026-12-04T09:00", "--pdf")

    assert result.exit_code == 0, result.output
    assert "PDF not available" in result.stderr
    assert (out / "one-pagers" / "one-pager-R1.docx").exists()


def test_pdf_conversions_in_parallel(tmp_path):
    import threading

    from toolkit.pdf import convert_to_pdf

    soffice = soffice_or_skip()
    results = {}
    folders = []
    for index in range(2):
        folder = tmp_path / f"set{index}"
        render_document("one_pager", one_pager_context(f"R-{index}"), folder / f"one-pager-R-{index}.docx")
        folders.append(folder)

    def convert(index: int) -> None:
        results[index] = convert_to_pdf(folders[index], [Path(f"one-pager-R-{index}.docx")], soffice)

    threads = [threading.Thread(target=convert, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for index in range(2):
        assert results[index].problem == "", results[index].problem
        assert results[index].written == [Path(f"one-pager-R-{index}.pdf")]
        assert (folders[index] / f"one-pager-R-{index}.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.skipif(os.name != "posix", reason="the stand-in for a hung LibreOffice is a shell script")
def test_pdf_conversion_timeout(tmp_path, monkeypatch):
    from toolkit import pdf

    hung = tmp_path / "soffice"
    hung.write_text("#!/bin/sh\nsleep 60\n")
    hung.chmod(0o755)
    monkeypatch.setattr(pdf, "TIMEOUT_BASE_SECONDS", 1)
    monkeypatch.setattr(pdf, "TIMEOUT_PER_DOCUMENT_SECONDS", 0)
    render_document("one_pager", one_pager_context(), tmp_path / "one-pager.docx")

    result = pdf.convert_to_pdf(tmp_path, [Path("one-pager.docx")], str(hung))

    assert result.problem == "LibreOffice did not finish within 1 seconds and was stopped"
    assert result.failed == [Path("one-pager.docx")]
    assert not (tmp_path / "one-pager.pdf").exists()


# ---------------------------------------------------------------- one page


def crowded_resident(make_workbook):
    """Return a workbook whose one resident has every core domain, long texts and many due items."""
    import datetime as dt

    from conftest import BASE_CONTACTS, full_map

    long_provider = "Riverside Comprehensive Home Health and Hospice Services of Central Ohio, Region 6"
    long_missed = ("Call the agency scheduler, then the on-call nurse supervisor; if nobody answers within "
                   "the hour, ask the wellness director to arrange cover from the float pool, tell the "
                   "family, and record the gap on the map with the time and the name of whoever was called.")
    contacts = BASE_CONTACTS + [{
        "Contact ID": "HH9", "Name": "Maximiliana Oyelaran-Fitzgerald", "Role": "Home health",
        "Organization": "Riverside Comprehensive Home Health and Hospice Services", "Phone": "(614) 555-0142 x2231",
    }]
    rows = full_map("R1", **{
        "Route": "Home health", "Provider": long_provider, "Contact ID": "HH9", "If missed": long_missed,
        "Authorization status": "Pending", "Requested on": dt.date(2026, 11, 2), "Referral status": "Sent",
        "Referral sent on": dt.date(2026, 11, 2), "Start date": dt.date(2026, 11, 10), "Start confirmed on": None,
        "Gap": "Open", "Gap noted on": dt.date(2026, 11, 20), "Response standard (hours)": 24,
    })
    resident = {"Resident ID": "R1", "Name": "Maria Guadalupe Fernandez-Rodriguez de la Cruz", "Room": "101",
                "Status": "Active", "Admitted on": dt.date(2026, 6, 1), "Case manager": "CM1",
                "Consent to share": "Yes"}
    return make_workbook(residents=[resident], contacts=contacts, authorization_map=rows)


def test_crowded_one_pager_is_one_page(make_workbook, tmp_path):
    soffice = soffice_or_skip()
    out = tmp_path / "out"
    result = run_cli("docs", crowded_resident(make_workbook), "--out", out, "--as-of", "2026-12-04T09:00",
                     "--kind", "one-pager", "--pdf")
    assert result.exit_code == 0, result.output
    document = out / "one-pagers" / "one-pager-R1.docx"

    pages = subprocess.run(["pdfinfo", str(document.with_suffix(".pdf"))], capture_output=True, text=True)

    if pages.returncode != 0 and "not found" in pages.stderr:
        pytest.skip("pdfinfo (poppler) is not installed")
    assert soffice
    assert re.search(r"^Pages:\s+1$", pages.stdout, re.MULTILINE), pages.stdout
    text = full_text(document)
    assert "…(continued in the workbook)" in text
    # Four items per map row (authorization, referral, start, gap) for nine rows.
    assert "more due items are not shown here: see the weekly agenda, or run handoff due." in text
    assert len(table_rows(document)[1]) == 1 + 9


def test_crowded_one_pager_counts_hidden_items(make_workbook):
    import datetime as dt

    from toolkit.contexts import ContextBuilder
    from toolkit.due import due_items
    from toolkit.facility import load_facility

    facility = load_facility(crowded_resident(make_workbook), dt.datetime(2026, 12, 4, 9, 0))
    items = due_items(facility)
    builder = ContextBuilder(facility, items)

    context = builder.one_pager(builder.residents_in_scope()[0])

    resident_items = [item for item in items if item.resident_id == "R1"]
    assert len(resident_items) >= 36
    hidden = len(resident_items) - len(context["due_items"])
    assert context["more_due_items"] == (f"{hidden} more due items are not shown here: see the weekly agenda, "
                                         "or run handoff due.")
    assert [row["domain"] for row in context["domains"]] == CORE_DOMAINS
    assert all(len(row["if_missed"]) < 200 for row in context["domains"])
    assert context["domains"][0]["if_missed"].endswith("…(continued in the workbook)")


def test_short_one_pager_is_not_cut(make_workbook):
    import datetime as dt

    from toolkit.contexts import ContextBuilder
    from toolkit.due import due_items
    from toolkit.facility import load_facility

    facility = load_facility(make_workbook(), dt.datetime(2026, 12, 4, 9, 0))
    builder = ContextBuilder(facility, due_items(facility))

    context = builder.one_pager(builder.residents_in_scope()[0])

    assert context["more_domains"] == ""
    assert context["more_due_items"] == ""
    assert not any("continued in the workbook" in str(row) for row in context["domains"])
