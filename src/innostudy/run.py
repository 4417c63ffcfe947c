"""Execute the report notebooks headless, several at once, and build the report site.

``notebooks/reports.yml`` lists the reports. Each names a notebook and, optionally, the parameter
sets it runs with (``parameter_sets``, a list) and/or a ``grid`` (every combination of the listed
values; a value list may be computed from the data, e.g. ``entity: {entities_with_at_least: 5}``
for every entity with at least five facts). A report with neither runs once with its defaults::

    timeout: 600                      # seconds per cell (optional; per report too)
    reports:
      data_audit:
        notebook: 01_data_audit.ipynb
      city_profile:
        notebook: 02_city_profile.ipynb
        grid:
          entity: {entities_with_at_least: 5}

Every parameter set is checked against the parameters the notebook declares
(``papermill.inspect_notebook``) before anything runs: an unknown name or a value of the wrong type
is an error naming notebook, parameter, value and expected type. Each run executes with papermill
(kernel ``python3``, working folder = the notebook's folder, a timeout per cell, output logged to
``papermill.log``) in a worker process, writes into a fresh staging folder below ``out`` and is
moved into place (``out/<report>/<parameters>/``) only when complete: the executed notebook, an
HTML page without code, the figures, tables and records the notebook saved through
:mod:`innostudy.report` (the runner points ``INNOSTUDY_OUTPUT_DIR`` at the staging folder) and a
``provenance.json``. A failing notebook is kept with papermill's error marker and its summary
quotes the line that raised; the others finish. ``out/index.html`` lists every report found below
``out``. One run at a time writes into ``out``, and its workers and kernels end with it.

The parts: :mod:`innostudy.run_plan` reads the configuration and plans the runs,
:mod:`innostudy.run_guard` locks ``out`` and ties the processes to the runner,
:mod:`innostudy.run_site` writes the index page, :mod:`innostudy.run_results` holds what a
run hands back; this module executes.

>>> from innostudy.run import run_reports
>>> result = run_reports("notebooks/reports.yml", only=["city_profile"], jobs=2)  # doctest: +SKIP
>>> print(result.summary())                                                     # doctest: +SKIP
"""

from __future__ import annotations

import html
import json
import math
import os
import platform
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from innostudy import paths
from innostudy.report import (
    INPUTS_FILE,
    INVOCATION_ENV,
    OUTPUT_ENV,
    default_permissions,
    package_versions,
    repo_path,
)
from innostudy.run_fresh import environment_key, fingerprint, read_provenance, reason_to_run
from innostudy.run_guard import (
    RUN_MARKER_ENV,
    STAGING_PREFIX,
    clean_stale,
    lock_out,
    signals_raise,
    start_worker,
    writing_problem,
)
from innostudy.run_kernel import keep, kernel_for
from innostudy.run_plan import (  # noqa: F401 (the runner's public names live here too)
    DEFAULT_CONFIG,
    ConfigError,
    Run,
    _declared,
    load_config,
    plan,
    safe_name,
)
from innostudy.run_results import UP_TO_DATE, RunResult, RunSummary
from innostudy.run_site import _exception, _now, write_atomically, write_index

KERNEL = "python3"
START_TIMEOUT = 120  # seconds for a kernel to start on a busy machine


# -- running --------------------------------------------------------------------------------------


