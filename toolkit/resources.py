"""Locate the files shipped beside the code: document and workbook templates.

In a source checkout they are the top-level ``doc_templates/`` and
``workbook_templates/`` folders. An installed wheel carries the same folders as
the data packages ``toolkit.doc_templates`` and ``toolkit.workbook_templates``
(see ``[tool.setuptools.package-dir]`` in pyproject.toml).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def _folder(package: str, source_name: str) -> Path:
    source = _SOURCE_ROOT / source_name
    if source.is_dir():
        return source
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return source


def doc_templates_dir() -> Path:
    """Return the folder holding the default Word templates."""
    return _folder("toolkit.doc_templates", "doc_templates")


def workbook_templates_dir() -> Path:
    """Return the folder holding the committed blank facility workbook."""
    return _folder("toolkit.workbook_templates", "workbook_templates")
