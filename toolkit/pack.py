"""Write documents and the weekly pack to an output folder.

Files are produced in a private temporary folder beside the output folder and
moved into place one by one only when all of them were written, so a failure
part-way leaves the previous pack as it was.

A partner's set goes into its own folder, ``partner-<Contact ID>/``, which is
replaced as a whole: a document from an earlier run, about a resident whose
consent has since been withdrawn, never stays beside the new ones.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path

from toolkit import values
from toolkit.consent import PartnerScope, partner_scope
from toolkit.contexts import ContextBuilder, partner_audience
from toolkit.due import DueItem, due_items
from toolkit.errors import HandoffError, OutputError
from toolkit.facility import Facility
from toolkit.pdf import PdfResult, convert_to_pdf
from toolkit.problems import count_by_severity
from toolkit.progress import ProgressCallback, no_progress
from toolkit.report import due_json, due_text, problems_json, problems_text

ONE_PAGER_FOLDER = "one-pagers"
ESCALATION_NOTE_FOLDER = "escalation-notes"
RISK_SUMMARY_FOLDER = "risk-summaries"

# The documents of the weekly pack (`handoff run`).
KINDS = ("one-pager", "agenda")
# Every kind `handoff docs` writes. The internal set contains all of them.
DOCUMENT_KINDS = ("one-pager", "agenda", "escalation-note", "risk-summary")
# A partner's set, as the product contract lists it. A partner's one-pagers
# are written only when asked for with --kind one-pager.
PARTNER_KINDS = ("agenda", "escalation-note", "risk-summary")
FOLDER_OF_KIND = {
    "one-pager": ONE_PAGER_FOLDER, "escalation-note": ESCALATION_NOTE_FOLDER, "risk-summary": RISK_SUMMARY_FOLDER,
}
TEMPLATE_OF_KIND = {
    "one-pager": "one_pager", "agenda": "agenda", "escalation-note": "escalation_note",
    "risk-summary": "risk_summary",
}


@contextlib.contextmanager
def staging_folder(out_dir: Path, replace_folders: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield a temporary folder whose files are moved into ``out_dir`` on success.

    Each of ``replace_folders`` (a folder name inside ``out_dir``) is replaced
    as a whole by the staged folder of that name, even when that is empty.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".handoff-", dir=out_dir))
    except OSError as error:
        raise OutputError(f"Cannot write to {out_dir}: {error.strerror}.") from error
    try:
        yield staging
        try:
            for name in replace_folders:
                _replace_folder(staging / name, out_dir / name, out_dir)
            for path in sorted(staging.rglob("*")):
                if path.is_file():
                    target = out_dir / path.relative_to(staging)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(path, target)
        except OSError as error:
            blocking = error.filename2 or error.filename or out_dir
            raise OutputError(
                f"Cannot move the new files into {out_dir}: {error.strerror} ({blocking}). Move or rename that "
                "file or folder, then run again."
            ) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _replace_folder(new: Path, target: Path, out_dir: Path) -> None:
    """Put the folder ``new`` in place of ``target``, deleting what ``target`` held."""
    new.mkdir(parents=True, exist_ok=True)
    old_parent = None
    if target.exists():
        old_parent = Path(tempfile.mkdtemp(prefix=".handoff-old-", dir=out_dir))
        os.replace(target, old_parent / target.name)
    os.replace(new, target)
    if old_parent is not None:
        shutil.rmtree(old_parent, ignore_errors=True)


_UNSAFE_FILE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_part(identifier: str, fallback: str) -> str:
    """Return an ID reduced to letters, digits, dot, dash and underscore, for a file name."""
    return _UNSAFE_FILE_CHARACTERS.sub("_", identifier).strip("_") or fallback


def resident_file_name(resident_id: str) -> str:
    """Return a safe file name for a resident's document, built from the ID only (never the name)."""
    return f"one-pager-{safe_file_part(resident_id, 'resident')}.docx"


def partner_folder_name(contact_id: str) -> str:
    """Return the name of the folder that contains a partner's set."""
    return f"partner-{safe_file_part(contact_id, 'contact')}"


