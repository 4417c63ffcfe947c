"""Rambachan & Roth (2023) sensitivity of an event study to violations of parallel trends.

The effect ``θ = l'τ_post`` (``l`` picks the relative year ``e``) is identified only up to the
post-treatment trend violation δ_post; a restriction on δ given by one number turns the
estimates into a robust confidence set, and the sensitivity plot shows the original interval,
then the robust sets as that number grows. Two restrictions, as in R's HonestDiD:

* ``"relative_magnitude"`` (the default, Δ^RM(M̄)): each post-treatment change of the violation is
  at most M̄ times the largest pre-treatment change (M̄ = 1: as large as the worst pre-period
  year). Confidence sets by the Andrews-Roth-Pakes hybrid test, R's "C-LF"
  (:mod:`~innostudy.policy.honest_rm`, evidence and differences there).
* ``"smoothness"`` (Δ^SD(M)): the violation's slope changes by at most M a year (M = 0: a
  linear pre-trend, extrapolated), in outcome units per year². Robust interval: the optimal
  fixed-length confidence interval (FLCI, Armstrong & Kolesár 2018; RR sec. 4.1): among affine
  estimators ``v_pre'β̂_pre + l'β̂_post`` unbiased under linear trends, the one whose interval
  ``± σ_v · cv_α(b̄_v / σ_v)`` is shortest, b̄_v = M‖B'v‖₁ the worst-case bias over Δ^SD(M)
  (B maps second differences of δ to δ), cv_α(t) the 1 - α quantile of |N(t, 1)|.

The shortest FLCI length is unique, the estimator attaining it need not be: where the optimum
is flat, implementations may centre the interval differently (by 4e-4 against diff-diff on a
simulated 100-unit panel at M = 0.01, same length to 1e-6; identical to 1e-4 on mpdta).

Written here (numpy, scipy): moderndid 0.2's ``didhonest`` needs cvxpy (and its solvers);
diff-diff 3.13's ``HonestDiD`` is light but its API moves fast (see :mod:`innostudy.policy`).
Test references (tests/test_honest.py): diff-diff's optimal FLCI for smoothness, moderndid's
ARP tests for relative magnitudes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from innostudy.policy._results import Result, covariance_rank
from innostudy.policy.honest_rm import rm_interval
from innostudy.policy.panel import PanelError
from innostudy.results import Summary, axes, check_alpha, finish

METHODS = {
    "relative_magnitude": "relative magnitudes Δ^RM(M̄): post-period changes of the violation at "
                          "most M̄ × the largest pre-period change",
    "smoothness": "smoothness Δ^SD(M): the trend's slope changes by at most M a year",
}  # fmt: skip
DEFAULT_M = {"relative_magnitude": (0, 0.5, 1, 1.5, 2), "smoothness": (0, 0.01, 0.02, 0.03, 0.04)}
SYMBOL = {"relative_magnitude": "M̄", "smoothness": "M"}
SOURCES = {"EventStudyResult": "TWFE event study", "SunAbrahamResult": "Sun-Abraham event study",
           "Aggregate": "Callaway-Sant'Anna dynamic aggregate"}  # fmt: skip
INTERVALS = {
    "relative_magnitude": "Andrews-Roth-Pakes hybrid test (R's C-LF, κ = α/10), union over "
                          "where the largest pre-period change lies",
    "smoothness": "optimal FLCI",
}  # fmt: skip


def event_time_estimates(result) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Relative years, estimates and covariance of an event study, a Sun-Abraham result or a
    Callaway-Sant'Anna dynamic aggregate, base period -1 left out, and an event study's binned
    end points (:func:`binned_ends`) too: both restrictions bound single years' changes."""
    from innostudy.policy.callaway import Aggregate
    from innostudy.policy.regression import EventStudyResult
    from innostudy.policy.sunab import SunAbrahamResult

    if isinstance(result, EventStudyResult):
        if result.base != -1:
            raise PanelError(f"honest() needs base period -1, the event study has {result.base}")
        table = result.table.dropna(subset=["estimate"]).reset_index(drop=True)
        keep = table["in_window"].to_numpy() & ~table["binned"].to_numpy(bool)
        rel = table["rel_time"].to_numpy(int)
        return rel[keep], table["estimate"].to_numpy()[keep], result.vcov[np.ix_(keep, keep)]
    if isinstance(result, SunAbrahamResult):
        return result.rel_time, result.estimate, result.vcov
    if isinstance(result, Aggregate) and result.kind == "dynamic":
        if result.result.base_period != "universal":
            raise PanelError("honest() needs the dynamic aggregate of att_gt(..., base_period="
                             "'universal'): with the varying base its pre-period estimates are "
                             "year-on-year changes, not differences from the year before "
                             "treatment (R's HonestDiD refuses them too)")  # fmt: skip
        rel = result.table["rel_time"].to_numpy(int)
        inf = result.level_influence
        vcov = inf.T @ inf / inf.shape[0] ** 2
        keep = rel != -1
        return rel[keep], result.table["estimate"].to_numpy()[keep], vcov[np.ix_(keep, keep)]
    raise PanelError(f"honest() needs an event study, a Sun-Abraham result or a dynamic "
                     f"aggregate of att_gt, got {type(result).__name__}")  # fmt: skip


