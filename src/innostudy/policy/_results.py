"""Pieces every policy result shares: the coefficient table, the Wald test, the simulated mark."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from innostudy import results as protocol


def coefficient_table(terms, estimate, se, df_resid: float | None = None, alpha: float = 0.05):
    """Tidy estimates: term, estimate, std_error, statistic, p_value, conf_low, conf_high.

    Inference uses Student's t with ``df_resid`` degrees of freedom, or the normal when None.
    """
    from scipy import stats

    dist = stats.norm() if df_resid is None else stats.t(df_resid)
    estimate, se = np.asarray(estimate, float), np.asarray(se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = estimate / se
    crit = dist.ppf(1 - alpha / 2)
    return pd.DataFrame(
        {
            "term": list(terms),
            "estimate": estimate,
            "std_error": se,
            "statistic": statistic,
            "p_value": 2 * dist.sf(np.abs(statistic)),
            "conf_low": estimate - crit * se,
            "conf_high": estimate + crit * se,
        }
    )


RANK_TOL = 1e-8  # eigenvalues of the correlation matrix below this (~ sqrt(eps)) count as zero
MIN_CLUSTERS = 30  # Cameron & Miller (2015, J. Human Resources 50(2), sec. VI): "few" clusters
MIN_TREATED = 5  # treated units per cohort below which its effect rests on a handful of units


@dataclass(frozen=True)
class WaldTest:
    """A joint test that several coefficients are zero: ``statistic`` ~ F(df, df_denom) or chi²(df).

    Convention: the test needs a covariance of full rank. When the covariance of the ``df``
    coefficients has rank ``rank < df`` (a cluster-robust covariance from G clusters has rank at
    most G - 1; a few treated units can carry fewer independent influence functions than
    cells), no generalised inverse is used: the test is *not testable*, ``statistic`` and
    ``pvalue`` are NaN and ``reason`` says why. Rank is judged on the correlation matrix
    (eigenvalues below ``RANK_TOL`` times the largest are zero, so units do not matter) and
    bounded by ``max_rank`` when the caller knows it (G - 1 for a covariance from G clusters,
    whose rounding errors would otherwise pass for rank).

    >>> import numpy as np
    >>> print(WaldTest.of([1.0, 2.0], np.eye(2)))
    chi2(2) = 5.000, p = 0.0821
    >>> print(WaldTest.of([1.0, 2.0], np.ones((2, 2)), df_denom=1))
    not testable (rank 1 of 2): the covariance of the tested coefficients is singular
    """

    statistic: float
    df: int
    pvalue: float
    df_denom: int | None = None
    rank: int | None = None
    reason: str = ""

    @property
    def testable(self) -> bool:
        return not self.reason

    @classmethod
    def of(cls, estimate, vcov, df_denom: int | None = None,
           max_rank: int | None = None) -> WaldTest:  # fmt: skip
        """Wald test of ``estimate == 0`` given its covariance; F form when ``df_denom`` is given."""
        from scipy import stats

        b, v = np.asarray(estimate, float), np.asarray(vcov, float)
        q = len(b)
        rank, reason = covariance_rank(v)
        if max_rank is not None and max_rank < rank:
            rank, reason = max_rank, "the covariance of the tested coefficients is singular"
        if reason:
            return cls(np.nan, q, np.nan, df_denom, rank, reason)
        chi2 = float(b @ np.linalg.solve(v, b))
        if df_denom is None:
            return cls(chi2, q, float(stats.chi2.sf(chi2, q)), None, q)
        return cls(chi2 / q, q, float(stats.f.sf(chi2 / q, q, df_denom)), df_denom, q)

    def __str__(self) -> str:
        if self.reason:
            return f"not testable (rank {self.rank} of {self.df}): {self.reason}"
        law = f"F({self.df}, {self.df_denom})" if self.df_denom else f"chi2({self.df})"
        return f"{law} = {self.statistic:.3f}, p = {self.pvalue:.4f}"


def covariance_rank(vcov: np.ndarray) -> tuple[int, str]:
    """Numerical rank of a covariance matrix and, when it is not of full rank, the reason."""
    q = len(vcov)
    if not np.isfinite(vcov).all():
        return 0, "the covariance of the tested coefficients has missing values"
    sd = np.sqrt(np.diag(vcov))
    if (sd <= 0).any():
        return int((sd > 0).sum()), "a tested coefficient has zero variance"
    eig = np.linalg.eigvalsh(vcov / np.outer(sd, sd))
    rank = int((eig > RANK_TOL * eig.max()).sum())
    if rank < q:
        return rank, "the covariance of the tested coefficients is singular"
    return rank, ""


def design_warnings(n_clusters: int | None, cohorts: dict) -> list[str]:
    """Warnings about thin designs: few clusters, few treated units in a cohort (issued too).

    Cluster-robust standard errors and tests are unreliable with fewer than about
    ``MIN_CLUSTERS`` clusters (Cameron & Miller 2015, "A Practitioner's Guide to Cluster-Robust
    Inference", sec. VI, which puts "few" at roughly 20 to 50); an effect of a cohort with fewer
    than ``MIN_TREATED`` treated units rests on a handful of units.
    """
    import warnings

    found = []
    if n_clusters is not None and n_clusters < MIN_CLUSTERS:
        found.append(
            f"only {n_clusters} clusters (< {MIN_CLUSTERS}): cluster-robust standard errors and "
            "tests are unreliable with few clusters (Cameron & Miller 2015); consider a wild "
            "cluster bootstrap or randomisation inference"
        )
    thin = {int(g): int(n) for g, n in cohorts.items() if n < MIN_TREATED}
    if thin:
        found.append(
            f"few treated units per cohort (< {MIN_TREATED}): {thin} (cohort: units); their "
            "effects and any inference on them rest on a handful of units"
        )
    for message in found:
        warnings.warn(message, UserWarning, stacklevel=3)
    return found


class Result(protocol.Result, abstract=True):
    """Base of the policy results: the protocol of :mod:`innostudy.results`, and the
    ``simulated`` column of their tidy tables."""

    alpha = 0.05  # the intervals' level when a method is given none; estimators' alpha= sets it

    def _label(self, table: pd.DataFrame) -> pd.DataFrame:
        return protocol.labelled(table, self.simulated)

    def _alpha(self, alpha: float | None) -> float:
        """``alpha``, or the level the result was estimated at when None (checked)."""
        return protocol.check_alpha(self.alpha if alpha is None else alpha)


def coefficient_plot(table: pd.DataFrame, x: str, ax=None, *, xlabel: str, title: str,
                     simulated: bool, reference: float | None = 0.0):  # fmt: skip
    """Point estimates with confidence intervals against ``x`` (a numeric column of ``table``)."""
    ax = protocol.axes(ax)
    err = np.vstack([table["estimate"] - table["conf_low"], table["conf_high"] - table["estimate"]])
    ax.errorbar(table[x], table["estimate"], yerr=err, fmt="o", capsize=3, color="C0")
    if reference is not None:
        ax.axhline(reference, color="grey", lw=0.8)
    ax.set(xlabel=xlabel, ylabel="estimate")
    values = pd.to_numeric(table[x], errors="coerce").dropna()
    if len(values) and (values == values.round()).all():  # years, shifts, cohorts
        whole_ticks(ax, values.max() - values.min())
    return protocol.finish(ax, title, simulated)


def whole_ticks(ax, span: float) -> None:
    """Ticks at whole numbers on the x axis: every one over up to 15, else a round step."""
    from matplotlib.ticker import MaxNLocator, MultipleLocator

    ax.xaxis.set_major_locator(
        MultipleLocator(1) if span <= 15 else MaxNLocator(integer=True, steps=[1, 2, 5, 10])
    )