def run_reports(
    config: str | os.PathLike | dict = DEFAULT_CONFIG,
    only: list[str] | None = None,
    jobs: int | None = None,
    out: str | os.PathLike = "reports/",
    overrides: dict | None = None,
    *,
    progress: bool | None = None,
    force: bool = False,
    warm: bool = True,
) -> RunSummary:
    """Run the reports of ``config`` (a YAML path or :func:`load_config`'s result) into ``out``.

    ``jobs`` notebooks run at once, each in its own worker process (default: as many as there are
    CPUs, at most one per run). ``progress`` shows a tqdm bar (default: only on a terminal).
    Parameters are checked before anything runs (:class:`ConfigError`); a failing notebook does not
    stop the others and shows in the result's ``failed`` and ``summary()``.

    Workers are forked on Linux when the caller runs a single thread, else spawned; spawned workers
    import the caller's main module again, so a script that calls ``run_reports`` needs the usual
    ``if __name__ == "__main__":`` guard.

    A run whose last run succeeded and whose notebook, parameters, code, package versions and
    input files are unchanged is not executed again but reported as up to date
    (:mod:`innostudy.run_fresh`); ``force=True`` executes every run. ``warm`` keeps each worker's
    kernel from one notebook to the next, reset in between (:mod:`innostudy.run_kernel`).
    """
    began = time.perf_counter()
    invocation = os.environ.get(INVOCATION_ENV) or os.getcwd()
    runs = plan(config, only, overrides)
    out = Path(out).resolve()
    with lock_out(out), signals_raise():
        clean_stale(out)
        shared, data_cache = environment_key(), {}
        keys = {run: fingerprint(run.notebook, run.parameters, shared) for run in runs}
        results, stale = [], []
        for run in runs:
            previous = read_provenance(out / run.folder)
            if not force and reason_to_run(previous, keys[run], data_cache) is None:
                results.append(_up_to_date(run, out, previous))
            else:
                stale.append(run)
        results += _execute_all(stale, out, jobs, invocation, progress, keys, warm)
        write_index(out)
    order = {run: i for i, run in enumerate(runs)}
    results.sort(key=lambda r: order[r.run])
    return RunSummary(results, out, time.perf_counter() - began)


def _up_to_date(run: Run, out: Path, provenance: dict) -> RunResult:
    """The result of a run not executed again: its folder and the timing of its last run."""
    timing = [provenance.get(k) for k in ("started", "finished")]
    return RunResult(run, out / run.folder, UP_TO_DATE, *timing, provenance.get("duration_s", 0.0))


def _execute_all(
    runs: list[Run],
    out: Path,
    jobs: int | None,
    invocation: str,
    progress: bool | None,
    keys: dict,
    warm: bool = True,
) -> list[RunResult]:
    """Execute every run in worker processes and move each finished one into place."""
    if not runs:
        return []
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    from tqdm.auto import tqdm

    from innostudy.vcs import git_state

    common = _environment(git_state())
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(runs)))
    quiet = None if progress is None else not progress  # tqdm: None hides the bar off a terminal
    results, staging = [], {}
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=get_context(_start_method()),
        initializer=start_worker,
        initargs=(os.getpid(), os.environ.get(RUN_MARKER_ENV) or uuid.uuid4().hex),
    )
    bar = tqdm(total=len(runs), desc="innostudy run", unit="report", disable=quiet)
    try:
        staging = {run: _staging_folder(out) for run in runs}
        longest_first = sorted(runs, key=lambda run: -_last_duration(out / run.folder))
        futures = {
            pool.submit(_execute, run, staging[run], invocation, warm): run for run in longest_first
        }
        for future in as_completed(futures):
            run = futures[future]
            try:
                outcome = future.result()
            except Exception as error:  # the worker process itself failed
                crash = {"cell_index": None, "ename": type(error).__name__}
                outcome = _outcome(None, None, {**crash, "evalue": str(error)})
            results.append(
                _finish(run, staging[run], out, outcome, {**common, "fingerprint": keys[run]})
            )
            bar.set_postfix_str(f"{run.folder} {outcome['status']}", refresh=False)
            bar.update()
    except BaseException:  # a signal, a full disk: stop every worker (and so its kernel) now
        for process in list(pool._processes.values()):  # no public way to end a busy worker
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        bar.close()
        pool.shutdown(wait=True)
        for folder in staging.values():
            shutil.rmtree(folder, ignore_errors=True)
    return results


def _last_duration(folder: Path) -> float:
    """How long this run took last time (from its provenance), infinite when unknown.

    Starting the longest runs first keeps a worker from finishing the suite alone.
    """
    try:
        return float(json.loads((folder / "provenance.json").read_text("utf-8"))["duration_s"])
    except (OSError, ValueError, KeyError, TypeError):
        return math.inf


def _start_method() -> str:
    """``fork`` where it is safe (Linux, one thread): workers inherit papermill, already imported.

    Elsewhere ``spawn``, whose workers import everything again (about 3 s each here).
    """
    return "fork" if sys.platform == "linux" and threading.active_count() == 1 else "spawn"


