"""PDF copies of written Word documents, made by LibreOffice when it is installed.

All documents go to one ``soffice --headless --convert-to pdf`` call, because
starting LibreOffice takes longer than converting a document. Each call runs
with a private, temporary LibreOffice profile (``-env:UserInstallation``), so
two conversions at the same time, or a LibreOffice window the user has open,
do not block each other on the shared profile.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# A conversion that takes longer than this is stopped. A fresh profile makes
# the first start slow, so the allowance is generous rather than measured.
TIMEOUT_BASE_SECONDS = 120
TIMEOUT_PER_DOCUMENT_SECONDS = 10

_PROGRAM_NAMES = ("soffice", "libreoffice")


def _standard_locations() -> list[Path]:
    """Return where the LibreOffice installers put soffice when it is not on PATH."""
    if sys.platform == "darwin":
        return [Path("/Applications/LibreOffice.app/Contents/MacOS/soffice")]
    if sys.platform == "win32":
        roots = [os.environ.get(name) for name in ("ProgramFiles", "ProgramFiles(x86)")]
        return [Path(root) / "LibreOffice" / "program" / "soffice.exe" for root in roots if root]
    return []


def find_soffice() -> str | None:
    """Return the path of LibreOffice's soffice program, or None when it is not installed.

    Looks on PATH first, then where the macOS and Windows installers put it.
    """
    for name in _PROGRAM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    for candidate in _standard_locations():
        if candidate.is_file():
            return str(candidate)
    return None


@dataclass
class PdfResult:
    """Outcome of a conversion: PDF paths relative to the base folder, and why any are missing."""

    written: list[Path] = field(default_factory=list)
    failed: list[Path] = field(default_factory=list)
    problem: str = ""


def convert_to_pdf(base: Path, documents: list[Path], soffice: str | None = None) -> PdfResult:
    """Write ``<name>.pdf`` beside each Word document in ``documents`` (paths relative to ``base``).

    Returns a PdfResult whose ``problem`` is a one-line reason when LibreOffice
    is missing, failed or timed out; the Word documents are never changed.
    """
    if not documents:
        return PdfResult()
    soffice = soffice or find_soffice()
    if soffice is None:
        return PdfResult(failed=list(documents),
                         problem="LibreOffice (soffice) was not found on PATH; install it to get PDF copies")

    result = PdfResult()
    for batch in _batches_with_unique_names(documents):
        _convert_batch(soffice, base, batch, result)
    return result


def _batches_with_unique_names(documents: list[Path]) -> list[list[Path]]:
    """Split ``documents`` so that no batch contains two files of the same name.

    LibreOffice writes every PDF of a call into one folder, named after its document.
    """
    batches: list[list[Path]] = []
    for document in documents:
        for batch in batches:
            if all(other.stem.casefold() != document.stem.casefold() for other in batch):
                batch.append(document)
                break
        else:
            batches.append([document])
    return batches


def _convert_batch(soffice: str, base: Path, batch: list[Path], result: PdfResult) -> None:
    work = Path(tempfile.mkdtemp(prefix="handoff-pdf-"))
    try:
        profile = work / "profile"
        out = work / "out"
        out.mkdir()
        command = [
            soffice,
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless", "--norestore", "--nolockcheck",
            "--convert-to", "pdf", "--outdir", str(out),
            *(str((base / document).resolve()) for document in batch),
        ]
        timeout = TIMEOUT_BASE_SECONDS + TIMEOUT_PER_DOCUMENT_SECONDS * len(batch)
        problem = _run(command, timeout)
        for document in batch:
            made = out / f"{document.stem}.pdf"
            if made.is_file() and made.stat().st_size > 0:
                target = document.with_suffix(".pdf")
                os.replace(made, base / target)
                result.written.append(target)
            else:
                result.failed.append(document)
        if result.failed and not result.problem:
            result.problem = problem or "LibreOffice did not convert every document"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(command: list[str], timeout: float) -> str:
    """Run soffice and return "" on exit status 0, else a one-line reason."""
    # soffice starts soffice.bin as a child; a session of its own lets a
    # timeout stop both.
    options = {"start_new_session": True} if os.name == "posix" else {}
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, **options)
    except OSError as error:
        return f"LibreOffice could not be started ({error.strerror})"
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process)
        return f"LibreOffice did not finish within {timeout:g} seconds and was stopped"
    if process.returncode != 0:
        last_line = next((line for line in reversed(stderr.decode(errors="replace").splitlines()) if line.strip()),
                         "")
        detail = f": {last_line.strip()}" if last_line else ""
        return f"LibreOffice exited with status {process.returncode}{detail}"
    return ""


def _stop(process: subprocess.Popen) -> None:
    if os.name == "posix":
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    else:
        process.kill()
    process.communicate()
