"""What :func:`innostudy.run.run_reports` hands back: one :class:`RunResult` per run and the
:class:`RunSummary` of them all, with the tidy, summary and plot views every result has.

Kept apart from the runner so that reading a finished run's outcome needs none of the machinery
that executes notebooks.

>>> from pathlib import Path
>>> from innostudy.run_plan import Run
>>> ran = RunResult(Run("data_audit", Path("01_data_audit.ipynb"), {}), Path("out/data_audit"),
...                 "ok", "t0", "t1", 2.5)
>>> RunSummary([ran], Path("out"), 3.0)._headline()
'1 report run(s) in 3.0 s: 1 ok, 0 up to date, 0 failed'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from innostudy.results import Result, Summary, axes, check_alpha, finish
from innostudy.run_plan import Run
from innostudy.run_site import _exception, _where

if TYPE_CHECKING:
    import pandas as pd

UP_TO_DATE = "up to date"


@dataclass(repr=False)
class RunResult(Result):
    """How one run went and where its outputs are."""

    run: Run
    path: Path
    status: str  # "ok", "failed" or "up to date" (skipped: nothing it is made from changed)
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

    def _headline(self) -> str:
        return self.describe()

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row: report, folder, notebook, parameters, status, timing, error (``alpha`` is
        checked and otherwise unused)."""
        import pandas as pd

        check_alpha(alpha)
        return pd.DataFrame([_row(self)])

    def summary(self, alpha: float = 0.05) -> Summary:
        """The run's parameters, status and timing; for a failure the cell and exception."""
        check_alpha(alpha)
        return Summary(f"Run of {self.run.folder}: {self.status}",
                       [("parameters", json.dumps(self.run.parameters, ensure_ascii=False))],
                       [_brief([self])])  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None):
        """The run's duration as one bar (comparable with :meth:`RunSummary.plot`)."""
        return _duration_plot([self], ax, title or f"Run of {self.run.folder}")


@dataclass(repr=False)
class RunSummary(Result):
    """Every run of one ``run_reports`` call, the site folder and the time it all took."""

    results: list[RunResult]
    out: Path
    duration_s: float

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def failed(self) -> list[RunResult]:
        return [r for r in self.results if r.status not in ("ok", UP_TO_DATE)]

    @property
    def up_to_date(self) -> list[RunResult]:
        """The runs skipped because nothing they are made from changed since their last success."""
        return [r for r in self.results if r.status == UP_TO_DATE]

    def __getitem__(self, folder: str) -> RunResult:
        for result in self.results:
            if result.run.folder == folder:
                return result
        raise KeyError(f"no run in folder {folder!r}; runs: {', '.join(self.folders)}")

    @property
    def folders(self) -> list[str]:
        return [r.run.folder for r in self.results]

    def _headline(self) -> str:
        ran = len(self.results) - len(self.failed) - len(self.up_to_date)
        return (
            f"{len(self.results)} report run(s) in {self.duration_s:.1f} s: {ran} ok, "
            f"{len(self.up_to_date)} up to date, {len(self.failed)} failed"
        )

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per run: report, folder, notebook, parameters, status, timing, error
        (``alpha`` is checked and otherwise unused)."""
        import pandas as pd

        check_alpha(alpha)
        return pd.DataFrame([_row(r) for r in self.results])

    def summary(self, alpha: float = 0.05) -> Summary:
        """What ran, what failed (notebook, cell, exception), where the site is."""
        check_alpha(alpha)
        return Summary(
            self._headline(),
            [
                ("index", str(self.out / "index.html")),
                *(("failed", r.describe()) for r in self.failed),
            ],
            [_brief(self.results)],
        )

    def plot(self, ax=None, *, title: str | None = None):
        """Duration of each run, failures in red."""
        return _duration_plot(self.results, ax, title or "Report runs")


def _row(r: RunResult) -> dict:
    return {
        "report": r.run.report,
        "folder": r.run.folder,
        "notebook": r.run.notebook.name,
        "parameters": json.dumps(r.run.parameters, ensure_ascii=False),
        "status": r.status,
        "duration_s": r.duration_s,
        "error": _exception(r.error) if r.error else None,
    }


def _brief(results: list[RunResult]) -> pd.DataFrame:
    """The columns a reader of a run summary needs: folder, notebook, status, seconds, error."""
    import pandas as pd

    return pd.DataFrame([{**{k: _row(r)[k] for k in ("folder", "notebook", "status")},
                          "seconds": f"{r.duration_s:.1f}", "error": _row(r)["error"]}
                         for r in results])  # fmt: skip


def _duration_plot(results: list[RunResult], ax, title: str):
    ax = axes(ax, figsize=(7, 0.4 * len(results) + 1.2))
    colours = ["C0" if r.status == "ok" else "crimson" for r in results]
    ax.barh(range(len(results)), [r.duration_s for r in results], color=colours)
    ax.set_yticks(range(len(results)), [r.run.folder for r in results])
    ax.invert_yaxis()
    ax.set_xlabel("seconds (red: failed)")
    return finish(ax, title, False)
