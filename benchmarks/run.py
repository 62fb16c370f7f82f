"""Measure the toolkit against the fastest way to do each part, in one run.

For each workbook size the script times, as whole processes and alternating
the two sides of each comparison:

- the lower bound: python-calamine reading every sheet of the same file;
- ``handoff check`` and ``handoff due``;
- ``handoff docs --kind one-pager`` against a bare docxtpl loop that renders
  the same template with the same data (single process, and one process per core);
- ``handoff --help`` against a bare ``python -c pass`` start-up;

and records the peak memory (maximum resident set size) of each process. It
prints every ratio and, with ``--write``, replaces the results section of
docs/performance.md with a table and the machine it ran on.

    python benchmarks/run.py --sizes 100 1000 5000 --rounds 5 --write
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pickle
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
AS_OF = "2026-12-04T09:00"
RESULTS_START = "<!-- benchmark results start -->"
RESULTS_END = "<!-- benchmark results end -->"

CALAMINE_READ = """
import sys
from python_calamine import CalamineWorkbook
book = CalamineWorkbook.from_path(sys.argv[1])
for name in book.sheet_names:
    book.get_sheet_by_name(name).to_python(skip_empty_area=False)
"""

BARE_DOCXTPL = """
import pickle, sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from docxtpl import DocxTemplate

def render(job):
    template, contexts, folder = job
    for index, context in enumerate(contexts):
        document = DocxTemplate(template)
        document.render(context, autoescape=True)
        document.save(Path(folder) / f"{index}.docx")

template, data, folder, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
contexts = pickle.loads(Path(data).read_bytes())
if workers == 1:
    render((template, contexts, folder))
else:
    chunks = [(template, contexts[i::workers], folder + f"/{i}") for i in range(workers)]
    for _, chunk_folder in ((c, Path(c[2])) for c in chunks):
        chunk_folder.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(render, chunks))
