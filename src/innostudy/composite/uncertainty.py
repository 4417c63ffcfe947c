"""Monte Carlo uncertainty of a ranking: rank intervals over the index's uncertain choices.

Every draw's scores come from one matrix product per combination of choices (the shared engine
and its ``KERNELS``, in :mod:`innostudy.composite.engine`; Sobol sensitivity is in
:mod:`innostudy.composite.sensitivity`, both re-exported here from their old home); ranks are
kept per unit and draw (``units x draws``, 2 bytes each below 65,536 units), so memory grows
linearly in units: 10,000 units x 2,000 draws hold 40 MB of ranks, where a units x units
frequency table would need 800 MB (and its cumulative sum as much again).

>>> table, spec = simulated_table(n_units=10, n_indicators=4, seed=2)
>>> u = uncertainty(table, spec, n=200)
>>> u.rank_draws.shape, u.rank_draws.dtype.name
((10, 200), 'uint16')
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from innostudy.composite.base import (
    CompositeInputError,
    _names,
    _rank_rows,
)
from innostudy.composite.engine import KERNELS, _engine  # noqa: F401 - KERNELS re-exported
from innostudy.composite.sensitivity import (  # noqa: F401 - re-exported from their old home
    Sensitivity,
    sensitivity,
    sobol_indices,
)
from innostudy.composite.spec import IndexSpec
from innostudy.composite.tables import simulated_table  # noqa: F401 - used by the doctests
from innostudy.results import Result, Summary, axes, check_alpha, finish

CHUNK_CELLS = 4_000_000  # scores held at once (draws x units): 32 MB of float64
COUNT_CELLS = 1_000_000  # rank counts held at once (units x ranks): 8 MB of int64


def _rank_counts(by_draw: np.ndarray, columns: slice) -> np.ndarray:
    """For the units in ``columns`` of a draws x units rank matrix: how many draws gave each rank
    (one row per unit, column r = rank r, column 0 empty)."""
    block = by_draw[:, columns]
    width = by_draw.shape[1] + 1
    offsets = np.arange(block.shape[1], dtype=np.int64) * width
    counts = np.bincount((block + offsets).ravel(), minlength=block.shape[1] * width)
    return counts.reshape(block.shape[1], width)


def _blocks(by_draw: np.ndarray) -> list[slice]:
    """Slices of units whose draws fit in ``CHUNK_CELLS`` cells and rank counts in
    ``COUNT_CELLS`` at once."""
    draws, units = by_draw.shape
    size = max(1, min(CHUNK_CELLS // draws, COUNT_CELLS // (units + 1)))
    return [slice(start, start + size) for start in range(0, units, size)]


def _quantiles(by_draw, qs: Sequence[float], n: int, counts=None) -> list[np.ndarray]:
    """Per unit, the inverted-CDF quantiles of its ranks over the draws: an observed rank, the
    smallest that k = ceil(q x draws) draws reach; from per-unit rank histograms (``counts`` when
    they were kept, else counted a block of units at a time: memory linear in units)."""
    ks = [min(n, max(1, math.ceil(q * n - 1e-9))) for q in qs]
    units = len(counts) if counts is not None else by_draw.shape[1]
    out = [np.empty(units, dtype=np.int64) for _ in qs]
    blocks = [slice(None)] if counts is not None else _blocks(by_draw)
    for columns in blocks:
        held = counts if counts is not None else _rank_counts(by_draw, columns)
        cumulative = held.cumsum(axis=1)
        for values, k in zip(out, ks, strict=True):
            values[columns] = np.argmax(cumulative >= k, axis=1)
    return out


def _percent(q: float) -> str:
    return f"p{100 * q:02g}_rank"


class Uncertainty(Result):
    """Rank intervals from a Monte Carlo over the index's choices.

    ``ranks``: per unit nominal_rank, median_rank, p05_rank, p95_rank (5th/95th percentiles of the
    unit's rank over the draws, inverted-CDF definition); ``rank_draws``: each unit's rank in each
    draw (units x draws); ``frequencies``: units x ranks counts (computed when asked: it grows with
    units squared); ``draws``: each draw's weights, choices and mean absolute rank shift.
    """

    def __init__(self, units, nominal_ranks, draws, settings, simulated=False, *, by_draw=None,
                 sorted_draws=None, counts=None):  # fmt: skip
        self.units, self.draws, self._counts = units, draws, counts
        self._given, self._sorted_draws = by_draw, sorted_draws
        self.settings, self.simulated = settings, simulated
        self.nominal_ranks = np.asarray(nominal_ranks)
        self.ranks = self.tidy(0.1).set_index("entity_id")

    @functools.cached_property
    def _by_draw(self) -> np.ndarray:
        """Draws x units ranks; kept as (units by rank, their ranks) when counted in the loop."""
        if self._given is not None:
            return self._given
        order, ranks = self._sorted_draws
        by_draw = np.empty_like(order)
        np.put_along_axis(by_draw, order.astype(np.intp), ranks, axis=1)
        return by_draw

    @property
    def rank_draws(self) -> np.ndarray:
        """Each unit's rank in each draw, units x draws (a view of the draws x units matrix)."""
        return self._by_draw.T

    @property
    def frequencies(self) -> pd.DataFrame:
        """Units x ranks: how many draws put each unit at each rank (units squared cells: ask for
        it only where that fits)."""
        units = len(self.units)
        counts = (
            self._counts if self._counts is not None else _rank_counts(self._by_draw, slice(None))
        )
        counts = counts[:, 1:]
        columns = pd.RangeIndex(1, units + 1, name="rank")
        return pd.DataFrame(counts, index=self.units, columns=columns)

    def _headline(self) -> str:
        width = self.ranks["p95_rank"] - self.ranks["p05_rank"]
        return (
            f"{self.settings['n']:,} draws over {len(self.units)} units; median 90% rank "
            f"interval {width.median():.0f} places"
        )

    def tidy(self, alpha: float = 0.1) -> pd.DataFrame:
        """One row per unit: entity_id, nominal_rank, median_rank and the percentiles of the
        (1 - alpha) rank interval: ``alpha=0.1`` (the default, the JRC's 5th-95th) gives
        p05_rank and p95_rank, ``alpha=0.05`` p2.5_rank and p97.5_rank."""
        alpha = check_alpha(alpha)
        qs = (0.5, alpha / 2, 1 - alpha / 2)
        by_draw = self._by_draw if self._counts is None else None
        median, low, high = _quantiles(by_draw, qs, len(self.draws), self._counts)
        return pd.DataFrame(
            {"entity_id": self.units, "nominal_rank": self.nominal_ranks, "median_rank": median,
             _percent(qs[1]): low, _percent(qs[2]): high}
        )  # fmt: skip

    def summary(self, alpha: float = 0.1) -> Summary:
        tidy = self.tidy(alpha)
        low, high = tidy.columns[-2:]
        width = tidy[high] - tidy[low]
        s = self.settings
        header = [
            ("draws", s["n"]), ("seed", s["seed"]), ("units", len(tidy)),
            ("weights", s["weights"]), ("normalisations", _names(s["normalisations"])),
            ("aggregations", _names(s["aggregations"])),
            ("imputations", _names(s["imputations"])),
            (f"{1 - alpha:.0%} rank interval width, median", int(width.median())),
            (f"{1 - alpha:.0%} rank interval width, max", int(width.max())),
            ("mean absolute rank shift per draw", float(self.draws["mean_abs_rank_shift"].mean())),
        ]  # fmt: skip
        title = f"Uncertainty: {s['n']:,} draws over {len(tidy)} units"
        ranked = tidy.sort_values("nominal_rank").head(20)
        return Summary(title, header, [("rank intervals (first 20 by nominal rank)", ranked)],
                       simulated=self.simulated)  # fmt: skip

    def plot(self, ax=None, *, top: int | None = None, title: str | None = None):
        """Rank interval (5th-95th percentile), median and nominal rank per unit; returns Axes."""
        import seaborn as sns

        r = self.ranks.sort_values(["nominal_rank", "median_rank"]).iloc[:top]
        labels = r.index.astype(str)
        ax = axes(ax, figsize=(7, 0.2 * len(r) + 1.5))
        palette = sns.color_palette()
        ax.hlines(labels, r["p05_rank"], r["p95_rank"], color=palette[0], lw=2,
                  label="5th-95th percentile")  # fmt: skip
        ax.scatter(r["median_rank"], labels, color=palette[0], zorder=3, s=18, label="median")
        ax.scatter(r["nominal_rank"], labels, color=palette[3], marker="x", zorder=4, s=18,
                   label="nominal")  # fmt: skip
        ax.invert_yaxis()
        ax.set_xlabel("rank (1 = best)")
        ax.tick_params(axis="y", labelsize="small")
        ax.legend(fontsize="small", loc="upper right")
        return finish(ax, "Rank intervals" if title is None else title, self.simulated)


def uncertainty(
    table: pd.DataFrame,
    spec: IndexSpec | None = None,
    *,
    n: int = 10_000,
    seed: int = 0,
    weights: float | str = 0.25,
    concentration: float = 1.0,
    normalisations: Sequence[str] | None = None,
    aggregations: Sequence[str] | None = None,
    imputations: Sequence[str] | None = None,
    chunk_size: int = 2_000,
) -> Uncertainty:
    """Monte Carlo uncertainty analysis of a ranking: how far can each unit's rank move?

    Each draw perturbs the effective indicator weights (``weights``: a fraction x, each weight
    times a uniform number in [1 - x, 1 + x], renormalised; or "dirichlet", Dirichlet with mean the
    nominal weights and concentration ``concentration`` x number of indicators; a zero weight stays
    zero) and picks one of ``normalisations``, ``aggregations`` and ``imputations`` at random (each
    defaults to the spec's own). Draws are scored ``chunk_size`` at a time by one matrix product per
    combination of choices and ranked by one sort per draw; a chunk holds at most
    ``CHUNK_CELLS`` (draws x units) scores, so memory grows linearly in units; results do not
    depend on ``chunk_size``. Rank percentiles use the inverted-CDF definition (an observed rank).
    Each draw's scores are those :func:`build` would give, ranked by its rule: scores within
    ``RANK_RTOL`` x the largest one share the best rank, so identical units never part.

    >>> table, spec = simulated_table(n_units=10, n_indicators=4, seed=2)
    >>> u = uncertainty(table, spec, n=500, aggregations=("arithmetic", "topsis"))
    >>> list(u.tidy().columns)
    ['entity_id', 'nominal_rank', 'median_rank', 'p05_rank', 'p95_rank']
    """
    if n < 1 or chunk_size < 1:
        raise CompositeInputError(f"n={n} and chunk_size={chunk_size} must be positive")
    engine = _engine(table, spec, locals())
    rng = np.random.default_rng(seed)
    units = len(engine.units)
    chunk_size = max(1, min(chunk_size, CHUNK_CELLS // units))
    dtype = np.uint16 if units < 2**16 else np.uint32
    shift = np.empty(n)
    # Few units: every unit's rank histogram fits in COUNT_CELLS, so count while the ranks are hot
    # and keep each draw's order and ranks as sorted (units by rank); many units: keep each unit's
    # rank per draw, and count a block of units at a time at the end.
    counted = units * (units + 1) <= COUNT_CELLS
    if counted:
        counts = np.zeros(units * (units + 1), dtype=np.int64)
        orders, sorted_ranks = np.empty((n, units), dtype), np.empty((n, units), dtype)
    else:
        by_draw = np.empty((n, units), dtype)
    all_weights = np.empty((n, len(engine.w0)))
    all_codes = np.empty((n, 3), dtype=np.int64)
    for start in range(0, n, chunk_size):
        size = min(chunk_size, n - start)
        codes, w, scores = engine.score(rng.random((size, engine.dim)))
        order, ranks = _rank_rows(scores)
        del scores
        if counted:
            orders[start : start + size], sorted_ranks[start : start + size] = order, ranks
            counts += np.bincount((order * (units + 1) + ranks).ravel(), minlength=len(counts))
            shift[start : start + size] = np.abs(ranks - engine.nominal_ranks[order]).mean(axis=1)
        else:
            block = by_draw[start : start + size]
            np.put_along_axis(block, order, ranks, axis=1)
            shift[start : start + size] = np.abs(block - engine.nominal_ranks).mean(axis=1)
        all_weights[start : start + size], all_codes[start : start + size] = w, codes
    draws = pd.DataFrame(all_weights, columns=engine.indicators)
    for slot, (name, options) in enumerate(
        (
            ("normalise", engine.normalisations),
            ("aggregate", engine.aggregations),
            ("impute", engine.imputations),
        )
    ):
        draws[name] = pd.Categorical.from_codes(all_codes[:, slot], categories=list(options))
    draws["mean_abs_rank_shift"] = shift
    settings = {
        "n": n, "seed": seed, "weights": weights, "concentration": concentration,
        "normalisations": engine.normalisations, "aggregations": engine.aggregations,
        "imputations": engine.imputations,
    }  # fmt: skip
    kept = (
        {"counts": counts.reshape(units, units + 1), "sorted_draws": (orders, sorted_ranks)}
        if counted
        else {"by_draw": by_draw}
    )
    return Uncertainty(engine.units, engine.nominal_ranks, draws, settings,
                       simulated=engine.nominal.simulated, **kept)  # fmt: skip
