"""Pieces every policy result shares: the coefficient table, the Wald test, the simulated banner."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SIMULATED = "SIMULATED DATA"


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


@dataclass(frozen=True)
class WaldTest:
    """A joint test that several coefficients are zero: ``statistic`` ~ F(df, df_denom) or chi²(df)."""

    statistic: float
    df: int
    pvalue: float
    df_denom: int | None = None

    @classmethod
    def of(cls, estimate, vcov, df_denom: int | None = None) -> WaldTest:
        """Wald test of ``estimate == 0`` given its covariance; F form when ``df_denom`` is given."""
        from scipy import stats

        b = np.asarray(estimate, float)
        chi2 = float(b @ np.linalg.solve(np.asarray(vcov, float), b))
        q = len(b)
        if df_denom is None:
            return cls(chi2, q, float(stats.chi2.sf(chi2, q)))
        return cls(chi2 / q, q, float(stats.f.sf(chi2 / q, q, df_denom)), df_denom)

    def __str__(self) -> str:
        law = f"F({self.df}, {self.df_denom})" if self.df_denom else f"chi2({self.df})"
        return f"{law} = {self.statistic:.3f}, p = {self.pvalue:.4f}"


class Result:
    """Base of the result objects: knows whether its data were simulated and labels outputs."""

    simulated: bool = False

    def _label(self, table: pd.DataFrame) -> pd.DataFrame:
        if self.simulated:
            table = table.assign(simulated=True)
        return table

    def _title(self, title: str) -> str:
        return f"{title} [{SIMULATED}]" if self.simulated else title

    def __repr__(self) -> str:
        return self.summary()

    def summary(self) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError


def banner(ax, simulated: bool) -> None:
    """Stamp "SIMULATED DATA" across the top of the figure holding ``ax`` when simulated."""
    if simulated:
        ax.figure.text(0.5, 0.995, SIMULATED, ha="center", va="top", color="crimson",
                       fontsize=11, fontweight="bold")  # fmt: skip


def coefficient_plot(table: pd.DataFrame, x: str, ax=None, *, xlabel: str, title: str,
                     simulated: bool, reference: float | None = 0.0):  # fmt: skip
    """Point estimates with confidence intervals against ``x`` (a numeric column of ``table``)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    err = np.vstack([table["estimate"] - table["conf_low"], table["conf_high"] - table["estimate"]])
    ax.errorbar(table[x], table["estimate"], yerr=err, fmt="o", capsize=3, color="C0")
    if reference is not None:
        ax.axhline(reference, color="grey", lw=0.8)
    ax.set(xlabel=xlabel, ylabel="estimate", title=title)
    banner(ax, simulated)
    return ax