def write_documents(
    facility: Facility,
    items: list[DueItem],
    staging: Path,
    kinds: tuple[str, ...] = KINDS,
    resident_ids: tuple[str, ...] = (),
    templates_dir: Path | None = None,
    partner: str | None = None,
    progress: ProgressCallback = no_progress,
) -> list[Path]:
    """Render the requested documents into ``staging`` and return their paths relative to it.

    Without ``partner`` this is the internal set. With a Contact ID it is that
    partner's set, in ``partner_folder_name(partner)``: only residents whose
    consent covers the partner, with every text passed through
    ``PartnerScope.redact``.

    Raises HandoffError when a requested Resident ID is not in the workbook
    or not within the partner's consent, or when ``partner`` is not a partner
    contact.
    """
    from toolkit.documents import DocumentRenderer

    scope = partner_scope(facility, partner) if partner else None
    if scope is not None:
        items = [item for item in items if scope.item_visible(item)]
        builder = ContextBuilder(facility, items, partner_audience(scope.contact), internal=False)
        folder = Path(partner_folder_name(scope.contact_id))
    else:
        builder = ContextBuilder(facility, items)
        folder = Path()
    residents = _selected_residents(facility, builder, resident_ids, scope)
    # Check the templates before any work, so a broken one stops the run at once.
    DocumentRenderer(templates_dir).check_templates(TEMPLATE_OF_KIND[kind] for kind in kinds)
    writer = _DocumentWriter(templates_dir, staging, folder, scope)

    if "agenda" in kinds:
        name = f"weekly-agenda-{safe_file_part(scope.contact_id, 'contact')}.docx" if scope else "weekly-agenda.docx"
        writer.write("agenda", builder.agenda(residents), Path(name))
    if "one-pager" in kinds:
        for resident in residents:
            name = resident_file_name(resident.get("Resident ID"))
            writer.write("one_pager", builder.one_pager(resident), Path(ONE_PAGER_FOLDER) / name)
    if "escalation-note" in kinds:
        by_key = {values.id_key(resident.get("Resident ID")): resident for resident in residents}
        for record in builder.escalations_for_notes(residents):
            resident = by_key[values.id_key(record.get("Resident ID"))]
            identifier = record.get("Escalation ID")
            part = safe_file_part(identifier, f"row{record.row}") if identifier else f"row{record.row}"
            writer.write("escalation_note", builder.escalation_note(record, resident),
                         Path(ESCALATION_NOTE_FOLDER) / f"escalation-note-{part}.docx")
    if "risk-summary" in kinds:
        for resident in residents:
            risks = builder.active_risks(resident)
            if scope is not None:
                risks = [risk for risk in risks if scope.risk_visible(risk)]
            if not risks:
                continue
            part = safe_file_part(resident.get("Resident ID"), "resident")
            writer.write("risk_summary", builder.risk_summary(resident, risks),
                         Path(RISK_SUMMARY_FOLDER) / f"risk-summary-{part}.docx")
    writer.finish(progress)
    return writer.written


def _selected_residents(facility: Facility, builder: ContextBuilder, resident_ids: tuple[str, ...],
                        scope: PartnerScope | None) -> list:
    """Return the residents to write about: the requested ones, or all in scope (and within consent)."""
    residents = builder.residents_in_scope()
    if resident_ids:
        by_key = {values.id_key(r.get("Resident ID")): r for r in residents}
        unknown = [i for i in resident_ids if values.id_key(i) not in by_key]
        if unknown:
            raise HandoffError(
                f"Resident {', '.join(unknown)} is not an active or hospitalized resident in "
                f"{facility.path.name}. Check the Resident ID on the Residents sheet."
            )
        residents = [by_key[values.id_key(i)] for i in dict.fromkeys(resident_ids)]
    if scope is None:
        return residents
    if resident_ids:
        outside = [r.get("Resident ID") for r in residents if not scope.covers(r)]
        if outside:
            raise HandoffError(
                f"Resident {', '.join(outside)}: consent to share does not cover contact {scope.contact_id}, "
                "so nothing about them goes into that contact's documents. Check Consent to share and Share "
                "with on the Residents sheet."
            )
    return [resident for resident in residents if scope.covers(resident)]


class _DocumentWriter:
    """Render documents into one folder of the staging area, with unique file names."""

    def __init__(self, templates_dir: Path | None, staging: Path, folder: Path, scope: PartnerScope | None):
        self.templates_dir = templates_dir
        self.jobs: list[tuple[str, dict, Path]] = []
        self.staging = staging
        self.folder = folder
        self.scope = scope
        self.written: list[Path] = []
        self._names: set[str] = set()

    def write(self, kind: str, context: dict, relative: Path) -> None:
        """Queue one document; ``finish`` renders the queue."""
        relative = self.folder / relative
        # Two IDs that differ only in characters a file name cannot hold would
        # otherwise share a file.
        stem, number = relative.stem, 2
        while str(relative).casefold() in self._names:
            relative = relative.with_name(f"{stem}-{number}{relative.suffix}")
            number += 1
        self._names.add(str(relative).casefold())
        if self.scope is not None:
            context = self.scope.redact_values(context)
        (self.staging / relative).parent.mkdir(parents=True, exist_ok=True)
        self.jobs.append((kind, context, self.staging / relative))
        self.written.append(relative)

    def finish(self, progress: ProgressCallback = no_progress) -> None:
        """Render every queued document, across all cores when there are more than a handful."""
        render_documents(self.templates_dir, self.jobs, progress)
        self.jobs = []


