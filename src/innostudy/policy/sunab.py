"""Sun & Abraham (2021) interaction-weighted event study: effects by relative year, free of the
contamination of the TWFE leads and lags by other periods' effects under staggered adoption.

One within regression (unit and year effects absorbed, :mod:`innostudy.policy.fe`) of ``y`` on
a dummy per cohort ``g`` × relative year ``e`` (every ``e`` but the base ``-1``): the
coefficients are the cohort-specific effects CATT(g, e), identified against the comparison
units (never treated, or the last-treated cohort over the years before it is treated). They are
then averaged by relative year with weights equal to each cohort's share of the observations
at that relative year, and overall over the post-treatment cells (e >= 0) by their shares of
observations, as fixest's ``sunab()`` and its ``aggregate(agg = "ATT")``. The weights are
treated as fixed in the standard errors (as fixest and pyfixest; Sun & Abraham's paper also
propagates their sampling error, which is small when cohorts are large). Standard errors are
cluster-robust under the convention of :func:`~innostudy.policy.regression.twfe` (``ssc``).

Implementation: written here, on the projected design of :mod:`~innostudy.policy.regression`
(20 lines of weighting on top of it). pyfixest 0.60's saturated event study
(``i(rel_time, cohort, ref=-1, ref2=0)``) and diff-diff 3.13's ``SunAbraham`` are the test
references (tests/test_sunab.py); neither is a runtime dependency (pyfixest is heavy, diff-diff's
API moves fast: see :mod:`innostudy.policy`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from innostudy.policy._results import Result, WaldTest, coefficient_plot, design_warnings
from innostudy.policy.panel import Panel, PanelError
from innostudy.policy.regression import SSC, _cohorts, fe_ols
from innostudy.results import Summary, count, format_value, intervals

CONTROLS = {"never": "never treated", "last": "last-treated cohort (years before it is treated)"}


def sun_abraham(panel: Panel, y: str, *, window: tuple[int, int] | None = None,
                control: str = "never", controls=(), cluster: str = "unit",
                ssc: SSC | dict | None = None) -> SunAbrahamResult:  # fmt: skip
    """Sun-Abraham interaction-weighted event study of ``y``, base period -1.

    ``window`` limits the relative years reported, plotted and tested (all cells are estimated
    whatever the window, so that no effect outside it leaks in); ``control="last"`` uses the
    last-treated cohort (and any never-treated units) as comparison and drops the years from
    its treatment on. ``.pretrend`` is the joint test that every lead in the window is zero.

    >>> from innostudy.policy import Panel, simulate_panel, sun_abraham
    >>> df = simulate_panel(n_units=60, years=range(2015, 2021), cohorts={2018: 20}, seed=4)
    >>> sa = sun_abraham(Panel(df, "unit", "year", "cohort"), "y")
    >>> round(sa.att, 1), sa.tidy()["term"].tolist()[:3]
    (1.0, ['overall', 'rel_-3', 'rel_-2'])
    """
    if control not in CONTROLS:
        raise ValueError(f"control must be one of {list(CONTROLS)}, got {control!r}")
    if panel.cohort_column is None:
        raise PanelError("sun_abraham needs a panel with a cohort column")
    if window is not None and not window[0] <= -1 <= window[1]:
        raise ValueError(f"window must contain the base period -1, got {window!r}")
    dropped_years = []
    if control == "last":
        panel, dropped_years = _last_as_control(panel)
    elif panel.n_never == 0:
        raise PanelError("control='never' needs never-treated units; none here: use control='last'")
    controls = list(controls)
    sample = panel.sample(y, controls, cluster=None if cluster == "unit" else cluster)
    treated = np.isfinite(sample.row_cohort)
    rel = np.where(treated, sample.years - np.where(treated, sample.row_cohort, 0), 0).astype(int)
    cohort = np.where(treated, sample.row_cohort, 0).astype(int)
    cells = sorted({(g, e) for g, e in zip(cohort[treated], rel[treated], strict=True) if e != -1})
    if not cells:
        raise PanelError("no treated cell besides the base period -1")
    keys = cohort.astype(np.int64) * 10_000 + rel
    cell_keys = np.array([g * 10_000 + e for g, e in cells])
    dummies = (keys[:, None] == cell_keys[None, :]) & treated[:, None]
    regressors = np.column_stack([dummies] + [sample.column(c)[:, None] for c in controls])
    names = [f"cohort_{g}:rel_{e}" for g, e in cells]
    fit = fe_ols(sample, sample.column(y), regressors, names + controls, cluster, True, ssc)
    k = len(cells)
    beta, vcov = fit.params[:k], fit.vcov[:k, :k]
    n_cell = dummies.sum(axis=0).astype(float)
    g_of, e_of = np.array([c[0] for c in cells]), np.array([c[1] for c in cells])
    periods = np.unique(e_of)
    weights = np.array([np.where(e_of == e, n_cell, 0.0) for e in periods])
    weights /= weights.sum(axis=1, keepdims=True)
    post = np.where(e_of >= 0, n_cell, 0.0)
    overall_w = post / post.sum() if post.sum() else np.full(k, np.nan)
    found = design_warnings(fit.n_clusters, _cohorts(sample))
    return SunAbrahamResult(
        periods, weights @ beta, weights @ vcov @ weights.T, overall_w @ beta,
        float(overall_w @ vcov @ overall_w),
        pd.DataFrame({"cohort": g_of, "rel_time": e_of, "estimate": beta,
                      "std_error": np.sqrt(np.diag(vcov)), "n_obs": n_cell.astype(int)}),
        window=window, y=y, control=control, n_clusters=fit.n_clusters, nobs=sample.nobs,
        n_units=sample.n_units,
        note=sample.note(), ssc=fit.ssc, simulated=panel.simulated, warnings=found,
        dropped_years=dropped_years, controls=controls,
        outcome_mean=float(sample.column(y).mean()),
    )  # fmt: skip


def _last_as_control(panel: Panel) -> tuple[Panel, list[int]]:
    """The panel without the years from the last cohort's treatment on, that cohort untreated."""
    cohorts = sorted(panel.cohorts)
    if len(cohorts) < 2:
        raise PanelError("control='last' needs at least two cohorts (the last is the comparison)")
    last = cohorts[-1]
    data = panel.data
    years = pd.to_numeric(data[panel.time])
    cohort = pd.to_numeric(data[panel.cohort_column]).where(lambda c: c != last, 0)
    kept = data[years < last].assign(**{panel.cohort_column: cohort[years < last]})
    return Panel(kept, panel.unit, panel.time, panel.cohort_column), sorted(
        set(years[years >= last].astype(int))
    )


