"""Borusyak, Jaravel & Spiess (2024) imputation estimator of staggered treatment effects.

Unit and year effects (and any controls) are fitted on the untreated cells only (never-treated
units, and treated units before their cohort); each treated cell's untreated outcome is imputed
from them, and the effect of the cell is its outcome minus the imputation. The overall ATT is
the mean over treated cells, an effect at horizon ``h`` the mean over cells ``h`` years after
treatment. Each estimate is a linear function ``Σ v_it y_it`` of the outcomes; the conservative
standard error of the paper's Theorem 3 is ``sqrt(Σ_clusters (Σ v_it ε̃_it)²)``, with ε̃ the
untreated residuals and, on treated cells, the effects minus their mean within cohort ×
horizon (R's ``didimputation`` and diff-diff's default, without the leave-one-out refinement).
The pre-trend test of the paper (its Test 1) adds lead dummies for treated units' untreated
years (every lead but -1) to the untreated regression and tests them jointly (F with G - 1 df,
clustered under :class:`~innostudy.policy.regression.SSC`).

The untreated regression is solved exactly on its sparse normal equations (units + years +
controls unknowns; one factorization serves the fit and every estimand's weights ``v``).
Written here: pyfixest 0.60's ``did2s`` (Gardner's two-stage estimator, numerically the same
point estimates) and diff-diff 3.13's ``ImputationDiD`` are the test references
(tests/test_imputation.py); neither is a runtime dependency (see :mod:`innostudy.policy`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from innostudy.policy._results import Result, WaldTest, coefficient_plot, design_warnings
from innostudy.policy.fe import indicator
from innostudy.policy.panel import Panel, PanelError, Sample
from innostudy.policy.regression import _cohorts, cluster_codes, fe_ols
from innostudy.results import Summary, count, format_value, intervals


def imputation(panel: Panel, y: str, *, horizons=None, controls=(), cluster: str = "unit",
               pretrends: int | None = None) -> ImputationResult:  # fmt: skip
    """Imputation estimates of the effect on ``y``: overall and at each horizon (years since
    treatment; ``horizons=None``: every observed horizon >= 0). ``pretrends``: how many leads
    the pre-trend test uses (None: all but -1).

    >>> from innostudy.policy import Panel, imputation, simulate_panel
    >>> df = simulate_panel(n_units=60, years=range(2015, 2021), cohorts={2018: 20}, seed=4)
    >>> est = imputation(Panel(df, "unit", "year", "cohort"), "y", horizons=[0, 1])
    >>> est.tidy()["term"].tolist(), round(est.att, 1)
    (['overall', 'h_0', 'h_1'], 1.1)
    """
    from scipy import sparse
    from scipy.sparse.linalg import splu

    if panel.cohort_column is None:
        raise PanelError("imputation needs a panel with a cohort column")
    controls = list(controls)
    sample = panel.sample(y, controls, cluster=None if cluster == "unit" else cluster)
    treated = sample.treated.astype(bool)
    if not treated.any():
        raise PanelError("no treated unit-years in the sample")
    ever = np.isfinite(sample.row_cohort)
    rel = np.where(ever, sample.years - np.where(ever, sample.row_cohort, 0), 0).astype(int)
    untreated_years = np.unique(sample.years[~treated])
    lonely = sorted(set(sample.years[treated].tolist()) - set(untreated_years.tolist()))
    if lonely:
        raise PanelError(
            f"year(s) {lonely} have no untreated unit: their year effects cannot be fitted and "
            "their treated cells not imputed; drop those years (or add never-treated units)"
        )
    if horizons is None:
        horizons = sorted(set(rel[treated].tolist()))
    horizons = [int(h) for h in horizons]
    absent = [h for h in horizons if h < 0 or not (treated & (rel == h)).any()]
    if absent:
        raise ValueError(f"horizon(s) {absent} have no treated cells (observed: "
                         f"{sorted(set(rel[treated].tolist()))})")  # fmt: skip

    # untreated regression: unit dummies, year dummies but the first, controls
    n = sample.nobs
    year_code = np.searchsorted(untreated_years, sample.years)
    Z = sparse.hstack([
        indicator(sample.unit_codes, sample.n_units).T,
        indicator(year_code, len(untreated_years)).T[:, 1:],
        sparse.csr_matrix(np.column_stack([sample.column(c) for c in controls]) if controls
                          else np.empty((n, 0))),
    ]).tocsr()  # fmt: skip
    Z0, Z1 = Z[~treated], Z[treated]
    normal = (Z0.T @ Z0).tocsc()
    try:
        lu = splu(normal)
    except RuntimeError as err:
        raise PanelError(f"the untreated regression is singular ({err}): a control constant "
                         "within units, or units with no untreated year") from err  # fmt: skip
    outcome = sample.column(y)
    theta = lu.solve(Z0.T @ outcome[~treated])
    if not np.isfinite(theta).all():
        raise PanelError("the untreated regression is singular (collinear controls?)")
    tau = outcome[treated] - Z1 @ theta

    # estimands: weights on the treated cells (columns: overall, then each horizon)
    rel1 = rel[treated]
    W1 = np.column_stack([np.ones(treated.sum())] + [(rel1 == h).astype(float) for h in horizons])
    W1 /= W1.sum(axis=0)
    estimate = tau @ W1
    V0 = -(Z0 @ lu.solve(np.asarray(Z1.T @ W1)))  # implied weights on the untreated outcomes
    resid = np.empty(n)
    resid[~treated] = outcome[~treated] - Z0 @ theta
    cells = pd.Series(tau).groupby([sample.row_cohort[treated], rel1]).transform("mean")
    resid[treated] = tau - cells.to_numpy()
    weights = np.empty((n, W1.shape[1]))
    weights[treated], weights[~treated] = W1, V0
    codes = cluster_codes(sample, cluster)
    per_cluster = indicator(codes, int(codes.max()) + 1) @ (weights * resid[:, None])
    vcov = per_cluster.T @ per_cluster
    found = design_warnings(int(codes.max()) + 1, _cohorts(sample))
    return ImputationResult(
        horizons, estimate, vcov, _pretrend(sample, y, controls, treated, rel, cluster, pretrends),
        y=y, nobs=n, n_treated=int(treated.sum()), n_clusters=int(codes.max()) + 1,
        n_units=sample.n_units,
        note=sample.note(), simulated=panel.simulated, warnings=found, controls=controls,
        outcome_mean=float(outcome.mean()),
    )  # fmt: skip


def _pretrend(sample: Sample, y, controls, treated, rel, cluster, n_leads) -> WaldTest | None:
    """BJS Test 1: leads of treated units (all but -1) in the untreated regression, jointly 0."""
    untreated = ~treated
    ever = np.isfinite(sample.row_cohort) & untreated
    leads = sorted(set(rel[ever]) - {-1}, reverse=True)[:n_leads]
    if not leads:
        return None
    part = Sample(sample.panel, sample.rows[untreated], 0, {})
    lead_rel = rel[untreated][:, None]
    dummies = (lead_rel == np.array(leads)[None, :]) & ever[untreated][:, None]
    columns = np.column_stack([dummies] + [part.column(c)[:, None] for c in controls])
    names = [f"lead_{h}" for h in leads] + list(controls)
    fit = fe_ols(part, part.column(y), columns, names, cluster, True, None)
    k = len(leads)
    return WaldTest.of(fit.params[:k], fit.vcov[:k, :k], fit.n_clusters - 1,
                       max_rank=fit.n_clusters - 1)  # fmt: skip


class ImputationResult(Result):
    """Result of :func:`imputation`: the overall ATT and the effects by horizon."""

    time_effects = True  # unit and year effects, for regression tables

    def __init__(self, horizons, estimate, vcov, pretrend, *, y, nobs, n_treated, n_clusters,
                 note, simulated, warnings, controls=(), outcome_mean=None,
                 n_units=None):  # fmt: skip
        self.horizons, self.estimate, self.vcov = np.array(horizons), estimate, vcov
        self.att, self.se = float(estimate[0]), float(np.sqrt(vcov[0, 0]))
        self.pretrend, self.y, self.nobs, self.n_treated = pretrend, y, nobs, n_treated
        self.n_clusters, self.note, self.simulated = n_clusters, note, simulated
        self.warnings, self.controls, self.outcome_mean = warnings, list(controls), outcome_mean
        self.n_units = n_units

    def _headline(self) -> str:
        return (f"ATT {self.att:.3f} (se {self.se:.3f}), {len(self.horizons)} horizons, "
                f"{count(self.n_treated, 'treated cells')}, {count(self.nobs, 'obs')}")  # fmt: skip

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """The overall ATT, then one row per horizon; normal intervals (conservative SEs)."""
        table = pd.DataFrame({
            "term": ["overall"] + [f"h_{h}" for h in self.horizons],
            "estimate": self.estimate, "std_error": np.sqrt(np.diag(self.vcov)),
            "rel_time": np.r_[np.nan, self.horizons],
        })  # fmt: skip
        return self._label(intervals(table, alpha))

    def summary(self, alpha: float = 0.05) -> Summary:
        return Summary(
            f"Imputation estimates (Borusyak-Jaravel-Spiess) of {self.y}",
            [("sample", self.note), ("treated cells", self.n_treated),
             ("clusters", self.n_clusters),
             ("overall ATT", f"{format_value(self.att)} (SE {format_value(self.se)})"),
             ("SEs", f"conservative (BJS Theorem 3); normal {1 - alpha:.0%} intervals"),
             ("pre-trend test (leads = 0 on untreated cells)", str(self.pretrend or "no leads"))],
            [self.tidy(alpha).drop(columns="simulated", errors="ignore")],
            [f"warning: {w}" for w in self.warnings], simulated=self.simulated,
        )  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None, alpha: float = 0.05):
        """Effects by horizon with intervals; the overall ATT as a dashed line."""
        table = self.tidy(alpha).iloc[1:]
        title = f"Imputation: {self.y}" if title is None else title
        ax = coefficient_plot(table, "rel_time", ax, xlabel="years since treatment", title=title,
                              simulated=self.simulated)  # fmt: skip
        ax.axhline(self.att, color="C1", ls="--", lw=1, label=f"overall: {self.att:.3f}")
        ax.legend(loc="best", fontsize=8)
        return ax
