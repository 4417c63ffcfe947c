"""What a notebook calls to leave results behind: figures, tables, recorded values, provenance.

Everything goes below :func:`output_dir`: the folder the report runner sets through the
``INNOSTUDY_OUTPUT_DIR`` environment variable, or ``reports/interactive/`` of the project when a
notebook is run by hand in JupyterLab. Files are written to a temporary name and moved into place, so a
crash never leaves half a file.

Files a notebook reads beyond data/ (a researcher's panel, a pilot list) go through
:func:`input_file`: it resolves a relative path against the folder the command was run from (the
runner passes it as ``INNOSTUDY_INVOCATION_DIR``; the working folder when run by hand), refuses a
missing file with a message naming both paths, and registers the file so that :func:`provenance`
records its path as given, resolved path, sha256 and size.

In a notebook::

    from innostudy import report
    panel = pd.read_excel(report.input_file(panel_path))
    report.record("n_sources", 5)
    report.save_table(df, "coverage")
    report.save_figure(fig, "coverage_heatmap")
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from innostudy import paths
from innostudy.errors import InnostudyError
from innostudy.report_display import Provenance, Saved, format_number, show_table  # noqa: F401

OUTPUT_ENV = "INNOSTUDY_OUTPUT_DIR"
INVOCATION_ENV = "INNOSTUDY_INVOCATION_DIR"


class ReportError(InnostudyError, ValueError):
    """A notebook's report could not read or write what it was asked to."""


class InputFileNotFoundError(ReportError, FileNotFoundError):
    """An input file of a report does not exist (or is not a file): names it as given and resolved."""

    def __init__(self, given: str, resolved: Path, base: Path, reason: str = "no such file"):
        self.given, self.resolved, self.base = given, resolved, base
        self.filename = given
        where = "" if Path(given).is_absolute() else f"; relative paths are resolved from {base}"
        super().__init__(f"input file {given!r}: {reason} (looked for {resolved}{where})")

    def __str__(self) -> str:
        return self.args[0]


_INPUTS: dict[str, dict] = {}  # resolved path -> what provenance() records, in reading order
INPUTS_FILE = "inputs.json"  # the same, written at once: a report that fails later still has it


def invocation_dir() -> Path:
    """The folder relative input paths are resolved from: the runner's, else the working folder."""
    return Path(os.environ.get(INVOCATION_ENV) or os.getcwd())