# Below this many documents a process pool costs more to start than it saves.
PARALLEL_MINIMUM = 8


def render_documents(templates_dir: Path | None, jobs: list[tuple[str, dict, Path]],
                     progress: ProgressCallback = no_progress, workers: int | None = None) -> None:
    """Render (kind, context, path) jobs, in a process pool when there are many.

    Each worker loads the templates once and renders a share of the jobs; a
    template error in any of them is raised here.
    """
    from toolkit.documents import DocumentRenderer

    total = len(jobs)
    workers = workers or os.cpu_count() or 1
    if total < PARALLEL_MINIMUM or workers < 2:
        renderer = DocumentRenderer(templates_dir)
        for done, (kind, context, path) in enumerate(jobs, start=1):
            renderer.render(kind, context, path)
            progress(done, total, "Documents")
        return

    # Small chunks keep both cores busy to the end and let the bar move.
    size = max(1, min(25, total // (workers * 4)))
    chunks = [jobs[start:start + size] for start in range(0, total, size)]
    done = 0
    # Imported here because it loads multiprocessing, which `handoff due` does not need.
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_render_chunk, templates_dir, chunk) for chunk in chunks]
        try:
            for future in as_completed(futures):
                done += future.result()
                progress(done, total, "Documents")
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _render_chunk(templates_dir: Path | None, jobs: list[tuple[str, dict, Path]]) -> int:
    from toolkit.documents import DocumentRenderer

    renderer = _worker_renderers.get(templates_dir)
    if renderer is None:
        renderer = _worker_renderers[templates_dir] = DocumentRenderer(templates_dir)
    for kind, context, path in jobs:
        renderer.render(kind, context, path)
    return len(jobs)


# One renderer per template folder in each worker process, reused across chunks.
_worker_renderers: dict = {}


@dataclass
class PackSummary:
    """Counts and files of one weekly pack, for the terminal summary."""

    out_dir: Path
    errors: int
    warnings: int
    items: list[DueItem]
    files: list[Path]
    required_sheets_missing: bool = False
    pdf: PdfResult | None = None


def write_weekly_pack(
    facility: Facility, out_dir: Path, horizon_days: int | None = None, templates_dir: Path | None = None,
    pdf: bool = False, progress: ProgressCallback = no_progress,
) -> PackSummary:
    """Write the weekly pack: check report, due report, agenda and one-pagers.

    With ``pdf``, LibreOffice also writes a PDF of each Word document when it
    is installed, and ``PackSummary.pdf`` records the PDFs written. When a required
    sheet is missing only the check report is written.
    """
    workbook = facility.path.name
    errors, warnings = count_by_severity(facility.problems)
    files: list[Path] = []
    # Last week's one-pagers go, so a discharged resident's page does not linger in the pack.
    replace = () if facility.missing_required_sheets else (ONE_PAGER_FOLDER,)
    with staging_folder(out_dir, replace_folders=replace) as staging:
        check_files = {
            "check-report.txt": problems_text(workbook, facility.as_of, facility.problems),
            "check-report.json": problems_json(workbook, facility.as_of, facility.problems),
        }
        for name, text in check_files.items():
            (staging / name).write_text(text, encoding="utf-8")
            files.append(Path(name))
        if facility.missing_required_sheets:
            return PackSummary(out_dir, errors, warnings, [], files, required_sheets_missing=True)

        if horizon_days is None:
            horizon_days = int(facility.settings.number("Due soon horizon (days)"))
        items = due_items(facility, horizon_days)
        settings = facility.settings
        due_files = {
            "due-report.txt": due_text(workbook, settings.facility_name, facility.as_of, horizon_days, items),
            "due-report.json": due_json(workbook, settings.facility_name, facility.as_of,
                                        settings.timezone_name, horizon_days, items),
        }
        for name, text in due_files.items():
            (staging / name).write_text(text, encoding="utf-8")
            files.append(Path(name))
        documents = write_documents(facility, items, staging, templates_dir=templates_dir, progress=progress)
        files += documents
        pdf_result = convert_to_pdf(staging, documents) if pdf else None
        if pdf_result is not None:
            files += pdf_result.written
    return PackSummary(out_dir, errors, warnings, items, files, pdf=pdf_result)
