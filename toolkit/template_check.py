"""Export the default Word templates, and find the problems of restyled ones.

``handoff templates export`` copies the defaults out for staff to restyle.
``handoff templates check`` lists every problem of every template in a
folder. ``DocumentRenderer`` raises the first problem of a template as a
TemplateError before it fills in any document.

Besides parsing each part and comparing the names it uses with the fields of
its kind, a check fills in every part with sample data twice. The first
sample has one entry in every list and ``internal`` true. The second has
empty lists, empty text and ``internal`` false. That reaches both sides of the usual
``{% if %}`` tags and finds a misspelt field of a group (``resident.nam``), a
filter that does not exist, or a reach for Python internals, which the
sandbox rejects.
"""

from __future__ import annotations

import difflib
import html
import io
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.documents import (
    DOCUMENT_FIELDS,
    DOCUMENT_KINDS,
    _jinja_source,
    _new_jinja_environment,
    _one_line,
    _template_parts,
)
from toolkit.errors import HandoffError, OutputError, TemplateError
from toolkit.files import atomic_path
from toolkit.resources import doc_templates_dir

SNIPPET_LENGTH = 60
WHOLE_FILE = ""

# Characters that Word's AutoFormat puts in place of straight quotes. docxtpl
# (0.20) turns the four English ones back into straight quotes inside tags;
# the others are named in the error message.
_TYPOGRAPHIC_QUOTES = "“”‘’„‟‚‛«»‹›″′"


@dataclass(frozen=True)
class TemplateProblem:
    """One problem of a template file: where it is, and a one-line message that states it in full."""

    path: Path
    part: str  # "the main text", "a page header", "a page footer", or WHOLE_FILE
    near: str  # the text of the paragraph around the problem, or ""
    message: str


def export_templates(folder: Path, overwrite: bool = False) -> list[Path]:
    """Copy every default template into ``folder`` and return the paths written.

    Raises HandoffError when ``folder`` already contains a template of the
    same name and ``overwrite`` is false. Then nothing is copied.
    """
    defaults = [doc_templates_dir() / f"{kind}.docx" for kind in DOCUMENT_KINDS]
    missing = [path for path in defaults if not path.is_file()]
    if missing:
        raise TemplateError(f"Default template not found: {missing[0]}. Reinstall the toolkit.")
    targets = [folder / path.name for path in defaults]
    existing = [target.name for target in targets if target.exists()]
    if existing and not overwrite:
        raise HandoffError(
            f"{folder} already contains {', '.join(existing)}. Choose another folder, or add --force to "
            "overwrite them with the defaults."
        )
    for source, target in zip(defaults, targets):
        try:
            data = source.read_bytes()
        except OSError as error:
            raise TemplateError(f"Cannot read the default template {source}: {error.strerror}.") from error
        try:
            with atomic_path(target) as temporary:
                temporary.write_bytes(data)
        except OSError as error:
            raise OutputError(f"Cannot write {target}: {error.strerror}.") from error
    return targets


def template_problems(path: Path, data: bytes, kind: str, environment=None,
                      fill_samples: bool = True) -> list[TemplateProblem]:
    """Return every problem of one template file of ``kind``; an empty list when it is fine."""
    import zipfile

    from docxtpl import DocxTemplate
    from jinja2 import TemplateSyntaxError, meta
    from lxml import etree

    environment = environment or _new_jinja_environment()
    document = DocxTemplate(io.BytesIO(data))
    try:
        document.init_docx()
    except (zipfile.BadZipFile, KeyError, ValueError, etree.LxmlError):
        return [TemplateProblem(path, WHOLE_FILE, "",
                                f"Template {path} is not a readable Word document. Save it from Word as a .docx file.")]

    problems: list[TemplateProblem] = []
    parsed: list[tuple[str, str, Any]] = []
    for part_name, xml in _template_parts(document):
        source = _jinja_source(document, xml)
        try:
            tree = environment.parse(source)
        except TemplateSyntaxError as error:
            near = _paragraph_text(source, error.lineno)
            problems.append(TemplateProblem(path, part_name, near, _syntax_message(path, part_name, near, error)))
            continue
        parsed.append((part_name, source, tree))

    fields = DOCUMENT_FIELDS[kind]
    allowed = set(fields) | set(environment.globals)
    for part_name, source, tree in parsed:
        for name in sorted(meta.find_undeclared_variables(tree) - allowed):
            near = _paragraph_with_name(source, name)
            where = f" It is in {part_name} near “{near}”." if near else ""
            message = (f"Template {path} uses unknown field {name}.{where} "
                       f"The fields of {kind} are: {', '.join(fields)}.")
            problems.append(TemplateProblem(path, part_name, near, message))

    if fill_samples and not problems and kind in SAMPLE_CONTEXTS:
        for context in (SAMPLE_CONTEXTS[kind], _emptied(SAMPLE_CONTEXTS[kind])):
            failure = _render_failure(path, parsed, environment, context)
            if failure is not None:
                problems.append(failure)
                break
    return problems


