"""Bootstrap inference: the wild cluster bootstrap of least-squares coefficients and the
multiplier bootstrap of influence functions.

**Wild cluster bootstrap** (restricted, "WCR", Cameron, Gelbach & Miller 2008; Roodman,
MacKinnon, Nielsen & Webb 2019): for a coefficient and a null value β0, the model is re-fitted
with the coefficient fixed at β0; bootstrap outcomes are the restricted fit plus the restricted
residuals times one weight per cluster (Rademacher ±1, or Webb's six points); the bootstrap-t
statistics (each with its own CRV1 standard error) give the p-value
``mean(|t*| >= |t|)`` (the draws v = ±1 reproduce the sample and tie with it; wildboottest's
``>`` counts them through rounding). Confidence intervals invert the test: the β0 at which the
p-value crosses alpha, found by root finding on the same draws. Everything is linear in β0 and
in the weights, so one pass over the clusters serves every β0: the design is the one already
projected by :mod:`innostudy.policy.fe` (the fixed effects are not re-estimated per draw) and
each draw costs O(G·k). With Rademacher weights and 2^G <= draws every sign vector is used
once (full enumeration, as wildboottest and boottest). The small-sample factor cancels in
the bootstrap-t, so p-values do not depend on :class:`~innostudy.policy.regression.SSC`.

**Multiplier bootstrap** of Callaway & Sant'Anna (2021, R ``did``'s ``mboot``): per draw,
``sqrt(n)·mean(ψ_i V_i)`` for the units' influence functions ψ and weights V; standard errors
from the interquartile range of the draws (IQR / 1.349, over sqrt(n)) and the uniform critical
value as the 1 - alpha quantile of the largest |draw / SE| over the estimates, so that
``estimate ± c·SE`` covers every estimate at once (a simultaneous band).

Written here (about 150 lines) rather than depended on: wildboottest 0.3.2 (last release
2024-09, numba) loops over clusters pairs in Python and refits nothing but a statsmodels OLS,
so it cannot take the projected fixed-effects design; moderndid's ``mboot`` sits inside a
heavy package (see :mod:`innostudy.policy`). Both are the test references
(tests/test_bootstrap.py): p-values within Monte Carlo error of wildboottest with the same
settings, uniform critical values within Monte Carlo error of moderndid's once moderndid draws
the same weights. The weights are Rademacher, as R's ``did`` (``BMisc::multiplier_bootstrap``);
moderndid 0.2 draws Mammen's, which moves the uniform critical value on mpdta by 0.07-0.1
(2.67 against 2.74-2.78 at 20,000 draws): the test swaps moderndid's weights for Rademacher.
"""

from __future__ import annotations

import itertools

import numpy as np

from innostudy.policy.fe import indicator

WEIGHTS = ("rademacher", "webb", "mammen")
_WEBB = np.sqrt(np.array([3, 2, 1, 1, 2, 3]) / 2) * np.array([-1, -1, -1, 1, 1, 1])
_MAMMEN = (np.array([1 - np.sqrt(5), 1 + np.sqrt(5)]) / 2, (np.sqrt(5) + 1) / (2 * np.sqrt(5)))


def draw_weights(kind: str, n: int, draws: int, seed: int = 0) -> np.ndarray:
    """``n`` × ``draws`` bootstrap weights (mean 0, variance 1): Rademacher, Webb or Mammen.

    Rademacher with 2^n <= draws: every sign vector once (full enumeration, 2^n columns).

    >>> draw_weights("rademacher", 2, 999).T.tolist()
    [[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]]
    >>> w = draw_weights("webb", 500, 200, seed=1)
    >>> w.shape, round(float(w.var()), 1)
    ((500, 200), 1.0)
    """
    if kind not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}, got {kind!r}")
    if int(draws) != draws or draws < 1:
        raise ValueError(f"draws must be a whole number >= 1, got {draws!r}")
    rng = np.random.default_rng(seed)
    if kind == "rademacher":
        if n < 30 and 2**n <= draws:
            return np.array(list(itertools.product([-1.0, 1.0], repeat=n))).T
        return rng.choice([-1.0, 1.0], size=(n, draws))
    if kind == "webb":
        return rng.choice(_WEBB, size=(n, draws))
    values, p_low = _MAMMEN
    return np.where(rng.random((n, draws)) < p_low, values[0], values[1])


