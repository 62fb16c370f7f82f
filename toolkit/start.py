"""Start the ``handoff`` program, reading the workbook of ``check`` or ``due`` from the first moment.

Importing the command line and the modules behind it took about 60 ms in a
measured run, before the command started. For ``check`` and ``due``, the
workbook is named on the command line, so its sheets start being read in the
background first (python-calamine parses them without holding the GIL), and
the command takes the result when it loads the workbook. When the command
line turns out to be wrong, or the file cannot be read, nothing changes: the
command reports it as always.
"""

from __future__ import annotations

import sys


def launch() -> None:
    """Run ``handoff``: the installed command and ``python -m toolkit``."""
    start_reading(sys.argv[1:])
    from toolkit.cli import launch as run

    run()


def start_reading(arguments: list[str]) -> None:
    """Start reading the workbook named by ``handoff [--debug] check|due WORKBOOK ...``, if that is the command."""
    while arguments and arguments[0] == "--debug":
        arguments = arguments[1:]
    if len(arguments) < 2 or arguments[0] not in ("check", "due") or arguments[1].startswith("-"):
        return
    from toolkit.workbook import start_early

    start_early(arguments[1])
