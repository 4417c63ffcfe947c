"""What a notebook calls to leave results behind: figures, tables, recorded values, provenance.

Everything goes below :func:`output_dir`: the folder the report runner sets through the
``INNOSTUDY_OUTPUT_DIR`` environment variable, or ``reports/interactive/`` of the repository when a
notebook is run by hand in JupyterLab. Files are written to a temporary name and moved into place, so a
crash never leaves half a file.

In a notebook::

    from innostudy import report
    report.record("n_sources", 5)
    report.save_table(df, "coverage")
    report.save_figure(fig, "coverage_heatmap")
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

OUTPUT_ENV = "INNOSTUDY_OUTPUT_DIR"
REPO_ROOT = Path(__file__).resolve().parents[2]


def output_dir() -> Path:
    """The folder this notebook's outputs go to (created on first use)."""
    folder = Path(os.environ.get(OUTPUT_ENV) or REPO_ROOT / "reports" / "interactive")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _atomic_write(path: Path, write) -> Path:
    """Call ``write(tmp_path)`` then move the finished file onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def save_figure(fig, name: str, *, formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
    """Save a matplotlib Figure (or an Axes' figure) as ``figures/<name>.<fmt>``."""
    figure = getattr(fig, "figure", fig)
    return [
        _atomic_write(
            output_dir() / "figures" / f"{name}.{fmt}",
            lambda p, fmt=fmt: figure.savefig(p, format=fmt, bbox_inches="tight", dpi=150),
        )
        for fmt in formats
    ]


def save_table(table, name: str) -> Path:
    """Save a DataFrame as ``tables/<name>.csv`` (UTF-8)."""
    return _atomic_write(
        output_dir() / "tables" / f"{name}.csv",
        lambda p: table.to_csv(p, index=not _default_index(table), encoding="utf-8"),
    )


def _default_index(table) -> bool:
    import pandas as pd

    return isinstance(table.index, pd.RangeIndex) and table.index.name is None


def record(name: str, value: Any) -> Any:
    """Record a named value in ``records.json`` (JSON-serialisable) for tests and readers."""
    path = output_dir() / "records.json"
    records = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    records[name] = _plain(value)
    _atomic_write(
        path, lambda p: p.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    )
    return value


def _plain(value: Any) -> Any:
    """numpy/pandas scalars and containers -> plain JSON types."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


PROVENANCE_PACKAGES = (
    "innostudy", "numpy", "pandas", "pandera", "scipy", "matplotlib", "seaborn", "statsmodels",
    "papermill",
)  # fmt: skip


def provenance(parameters: dict | None = None, data_dir: str | os.PathLike | None = None) -> dict:
    """What produced this notebook's results: parameters, package versions, data hashes, git commit.

    Saved as ``provenance_notebook.json`` beside the outputs and returned for display in the last cell.
    """
    from importlib import metadata

    from innostudy.dataset import data_hashes
    from innostudy.vcs import git_state

    versions = {}
    for package in PROVENANCE_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    info = {
        "parameters": _plain(dict(parameters or {})),
        "packages": versions,
        "data": data_hashes(data_dir),
        "git": git_state(),
    }
    _atomic_write(
        output_dir() / "provenance_notebook.json",
        lambda p: p.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n"),
    )
    return info
