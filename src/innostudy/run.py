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
``provenance.json``. A failing notebook is kept with papermill's error marker; the others finish.
``out/index.html`` lists every report found below ``out``.

>>> from innostudy.run import run_reports
>>> result = run_reports("notebooks/reports.yml", only=["city_profile"], jobs=2)  # doctest: +SKIP
>>> print(result.summary())                                                     # doctest: +SKIP
"""

from __future__ import annotations

import ast
import hashlib
import html
import itertools
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from innostudy.report import (
    INVOCATION_ENV,
    OUTPUT_ENV,
    default_permissions,
    package_versions,
    repo_path,
)

if TYPE_CHECKING:
    import pandas as pd

KERNEL = "python3"
DEFAULT_CONFIG = Path("notebooks") / "reports.yml"
DEFAULT_TIMEOUT = 600  # seconds per cell
START_TIMEOUT = 120  # seconds for a kernel to start on a busy machine
STAGING_PREFIX = ".staging-"
REPORT_KEYS = {"notebook", "parameter_sets", "grid", "timeout"}
MAX_NAME = 80


class ConfigError(ValueError):
    """Every problem found in a reports configuration or its parameters, raised together."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) with the reports to run:\n{lines}")


# -- what to run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One notebook with one parameter set; ``folder`` is where its outputs land below ``out``."""

    report: str
    notebook: Path
    parameters: dict = field(hash=False)
    timeout: float = DEFAULT_TIMEOUT

    @property
    def folder(self) -> str:
        """``<report>/<key-value__...>`` (keys sorted); "default" when the notebook runs with its defaults.

        >>> Run("city_profile", Path("02_city_profile.ipynb"), {"entity": "guiyang"}).folder
        'city_profile/entity-guiyang'
        """
        if not self.parameters:
            return f"{safe_name(self.report)}/default"
        pairs = "__".join(f"{key}-{_text(value)}" for key, value in sorted(self.parameters.items()))
        return f"{safe_name(self.report)}/{safe_name(pairs)}"


def safe_name(value: Any) -> str:
    """A file name made from a parameter value: no separators, no "..", no leading dot.

    Characters other than ASCII letters, digits, ``.``, ``+``, ``_`` and ``-`` become ``_``; long
    names are cut and end with a short hash of the full text, so that they stay distinct.

    >>> safe_name("../../etc/passwd")
    'etc_passwd'
    >>> safe_name(["guiyang", "baotou"])
    'guiyang+baotou'
    """
    text = re.sub(r"[^A-Za-z0-9.+_-]+", "_", _text(value))
    text = re.sub(r"\.{2,}", "_", text).strip("._") or "_"
    if len(text) > MAX_NAME:
        digest = hashlib.sha256(_text(value).encode()).hexdigest()[:8]
        text = f"{text[: MAX_NAME - 9]}-{digest}"
    return text


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "+".join(_text(v) for v in value)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return str(value)


