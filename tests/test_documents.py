"""Tests for toolkit.documents: real templates rendered to real Word files."""

from __future__ import annotations

import importlib.util
import os
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
    ],
    ids=["mro", "subclasses", "str-format", "list-mutation"],
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

    assert sorted(path.name for path in written) == ["agenda.docx", "one_pager.docx"]
    for path in written:
        with zipfile.ZipFile(path) as built, zipfile.ZipFile(doc_templates_dir() / path.name) as committed:
            assert built.namelist() == committed.namelist(), path.name
            for name in built.namelist():
                assert built.read(name) == committed.read(name), f"{path.name}: {name} differs"
