"""Two-way fixed-effects regressions: the static TWFE estimate and the event study.

Both are ordinary least squares (statsmodels) on data demeaned within units, with year dummies as
regressors (exact for unbalanced panels too), so the unit effects are absorbed and the year effects
estimated. Standard errors are cluster-robust with the small-sample correction

    V = G/(G-1) · (N-1)/(N-K) · (X'X)^-1 (Σ_g X_g' u_g u_g' X_g) (X'X)^-1,

G clusters, N rows, K slope coefficients including the year dummies; the unit effects are not
counted in K because units are nested in the clusters (the convention of Stata's ``xtreg, fe``
and ``reghdfe`` and fixest's default). Tests and intervals use Student's t with G-1 degrees of
freedom.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from innostudy.policy._results import (
    Result,
    WaldTest,
    banner,
    coefficient_plot,
    coefficient_table,
)
from innostudy.policy.panel import Panel, PanelError, Sample, _listing

CORRECTION = "G/(G-1)·(N-1)/(N-K), unit effects nested in clusters; t with G-1 df"


def demean_within(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Subtract each unit's mean from the rows (columns) of ``values``; ``codes`` index units."""
    values = np.asarray(values, float)
    counts = np.bincount(codes)
    flat = values.reshape(len(codes), -1)
    means = np.vstack([np.bincount(codes, weights=col) for col in flat.T]).T / counts[:, None]
    return (flat - means[codes]).reshape(values.shape)


