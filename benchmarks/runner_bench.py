"""The report suite: ``innostudy run --jobs 2`` against the ``papermill`` command on each notebook.

Same runs, same parameters, interleaved in each repetition:

1. ``run_reports(jobs=2)`` into an empty folder (cold), with warm kernels: each worker keeps its
   kernel from one notebook to the next (reset in between), so imports are paid once per worker;
2. the same with ``warm=False``: a new kernel per notebook (what warm kernels save);
3. ``run_reports`` again into the folder of 1 with nothing changed: every run up to date;
4. the ``papermill`` command once per run, one after another (what one would type by hand).

Everything includes HTML, provenance and the index page for 1-3, nothing of it for 4. Wall times are
medians over REPEAT repetitions (default 1); CPU time (this process and its children) and the load
average before each measure show how busy the machine was. From the repository root:

    PYTHONPATH=src python benchmarks/runner_bench.py [REPEAT]
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from innostudy.report import OUTPUT_ENV
from innostudy.run import KERNEL, Run, plan, run_reports

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "notebooks" / "reports.yml"
WARM = "innostudy run --jobs 2, cold, warm kernels"
COLD = "innostudy run --jobs 2, cold, a kernel per notebook"
AGAIN = "innostudy run --jobs 2, nothing changed"
COMMAND = "papermill command, one run after another"


def cpu_seconds() -> float:
    """User + system time of this process and of every child it has waited for."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(label: str, work, *args) -> float:
    """Run ``work(*args)`` once; print and return its wall time."""
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), cpu_seconds()
    work(*args)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    print(f"{label:48} {wall:7.1f} s wall {cpu:7.1f} s CPU   (load before: {load:.1f})")
    return wall


def suite(out: Path, warm: bool = True) -> None:
    summary = run_reports(CONFIG, jobs=2, out=out, progress=False, warm=warm)
    assert summary.ok, summary.summary()


def unchanged(out: Path) -> None:
    summary = run_reports(CONFIG, jobs=2, out=out, progress=False)
    assert len(summary.up_to_date) == len(summary.results), summary.summary()


def papermill_command(runs: list[Run], out: Path, env: dict) -> None:
    """The ``papermill`` command for each run, one after another."""
    executable = shutil.which("papermill", path=str(Path(sys.executable).parent)) or "papermill"
    for i, run in enumerate(runs):
        folder = out / str(i)
        folder.mkdir(parents=True)
        command = [executable, str(run.notebook), str(folder / run.notebook.name)]
        command += ["-k", KERNEL, "--cwd", str(run.notebook.parent), "--no-progress-bar"]
        command += ["-y", yaml.safe_dump(run.parameters)]
        subprocess.run(
            command, env={**env, OUTPUT_ENV: str(folder)}, check=True, capture_output=True
        )


def main(repeat: int) -> None:
    import statistics

    runs = plan(CONFIG)
    paths = [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    print(f"{len(runs)} runs of {len({r.notebook for r in runs})} notebooks, {os.cpu_count()} CPUs")
    walls = {WARM: [], COLD: [], AGAIN: [], COMMAND: []}
    with tempfile.TemporaryDirectory() as scratch:
        for repetition in range(repeat):
            print(f"-- repetition {repetition + 1} of {repeat}")
            out = Path(scratch) / str(repetition)
            walls[WARM].append(measure(WARM, suite, out / "w"))
            walls[AGAIN].append(measure(AGAIN, unchanged, out / "w"))
            walls[COLD].append(measure(COLD, suite, out / "c", False))
            walls[COMMAND].append(measure(COMMAND, papermill_command, runs, out / "p", env))
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux: KiB
    median = {name: statistics.median(times) for name, times in walls.items()}
    print(f"largest single process (a kernel or worker): {largest:.0f} MiB resident")
    print(f"medians of {repeat} repetition(s):")
    for name, wall in median.items():
        print(f"  {name:52} {wall:7.1f} s   {median[COMMAND] / wall:6.2f}x the papermill command")
    print(f"warm kernels save {median[COLD] - median[WARM]:.1f} s of {median[COLD]:.1f} s cold")


if __name__ == "__main__":  # spawned workers (off Linux) re-import this module
    main(repeat=int(sys.argv[1]) if len(sys.argv) > 1 else 1)
