"""Monte Carlo uncertainty and Sobol sensitivity of a ranking.

Every draw's scores come from one matrix product per combination of choices (the :data:`KERNELS`
registry: a function ``(treated, spec, where) -> (weights matrix -> scores)`` per aggregation);
ranks are kept per unit and draw (``units x draws``, 2 bytes each below 65,536 units), so memory
grows linearly in units: 10,000 units x 2,000 draws hold 40 MB of ranks, where a units x units
frequency table would need 800 MB (and its cumulative sum as much again).

>>> table, spec = simulated_table(n_units=10, n_indicators=4, seed=2)
>>> u = uncertainty(table, spec, n=200)
>>> u.rank_draws.shape, u.rank_draws.dtype.name
((10, 200), 'uint16')
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from innostudy.composite.aggregation import _topsis_matrix
from innostudy.composite.base import (
    CompositeInputError,
    Registry,
    _direction_array,
    _fail,
    _names,
    _rank_rows,
    _require_complete,
    _require_varying,
)
from innostudy.composite.normalisation import NORMALISATIONS
from innostudy.composite.pipeline import _Log, _normalised, _run, build
from innostudy.composite.spec import IndexSpec
from innostudy.composite.tables import simulated_table  # noqa: F401 - used by the doctests
from innostudy.composite.treatment import IMPUTATIONS
from innostudy.results import Result, Summary, axes, check_alpha, finish

CHUNK_CELLS = 4_000_000  # scores held at once (draws x units): 32 MB of float64
COUNT_CELLS = 1_000_000  # rank counts held at once (units x ranks): 8 MB of int64
KERNELS = Registry("aggregation scored by matrix products in the Monte Carlo")


def _treated(table: pd.DataFrame, spec: IndexSpec) -> pd.DataFrame:
    return _run({"data": table}, spec, None, ["screen", "impute", "outliers"])["outliers"]


def _mean_arrays(treated, spec, where, log_values: bool):
    normalised = _normalised(treated, spec, _Log())
    x = normalised.to_numpy(dtype=float)
    present = ~np.isnan(x)
    if log_values:
        bad = list(normalised.columns[(normalised <= 0).any()])
        _fail(
            [f"{where}: indicator(s) {_names(bad)} have values <= 0 (use minmax_range=(1, 100))"]
            if bad else [],
            "a geometric mean needs positive values",
        )  # fmt: skip
        x = np.log(np.where(present, x, 1.0))
    values = np.where(present, x, 0.0).T.copy()
    if present.all():
        return lambda w: w @ values
    shares = present.T.astype(float)
    return lambda w: (w @ values) / (w @ shares)


@KERNELS("arithmetic")
def _arithmetic_kernel(treated, spec, where):
    return _mean_arrays(treated, spec, where, log_values=False)


@KERNELS("geometric")
def _geometric_kernel(treated, spec, where):
    mean = _mean_arrays(treated, spec, where, log_values=True)
    return lambda w: np.exp(mean(w))


@KERNELS("topsis")
def _topsis_kernel(treated, spec, where):
    _require_complete(treated, f"TOPSIS ({where})")
    _require_varying(treated, f"TOPSIS ({where})")
    d = _direction_array(spec.directions, treated.columns)
    r = _topsis_matrix(treated.to_numpy(dtype=float), d, spec.topsis_normalise)
    to_best, to_worst = ((r - r.max(axis=0)) ** 2).T.copy(), ((r - r.min(axis=0)) ** 2).T.copy()

    def closeness(w):  # TOPSIS closeness, as build() scores it
        squared = w**2
        to_ideal, to_anti = np.sqrt(squared @ to_best), np.sqrt(squared @ to_worst)
        return to_anti / (to_ideal + to_anti)

    return closeness


class _Engine:
    """The index precomputed for every combination of choices, so that a batch of draws (uniform
    numbers, one column per uncertain input) is scored by one matrix product per combination."""

    def __init__(
        self, table, spec, *, weights, concentration, normalisations, aggregations, imputations
    ):
        spec = spec or IndexSpec()
        if spec.year in table.columns:
            raise CompositeInputError(
                "uncertainty and sensitivity work on one year; select one of "
                f"{_names(table[spec.year].unique())}"
            )
        self.normalisations = tuple(normalisations or (spec.normalise,))
        self.aggregations = tuple(aggregations or (spec.aggregate,))
        self.imputations = tuple(imputations or (spec.impute,))
        problems = [
            f"{what} option {value!r} is not one of {_names(allowed)}"
            for what, values, allowed in (
                ("normalisation", self.normalisations, NORMALISATIONS),
                ("aggregation", self.aggregations, KERNELS),
                ("imputation", self.imputations, IMPUTATIONS),
            )
            for value in values
            if value not in allowed
        ]
        if not (weights == "dirichlet" or (isinstance(weights, (int, float)) and 0 <= weights < 1)):
            problems.append(f"weights={weights!r} is not 'dirichlet' nor a fraction in [0, 1)")
        _fail(problems, "invalid uncertainty options")
        self.noise, self.concentration = weights, concentration
        self.nominal = build(table, spec)
        self.units = self.nominal.scores.index
        self.indicators = self.nominal.weights.index
        self.w0 = self.nominal.weights.to_numpy()
        self.nominal_ranks = self.nominal.ranks.to_numpy()
        self.kernels = {}
        for imputation in self.imputations:
            treated = (
                self.nominal.treated
                if imputation == spec.impute
                else _treated(table, spec.replace(impute=imputation))
            )
            for aggregation in self.aggregations:
                for normalisation in self.normalisations:
                    choice = spec.replace(
                        impute=imputation, aggregate=aggregation, normalise=normalisation
                    )
                    self.kernels[normalisation, aggregation, imputation] = self._kernel(
                        treated, choice
                    )
        self.factors = {}
        column = 0
        if weights == "dirichlet" or weights > 0:
            self.factors["weights"] = list(range(len(self.w0)))
            column = len(self.w0)
        for name, options in (
            ("normalisation", self.normalisations),
            ("aggregation", self.aggregations),
            ("imputation", self.imputations),
        ):
            if len(options) > 1:
                self.factors[name] = [column]
                column += 1
        self.dim = column

    def _kernel(self, treated, spec):
        """A function turning a weights matrix (draws x indicators) into scores (draws x units)."""
        where = f"{spec.normalise} + {spec.aggregate} + impute {spec.impute}"
        return KERNELS.get(spec.aggregate)(treated, spec, where)

    def weights(self, u: np.ndarray) -> np.ndarray:
        """Uniforms (draws x indicators) -> weights around the nominal ones, rows summing to one."""
        if "weights" not in self.factors:
            return np.broadcast_to(self.w0, (len(u), len(self.w0)))
        if self.noise == "dirichlet":
            from scipy.special import gammaincinv

            alpha = self.concentration * len(self.w0) * self.w0
            draws = np.where(alpha > 0, gammaincinv(np.where(alpha > 0, alpha, 1.0), u), 0.0)
        else:
            draws = self.w0 * (1 + self.noise * (2 * u - 1))
        return draws / draws.sum(axis=1, keepdims=True)

    def choices(self, u: np.ndarray) -> np.ndarray:
        """Uniforms -> option codes (draws x 3: normalisation, aggregation, imputation)."""
        codes = np.zeros((len(u), 3), dtype=np.int64)
        for slot, (name, options) in enumerate(
            (
                ("normalisation", self.normalisations),
                ("aggregation", self.aggregations),
                ("imputation", self.imputations),
            )
        ):
            if name in self.factors:
                column = self.factors[name][0]
                codes[:, slot] = np.minimum(
                    (u[:, column] * len(options)).astype(np.int64), len(options) - 1
                )
        return codes

    def score(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Uniforms (draws x dim) -> (option codes, weights, scores draws x units)."""
        columns = self.factors.get("weights", [])
        w = self.weights(u[:, columns]) if columns else self.weights(u[:, :0])
        codes = self.choices(u)
        if (codes == codes[:1]).all():
            return codes, w, self._scores(codes[0], w)
        combos, which = np.unique(codes, axis=0, return_inverse=True)
        scores = np.empty((len(u), len(self.units)))
        for c, combo in enumerate(combos):
            rows = which.ravel() == c
            scores[rows] = self._scores(combo, w[rows])
        return codes, w, scores

    def _scores(self, combo, w: np.ndarray) -> np.ndarray:
        """One combination of choices: weights (draws x indicators) -> scores (draws x units)."""
        n_i, a_i, i_i = combo
        key = self.normalisations[n_i], self.aggregations[a_i], self.imputations[i_i]
        return self.kernels[key](w)

    def rank_shift(self, u: np.ndarray, chunk_size: int) -> np.ndarray:
        """Mean absolute rank shift from the nominal ranks, per draw."""
        out = np.empty(len(u))
        for start in range(0, len(u), chunk_size):
            _, _, scores = self.score(u[start : start + chunk_size])
            order, ranks = _rank_rows(scores)
            out[start : start + chunk_size] = np.abs(ranks - self.nominal_ranks[order]).mean(axis=1)
        return out


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
    engine = _Engine(
        table, spec, weights=weights, concentration=concentration, normalisations=normalisations,
        aggregations=aggregations, imputations=imputations,
    )  # fmt: skip
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


