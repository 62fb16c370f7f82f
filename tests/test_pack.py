"""The weekly pack (`handoff run`), `handoff docs` and `handoff init` through the CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys

import docx
import openpyxl
from click.testing import CliRunner

from toolkit.cli import main

AS_OF = "2026-12-04T09:00"


def run_cli(*arguments: str):
    return CliRunner().invoke(main, [str(argument) for argument in arguments])


def document_text(path) -> str:
    """Return all paragraph and table-cell text of a Word document."""
    document = docx.Document(str(path))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def two_residents(make_workbook):
    from conftest import BASE_RESIDENT, full_map

    residents = [
        dict(BASE_RESIDENT),
        dict(BASE_RESIDENT, **{"Resident ID": "R2", "Name": "Bruno Sample", "Room": "202"}),
    ]
    return make_workbook(
        residents=residents,
        authorization_map=full_map("R1") + full_map("R2")[:5],
        escalations=[{
            "Escalation ID": "E1", "Resident ID": "R2", "Opened at": dt.datetime(2026, 12, 3, 14, 0),
            "Category": "Acute confusion", "Observed": "New confusion since lunch",
            "Decision needed": "Does she need a UA today?", "Contacted": "HH1",
        }],
        settings={"Facility name": "Maple Test"},
    )


def test_run_writes_whole_pack(make_workbook, tmp_path):
    workbook = two_residents(make_workbook)
    before = hashlib.sha256(workbook.read_bytes()).hexdigest()
    out = tmp_path / "pack"

    result = run_cli("run", workbook, "--out", out, "--as-of", AS_OF)

    assert result.exit_code == 0, result.output
    names = sorted(str(path.relative_to(out)) for path in out.rglob("*") if path.is_file())
    assert names == [
        "check-report.json", "check-report.txt", "due-report.json", "due-report.txt",
        "one-pagers/one-pager-R1.docx", "one-pagers/one-pager-R2.docx", "weekly-agenda.docx",
    ]
    assert hashlib.sha256(workbook.read_bytes()).hexdigest() == before
    assert "Maple Test: weekly pack as of 2026-12-04 09:00 EST" in result.output
    assert "2 one-pagers" in result.output


def test_run_reports_are_readable(make_workbook, tmp_path):
    out = tmp_path / "pack"
    run_cli("run", two_residents(make_workbook), "--out", out, "--as-of", AS_OF)

    due = json.loads((out / "due-report.json").read_text())
    assert due["facility"] == "Maple Test"
    assert due["as_of"] == "2026-12-04T09:00:00-05:00"
    # R2 lacks four core domains; its Acute confusion escalation opened Dec 3 14:00
    # with a 4 h standard was due Dec 3 18:00.
    assert ("MAP-MISSING", "R2") in {(item["code"], item["resident_id"]) for item in due["items"]}
    response = [item for item in due["items"] if item["code"] == "ESC-RESPONSE"]
    assert [(item["ref"], item["status"], item["due_at"]) for item in response] == [
        ("E1", "overdue", "2026-12-03T18:00:00-05:00")
    ]
    check = json.loads((out / "check-report.json").read_text())
    assert set(check) == {"workbook", "as_of", "summary", "problems"}


def test_one_pagers_hold_only_their_resident(make_workbook, tmp_path):
    out = tmp_path / "pack"
    run_cli("run", two_residents(make_workbook), "--out", out, "--as-of", AS_OF)

    first = document_text(out / "one-pagers" / "one-pager-R1.docx")
    second = document_text(out / "one-pagers" / "one-pager-R2.docx")
    assert "Ada Example" in first
    assert "Bruno Sample" not in first
    assert "Bruno Sample" in second
    assert "Ada Example" not in second
    assert "E1" in second
    assert "E1" not in first


def test_agenda_lists_open_escalation(make_workbook, tmp_path):
    out = tmp_path / "pack"
    run_cli("run", two_residents(make_workbook), "--out", out, "--as-of", AS_OF)

    agenda = document_text(out / "weekly-agenda.docx")
    assert "Maple Test" in agenda
    assert "INTERNAL" in agenda
    assert "E1 Acute confusion" in agenda
    assert "awaiting response" in agenda


def test_run_missing_required_sheet_writes_check_only(make_workbook, tmp_path):
    workbook = make_workbook(extra_sheets={"Authorization Map": None})
    out = tmp_path / "pack"

    result = run_cli("run", workbook, "--out", out, "--as-of", AS_OF)

    assert result.exit_code == 2
    assert sorted(path.name for path in out.iterdir()) == ["check-report.json", "check-report.txt"]
    assert "SHEET-MISSING" in (out / "check-report.txt").read_text()


def test_run_broken_template_leaves_nothing(make_workbook, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "agenda.docx").write_bytes(b"not a Word file")
    out = tmp_path / "pack"

    result = run_cli("run", two_residents(make_workbook), "--out", out, "--as-of", AS_OF, "--templates", templates)

    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert [path for path in out.rglob("*") if path.is_file()] == []


def test_docs_single_resident(make_workbook, tmp_path):
    out = tmp_path / "docs"

    result = run_cli("docs", two_residents(make_workbook), "--out", out, "--as-of", AS_OF,
                     "--kind", "one-pager", "--resident", "r2")

    assert result.exit_code == 0, result.output
    assert [path.name for path in out.rglob("*.docx")] == ["one-pager-R2.docx"]


def test_docs_unknown_resident_is_one_line(make_workbook, tmp_path):
    result = run_cli("docs", two_residents(make_workbook), "--out", tmp_path / "docs", "--as-of", AS_OF,
                     "--resident", "R9")

    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "R9" in result.output


def test_init_writes_loadable_workbook(tmp_path):
    target = tmp_path / "new.xlsx"

    first = run_cli("init", target)
    second = run_cli("init", target)
    forced = run_cli("init", target, "--force")

    assert first.exit_code == 0
    assert second.exit_code == 2
    assert "already exists" in second.output
    assert forced.exit_code == 0
    book = openpyxl.load_workbook(target)
    assert book.sheetnames[0] == "Instructions"
    check = run_cli("check", target, "--as-of", AS_OF)
    assert check.exit_code == 0, check.output


def test_python_dash_m_runs_cli():
    result = subprocess.run([sys.executable, "-m", "toolkit", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "Usage: handoff" in result.stdout


def test_check_and_help_avoid_heavy_imports(make_workbook):
    workbook = make_workbook()
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from toolkit.cli import main\n"
        "CliRunner().invoke(main, ['--help'])\n"
        f"result = CliRunner().invoke(main, ['check', {str(workbook)!r}, '--as-of', '2026-12-04'])\n"
        f"CliRunner().invoke(main, ['due', {str(workbook)!r}, '--as-of', '2026-12-04'])\n"
        "assert result.exit_code in (0, 1), result.output\n"
        "print(sorted(m for m in ('pandas', 'docxtpl', 'matplotlib', 'docx', 'toolkit.pack', 'toolkit.contexts')\n"
        "             if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_workbook_text_prints_as_typed(make_workbook, tmp_path):
    from conftest import full_map

    typed = "{{ name }} & <b> {% if x %}"
    rows = full_map()
    rows[0]["If missed"] = typed
    rows[1]["Provider"] = "Line one\nLine two"
    out = tmp_path / "docs"

    result = run_cli("docs", make_workbook(authorization_map=rows), "--out", out, "--as-of", AS_OF,
                     "--kind", "one-pager")

    assert result.exit_code == 0, result.output
    text = document_text(out / "one-pagers" / "one-pager-R1.docx")
    assert typed in text
    assert "Line one\nLine two" in text


def test_output_never_replaces_workbook(make_workbook):
    workbook = make_workbook()
    before = hashlib.sha256(workbook.read_bytes()).hexdigest()

    due = run_cli("due", workbook, "--as-of", AS_OF, "--format", "xlsx", "-o", workbook)
    check = run_cli("check", workbook, "--as-of", AS_OF, "-o", workbook)

    assert due.exit_code == 2
    assert check.exit_code == 2
    assert "is the workbook itself" in due.output
    assert hashlib.sha256(workbook.read_bytes()).hexdigest() == before


def test_run_replaces_stale_one_pagers(make_workbook, tmp_path):
    out = tmp_path / "pack"
    run_cli("run", two_residents(make_workbook), "--out", out, "--as-of", AS_OF)

    result = run_cli("run", make_workbook(), "--out", out, "--as-of", AS_OF)

    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in (out / "one-pagers").iterdir()) == ["one-pager-R1.docx"]


def test_due_warns_when_workbook_open(make_workbook):
    workbook = make_workbook()
    workbook.with_name("~$" + workbook.name).write_bytes(b"lock")

    result = run_cli("due", workbook, "--as-of", AS_OF)

    assert result.exit_code == 0
    assert "Warning: Someone has" in result.output


def test_init_rejects_other_extensions(tmp_path):
    result = run_cli("init", tmp_path / "facility.xls")

    assert result.exit_code == 2
    assert "ending in .xlsx" in result.output
    assert not (tmp_path / "facility.xls").exists()