def load_config(path: str | os.PathLike = DEFAULT_CONFIG) -> dict:
    """Read a reports YAML file (``yaml.safe_load``) and check its shape.

    Notebook paths are resolved against the file's folder. Raises :class:`ConfigError` listing every
    problem at once.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no reports configuration at {path}")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    where = path.name
    problems = []
    if not isinstance(raw, dict) or not isinstance(raw.get("reports"), dict) or not raw["reports"]:
        raise ConfigError([f"{where}: expected a mapping with a non-empty 'reports' mapping"])
    unknown_top = sorted(set(raw) - {"reports", "timeout"})
    if unknown_top:
        problems.append(
            f"{where}: unknown key(s) {', '.join(unknown_top)} (known: reports, timeout)"
        )
    default_timeout = raw.get("timeout", DEFAULT_TIMEOUT)
    reports = {}
    for name, spec in raw["reports"].items():
        at = f"{where}: report {name!r}"
        if not isinstance(spec, dict) or "notebook" not in spec:
            problems.append(f"{at}: needs a 'notebook'")
            continue
        unknown = sorted(set(spec) - REPORT_KEYS)
        if unknown:
            problems.append(
                f"{at}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(REPORT_KEYS))})"
            )
        notebook = (path.parent / spec["notebook"]).resolve()
        if not notebook.is_file():
            problems.append(f"{at}: notebook not found: {notebook}")
        sets = spec.get("parameter_sets", [])
        if not isinstance(sets, list) or not all(isinstance(s, dict) for s in sets):
            problems.append(f"{at}: 'parameter_sets' must be a list of mappings")
            sets = []
        grid = spec.get("grid", {})
        if not isinstance(grid, dict):
            problems.append(f"{at}: 'grid' must map parameter names to value lists")
            grid = {}
        timeout = spec.get("timeout", default_timeout)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            problems.append(f"{at}: timeout must be a positive number of seconds, got {timeout!r}")
        reports[name] = {
            "notebook": notebook,
            "parameter_sets": sets,
            "grid": grid,
            "timeout": timeout,
        }
    if problems:
        raise ConfigError(problems)
    return {"path": path, "reports": reports}


GRID_QUERIES = {
    "entities_with_at_least": "the ids of entities with at least N facts in the repository's data",
}


def _grid_values(report: str, name: str, values: Any) -> tuple[list, list[str]]:
    """The values a grid parameter takes: a list as given, or computed by a named query."""
    at = f"report {report!r}, grid {name!r}"
    if isinstance(values, list):
        return values, [] if values else [f"{at}: empty list of values"]
    if isinstance(values, dict) and len(values) == 1:
        ((query, argument),) = values.items()
        if query == "entities_with_at_least":
            if isinstance(argument, bool) or not isinstance(argument, int) or argument < 1:
                return [], [
                    f"{at}: entities_with_at_least needs a positive integer, got {argument!r}"
                ]
            from innostudy.dataset import load_dataset

            counts = load_dataset().observations["entity_id"].value_counts()
            return sorted(counts.index[counts >= argument]), []
    known = "; ".join(f"{{{q}: N}}: {what}" for q, what in GRID_QUERIES.items())
    return [], [f"{at}: expected a list of values or a query ({known}), got {values!r}"]


def plan(
    config: str | os.PathLike | dict = DEFAULT_CONFIG,
    only: list[str] | None = None,
    overrides: dict | None = None,
) -> list[Run]:
    """The runs a configuration asks for, each parameter set checked against its notebook.

    ``only`` selects reports by name; ``overrides`` (e.g. from ``-p key=value``) are applied to
    every selected run whose notebook declares that parameter, and must be declared by at least one.
    Identical runs (same report and parameters, e.g. after an override) run once.
    Raises :class:`ConfigError` listing every problem before anything has run.
    """
    config = config if isinstance(config, dict) else load_config(config)
    reports = config["reports"]
    problems = []
    unknown = [name for name in only or [] if name not in reports]
    if unknown:
        raise ConfigError([f"unknown report(s) {', '.join(unknown)}; known: {', '.join(reports)}"])
    runs = []
    for name in only or list(reports):
        spec = reports[name]
        notebook = spec["notebook"]
        sets = [dict(s) for s in spec["parameter_sets"]]
        if spec["grid"]:
            axes = {}
            for key, values in spec["grid"].items():
                axes[key], found = _grid_values(name, key, values)
                problems += found
            sets += [
                dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())
            ]
        for parameters in sets or [{}]:
            for key, value in (overrides or {}).items():
                if key in _declared(notebook):
                    parameters[key] = value
            run = Run(name, notebook, parameters, spec["timeout"])
            if run not in runs:
                runs.append(run)
    declared = set().union(*(_declared(run.notebook) for run in runs))
    for key in overrides or {}:
        if key not in declared:
            problems.append(
                f"-p {key}: no selected notebook declares a parameter {key!r} "
                f"(declared: {', '.join(sorted(declared)) or 'none'})"
            )
    problems += _check_parameters(runs)
    folders = {}
    for run in runs:
        if run.folder in folders and folders[run.folder] != run.parameters:
            problems.append(
                f"report {run.report!r}: parameter sets {folders[run.folder]} and "
                f"{run.parameters} give the same folder name {run.folder!r}"
            )
        folders[run.folder] = run.parameters
    if problems:
        raise ConfigError(problems)
    return runs


def _declared(notebook: Path) -> dict[str, dict]:
    """The parameters a notebook declares, as ``papermill.inspect_notebook`` reports them."""
    return _inspect(notebook, notebook.stat().st_mtime_ns)


@lru_cache(maxsize=64)
def _inspect(notebook: Path, modified: int) -> dict[str, dict]:
    """Cached by file and modification time: planning and provenance both ask."""
    import papermill

    return papermill.inspect_notebook(str(notebook))


def _check_parameters(runs: list[Run]) -> list[str]:
    """Problems with the runs' parameters: names the notebook does not declare, wrong types.

    The expected type is the notebook's annotation (``entity: str = "guiyang"``) or, without
    one, the type of the default literal. ``int`` is accepted where ``float`` is expected; ``bool``
    is never taken for a number.
    """
    problems = []
    for run in runs:
        params = _declared(run.notebook)
        for name, value in run.parameters.items():
            where = f"{run.notebook.name} (run {run.folder})"
            if name not in params:
                problems.append(
                    f"{where}: unknown parameter {name!r} = {value!r}; the notebook declares "
                    f"{', '.join(params) or 'no parameters'}"
                )
                continue
            expected = _expected_type(params[name])
            if expected is not None and not _matches(expected, value):
                problems.append(
                    f"{where}: parameter {name!r} = {value!r} ({type(value).__name__}) does not "
                    f"match the declared type {expected}"
                )
    return problems


def _expected_type(parameter: dict) -> str | None:
    """The annotation papermill found, else the type name of the default literal (None: any)."""
    if parameter["inferred_type_name"] not in ("None", ""):
        return parameter["inferred_type_name"]
    try:
        default = ast.literal_eval(parameter["default"])
    except (ValueError, SyntaxError):
        return None
    return None if default is None else type(default).__name__


SIMPLE_TYPES = {
    "str": str,
    "int": int,
    "float": int | float,
    "bool": bool,
    "list": list,
    "tuple": list | tuple,
    "dict": dict,
}


def _matches(annotation: str, value: Any) -> bool:
    """Does ``value`` fit the annotation text (``str``, ``list[str]``, ``Optional[int]``, ``a | b``)?

    Annotations it cannot read (a class name, say) accept any value.

    >>> _matches("Optional[list[str]]", ["guiyang"]), _matches("float", True)
    (True, False)
    """
    try:
        node = ast.parse(annotation.strip("'\""), mode="eval").body
    except SyntaxError:
        return True
    return _fits(node, value)


def _fits(node: ast.expr, value: Any) -> bool:
    match node:
        case ast.BinOp(op=ast.BitOr()):
            return _fits(node.left, value) or _fits(node.right, value)
        case ast.Constant(value=None) | ast.Name(id="None" | "NoneType"):
            return value is None
        case ast.Subscript(value=ast.Name(id="Optional"), slice=inner):
            return value is None or _fits(inner, value)
        case ast.Subscript(value=ast.Name(id="list" | "List" | "tuple"), slice=inner):
            inner = inner.elts[0] if isinstance(inner, ast.Tuple) else inner
            return isinstance(value, list | tuple) and all(_fits(inner, v) for v in value)
        case ast.Subscript(value=ast.Name(id=name)):
            return _fits(ast.Name(id=name), value)
        case ast.Name(id=name) if name in SIMPLE_TYPES:
            if isinstance(value, bool) and name != "bool":
                return False
            return isinstance(value, SIMPLE_TYPES[name])
    return True


# -- running --------------------------------------------------------------------------------------


@dataclass
class RunResult:
    """How one run went and where its outputs are."""

    run: Run
    path: Path
    status: str  # "ok" or "failed"
    started: str
    finished: str
    duration_s: float
    error: dict | None = None  # cell_index (0-based), execution_count, source, ename, evalue

    def records(self) -> dict:
        """The values the notebook recorded with ``innostudy.report.record``."""
        file = self.path / "records.json"
        return json.loads(file.read_text(encoding="utf-8")) if file.exists() else {}

    def describe(self) -> str:
        """One line: folder, status, duration; for a failure the notebook, cell and exception."""
        line = f"{self.status.upper():6} {self.run.folder} ({self.duration_s:.1f} s)"
        if self.error:
            line += f": {self.run.notebook.name}, {_where(self.error)}: {_exception(self.error)}"
        return line


def _where(error: dict) -> str:
    """``In [3] (cell 4 of the executed notebook) `first line of the cell```."""
    if error.get("cell_index") is None:
        return "before any cell ran"
    where = f"cell {error['cell_index'] + 1} of the executed notebook"
    if error.get("execution_count") is not None:
        where = f"In [{error['execution_count']}] ({where})"
    first = (error.get("source") or "").strip().splitlines()
    return where + (f" `{first[0][:60]}`" if first else "")


def _exception(error: dict) -> str:
    return f"{error['ename']}: {error['evalue']}" if error.get("evalue") else error["ename"]


@dataclass
class RunSummary:
    """Every run of one ``run_reports`` call, the site folder and the time it all took."""

    results: list[RunResult]
    out: Path
    duration_s: float

    @property
    def ok(self) -> bool:
        return all(r.status == "ok" for r in self.results)

    @property
    def failed(self) -> list[RunResult]:
        return [r for r in self.results if r.status != "ok"]

    def __getitem__(self, folder: str) -> RunResult:
        for result in self.results:
            if result.run.folder == folder:
                return result
        raise KeyError(f"no run in folder {folder!r}; runs: {', '.join(self.folders)}")

    @property
    def folders(self) -> list[str]:
        return [r.run.folder for r in self.results]

    def tidy(self) -> pd.DataFrame:
        """One row per run: report, folder, notebook, parameters, status, timing, error."""
        import pandas as pd

        return pd.DataFrame(
            {
                "report": r.run.report,
                "folder": r.run.folder,
                "notebook": r.run.notebook.name,
                "parameters": json.dumps(r.run.parameters, ensure_ascii=False),
                "status": r.status,
                "duration_s": r.duration_s,
                "error": _exception(r.error) if r.error else None,
            }
            for r in self.results
        )

    def summary(self) -> str:
        """What ran, what failed (notebook, cell, exception), where the site is."""
        head = (
            f"{len(self.results)} report run(s) in {self.duration_s:.1f} s: "
            f"{len(self.results) - len(self.failed)} ok, {len(self.failed)} failed; "
            f"index: {self.out / 'index.html'}"
        )
        return "\n".join([head, *(r.describe() for r in self.results)])


def run_reports(
    config: str | os.PathLike | dict = DEFAULT_CONFIG,
    only: list[str] | None = None,
    jobs: int | None = None,
    out: str | os.PathLike = "reports/",
    overrides: dict | None = None,
    *,
    progress: bool | None = None,
) -> RunSummary:
    """Run the reports of ``config`` (a YAML path or :func:`load_config`'s result) into ``out``.

    ``jobs`` notebooks run at once, each in its own worker process (default: as many as there are
    CPUs, at most one per run). ``progress`` shows a tqdm bar (default: only on a terminal).
    Parameters are checked before anything runs (:class:`ConfigError`); a failing notebook does not
    stop the others and shows in the result's ``failed`` and ``summary()``.

    Workers are forked on Linux when the caller runs a single thread, else spawned; spawned workers
    import the caller's main module again, so a script that calls ``run_reports`` needs the usual
    ``if __name__ == "__main__":`` guard.
    """
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    from tqdm.auto import tqdm

    from innostudy.vcs import git_state

    began = time.perf_counter()
    invocation = os.environ.get(INVOCATION_ENV) or os.getcwd()
    runs = plan(config, only, overrides)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    common = _environment(git_state())
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(runs)))
    staging = {run: _staging_folder(out) for run in runs}
    quiet = None if progress is None else not progress  # tqdm: None hides the bar off a terminal
    results = []
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context(_start_method())) as pool:
            longest_first = sorted(runs, key=lambda run: -_last_duration(out / run.folder))
            futures = {
                pool.submit(_execute, run, staging[run], invocation): run for run in longest_first
            }
            bar = tqdm(total=len(runs), desc="innostudy run", unit="report", disable=quiet)
            try:
                for future in as_completed(futures):
                    run = futures[future]
                    try:
                        outcome = future.result()
                    except Exception as error:  # the worker process itself failed
                        crash = {"cell_index": None, "ename": type(error).__name__}
                        outcome = _outcome(None, None, {**crash, "evalue": str(error)})
                    results.append(_finish(run, staging[run], out, outcome, common))
                    bar.set_postfix_str(f"{run.folder} {outcome['status']}", refresh=False)
                    bar.update()
            except BaseException:  # Ctrl-C: start nothing new
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            finally:
                bar.close()
    finally:
        for folder in staging.values():
            shutil.rmtree(folder, ignore_errors=True)
    write_index(out)
    order = {run: i for i, run in enumerate(runs)}
    results.sort(key=lambda r: order[r.run])
    return RunSummary(results, out, time.perf_counter() - began)


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
    folder = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _outcome(started: str | None, clock: float | None, error: dict | None) -> dict:
    return {
        "status": "failed" if error else "ok",
        "error": error,
        "started": started or _now(),
        "finished": _now(),
        "duration_s": round(time.perf_counter() - clock, 3) if clock is not None else 0.0,
    }


def _execute(run: Run, staging: Path, invocation: str) -> dict:
    """Worker: execute one notebook into ``staging`` and render it as HTML without code.

    Runs in its own process: papermill changes the working folder and the kernel inherits this
    process's environment (the output folder, and ``PYTHONPATH`` so that the kernel imports the
    same ``innostudy`` as the runner).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    source_root = str(Path(__file__).resolve().parents[1])
    os.environ[OUTPUT_ENV] = str(staging)
    os.environ[INVOCATION_ENV] = invocation  # relative input paths: the caller's folder
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (source_root, os.environ.get("PYTHONPATH")) if p
    )
    executed = staging / run.notebook.name
    started, clock, error = _now(), time.perf_counter(), None
    try:
        with _logging_to(staging / "papermill.log"):
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
            )
    except PapermillExecutionError as failure:
        error = {
            "cell_index": failure.cell_index,
            "execution_count": failure.exec_count,
            "source": failure.source,
            "ename": failure.ename,
            "evalue": failure.evalue,
        }
    except Exception as failure:  # a timeout, a dead kernel: papermill raises them unwrapped
        first_line = (str(failure).strip().splitlines() or [""])[0]
        error = {**_last_started_cell(executed), "ename": type(failure).__name__}
        error["evalue"] = first_line
    outcome = _outcome(started, clock, error)
    if executed.exists():
        _write_html(executed, run, outcome)
    return outcome


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


