"""Randomisation inference for the TWFE estimate: reassign the pilots at random, many times.

Each draw permutes the units' cohorts (so the number of units per cohort, i.e. who is treated and
when, is reassigned but the design kept) and recomputes the TWFE coefficient. Nothing is refitted:
by Frisch-Waugh-Lovell the coefficient on a treatment ``D`` is ``<My, D> / <MD, MD>``, where ``M``
removes the unit and year effects (:class:`innostudy.policy.fe.TwoWay`, set up once) and projects
out the controls (an orthonormal basis ``Q`` of their demeaned columns). ``My`` is computed once;
each draw only needs the demeaned ``D`` and ``Q'D``, done for a chunk of draws at once.

The p-value is two-sided, ``(1 + #{|b_draw| >= |b|}) / (1 + n)`` (it counts the observed
assignment as one of the draws, so it is never zero).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from innostudy.policy._results import Result
from innostudy.policy.panel import Panel, PanelError
from innostudy.policy.regression import within_design
from innostudy.results import Summary, axes, check_alpha, count, finish, format_value


class PlaceboResult(Result):
    """The observed TWFE estimate, the reassignment distribution and its p-value.

    ``assignments`` holds each draw's cohorts (rows: draws, columns: units; 0 = never treated),
    so any draw can be checked by refitting :func:`twfe` on it.
    """

    def __init__(self, estimate, draws, assignments, *, y, seed, simulated):
        self.estimate, self.draws, self.y, self.seed = estimate, draws, y, seed
        self.assignments, self.simulated = assignments, simulated
        exceed = np.abs(draws) >= np.abs(estimate) - 1e-12 * max(1.0, abs(estimate))
        self.pvalue = float((1 + exceed.sum()) / (1 + len(draws)))

    def _headline(self) -> str:
        return (f"estimate {self.estimate:.3f} of {self.y}, randomisation p = {self.pvalue:.3f} "
                f"over {count(len(self.draws), 'draws')}")  # fmt: skip

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row: the estimate, the p-value and the reassignment distribution's summary, with
        its ``alpha/2`` and ``1 - alpha/2`` quantiles (``draws_low``, ``draws_high``)."""
        q = np.quantile(self.draws, [check_alpha(alpha) / 2, 1 - alpha / 2])
        return self._label(pd.DataFrame({
            "term": ["treated"], "estimate": [self.estimate], "p_value": [self.pvalue],
            "n_draws": [len(self.draws)], "draws_mean": [self.draws.mean()],
            "draws_sd": [self.draws.std(ddof=1)], "draws_low": [q[0]], "draws_high": [q[1]],
        }))  # fmt: skip

    def summary(self, alpha: float = 0.05) -> Summary:
        return Summary(
            f"Randomisation inference for the TWFE estimate of {self.y}",
            [("reassignments", f"{len(self.draws):,} random reassignments of the cohorts across "
              f"units (seed {self.seed})"),
             ("estimate", self.estimate), ("two-sided p", self.pvalue)],
            [self.tidy(alpha).drop(columns="simulated", errors="ignore")],
            [f"draws_low, draws_high: the {alpha / 2:g} and {1 - alpha / 2:g} quantiles of the "
             "reassigned estimates"],
            simulated=self.simulated,
        )  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None):
        """Histogram of the reassigned estimates with the observed one marked."""
        ax = axes(ax)
        ax.hist(self.draws, bins=40, color="lightgrey", edgecolor="grey")
        ax.axvline(self.estimate, color="crimson", lw=2,
                   label=f"estimate {format_value(self.estimate)}")  # fmt: skip
        ax.set(xlabel="TWFE estimate under random reassignment", ylabel="draws")
        ax.legend(fontsize=8)
        title = (f"Placebo test: {self.y} (p = {format_value(self.pvalue)})"
                 if title is None else title)  # fmt: skip
        return finish(ax, title, self.simulated)


def placebo(panel: Panel, y: str, n: int = 1000, controls=(), seed: int = 0,
            chunk: int = 250) -> PlaceboResult:  # fmt: skip
    """Randomisation inference: ``n`` random reassignments of the cohorts across units.

    The observed estimate equals :func:`twfe`'s coefficient with the same ``controls``, and
    the design is checked by the same code as :func:`twfe`'s: collinear controls, or a
    treatment that only varies by year (every unit treated in the same year, no never-treated
    units), are refused with the same message. ``chunk`` bounds the draws held in memory at
    once.

    >>> from innostudy.policy import Panel, placebo, simulate_panel
    >>> panel = Panel(simulate_panel(seed=1), "unit", "year", "cohort")
    >>> ri = placebo(panel, "y", n=200)
    >>> ri.pvalue < 0.05
    True
    """
    if panel.cohort_column is None:
        raise PanelError("a placebo test needs a panel with a cohort column")
    if int(n) != n or n < 1:
        raise ValueError(f"n (the number of random reassignments) must be >= 1, got {n!r}")
    controls = list(controls)
    sample = panel.sample(y, controls)
    if not sample.treated.any():
        raise PanelError("no treated unit-years in the sample: every cohort is 0 or missing")
    codes = sample.unit_codes
    columns = np.column_stack([sample.treated] + [sample.column(c) for c in controls])
    design, _, _ = within_design(sample, columns, ["treated", *controls])  # refuses as twfe
    fe = design.fe  # unit and year effects, projected once for every draw
    q = np.linalg.qr(design.X[:, 1:])[0] if controls else np.empty((sample.nobs, 0))
    yw = fe.demean(sample.column(y))
    y_resid = yw - q @ (q.T @ yw)
    years = sample.years.astype(float)

    def estimates(unit_cohorts: np.ndarray) -> np.ndarray:
        """TWFE coefficients for the assignments in the columns of ``unit_cohorts``."""
        d = (years[:, None] >= unit_cohorts[codes]).astype(float)
        wd = fe.demean(d)
        denominator = np.einsum("ij,ij->j", wd, wd) - np.sum((q.T @ wd) ** 2, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (y_resid @ d) / denominator

    observed = float(estimates(sample.cohort[:, None])[0])
    if not np.isfinite(observed):
        raise PanelError("the treatment is collinear with the fixed effects; nothing to test")
    rng = np.random.default_rng(seed)
    assignments = rng.permuted(np.tile(sample.cohort, (n, 1)), axis=1)
    draws = np.concatenate(
        [estimates(assignments[start : start + chunk].T) for start in range(0, n, chunk)]
    )
    assignments = pd.DataFrame(np.where(np.isinf(assignments), 0, assignments).astype(int),
                               columns=sample.unit_labels)  # fmt: skip
    return PlaceboResult(observed, draws, assignments, y=y, seed=seed,
                         simulated=panel.simulated)  # fmt: skip
