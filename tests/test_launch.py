"""The installed command as a program: exit statuses and output when check and due end the process at once."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from conftest import BASE_RESIDENT

AS_OF = "2026-12-04T09:00"


def handoff(*arguments: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "toolkit", *arguments], capture_output=True, text=True,
                          timeout=120, **options)


def test_check_with_errors_exits_1(make_workbook):
    path = make_workbook(residents=[{**BASE_RESIDENT, "Status": "Sleeping"}])
    result = handoff("check", str(path), "--as-of", AS_OF)
    assert result.returncode == 1
    assert "VALUE-CHOICE" in result.stdout
    # The factory leaves out the optional sheets, which gives six SHEET-MISSING warnings.
    assert result.stdout.rstrip().endswith("1 error, 6 warnings.")
    assert result.stderr == ""


def test_check_clean_workbook_exits_0(make_workbook):
    result = handoff("check", str(make_workbook()), "--as-of", AS_OF)
    assert result.returncode == 0
    assert result.stdout.rstrip().endswith("0 errors, 6 warnings.")


def test_missing_workbook_exits_2(tmp_path):
    result = handoff("due", str(tmp_path / "missing.xlsx"), "--as-of", AS_OF)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: missing.xlsx: file not found.")


def test_due_json_written_in_full(make_workbook):
    residents = [{**BASE_RESIDENT, "Resident ID": f"R{number}", "Admitted on": dt.date(2026, 6, 1)}
                 for number in range(1, 301)]
    result = handoff("due", str(make_workbook(residents=residents)), "--as-of", AS_OF, "--format", "json")
    assert result.returncode == 0
    items = json.loads(result.stdout)["items"]
    # The factory's map covers R1 only, so the other 299 residents lack map rows.
    # Admitted June 1 with no review, every map review is overdue.
    assert len([item for item in items if item["code"] == "MAP-MISSING"]) == 299
    assert len([item for item in items if item["code"] == "MAP-REVIEW"]) == 300


def test_due_reader_leaving_early_exits_0(make_workbook):
    residents = [{**BASE_RESIDENT, "Resident ID": f"R{number}"} for number in range(1, 2001)]
    path = make_workbook(residents=residents)
    process = subprocess.Popen([sys.executable, "-m", "toolkit", "due", str(path), "--as-of", AS_OF],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first_line = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=120) == 0
    assert first_line.startswith(b"Due items for")
    assert b"Traceback" not in stderr
    assert stderr == b""


def test_out_of_memory_is_one_line(make_workbook, monkeypatch):
    from click.testing import CliRunner

    from toolkit import facility
    from toolkit.cli import main

    def exhausted(*arguments, **options):
        raise MemoryError

    monkeypatch.setattr(facility, "load_facility", exhausted)
    result = CliRunner().invoke(main, ["check", str(make_workbook()), "--as-of", AS_OF])
    assert result.exit_code == 2
    assert result.output.startswith("Error: out of memory.")
    assert "Traceback" not in result.output


# Runs the program as toolkit.start runs it, with argv[1:] as its command line, and prints to
# stderr the path of each workbook read_workbook reads (the program may end with os._exit).
COUNTED_READS = r"""
import sys
from toolkit import start, workbook

original = workbook.read_workbook

def counted(path, *arguments, **options):
    print(f"read {path}", file=sys.stderr, flush=True)
    return original(path, *arguments, **options)

workbook.read_workbook = counted
sys.argv = ["handoff", *sys.argv[1:]]
start.launch()
"""


def reads_of(*arguments: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    result = subprocess.run([sys.executable, "-c", COUNTED_READS, *arguments], capture_output=True, text=True,
                            timeout=120)
    return result, [line for line in result.stderr.splitlines() if line.startswith("read ")]


def test_check_due_read_once(make_workbook):
    path = str(make_workbook())
    for command in (["due", path, "--as-of", AS_OF, "--format", "json"], ["check", path, "--as-of", AS_OF],
                    ["--debug", "due", path, "--as-of", AS_OF]):
        result, reads = reads_of(*command)
        assert result.returncode == 0, result.stderr
        assert reads == [f"read {path}"], command


def test_early_read_unused_on_invalid_options(make_workbook):
    result, reads = reads_of("due", str(make_workbook()), "--as-of", "someday")
    assert result.returncode == 2
    assert '"someday" is not a date or date-time' in result.stderr
    assert "Traceback" not in result.stderr
    assert len(reads) == 1


def test_unreadable_workbook_reported_as_usual(tmp_path):
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not really a zip file")
    result, reads = reads_of("due", str(damaged), "--as-of", AS_OF)
    assert result.returncode == 2
    assert "damaged.xlsx" in result.stderr
    assert "Traceback" not in result.stderr
    # Read twice: the early read fails quietly, and the command reads the file and reports it.
    assert reads == [f"read {damaged}", f"read {damaged}"]


def test_workbook_from_pipe_rejected(make_workbook):
    data = make_workbook().read_bytes()
    result = subprocess.run([sys.executable, "-m", "toolkit", "check", "/dev/stdin", "--as-of", AS_OF],
                            input=data, capture_output=True, timeout=120)
    assert result.returncode == 2
    assert b"is not a file on disk but a pipe or device" in result.stderr
    assert b"Traceback" not in result.stderr


def test_named_pipe_rejected_without_waiting(tmp_path):
    import os

    fifo = tmp_path / "facility.xlsx"
    os.mkfifo(fifo)  # no writer ever opens it, so opening it for reading would wait for ever
    result = handoff("due", str(fifo), "--as-of", AS_OF)
    assert result.returncode == 2
    assert "facility.xlsx: is not a file on disk but a pipe or device" in result.stderr


def test_modules_before_reading_stay_light():
    # Everything imported before the workbook starts being read delays the whole command.
    script = (
        "import sys\n"
        "import toolkit.start, toolkit.workbook, toolkit.sheet_names\n"
        "print(sorted(m for m in ('typing', 'dataclasses', 'pickle', 'click', 'toolkit.schema') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_json_reports_on_ascii_stdout(make_workbook):
    # click re-wraps a standard output whose encoding is ASCII, so non-ASCII text still comes out as UTF-8.
    import os

    path = make_workbook(settings={"Facility name": "Résidence Émeraude 東"})
    environment = {**os.environ, "PYTHONIOENCODING": "ascii"}
    for command in ("check", "due"):
        result = subprocess.run([sys.executable, "-m", "toolkit", command, str(path), "--as-of", AS_OF,
                                 "--format", "json"], capture_output=True, timeout=120, env=environment)
        assert result.returncode in (0, 1), result.stderr
        assert b"Traceback" not in result.stderr
        report = json.loads(result.stdout.decode("utf-8"))
        if command == "due":
            assert report["facility"] == "Résidence Émeraude 東"
