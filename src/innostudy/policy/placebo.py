"""Randomisation inference for the TWFE estimate: reassign the pilots at random, many times.

Each draw permutes the units' cohorts (so the number of units per cohort, i.e. who is treated and
when, is reassigned but the design kept) and recomputes the TWFE coefficient. Nothing is refitted:
by Frisch-Waugh-Lovell the coefficient on a treatment ``D`` is ``<My, D> / <MD, MD>``, where ``M``
removes the unit and year effects (:class:`innostudy.policy.fe.TwoWay`, set up once) and projects
out the controls (an orthonormal basis ``Q`` of their demeaned columns). ``My`` is computed once;
each draw only needs the demeaned ``D`` and ``Q'D``, done for a chunk of draws at once.

The p-value is two-sided, ``(1 + #{|b_draw| >= |b|}) / (1 + n)`` (it counts the observed
assignment as one of the draws, so it is never zero). Each draw also gets its own clustered
t-test p-value (``draw_pvalues``: CRV1 by unit with Stata's ``xtreg, fe`` correction, the
score of the partialled-out treatment, equal to :func:`~innostudy.policy.twfe`'s by FWL), drawn
as points in the field's figure.

``kind="time"`` is the other placebo of the literature: a fake designation ``shift`` years
before the real one, estimated on the pre-treatment years only (treated unit-years dropped);
an effect there signals anticipation or diverging trends (:class:`TimePlaceboResult`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from innostudy.policy._results import Result
from innostudy.policy.panel import Panel, PanelError
from innostudy.policy.regression import within_design
from innostudy.results import Summary, axes, check_alpha, count, finish, format_value, intervals


class PlaceboResult(Result):
    """The observed TWFE estimate, the reassignment distribution and its p-value.

    ``assignments`` holds each draw's cohorts (rows: draws, columns: units; 0 = never treated),
    so any draw can be checked by refitting :func:`twfe` on it.
    """

    def __init__(self, estimate, draws, assignments, *, y, seed, simulated, draw_pvalues=None):
        self.estimate, self.draws, self.y, self.seed = estimate, draws, y, seed
        self.assignments, self.simulated, self.draw_pvalues = assignments, simulated, draw_pvalues
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
             ("estimate", self.estimate),
             ("two-sided p", f"{format_value(self.pvalue)} (the smallest {len(self.draws):,} "
                             f"draws can give is {format_value(1 / (1 + len(self.draws)))})")],
            [self.tidy(alpha).drop(columns="simulated", errors="ignore")],
            [f"draws_low, draws_high: the {alpha / 2:g} and {1 - alpha / 2:g} quantiles of the "
             "reassigned estimates"],
            simulated=self.simulated,
        )  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None):
        """As the field draws it: the kernel density of the reassigned estimates, the estimate
        of the real assignment marked, and each draw's p-value as a point (right axis)."""
        from scipy.stats import gaussian_kde

        ax = axes(ax)
        low = min(self.draws.min(), self.estimate)
        high = max(self.draws.max(), self.estimate)
        grid = np.linspace(low - 0.1 * (high - low), high + 0.1 * (high - low), 300)
        if np.ptp(self.draws) > 0:
            ax.plot(grid, gaussian_kde(self.draws)(grid), color="C0", label="density of draws")
        ax.axvline(self.estimate, color="crimson", lw=2,
                   label=f"estimate {format_value(self.estimate)}")  # fmt: skip
        ax.set(xlabel="TWFE estimate under random reassignment", ylabel="density")
        if self.draw_pvalues is not None:
            right = ax.twinx()
            right.scatter(self.draws, self.draw_pvalues, s=6, color="grey", alpha=0.5)
            right.axhline(0.1, color="grey", ls=":", lw=0.8)
            right.set(ylabel="p-value of each draw", ylim=(0, 1))
        ax.legend(fontsize=8, loc="upper left")
        title = (f"Placebo test: {self.y} (p = {format_value(self.pvalue)})"
                 if title is None else title)  # fmt: skip
        return finish(ax, title, self.simulated)