def render_failure_location(data: bytes, context: dict, environment) -> str:
    """Return " in <part> near “<paragraph>”" for the first part that fails with ``context``, or ""."""
    from docxtpl import DocxTemplate

    document = DocxTemplate(io.BytesIO(data))
    document.init_docx()
    parsed = []
    for part_name, xml in _template_parts(document):
        source = _jinja_source(document, xml)
        parsed.append((part_name, source, None))
    failure = _render_failure(Path(), parsed, environment, context)
    if failure is None:
        return ""
    near = f" near “{failure.near}”" if failure.near else ""
    return f" in {failure.part}{near}"


def folder_problems(folder: Path) -> tuple[list[Path], list[TemplateProblem]]:
    """Check every template in ``folder``; return the templates checked and all problems found.

    A ``.docx`` whose name is not a template name is a problem too, because it
    would never be used. Word's lock files (``~$…``) are skipped.
    """
    checked: list[Path] = []
    problems: list[TemplateProblem] = []
    environment = _new_jinja_environment()
    names = [f"{kind}.docx" for kind in DOCUMENT_KINDS]
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("~$"):
            continue
        suffix = path.suffix.casefold()
        if suffix in (".doc", ".dotx", ".docm", ".odt"):
            problems.append(TemplateProblem(
                path, WHOLE_FILE, "",
                f"{path} is not a .docx file, so it is never used. Save it from Word as a Word Document (.docx) "
                f"named like one of: {', '.join(names)}."))
            continue
        if suffix != ".docx":
            continue
        kind = path.stem
        if kind not in DOCUMENT_FIELDS:
            close = difflib.get_close_matches(path.name, names, n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            problems.append(TemplateProblem(
                path, WHOLE_FILE, "",
                f"{path.name} is not a template name, so it is never used.{hint} "
                f"Template names: {', '.join(names)}."))
            continue
        checked.append(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            problems.append(TemplateProblem(path, WHOLE_FILE, "", f"Cannot read {path}: {error.strerror}."))
            continue
        problems.extend(template_problems(path, data, kind, environment))
    if not checked and not problems:
        problems.append(TemplateProblem(
            folder, WHOLE_FILE, "",
            f"{folder} holds no templates. Put restyled templates there, named like one of: {', '.join(names)}; "
            "handoff templates export writes the defaults."))
    return checked, problems


# ---------------------------------------------------------------- messages


def _syntax_message(path: Path, part_name: str, near: str, error) -> str:
    # Jinja counts characters of the part's XML ("unexpected char '„' at 1255"), which means nothing in Word.
    problem = re.sub(r" at \d+$", "", _one_line(error.message).rstrip("."))
    quotes = [character for character in _TYPOGRAPHIC_QUOTES if character in near]
    hint = ""
    if quotes and "unexpected char" in problem:
        hint = (f" Word replaced a straight quote with {quotes[0]}: type the quotes inside the tag again as "
                "' or \" (turn off AutoFormat's smart quotes first).")
    where = f" near “{near}”" if near else ""
    return (f"Template {path} has a syntax error in {part_name}{where}: {problem}.{hint} "
            "Fix that tag in Word and save the template again.")


def _paragraph_text(source: str, line_number: int | None) -> str:
    """Return the text of the source line (one paragraph) ``line_number``, shortened."""
    lines = source.splitlines()
    if not line_number or not 0 < line_number <= len(lines):
        return ""
    return _shorten(_one_line(html.unescape(re.sub(r"<[^>]+>", "", lines[line_number - 1]))))


def _paragraph_with_name(source: str, name: str) -> str:
    pattern = re.compile(r"(?<![\w.])" + re.escape(name) + r"(?!\w)")
    for number, line in enumerate(source.splitlines(), start=1):
        text = html.unescape(re.sub(r"<[^>]+>", "", line))
        if any(pattern.search(tag) for tag in re.findall(r"\{[{%].*?[}%]\}", text)):
            return _paragraph_text(source, number)
    return ""


def _shorten(text: str) -> str:
    return text if len(text) <= SNIPPET_LENGTH else text[: SNIPPET_LENGTH - 1] + "…"


# ---------------------------------------------------------------- sample fill-in


def _render_failure(path: Path, parsed, environment, context: dict) -> TemplateProblem | None:
    """Fill in each part with ``context``; return the first failure as a problem, or None."""
    import jinja2

    for part_name, source, _ in parsed:
        try:
            environment.from_string(source).render(context)
        except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as error:
            line = None
            for frame in traceback.extract_tb(error.__traceback__):
                if frame.filename == "<template>":
                    line = frame.lineno
            near = _paragraph_text(source, line)
            where = f" near “{near}”" if near else ""
            detail = _one_line(getattr(error, "message", None) or str(error))
            if not isinstance(error, jinja2.TemplateError):
                detail = f"{type(error).__name__}: {detail}"
            return TemplateProblem(
                path, part_name, near,
                f"Template {path} cannot be filled in: {part_name}{where} fails with {detail}. "
                "Check the field names against the list for this template.")
    return None


def _emptied(value: Any) -> Any:
    """Return ``value`` with every list empty, every text blank and ``internal`` false."""
    if isinstance(value, dict):
        return {key: (False if key == "internal" else _emptied(item)) for key, item in value.items()}
    if isinstance(value, list):
        return []
    if isinstance(value, str):
        return ""
    return value


def _due_item() -> dict:
    return {"code": "ESC-RESPONSE", "status": "overdue", "due_at": "2026-12-03 18:00 EST", "ref": "E-1",
            "owner": "Dana Case (Area Agency on Aging)", "summary": "Acute confusion: no response."}


def _header() -> dict:
    return {"facility": "Sample Facility", "as_of": "2026-12-04 09:00 EST", "workbook": "facility.xlsx",
            "audience": "INTERNAL: contains resident details.", "internal": True}


def _resident() -> dict:
    return {"resident_id": "R-1", "name": "Sample Resident", "room": "101", "status": "Active",
            "anchor_date": "Dec 01, 2026", "transition": "Hospital return", "case_manager": "Dana Case"}


# One context per document kind, with every field the contexts carry and
# every list holding one entry. tests/test_partner_documents.py compares
# their shape with contexts built from a workbook.
SAMPLE_CONTEXTS: dict[str, dict] = {
    "one_pager": {
        **_header(),
        "resident": _resident(),
        "domains": [{"domain": "Therapy", "route": "Home health", "provider": "Sunrise Home Health",
                     "contact": "Pat Nurse (Sunrise Home Health)", "phone": "555-0102", "state": "Gap",
                     "authorization": "Pending since Nov 30, 2026", "response_standard": "24 h",
                     "if_missed": "Call the agency scheduler."}],
        "due_items": [_due_item()],
        "more_domains": "1 more Other row is not shown here.",
        "more_due_items": "2 more due items are not shown here.",
    },
    "agenda": {
        **_header(),
        "counts": {"overdue": "1", "due_soon": "2", "unscheduled": "0"},
        "weekly_review": [{"resident_id": "R-1", "name": "Sample Resident", "room": "101",
                           "anchor_date": "Dec 01, 2026", "transition": "Hospital return",
                           "last_review": "not yet reviewed", "next_review": "2026-12-08 23:59 EST"}],
        "residents": [{"resident_id": "R-1", "name": "Sample Resident", "room": "101", "due_items": [_due_item()],
                       "unconfirmed_starts": ["Therapy: planned Dec 02"], "pending_authorizations": ["Therapy"],
                       "pending_referrals": ["Therapy"], "open_gaps": ["Therapy"], "open_escalations": ["E-1"],
                       "risks_due": ["RR-1"], "incidents_since": ["IR-1 Fall"]}],
        "actions": [{"resident_id": "R-1", "what": "Confirm therapy start", "owner": "Dana Case",
                     "due_at": "2026-12-05 23:59 EST", "status": "due soon"}],
    },
    "escalation_note": {
        **_header(),
        "resident": _resident(),
        "escalation": {
            "escalation_id": "E-1", "category": "Acute confusion", "state": "Open",
            "opened_at": "Dec 03, 2026 14:00", "observed": "New confusion since lunch.",
            "action_taken": "Checked vital signs.", "decision_needed": "Is a urine test needed today?",
            "needed_by": "Dec 03, 2026 20:00", "contacted": "Pat Nurse (Sunrise Home Health), 555-0102",
            "contacted_at": "Dec 03, 2026 14:10", "response_standard": "4 h for Acute confusion",
            "response": "No response recorded yet.", "backup": "Lee Backup (Area Agency on Aging)",
            "decision": "No decision recorded yet.", "decided_at": "", "follow_up": "No follow-up recorded.",
            "follow_up_owner": "", "follow_up_due": "", "follow_up_confirmed_at": "", "outcome": "",
            "next_step": "awaiting response",
        },
        "due_items": [_due_item()],
    },
    "risk_summary": {
        **_header(),
        "resident": _resident(),
        "risks": [{"risk_id": "RR-1", "risk": "Falls", "description": "Unsteady at night.",
                   "controls": "Night checks every two hours.", "warning_signs": "Getting up alone.",
                   "next_step": "Ask for a therapy assessment.", "owner": "Dana Case",
                   "reviews": "Opened Nov 01, 2026; never reviewed."}],
        "incident_days": "30",
        "incidents": [{"incident_id": "IR-1", "occurred_at": "Dec 01, 2026 03:00", "type": "Fall",
                       "description": "Found on the floor.", "risk_id": "RR-1"}],
        "due_items": [_due_item()],
    },
}
