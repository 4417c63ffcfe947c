"""What every step of a composite index shares: the error, checks that name every problem at once,
exact rescaling against overflow, ranks with ties, and the registries that find methods by name.

A registry maps a method's name to its function; a new method is one function and one decorator:

>>> demo = Registry("demo method")
>>> @demo("twice")
... def _twice(x):
...     return 2 * x
>>> demo.get("twice")(3), "twice" in demo, list(demo)
(6, True, ['twice'])
>>> demo.get("thrice")
Traceback (most recent call last):
...
innostudy.composite.base.CompositeInputError: demo method 'thrice' is not one of twice
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from innostudy.errors import InnostudyError

RANK_RTOL = 1e-12  # scores closer than this x the largest absolute score share a rank


class Registry(dict):
    """Name -> function for one kind of method (normalisation, weighting, aggregation, ...).

    Calling the registry with a name gives a decorator that registers the function under it; the
    registry is also a read-only-by-convention dict, so ``name in registry`` and ``list(registry)``
    give the available methods.
    """

    def __init__(self, what: str):
        super().__init__()
        self.what = what

    def __call__(self, name: str) -> Callable:
        def register(func: Callable) -> Callable:
            self[name] = func
            return func

        return register

    def get(self, name):
        if name not in self:
            raise CompositeInputError(f"{self.what} {name!r} is not one of {_names(self)}")
        return self[name]


class CompositeInputError(InnostudyError, ValueError):
    """Input a composite index cannot be built from; the message names every offending item."""


def _fail(problems: Sequence[str], what: str = "cannot build the composite index") -> None:
    """Raise one error listing every problem, or return if there is none."""
    if problems:
        raise CompositeInputError("\n  - ".join([f"{what}:", *problems]))


def _names(items, limit: int = 12) -> str:
    items = [str(item) for item in items]
    shown = ", ".join(items[:limit])
    return shown + (f" (and {len(items) - limit} more)" if len(items) > limit else "")


def _plain_mapping(value):
    """dict/Series/codebook DataFrame -> dict (so specs compare and print plainly); None stays."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, pd.DataFrame):
        missing = {"indicator_id", "direction"} - set(value.columns)
        if missing:
            raise CompositeInputError(
                f"a codebook given as directions needs columns indicator_id and direction; "
                f"missing: {_names(sorted(missing))}"
            )
        return dict(zip(value["indicator_id"], value["direction"], strict=True))
    return dict(value.items())


# --------------------------------------------------------------------------------------------------
# Directions, weights, checks


def _direction_array(directions, indicators) -> np.ndarray:
    """+1/-1 per indicator, in column order; every missing or invalid direction named at once."""
    mapping = _plain_mapping(directions) or {}
    problems = _direction_problems(mapping, indicators)
    _fail(problems, "directions do not fit the indicators")
    return np.array([int(mapping[name]) for name in indicators], dtype=float)


def _direction_problems(mapping: Mapping, indicators) -> list[str]:
    missing = [name for name in indicators if name not in mapping]
    problems = [f"no direction for indicator(s) {_names(missing)}"] if missing else []
    neutral = [name for name in indicators if name in mapping and mapping[name] == 0]
    if neutral:
        problems.append(
            f"indicator(s) {_names(neutral)} have direction 0 (neutral): a neutral indicator "
            "cannot enter an index; drop it or give it +1 or -1"
        )
    invalid = [
        f"{name}={mapping[name]!r}"
        for name in indicators
        if name in mapping and mapping[name] != 0 and mapping[name] not in (1, -1)
    ]
    if invalid:
        problems.append(f"directions must be +1 or -1, not {_names(invalid)}")
    return problems


def _weight_problems(weights: Mapping, names, what: str = "indicator") -> list[str]:
    names = list(names)
    missing = [name for name in names if name not in weights]
    unknown = [name for name in weights if name not in names]
    problems = []
    if missing:
        problems.append(f"no weight for {what}(s) {_names(missing)}")
    if unknown:
        problems.append(f"weights given for unknown {what}(s) {_names(unknown)}")
    bad = [
        f"{name}={value!r}"
        for name, value in weights.items()
        if not (isinstance(value, (int, float, np.number)) and math.isfinite(value) and value >= 0)
    ]
    if bad:
        problems.append(f"weights must be finite and non-negative, not {_names(bad)}")
    elif not missing and not unknown and sum(weights[name] for name in names) <= 0:
        problems.append(f"the {what} weights sum to zero")
    return problems


def _weight_vector(weights, names) -> np.ndarray:
    """Weights (dict or Series keyed by name) -> array in ``names`` order, summing to one."""
    mapping = _plain_mapping(weights)
    _fail(_weight_problems(mapping, names), "weights do not match the indicators")
    vector = np.array([float(mapping[name]) for name in names])
    return vector / vector.sum()


def _require_complete(table: pd.DataFrame, what: str) -> None:
    missing = table.isna()
    problems = [
        f"indicator {column} is missing for {_names(table.index[missing[column]])}"
        for column in table.columns[missing.any()]
    ]
    _fail(problems, f"{what} need complete data (impute first, e.g. impute='mean')")


