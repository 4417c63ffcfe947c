"""The two-period, two-group difference-in-differences that every ATT(g, t) cell of
:func:`~innostudy.policy.callaway.att_gt` is: Sant'Anna & Zhao's (2020) doubly robust estimator,
inverse probability weighting and outcome regression on outcome changes, each with its per-unit
influence function, and their closed form without covariates (a difference of means, every
year of a cohort at once). Propensity scores above ``TRIM`` get no weight, as R's DRDID.

Reference: Sant'Anna & Zhao (2020), J. Econometrics 219(1).
"""

from __future__ import annotations

import numpy as np

from innostudy.policy.panel import PanelError

TRIM = 0.995  # comparison units with a propensity score above this get no weight (as R's DRDID)


def logit(d: np.ndarray, X: np.ndarray, max_iter: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression by Newton's method: fitted probabilities and (X'WX/n)^-1."""
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(d.mean() / (1 - d.mean()))
    for _ in range(max_iter):
        p = 1 / (1 + np.exp(-(X @ beta)))
        info = (X * (p * (1 - p))[:, None]).T @ X
        if np.linalg.cond(info) > 1 / np.finfo(float).eps:
            raise PanelError("the propensity-score logit is singular (separation or too few units)")
        step = np.linalg.solve(info, X.T @ (d - p))
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    else:
        raise PanelError("the propensity-score logit did not converge (separation?)")
    p = 1 / (1 + np.exp(-(X @ beta)))
    info = (X * (p * (1 - p))[:, None]).T @ X / len(d)
    return p, np.linalg.inv(info)


def did_2x2(dy: np.ndarray, d: np.ndarray, X: np.ndarray, method: str):
    """ATT and per-unit influence function of one 2×2 DiD on outcome changes ``dy``.

    ``d`` marks treated units, ``X`` holds an intercept and the covariates (base year).
    """
    n = len(d)
    ctrl = 1.0 - d
    if method in ("dr", "reg"):
        if X.shape[1] > 1 and np.linalg.matrix_rank(X[ctrl == 1]) < X.shape[1]:
            raise PanelError(
                "the covariates of the comparison units are collinear (too few units?)"
            )
        beta = np.linalg.lstsq(X[ctrl == 1], dy[ctrl == 1], rcond=None)[0]
        fitted = X @ beta
        xpx_inv = np.linalg.inv((X * ctrl[:, None]).T @ X / n)
        lin_ols = (ctrl * (dy - fitted))[:, None] * X @ xpx_inv
    if method == "reg":
        eta_t = np.mean(d * dy) / d.mean()
        eta_c = np.mean(d * fitted) / d.mean()
        inf_t = d * (dy - eta_t)
        inf_c = d * (fitted - eta_c) + lin_ols @ np.mean(d[:, None] * X, axis=0)
        return eta_t - eta_c, (inf_t - inf_c) / d.mean()
    ps, hess_inv = logit(d, X)
    ps = np.minimum(ps, 1 - 1e-6)
    keep = (d == 1) | (ps < TRIM)
    w_t = keep * d
    w_c = keep * ps * ctrl / (1 - ps)
    resid = dy - fitted if method == "dr" else dy
    eta_t = np.mean(w_t * resid) / w_t.mean()
    eta_c = np.mean(w_c * resid) / w_c.mean()
    lin_ps = ((d - ps)[:, None] * X) @ hess_inv
    inf_t = w_t * (resid - eta_t)
    inf_c = w_c * (resid - eta_c) + lin_ps @ np.mean((w_c * (resid - eta_c))[:, None] * X, axis=0)
    if method == "dr":
        inf_t = inf_t - lin_ols @ np.mean(w_t[:, None] * X, axis=0)
        inf_c = inf_c - lin_ols @ np.mean(w_c[:, None] * X, axis=0)
    return eta_t - eta_c, inf_t / w_t.mean() - inf_c / w_c.mean()


def difference_of_means(dy, treated, comparison, method):
    """ATT and influence functions of the 2×2 cells without covariates, all years at once.

    With an intercept only, the doubly robust, IPW and regression estimators all reduce to
    ``mean(dy | treated) - mean(dy | comparison)``, with influence (scaled to all n units)
    ``n · (d (dy - m1) / n1 - c (dy - m0) / n0)``. Where the propensity score (the treated
    share of the cell) reaches the trimming threshold the ATT is NaN: such cells go through
    :func:`did_2x2`, which trims as R's DRDID does.
    """
    n = len(treated)
    n1 = treated.sum()
    n0 = comparison.sum(axis=0)
    c = comparison.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        m1 = dy[treated].mean(axis=0)
        m0 = np.einsum("ij,ij->j", c, dy) / n0
        att = m1 - m0
        if method != "reg":
            att = np.where(n1 / (n1 + n0) < TRIM, att, np.nan)
        inf = (dy - m0) * (c * (-n / n0))  # treated and comparison units are disjoint
        inf[treated] = (dy[treated] - m1) * (n / n1)
    return att, np.asfortranarray(inf)