def binned_ends(result) -> list[int]:
    """Relative years of an event study whose terms pool every year beyond the window."""
    table = getattr(result, "table", None)
    if table is None or "binned" not in table:
        return []
    return sorted(table.loc[table["binned"].astype(bool), "rel_time"].astype(int).tolist())


def _cv(t: float, alpha: float) -> float:
    """The 1 - alpha quantile of |N(t, 1)|."""
    from scipy import optimize, stats

    def coverage(c):
        return stats.norm.cdf(c - t) - stats.norm.cdf(-c - t) - (1 - alpha)

    return optimize.brentq(coverage, 0, abs(t) + 10)


def flci(rel, beta, sigma, e: int, M: float, alpha: float) -> tuple[float, float]:
    """Optimal FLCI for the effect at relative year ``e`` under Δ^SD(M)."""
    from scipy import optimize

    grid = np.arange(min(rel.min(), -2), rel.max() + 1)  # every year, base -1 included
    pre, post = rel < -1, rel >= 0
    if pre.sum() < 1:
        raise PanelError("honest() needs at least one lead besides the base period -1")
    at = {r: i for i, r in enumerate(grid)}
    n = len(grid)
    # δ from its second differences (rows 0..n-3), δ(-1) = 0 and δ(0) - δ(-1) = 0
    system = np.zeros((n, n))
    for k in range(n - 2):
        system[k, k : k + 3] = [1, -2, 1]
    system[n - 2, at[-1]] = 1
    system[n - 1, [at[-1], at[0]]] = [-1, 1]
    B = np.linalg.inv(system)[:, : n - 2]  # δ per unit second difference
    trend = grid + 1.0  # the linear trends δ = s·(r + 1), unbiased directions
    rows = np.array([at[r] for r in rel])
    l_post = (rel[post] == e).astype(float)
    pre_rows, post_rows = rows[pre], rows[post]
    need = -(l_post @ trend[post_rows])  # v_pre'·trend_pre must cancel l's trend
    t_pre = trend[pre_rows]
    v0 = t_pre * need / (t_pre @ t_pre)
    null = np.linalg.svd(t_pre[None, :])[2][1:].T  # basis of {w: t_pre'w = 0}

    def parts(w):
        v_pre = v0 + null @ w
        v = np.zeros(len(rel))
        v[pre], v[post] = v_pre, l_post
        weights = np.zeros(n)
        weights[rows] = v
        sd = float(np.sqrt(v @ sigma @ v))
        return v, sd, M * np.abs(B.T @ weights).sum()

    def half_length(w):
        _, sd, bias = parts(w)
        return sd * _cv(bias / sd, alpha)

    w = np.zeros(null.shape[1])
    if len(w):
        best = None
        for start in (w, optimize.minimize(lambda x: parts(x)[1], w).x):
            fit = optimize.minimize(half_length, start, method="Nelder-Mead",
                                    options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000})  # fmt: skip
            best = fit if best is None or fit.fun < best.fun else best
        w = best.x
    v, _, _ = parts(w)
    centre, half = float(v @ beta), half_length(w)
    return centre - half, centre + half


