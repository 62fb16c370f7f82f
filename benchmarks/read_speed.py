"""Compare python-calamine with openpyxl read-only on reading every sheet of a workbook.

Each reader runs as a fresh process (so import time counts, as it does for a
user), alternating the two for the given number of rounds; the script prints
the median wall time of each and their ratio.

    python benchmarks/read_speed.py benchmarks/data/facility-1000.xlsx --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CALAMINE = """
import sys
from python_calamine import CalamineWorkbook
book = CalamineWorkbook.from_path(sys.argv[1])
cells = sum(len(row) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python())
"""

OPENPYXL_READ_ONLY = """
import sys
from openpyxl import load_workbook
book = load_workbook(sys.argv[1], read_only=True, data_only=True)
cells = sum(len(row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
"""


def time_process(code: str, path: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, path], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook")
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()

    timings: dict[str, list[float]] = {"python-calamine": [], "openpyxl read-only": []}
    for _ in range(arguments.rounds):
        timings["python-calamine"].append(time_process(CALAMINE, arguments.workbook))
        timings["openpyxl read-only"].append(time_process(OPENPYXL_READ_ONLY, arguments.workbook))
    medians = {name: statistics.median(values) for name, values in timings.items()}
    for name, median in medians.items():
        print(f"{name:<20} median {median:.2f} s over {arguments.rounds} runs")
    print(f"openpyxl read-only / python-calamine: {medians['openpyxl read-only'] / medians['python-calamine']:.1f}x")


if __name__ == "__main__":
    main()
