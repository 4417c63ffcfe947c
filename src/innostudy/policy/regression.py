"""Two-way fixed-effects regressions: the static TWFE estimate and the event study.

Both are least squares with unit and year effects absorbed: the regressors and the outcome are
projected once (:mod:`innostudy.policy.fe`, exact for unbalanced panels too, no dummy design),
then small normal equations and cluster scores summed per cluster. The year effects still count
as estimated parameters in K, as in a regression on year dummies.
Standard errors are cluster-robust (CRV1),

    V = c · (X'X)^-1 (Σ_g X_g' u_g u_g' X_g) (X'X)^-1,   c = G/(G-1) · (N-1)/(N-K),

G clusters, N rows, and K counted by the small-sample convention :class:`SSC`. The default is
that of Stata's ``xtreg, fe vce(cluster)``, ``reghdfe`` and fixest's default ``ssc()``
(``adj = TRUE, fixef.K = "nested", cluster.adj = TRUE``): K is the slope coefficients and year
dummies plus one for the unit effects, which are nested in the clusters (Stata's constant;
fixest counts a fixed effect fully nested in the clusters as one). Tests and intervals use
Student's t with G-1 degrees of freedom. Every convention is checked against pyfixest's ``feols``
with the matching ``ssc`` (tests/test_policy_ssc.py).

linearmodels' ``PanelOLS`` (``debiased=True, group_debias=True``) does not count the absorbed
unit effects at all (our ``fixef_k="none"`` without year effects); its standard errors are
smaller by sqrt((N-K-1)/(N-K)), a difference pinned in the tests.

Few clusters (< 30, Cameron & Miller 2015) or cohorts with few treated units give a warning
with the numbers, repeated in the summaries. One cluster is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from innostudy.policy._results import (
    Result,
    WaldTest,
    coefficient_plot,
    coefficient_table,
    design_warnings,
)
from innostudy.policy.fe import Projected, TwoWay
from innostudy.policy.panel import Panel, PanelError, Sample, _listing
from innostudy.results import Summary, axes, check_alpha, count, finish, intervals

FIXEF_K = ("nested", "full", "none")


@dataclass(frozen=True)
class SSC:
    """Small-sample correction of the cluster-robust covariance, as fixest's ``ssc()``.

    ``adj``: multiply by (N-1)/(N-K). ``fixef_k``: how the absorbed unit effects count in K:
    ``"nested"`` (default) one, since they are nested in the clusters (Stata ``xtreg, fe``,
    fixest's default); ``"full"`` one per unit (Stata ``areg``, fixest ``fixef.K = "full"``);
    ``"none"`` not at all, nor the year effects (fixest ``fixef.K = "none"``). ``cluster_adj``:
    multiply by G/(G-1).

    >>> round(SSC().factor(n=100, k=5, n_units=20, n_fe_free=4, n_clusters=20), 6)  # 20/19·99/94
    1.108623
    """

    adj: bool = True
    fixef_k: str = "nested"
    cluster_adj: bool = True

    def __post_init__(self):
        if self.fixef_k not in FIXEF_K:
            raise ValueError(f"fixef_k must be one of {FIXEF_K}, got {self.fixef_k!r}")

    def k(self, k: int, n_units: int, n_fe_free: int) -> int:
        """K for (N-1)/(N-K): ``k`` regressors (slopes and year dummies), ``n_fe_free`` of them
        year dummies, ``n_units`` absorbed unit effects."""
        return {"nested": k + 1, "full": k + n_units, "none": k - n_fe_free}[self.fixef_k]

    def factor(self, n: int, k: int, n_units: int, n_fe_free: int, n_clusters: int) -> float:
        c = (n_clusters / (n_clusters - 1)) if self.cluster_adj else 1.0
        if self.adj:
            c *= (n - 1) / (n - self.k(k, n_units, n_fe_free))
        return c

    def __str__(self) -> str:
        parts = ["G/(G-1)"] if self.cluster_adj else []
        if self.adj:
            parts.append(f"(N-1)/(N-K), K with unit effects {self.fixef_k}")
        return "·".join(parts) or "none"


def _ssc(ssc: SSC | dict | None) -> SSC:
    """An :class:`SSC` from None (the default), an SSC, or a dict of its fields."""
    return SSC(**ssc) if isinstance(ssc, dict) else ssc or SSC()


def year_labels(years: np.ndarray) -> list[str]:
    """Names of the year effects: every year but the first."""
    return [f"year_{y}" for y in np.unique(years)[1:]]


def cluster_codes(sample: Sample, cluster: str) -> np.ndarray:
    """Integer cluster codes; a cluster column must nest the units, and there must be two."""
    if cluster == "unit":
        codes = sample.unit_codes
    else:
        per_unit = sample.rows.groupby(sample.panel.unit, sort=False)[cluster].nunique()
        split = per_unit.index[per_unit > 1]
        if len(split):
            raise PanelError(
                f"cluster column {cluster!r} must not vary within a unit; it does for "
                + _listing(map(repr, split))
            )
        codes = pd.factorize(sample.rows[cluster])[0]
    if codes.max() < 1:
        raise PanelError(
            f"one cluster ({cluster!r}): cluster-robust standard errors need at least two "
            "clusters (and about 30 to be reliable); cluster by a finer column"
        )
    return codes


def dependent_columns(X: np.ndarray, tol: float = 1e-10) -> list[int]:
    """Columns of ``X`` that are (numerically) combinations of the columns before them."""
    return dependent_in_gram(X.T @ X, tol)


def dependent_in_gram(gram: np.ndarray, tol: float = 1e-10) -> list[int]:
    """:func:`dependent_columns` from the columns' Gram matrix ``X'X``."""
    kept, dependent = [], []
    for j in range(gram.shape[0]):
        explained = 0.0
        if kept:
            g = gram[np.ix_(kept, [j])]
            explained = (g.T @ np.linalg.solve(gram[np.ix_(kept, kept)], g)).item()
        if gram[j, j] - explained <= tol * max(gram[j, j], 1e-300):
            dependent.append(j)
        else:
            kept.append(j)
    return dependent


def within_design(sample: Sample, regressors: np.ndarray, names: list[str],
                  time_effects: bool = True) -> tuple[Projected, list[str], int]:  # fmt: skip
    """The regressors with unit (and year) effects projected out, refused when not of full rank.

    Shared by :func:`twfe`, :func:`event_study` and :func:`placebo`, so that all refuse the
    same designs with the same message. Year effects are checked first (on the Gram matrix
    of [year dummies, regressors] within units, never formed as an N × years matrix), so the
    regressor that adds nothing (a control constant within units, a treatment that only
    varies by year) is the one named. Returns the projected design, the names of the
    regressors and year effects, and the number of year effects.
    """
    fe = TwoWay(sample.unit_codes, sample.years if time_effects else None)
    labels = year_labels(sample.years) if time_effects else []
    regressors = np.asarray(regressors, float).reshape(sample.nobs, -1)
    within = fe.within(regressors)
    gram = fe.gram(within, within=True)
    all_names = labels + list(names)
    collinear = [all_names[j] for j in dependent_in_gram(gram)]
    if collinear:
        hint = ""
        if "treated" in collinear:
            hint = (
                " (the treatment varies only by year: e.g. every unit treated in the same year "
                "and no never-treated units)"
            )
        raise PanelError(
            f"regressor(s) {collinear} are collinear with the fixed effects or earlier regressors"
            f"{hint} (e.g. a control constant within units, or event-time terms with no "
            "untreated comparison); remove them or change the window"
        )
    return Projected(fe, within, within=True), list(names) + labels, len(labels)


@dataclass
class Fit:
    """Coefficients and clustered covariance of a within regression, with its conventions."""

    params: np.ndarray
    vcov: np.ndarray
    n_clusters: int
    k: int  # K used in (N-1)/(N-K)
    ssc: SSC
    r2: float = np.nan  # 1 - RSS / TSS around the mean, fixed effects included (reghdfe's R²)
    r2_within: float = np.nan  # with the fixed effects projected out (xtreg, fe's within R²)
    wild: object = None  # a bootstrap.WildBootstrap when inference="wild"

    @property
    def bse(self) -> np.ndarray:
        return np.sqrt(np.diag(self.vcov))


def fe_ols(sample: Sample, y: np.ndarray, regressors: np.ndarray, names: list[str],
           cluster: str, time_effects: bool = True, ssc: SSC | dict | None = None,
           wild: dict | None = None) -> Fit:  # fmt: skip
    """Fit the within regression with CRV1 standard errors under the convention ``ssc``;
    ``wild`` (draws, weights, seed) adds a wild cluster bootstrap on the same projected design.

    The year effects are projected out (Frisch-Waugh-Lovell), so ``params`` and ``vcov`` hold
    the regressors only; the year effects still count in K as in a dummy regression.
    """
    ssc = _ssc(ssc)
    design, _, n_year = within_design(sample, regressors, names, time_effects)
    codes = cluster_codes(sample, cluster)
    n_clusters = int(codes.max()) + 1
    params, resid = design.fit(y)
    k = design.X.shape[1] + n_year
    factor = ssc.factor(sample.nobs, k, sample.n_units, n_year, n_clusters)
    vcov = design.cluster_vcov(resid, codes, factor)
    boot = None
    if wild is not None:
        from innostudy.policy.bootstrap import WildBootstrap

        fe = design.fe
        years = np.eye(fe.n_years)[fe.years][:, 1:] if fe.years is not None else None
        absorbed = fe.within(years) if years is not None and years.size else None
        boot = WildBootstrap(design.X, fe.demean(y), codes, absorbed=absorbed, **wild)
    rss, yd = float(resid @ resid), design.fe.demean(y)
    r2 = 1 - rss / float(((y - y.mean()) ** 2).sum())
    return Fit(params, vcov, n_clusters, ssc.k(k, sample.n_units, n_year), ssc, r2,
               1 - rss / float(yd @ yd), boot)  # fmt: skip


def _wild(inference: str, draws: int, weights: str, seed: int) -> dict | None:
    """The bootstrap settings for ``inference="wild"``, None for ``"analytic"``."""
    if inference not in ("analytic", "wild"):
        raise ValueError(f"inference must be 'analytic' or 'wild', got {inference!r}")
    return dict(draws=draws, weights=weights, seed=seed) if inference == "wild" else None


def _inference(wild, alpha: float) -> str:
    text = f"t with G-1 df; {1 - alpha:.0%} intervals"
    return text if wild is None else f"{wild}; other rows {text}"


class TWFEResult(Result):
    """Result of :func:`twfe`: coefficients with cluster-robust standard errors."""

    def __init__(self, table, fit: Fit, *, y, sample, time_effects, warnings, controls=(),
                 other_policies=None, alpha=0.05):  # fmt: skip
        k, self.alpha = len(table), alpha
        self.table, self.vcov, self.y = table, fit.vcov[:k, :k], y
        self.r2, self.r2_within = fit.r2, fit.r2_within
        self.outcome_mean = float(sample.column(y).mean())
        self.controls, self.other_policies = list(controls), dict(other_policies or {})
        self.nobs, self.n_units, self.n_clusters = sample.nobs, sample.n_units, fit.n_clusters
        self.k, self.ssc, self.warnings = fit.k, fit.ssc, warnings
        self.note, self.time_effects = sample.note(), time_effects
        self.simulated, self.wild, self.terms = sample.panel.simulated, fit.wild, list(table.term)

    @property
    def params(self) -> pd.Series:
        return self.table.set_index("term")["estimate"]

    @property
    def bse(self) -> pd.Series:
        return self.table.set_index("term")["std_error"]

    def _headline(self) -> str:
        first = self.table.iloc[0]
        return (f"{first.term} {first.estimate:.3f} (se {first.std_error:.3f}), "
                f"{count(self.nobs, 'obs')}, {count(self.n_clusters, 'clusters')}")  # fmt: skip

    def tidy(self, alpha: float | None = None) -> pd.DataFrame:
        """Coefficients with t tests and intervals on G - 1 degrees of freedom at level 1 - alpha."""
        alpha = self._alpha(alpha)
        table = intervals(self.table[["term", "estimate", "std_error"]], alpha, self.n_clusters - 1)
        if self.wild is not None:  # bootstrap p-values and intervals (test inversion)
            table = self.wild.columns(table, self.terms, alpha)
        return self._label(table)

    def summary(self, alpha: float | None = None) -> Summary:
        alpha = self._alpha(alpha)
        effects = "unit + year" if self.time_effects else "unit"
        return Summary(
            f"TWFE regression of {self.y} ({effects} fixed effects)",
            [("sample", self.note), ("observations", self.nobs), ("units", self.n_units),
             ("clusters", self.n_clusters), ("K", self.k), ("correction", str(self.ssc)),
             ("inference", _inference(self.wild, alpha)), *_competing(self.other_policies)],
            [self.tidy(alpha).drop(columns="simulated", errors="ignore")],
            [f"warning: {w}" for w in self.warnings],
            simulated=self.simulated,
        )  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None, alpha: float | None = None, terms=None):
        """Coefficients with confidence intervals, one row per term of ``terms`` (by default the
        treatment effect alone, when there is one: controls are on other scales)."""
        alpha = self._alpha(alpha)
        table = self.tidy(alpha)
        if terms is None:
            terms = ["treated"] if "treated" in set(table["term"]) else list(table["term"])
        table = table[table["term"].isin(terms)].reset_index(drop=True)
        ax = axes(ax, figsize=(6, 0.6 * len(table) + 1.5))
        pos = np.arange(len(table))
        err = np.vstack([table.estimate - table.conf_low, table.conf_high - table.estimate])
        ax.errorbar(table.estimate, pos, xerr=err, fmt="o", capsize=3)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set(yticks=pos, yticklabels=table.term, xlabel=f"estimate ({1 - alpha:.0%} interval)")
        return finish(ax, f"TWFE: {self.y}" if title is None else title, self.simulated)


def twfe(panel: Panel, y: str, controls=(), cluster: str = "unit", time_effects: bool = True,
         alpha: float = 0.05, ssc: SSC | dict | None = None, other_policies=None,
         inference: str = "analytic", draws: int = 9999, weights: str = "rademacher",
         seed: int = 0) -> TWFEResult:  # fmt: skip
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
    ssc : SSC or dict, optional
        Small-sample correction; default ``SSC()``, Stata's ``xtreg, fe vce(cluster)`` and
        fixest's default. ``ssc=dict(fixef_k="full")`` is Stata's ``areg``.
    other_policies : optional
        Competing programmes, one DiD term each (``other_<programme>``): see
        :func:`other_policy_cohorts`. ``.other_policies`` and the summary say which.
    inference : {"analytic", "wild"}
        ``"wild"``: p-values and intervals of every coefficient from the restricted wild
        cluster bootstrap (:mod:`innostudy.policy.bootstrap`) with ``draws`` draws of
        ``weights`` ("rademacher" or "webb") seeded by ``seed``; standard errors stay CRV1.

    When the panel has no cohort column the regression has no treatment term: a plain
    fixed-effects regression of ``y`` on ``controls``.

    >>> from innostudy.policy import Panel, simulate_panel, twfe
    >>> panel = Panel(simulate_panel(seed=1), "unit", "year", "cohort")
    >>> fit = twfe(panel, "y", controls=["x"])
    >>> fit.tidy()[["term", "estimate"]].round(1)  # doctest: +SKIP
    """
    alpha = check_alpha(alpha)
    controls = list(controls)
    sample = panel.sample(y, controls, cluster=None if cluster == "unit" else cluster)
    has_treatment = panel.cohort_column is not None
    if has_treatment and not sample.treated.any():
        raise PanelError("no treated unit-years in the sample: every cohort is 0 or missing")
    others = other_policy_cohorts(panel, other_policies)
    other_columns, other_names = _other_terms(sample, others)
    columns = ([sample.treated] if has_treatment else []) + other_columns
    columns += [sample.column(c) for c in controls]
    names = (["treated"] if has_treatment else []) + other_names + controls
    if not names:
        raise PanelError("nothing to estimate: the panel has no cohort and no controls were given")
    fit = fe_ols(sample, sample.column(y), np.column_stack(columns), names, cluster,
                 time_effects, ssc, _wild(inference, draws, weights, seed))  # fmt: skip
    found = design_warnings(fit.n_clusters, _cohorts(sample) if has_treatment else {})
    k = len(names)
    table = coefficient_table(names, fit.params[:k], fit.bse[:k], fit.n_clusters - 1, alpha)
    return TWFEResult(table, fit, y=y, sample=sample, time_effects=time_effects, warnings=found,
                      controls=controls, other_policies=_described(others), alpha=alpha)  # fmt: skip


def _cohorts(sample: Sample) -> dict[int, int]:
    """Treated units per cohort in the estimation sample."""
    g = sample.cohort[np.isfinite(sample.cohort)]
    values, counts = np.unique(g, return_counts=True)
    return dict(zip(values.astype(int).tolist(), counts.tolist(), strict=True))


class EventStudyResult(Result):
    """Result of :func:`event_study`: dynamic effects by year relative to treatment."""

    def __init__(self, table, vcov, pretrend, *, y, base, sample, fit: Fit, warnings,
                 controls=(), other_policies=None, alpha=0.05):  # fmt: skip
        self.table, self.vcov, self.pretrend, self.y, self.base = table, vcov, pretrend, y, base
        self.alpha = alpha
        self.r2, self.outcome_mean = fit.r2, float(sample.column(y).mean())
        self.controls, self.other_policies = list(controls), dict(other_policies or {})
        self.time_effects = True
        self.note, self.n_clusters, self.ssc = sample.note(), fit.n_clusters, fit.ssc
        self.warnings, self.simulated, self.nobs = warnings, sample.panel.simulated, sample.nobs
        self.n_units = sample.n_units
        self.wild = fit.wild  # design order: the estimated terms (blank rows have no estimate)
        self.terms = list(table.term[table.estimate.notna()])

    def _headline(self) -> str:
        rel = self.table.loc[self.table["in_window"], "rel_time"]
        return (f"{len(rel)} relative years ({rel.min()} to {rel.max()}, base {self.base}), "
                f"pre-trend {self.pretrend or 'none'}, {count(self.nobs, 'obs')}")  # fmt: skip

    def tidy(self, alpha: float | None = None) -> pd.DataFrame:
        """One row per relative year; t tests and intervals on G - 1 degrees of freedom."""
        alpha = self._alpha(alpha)
        columns = ["term", "estimate", "std_error", "rel_time", "in_window", "binned"]
        table = intervals(self.table[columns], alpha, self.n_clusters - 1)
        if self.wild is not None:  # bootstrap p-values and intervals (test inversion)
            table = self.wild.columns(table, self.terms, alpha)
        return self._label(table)

    def summary(self, alpha: float | None = None) -> Summary:
        alpha = self._alpha(alpha)
        test = str(self.pretrend) if self.pretrend else "no pre-treatment terms"
        return Summary(
            f"Event study of {self.y} (base period {self.base})",
            [("sample", self.note), ("observations", self.nobs), ("clusters", self.n_clusters),
             ("correction", str(self.ssc)), ("inference", _inference(self.wild, alpha)),
             ("joint pre-trend test (all leads = 0)", test), *_competing(self.other_policies)],
            [self.tidy(alpha).drop(columns="simulated", errors="ignore")],
            [f"warning: {w}" for w in self.warnings] + self._empty_years(),
            simulated=self.simulated,
        )  # fmt: skip

    def _empty_years(self) -> list[str]:
        """A note on relative years of the window that no treated unit reaches."""
        empty = self.table.loc[self.table["in_window"] & self.table["estimate"].isna(), "rel_time"]
        if empty.empty:
            return []
        return [f"relative year(s) {', '.join(map(str, empty))} of the window: no treated unit "
                "observed there, left empty"]  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None, alpha: float | None = None):
        """Coefficients and confidence intervals by relative year; the base period drawn at 0."""
        alpha = self._alpha(alpha)
        table = self.tidy(alpha)
        shown = table[table["in_window"]]
        title = f"Event study: {self.y}" if title is None else title
        ax = coefficient_plot(shown, "rel_time", ax, xlabel="years relative to treatment",
                              title=title, simulated=self.simulated)  # fmt: skip
        ax.plot([self.base], [0.0], "o", mfc="white", color="C0")
        ax.axvline(self.base + 0.5, color="grey", ls=":", lw=0.8)
        if self.pretrend:
            ax.text(0.02, 0.96, f"pre-trend {self.pretrend}", transform=ax.transAxes,
                    va="top", fontsize=8)  # fmt: skip
        return ax