def honest(result, *, method: str = "relative_magnitude", m=None, e: int = 0,
           alpha: float = 0.05, seed: int = 0) -> HonestResult:  # fmt: skip
    """Robust confidence sets for the effect at relative year ``e`` of ``result`` (an event
    study, a Sun-Abraham result or a Callaway-Sant'Anna dynamic aggregate), one per bound in
    ``m``, and the original interval. ``m`` defaults to M̄ = 0, 0.5, 1, 1.5, 2 for relative
    magnitudes and to M = 0 … 0.04 (suits log outcomes; take the scale from the pre-period
    second differences) for smoothness. ``seed`` fixes the draws of the least-favourable
    critical value (relative magnitudes only).

    >>> from innostudy.policy import Panel, event_study, honest, simulate_panel
    >>> df = simulate_panel(n_units=200, years=range(2012, 2021), cohorts={2017: 60}, seed=5)
    >>> es = event_study(Panel(df, "unit", "year", "cohort"), "y", window=(-4, 3))
    >>> widths = honest(es, m=(0, 1, 2)).tidy().eval("conf_high - conf_low").tolist()
    >>> widths[2] < widths[3]  # M̄ = 1, then 2: wider
    True
    >>> h = honest(es, method="smoothness", m=(0, 0.1))
    >>> widths = h.tidy().eval("conf_high - conf_low").tolist()
    >>> widths[1] > widths[0], widths[2] > widths[1]  # linear trend, then M = 0.1: wider
    (True, True)
    """
    if method not in METHODS:
        raise ValueError(f"method {method!r}: choose one of {sorted(METHODS)}")
    alpha = check_alpha(alpha)
    m = DEFAULT_M[method] if m is None else m
    if any(not np.isfinite(M) or M < 0 for M in m):
        raise ValueError(f"bounds must be finite and >= 0, got {list(m)}")
    rel, beta, sigma = event_time_estimates(result)
    rank, reason = covariance_rank(sigma)
    clusters = getattr(result, "n_clusters", None)
    if clusters is not None and clusters - 1 < rank:
        rank, reason = clusters - 1, f"{clusters} clusters give a covariance of rank {clusters - 1}"
    if rank < len(rel):
        raise PanelError(f"honest() needs a covariance of the {len(rel)} event-time estimates of "
                         f"full rank; it has rank {rank} ({reason}): use more clusters or fewer "
                         "relative years (window=)")  # fmt: skip
    if e not in set(rel[rel >= 0].tolist()):
        raise ValueError(f"e={e} is not an estimated post-treatment year ({rel[rel >= 0]})")
    return HonestResult(rel, beta, sigma, e, [float(M) for M in m], alpha, result, method, seed)


