"""PSM-DiD: match treated cities to similar controls on a propensity score, then run TWFE.

The field's robustness check for selection on observables (e.g. the low-carbon and Broadband
China pilot papers): a logit of "ever designated" on covariates measured before treatment, a
match as Stata's ``psmatch2`` makes it, and the TWFE regression on the matched cities with the
matching weights.

Matching (``psmatch2`` conventions, Leuven & Sianesi 2003):

* ``"nearest"``: each treated unit takes its ``ratio`` nearest controls by the score (weight
  1/ratio each), with or without ``replace``; without replacement the treated are taken in the
  order of the panel's sorted units, as ``psmatch2`` takes them in the data's order. A
  ``caliper`` drops neighbours further away than it; a treated unit left with none is off
  support and dropped.
* ``"radius"``: every control within ``caliper`` of a treated unit, each with weight 1/n.
* ``"kernel"``: every control, weighted by the Epanechnikov kernel of the score distance with
  ``bandwidth`` (psmatch2's default kernel and bandwidth 0.06), normalised per treated unit.

A control's weight is the sum of its weights over the treated units it serves; treated units
on support weigh 1. The TWFE regression on the matched units uses these weights on every row
(weighted within transformation, weighted CRV1 by unit, Stata's ``xtreg, fe`` small-sample
factor with N the matched rows).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from innostudy.policy._results import Result
from innostudy.policy.fe import Projected, TwoWay
from innostudy.policy.panel import Panel, PanelError
from innostudy.policy.regression import SSC, within_design
from innostudy.results import Summary, axes, count, finish, intervals

METHODS = ("nearest", "radius", "kernel")
BANDWIDTH = 0.06  # psmatch2's default kernel bandwidth


def propensity(frame: pd.DataFrame, treated: np.ndarray, covariates: list[str]) -> np.ndarray:
    """Logit propensity scores of ``treated`` on the ``covariates`` (and a constant)."""
    import statsmodels.api as sm

    X = sm.add_constant(frame[covariates].to_numpy(float), has_constant="add")
    try:
        fit = sm.Logit(treated.astype(float), X).fit(disp=0)
    except np.linalg.LinAlgError as error:
        raise PanelError(
            f"the propensity-score logit failed ({error}); check {covariates}"
        ) from None
    return np.asarray(fit.predict(X), float)


def match_weights(score: np.ndarray, treated: np.ndarray, *, method: str = "nearest",
                  caliper: float | None = None, ratio: int = 1, replace: bool = True,
                  bandwidth: float = BANDWIDTH) -> np.ndarray:  # fmt: skip
    """Matching weight of each unit (0: unused) given the scores, as psmatch2 computes them.

    >>> score = np.array([0.30, 0.70, 0.28, 0.35, 0.69, 0.10])
    >>> treated = np.array([True, True, False, False, False, False])
    >>> match_weights(score, treated).tolist()          # 0.30 -> 0.28, 0.70 -> 0.69
    [1.0, 1.0, 1.0, 0.0, 1.0, 0.0]
    >>> match_weights(score, treated, method="radius", caliper=0.06).tolist()
    [1.0, 1.0, 0.5, 0.5, 1.0, 0.0]
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "radius" and caliper is None:
        raise ValueError("radius matching needs a caliper (the radius)")
    if int(ratio) != ratio or ratio < 1:
        raise ValueError(f"ratio must be a whole number >= 1, got {ratio!r}")
    weights = np.zeros(len(score))
    controls = np.flatnonzero(~treated)
    available = np.ones(len(controls), bool)
    for i in np.flatnonzero(treated):
        distance = np.abs(score[controls] - score[i])
        if method == "kernel":
            u = distance / bandwidth
            k = np.where(u < 1, 0.75 * (1 - u**2), 0.0)
            if k.sum() > 0:
                weights[controls] += k / k.sum()
                weights[i] = 1.0
            continue
        inside = available & (distance <= caliper if caliper is not None else True)
        if method == "radius":
            chosen = np.flatnonzero(inside)
        else:
            candidates = np.flatnonzero(inside)
            chosen = candidates[np.argsort(distance[candidates], kind="stable")[: int(ratio)]]
            if not replace:
                available[chosen] = False
        if len(chosen):
            weights[controls[chosen]] += 1.0 / len(chosen)
            weights[i] = 1.0
    return weights


