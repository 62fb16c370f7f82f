"""Word documents filled in from docxtpl templates.

The default templates live in ``doc_templates/`` (built by
``doc_templates/build_templates.py``). A templates folder given by the user
overrides them file by file: ``<kind>.docx`` in that folder is used when it
exists, otherwise the default.

Template fields
===============

Every leaf value is an already formatted string, except ``internal``, which
is a bool. Lists may be empty. ``doc_templates/README.md`` repeats this list
for staff who restyle the templates.

``one_pager`` (one resident's service authorization map):

- ``facility``, ``as_of``, ``workbook``, ``audience``: header lines. The
  audience line is e.g. "INTERNAL — contains resident details" or
  "Prepared for <partner>".
- ``internal``: True for the internal set, False for a partner's set.
- ``resident``: ``resident_id``, ``name``, ``room``, ``status``,
  ``anchor_date``, ``transition``, ``case_manager``.
- ``domains``: one entry per support domain, each with ``domain``,
  ``route``, ``provider``, ``contact``, ``phone``, ``state``,
  ``authorization``, ``response_standard``, ``if_missed``.
- ``due_items``: the resident's open due items that fit on the page, each
  with ``code``, ``status``, ``due_at``, ``ref``, ``owner``, ``summary``.
- ``more_domains``, ``more_due_items``: a sentence counting the rows left off
  to keep the page to one page, or "" when none were (see
  ``toolkit/page_fit.py``).

``agenda`` (weekly check-in agenda for a facility or one partner):

- ``facility``, ``as_of``, ``workbook``, ``audience``, ``internal``: as above.
- ``counts``: ``overdue``, ``due_soon``, ``unscheduled``.
- ``weekly_review``: residents still under weekly review, each with
  ``resident_id``, ``name``, ``room``, ``anchor_date``, ``transition``,
  ``last_review``, ``next_review``.
- ``residents``: residents with anything open, each with ``resident_id``,
  ``name``, ``room``, ``due_items`` (entries as in the one-pager) and these
  lists of strings: ``unconfirmed_starts``, ``pending_authorizations``,
  ``pending_referrals``, ``open_gaps``, ``open_escalations``,
  ``risks_due``, ``incidents_since``.
- ``actions``: each with ``resident_id``, ``what``, ``owner``, ``due_at``,
  ``status``.

``escalation_note`` (one escalation):

- ``facility``, ``as_of``, ``workbook``, ``audience``, ``internal``: as above.
- ``resident``: ``resident_id``, ``name``, ``room``, ``status``,
  ``anchor_date``, ``transition``, ``case_manager``.
- ``escalation``: ``escalation_id``, ``category``, ``state``, ``opened_at``,
  ``observed``, ``action_taken``, ``decision_needed``, ``needed_by``,
  ``contacted``, ``contacted_at``, ``response_standard``, ``response``,
  ``backup``, ``decision``, ``decided_at``, ``follow_up``,
  ``follow_up_owner``, ``follow_up_due``, ``follow_up_confirmed_at``,
  ``outcome``, ``next_step``.
- ``due_items``: the escalation's open due items, entries as in the one-pager.

``risk_summary`` (one resident's active risks):

- ``facility``, ``as_of``, ``workbook``, ``audience``, ``internal``: as above.
- ``resident``: as in the escalation note.
- ``risks``: each with ``risk_id``, ``risk``, ``description``, ``controls``,
  ``warning_signs``, ``next_step``, ``owner``, ``reviews`` (opened, last
  reviewed, controls changed and next review due, in one line).
- ``incident_days``: the length of the incident period, e.g. "30".
- ``incidents``: the resident's incidents in that period, each with
  ``incident_id``, ``occurred_at``, ``type``, ``description``, ``risk_id``.
- ``due_items``: the resident's open risk items, entries as in the one-pager.

``audit`` (the governance audit of one or many facilities for a period):
the fields are listed in ``toolkit/audit_report.py``. ``charts`` contains
ChartImage values, which print as pictures.

How values are printed
======================

Values reach docxtpl as data and are never parsed as template code, so
``{{ x }}`` or ``{% if %}`` typed into a workbook cell prints as typed.
Templates run in Jinja2's immutable sandbox with autoescape on, so ``&``,
``<`` and ``>`` print as themselves, and a name missing from the context is
an error rather than a blank.

A line break inside a value becomes a Word line break. docxtpl (0.20) turns
every newline in rendered text into ``<w:br/>``, so plain strings need no
Listing or RichText wrapper. Tabs become Word tabs. Other control characters
cannot be stored in a Word document and are dropped.

docxtpl and jinja2 are imported inside the functions that need them, so that
importing this module (and starting the CLI) stays fast.
"""

