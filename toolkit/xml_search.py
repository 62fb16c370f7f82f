"""Find out whether a pattern occurs anywhere in a sheet's XML, with RE2 in the scanning helper.

Before calamine parses a sheet, its XML is searched for a few things that
are almost never there. They are a reference to a cell far outside the table,
a formula, a cell style that shows dates only and a value with a fraction.
Python's re starts a match attempt at every place the pattern's first bytes
occur (for a cell reference, every cell). On the 27 MB of XML in the
1,000-resident benchmark workbook these searches took about 70 ms with re and
22 ms with Google's RE2, which runs each pattern as one automaton over the bytes.

RE2 releases the GIL while it searches. A thread that is inside it when
Python shuts down is stopped in a way its C++ code cannot unwind, and the
process aborts ("terminate called without an active exception"). So RE2 is
used only in the forked helper of toolkit.sheet_scan, which ends with
``os._exit`` and never shuts Python down. The helper turns RE2 on with
``use_re2``.
Everywhere else, and where google-re2 is not installed (a platform with no
wheel), re runs the same patterns and finds the same results.

Only the yes-or-no search uses RE2. Walking every match (``finditer``) stays
with re, whose match objects cost less each. The patterns passed here avoid
what RE2 lacks (look-arounds, back-references) and what the two engines read
differently: they write [0-9] rather than \\d and name XML's four white-space
bytes rather than \\s.
"""

from __future__ import annotations

import re

# Per pattern, the RE2 automaton, or the pattern itself where RE2 is not available.
_compiled: dict[bytes, object] = {}
_re2_on = False


def use_re2() -> None:
    """Search with RE2 from now on, in a process that ends with ``os._exit`` (see above)."""
    global _re2_on
    _re2_on = True


def found(pattern: re.Pattern, data: bytes | bytearray) -> bool:
    """Return True when ``pattern`` occurs anywhere in ``data``."""
    if not _re2_on:
        return pattern.search(data) is not None
    searcher = _compiled.get(pattern.pattern)
    if searcher is None:
        searcher = _compiled[pattern.pattern] = _compile(pattern)
    return searcher.search(data) is not None


def _compile(pattern: re.Pattern):
    try:
        import re2
    except ImportError:
        return pattern
    options = re2.Options()
    # Bytes as bytes, as re reads them, not as UTF-8 characters.
    options.encoding = re2.Options.Encoding.LATIN1
    return re2.compile(pattern.pattern, options)
