"""One figure for the referee's question: do the staggered-robust event studies agree with TWFE?

:func:`compare_event_studies` overlays the effects by year relative to treatment of a TWFE
event study, Sun-Abraham, the imputation estimator and Callaway-Sant'Anna's dynamic
aggregate, each with its intervals, side by side at each relative year, the common reference
year -1 marked. What would mislead is said in the legend: a TWFE event study's binned end
points (hollow) pool several years, and a Callaway-Sant'Anna aggregate with the varying base
period has year-on-year leads (use ``att_gt(..., base_period="universal")`` to compare them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from innostudy.policy._results import whole_ticks
from innostudy.policy.callaway import Aggregate
from innostudy.policy.honest import binned_ends
from innostudy.policy.imputation import ImputationResult
from innostudy.policy.panel import PanelError
from innostudy.policy.regression import EventStudyResult
from innostudy.policy.sunab import SunAbrahamResult
from innostudy.results import axes, finish

LABELS = {EventStudyResult: "TWFE event study", SunAbrahamResult: "Sun-Abraham",
          ImputationResult: "imputation (BJS)", Aggregate: "Callaway-Sant'Anna"}  # fmt: skip


def dynamic_effects(result, alpha: float = 0.05) -> pd.DataFrame:
    """``rel_time, estimate, conf_low, conf_high`` of an event-study-like result (one row per
    relative year; the overall rows left out)."""
    table = result.tidy(alpha)
    if isinstance(result, EventStudyResult):
        table = table[table["in_window"] & table["estimate"].notna()]
    elif isinstance(result, Aggregate):
        if result.kind != "dynamic":
            raise PanelError(f"need the dynamic aggregate of att_gt, got {result.kind!r}")
        table = table.iloc[1:].rename(columns={"level": "rel_time"})
    elif isinstance(result, SunAbrahamResult | ImputationResult):
        table = table.iloc[1:]
    else:
        raise PanelError(f"not an event-study result: {type(result).__name__} (expected one of "
                         f"{', '.join(c.__name__ for c in LABELS)})")  # fmt: skip
    return table[["rel_time", "estimate", "conf_low", "conf_high"]].reset_index(drop=True)


def _caveat(result, binned: bool) -> str:
    """What a reader must know before comparing a result's points with the others'."""
    if binned:
        return " (hollow: end points pooling the years beyond)"
    if isinstance(result, Aggregate) and result.result.base_period != "universal":
        return " (leads: year-on-year, varying base)"
    return ""


def compare_event_studies(results, ax=None, *, alpha: float = 0.05, title: str | None = None,
                          window: tuple[int, int] | None = None):  # fmt: skip
    """Overlay event-study estimates with their intervals; ``results`` a list of results or a
    dict label → result (labels by default from the estimator); ``window`` keeps the relative
    years from ``window[0]`` to ``window[1]`` (Callaway-Sant'Anna's aggregate has every one).
    Returns the Axes.

    >>> from innostudy.policy import (Panel, event_study, imputation, simulate_panel,
    ...                               sun_abraham)
    >>> panel = Panel(simulate_panel(n_units=80, years=range(2014, 2021),
    ...                              cohorts={2017: 20, 2019: 20}, seed=1), "unit", "year", "cohort")
    >>> ax = compare_event_studies([event_study(panel, "y", window=(-3, 2)),
    ...                             sun_abraham(panel, "y"), imputation(panel, "y")])
    >>> [t.get_text() for t in ax.get_legend().get_texts()]  # doctest: +NORMALIZE_WHITESPACE
    ['TWFE event study (hollow: end points pooling the years beyond)', 'Sun-Abraham',
     'imputation (BJS)', 'reference year (-1)']
    """
    items = list(results.items()) if isinstance(results, dict) else [
        (LABELS.get(type(r), type(r).__name__), r) for r in results
    ]  # fmt: skip
    if not items:
        raise ValueError("compare_event_studies needs at least one result")
    ax = axes(ax, figsize=(8, 4.5))
    width = 0.6 / len(items)
    for i, (label, result) in enumerate(items):
        table = dynamic_effects(result, alpha)
        if window is not None:
            table = table[table["rel_time"].between(*window)].reset_index(drop=True)
        x = table["rel_time"].to_numpy(float) + (i - (len(items) - 1) / 2) * width
        err = np.vstack([table.estimate - table.conf_low, table.conf_high - table.estimate])
        binned = np.isin(table["rel_time"], binned_ends(result))
        ax.errorbar(x, table.estimate, yerr=err, fmt="o", ms=4, capsize=2, color=f"C{i}",
                    label=label + _caveat(result, binned.any()))  # fmt: skip
        ax.plot(x[binned], table.estimate[binned], "o", ms=5, mfc="white", color=f"C{i}",
                zorder=3)  # fmt: skip
    ax.plot([-1], [0], "o", ms=5, mfc="white", color="grey", label="reference year (-1)")
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(-0.5, color="grey", ls=":", lw=0.8)
    low, high = ax.get_xlim()
    whole_ticks(ax, high - low)
    ax.set(xlabel="years relative to treatment",
           ylabel=f"effect ({1 - alpha:.0%} intervals)")  # fmt: skip
    handles, labels = ax.get_legend_handles_labels()  # the reference year last
    ax.legend(handles[1:] + handles[:1], labels[1:] + labels[:1], fontsize=8, loc="best")
    y = getattr(items[0][1], "y", None) or getattr(getattr(items[0][1], "result", None), "y", "")
    simulated = any(bool(r.simulated) for _, r in items)
    return finish(ax, f"Event studies compared: {y}" if title is None else title, simulated)