def _write_html(executed: Path, run: Run, outcome: dict) -> None:
    """The executed notebook as HTML without code, headed by its parameters and status."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    parameters = ", ".join(f"{k} = {v!r}" for k, v in run.parameters.items()) or "defaults"
    status = outcome["status"] + (f" ({_exception(outcome['error'])})" if outcome["error"] else "")
    header = (
        f"<p><b>{html.escape(run.report)}</b> · {html.escape(run.notebook.name)} · "
        f"parameters: {html.escape(parameters)} · status: {html.escape(status)} · "
        f"run {html.escape(outcome['started'])}, {outcome['duration_s']:.1f} s</p>"
    )
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(header))
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": f"{run.report}: {parameters}"}}
    )
    (executed.parent / f"{executed.stem}.html").write_text(body, encoding="utf-8")


def _finish(run: Run, staging: Path, out: Path, outcome: dict, common: dict) -> RunResult:
    """Write ``provenance.json`` into the staging folder, then move the folder into place."""
    notebook_side = staging / "provenance_notebook.json"
    kernel = json.loads(notebook_side.read_text(encoding="utf-8")) if notebook_side.exists() else {}
    provenance = {
        "report": run.report,
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
        "inputs": kernel.get("inputs", []),
        "outputs": _outputs(staging),
    }
    if not kernel:
        provenance["data_note"] = "the notebook's provenance cell did not run: data files unknown"
    (staging / "provenance.json").write_text(
        json.dumps(provenance, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    final = out / run.folder
    _move_into_place(staging, final)
    timing = [outcome[key] for key in ("started", "finished", "duration_s")]
    return RunResult(run, final, outcome["status"], *timing, outcome["error"])


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


# -- the site -------------------------------------------------------------------------------------


def write_index(out: str | os.PathLike) -> Path:
    """Write ``out/index.html``: every report below ``out`` with its parameters, status and links."""
    out = Path(out)
    entries = []
    for file in sorted(out.glob("*/*/provenance.json")):
        if any(part.startswith(".") for part in file.relative_to(out).parts):
            continue
        entries.append((file.parent, json.loads(file.read_text(encoding="utf-8"))))
    entries.sort(key=lambda entry: (entry[1]["notebook"], entry[0].name != "default", entry[0]))
    rows = "\n".join(_index_row(out, folder, p) for folder, p in entries)
    failed = sum(p["status"] != "ok" for _, p in entries)
    commit = {(p.get("git") or {}).get("commit") for _, p in entries} - {None}
    page = INDEX_TEMPLATE.format(
        count=len(entries),
        failed=failed,
        commits=html.escape(", ".join(sorted(c[:12] for c in commit)) or "unknown"),
        written=html.escape(_now()),
        rows=rows,
    )
    index = out / "index.html"
    tmp = out / f".index.html.{uuid.uuid4().hex[:8]}.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, index)
    return index


def _index_row(out: Path, folder: Path, p: dict) -> str:
    def link(path: Path, text: str) -> str:
        href = quote(path.relative_to(out).as_posix())
        return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'

    stem = Path(p["notebook"]).stem
    links = [
        link(folder / name, label)
        for name, label in (
            (f"{stem}.html", "report"),
            (f"{stem}.ipynb", "notebook"),
            ("provenance.json", "provenance"),
            ("records.json", "records"),
            ("papermill.log", "log"),
        )
        if (folder / name).exists()
    ]
    outputs = [link(folder / "figures" / n, n) for n in p["outputs"]["figures"]]
    outputs += [link(folder / "tables" / n, n) for n in p["outputs"]["tables"]]
    parameters = json.dumps(p["parameters"], ensure_ascii=False) if p["parameters"] else "defaults"
    status = p["status"]
    if p.get("error"):
        status += f": {_where(p['error'])}: {_exception(p['error'])}"
    dirty = " (dirty)" if (p.get("git") or {}).get("dirty") else ""
    return (
        f'<tr class="{html.escape(p["status"])}">'
        f"<td>{html.escape(p['report'])}</td>"
        f"<td>{html.escape(p['notebook'])}</td>"
        f"<td><code>{html.escape(parameters)}</code></td>"
        f"<td>{html.escape(status)}</td>"
        f"<td>{html.escape(p['started'])}<br>{p['duration_s']:.1f} s"
        f"<br>{html.escape(((p.get('git') or {}).get('commit') or 'no commit')[:12] + dirty)}</td>"
        f"<td>{' · '.join(links)}</td>"
        f"<td>{'<br>'.join(outputs)}</td></tr>"
    )


INDEX_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>innostudy reports</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 0.3em 0.6em; vertical-align: top; text-align: left; }}
tr.failed td {{ background: #fde8e8; }}
code {{ font-size: 0.9em; }}
</style></head>
<body>
<h1>innostudy reports</h1>
<p>{count} report(s), {failed} failed; code version {commits}; index written {written}.</p>
<table>
<tr><th>report</th><th>notebook</th><th>parameters</th><th>status</th><th>run</th>
<th>links</th><th>figures and tables</th></tr>
{rows}
</table>
</body></html>
"""