def _staging_folder(out: Path) -> Path:
    """A fresh hidden folder inside ``out`` (same file system, so the final move is a rename)."""
    try:
        folder = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    except OSError as error:
        raise writing_problem(out / f"{STAGING_PREFIX}...", error) from None
    default_permissions(folder)
    return folder


def _environment(git: dict) -> dict:
    import papermill

    return {
        "kernel": KERNEL,
        "papermill": papermill.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "git": git,
    }


def _outcome(started: str | None, clock: float | None, error: dict | None) -> dict:
    return {
        "status": "failed" if error else "ok",
        "error": error,
        "started": started or _now(),
        "finished": _now(),
        "duration_s": round(time.perf_counter() - clock, 3) if clock is not None else 0.0,
    }


def _execute(run: Run, staging: Path, invocation: str, warm: bool = True) -> dict:
    """Worker: execute one notebook into ``staging`` and render it as HTML without code.

    Runs in its own process: papermill changes the working folder and the kernel inherits this
    process's environment (the output folder, the folder relative input paths start from, and
    ``PYTHONPATH`` so that the kernel imports the same ``innostudy`` as the runner).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    source_root = str(paths.PACKAGE_DIR.parent)
    os.environ[OUTPUT_ENV] = str(staging)
    os.environ[INVOCATION_ENV] = invocation  # relative input paths: the caller's folder
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (source_root, os.environ.get("PYTHONPATH")) if p
    )
    executed = staging / run.notebook.name
    started, clock, error = _now(), time.perf_counter(), None
    env = {name: os.environ[name] for name in (OUTPUT_ENV, INVOCATION_ENV)}
    try:
        with _logging_to(staging / "papermill.log"):
            km = kernel_for(KERNEL, run.notebook.parent, env, warm)
            papermill.execute_notebook(
                str(run.notebook),
                str(executed),
                parameters=run.parameters,
                kernel_name=KERNEL,
                cwd=str(run.notebook.parent),
                execution_timeout=run.timeout,
                start_timeout=START_TIMEOUT,
                log_output=True,
                progress_bar=False,
                km=km,
            )
    except PapermillExecutionError as failure:
        error = {
            "cell_index": failure.cell_index,
            "execution_count": failure.exec_count,
            "source": failure.source,
            "line": failed_line(failure.traceback, failure.source),
            "ename": failure.ename,
            "evalue": failure.evalue,
        }
    except Exception as failure:  # a timeout, a dead kernel: papermill raises them unwrapped
        first_line = (str(failure).strip().splitlines() or [""])[0]
        error = {**_last_started_cell(executed), "ename": type(failure).__name__}
        error["evalue"] = first_line
    keep(warm and error is None)
    outcome = _outcome(started, clock, error)
    if executed.exists():
        _write_html(executed, run, outcome)
    return outcome


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failed_line(traceback: list[str], source: str) -> int | None:
    r"""The line of the cell where the exception was raised (1-based), from IPython's traceback.

    IPython names the cell's frame ``Cell In[3], line 2``; the first such frame is the failing
    cell's own (later ones are functions it called that other cells defined).

    >>> failed_line(["\x1b[36mCell In[3], line 2\x1b[39m\n      1 a = 1\n----> 2 1 / 0"], "a = 1\n1 / 0")
    2
    >>> failed_line(["ZeroDivisionError: division by zero"], "1 / 0") is None
    True
    """
    for frame in traceback or []:
        found = re.search(r"Cell In\s*\[\d*\], line (\d+)", ANSI.sub("", frame))
        if found and 1 <= int(found.group(1)) <= len(source.splitlines()):
            return int(found.group(1))
    return None


@contextmanager
def _logging_to(path: Path):
    """Send papermill's log (with the notebook's output) and the kernel's stderr to ``path``.

    The kernel inherits this worker's standard error, so its start-up chatter lands in the run's
    log instead of over the progress bar.
    """
    import logging

    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("papermill")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    saved = os.dup(2)
    with open(path, "ab") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            logger.removeHandler(handler)
            handler.close()


def _last_started_cell(executed: Path) -> dict:
    """Index, execution count and source of the last cell papermill started (saved per cell)."""
    import nbformat

    started = []
    if executed.exists():
        cells = nbformat.read(executed, as_version=4).cells
        started = [
            (i, c) for i, c in enumerate(cells) if c.metadata.get("papermill", {}).get("start_time")
        ]
    if not started:
        return {"cell_index": None}
    index, cell = started[-1]
    return {
        "cell_index": index,
        "execution_count": cell.get("execution_count"),
        "source": cell.source,
    }


# nbconvert's "lab" page without the scripts it loads from a CDN (require.js, MathJax, Mermaid,
# the widget manager): a report opens the same offline; printed text wraps. Its figures are images
# and its tables HTML, so nothing is lost; formulas in Markdown cells show as written.
OFFLINE_TEMPLATE = """{%- extends "index.html.j2" -%}
{% block html_head_js %}<style>
.jp-OutputArea-output pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { max-width: 40em; }
</style>{% endblock html_head_js %}
{% block html_head_js_mathjax %}{% endblock html_head_js_mathjax %}
{% block html_head_js_mermaidjs %}{% endblock html_head_js_mermaidjs %}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
"""


def _write_html(executed: Path, run: Run, outcome: dict) -> None:
    """The executed notebook as HTML without code, headed by its parameters and status."""
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    parameters = ", ".join(f"{k} = {v!r}" for k, v in run.parameters.items()) or "defaults"
    status = outcome["status"] + (f" ({_exception(outcome['error'])})" if outcome["error"] else "")
    header = (
        '<p><a href="../../index.html">← all reports</a></p>'
        f"<p><b>{html.escape(run.report)}</b> · {html.escape(run.notebook.name)} · "
        f"parameters: {html.escape(parameters)} · status: {html.escape(status)} · "
        f"run {html.escape(outcome['started'])}, {outcome['duration_s']:.1f} s</p>"
    )
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(header))
    exporter = HTMLExporter(
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        extra_loaders=[jinja2.DictLoader({"innostudy_offline.html.j2": OFFLINE_TEMPLATE})],
        template_file="innostudy_offline.html.j2",
    )
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": f"{run.report}: {parameters}"}}
    )
    (executed.parent / f"{executed.stem}.html").write_text(body, encoding="utf-8")


def _finish(run: Run, staging: Path, out: Path, outcome: dict, common: dict) -> RunResult:
    """Write ``provenance.json`` into the staging folder, then move the folder into place."""
    kernel = _read_json(staging / "provenance_notebook.json", {})
    provenance = {
        "report": run.report,
        "description": run.description,
        "simulated": _read_json(staging / "records.json", {}).get("simulated"),
        "folder": run.folder,
        "notebook": repo_path(run.notebook),
        "working_dir": repo_path(run.notebook.parent),
        "parameters": run.parameters,
        "declared_parameters": {name: p["default"] for name, p in _declared(run.notebook).items()},
        **{key: outcome[key] for key in ("status", "error", "started", "finished", "duration_s")},
        "cell_timeout_s": run.timeout,
        **common,
        "data_dir": kernel.get("data_dir"),
        "data": kernel.get("data"),
        "inputs": _read_json(staging / INPUTS_FILE, []),
        "outputs": _outputs(staging),
    }
    if not kernel:
        provenance["data_note"] = "the notebook's provenance cell did not run: data files unknown"
    text = json.dumps(provenance, indent=2, ensure_ascii=False, default=str) + "\n"
    write_atomically(staging / "provenance.json", text)
    final = out / run.folder
    try:
        _move_into_place(staging, final)
    except OSError as error:
        raise writing_problem(final, error) from None
    timing = [outcome[key] for key in ("started", "finished", "duration_s")]
    return RunResult(run, final, outcome["status"], *timing, outcome["error"])


def _read_json(path: Path, missing):
    """What the kernel left in ``path`` (a file written atomically), or ``missing``."""
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else missing


def _outputs(folder: Path) -> dict:
    return {
        "files": sorted(
            p.name for p in folder.iterdir() if p.is_file() and p.name != "provenance.json"
        ),
        "figures": sorted(p.name for p in (folder / "figures").glob("*")),
        "tables": sorted(p.name for p in (folder / "tables").glob("*")),
    }


def _move_into_place(staging: Path, final: Path) -> None:
    """Rename the finished staging folder onto ``final``, replacing an earlier run's folder."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        retired = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(final, retired)
        os.replace(staging, final)
        shutil.rmtree(retired)
    else:
        os.replace(staging, final)