def event_study(panel: Panel, y: str, window: tuple[int, int] = (-4, 4), base: int = -1,
                bin_ends: bool = True, controls=(), cluster: str = "unit",
                alpha: float = 0.05, ssc: SSC | dict | None = None, other_policies=None,
                inference: str = "analytic", draws: int = 9999, weights: str = "rademacher",
                seed: int = 0) -> EventStudyResult:  # fmt: skip
    """Event-study regression: unit and year effects plus one term per year relative to treatment.

    ``window`` bounds the relative years reported and plotted; ``base`` is the omitted reference
    year. With ``bin_ends=True`` the end terms pool every year beyond the window; with False each
    year beyond it gets its own term (kept in ``.tidy()`` with ``in_window`` False). Relative
    years in the window with no observations appear with a missing estimate. ``.pretrend`` is the
    joint Wald test (F with G-1 denominator df) that every lead in the window is zero; when
    their covariance is singular (its rank is at most G - 1: e.g. more leads than clusters - 1)
    it says "not testable (rank r of k)" instead of a statistic. ``ssc``, ``other_policies``
    (one DiD term per competing programme) and ``inference`` (wild cluster bootstrap of each
    relative-year coefficient) as in :func:`twfe`.

    >>> from innostudy.policy import Panel, event_study, simulate_panel
    >>> panel = Panel(simulate_panel(seed=1), "unit", "year", "cohort")
    >>> es = event_study(panel, "y", window=(-3, 3))
    >>> es.pretrend.pvalue > 0.01                       # doctest: +SKIP
    True
    """
    alpha = check_alpha(alpha)
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
    names = [f"rel_{r}" for r in terms]
    others = other_policy_cohorts(panel, other_policies)
    other_columns, other_names = _other_terms(sample, others)
    regressors = np.empty((sample.nobs, len(terms) + len(controls) + len(other_names)))
    regressors[:, : len(terms)] = (rel[:, None] == np.array(terms)[None, :]) & treated_rows[:, None]
    for j, column in enumerate([sample.column(c) for c in controls] + other_columns):
        regressors[:, len(terms) + j] = column
    fit = fe_ols(sample, sample.column(y), regressors, names + controls + other_names, cluster,
                 True, ssc, _wild(inference, draws, weights, seed))  # fmt: skip
    found = design_warnings(fit.n_clusters, _cohorts(sample))
    k = len(terms)
    table = coefficient_table(names, fit.params[:k], fit.bse[:k], fit.n_clusters - 1, alpha)
    table.insert(1, "rel_time", terms)
    table["in_window"] = in_window
    table["binned"] = [bin_ends and r in (lo, hi) for r in terms]
    vcov = fit.vcov[:k, :k]
    empty = [r for r in range(lo, hi + 1) if r != base and r not in observed]
    if empty:
        blank = pd.DataFrame({"term": [f"rel_{r}" for r in empty], "rel_time": empty,
                              "in_window": True, "binned": False})  # fmt: skip
        table = pd.concat([table, blank], ignore_index=True).sort_values("rel_time")
        table = table.reset_index(drop=True)
    leads = [i for i, r in enumerate(terms) if r < 0 and in_window[i]]
    pretrend = (
        WaldTest.of(
            fit.params[leads],
            vcov[np.ix_(leads, leads)],
            fit.n_clusters - 1,
            max_rank=fit.n_clusters - 1,
        )
        if leads
        else None
    )
    return EventStudyResult(table, vcov, pretrend, y=y, base=base, sample=sample, fit=fit,
                            warnings=found, controls=controls,
                            other_policies=_described(others), alpha=alpha)  # fmt: skip


