"""The full report suite: ``innostudy run --jobs 2`` against papermill on each notebook, one after another.

Same runs, same parameters, measured in one go:

1. ``run_reports(jobs=2)``: two notebooks at a time, plus HTML, provenance and the index page;
2. the ``papermill`` command once per run, one after another (what one would type by hand);
3. ``papermill.execute_notebook`` once per run in one Python process (no start-up per notebook).

Wall time is what the budget is about; CPU time (this process and its children) and the load average
show how much of the machine was free. The ratios use the fastest of REPEAT repetitions (default 1),
the one least disturbed by other work. From the repository root, on an otherwise idle machine:

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
SUITE = "innostudy run --jobs 2 (with HTML, provenance)"
COMMAND = "papermill command, one run after another"
LOOP = "papermill.execute_notebook, one after another"


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


def suite(out: Path) -> None:
    summary = run_reports(CONFIG, jobs=2, out=out, progress=False)
    assert summary.ok, summary.summary()


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


def execute_notebook_loop(runs: list[Run], out: Path, env: dict) -> None:
    """``papermill.execute_notebook`` for each run, one after another, in this process."""
    import papermill

    for i, run in enumerate(runs):
        folder = out / str(i)
        folder.mkdir(parents=True)
        os.environ[OUTPUT_ENV], os.environ["PYTHONPATH"] = str(folder), env["PYTHONPATH"]
        papermill.execute_notebook(
            str(run.notebook),
            str(folder / run.notebook.name),
            parameters=run.parameters,
            kernel_name=KERNEL,
            cwd=str(run.notebook.parent),
            progress_bar=False,
        )


def main(repeat: int) -> None:
    runs = plan(CONFIG)
    paths = [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    print(f"{len(runs)} runs of {len({r.notebook for r in runs})} notebooks, {os.cpu_count()} CPUs")
    walls = {"suite": [], "command": [], "loop": []}
    with tempfile.TemporaryDirectory() as scratch:
        for repetition in range(repeat):
            print(f"-- repetition {repetition + 1} of {repeat}")
            out = Path(scratch) / str(repetition)
            walls["suite"].append(measure(SUITE, suite, out / "s"))
            walls["command"].append(measure(COMMAND, papermill_command, runs, out / "c", env))
            walls["loop"].append(measure(LOOP, execute_notebook_loop, runs, out / "l", env))
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux: KiB
    best = {name: min(times) for name, times in walls.items()}
    print(f"largest single process (a kernel or worker): {largest:.0f} MiB resident")
    print(
        f"fastest of {repeat}: innostudy run {best['suite']:.1f} s, papermill command "
        f"{best['command']:.1f} s, execute_notebook loop {best['loop']:.1f} s"
    )
    print(f"speed-up over the papermill command:      {best['command'] / best['suite']:5.2f}x")
    print(f"speed-up over execute_notebook in a loop: {best['loop'] / best['suite']:5.2f}x")


if __name__ == "__main__":  # spawned workers (off Linux) re-import this module
    main(repeat=int(sys.argv[1]) if len(sys.argv) > 1 else 1)