def _balance(frame: pd.DataFrame, treated: np.ndarray, weights: np.ndarray, covariates):
    """SMD and variance ratio per covariate, before and after (psmatch2's pstest: the
    denominator of the SMD is the before-matching sqrt((V_t + V_c) / 2) in both)."""
    rows = []
    t, c = treated, ~treated
    after_t, wc = t & (weights > 0), np.where(c, weights, 0.0)
    for name in covariates:
        x = frame[name].to_numpy(float)
        vt, vc = x[t].var(ddof=1), x[c].var(ddof=1)
        scale = np.sqrt((vt + vc) / 2)
        mc_after = np.average(x, weights=wc) if wc.sum() > 0 else np.nan
        vc_after = np.average((x - mc_after) ** 2, weights=wc) if wc.sum() > 0 else np.nan
        mt_after, vt_after = x[after_t].mean(), x[after_t].var()  # weighted: no ddof either
        rows.append({
            "covariate": name, "mean_treated": x[t].mean(), "mean_control": x[c].mean(),
            "smd_before": (x[t].mean() - x[c].mean()) / scale, "var_ratio_before": vt / vc,
            "mean_treated_matched": mt_after, "mean_control_matched": mc_after,
            "smd_after": (mt_after - mc_after) / scale, "var_ratio_after": vt_after / vc_after,
        })  # fmt: skip
    return pd.DataFrame(rows)


class PSMResult(Result):
    """Result of :func:`psm_did`: the weighted TWFE estimate on the matched sample, the scores,
    the weights and the balance of the covariates."""

    def __init__(self, table, *, y, units, method, balance, off_support, nobs, n_clusters,
                 r2, outcome_mean, controls, simulated, settings, warnings=()):  # fmt: skip
        self.table, self.y, self.units, self.method = table, y, units, method
        self._balance, self.off_support, self.nobs = balance, off_support, nobs
        self.n_clusters, self.r2, self.outcome_mean = n_clusters, r2, outcome_mean
        self.controls, self.simulated, self.settings = list(controls), simulated, settings
        self.time_effects, self.warnings = True, list(warnings)
        self.n_units = n_clusters  # the matched units, each its own cluster

    @property
    def params(self) -> pd.Series:
        return self.table.set_index("term")["estimate"]

    def balance(self) -> pd.DataFrame:
        """Per covariate: means, standardised mean differences and variance ratios (treated
        over controls) before and after matching; ``.attrs["off_support"]`` counts the treated
        units without a match."""
        out = self._label(self._balance.copy())
        out.attrs["off_support"] = self.off_support
        return out

    def _headline(self) -> str:
        first = self.table.iloc[0]
        return (f"treated {first.estimate:.3f} (se {first.std_error:.3f}), {self.method} "
                f"matching, {count(self.nobs, 'obs')}, {self.off_support} off support")  # fmt: skip

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """Coefficients with t tests and intervals on G - 1 degrees of freedom."""
        table = self.table[["term", "estimate", "std_error"]]
        return self._label(intervals(table, alpha, self.n_clusters - 1))

    def summary(self, alpha: float = 0.05) -> Summary:
        units = self.units
        used = units[units["weight"] > 0]
        worst = self._balance["smd_after"].abs().max()
        return Summary(
            f"PSM-DiD: TWFE of {self.y} on the matched sample ({self.method} matching)",
            [("matching", self.settings), ("treated matched", int(used["treated"].sum())),
             ("controls used", int((~used["treated"]).sum())),
             ("treated off support", self.off_support), ("observations", self.nobs),
             ("clusters", self.n_clusters), ("largest |SMD| after", worst)],
            [intervals(self.table[["term", "estimate", "std_error"]], alpha, self.n_clusters - 1),
             ("balance", self._balance)],
            [f"warning: {w}" for w in self.warnings]
            + ["SMD: difference in means over the before-matching sqrt((V_t + V_c)/2), as "
               "psmatch2's pstest; |SMD| < 0.1 is the usual bar"],
            simulated=self.simulated,
        )  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None):
        """Densities of the propensity score: treated, controls before and after matching."""
        from scipy.stats import gaussian_kde

        ax = axes(ax)
        u = self.units
        low, high = u["score"].min(), u["score"].max()
        pad = max(0.02, 0.1 * (high - low))  # the scores' own range: a narrow spike stays visible
        grid = np.linspace(max(0.0, low - pad), min(1.0, high + pad), 200)
        t, c = u[u["treated"]], u[~u["treated"]]
        used = c[c["weight"] > 0]
        for data, weights, style, label in (
            (t["score"], None, "-", "treated"),
            (c["score"], None, "--", "controls, before matching"),
            (used["score"], used["weight"], ":", "controls, after matching (weighted)"),
        ):
            if data.nunique() > 1:
                ax.plot(grid, gaussian_kde(data, weights=weights)(grid), style, label=label)
        ax.set(xlabel="propensity score", ylabel="density")
        ax.legend(fontsize=8)
        return finish(ax, f"Propensity scores: {self.y}" if title is None else title,
                      self.simulated)  # fmt: skip


