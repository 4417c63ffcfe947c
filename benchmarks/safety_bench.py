"""Inputs that used to hang or blow up (issue 16), timed and measured; a budget is printed beside
each figure, nothing is asserted (the tests check the behaviour, not the clock).

1. ``clean.find_figures`` over 0.25, 0.5 and 1 MB of bare figures ("1 1 1 ...") and of report
   sentences: linear time (the ratio per MB stays flat) and 1 MB within a few seconds. Before the
   fix, 20,000 bytes took 5 s and 200 KB did not finish in a minute.
2. ``extract.extract`` over short numeric lines: the throughput that sets ``MAX_TEXT_BYTES``.
3. ``dataset.validate`` of an observations.csv grown to N rows (simulated: the curated rows
   repeated with new ids and values): peak Python heap (tracemalloc) and peak RSS, as multiples
   of the file size, in a fresh process each.

    PYTHONPATH=src python benchmarks/safety_bench.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from innostudy import clean
from innostudy import extract as ex
from innostudy.dataset import DATA_DIR

SENTENCE = (
    "By the end of 2022, Guiyang had 1,163 member companies, more than 90 academic activities, "
    "4,984 experts and 95 million yuan ($14.88 million) of investment; it ranked 23rd among 65. "
)


def scan(label: str, unit: str) -> None:
    print(f"\nfind_figures over {label} (budget: 1 MB within a few seconds, linear)")
    for megabytes in (0.25, 0.5, 1.0):
        text = unit * int(megabytes * 1e6 / len(unit))
        start = time.perf_counter()
        found = clean.find_figures(text)
        seconds = time.perf_counter() - start
        print(
            f"  {len(text) / 1e6:5.2f} MB: {seconds:6.2f} s, {seconds / megabytes:5.2f} s per MB, "
            f"{len(found.quantities):,} quantities, {len(found.ranks):,} ranks"
        )


def numeric_lines() -> None:
    lines = "".join(f"{i} {i * 7 % 1000}\n" for i in range(50_000))
    ex.extract("warm up: 1 expert", published="2024-01-01")
    start = time.perf_counter()
    ex.extract(lines, published="2024-01-01")
    rate = len(lines) / 1e6 / (time.perf_counter() - start)
    limit = ex.MAX_TEXT_BYTES / 1e6
    print(
        f"\nextract over short numeric lines: {rate:.2f} MB/s; the limit of {limit:.1f} MB takes "
        f"about {limit / rate:.0f} s at this rate; 50 MB would take {50 / rate:.0f} s (refused)"
    )


MEASURE = """
import re, sys, tracemalloc, time
from pathlib import Path
from innostudy import dataset
dataset.validate(dataset.DATA_DIR)  # imports and caches
folder = Path(sys.argv[1])
size = (folder / "observations.csv").stat().st_size
def peak():  # VmHWM starts anew at exec; ru_maxrss would carry over the parent's peak
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", status)[1]) * 1024
before = peak()
if sys.argv[2] == "heap":
    tracemalloc.start()
start = time.perf_counter()
problems = dataset.validate(folder)
seconds = time.perf_counter() - start
if sys.argv[2] == "heap":
    print(f"  Python heap peak {tracemalloc.get_traced_memory()[1] / size:.1f}x the file")
else:
    grown = peak() - before
    print(f"  {size / 1e6:.1f} MB, {len(problems)} problem(s), {seconds:.1f} s; "
          f"peak RSS grew by {grown / size:.1f}x the file")
"""


def validate_memory(rows: int) -> None:
    print(f"\nvalidate of an observations.csv of {rows:,} rows (simulated)")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "data"
        shutil.copytree(DATA_DIR, folder)
        lines = (folder / "observations.csv").read_text(encoding="utf-8").splitlines()
        header, kept = lines[0], [line for line in lines[1:] if '"' not in line]
        with open(folder / "observations.csv", "w", encoding="utf-8") as out:
            out.write(header + "\n")
            for i in range(rows):
                cells = kept[i % len(kept)].split(",")
                cells[0], cells[5] = f"obs{i:08d}", "exact"
                cells[3] = cells[6] = cells[7] = str(1_000_000 + i)
                if cells[4] in ("percent", "rank", "year", "years", "CNY", "USD"):
                    cells[1:3], cells[4] = ["guiyang", "platform_experts_joined"], "experts"
                out.write(",".join(cells) + "\n")
        for mode in ("rss", "heap"):
            subprocess.run([sys.executable, "-c", MEASURE, str(folder), mode], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    scan("bare figures", "1 ")
    scan("report sentences", SENTENCE)
    numeric_lines()
    validate_memory(args.rows)


if __name__ == "__main__":
    main()