from __future__ import annotations

import functools
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.errors import OutputError, TemplateError
from toolkit.files import atomic_path
from toolkit.resources import doc_templates_dir

# The top-level context names each kind of document receives.
DOCUMENT_FIELDS: dict[str, tuple[str, ...]] = {
    "one_pager": (
        "facility", "as_of", "workbook", "audience", "internal",
        "resident", "domains", "due_items", "more_domains", "more_due_items",
    ),
    "agenda": (
        "facility", "as_of", "workbook", "audience", "internal",
        "counts", "weekly_review", "residents", "actions",
    ),
    "escalation_note": (
        "facility", "as_of", "workbook", "audience", "internal",
        "resident", "escalation", "due_items",
    ),
    "risk_summary": (
        "facility", "as_of", "workbook", "audience", "internal",
        "resident", "risks", "incident_days", "incidents", "due_items",
    ),
    "audit": (
        "facility", "period", "as_of", "workbook", "audience", "internal",
        "summary", "categories", "outcomes", "sources", "by_facility", "months", "notes", "charts",
    ),
}

DOCUMENT_KINDS: tuple[str, ...] = tuple(DOCUMENT_FIELDS)

# docxtpl turns these four template escapes into "{{", "}}", "{%" and "%}"
# after rendering. Writing the underscore of a value as a character reference
# keeps a value containing one of them unchanged.
_DOCXTPL_ESCAPES = re.compile(r"\{_\{|\}_\}|\{_%|%_\}")

_LINE_BREAKS = re.compile("\r\n|[\r\v\f\x85\u2028\u2029]")

# Characters XML 1.0 cannot hold, and lone surrogates, which cannot be encoded.
# Tab and newline stay, because docxtpl turns them into Word tabs and breaks.
_INVALID_XML_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class ChartImage:
    """A PNG picture for a context, printed where the template prints its field.

    Only code puts pictures in a context: workbook values are strings, so they
    still print as escaped text.
    """

    png: bytes
    width_mm: float


@dataclass(frozen=True)
class _LoadedTemplate:
    path: Path
    data: bytes