POOR_SMD = 0.25  # Rubin (2001): covariates with |SMD| above it are not balanced


def _warn_poor_match(balance: pd.DataFrame, controls_used: int, treated_used: int) -> list:
    """Warn, with the numbers, when matching leaves covariates unbalanced or leans on a few
    controls (no common support: the estimate is then an extrapolation); the messages."""
    worst = float(balance["smd_after"].abs().max())
    if not (worst > POOR_SMD or controls_used < min(5, treated_used)):
        return []
    message = (f"poor match: largest |SMD| after matching {worst:.2f} (> {POOR_SMD} is "
               f"unbalanced), {controls_used} control unit(s) for {treated_used} treated; the "
               "treated and control scores barely overlap: use a caliper, other covariates, or "
               "read the estimate as an extrapolation")  # fmt: skip
    warnings.warn(f"PSM-DiD: {message}", UserWarning, stacklevel=3)
    return [message]


def psm_did(panel: Panel, y: str, covariates, *, method: str = "nearest",
            caliper: float | None = None, ratio: int = 1, replace: bool = True,
            at: str = "baseline", controls=(), bandwidth: float = BANDWIDTH) -> PSMResult:  # fmt: skip
    """Propensity-score matching, then TWFE with the matching weights on the matched sample.

    ``at="baseline"``: one logit across units, of "ever treated" on the covariates in the last
    year before the first cohort. ``at="yearly"``: a logit and a match in every year, the
    weights then per unit-year. Matching as described in the module (psmatch2).

    >>> from innostudy.policy import Panel, psm_did, simulate_panel
    >>> panel = Panel(simulate_panel(seed=1), "unit", "year", "cohort")
    >>> fit = psm_did(panel, "y", ["x"], caliper=0.05)
    >>> bool(fit.balance()["smd_after"].abs().max() < 0.25)
    True
    """
    covariates, controls = list(covariates), list(controls)
    if not covariates:
        raise ValueError("psm_did needs at least one covariate for the propensity score")
    if at not in ("baseline", "yearly"):
        raise ValueError(f"at must be 'baseline' or 'yearly', got {at!r}")
    if panel.cohort_column is None or not panel.cohorts:
        raise PanelError("PSM-DiD needs a panel with treated units (a cohort column)")
    frame = panel.data.dropna(subset=[*covariates, panel.unit, panel.time])
    cohort = pd.to_numeric(frame[panel.cohort_column]).fillna(0)
    frame = frame.assign(_treated=(cohort > 0).to_numpy())
    first = min(panel.cohorts)
    if at == "baseline":
        base = frame[pd.to_numeric(frame[panel.time]) == first - 1]
        if base.empty:
            raise PanelError(f"no rows in {first - 1}, the year before the first cohort")
        groups = [base.sort_values(panel.unit)]
    else:
        groups = [g.sort_values(panel.unit) for _, g in frame.groupby(panel.time)]
    parts = []
    for group in groups:
        treated = group["_treated"].to_numpy()
        if treated.all() or not treated.any():
            continue
        score = propensity(group, treated, covariates)
        weight = match_weights(score, treated, method=method, caliper=caliper, ratio=ratio,
                               replace=replace, bandwidth=bandwidth)  # fmt: skip
        parts.append(group.assign(score=score, weight=weight))
    if not parts:
        raise PanelError("no year has both treated and control units to match")
    matched = pd.concat(parts)
    units = matched.rename(columns={panel.unit: "unit", "_treated": "treated"})
    units = units[["unit", *([] if at == "baseline" else [panel.time]), "treated", "score",
                   "weight", *covariates]].reset_index(drop=True)  # fmt: skip
    on_support = units.groupby("unit")["weight"].max() > 0
    ever = units.groupby("unit")["treated"].first()
    off_support = int((ever & ~on_support).sum())
    if not (ever & on_support).any():
        treated_scores = units.loc[units["treated"], "score"]
        control_scores = units.loc[~units["treated"], "score"]
        raise PanelError(
            f"no treated unit has a control within caliper {caliper}: scores of the treated "
            f"{treated_scores.min():.4f}-{treated_scores.max():.4f}, of the controls "
            f"{control_scores.min():.4f}-{control_scores.max():.4f}; widen or drop the caliper"
        )
    balance = _balance(units, units["treated"].to_numpy(), units["weight"].to_numpy(), covariates)
    found = _warn_poor_match(balance, int((~ever & on_support).sum()),
                             int((ever & on_support).sum()))  # fmt: skip
    keys = [panel.unit] if at == "baseline" else [panel.unit, panel.time]
    weights = units.rename(columns={"unit": panel.unit}).set_index(keys)["weight"]
    rows = panel.data.join(weights.rename("_w"), on=keys)
    rows = rows[rows["_w"] > 0]
    sub = Panel(rows.reset_index(drop=True), panel.unit, panel.time, panel.cohort_column)
    sample = sub.sample(y, [*controls, "_w"])
    w = sample.rows["_w"].to_numpy(float)
    names = ["treated", *controls]
    X = np.column_stack([sample.treated] + [sample.column(c) for c in controls])
    _, _, n_year = within_design(sample, X, names)  # refuses collinear designs as twfe does
    design = Projected(TwoWay(sample.unit_codes, sample.years, weights=w), X)
    yv = sample.column(y)
    params, resid = design.fit(yv)
    yd = design.fe.demean(yv)
    n_clusters = sample.n_units
    factor = SSC().factor(sample.nobs, len(names) + n_year, sample.n_units, n_year, n_clusters)
    vcov = design.cluster_vcov(resid, sample.unit_codes, factor)
    table = pd.DataFrame({"term": names, "estimate": params, "std_error": np.sqrt(np.diag(vcov))})
    settings = f"{method}, caliper {caliper}, ratio {ratio}, replace {replace}, at {at}, logit on "
    return PSMResult(
        table, y=y, units=units, method=method, balance=balance, off_support=off_support,
        nobs=sample.nobs, n_clusters=n_clusters,
        r2=float(1 - (w * resid**2).sum() / (w * yd**2).sum()),
        outcome_mean=float(np.average(yv, weights=w)), controls=controls,
        simulated=panel.simulated, settings=settings + ", ".join(covariates), warnings=found,
    )  # fmt: skip