"""


@dataclass
class Sample:
    seconds: float
    peak_mb: float


def run_process(arguments: list[str]) -> Sample:
    """Run a command to completion; return its wall time and peak resident memory."""
    start = time.perf_counter()
    process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(arguments)} exited {process.returncode}: {stderr.strip()}")
    # ru_maxrss is in kilobytes on Linux.
    return Sample(elapsed, usage.ru_maxrss / 1024)


def median(samples: list[Sample]) -> Sample:
    return Sample(statistics.median(s.seconds for s in samples), max(s.peak_mb for s in samples))


def handoff(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "toolkit", *arguments]


def workbook_for(residents: int) -> Path:
    path = DATA / f"facility-{residents}.xlsx"
    if not path.exists():
        print(f"generating {path.name} ...", flush=True)
        # In a child process, like the document data below: Linux counts a parent's pages
        # in the peak memory of every process it starts afterwards.
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(residents), str(path)],
                       check=True)
    return path


def compare(label: str, bound: list[str], measured: list[str], rounds: int) -> tuple[Sample, Sample]:
    """Time ``bound`` and ``measured`` alternately; return their medians."""
    bound_samples, measured_samples = [], []
    for _ in range(rounds):
        bound_samples.append(run_process(bound))
        measured_samples.append(run_process(measured))
    result = median(bound_samples), median(measured_samples)
    print(f"  {label:<34} {result[1].seconds:7.2f} s vs {result[0].seconds:6.2f} s  "
          f"ratio {result[1].seconds / result[0].seconds:5.2f}   peak {result[1].peak_mb:6.0f} MB", flush=True)
    return result


def library_seconds(path: Path) -> tuple[float, float]:
    """Return in-process seconds for load+check and for the due rules, for reference."""
    from toolkit.cli import parse_as_of
    from toolkit.due import due_items
    from toolkit.facility import load_facility

    start = time.perf_counter()
    facility = load_facility(path, parse_as_of(AS_OF))
    loaded = time.perf_counter()
    due_items(facility)
    return loaded - start, time.perf_counter() - loaded


def document_contexts(path: Path, limit: int) -> list[dict]:
    """Return the one-pager contexts ``handoff docs`` renders for the first ``limit`` residents."""
    from toolkit.cli import parse_as_of
    from toolkit.contexts import ContextBuilder
    from toolkit.due import due_items
    from toolkit.facility import load_facility

    facility = load_facility(path, parse_as_of(AS_OF))
    builder = ContextBuilder(facility, due_items(facility))
    return [builder.one_pager(resident) for resident in builder.residents_in_scope()[:limit]]


def machine() -> str:
    model = "unknown processor"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--documents-size", type=int, default=1000,
                        help="workbook size whose residents get one-pagers (default 1000)")
    parser.add_argument("--write", action="store_true", help="write the table into docs/performance.md")
    parser.add_argument("--library-seconds", metavar="WORKBOOK", help=argparse.SUPPRESS)
    parser.add_argument("--write-contexts", nargs=2, metavar=("WORKBOOK", "OUT"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.library_seconds:
        print(*library_seconds(Path(arguments.library_seconds)))
        return
    if arguments.write_contexts:
        workbook, out = arguments.write_contexts
        Path(out).write_bytes(pickle.dumps(document_contexts(Path(workbook), limit=10**9)))
        return

    # pip compiles a package's modules when it installs them, but an editable
    # install compiles them on first import, and not at all where
    # PYTHONDONTWRITEBYTECODE is set. Compiling first measures both the same way.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "toolkit")], check=True)

    rows = []
    print(f"machine: {machine()}")
    for size in arguments.sizes:
        path = workbook_for(size)
        print(f"{size} residents ({path.stat().st_size / 1e6:.1f} MB):", flush=True)
        read = [sys.executable, "-c", CALAMINE_READ, str(path)]
        check_bound, check = compare("handoff check / calamine read", read,
                                     handoff("check", str(path), "--as-of", AS_OF, "--format", "json"),
                                     arguments.rounds)
        due_bound, due = compare("handoff due / calamine read", read,
                                 handoff("due", str(path), "--as-of", AS_OF, "--format", "json"), arguments.rounds)
        library = subprocess.run(
            [sys.executable, __file__, "--library-seconds", str(path)], capture_output=True, text=True, check=True,
        ).stdout.split()
        print(f"  library: load and check {float(library[0]):.2f} s, due rules {float(library[1]):.2f} s")
        rows.append((f"`handoff check`, {size} residents", check, check_bound))
        rows.append((f"`handoff due`, {size} residents", due, due_bound))

    size = arguments.documents_size
    path = workbook_for(size)
    with tempfile.TemporaryDirectory() as folder:
        # Built in a child process: a large parent would make every process it
        # starts report the parent's pages as its own peak memory.
        data = Path(folder) / "contexts.pickle"
        subprocess.run([sys.executable, __file__, "--write-contexts", str(path), str(data)], check=True)
        contexts = pickle.loads(data.read_bytes())
        template = str(ROOT / "doc_templates" / "one_pager.docx")
        count = len(contexts)
        print(f"{count} one-pagers ({size}-resident workbook):", flush=True)

        def bare(workers: int) -> list[str]:
            out = Path(folder) / f"bare-{workers}"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            return [sys.executable, "-c", BARE_DOCXTPL, template, str(data), str(out), str(workers)]

        docs_out = Path(folder) / "docs"
        docs_command = handoff("docs", str(path), "--as-of", AS_OF, "--kind", "one-pager", "--out", str(docs_out))
        single, docs = compare("handoff docs / bare docxtpl, 1 process", bare(1), docs_command, arguments.rounds)
        cores = os.cpu_count() or 1
        parallel, _ = compare(f"bare docxtpl, {cores} processes (info)", bare(cores), bare(cores), 1)
        rows.append((f"`handoff docs`, {count} one-pagers, vs bare docxtpl in 1 process", docs, single))
        rows.append((f"`handoff docs`, {count} one-pagers, vs bare docxtpl in {cores} processes", docs, parallel))

    help_bound, help_sample = compare("handoff --help / python -c pass", [sys.executable, "-c", "pass"],
                                      handoff("--help"), arguments.rounds)
    rows.append(("`handoff --help` start-up vs `python -c pass`", help_sample, help_bound))

    table = ["| measurement | toolkit | lower bound | ratio | toolkit peak memory |", "|---|---|---|---|---|"]
    for label, sample, bound in rows:
        table.append(f"| {label} | {sample.seconds:.2f} s | {bound.seconds:.2f} s | "
                     f"{sample.seconds / bound.seconds:.2f} | {sample.peak_mb:.0f} MB |")
    text = "\n".join(table)
    print()
    print(text)
    if arguments.write:
        performance = ROOT / "docs" / "performance.md"
        document = performance.read_text(encoding="utf-8")
        section = (f"{RESULTS_START}\nMeasured {dt.date.today().isoformat()} on {machine()}, "
                   f"median of {arguments.rounds} runs each, by `python benchmarks/run.py "
                   f"--sizes {' '.join(map(str, arguments.sizes))} --rounds {arguments.rounds} --write`.\n\n"
                   f"{text}\n{RESULTS_END}")
        if RESULTS_START in document:
            before = document.split(RESULTS_START)[0]
            after = document.split(RESULTS_END, 1)[1]
            document = before + section + after
        else:
            document += "\n## Benchmark results\n\n" + section + "\n"
        performance.write_text(document, encoding="utf-8")
        print(f"wrote {performance}")


if __name__ == "__main__":
    main()