class WildBootstrap:
    """Restricted wild cluster bootstrap-t for single coefficients of ``y`` on ``X``.

    ``X`` and ``y`` are already projected (fixed effects out), ``clusters`` integer codes
    0..G-1 that nest the absorbed unit effects. ``absorbed``: the absorbed effects not nested
    in the clusters (the unit-demeaned year dummies), whose projection of each draw's residuals
    is taken out of its cluster scores, as a regression on the dummies would. ``pvalue(j,
    null)`` and ``interval(j, alpha)`` for coefficient ``j``.

    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(8), 25)
    >>> X = rng.normal(size=(200, 1)) + rng.normal(size=8)[g, None]
    >>> y = 0.5 * X[:, 0] + rng.normal(size=200) + rng.normal(size=8)[g]
    >>> wb = WildBootstrap(X, y, g, draws=999)
    >>> wb.n_draws, wb.pvalue(0) < 0.05      # 2^8 = 256 sign vectors: full enumeration
    (256, True)
    """

    def __init__(self, X, y, clusters, *, absorbed=None, draws: int = 9999,
                 weights: str = "rademacher", seed: int = 0):  # fmt: skip
        self.X = np.asarray(X, float).reshape(len(y), -1)
        self.y = np.asarray(y, float)
        self.clusters = np.asarray(clusters)
        self.G = int(self.clusters.max()) + 1
        self.V = draw_weights(weights, self.G, draws, seed)
        self.n_draws, self.weights = self.V.shape[1], weights
        self.bread = np.linalg.inv(self.X.T @ self.X)
        self.beta = self.bread @ (self.X.T @ self.y)
        self.sum = indicator(self.clusters, self.G)  # G × N
        self.D = None if absorbed is None or not np.size(absorbed) else np.asarray(absorbed, float)
        self._cache: dict[int, tuple] = {}

    def _se(self, scores: np.ndarray, j: int) -> float:
        return float(np.sqrt(np.sum((scores @ self.bread[j]) ** 2)))

    def _parts(self, j: int) -> tuple:
        """Everything the bootstrap-t of coefficient j needs, as ``a - β0·b`` pairs."""
        if j in self._cache:
            return self._cache[j]
        X, bread, V = self.X, self.bread, self.V
        others = np.delete(np.arange(X.shape[1]), j)
        Xo = X[:, others]
        proj = (
            (lambda v: v - Xo @ np.linalg.lstsq(Xo, v, rcond=None)[0])
            if len(others)
            else (lambda v: v)
        )
        u_a, u_b = proj(self.y), proj(X[:, j])  # restricted residuals: u_a - β0·u_b
        bj = bread[j]
        C = self.sum @ (X * (X @ bj)[:, None])  # rows H_g b_j, G × k
        if self.D is not None:  # b_j'X_g'D per cluster, times (D'D)^-1
            E = self.sum @ (self.D * (X @ bj)[:, None]) @ np.linalg.inv(self.D.T @ self.D)
        pieces = []
        for u in (u_a, u_b):
            S = self.sum @ (X * u[:, None])  # G × k cluster scores X_g'u_g
            a = S @ bj
            numer = a @ V  # draws of β* - β0, times 1
            P = a[:, None] * V - C @ (bread @ (S.T @ V))  # per-cluster b_j's*_g per draw
            if self.D is not None:  # minus the part of u∘v the absorbed dummies explain
                P -= E @ ((self.sum @ (self.D * u[:, None])).T @ V)
            pieces.append((numer, P))
        (na, Pa), (nb, Pb) = pieces
        parts = (na, nb, np.sum(Pa * Pa, 0), np.sum(Pa * Pb, 0), np.sum(Pb * Pb, 0))
        resid = self.y - X @ self.beta
        parts += (self._se(self.sum @ (X * resid[:, None]), j),)
        self._cache[j] = parts
        return parts

    def pvalue(self, j: int, null: float = 0.0) -> float:
        """Two-sided bootstrap p-value of ``coefficient j == null``."""
        na, nb, A, B, Cc, se = self._parts(j)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_star = (na - null * nb) / np.sqrt(np.maximum(A - 2 * null * B + null**2 * Cc, 0))
        t = (self.beta[j] - null) / se
        return float(np.mean(np.abs(t_star) >= abs(t) * (1 - 1e-9)))  # ties (v = ±1) count

    def interval(self, j: int, alpha: float = 0.05) -> tuple[float, float]:
        """Confidence interval by test inversion: the nulls whose p-value is >= alpha."""
        from scipy.optimize import brentq

        se = self._parts(j)[-1]
        b = self.beta[j]

        def gap(null):
            return self.pvalue(j, null) - alpha

        ends = []
        for side in (-1, 1):
            step = se
            far = b + side * step
            while gap(far) >= 0 and step < 1e6 * max(se, 1e-12):
                step *= 2
                far = b + side * step
            if gap(far) >= 0:
                ends.append(side * np.inf)
                continue
            ends.append(brentq(gap, b, far, xtol=1e-6 * se) if gap(b) >= 0 else np.nan)
        return ends[0], ends[1]

    def columns(self, table, terms: list[str], alpha: float):
        """``table`` with bootstrap ``p_value, conf_low, conf_high`` on the rows of ``terms``
        (the design's coefficients, in order); ``inference`` says which rows have them."""
        table = table.copy()
        table["inference"] = "analytic"
        for j, term in enumerate(terms):
            rows = table["term"] == term
            if rows.any():
                low, high = self.interval(j, alpha)
                table.loc[rows, ["p_value", "conf_low", "conf_high"]] = [self.pvalue(j), low, high]
                table.loc[rows, "inference"] = "wild"
        return table

    def __str__(self) -> str:
        return (
            f"wild cluster bootstrap (WCR, null imposed), {self.weights} weights, "
            f"{self.n_draws:,} draws over {self.G} clusters; intervals by test inversion"
        )