def year_dummies(years: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Dummies for every year but the first."""
    levels = np.unique(years)
    return (years[:, None] == levels[None, 1:]).astype(float), [f"year_{y}" for y in levels[1:]]


def cluster_codes(sample: Sample, cluster: str) -> np.ndarray:
    """Integer cluster codes; a cluster column must nest the units (one cluster per unit)."""
    if cluster == "unit":
        return sample.unit_codes
    per_unit = sample.rows.groupby(sample.panel.unit, sort=False)[cluster].nunique()
    split = per_unit.index[per_unit > 1]
    if len(split):
        raise PanelError(
            f"cluster column {cluster!r} must not vary within a unit; it does for "
            + _listing(map(repr, split))
        )
    return pd.factorize(sample.rows[cluster])[0]


def dependent_columns(X: np.ndarray, tol: float = 1e-10) -> list[int]:
    """Columns of ``X`` that are (numerically) combinations of the columns before them."""
    gram = X.T @ X
    kept, dependent = [], []
    for j in range(X.shape[1]):
        explained = 0.0
        if kept:
            g = gram[np.ix_(kept, [j])]
            explained = (g.T @ np.linalg.solve(gram[np.ix_(kept, kept)], g)).item()
        if gram[j, j] - explained <= tol * max(gram[j, j], 1e-300):
            dependent.append(j)
        else:
            kept.append(j)
    return dependent


def fe_ols(sample: Sample, y: np.ndarray, regressors: np.ndarray, names: list[str],
           cluster: str, time_effects: bool = True):  # fmt: skip
    """Fit the within regression; return (statsmodels results, number of clusters)."""
    import statsmodels.api as sm

    design, all_names = regressors, list(names)
    if time_effects:
        dummies, labels = year_dummies(sample.years)
        design, all_names = np.column_stack([regressors, dummies]), all_names + labels
    within = demean_within(design, sample.unit_codes)
    collinear = [all_names[j] for j in dependent_columns(within)]
    if collinear:
        raise PanelError(
            f"regressor(s) {collinear} are collinear with the fixed effects or earlier regressors "
            "(e.g. a control constant within units, or event-time terms with no untreated "
            "comparison); remove them or change the window"
        )
    codes = cluster_codes(sample, cluster)
    fit = sm.OLS(demean_within(y, sample.unit_codes), within, hasconst=False).fit(
        method="qr", cov_type="cluster", cov_kwds={"groups": codes}, use_t=True
    )
    return fit, len(np.unique(codes))


class TWFEResult(Result):
    """Result of :func:`twfe`: coefficients with cluster-robust standard errors."""

    def __init__(self, table, vcov, *, y, sample, n_clusters, k, time_effects):
        self.table, self.vcov, self.y = table, vcov, y
        self.nobs, self.n_units, self.n_clusters, self.k = (
            sample.nobs,
            sample.n_units,
            n_clusters,
            k,
        )
        self.note, self.time_effects = sample.note(), time_effects
        self.simulated = sample.panel.simulated

    @property
    def params(self) -> pd.Series:
        return self.table.set_index("term")["estimate"]

    @property
    def bse(self) -> pd.Series:
        return self.table.set_index("term")["std_error"]

    def tidy(self) -> pd.DataFrame:
        return self._label(self.table.copy())

    def summary(self) -> str:
        effects = "unit + year" if self.time_effects else "unit"
        head = self._title(f"TWFE regression of {self.y} ({effects} fixed effects)")
        return "\n".join([
            head,
            f"sample: {self.note}",
            f"clusters: {self.n_clusters}; K = {self.k}; correction {CORRECTION}",
            self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
        ])  # fmt: skip

    def plot(self, ax=None):
        """Coefficients with confidence intervals, one row per term."""
        import matplotlib.pyplot as plt

        table = self.table
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.6 * len(table) + 1.5))
        pos = np.arange(len(table))
        err = np.vstack([table.estimate - table.conf_low, table.conf_high - table.estimate])
        ax.errorbar(table.estimate, pos, xerr=err, fmt="o", capsize=3)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set(yticks=pos, yticklabels=table.term, xlabel="estimate",
               title=self._title(f"TWFE: {self.y}"))  # fmt: skip
        banner(ax, self.simulated)
        return ax


def twfe(panel: Panel, y: str, controls=(), cluster: str = "unit", time_effects: bool = True,
         alpha: float = 0.05) -> TWFEResult:  # fmt: skip
    """Two-way fixed-effects estimate of the effect of treatment (``year >= cohort``) on ``y``.

    Parameters
    ----------
    panel : Panel
    y : str
        Outcome column.
    controls : sequence of str
        Time-varying control columns.
    cluster : str
        ``"unit"`` or a column that nests units (e.g. a province column).
    time_effects : bool
        Year effects (two-way) or unit effects only.

    When the panel has no cohort column the regression has no treatment term: a plain
    fixed-effects regression of ``y`` on ``controls``.

    >>> from innostudy.policy import Panel, simulate_panel, twfe
    >>> panel = Panel(simulate_panel(seed=1), "unit", "year", "cohort")
    >>> fit = twfe(panel, "y", controls=["x"])
    >>> fit.tidy()[["term", "estimate"]].round(1)  # doctest: +SKIP
    """
    controls = list(controls)
    sample = panel.sample(y, controls, cluster=None if cluster == "unit" else cluster)
    has_treatment = panel.cohort_column is not None
    if has_treatment and not sample.treated.any():
        raise PanelError("no treated unit-years in the sample: every cohort is 0 or missing")
    columns = ([sample.treated] if has_treatment else []) + [sample.column(c) for c in controls]
    names = (["treated"] if has_treatment else []) + controls
    if not names:
        raise PanelError("nothing to estimate: the panel has no cohort and no controls were given")
    fit, n_clusters = fe_ols(sample, sample.column(y), np.column_stack(columns), names, cluster,
                             time_effects)  # fmt: skip
    k = len(names)
    table = coefficient_table(names, fit.params[:k], fit.bse[:k], n_clusters - 1, alpha)
    return TWFEResult(table, np.asarray(fit.cov_params())[:k, :k], y=y, sample=sample,
                      n_clusters=n_clusters, k=fit.df_model, time_effects=time_effects)  # fmt: skip


class EventStudyResult(Result):
    """Result of :func:`event_study`: dynamic effects by year relative to treatment."""

    def __init__(self, table, vcov, pretrend, *, y, base, sample, n_clusters):
        self.table, self.vcov, self.pretrend, self.y, self.base = table, vcov, pretrend, y, base
        self.note, self.n_clusters = sample.note(), n_clusters
        self.simulated = sample.panel.simulated

    def tidy(self) -> pd.DataFrame:
        return self._label(self.table.copy())

    def summary(self) -> str:
        test = str(self.pretrend) if self.pretrend else "no pre-treatment terms"
        return "\n".join([
            self._title(f"Event study of {self.y} (base period {self.base})"),
            f"sample: {self.note}; clusters: {self.n_clusters}; correction {CORRECTION}",
            f"joint pre-trend test (all leads = 0): {test}",
            self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
        ])  # fmt: skip

    def plot(self, ax=None):
        """Coefficients and confidence intervals by relative year; the base period drawn at 0."""
        shown = self.table[self.table["in_window"]]
        ax = coefficient_plot(shown, "rel_time", ax, xlabel="years relative to treatment",
                              title=self._title(f"Event study: {self.y}"),
                              simulated=self.simulated)  # fmt: skip
        ax.plot([self.base], [0.0], "o", mfc="white", color="C0")
        ax.axvline(self.base + 0.5, color="grey", ls=":", lw=0.8)
        if self.pretrend:
            ax.text(0.02, 0.96, f"pre-trend {self.pretrend}", transform=ax.transAxes,
                    va="top", fontsize=8)  # fmt: skip
        return ax


def event_study(panel: Panel, y: str, window: tuple[int, int] = (-4, 4), base: int = -1,
                bin_ends: bool = True, controls=(), cluster: str = "unit",
                alpha: float = 0.05) -> EventStudyResult:  # fmt: skip
    """Event-study regression: unit and year effects plus one term per year relative to treatment.

    ``window`` bounds the relative years reported and plotted; ``base`` is the omitted reference
    year. With ``bin_ends=True`` the end terms pool every year beyond the window; with False each
    year beyond it gets its own term (kept in ``.tidy()`` with ``in_window`` False). Relative
    years in the window with no observations appear with a missing estimate. ``.pretrend`` is the
    joint Wald test (F with G-1 denominator df) that every lead in the window is zero.

    >>> from innostudy.policy import Panel, event_study, simulate_panel
    >>> panel = Panel(simulate_panel(seed=1), "unit", "year", "cohort")
    >>> es = event_study(panel, "y", window=(-3, 3))
    >>> es.pretrend.pvalue > 0.01                       # doctest: +SKIP
    True
    """
    lo, hi = window
    if not lo <= base <= hi or lo >= hi:
        raise ValueError(f"need window[0] <= base <= window[1] and a non-empty window; "
                         f"got window={window}, base={base}")  # fmt: skip
    if panel.cohort_column is None:
        raise PanelError("an event study needs a panel with a cohort column")
    controls = list(controls)
    sample = panel.sample(y, controls, cluster=None if cluster == "unit" else cluster)
    treated_rows = np.isfinite(sample.row_cohort)
    if not treated_rows.any():
        raise PanelError("no treated units in the sample")
    rel = np.where(treated_rows, sample.years - np.where(treated_rows, sample.row_cohort, 0), 0)
    rel = rel.astype(int)
    if bin_ends:
        rel = np.clip(rel, lo, hi)
    observed = set(rel[treated_rows])
    terms = sorted(observed - {base})
    in_window = [lo <= r <= hi for r in terms]
    columns = [(treated_rows & (rel == r)).astype(float) for r in terms]
    names = [f"rel_{r}" for r in terms]
    regressors = np.column_stack(columns + [sample.column(c) for c in controls])
    fit, n_clusters = fe_ols(sample, sample.column(y), regressors, names + controls, cluster)
    k = len(terms)
    table = coefficient_table(names, fit.params[:k], fit.bse[:k], n_clusters - 1, alpha)
    table.insert(1, "rel_time", terms)
    table["in_window"] = in_window
    table["binned"] = [bin_ends and r in (lo, hi) for r in terms]
    vcov = np.asarray(fit.cov_params())[:k, :k]
    empty = [r for r in range(lo, hi + 1) if r != base and r not in observed]
    if empty:
        blank = pd.DataFrame({"term": [f"rel_{r}" for r in empty], "rel_time": empty,
                              "in_window": True, "binned": False})  # fmt: skip
        table = pd.concat([table, blank], ignore_index=True).sort_values("rel_time")
        table = table.reset_index(drop=True)
    leads = [i for i, r in enumerate(terms) if r < 0 and in_window[i]]
    pretrend = (
        WaldTest.of(fit.params[leads], vcov[np.ix_(leads, leads)], n_clusters - 1)
        if leads
        else None
    )
    return EventStudyResult(table, vcov, pretrend, y=y, base=base, sample=sample,
                            n_clusters=n_clusters)  # fmt: skip