def sobol_indices(
    func: Callable[[np.ndarray], np.ndarray],
    groups: Mapping[str, Sequence[int]] | int,
    *,
    n: int = 1024,
    seed: int = 0,
    n_bootstrap: int = 200,
    samples: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """First-order and total Sobol indices of ``func`` over independent uniform inputs on [0, 1).

    ``func`` maps a (rows x inputs) array to one output per row; ``groups`` names sets of input
    columns treated as one factor (an int k means k single inputs x1..xk). Uses two scrambled
    Sobol' matrices A and B of ``n`` rows (rounded up to a power of two), or the two given as
    ``samples`` (e.g. the A and B rows of SALib's ``sobol.sample``), and one matrix AB per factor
    with that factor's columns taken from B. The estimators are SALib's ``sobol.analyze``: every
    output is first centred on the mean of all evaluations (A, B and every AB), which makes the
    first-order estimate markedly less noisy; first order by Saltelli et al. (2010),
    mean(f_B (f_AB - f_A)) / V; total by Jansen (1999), mean((f_A - f_AB)^2) / 2V; V the variance
    (divisor 2n) of f_A and f_B together. 95 % intervals: percentiles of ``n_bootstrap`` seeded
    bootstrap resamples of the rows (SALib instead reports a normal-approximation half-width).

    >>> def ishigami(u):
    ...     x = np.pi * (2 * u - 1)
    ...     return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    >>> s = sobol_indices(ishigami, 3, n=4096)
    >>> bool(np.allclose(s["first_order"], [0.314, 0.442, 0.0], atol=0.05))
    True
    >>> bool(np.allclose(s["total"], [0.558, 0.442, 0.244], atol=0.05))
    True
    """
    from scipy.stats import qmc

    if isinstance(groups, int):
        groups = {f"x{i + 1}": [i] for i in range(groups)}
    if not groups:
        raise CompositeInputError("no factor varies: nothing to attribute")
    dim = max(max(columns) for columns in groups.values()) + 1
    if samples is None:
        base = qmc.Sobol(d=2 * dim, scramble=True, seed=seed).random_base2(
            max(1, math.ceil(math.log2(n)))
        )
        a, b = base[:, :dim], base[:, dim:]
    else:
        a, b = (np.asarray(m, dtype=float) for m in samples)
        if a.shape != b.shape or a.ndim != 2 or a.shape[1] < dim or len(a) < 2:
            raise CompositeInputError(
                f"samples must be two matrices of the same shape (rows x {dim}+ inputs), "
                f"not {a.shape} and {b.shape}"
            )
    f_ab = {}
    for name, columns in groups.items():
        mixed = a.copy()
        mixed[:, columns] = b[:, columns]
        f_ab[name] = func(mixed)
    f_a, f_b = func(a), func(b)
    centre = np.mean(np.concatenate([f_a, f_b, *f_ab.values()]))
    f_a, f_b = f_a - centre, f_b - centre
    f_ab = {name: values - centre for name, values in f_ab.items()}
    if np.var(np.concatenate([f_a, f_b])) == 0:
        raise CompositeInputError(
            "the output does not vary over the draws: Sobol indices undefined"
        )

    def estimate(rows):
        fa, fb = f_a[rows], f_b[rows]
        variance = np.var(np.concatenate([fa, fb], axis=-1), axis=-1)
        first = {k: np.mean(fb * (v[rows] - fa), axis=-1) / variance for k, v in f_ab.items()}
        total = {k: 0.5 * np.mean((fa - v[rows]) ** 2, axis=-1) / variance for k, v in f_ab.items()}
        return first, total

    first, total = estimate(np.arange(len(a)))
    resamples = np.random.default_rng(seed).integers(0, len(a), size=(n_bootstrap, len(a)))
    boot_first, boot_total = estimate(resamples)
    return pd.DataFrame(
        {
            "factor": list(groups),
            "first_order": [first[k] for k in groups],
            "first_order_low": [np.percentile(boot_first[k], 2.5) for k in groups],
            "first_order_high": [np.percentile(boot_first[k], 97.5) for k in groups],
            "total": [total[k] for k in groups],
            "total_low": [np.percentile(boot_total[k], 2.5) for k in groups],
            "total_high": [np.percentile(boot_total[k], 97.5) for k in groups],
        }
    )


class Sensitivity(Result):
    """Sobol indices of the mean absolute rank shift: which choice moves the ranking most."""

    def __init__(self, indices: pd.DataFrame, settings: dict, simulated: bool = False):
        self.indices, self.settings, self.simulated = indices, settings, simulated

    def _headline(self) -> str:
        top = self.indices.sort_values("total", ascending=False).iloc[0]
        return (
            f"{self.settings['evaluations']:,} evaluations; largest total Sobol index "
            f"{top['total']:.3f} ({top['factor']})"
        )

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per factor: first_order and total indices with 95 % bootstrap intervals."""
        check_alpha(alpha)
        return self.indices.copy()

    def summary(self, alpha: float = 0.05) -> Summary:
        check_alpha(alpha)
        s = self.settings
        title = f"Sensitivity of the mean absolute rank shift: {s['evaluations']:,} evaluations"
        return Summary(title, [("seed", s["seed"]), ("n", s["n"])], [self.indices],
                       ["intervals: 2.5th-97.5th percentiles of bootstrap resamples"],
                       simulated=self.simulated)  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None):
        """First-order and total index per factor, as bars. Returns the Axes."""
        import seaborn as sns

        long = self.indices.melt(
            id_vars="factor", value_vars=["first_order", "total"], var_name="index"
        )
        ax = axes(ax, figsize=(6, 0.6 * len(self.indices) + 1.5))
        sns.barplot(data=long, y="factor", x="value", hue="index", ax=ax)
        ax.set_xlabel("Sobol index of the mean absolute rank shift")
        ax.set_ylabel("")
        return finish(ax, "Sobol indices" if title is None else title, self.simulated)


def sensitivity(
    table: pd.DataFrame,
    spec: IndexSpec | None = None,
    *,
    n: int = 1024,
    seed: int = 0,
    weights: float | str = 0.25,
    concentration: float = 1.0,
    normalisations: Sequence[str] | None = None,
    aggregations: Sequence[str] | None = None,
    imputations: Sequence[str] | None = None,
    chunk_size: int = 2_000,
) -> Sensitivity:
    """Which choice moves the ranking most? First-order and total Sobol indices of the mean absolute
    rank shift (from the nominal ranking) for each uncertain input of :func:`uncertainty`: the
    weights (one group), the normalisation, the aggregation and the imputation (those with more than
    one option). Costs ``n`` x (number of factors + 2) evaluations. Estimators as
    :func:`sobol_indices` (SALib's: centred outputs); rank shifts use the ties of :func:`uncertainty`.

    >>> table, spec = simulated_table(n_units=10, n_indicators=4, seed=2)
    >>> s = sensitivity(table, spec, n=256, normalisations=("minmax", "rank"))
    >>> s.tidy()["factor"].tolist()
    ['weights', 'normalisation']
    """
    engine = _Engine(
        table, spec, weights=weights, concentration=concentration, normalisations=normalisations,
        aggregations=aggregations, imputations=imputations,
    )  # fmt: skip
    indices = sobol_indices(
        lambda u: engine.rank_shift(u, chunk_size), engine.factors, n=n, seed=seed
    )
    evaluations = 2 ** max(1, math.ceil(math.log2(n))) * (len(engine.factors) + 2)
    settings = {"n": n, "seed": seed, "evaluations": evaluations}
    return Sensitivity(indices, settings, simulated=engine.nominal.simulated)