class DocumentRenderer:
    """Fill in documents from one set of templates, reading each template once.

    A docxtpl template object can be rendered only once, so the renderer keeps
    each template's bytes and opens a fresh copy for every document.
    """

    def __init__(self, templates_dir: str | os.PathLike | None = None) -> None:
        """Use ``templates_dir`` to override the default templates, file by file.

        Raises TemplateError when ``templates_dir`` is given but is not a folder.
        """
        self.templates_dir = Path(templates_dir) if templates_dir is not None else None
        if self.templates_dir is not None and not self.templates_dir.is_dir():
            raise TemplateError(
                f"Templates folder not found: {self.templates_dir}. "
                "Give a folder that contains restyled templates, such as one_pager.docx."
            )
        self._templates: dict[str, _LoadedTemplate] = {}
        self._environment = None

    def template_path(self, kind: str) -> Path:
        """Return the template file used for ``kind``: the override if present, else the default."""
        _check_kind(kind)
        file_name = f"{kind}.docx"
        if self.templates_dir is not None:
            override = self.templates_dir / file_name
            if override.is_file():
                return override
        return doc_templates_dir() / file_name

    def render(self, kind: str, context: dict[str, Any], out_path: str | os.PathLike) -> Path:
        """Fill in the ``kind`` template with ``context`` and save it atomically to ``out_path``.

        Raises TemplateError when the template is missing, unreadable or fails
        to render, and OutputError when ``out_path`` cannot be written. On
        either error ``out_path`` is left as it was.
        """
        template = self._load(kind)
        _check_context(kind, context)
        document = self._fill(template, context)
        return _save(document, Path(out_path))

    def check_templates(self, kinds) -> None:
        """Load and check the templates of ``kinds`` now; raise TemplateError for the first broken one."""
        for kind in kinds:
            self._load(kind)

    def _jinja_environment(self):
        if self._environment is None:
            self._environment = _new_jinja_environment()
        return self._environment

    def _load(self, kind: str) -> _LoadedTemplate:
        template = self._templates.get(kind)
        if template is not None:
            return template

        path = self.template_path(kind)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise TemplateError(
                f"Template not found: {path}. Reinstall the toolkit or put {path.name} "
                "in the folder given with --templates."
            ) from None
        except OSError as error:
            raise TemplateError(f"Cannot read template {path}: {error.strerror}.") from error

        _check_template(path, data, kind, self._jinja_environment())
        template = _LoadedTemplate(path, data)
        self._templates[kind] = template
        return template

    def _fill(self, template: _LoadedTemplate, context: dict[str, Any]):
        import jinja2
        from lxml import etree

        document = _docx_template_class()(io.BytesIO(template.data))
        try:
            document.render(
                _clean_value(_inline_images(document, context)), jinja_env=self._jinja_environment(),
                autoescape=True,
            )
        except jinja2.TemplateError as error:
            raise TemplateError(
                f"Template {template.path} failed to render{self._failure_location(template, context)}: "
                f"{_one_line(error.message)}"
            ) from error
        # Expressions a restyled template may hold, such as adding a number to
        # a list, raise plain Python errors, and broken tags can yield XML that
        # lxml rejects.
        except (TypeError, ValueError, ArithmeticError, LookupError, etree.LxmlError) as error:
            raise TemplateError(
                f"Template {template.path} failed to render{self._failure_location(template, context)}: "
                f"{type(error).__name__}: {_one_line(str(error))}"
            ) from error
        return document

    def _failure_location(self, template: _LoadedTemplate, context: dict[str, Any]) -> str:
        """Return where filling in ``template`` fails, e.g. " in the main text near “…”", or ""."""
        from toolkit.template_check import render_failure_location

        try:
            return render_failure_location(template.data, _clean_value(context), self._jinja_environment())
        except Exception:  # the location only adds to the message of the error being raised
            return ""


def render_document(
    kind: str,
    context: dict[str, Any],
    out_path: str | os.PathLike,
    templates_dir: str | os.PathLike | None = None,
) -> Path:
    """Fill in one ``kind`` document ("one_pager" or "agenda") and save it to ``out_path``.

    ``templates_dir`` overrides the default template when it contains
    ``<kind>.docx``. To write many documents, make one DocumentRenderer and
    call its ``render`` for each, so every template is read and checked once.
    """
    return DocumentRenderer(templates_dir).render(kind, context, out_path)


def _check_kind(kind: str) -> None:
    if kind not in DOCUMENT_FIELDS:
        raise ValueError(f"Unknown document kind {kind!r}. Expected one of {', '.join(DOCUMENT_KINDS)}.")


def _check_context(kind: str, context: dict[str, Any]) -> None:
    missing = [name for name in DOCUMENT_FIELDS[kind] if name not in context]
    if missing:
        raise ValueError(f"The {kind} context is missing {', '.join(missing)}.")


def _new_jinja_environment():
    from jinja2 import StrictUndefined

    # finalize runs on each printed value before autoescape, and its Markup
    # result is not escaped again.
    return _environment_class()(autoescape=True, undefined=StrictUndefined, finalize=_escape_value)


# Compiled templates and cleaned XML are kept per source, up to this many. With
# more (restyled templates in a long-running scheduler), the store starts again.
_KEPT_SOURCES = 64


