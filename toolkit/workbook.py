"""Open a facility workbook file and return its sheets as grids of cell values.

python-calamine reads the file (it is several times faster than openpyxl; the
measurements are in docs/performance.md). Everything that can go wrong with
the file itself ends here as a ``WorkbookUnreadable`` with one clear line.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import WorkbookUnreadable

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# A real facility workbook of 5,000 residents unpacks to well under this; a
# file claiming more is refused before any sheet is decompressed.
MAX_UNPACKED_BYTES = 2 * 1024**3


@dataclass
class RawWorkbook:
    """The sheets of one workbook file, each a list of rows of cell values from A1."""

    path: Path
    sheets: dict[str, list[list]]
    lock_file: Path | None


def _refuse(path: Path, what: str) -> WorkbookUnreadable:
    return WorkbookUnreadable(f"{path.name}: {what}")


def _check_container(path: Path) -> None:
    """Raise WorkbookUnreadable unless ``path`` looks like an .xlsx package."""
    if not path.exists():
        raise _refuse(path, "file not found. Check the path and file name.")
    if path.is_dir():
        raise _refuse(path, "is a folder, not a workbook file.")
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as error:
        raise _refuse(path, f"cannot be opened ({error.strerror}).") from error
    if not head:
        raise _refuse(path, "the file is empty (0 bytes). Restore it from a backup or run `handoff init`.")
    if head.startswith(_OLE_MAGIC):
        content = path.read_bytes()[:200_000]
        if "EncryptionInfo".encode("utf-16-le") in content:
            raise _refuse(
                path,
                "the workbook is password-protected. Save a copy without a password "
                "(File > Info > Protect Workbook > Encrypt with Password, clear it) and use that.",
            )
        raise _refuse(
            path,
            "this is an old Excel 97-2003 (.xls) file. Open it in Excel or LibreOffice "
            "and save it as an Excel Workbook (.xlsx).",
        )
    if not head.startswith(_ZIP_MAGIC):
        raise _refuse(
            path,
            "not an Excel workbook (.xlsx); it may be a CSV or text file renamed. "
            "Open it in Excel and save it as an Excel Workbook (.xlsx).",
        )
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, EOFError):
        raise _refuse(
            path, "the file is damaged or incomplete. Restore it from a backup or re-save it in Excel."
        ) from None
    if "xl/workbook.xml" not in names:
        raise _refuse(
            path, "this zip file is not an Excel workbook. Save the workbook as .xlsx and try again."
        )
    if unpacked > MAX_UNPACKED_BYTES:
        raise _refuse(
            path,
            f"the file would unpack to {unpacked / 1024**3:.1f} GB, far more than a facility "
            "workbook holds. Re-save it in Excel or restore it from a backup.",
        )


def find_lock_file(path: Path) -> Path | None:
    """Return Excel's lock file (``~$`` + name) beside ``path`` when it exists."""
    lock = path.with_name("~$" + path.name)
    return lock if lock.exists() else None


def read_workbook(path: str | Path) -> RawWorkbook:
    """Read every sheet of the workbook at ``path`` into grids of values.

    Grids start at cell A1, so ``grid[r][c]`` is Excel row ``r + 1``, column
    ``c + 1``. Blank cells are ``""``. Hidden sheets are read like any other.
    """
    path = Path(path)
    _check_container(path)

    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheets = {
            name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in book.sheet_names
        }
    except Exception as error:  # calamine raises its own error types for each format fault
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise _refuse(
            path, f"the workbook cannot be read ({reason}). Re-save it in Excel or LibreOffice as .xlsx."
        ) from None
    return RawWorkbook(path=path, sheets=sheets, lock_file=find_lock_file(path))
