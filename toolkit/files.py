"""Atomic output files: written under a temporary name, then moved into place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from toolkit.errors import OutputError


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target`` and move it onto ``target`` on success.

    The temporary file lives in the same folder, so the final ``os.replace`` is
    atomic: readers see the old file or the complete new one, never half of it.
    On any exception the temporary file is removed and ``target`` is untouched.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
    except OSError as error:
        raise OutputError(f"Cannot write to {target.parent}: {error.strerror}.") from error
    os.close(handle)
    temporary_path = Path(temporary)
    # mkstemp creates the file readable by its owner only; give it the
    # permissions an ordinary new file would get under the current umask.
    umask = os.umask(0)
    os.umask(umask)
    with contextlib.suppress(OSError):
        os.chmod(temporary_path, 0o666 & ~umask)
    try:
        yield temporary_path
        os.replace(temporary_path, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary_path.unlink()
        raise


def write_text_atomic(target: str | os.PathLike, text: str) -> None:
    """Write ``text`` as UTF-8 to ``target`` atomically."""
    with atomic_path(target) as temporary:
        temporary.write_text(text, encoding="utf-8")
