"""Goodman-Bacon (2021) decomposition of the TWFE estimate into 2×2 difference-in-differences.

In a balanced panel without controls the TWFE coefficient is a weighted average of every 2×2
comparison between a timing cohort and the never treated, an earlier and a later cohort (before
the later one is treated), and a later and an earlier cohort (after the earlier one is treated,
which uses already-treated units as controls: the comparison that biases TWFE when effects
change over time). Each weight is the 2×2 sample's squared share of the observations times the
variance of its two-way demeaned treatment, over that variance in the full panel; the weights
sum to one and reproduce the TWFE estimate exactly.

Reference: Goodman-Bacon (2021), J. Econometrics 225(2), Theorem 1.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from innostudy.policy._results import Result
from innostudy.policy.panel import Panel, PanelError, _listing
from innostudy.results import Summary, axes, check_alpha, finish, format_value, in_order

TYPES = ("treated vs never treated", "earlier vs later treated", "later vs earlier treated")


def _two_way_demean(values: np.ndarray) -> np.ndarray:
    return values - values.mean(axis=1, keepdims=True) - values.mean(axis=0) + values.mean()


class BaconResult(Result):
    """The 2×2 comparisons (``.tidy()``), their totals by type and the TWFE estimate."""

    def __init__(self, table, estimate, *, y, simulated, dropped=()):
        self.table, self.estimate, self.y, self.simulated = table, estimate, y, simulated
        self.dropped = list(dropped)

    def by_type(self) -> pd.DataFrame:
        """Total weight and weighted average 2×2 estimate per comparison type."""
        grouped = self.table.assign(product=self.table.estimate * self.table.weight)
        grouped = grouped.groupby("type", sort=False)[["weight", "product"]].sum()
        grouped["estimate"] = grouped.pop("product") / grouped["weight"]
        return self._label(grouped.reset_index())

    def _headline(self) -> str:
        subset = " (balanced subset)" if self.dropped else ""
        return (f"TWFE{subset} {self.estimate:.3f} of {self.y} = weighted mean of "
                f"{len(self.table)} 2×2 comparisons")  # fmt: skip

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per 2×2 comparison (``term`` names it); no standard errors, so no intervals
        (``alpha`` is checked and otherwise unused)."""
        check_alpha(alpha)
        t = self.table
        terms = t["type"] + ": " + t["treated"].astype(str) + " vs " + t["control"].astype(str)
        return self._label(in_order(self.table.assign(term=terms)))

    def summary(self, alpha: float = 0.05) -> Summary:
        check_alpha(alpha)
        notes = (
            [f"balanced subset: {len(self.dropped)} unit(s) not observed every year dropped: "
             f"{_listing(map(repr, self.dropped))}"] if self.dropped else []
        )  # fmt: skip
        return Summary(
            f"Goodman-Bacon decomposition of the TWFE estimate for {self.y}",
            [
                (
                    "TWFE estimate",
                    f"{format_value(self.estimate)} = sum of weight × 2×2 estimate"
                    + (
                        ", on the balanced subset: not the TWFE on every unit"
                        if self.dropped
                        else ""
                    ),
                )
            ],  # fmt: skip
            [("by type", self.by_type().drop(columns="simulated", errors="ignore"))],
            notes,
            simulated=self.simulated,
        )

    def plot(self, ax=None, *, title: str | None = None):
        """Each 2×2 estimate against its weight, coloured by type; TWFE as a dashed line."""
        ax = axes(ax)
        for i, kind in enumerate(TYPES):
            part = self.table[self.table["type"] == kind]
            if len(part):
                ax.scatter(part.weight, part.estimate, label=kind, color=f"C{i}")
        ax.axhline(self.estimate, color="grey", ls="--", lw=1,
                   label=f"TWFE {format_value(self.estimate)}")  # fmt: skip
        ax.set(xlabel="weight", ylabel="2×2 estimate")
        ax.legend(fontsize=8)
        title = f"Bacon decomposition: {self.y}" if title is None else title
        return finish(ax, title, self.simulated)


def bacon(panel: Panel, y: str, balance: bool = True) -> BaconResult:
    """Decompose the TWFE estimate of ``y`` (balanced panel, no controls) into 2×2 comparisons.

    The decomposition needs every unit in every year. With missing cells and ``balance=True``
    it runs on the balanced subset (the units observed in every year of the sample), names the
    units dropped in a warning and in ``.dropped``, and says so in the summary; the estimate
    is then TWFE on that subset. With ``balance=False`` missing cells are refused. A design
    TWFE cannot estimate (no treated unit-years left, a treatment that varies only by year)
    is refused, never reported as NaN.

    >>> from innostudy.policy import Panel, bacon, simulate_panel
    >>> panel = Panel(simulate_panel(seed=1), "unit", "year", "cohort")
    >>> round(float(bacon(panel, "y").table["weight"].sum()), 10)
    1.0
    """
    if panel.cohort_column is None:
        raise PanelError("the Bacon decomposition needs a panel with a cohort column")
    sample = panel.sample(y)
    periods = sample.periods
    Y = sample.wide(y)
    gaps = ~np.isfinite(Y).all(axis=1)
    dropped = list(sample.unit_labels[gaps])
    if gaps.any() and not balance:
        raise PanelError(
            "the Bacon decomposition needs a balanced panel; unit(s) missing years: "
            + _listing(map(repr, dropped))
            + " — pass balance=True to use the units observed in every year"
        )
    if gaps.any():
        warnings.warn(
            f"bacon: the decomposition needs a balanced panel; using the {int((~gaps).sum())} "
            f"units observed in every year, dropped {len(dropped)}: {_listing(map(repr, dropped))}",
            UserWarning,
            stacklevel=2,
        )
    Y, G = Y[~gaps], sample.cohort[~gaps]
    D = (periods[None, :] >= G[:, None]).astype(float)
    full = _two_way_demean(D)
    variance = np.mean(full**2)
    if len(Y) == 0 or not D.any() or variance <= 1e-12 * max(D.mean(), 1e-300):
        raise PanelError(
            "the Bacon decomposition has nothing to decompose: "
            + ("no unit is observed in every year" if len(Y) == 0 else
               "the treatment does not vary beyond unit and year effects (no treated "
               "unit-years, or every unit treated in the same year)")
        )  # fmt: skip
    estimate = float(np.sum(full * Y) / np.sum(full**2))

    def two_by_two(units, years):
        d, yy = D[np.ix_(units, years)], Y[np.ix_(units, years)]
        dd = _two_way_demean(d)
        share = d.size / D.size
        return float(np.sum(dd * yy) / np.sum(dd**2)), share**2 * np.mean(dd**2) / variance

    rows = []
    cohorts = np.unique(G[np.isfinite(G)])
    everything = np.ones(len(periods), bool)
    for k in cohorts:
        if np.isinf(G).any():
            rows.append((TYPES[0], k, "never", *two_by_two((G == k) | np.isinf(G), everything)))
        for l in cohorts[cohorts > k]:  # noqa: E741 - k and l as in Goodman-Bacon (2021)
            pair = (G == k) | (G == l)
            rows.append((TYPES[1], k, int(l), *two_by_two(pair, periods < l)))
            rows.append((TYPES[2], l, int(k), *two_by_two(pair, periods >= k)))
    table = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight"])
    table["treated"] = table["treated"].astype(int)
    return BaconResult(table, estimate, y=y, simulated=panel.simulated, dropped=dropped)