class Multiplier:
    """Multiplier bootstrap of estimates with influence functions ``influence`` (units ×
    estimates), as R ``did``'s ``mboot``: ``.se`` and ``.critical(alpha)``, the uniform
    critical value (``estimate ± c·se`` covers all the estimates at once).

    >>> rng = np.random.default_rng(0)
    >>> boot = Multiplier(rng.normal(size=(400, 3)), draws=2000)
    >>> bool(np.allclose(boot.se, 1 / np.sqrt(400), rtol=0.1)), 2.0 < boot.critical(0.05) < 2.7
    (True, True)
    """

    def __init__(self, influence, *, draws: int = 999, seed: int = 0,
                 weights: str = "rademacher"):  # fmt: skip
        psi = np.asarray(influence, float)
        n = psi.shape[0]
        self.draws, self.weights = draws, weights
        V = draw_weights(weights, n, draws, seed)
        boot = (psi.T @ V).T / np.sqrt(n)  # draws × estimates: sqrt(n)·mean(ψ V)
        q75, q25 = np.percentile(boot, [75, 25], axis=0, method="inverted_cdf")
        scale = (q75 - q25) / (2 * 0.6744897501960817)  # IQR / (Φ⁻¹(0.75) - Φ⁻¹(0.25))
        ok = scale > np.sqrt(np.finfo(float).eps) * 10  # degenerate estimates: no SE (as R)
        self.se = np.where(ok, scale / np.sqrt(n), np.nan)
        self.largest = np.max(np.abs(boot[:, ok] / scale[ok]), axis=1) if ok.any() else None

    def critical(self, alpha: float = 0.05) -> float:
        """The 1 - alpha quantile of the largest |draw / SE| over the estimates."""
        if self.largest is None:
            return np.nan
        return float(np.percentile(self.largest, 100 * (1 - alpha), method="inverted_cdf"))

    def __str__(self) -> str:
        return f"multiplier bootstrap, {self.weights} weights, {self.draws:,} draws"