class HonestResult(Result):
    """Result of :func:`honest`: the original interval and the robust ones by M."""

    def __init__(self, rel, beta, sigma, e, m, alpha, source, method, seed):
        self.rel, self.beta, self.sigma, self.e, self.m, self.alpha = rel, beta, sigma, e, m, alpha
        self.method, self.seed, self.left_out = method, seed, binned_ends(source)
        self._intervals: dict[float, tuple] = {}
        self.original, self.robust = self.intervals(alpha)
        self.y = getattr(source, "y", None) or getattr(getattr(source, "result", None), "y", "")
        self.source = SOURCES.get(type(source).__name__, type(source).__name__)
        self.simulated = bool(source.simulated)

    def _headline(self) -> str:
        lo, hi = self.original
        return (f"effect at e={self.e}: original [{lo:.3f}, {hi:.3f}], {self.method} robust "
                f"for {SYMBOL[self.method]} = {', '.join(f'{M:g}' for M in self.m)}")  # fmt: skip

    def intervals(self, alpha: float) -> tuple[tuple, list]:
        """The original interval and the robust ones by M at level 1 - alpha (cached)."""
        from scipy import stats

        alpha = check_alpha(alpha)
        if alpha not in self._intervals:
            j = int(np.flatnonzero(self.rel == self.e)[0])
            half = stats.norm.ppf(1 - alpha / 2) * np.sqrt(self.sigma[j, j])
            self._intervals[alpha] = (
                (self.beta[j] - half, self.beta[j] + half),
                [self._robust(M, alpha) for M in self.m],
            )
        return self._intervals[alpha]

    def _robust(self, M: float, alpha: float) -> tuple[float, float]:
        if self.method == "smoothness":
            return flci(self.rel, self.beta, self.sigma, self.e, M, alpha)
        return rm_interval(self.rel, self.beta, self.sigma, self.e, M, alpha, self.seed)

    def breakdown(self, alpha: float | None = None, tol: float = 1e-3) -> float:
        """The breakdown value: the smallest bound (M̄ or M) whose robust set covers 0, i.e. how
        large a violation of parallel trends it takes before the effect at ``e`` could be 0 (to
        ``tol`` × the bracket found). 0 when the set without violations (bound 0) covers 0
        already; inf when no bound up to 2^20 × the largest given one does. Robust sets grow
        with the bound, so bisection finds the first that covers 0.

        >>> from innostudy.policy import Panel, event_study, honest, simulate_panel
        >>> df = simulate_panel(n_units=200, years=range(2012, 2021), cohorts={2017: 60}, seed=5)
        >>> h = honest(event_study(Panel(df, "unit", "year", "cohort"), "y", window=(-4, 3)))
        >>> b = h.breakdown()
        >>> low, high = h._robust(b * 0.98, h.alpha)
        >>> low > 0 or high < 0  # just below the breakdown value the effect is still not 0
        True
        """
        alpha = self.alpha if alpha is None else check_alpha(alpha)

        def covers(bound: float) -> bool:
            low, high = self._robust(bound, alpha)
            return bool(np.isnan(low) or low <= 0 <= high)

        if covers(0.0):
            return 0.0
        low, high = 0.0, max(self.m) or 1.0
        for _ in range(20):
            if covers(high):
                break
            low, high = high, 2 * high
        else:
            return np.inf
        while high - low > tol * high:
            mid = (low + high) / 2
            low, high = (low, mid) if covers(mid) else (mid, high)
        return high

    def tidy(self, alpha: float | None = None) -> pd.DataFrame:
        """One row for the original interval, then one per bound (each set computed at
        ``alpha``, by default the one given to :func:`honest`); ``M`` holds the bound."""
        original, robust = self.intervals(self.alpha if alpha is None else alpha)
        table = pd.DataFrame({
            "term": ["original"] + [f"{SYMBOL[self.method]}={M:g}" for M in self.m],
            "conf_low": [original[0]] + [r[0] for r in robust],
            "conf_high": [original[1]] + [r[1] for r in robust],
            "M": [np.nan] + [float(M) for M in self.m],
        })  # fmt: skip
        # the estimate at e; the robust rows are intervals only (their centres depend on alpha)
        j = int(np.flatnonzero(self.rel == self.e)[0])
        table.insert(1, "estimate", [self.beta[j]] + [np.nan] * len(self.m))
        return self._label(table)

    def summary(self, alpha: float | None = None) -> Summary:
        return Summary(
            f"Sensitivity to parallel-trend violations (Rambachan-Roth) of {self.y}",
            [("estimates from", self.source + (f", binned end points {self.left_out} left out"
                                                if self.left_out else "")),
             ("effect", f"e = {self.e} years after treatment"),
             ("restriction", METHODS[self.method]),
             ("intervals", f"{1 - (alpha or self.alpha):.0%}; robust ones: "
                           f"{INTERVALS[self.method]}")],
            [self.tidy(alpha).drop(columns="simulated", errors="ignore")],
            simulated=self.simulated,
        )  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None):
        """The original interval, then the robust set for each bound; a set that reaches the
        searched range ends in an arrow, an empty one is marked "empty"."""
        table = self.tidy()
        ax = axes(ax, figsize=(6, 4))
        ends = table[["conf_low", "conf_high"]].to_numpy()
        finite = ends[np.isfinite(ends)]
        pad = 0.1 * (np.ptp(finite) or 1.0)
        low, high = finite.min() - pad, finite.max() + pad
        for i, (a, b) in enumerate(ends):
            colour = "C0" if i == 0 else "C1"
            if np.isnan(a):
                ax.annotate("empty", (i, 0), ha="center", color=colour)
                continue
            ax.plot([i, i], [max(a, low), min(b, high)], lw=3, color=colour)
            for end, limit, marker in ((a, low, "v"), (b, high, "^")):
                if np.isinf(end):
                    ax.plot(i, limit, marker=marker, color=colour)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set(xticks=np.arange(len(table)), xticklabels=table["term"],
               xlabel=f"{SYMBOL[self.method]}: {self.method.replace('_', ' ')} bound",
               ylabel=f"{1 - self.alpha:.0%} interval for the effect at e = {self.e}")  # fmt: skip
        title = f"Honest DiD sensitivity: {self.y}" if title is None else title
        return finish(ax, title, self.simulated)