class SunAbrahamResult(Result):
    """Result of :func:`sun_abraham`: effects by relative year, overall, and by cohort (``cells``)."""

    base = -1
    time_effects = True  # unit and year effects, for regression tables

    def __init__(self, periods, estimate, vcov_all, att, att_var, cells, *, window, y, control,
                 n_clusters, nobs, note, ssc, simulated, warnings, dropped_years, controls=(),
                 outcome_mean=None, n_units=None):  # fmt: skip
        lo, hi = window if window is not None else (periods.min(), periods.max())
        shown = (periods >= lo) & (periods <= hi)
        self.rel_time, self.estimate = periods[shown], estimate[shown]
        self.vcov = vcov_all[np.ix_(shown, shown)]
        self.att, self.se = float(att), float(np.sqrt(att_var))
        self.cells, self.y, self.control, self.window = cells, y, control, (lo, hi)
        self.n_clusters, self.nobs, self.note, self.ssc = n_clusters, nobs, note, ssc
        self.simulated, self.warnings, self.dropped_years = simulated, warnings, dropped_years
        self.controls, self.outcome_mean, self.n_units = list(controls), outcome_mean, n_units
        leads = self.rel_time < 0
        self.pretrend = (
            WaldTest.of(
                self.estimate[leads],
                self.vcov[np.ix_(leads, leads)],
                n_clusters - 1,
                max_rank=n_clusters - 1,
            )  # fmt: skip
            if leads.any()
            else None
        )

    def _headline(self) -> str:
        return (f"ATT {self.att:.3f} (se {self.se:.3f}), {len(self.rel_time)} relative years "
                f"({self.window[0]} to {self.window[1]}), {count(self.nobs, 'obs')}")  # fmt: skip

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """The overall ATT (e >= 0), then one row per relative year; t on G - 1 df."""
        table = pd.DataFrame({
            "term": ["overall"] + [f"rel_{e}" for e in self.rel_time],
            "estimate": np.r_[self.att, self.estimate],
            "std_error": np.r_[self.se, np.sqrt(np.diag(self.vcov))],
            "rel_time": np.r_[np.nan, self.rel_time],
        })  # fmt: skip
        return self._label(intervals(table, alpha, self.n_clusters - 1))

    def summary(self, alpha: float = 0.05) -> Summary:
        notes = [f"warning: {w}" for w in self.warnings]
        if self.dropped_years:
            notes.append(f"years dropped (the comparison cohort is treated): {self.dropped_years}")
        notes.append("weights: each cohort's share of the observations at a relative year "
                     "(fixed in the SEs, as fixest's sunab)")  # fmt: skip
        return Summary(
            f"Sun-Abraham event study of {self.y} (base period -1)",
            [("comparison", CONTROLS[self.control]), ("observations", self.nobs),
             ("clusters", self.n_clusters), ("correction", str(self.ssc)),
             ("overall ATT (e >= 0)", f"{format_value(self.att)} (SE {format_value(self.se)})"),
             ("joint pre-trend test (leads = 0)", str(self.pretrend or "no leads"))],
            [self.tidy(alpha).drop(columns="simulated", errors="ignore"),
             ("effects by cohort and relative year", self.cells)],
            notes, simulated=self.simulated,
        )  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None, alpha: float = 0.05):
        """Effects by relative year with their intervals; the base period drawn at 0."""
        table = self.tidy(alpha).iloc[1:]
        title = f"Sun-Abraham: {self.y}" if title is None else title
        ax = coefficient_plot(table, "rel_time", ax, xlabel="years relative to treatment",
                              title=title, simulated=self.simulated)  # fmt: skip
        ax.plot([-1], [0.0], "o", mfc="white", color="C0")
        return ax