def input_file(path: str | os.PathLike) -> Path:
    r"""Resolve, check and register a file the notebook is about to read; returns its resolved path.

    A relative ``path`` is taken from :func:`invocation_dir`. The file is hashed now, so that
    :func:`provenance` records what was read even if it changes later, and the list is written to
    ``inputs.json`` at once, so that the runner records it even if the notebook fails later.

    >>> import tempfile
    >>> from unittest import mock
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = Path(folder, "panel.csv").write_text("城市,年份\n", encoding="utf-8")
    ...     with mock.patch.dict(os.environ, {INVOCATION_ENV: folder, OUTPUT_ENV: folder}):
    ...         found = input_file("panel.csv")
    ...     json.loads(Path(folder, INPUTS_FILE).read_text("utf-8"))[0]["bytes"]
    14
    >>> input_file("/no/such/panel.xlsx")
    Traceback (most recent call last):
    innostudy.report.InputFileNotFoundError: input file '/no/such/panel.xlsx': no such file (looked for /no/such/panel.xlsx)
    """  # noqa: E501
    given = os.fspath(path)
    base = invocation_dir()
    resolved = (base / Path(given).expanduser()).resolve()
    if not given.strip():
        raise InputFileNotFoundError(given, resolved, base, "empty path")
    if not resolved.exists():
        raise InputFileNotFoundError(given, resolved, base)
    if not resolved.is_file():
        raise InputFileNotFoundError(given, resolved, base, "not a regular file")
    digest, size = hashlib.sha256(), 0
    with open(resolved, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    _INPUTS[str(resolved)] = {
        "path": given,
        "resolved": str(resolved),
        "sha256": digest.hexdigest(),
        "bytes": size,
    }
    text = json.dumps(inputs(), indent=2, ensure_ascii=False) + "\n"
    _atomic_write(output_dir() / INPUTS_FILE, lambda p: p.write_text(text, encoding="utf-8"))
    return resolved


def inputs() -> list[dict]:
    """Every file registered with :func:`input_file` so far: path as given, resolved, sha256, bytes."""
    return [dict(entry) for entry in _INPUTS.values()]


def output_dir() -> Path:
    """The folder this notebook's outputs go to (created on first use)."""
    folder = Path(os.environ.get(OUTPUT_ENV) or paths.interactive_output_dir())
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def repo_path(path: str | os.PathLike) -> str:
    """``path`` relative to the project when inside it (provenance should not name a home folder).

    >>> repo_path(paths.source_checkout() / "data")
    'data'
    """
    return paths.relative_to_project(path)


def _atomic_write(path: Path, write) -> Path:
    """Call ``write(tmp_path)`` then move the finished file onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        default_permissions(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def default_permissions(path: str | os.PathLike) -> None:
    """Give a file or folder the permissions ``open()``/``mkdir()`` would; mkstemp makes them private."""
    mask = os.umask(0o022)
    os.umask(mask)
    os.chmod(path, (0o777 if os.path.isdir(path) else 0o666) & ~mask)


def save_figure(fig, name: str, *, formats: tuple[str, ...] = ("png", "svg")) -> Saved:
    """Save a matplotlib Figure (or an Axes' figure) as ``figures/<name>.<fmt>``.

    Returns the paths written, as a list that shows nothing when it is a cell's last value.
    """
    figure = getattr(fig, "figure", fig)
    return Saved(
        _atomic_write(
            output_dir() / "figures" / f"{name}.{fmt}",
            lambda p, fmt=fmt: figure.savefig(p, format=fmt, bbox_inches="tight", dpi=150),
        )
        for fmt in formats
    )


def save_table(table, name: str) -> Path:
    """Save a DataFrame as ``tables/<name>.csv`` (UTF-8); a regression table
    (:func:`innostudy.policy.table`) also as ``<name>.html``, ``.tex`` and ``.docx`` beside it,
    its cells and notes (SIMULATED among them) in the .csv."""
    folder = output_dir() / "tables"
    if hasattr(table, "to_docx"):
        _atomic_write(folder / f"{name}.html", lambda p: p.write_text(table.to_html(), "utf-8"))
        _atomic_write(folder / f"{name}.tex", lambda p: p.write_text(table.to_latex(), "utf-8"))
        _atomic_write(folder / f"{name}.docx", table.to_docx)
        table = table.as_frame()
    return _atomic_write(
        folder / f"{name}.csv",
        lambda p: table.to_csv(p, index=not _default_index(table), encoding="utf-8"),
    )


def _default_index(table) -> bool:
    import pandas as pd

    return isinstance(table.index, pd.RangeIndex) and table.index.name is None


def record(name: str, value: Any) -> None:
    """Record a named value in ``records.json`` (JSON-serialisable) for tests and readers.

    Returns None, so a cell ending with ``record`` shows nothing.
    """
    path = output_dir() / "records.json"
    records = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    records[name] = _plain(value)
    _atomic_write(
        path,
        lambda p: p.write_text(
            json.dumps(records, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        ),
    )


def _plain(value: Any) -> Any:
    """numpy/pandas scalars and containers -> plain JSON types; NaN and ±inf -> null (JSON has
    no such numbers: a test that is "not testable" records null, never an invalid file)."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


PROVENANCE_PACKAGES = (
    "innostudy", "numpy", "pandas", "pandera", "scipy", "matplotlib", "seaborn", "statsmodels",
    "papermill", "nbclient", "nbconvert", "ipykernel", "pyyaml", "tqdm",
)  # fmt: skip


def package_versions(packages: tuple[str, ...] = PROVENANCE_PACKAGES) -> dict[str, str | None]:
    """Installed version of each package (None when it is not installed).

    >>> package_versions(("pandas",))["pandas"] is not None
    True
    """
    from importlib import metadata

    versions = {}
    for package in packages:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    if "innostudy" in versions and versions["innostudy"] is None:  # run from a checkout
        from innostudy import __version__

        versions["innostudy"] = f"{__version__} (source tree, not installed)"
    return versions


def provenance(
    parameters: dict | None = None, data_dir: str | os.PathLike | None = None
) -> Provenance:
    """What produced this notebook's results: parameters, package versions, data hashes, git commit,
    and every file read through :func:`input_file` (``inputs``).

    Saved as ``provenance_notebook.json`` beside the outputs and returned for display in the last cell
    (a dict that shows as a short table);
    the report runner copies its data folder and file hashes into the report's ``provenance.json``.
    """
    from innostudy.dataset import DATA_DIR, data_hashes
    from innostudy.vcs import git_state

    info = {
        "parameters": _plain(dict(parameters or {})),
        "packages": package_versions(),
        "data_dir": repo_path(DATA_DIR if data_dir is None else data_dir),  # as data_hashes reads
        "data": data_hashes(data_dir),
        "inputs": inputs(),
        "git": git_state(),
    }
    _atomic_write(
        output_dir() / "provenance_notebook.json",
        lambda p: p.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n"),
    )
    return Provenance(info)