def placebo(panel: Panel, y: str, n: int = 1000, controls=(), seed: int = 0,
            chunk: int = 250, *, kind: str = "space", shift: int = 1):  # fmt: skip
    """Randomisation inference: ``n`` random reassignments of the cohorts across units
    (``kind="space"``), or a fake date ``shift`` years early (``kind="time"``, see
    :func:`time_placebo`).

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
    if kind not in ("space", "time"):
        raise ValueError(f"kind must be 'space' or 'time', got {kind!r}")
    if kind == "time":
        return time_placebo(panel, y, shift=shift, controls=controls)
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

    from scipy import stats

    from innostudy.policy.fe import indicator
    from innostudy.policy.regression import SSC

    clusters = indicator(codes, sample.n_units)
    n_year = len(sample.periods) - 1
    factor = SSC().factor(sample.nobs, 1 + len(controls) + n_year, sample.n_units, n_year,
                          sample.n_units)  # fmt: skip
    pvalues = []

    def estimates(unit_cohorts: np.ndarray) -> np.ndarray:
        """TWFE coefficients for the assignments in the columns of ``unit_cohorts``; their
        clustered p-values are appended to ``pvalues``."""
        d = (years[:, None] >= unit_cohorts[codes]).astype(float)
        wd = fe.demean(d)
        wd -= q @ (q.T @ wd)
        denominator = np.einsum("ij,ij->j", wd, wd)
        with np.errstate(divide="ignore", invalid="ignore"):
            b = (y_resid @ wd) / denominator
            scores = clusters @ (wd * (y_resid[:, None] - wd * b))
            se = np.sqrt(factor * np.einsum("ij,ij->j", scores, scores)) / denominator
            pvalues.append(2 * stats.t.sf(np.abs(b / se), sample.n_units - 1))
        return b

    observed = float(estimates(sample.cohort[:, None])[0])
    pvalues.clear()
    if not np.isfinite(observed):
        raise PanelError("the treatment is collinear with the fixed effects; nothing to test")
    rng = np.random.default_rng(seed)
    assignments = rng.permuted(np.tile(sample.cohort, (n, 1)), axis=1)
    draws = np.concatenate(
        [estimates(assignments[start : start + chunk].T) for start in range(0, n, chunk)]
    )
    assignments = pd.DataFrame(np.where(np.isinf(assignments), 0, assignments).astype(int),
                               columns=sample.unit_labels)  # fmt: skip
    return PlaceboResult(observed, draws, assignments, y=y, seed=seed, simulated=panel.simulated,
                         draw_pvalues=np.concatenate(pvalues))  # fmt: skip


class TimePlaceboResult(Result):
    """Result of :func:`time_placebo`: fake designation dates 1..shift years early."""

    def __init__(self, table: pd.DataFrame, shift: int, *, y, nobs, simulated):
        self.table, self.shift, self.y, self.nobs, self.simulated = table, shift, y, nobs, simulated
        row = table.set_index("shift").loc[shift]
        self.estimate, self.pvalue = float(row["estimate"]), float(row["p_value"])

    def _headline(self) -> str:
        return (f"fake date {self.shift} year(s) early: {self.estimate:.3f} "
                f"(p = {self.pvalue:.3f}) on {count(self.nobs, 'pre-treatment obs')}")  # fmt: skip

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per shift: the TWFE estimate of the fake treatment, clustered by unit."""
        table = intervals(self.table[["term", "estimate", "std_error", "df"]], alpha,
                          int(self.table["df"].iloc[0]))  # fmt: skip
        return self._label(table.assign(shift=self.table["shift"].to_numpy()).drop(columns="df"))

    def summary(self, alpha: float = 0.05) -> Summary:
        return Summary(
            f"Time placebo for {self.y}: designation dated earlier than it was",
            [("sample", "pre-treatment unit-years only (treated unit-years dropped)"),
             ("observations", self.nobs), (f"estimate at {self.shift} year(s) early", self.estimate),
             ("p-value", self.pvalue)],
            [self.tidy(alpha).drop(columns="simulated", errors="ignore")],
            ["an effect at a fake date signals anticipation or diverging pre-trends"],
            simulated=self.simulated,
        )  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None, alpha: float = 0.05):
        """The fake-date estimates with intervals, by years early."""
        from innostudy.policy._results import coefficient_plot

        return coefficient_plot(self.tidy(alpha), "shift", ax, xlabel="fake date: years early",
                                title=f"Time placebo: {self.y}" if title is None else title,
                                simulated=self.simulated)  # fmt: skip


def time_placebo(panel: Panel, y: str, shift: int = 1, controls=()) -> TimePlaceboResult:
    """TWFE on the pre-treatment unit-years with each cohort moved 1, ..., ``shift`` years
    earlier; a cohort left with no year before its fake date drops out of that fit.

    >>> from innostudy.policy import Panel, placebo, simulate_panel
    >>> panel = Panel(simulate_panel(seed=1), "unit", "year", "cohort")
    >>> fake = placebo(panel, "y", kind="time", shift=2)
    >>> fake.table["shift"].tolist(), fake.pvalue > 0.01
    ([1, 2], True)
    """
    from innostudy.policy.regression import twfe

    if int(shift) != shift or shift < 1:
        raise ValueError(f"shift (years earlier) must be a whole number >= 1, got {shift!r}")
    if panel.cohort_column is None:
        raise PanelError("a placebo test needs a panel with a cohort column")
    data = panel.data
    cohort = pd.to_numeric(data[panel.cohort_column]).fillna(0)
    year = pd.to_numeric(data[panel.time])
    before = data[(cohort == 0) | (year < cohort)]
    rows, nobs = [], 0
    for k in range(1, int(shift) + 1):
        fake = pd.to_numeric(before[panel.cohort_column]).fillna(0)
        fake = fake.where(fake == 0, fake - k)
        first = pd.to_numeric(before[panel.time]).groupby(before[panel.unit]).transform("min")
        fake = fake.where((fake == 0) | (fake > first), 0)  # no year before the fake date
        rows_k = before.assign(_fake=fake.astype(int)).reset_index(drop=True)
        fit = twfe(Panel(rows_k, panel.unit, panel.time, "_fake"), y, controls)
        first_row = fit.table.iloc[0]
        rows.append({"term": f"fake_{k}", "shift": k, "estimate": first_row.estimate,
                     "std_error": first_row.std_error, "df": fit.n_clusters - 1})  # fmt: skip
        nobs = fit.nobs
    table = pd.DataFrame(rows)
    table["p_value"] = intervals(table[["term", "estimate", "std_error"]], 0.05,
                                 int(table["df"].iloc[0]))["p_value"].to_numpy()  # fmt: skip
    return TimePlaceboResult(table, int(shift), y=y, nobs=nobs, simulated=panel.simulated)