@functools.lru_cache(maxsize=1)
def _environment_class():
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class CompileOnceEnvironment(ImmutableSandboxedEnvironment):
        """A sandboxed Jinja environment that compiles each template source once.

        docxtpl compiles a template's XML again for every document it fills
        in, and that XML is the same for every document of one template.
        """

        def from_string(self, source, globals=None, template_class=None):
            if globals is not None or template_class is not None or not isinstance(source, str):
                return super().from_string(source, globals, template_class)
            compiled = self.__dict__.setdefault("_compiled", {})
            template = compiled.get(source)
            if template is None:
                if len(compiled) >= _KEPT_SOURCES:
                    compiled.clear()
                template = compiled[source] = super().from_string(source)
            return template

    return CompileOnceEnvironment


@functools.lru_cache(maxsize=1)
def _docx_template_class():
    from docxtpl import DocxTemplate

    class PatchOnceTemplate(DocxTemplate):
        """A docxtpl template that cleans each XML source for Jinja once, not once per document."""

        _patched: dict[str, str] = {}

        def patch_xml(self, src_xml):
            patched = self._patched.get(src_xml)
            if patched is None:
                if len(self._patched) >= _KEPT_SOURCES:
                    self._patched.clear()
                patched = self._patched[src_xml] = super().patch_xml(src_xml)
            return patched

    return PatchOnceTemplate


def _escape_value(value: Any):
    from markupsafe import Markup, escape

    if value is None:
        return ""
    escaped = str(escape(value))
    return Markup(_DOCXTPL_ESCAPES.sub(lambda match: match.group(0).replace("_", "&#95;"), escaped))


def _clean_value(value: Any) -> Any:
    """Return a copy of ``value`` with line breaks unified and unstorable characters dropped."""
    if isinstance(value, str):
        return _INVALID_XML_CHARACTERS.sub("", _LINE_BREAKS.sub("\n", value))
    if isinstance(value, dict):
        return {key: _clean_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_value(item) for item in value]
    return value


def _inline_images(document, value: Any) -> Any:
    """Return a copy of ``value`` with each ChartImage replaced by a docxtpl InlineImage of ``document``.

    An InlineImage prints its drawing XML through ``__html__``, which the
    escaping in ``_escape_value`` keeps as markup.
    """
    from docx.shared import Mm
    from docxtpl import InlineImage

    def replace(item: Any) -> Any:
        if isinstance(item, ChartImage):
            return InlineImage(document, io.BytesIO(item.png), width=Mm(item.width_mm))
        if isinstance(item, dict):
            return {key: replace(entry) for key, entry in item.items()}
        if isinstance(item, (list, tuple)):
            return [replace(entry) for entry in item]
        return item

    return replace(value)


# ---------------------------------------------------------------- template checks


def _check_template(path: Path, data: bytes, kind: str, environment) -> None:
    """Raise TemplateError unless ``data`` is a Word file whose tags parse and name known fields."""
    from toolkit.template_check import template_problems

    problems = template_problems(path, data, kind, environment, fill_samples=False)
    if problems:
        raise TemplateError(problems[0].message)


def _template_parts(document):
    """Yield (part name, XML) for the body, headers and footers docxtpl renders."""
    yield "the main text", document.get_xml()
    for uri, part_name in ((document.HEADER_URI, "a page header"), (document.FOOTER_URI, "a page footer")):
        for _, part in document.get_headers_footers(uri):
            yield part_name, document.get_part_xml(part)


def _jinja_source(document, xml: str) -> str:
    """Return the Jinja source docxtpl makes from ``xml``, one paragraph per line."""
    # docxtpl's render_xml_part starts each paragraph on a new line the same
    # way, so the line numbers of syntax errors match the ones here.
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", document.patch_xml(xml))


def _one_line(text: str | None) -> str:
    return " ".join(str(text or "").split())


# ---------------------------------------------------------------- output


def _save(document, out_path: Path) -> Path:
    try:
        with atomic_path(out_path) as temporary:
            document.save(temporary)
    except OSError as error:
        raise OutputError(f"Cannot write {out_path}: {error.strerror}.") from error
    return out_path
