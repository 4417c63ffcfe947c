"""Callaway & Sant'Anna (2021) group-time average treatment effects and their aggregations.

For each cohort ``g`` and year ``t`` the effect ATT(g, t) is a two-period, two-group
difference-in-differences between the units first treated in ``g`` and a comparison group (never
treated, or not yet treated by ``t + anticipation``), from the base year ``g - 1 - anticipation``
(post-treatment cells) or ``t - 1`` (pre-treatment cells, the "varying" base of R's ``did``; with
``base_period="universal"`` every cell compares with ``g - 1 - anticipation``, whose own cell is
0, as R's ``did``: the event study HonestDiD needs).
Cohorts without an observed year before ``g - anticipation`` are dropped with their units, and
cells whose 2×2 cannot be estimated are left out, each named in a warning, as R's ``did``.
With covariates the 2×2 is estimated by Sant'Anna & Zhao's (2020) doubly robust estimator
(``"dr"``), inverse probability weighting (``"ipw"``) or outcome regression (``"reg"``),
covariates taken at the base year.
Standard errors come from the units' influence functions, as in R's ``did`` with
``bstrap=FALSE``; aggregations add the influence of the estimated group shares. Confidence
intervals are pointwise (normal).

References: Callaway & Sant'Anna (2021), J. Econometrics 225(2); Sant'Anna & Zhao (2020),
J. Econometrics 219(1).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from innostudy.policy._results import (
    Result,
    WaldTest,
    coefficient_plot,
    design_warnings,
)
from innostudy.policy.drdid import did_2x2, difference_of_means
from innostudy.policy.panel import Panel, PanelError
from innostudy.results import (
    Summary,
    axes,
    check_alpha,
    count,
    finish,
    format_value,
    intervals,
)

CONTROLS = {"never": "never treated", "notyet": "not yet treated"}
MIN_DRAWS = 99  # fewest multiplier-bootstrap draws accepted
METHODS = {
    "dr": "doubly robust",
    "ipw": "inverse probability weighting",
    "reg": "outcome regression",
}


def _columns(columns: list, n: int) -> np.ndarray:
    """The n-long ``columns`` side by side, column-major (each a contiguous copy)."""
    out = np.empty((n, len(columns)), order="F")
    for j, column in enumerate(columns):
        out[:, j] = column
    return out


def att_gt(panel: Panel, y: str, control: str = "never", method: str = "dr", covariates=(),
           alpha: float = 0.05, anticipation: int = 0, bootstrap: int | None = None,
           seed: int = 0, base_period: str = "varying") -> ATTgtResult:  # fmt: skip
    """Group-time average treatment effects ATT(g, t) of Callaway & Sant'Anna (2021).

    Parameters
    ----------
    panel : Panel
        Needs a cohort column. Units not observed in every year are left out of the estimation
        (as R's ``did`` does), named in a warning and counted in ``.summary()``.
    y : str
        Outcome column.
    control : {"never", "notyet"}
        Comparison group: never-treated units, or units not yet treated in year t.
    method : {"dr", "ipw", "reg"}
        Doubly robust, inverse probability weighting or outcome regression.
    covariates : sequence of str
        Covariates (their base-year values enter the propensity score and outcome models).
        Covariates collinear with the intercept and earlier ones are refused, named.
    anticipation : int
        Years before ``g`` in which units may already react (R's ``did`` ``anticipation``):
        post-treatment cells compare year t with the last year before ``g - anticipation``, and
        not-yet-treated comparisons use units with ``G > t + anticipation``.
    bootstrap : int, optional
        Draws of the multiplier bootstrap (R ``did``'s default with ``biters=bootstrap``,
        Rademacher weights seeded by ``seed``): standard errors from the draws and uniform
        (simultaneous) bands ``band_low, band_high`` in ``.tidy()`` for the ATT(g, t) and
        for each aggregation. None (default): analytic SEs, pointwise intervals.
    base_period : {"varying", "universal"}
        Base year of the pre-treatment cells, as R's ``did``: the year before (``"varying"``,
        the default), or ``g - 1 - anticipation`` for every cell (``"universal"``: the cell of
        that year is 0 with no standard error, and the dynamic aggregate is an event study
        relative to it, as :func:`~innostudy.policy.honest` requires).

    Conventions, as R's ``did``: a cohort with no observed year before ``g - anticipation``
    (e.g. treated in the sample's first year) is dropped with its units, named in a warning
    and in ``dropped_cohorts``; a cell whose 2×2 cannot be estimated (a cohort too small for
    the covariates, a singular propensity-score model) is left out, named in a warning and in
    ``failed``. Few treated units per cohort (< 5) give a warning with the numbers; the
    pre-trend test says "not testable (rank r of k)" when the covariance of the pre-treatment
    cells is singular (no generalised inverse).

    >>> from innostudy.policy import Panel, att_gt, simulate_panel
    >>> panel = Panel(simulate_panel(seed=1), "unit", "year", "cohort")
    >>> result = att_gt(panel, "y")
    >>> result.aggregate("simple").att                     # doctest: +SKIP
    """
    if control not in CONTROLS:
        raise ValueError(f"control must be one of {list(CONTROLS)}, got {control!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    if panel.cohort_column is None:
        raise PanelError("att_gt needs a panel with a cohort column")
    alpha = check_alpha(alpha)
    if bootstrap is not None and (int(bootstrap) != bootstrap or bootstrap < MIN_DRAWS):
        raise ValueError(f"bootstrap={bootstrap!r}: the multiplier bootstrap needs at least "
                         f"{MIN_DRAWS} draws (R's did uses 999): its standard errors come from "
                         "the draws' interquartile range, its bands from their tail")  # fmt: skip
    if base_period not in ("varying", "universal"):
        raise ValueError(f"base_period must be 'varying' or 'universal', got {base_period!r}")
    if int(anticipation) != anticipation or anticipation < 0:
        raise ValueError(f"anticipation must be a whole number >= 0, got {anticipation!r}")
    covariates = list(covariates)
    sample = panel.sample(y, covariates)
    _refuse_collinear_covariates(sample, covariates)
    periods = sample.periods
    Y = sample.wide(y)
    Xs = [sample.wide(c) for c in covariates]
    complete = ~np.isnan(Y).any(axis=1)
    incomplete = list(sample.unit_labels[~complete])
    if incomplete:
        warnings.warn(
            f"att_gt uses units observed in every year; left out {len(incomplete)} unit(s): "
            f"{incomplete[:10]}",
            stacklevel=2,
        )
    early = np.isfinite(sample.cohort) & (sample.cohort <= periods[0] + anticipation)
    dropped_cohorts = {}
    if (early & complete).any():
        g_early, sizes = np.unique(sample.cohort[early & complete], return_counts=True)
        dropped_cohorts = dict(zip(g_early.astype(int).tolist(), sizes.tolist(), strict=True))
        warnings.warn(
            f"att_gt: cohort(s) with no observed year before treatment (first year {periods[0]}"
            f", anticipation {anticipation}) dropped with their units, as R's did does: "
            f"{dropped_cohorts} (cohort: units)",
            stacklevel=2,
        )
    complete &= ~early
    G = sample.cohort[complete]
    Y, Xs = Y[complete], [X[complete] for X in Xs]
    n = len(G)
    groups = np.unique(G[np.isfinite(G)])
    if len(groups) == 0:
        raise PanelError("no treated units with complete data in the sample")
    never = ~np.isfinite(G)
    if control == "never" and not never.any():
        raise PanelError(
            f"control='never' needs never-treated units; every unit has a cohort "
            f"({panel.cohorts}); use control='notyet'"
        )
    found = design_warnings(None, {int(g): int((G == g).sum()) for g in groups})
    cells, effects, influence, skipped, failed = [], [], [], [], {}
    for g in groups:
        base_post = int(np.searchsorted(periods, g - anticipation)) - 1  # last year < g - k
        if base_period == "universal":
            t_idx = np.arange(len(periods))
            base_idx = np.full(len(periods), base_post)
        else:
            t_idx = np.arange(1, len(periods))
            base_idx = np.where(periods[t_idx] >= g, base_post, t_idx - 1)
        treated = G == g
        # not yet treated in the later of the two years compared (R's did: max(t, base))
        later = G[:, None] > np.maximum(periods[t_idx], periods[base_idx])[None, :] + anticipation
        comparison = never[:, None] | (later & ~treated[:, None] if control == "notyet" else False)
        comparison = np.broadcast_to(comparison, later.shape)
        has = comparison.any(axis=0)
        skipped += [(int(g), int(periods[j])) for j in t_idx[~has]]
        dy = Y[:, t_idx] - Y[:, base_idx]
        means = None
        if not Xs:  # no covariates: every method is a difference of means (one pass per cohort)
            means = difference_of_means(dy, treated, comparison, method)
        for j in np.flatnonzero(has):
            cell = (int(g), int(periods[t_idx[j]]))
            if means is not None and np.isfinite(means[0][j]):
                att, column = means[0][j], means[1][:, j]
            else:
                rows = treated | comparison[:, j]
                X = np.column_stack([np.ones(rows.sum())] + [Z[rows, base_idx[j]] for Z in Xs])
                try:
                    att, inf = did_2x2(dy[rows, j], treated[rows].astype(float), X, method)
                except (PanelError, np.linalg.LinAlgError) as err:
                    failed[cell] = str(err)
                    continue
                column = np.zeros(n)
                column[rows] = inf * n / rows.sum()
            cells.append((*cell, int(treated.sum()), int(comparison[:, j].sum())))
            effects.append(att)
            influence.append(column)
    if failed:
        warnings.warn(
            f"att_gt: {len(failed)} cell(s) (group, time) not estimated and left out: "
            + "; ".join(f"{cell}: {why}" for cell, why in failed.items()),
            stacklevel=2,
        )
    if not cells:
        raise PanelError("att_gt: no ATT(g, t) cell could be estimated (see the warnings)")
    return ATTgtResult(
        cells, np.array(effects), _columns(influence, n), G,
        y=y, control=control, method=method, covariates=covariates, alpha=alpha,
        note=sample.note(), dropped_units=incomplete, skipped=skipped, simulated=panel.simulated,
        anticipation=anticipation, dropped_cohorts=dropped_cohorts, failed=failed,
        warnings=found, bootstrap=bootstrap, seed=seed, base_period=base_period,
    )  # fmt: skip


def _refuse_collinear_covariates(sample, covariates: list[str]) -> None:
    """Refuse covariates that are combinations of the intercept and earlier covariates."""
    from innostudy.policy.regression import dependent_columns

    if not covariates:
        return
    X = np.column_stack([np.ones(sample.nobs)] + [sample.column(c) for c in covariates])
    X = X / np.sqrt((X**2).mean(axis=0))
    dependent = [covariates[j - 1] for j in dependent_columns(X) if j > 0]
    if dependent:
        raise PanelError(
            f"covariate(s) {dependent} are collinear with the intercept or earlier covariates "
            f"({covariates}); the 2×2 regressions cannot separate them: remove them"
        )


def _standard_errors(influence: np.ndarray) -> np.ndarray:
    """sqrt(mean(IF²)/n) per column; numerically zero values become NaN (as R's did)."""
    n = influence.shape[0]
    se = np.sqrt(np.einsum("ij,ij->j", influence, influence)) / n
    return np.where(se <= np.sqrt(np.finfo(float).eps) * 10, np.nan, se)


def _table(labels: dict, att, se, alpha):
    from scipy import stats

    crit = stats.norm.ppf(1 - alpha / 2)
    table = pd.DataFrame(labels)
    table["estimate"], table["std_error"] = att, se
    table["conf_low"], table["conf_high"] = att - crit * se, att + crit * se
    table["p_value"] = 2 * stats.norm.sf(np.abs(att / se))
    return table


def _band(table: pd.DataFrame, boot, alpha: float) -> pd.DataFrame:
    """``table`` with the uniform band ``estimate ± c·SE`` of the multiplier bootstrap."""
    if boot is None:
        return table
    crit = boot.critical(alpha)
    return table.assign(band_low=table["estimate"] - crit * table["std_error"],
                        band_high=table["estimate"] + crit * table["std_error"],
                        band_critical=crit)  # fmt: skip


def _ses(boot, alpha: float) -> str:
    if boot is None:
        return f"analytic (influence functions); normal {1 - alpha:.0%} intervals"
    return (
        f"{boot}; pointwise normal {1 - alpha:.0%} intervals and uniform bands "
        f"(critical value {boot.critical(alpha):.3f})"
    )


class ATTgtResult(Result):
    """Group-time effects from :func:`att_gt`; ``.aggregate(kind)`` summarises them."""

    def __init__(self, cells, att, influence, unit_cohort, *, y, control, method, covariates,
                 alpha, note, dropped_units, skipped, simulated, anticipation=0,
                 dropped_cohorts=None, failed=None, warnings=(), bootstrap=None,
                 seed=0, base_period="varying"):  # fmt: skip
        self.anticipation, self.dropped_cohorts = anticipation, dropped_cohorts or {}
        self.base_period = base_period
        self.failed, self.warnings = failed or {}, list(warnings)
        self.groups = np.array([c[0] for c in cells])
        self.times = np.array([c[1] for c in cells])
        self.att, self.influence, self.unit_cohort = att, influence, unit_cohort
        self.n = influence.shape[0]
        self.se = _standard_errors(influence)
        self.bootstrap, self.seed, self.boot = bootstrap, seed, None
        if bootstrap:
            from innostudy.policy.bootstrap import Multiplier

            self.boot = Multiplier(influence, draws=bootstrap, seed=seed)
            self.se = self.boot.se
        self.y, self.control, self.method, self.covariates = y, control, method, covariates
        self.alpha, self.note, self.simulated = alpha, note, simulated
        self.dropped_units, self.skipped = dropped_units, skipped
        self.table = _table(
            {
                "group": self.groups,
                "time": self.times,
                "rel_time": self.times - self.groups,
                "post": self.times >= self.groups,
                "n_treated": [c[2] for c in cells],
                "n_control": [c[3] for c in cells],
            },
            att, self.se, alpha,
        )  # fmt: skip

    @property
    def vcov(self) -> np.ndarray:
        """Covariance of the ATT(g, t) estimates, IF'IF / n²."""
        return self.influence.T @ self.influence / self.n**2

    @property
    def pretrend(self) -> WaldTest | None:
        """Joint chi² test that every pre-treatment ATT(g, t) is zero (None without such cells).

        Cells with a numerically zero SE are left out (as R's did); a singular covariance of
        the rest gives a "not testable (rank r of k)" result rather than a statistic.
        """
        pre = ~self.table["post"].to_numpy() & np.isfinite(self.se)
        if not pre.any():
            return None
        return WaldTest.of(self.att[pre], self.vcov[np.ix_(pre, pre)])

    def _headline(self) -> str:
        simple = self.aggregate("simple")
        return (f"{len(self.att)} ATT(g,t) cells, {len(np.unique(self.groups))} cohorts, "
                f"{count(self.n, 'units')}; simple ATT {simple.att:.3f} (se {simple.se:.3f})")  # fmt: skip

    def tidy(self, alpha: float | None = None) -> pd.DataFrame:
        """One row per cell ``ATT(g,t)``; normal intervals from the influence-function SEs."""
        alpha = self._alpha(alpha)
        labels = ["group", "time", "rel_time", "post", "n_treated", "n_control"]
        table = self.table[["estimate", "std_error", *labels]]
        terms = [f"ATT({g},{t})" for g, t in zip(self.groups, self.times, strict=True)]
        return self._label(_band(intervals(table.assign(term=terms), alpha), self.boot, alpha))

    def summary(self, alpha: float | None = None) -> Summary:
        alpha = self._alpha(alpha)
        header = [
            ("comparison", CONTROLS[self.control]), ("method", METHODS[self.method]),
            ("covariates", ", ".join(self.covariates or []) or "none"),
            ("SEs", _ses(self.boot, alpha)), ("sample", self.note), ("units used", self.n),
            ("anticipation", self.anticipation), ("base period", self.base_period),
            ("pre-treatment test (all pre-period ATT(g,t) = 0)", str(self.pretrend)),
        ]  # fmt: skip
        notes = [f"warning: {w}" for w in self.warnings]
        if self.dropped_cohorts:
            notes.append(
                f"cohorts dropped (no year before treatment; cohort: units): {self.dropped_cohorts}"
            )
        if self.failed:
            notes.append(f"cells not estimated: {self.failed}")
        if self.dropped_units:
            notes.append(f"left out (not observed every year): {len(self.dropped_units)} units")
        if self.skipped:
            notes.append(f"cells with no comparison units (not estimated): {self.skipped}")
        table = self.tidy(alpha).drop(columns="simulated", errors="ignore")
        return Summary(f"Callaway-Sant'Anna ATT(g,t) of {self.y}", header, [table], notes,
                       simulated=self.simulated)  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None, alpha: float | None = None):
        """ATT(g, t) over the years, one colour per cohort; pre-treatment cells hollow."""
        alpha = self._alpha(alpha)
        table = self.tidy(alpha)
        cohorts = np.unique(self.groups)
        ax = axes(ax, figsize=(7, 4))
        width = 0.3 / max(len(cohorts) - 1, 1)
        for i, g in enumerate(cohorts):
            part = table[table["group"] == g]
            x = part["time"] + (i - (len(cohorts) - 1) / 2) * width
            err = np.vstack([part.estimate - part.conf_low, part.conf_high - part.estimate])
            ax.errorbar(x, part.estimate, yerr=err, fmt="none", capsize=2, color=f"C{i}")
            for post, face in ((False, "white"), (True, f"C{i}")):
                rows = part["post"] == post
                ax.plot(x[rows], part.estimate[rows], "o", color=f"C{i}", mfc=face,
                        label=f"cohort {g}" if post else None)  # fmt: skip
        ax.axhline(0, color="grey", lw=0.8)
        ax.set(xlabel="year (hollow: before treatment)",
               ylabel=f"ATT(g,t) ({1 - alpha:.0%} interval)")  # fmt: skip
        ax.legend(fontsize=8, loc="best")
        return finish(ax, f"ATT(g,t): {self.y}" if title is None else title, self.simulated)

    def aggregate(self, kind: str = "simple") -> Aggregate:
        """Summarise the ATT(g, t): ``"simple"``, ``"group"``, ``"dynamic"`` or ``"calendar"``.

        * simple: average over all post-treatment cells, weighted by cohort size;
        * group: average effect per cohort, and their size-weighted mean;
        * dynamic: effect by years since treatment (event study), and the mean over e >= 0;
        * calendar: effect per year among the cohorts treated by then, and their mean.
        """
        kinds = {"simple", "group", "dynamic", "calendar"}
        if kind not in kinds:
            raise ValueError(f"kind must be one of {sorted(kinds)}, got {kind!r}")
        return Aggregate(self, kind)


class Aggregate(Result):
    """An aggregation of ATT(g, t): overall ``att`` and ``se``, and a tidy table by level."""

    def __init__(self, result: ATTgtResult, kind: str):
        self.result, self.kind, self.simulated = result, kind, result.simulated
        self.alpha = result.alpha
        g, t, att, inf = result.groups, result.times, result.att, result.influence
        cohort_share = {c: np.mean(result.unit_cohort == c) for c in np.unique(g)}
        pg = np.array([cohort_share[c] for c in g])
        post = g <= t

        def weighted(cells):
            keep = np.flatnonzero(cells)
            weights = pg[keep] / pg[keep].sum()
            wif = self._weight_influence(keep, pg, result.unit_cohort, g)
            return att[keep] @ weights, inf[:, keep] @ weights + wif @ att[keep]

        if kind == "simple":
            self.att, overall_if = weighted(post)
            levels, rows = {}, []
        else:
            if kind == "group":
                values = np.unique(g)
                parts = [((g == v) & post, False) for v in values]
            elif kind == "dynamic":
                values = np.unique(t - g)
                parts = [(t - g == e, True) for e in values]
            else:
                values = np.unique(t[t >= g.min()])
                parts = [((t == v) & post, True) for v in values]
            rows = []
            for cells, by_share in parts:
                if by_share:
                    rows.append(weighted(cells))
                else:
                    keep = np.flatnonzero(cells)
                    rows.append((att[keep].mean(), inf[:, keep].mean(axis=1)))
            level_att = np.array([r[0] for r in rows])
            level_if = np.column_stack([r[1] for r in rows])
            name = {"group": "group", "dynamic": "rel_time", "calendar": "time"}[kind]
            levels = {name: values}
            if kind == "group":
                shares = np.array([cohort_share[v] for v in values])
                weights = shares / shares.sum()
                wif = self._weight_influence(np.arange(len(values)), shares, result.unit_cohort,
                                             values)  # fmt: skip
                self.att = level_att @ weights
                overall_if = level_if @ weights + wif @ level_att
            else:
                use = values >= 0 if kind == "dynamic" else np.ones(len(values), bool)
                self.att = level_att[use].mean()
                overall_if = level_if[:, use].mean(axis=1)
            self.level_influence = level_if
        self.influence, self.boot = overall_if, None
        self.se = float(_standard_errors(overall_if[:, None])[0])
        if result.boot is not None:  # same draws (seed) as the cells
            from innostudy.policy.bootstrap import Multiplier

            self.se = float(Multiplier(overall_if[:, None], draws=result.bootstrap,
                                       seed=result.seed).se[0])  # fmt: skip
            if rows:
                self.boot = Multiplier(self.level_influence, draws=result.bootstrap,
                                       seed=result.seed)  # fmt: skip
        self.att = float(self.att)
        self.overall = _table({"term": ["overall"]}, np.array([self.att]), np.array([self.se]),
                              result.alpha)  # fmt: skip
        self.table = (
            _table(
                levels,
                np.array([r[0] for r in rows]),
                _standard_errors(self.level_influence) if self.boot is None else self.boot.se,
                result.alpha,
            )  # fmt: skip
            if rows
            else self.overall.copy()
        )

    @staticmethod
    def _weight_influence(keep, shares, unit_cohort, cell_group):
        """Influence of estimating the cohort shares that weight the cells in ``keep``."""
        pk = shares[keep]
        indicator = (unit_cohort[:, None] == cell_group[keep][None, :]).astype(float) - pk
        return indicator / pk.sum() - np.outer(indicator.sum(axis=1), pk / pk.sum() ** 2)

    def _headline(self) -> str:
        return f"{self.kind} ATT {self.att:.3f} (se {self.se:.3f}) of {self.result.y}"

    def tidy(self, alpha: float | None = None) -> pd.DataFrame:
        """The overall row first, then one row per level (cohort, relative year or year)."""
        alpha = self._alpha(alpha)
        overall = self.overall[["term", "estimate", "std_error"]]
        if self.kind == "simple":
            return self._label(intervals(overall, alpha))
        name = self.table.columns[0]
        level = self.table[[name, "estimate", "std_error"]].rename(columns={name: "level"})
        table = pd.concat([overall.assign(level=np.nan), level.assign(term=name)],
                          ignore_index=True)  # fmt: skip
        table = intervals(table, alpha)
        if self.boot is not None:  # uniform band over the levels; none for the overall row
            levels = _band(table.iloc[1:], self.boot, alpha)
            table = pd.concat([table.iloc[:1], levels], ignore_index=True)
        return self._label(table)

    def summary(self, alpha: float | None = None) -> Summary:
        alpha = self._alpha(alpha)
        r = self.result
        header = [
            ("comparison", CONTROLS[r.control]), ("method", METHODS[r.method]),
            ("SEs", _ses(r.boot, alpha)),
            ("overall ATT", f"{format_value(self.att)} (SE {format_value(self.se)})"),
        ]  # fmt: skip
        notes = {"dynamic": ["overall: the mean of the effects at e >= 0 years since treatment"],
                 "calendar": ["overall: the mean of the yearly effects"],
                 "group": ["overall: the cohort-size-weighted mean of the cohort effects"]}  # fmt: skip
        table = self.tidy(alpha).drop(columns="simulated", errors="ignore")
        return Summary(f"Aggregated ATT ({self.kind}) of {r.y}", header, [table],
                       notes.get(self.kind, []), simulated=self.simulated)  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None, alpha: float | None = None):
        """Estimates with confidence intervals by level; the overall ATT as a dashed line."""
        alpha = self._alpha(alpha)
        labels = {"group": "cohort", "dynamic": "years since treatment", "calendar": "year",
                  "simple": ""}  # fmt: skip
        table = self.tidy(alpha)
        table = table.iloc[1:] if self.kind != "simple" else table.assign(level=0)
        title = (f"ATT by {labels[self.kind] or 'all cells'}: {self.result.y}"
                 if title is None else title)  # fmt: skip
        ax = coefficient_plot(table, "level", ax, xlabel=labels[self.kind], title=title,
                              simulated=self.simulated)  # fmt: skip
        overall = {"simple": "overall", "group": "cohort-size-weighted mean",
                   "dynamic": "mean over e ≥ 0", "calendar": "mean over years"}[self.kind]  # fmt: skip
        label = f"{overall}: {self.att:.3f}"
        if self.kind == "dynamic":  # the mean is over e >= 0: drawn over those years only
            ax.hlines(self.att, -0.5, table["level"].max() + 0.5, color="C1", ls="--", lw=1,
                      label=label)  # fmt: skip
        else:
            ax.axhline(self.att, color="C1", ls="--", lw=1, label=label)
        ax.legend(loc="best", fontsize=8)
        return ax
