"""The progress bar: drawn on a terminal after a delay, never when piped or quiet."""

from __future__ import annotations

import io

from toolkit.progress import TerminalProgress, no_progress, terminal_progress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bar_waits_for_delay():
    stream, clock = FakeTerminal(), Clock()
    bar = TerminalProgress(stream, delay=2.0, clock=clock)

    bar(1, 10, "Documents")
    clock.now = 2.5
    bar(5, 10, "Documents")
    clock.now = 3.0
    bar(10, 10, "Documents")

    lines = stream.getvalue()
    assert "1/10" not in lines
    assert "5/10" in lines
    assert lines.endswith("10/10\n")
    assert "[" + "#" * 30 + "]" in lines


def test_short_work_draws_nothing():
    stream, clock = FakeTerminal(), Clock()
    bar = TerminalProgress(stream, delay=2.0, clock=clock)

    for done in range(1, 11):
        bar(done, 10, "Documents")

    assert stream.getvalue() == ""


def test_no_bar_when_piped_or_quiet():
    assert terminal_progress(quiet=False, stream=io.StringIO()) is no_progress
    assert terminal_progress(quiet=True, stream=FakeTerminal()) is no_progress
    assert isinstance(terminal_progress(quiet=False, stream=FakeTerminal()), TerminalProgress)


def test_documents_rendered_in_pool_match_serial(make_workbook, tmp_path):
    """A pack of more than a handful of one-pagers goes through the process pool; each holds its resident."""
    import datetime as dt

    import docx
    from click.testing import CliRunner

    from conftest import BASE_RESIDENT, full_map
    from toolkit.cli import main

    residents = [dict(BASE_RESIDENT, **{"Resident ID": f"R{n}", "Name": f"Resident Number{n}", "Room": str(100 + n)})
                 for n in range(1, 13)]
    rows = [row for n in range(1, 13) for row in full_map(f"R{n}")]
    workbook = make_workbook(residents=residents, authorization_map=rows,
                             check_ins=[{"Held on": dt.date(2026, 12, 1), "Resident ID": "R1"}])
    out = tmp_path / "docs"

    result = CliRunner().invoke(main, ["docs", str(workbook), "--out", str(out), "--as-of", "2026-12-04",
                                       "--kind", "one-pager", "--quiet"])

    assert result.exit_code == 0, result.output
    files = sorted(out.glob("one-pagers/*.docx"))
    assert len(files) == 12
    for path in files:
        identifier = path.stem.removeprefix("one-pager-")
        text = "\n".join(cell.text for table in docx.Document(str(path)).tables
                         for row in table.rows for cell in row.cells)
        number = identifier.removeprefix("R")
        assert f"Resident Number{number}" in text
        others = [n for n in range(1, 13) if str(n) != number]
        assert not any(f"Resident Number{n}\n" in text + "\n" for n in others)


def test_reading_reports_each_sheet_then_checks(make_workbook):
    import datetime as dt

    from toolkit.facility import load_facility

    calls = []
    load_facility(make_workbook(), dt.datetime(2026, 12, 4, 9), progress=lambda *call: calls.append(call))
    # The factory writes Residents, Contacts and Authorization Map; Settings is read
    # first on its own, so there are three sheet steps and one for the checks.
    assert calls == [(1, 4, "Reading workbook"), (2, 4, "Reading workbook"), (3, 4, "Reading workbook"),
                     (4, 4, "Reading workbook")]


def test_reading_draws_bar_on_terminal(make_workbook):
    import datetime as dt

    from toolkit.facility import load_facility

    stream = io.StringIO()
    load_facility(make_workbook(), dt.datetime(2026, 12, 4, 9), progress=TerminalProgress(stream, delay=0))
    assert stream.getvalue().endswith("\rReading workbook     [##############################] 4/4\n")


def test_error_starts_after_unfinished_bar():
    from toolkit.progress import end_progress_line

    stream = io.StringIO()
    bar = TerminalProgress(stream, delay=0)
    bar(1, 4, "Reading workbook")
    end_progress_line()
    assert stream.getvalue().endswith("1/4\n")
    end_progress_line()  # nothing left to end
    assert stream.getvalue().count("\n") == 1


def test_finished_bar_needs_no_extra_line():
    from toolkit.progress import end_progress_line

    stream = io.StringIO()
    TerminalProgress(stream, delay=0)(4, 4, "Reading workbook")
    end_progress_line()
    assert stream.getvalue().count("\n") == 1
