"""Write documents and the weekly pack to an output folder.

Files are produced in a private temporary folder beside the output folder and
moved into place one by one only when all of them were written, so a failure
part-way leaves the previous pack as it was.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from toolkit import values
from toolkit.contexts import ContextBuilder
from toolkit.due import DueItem, due_items
from toolkit.errors import HandoffError, OutputError, RequiredSheetMissing
from toolkit.facility import Facility
from toolkit.problems import count_by_severity
from toolkit.report import due_json, due_text, problems_json, problems_text

ONE_PAGER_FOLDER = "one-pagers"
KINDS = ("one-pager", "agenda")


@contextlib.contextmanager
def staging_folder(out_dir: Path) -> Iterator[Path]:
    """Yield a temporary folder whose files are moved into ``out_dir`` on success."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".handoff-", dir=out_dir))
    except OSError as error:
        raise OutputError(f"Cannot write to {out_dir}: {error.strerror}.") from error
    try:
        yield staging
        for path in sorted(staging.rglob("*")):
            if path.is_file():
                target = out_dir / path.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def require_sheets(facility: Facility) -> None:
    """Raise RequiredSheetMissing when a required sheet is absent."""
    missing = facility.missing_required_sheets
    if missing:
        names = ", ".join(f'"{name}"' for name in missing)
        raise RequiredSheetMissing(
            f"{facility.path.name}: the required sheet {names} is missing, so due items cannot be "
            "worked out. Run `handoff check` for details."
        )


_UNSAFE_FILE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


def resident_file_name(resident_id: str) -> str:
    """Return a safe file name for a resident's document, built from the ID only (never the name)."""
    return f"one-pager-{_UNSAFE_FILE_CHARACTERS.sub('_', resident_id).strip('_') or 'resident'}.docx"


@dataclass
class DocumentResult:
    """What ``write_documents`` wrote, relative to the output folder."""

    files: list[Path] = field(default_factory=list)


def write_documents(
    facility: Facility,
    items: list[DueItem],
    staging: Path,
    kinds: tuple[str, ...] = KINDS,
    resident_ids: tuple[str, ...] = (),
    templates_dir: Path | None = None,
) -> list[Path]:
    """Render the requested documents into ``staging`` and return their relative paths.

    Raises HandoffError when a requested Resident ID is not in the workbook.
    """
    from toolkit.documents import DocumentRenderer

    renderer = DocumentRenderer(templates_dir)
    builder = ContextBuilder(facility, items)
    written: list[Path] = []

    residents = builder.residents_in_scope()
    if resident_ids:
        by_key = {values.id_key(r.get("Resident ID")): r for r in residents}
        unknown = [i for i in resident_ids if values.id_key(i) not in by_key]
        if unknown:
            raise HandoffError(
                f"Resident {', '.join(unknown)} is not an active or hospitalized resident in "
                f"{facility.path.name}. Check the Resident ID on the Residents sheet."
            )
        residents = [by_key[values.id_key(i)] for i in resident_ids]

    if "agenda" in kinds:
        relative = Path("weekly-agenda.docx")
        renderer.render("agenda", builder.agenda(residents), staging / relative)
        written.append(relative)
    if "one-pager" in kinds:
        for resident in residents:
            relative = Path(ONE_PAGER_FOLDER) / resident_file_name(resident.get("Resident ID"))
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            renderer.render("one_pager", builder.one_pager(resident), staging / relative)
            written.append(relative)
    return written


@dataclass
class PackSummary:
    """Counts and files of one weekly pack, for the terminal summary."""

    out_dir: Path
    errors: int
    warnings: int
    items: list[DueItem]
    files: list[Path]
    required_sheets_missing: bool = False


def write_weekly_pack(
    facility: Facility, out_dir: Path, horizon_days: int | None = None, templates_dir: Path | None = None,
) -> PackSummary:
    """Write the weekly pack: check report, due report, agenda and one-pagers.

    When a required sheet is missing only the check report is written.
    """
    workbook = facility.path.name
    errors, warnings = count_by_severity(facility.problems)
    files: list[Path] = []
    with staging_folder(out_dir) as staging:
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
        files += write_documents(facility, items, staging, templates_dir=templates_dir)
    return PackSummary(out_dir, errors, warnings, items, files)