def _require_varying(table: pd.DataFrame, what: str) -> None:
    spread = table.max() - table.min()
    constant = list(table.columns[~(spread > 0)])
    _fail(
        [f"indicator(s) {_names(constant)} are constant (or have one value): they carry no "
         "information; drop them"] if constant else [],
        f"{what} cannot use a constant indicator",
    )  # fmt: skip


def _unit_scale(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x times 2**-e, e) with e per column such that its largest absolute value is in [0.5, 1).

    Scaling by a power of two is exact, so every scale-free statistic (min-max, z-score, shares,
    correlations, skewness) comes out bit for bit as from x, but differences, squares and sums of
    values near +-1.8e308 can no longer overflow.
    """
    peak = np.where(np.isnan(x), 0.0, np.abs(x)).max(axis=0)
    _, exponent = np.frexp(np.where(peak > 0, peak, 1.0))
    return np.ldexp(x, -exponent), exponent


def _minmax(x: np.ndarray) -> np.ndarray:
    """(x - min) / (max - min) per column, computed on exactly rescaled values (no overflow)."""
    x, _ = _unit_scale(x)
    low, high = np.nanmin(x, axis=0), np.nanmax(x, axis=0)
    return (x - low) / (high - low)


def _infinite_problems(table: pd.DataFrame) -> list[str]:
    """One line per indicator holding +-inf, naming its units (missing values are NaN, not inf)."""
    values = table.to_numpy(dtype=float)
    infinite = np.isinf(values)
    return [
        f"indicator {column} is infinite for {_names(table.index[infinite[:, j]])}"
        for j, column in enumerate(table.columns)
        if infinite[:, j].any()
    ]


def _require_finite(table: pd.DataFrame, what: str) -> None:
    _fail(_infinite_problems(table), f"{what} needs finite values (missing ones are NaN)")


def rank_scores(scores: pd.Series, *, ascending: bool = False) -> pd.Series:
    """Ranks, 1 = best (highest score unless ``ascending``); ties share the best rank ("min").

    Scores equal to ``RANK_RTOL`` (1e-12) x the largest absolute score tie, so that floating-point
    noise (identical units whose sums were added in another order) never splits them: sorted from
    the best, a score that close to the one before it takes its rank. The same rule ranks the
    Monte Carlo draws of :func:`uncertainty` and :func:`sensitivity`.

    >>> rank_scores(pd.Series([3.0, 5.0, 3.0], index=list("abc"))).tolist()
    [2, 1, 2]
    >>> rank_scores(pd.Series([0.1 + 0.2, 0.3, 0.2], index=list("abc"))).tolist()
    [1, 1, 3]
    """
    missing = list(scores.index[scores.isna()])
    infinite = list(scores.index[np.isinf(scores.to_numpy(dtype=float))])
    _fail(
        ([f"no score for {_names(missing)}"] if missing else [])
        + ([f"infinite score for {_names(infinite)}"] if infinite else []),
        "cannot rank",
    )
    values = scores.to_numpy(dtype=float)
    order, ranks = _rank_rows((values if not ascending else -values)[None, :])
    out = np.empty(len(values), dtype=np.int64)
    out[order[0]] = ranks[0]
    return pd.Series(out, index=scores.index, name="rank")


def _rank_rows(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank every row of a draws x units score matrix: 1 = highest, ties share the best rank.

    A tie is a score within ``RANK_RTOL`` x the row's largest absolute score of the one ranked just
    before it (so a run of such scores shares one rank). One sort per row, of the scores rounded to
    float32 (twice as fast); a row whose exact scores are then out of order is sorted again
    exactly, so the ranks are those of an exact sort. Returns ``order`` (units by rank) and
    ``ranks`` (the rank of ``order``'s unit).
    """
    units = scores.shape[1]
    with np.errstate(over="ignore"):  # beyond float32's range: sorted exactly below
        approximate = scores.astype(np.float32)  # sorts twice as fast; checked on exact scores
    np.negative(approximate, out=approximate)
    exact = not np.isfinite(approximate).all()
    order = np.argsort(-scores if exact else approximate, axis=1)
    ordered = np.take_along_axis(scores, order, axis=1)
    gaps = ordered[:, :-1] - ordered[:, 1:]
    unsorted = np.flatnonzero((gaps < 0).any(axis=1))  # float32 could not tell them apart
    if len(unsorted):
        order[unsorted] = np.argsort(-scores[unsorted], axis=1)
        ordered[unsorted] = np.take_along_axis(scores[unsorted], order[unsorted], axis=1)
        gaps[unsorted] = ordered[unsorted, :-1] - ordered[unsorted, 1:]
    ends = ordered[:, [0, -1]]  # the largest and smallest (NaN sorts last, -inf just before it)
    if not np.isfinite(ends).all():
        raise CompositeInputError("scores are not finite in some draws")
    tolerance = RANK_RTOL * np.abs(ends).max(axis=1, keepdims=True)
    tied = gaps <= tolerance
    ranks = np.broadcast_to(np.arange(1, units + 1), scores.shape)
    if tied.any():
        rows = np.flatnonzero(tied.any(axis=1))
        positions = np.where(tied[rows], 0, np.arange(2, units + 1))
        ranks = ranks.copy()
        ranks[rows, 1:] = np.maximum.accumulate(np.maximum(positions, 1), axis=1)
    return order, ranks
