"""The full report suite: ``innostudy run --jobs 2`` against papermill on each notebook, one after another.

Same runs, same parameters, measured in one go:

1. ``run_reports(jobs=2)``: two notebooks at a time, plus HTML, provenance and the index page;
2. the ``papermill`` command once per run, one after another (what one would type by hand);
3. ``papermill.execute_notebook`` once per run in one Python process (no start-up per notebook).

Wall time is what the budget is about; CPU time (this process and its children) and the load average
show how much of the machine was free. Run from the repository root on an otherwise idle machine:

    PYTHONPATH=src python benchmarks/runner_bench.py
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
from innostudy.run import KERNEL, plan, run_reports

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "notebooks" / "reports.yml"


def cpu_seconds() -> float:
    """User + system time of this process and of every child it has waited for."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(label: str, work) -> tuple[float, float]:
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), cpu_seconds()
    work()
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    print(f"{label:48} {wall:7.1f} s wall {cpu:7.1f} s CPU   (load before: {load:.1f})")
    return wall, cpu


def main() -> None:
    runs = plan(CONFIG)
    paths = [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    papermill_cli = shutil.which("papermill", path=str(Path(sys.executable).parent)) or "papermill"
    print(f"{len(runs)} runs of {len({r.notebook for r in runs})} notebooks, {os.cpu_count()} CPUs")

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)

        def suite() -> None:
            summary = run_reports(CONFIG, jobs=2, out=scratch / "suite", progress=False)
            assert summary.ok, summary.summary()

        def cli_one_by_one() -> None:
            for i, run in enumerate(runs):
                out = scratch / "cli" / str(i)
                out.mkdir(parents=True)
                command = [
                    papermill_cli, str(run.notebook), str(out / run.notebook.name), "-k", KERNEL,
                    "--cwd", str(run.notebook.parent), "-y", yaml.safe_dump(run.parameters),
                    "--no-progress-bar",
                ]  # fmt: skip
                subprocess.run(
                    command, env={**env, OUTPUT_ENV: str(out)}, check=True, capture_output=True
                )

        def in_process_one_by_one() -> None:
            import papermill

            for i, run in enumerate(runs):
                out = scratch / "api" / str(i)
                out.mkdir(parents=True)
                os.environ[OUTPUT_ENV], os.environ["PYTHONPATH"] = str(out), env["PYTHONPATH"]
                papermill.execute_notebook(
                    str(run.notebook), str(out / run.notebook.name), parameters=run.parameters,
                    kernel_name=KERNEL, cwd=str(run.notebook.parent), progress_bar=False,
                )  # fmt: skip

        suite_wall, _ = measure("innostudy run --jobs 2 (with HTML, provenance)", suite)
        cli_wall, _ = measure("papermill command, one run after another", cli_one_by_one)
        api_wall, _ = measure(
            "papermill.execute_notebook, one after another", in_process_one_by_one
        )

    print(f"speed-up over the papermill command:     {cli_wall / suite_wall:5.2f}x")
    print(f"speed-up over execute_notebook in a loop: {api_wall / suite_wall:5.2f}x")


if __name__ == "__main__":  # run_reports starts worker processes that re-import this module
    main()