def other_policy_cohorts(panel: Panel, other_policies) -> dict[str, tuple[pd.Series, str]]:
    """Each competing programme's first year per unit, and where it came from.

    ``other_policies`` is one of: a programme name or list of names of ``data/designations.csv``
    (``"hub_city"``; the panel's units must be entity ids); a pilot list in the format of
    :func:`~innostudy.policy.designations.read_designations` (path or DataFrame with columns
    city, programme, year, ...), one term per programme in it; or a dict ``{programme: {unit:
    first year}}`` with the panel's own unit labels.

    >>> from innostudy.policy import Panel, simulate_panel
    >>> panel = Panel(simulate_panel(n_units=20, cohorts={2018: 5}, seed=1), "unit", "year", "cohort")
    >>> cohorts = other_policy_cohorts(panel, {"smart": {"sim01": 2016, "sim02": 2019}})
    >>> cohorts["smart"][0].to_dict(), cohorts["smart"][1]
    ({'sim01': 2016, 'sim02': 2019}, 'given as a mapping (2 units)')
    """
    if other_policies is None:
        return {}
    if isinstance(other_policies, dict):
        return {str(name): (pd.Series(units, dtype=float).astype(int),
                            f"given as a mapping ({len(units)} units)")
                for name, units in other_policies.items()}  # fmt: skip
    import innostudy
    from innostudy.policy.designations import PROGRAMMES, curated_cohorts, read_designations

    names = [other_policies] if isinstance(other_policies, str) else other_policies
    if isinstance(names, list | tuple) and all(isinstance(n, str) for n in names):
        if all(n in PROGRAMMES for n in names):
            out = {}
            for name in names:
                table, _ = curated_cohorts(innostudy.load_dataset(), name)
                out[name] = (table.set_index("entity_id")["cohort"],
                             f"data/designations.csv ({len(table)} dated members)")  # fmt: skip
            return out
        if isinstance(other_policies, str) and not other_policies.endswith(
            (".csv", ".xlsx", ".xls", ".parquet", ".dta")
        ):
            raise PanelError(f"other_policies {other_policies!r} is not a programme of "
                             f"data/designations.csv ({', '.join(PROGRAMMES)}) nor a file")  # fmt: skip
    pilots = read_designations(other_policies, innostudy.load_dataset())
    return {str(name): (group.set_index("entity_id")["cohort"],
                        f"{pilots.name} ({len(group)} cities)")
            for name, group in pilots.table.groupby("programme")}  # fmt: skip


def _other_terms(sample: Sample, others: dict) -> tuple[list[np.ndarray], list[str]]:
    """One DiD column per competing programme: the unit's row year at or after its first year."""
    columns, names = [], []
    for name, (cohorts, _) in others.items():
        first = cohorts.reindex(sample.unit_labels).to_numpy(float)[sample.unit_codes]
        column = (sample.years >= np.nan_to_num(first, nan=np.inf)).astype(float)
        if not column.any():
            raise PanelError(f"other policy {name!r}: none of its units is treated in the "
                             "sample (are the panel's units entity ids?)")  # fmt: skip
        columns.append(column)
        names.append(f"other_{name}")
    return columns, names


def _described(others: dict) -> dict[str, str]:
    return {f"other_{name}": source for name, (_, source) in others.items()}


def _competing(others: dict) -> list[tuple[str, str]]:
    if not others:
        return [("other policies", "none controlled for")]
    return [("other policies controlled for (one DiD term each)",
             "; ".join(f"{t}: {s}" for t, s in others.items()))]  # fmt: skip
