"""Composite indices the JRC/OECD way, with honest uncertainty.

A composite index is built by a pipeline of named, logged steps over an entity × indicator table
(index: entity ids; columns: indicator ids; for a panel, also a ``year`` column):

1. ``screen``     drop units with too little data (``min_coverage``), each one logged;
2. ``impute``     none, mean, median or group mean;
3. ``outliers``   the JRC rule as in COINr: |skewness| > 2 and kurtosis > 3.5 -> winsorise up to 5
                  distinct points one at a time, else log-transform;
4. ``normalise``  min-max, z-score, rank, percentile rank, distance to the leader, goalposts;
5. ``weights``    equal, manual (keyed by indicator), entropy (two named variants), CRITIC, PCA,
                  within pillars (indicator -> pillar -> index);
6. ``aggregate``  weighted arithmetic, geometric, or TOPSIS;
7. ``rank``       ties share the best rank (method "min"); scores equal to ``RANK_RTOL`` (1e-12)
                  x the largest absolute score tie, in :func:`build` and in every Monte Carlo draw.

Every choice lives in an immutable :class:`IndexSpec`; change one with ``spec.replace(...)`` or
``index.rebuild(...)``. :func:`uncertainty` and :func:`sensitivity` then ask how much a ranking owes
to those choices, by Monte Carlo over weights, normalisation, aggregation and imputation.

Missing values are NaN; +-inf is refused with the indicator and units named. Values up to
+-1.8e308 are fine: ranges, sums and moments are computed on columns rescaled by an exact power of
two. Checked in tests against references: pymcdm (entropy, CRITIC, TOPSIS, VIKOR), COINr's
``Treat()`` (its ASEM data and vignette numbers), statsmodels (PCA) and SALib's ``sobol.analyze``
(Sobol indices on identical sample matrices; SALib, Herman & Usher 2017, is the standard Python
library for variance-based sensitivity analysis, MIT-licensed, so it is the dev-extra reference).

>>> import innostudy.composite as cp
>>> table, spec = cp.simulated_table(n_units=8, n_indicators=6, seed=1)
>>> index = cp.build(table, spec)
>>> sorted(index.ranks)[:3]
[1, 2, 3]
>>> index.log["step"].unique().tolist()
['screen', 'impute', 'outliers', 'normalise', 'weights', 'aggregate', 'rank']
>>> index.rebuild(weights="critic").spec.weights
'critic'
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from innostudy.errors import InnostudyError

logger = logging.getLogger(__name__)

IMPUTATIONS = ("none", "mean", "median", "group_mean")
OUTLIER_RULES = ("jrc", "none")
NORMALISATIONS = ("minmax", "zscore", "rank", "percentile", "distance_to_leader", "goalposts")
WEIGHTINGS = ("equal", "entropy_proportions", "entropy_minmax", "critic", "pca")
AGGREGATIONS = ("arithmetic", "geometric", "topsis")
TOPSIS_NORMALISATIONS = ("vector", "minmax")
ENTROPY_VARIANTS = ("proportions", "minmax")
RANK_RTOL = 1e-12  # scores closer than this x the largest absolute score share a rank


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


# --------------------------------------------------------------------------------------------------
# The specification


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


@dataclass(frozen=True)
class IndexSpec:
    """Every choice of a composite index, immutable: change one with :meth:`replace`.

    directions: +1 (higher is better) or -1 for every indicator: a dict, a Series, or the codebook
        (a DataFrame with ``indicator_id`` and ``direction``, e.g. ``ds.indicators``).
    pillars: indicator -> pillar for a two-level index; None for a flat one.
    min_coverage: share of indicators a unit needs to stay in (0 keeps all; units below are logged).
    impute: "none" (aggregate over the indicators a unit has), "mean", "median" or "group_mean"
        (needs ``groups``: unit -> group).
    outliers: "jrc" (winsorise up to ``winmax`` points while |skewness| > ``skew_threshold`` and
        kurtosis > ``kurt_threshold``; log-transform if that is not enough) or "none".
    normalise: one of NORMALISATIONS; ``minmax_range`` for min-max (use (1, 100) before a geometric
        mean), ``goalposts`` (indicator -> (low, high) in raw units) for goalposts.
    weights: "equal", "entropy_proportions", "entropy_minmax", "critic", "pca", or a dict keyed by
        indicator name. With pillars, weights are computed within each pillar and the pillars
        weighted by ``pillar_weights`` (equal if None).
    aggregate: "arithmetic", "geometric" or "topsis" (TOPSIS normalises the treated values itself,
        by ``topsis_normalise``: "vector" or "minmax").
    year: name of the year column that makes the table a panel (each year is built separately).

    >>> spec = IndexSpec(directions={"a": 1, "b": -1})
    >>> spec.replace(aggregate="geometric", minmax_range=(1, 100)).aggregate
    'geometric'
    """

    directions: Mapping[str, int] | pd.Series | pd.DataFrame | None = None
    pillars: Mapping[str, str] | None = None
    min_coverage: float = 0.0
    impute: str = "none"
    groups: Mapping[str, str] | None = None
    outliers: str = "jrc"
    winmax: int = 5
    skew_threshold: float = 2.0
    kurt_threshold: float = 3.5
    normalise: str = "minmax"
    minmax_range: tuple[float, float] = (0.0, 100.0)
    goalposts: Mapping[str, tuple[float, float]] | None = None
    weights: str | Mapping[str, float] = "equal"
    pillar_weights: Mapping[str, float] | None = None
    aggregate: str = "arithmetic"
    topsis_normalise: str = "vector"
    year: str = "year"

    def __post_init__(self):
        for name in ("directions", "pillars", "groups", "goalposts", "weights", "pillar_weights"):
            object.__setattr__(self, name, _plain_mapping(getattr(self, name)))
        object.__setattr__(self, "minmax_range", tuple(self.minmax_range))
        problems = []
        for name, allowed in (
            ("impute", IMPUTATIONS),
            ("outliers", OUTLIER_RULES),
            ("normalise", NORMALISATIONS),
            ("aggregate", AGGREGATIONS),
            ("topsis_normalise", TOPSIS_NORMALISATIONS),
        ):
            if getattr(self, name) not in allowed:
                problems.append(f"{name}={getattr(self, name)!r} is not one of {_names(allowed)}")
        if isinstance(self.weights, str) and self.weights not in WEIGHTINGS:
            problems.append(
                f"weights={self.weights!r} is not one of {_names(WEIGHTINGS)} nor a dict "
                "keyed by indicator"
            )
        if not 0 <= self.min_coverage <= 1:
            problems.append(f"min_coverage={self.min_coverage} is not a share between 0 and 1")
        if len(self.minmax_range) != 2 or not self.minmax_range[0] < self.minmax_range[1]:
            problems.append(f"minmax_range={self.minmax_range} is not (low, high) with low < high")
        if self.winmax < 0:
            problems.append(f"winmax={self.winmax} is negative")
        _fail(problems, "invalid IndexSpec")

    def replace(self, **changes) -> IndexSpec:
        """A copy with some choices changed: ``spec.replace(weights="critic")``."""
        return dataclasses.replace(self, **changes)


# --------------------------------------------------------------------------------------------------
# Building blocks: directions, weights, checks


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


# --------------------------------------------------------------------------------------------------
# Outlier treatment (JRC rule, COINr defaults)


def _skew_kurt(values: np.ndarray) -> tuple[float, float]:
    """Sample skewness and excess kurtosis, bias-corrected as in Excel and e1071 type 2 (COINr)."""
    n = len(values)
    values, _ = _unit_scale(values)  # skewness and kurtosis do not depend on the scale
    deviations = values - values.mean()
    m2 = np.mean(deviations**2)
    if n < 4 or m2 == 0:
        return math.nan, math.nan
    g1 = np.mean(deviations**3) / m2**1.5
    g2 = np.mean(deviations**4) / m2**2 - 3
    skew = g1 * math.sqrt(n * (n - 1)) / (n - 2)
    kurt = ((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3))
    return float(skew), float(kurt)


@dataclass(frozen=True)
class OutlierTreatment:
    """What the JRC rule did to one indicator: the treated values and why."""

    values: pd.Series
    action: str  # "none", "winsorised", "log", "not tested"
    winsorised: tuple  # labels of the winsorised points
    skew_before: float
    kurt_before: float
    skew_after: float
    kurt_after: float

    def describe(self) -> str:
        before = f"skewness {self.skew_before:.2f}, kurtosis {self.kurt_before:.2f}"
        after = f"skewness {self.skew_after:.2f}, kurtosis {self.kurt_after:.2f}"
        if self.action == "not tested":
            return "fewer than 4 values: skewness and kurtosis not tested"
        if self.action == "none":
            return f"{before}: within limits"
        if self.action == "winsorised":
            points = f"{len(self.winsorised)} point(s) ({_names(self.winsorised)})"
            return f"{before}: winsorised {points}: {after}"
        return f"{before}: winsorising was not enough; log-transformed: {after}"


def treat_outliers(
    values: pd.Series,
    *,
    winmax: int = 5,
    skew_threshold: float = 2.0,
    kurt_threshold: float = 3.5,
) -> OutlierTreatment:
    """Treat one indicator by the JRC rule, as COINr's ``Treat()`` does by default.

    An indicator fails when |skewness| > ``skew_threshold`` AND kurtosis > ``kurt_threshold`` (both
    bias-corrected, Excel-style; COINr's ``check_SkewKurt`` also fails at equality). Then, as
    COINr's ``winsorise()``, one step at a time while it fails and fewer than ``winmax`` points are
    winsorised: the skewness of the current values picks the tail (>= 0: the highest, else the
    lowest), every point at that extreme (ties go together) takes the next value, and skewness and
    kurtosis are checked again. A point counts once however
    often it is moved, so ``winmax=5`` allows five distinct points (a final step of tied points may
    pass it, as in COINr). If it still fails, the *original* values are log-transformed instead:
    ln(x - min + a), a = 1 % of the range (COINr's ``log_CT``), mirrored to -ln(max - x + a) for
    negative skewness (COINr's ``log_CT_plus``; plain ``log_CT`` would stretch the long tail), so
    the order of units never changes. Missing values stay missing.

    >>> out = treat_outliers(pd.Series([*range(1, 11), 30, 100]))
    >>> out.action, out.values.iloc[-1], round(out.kurt_before, 2)
    ('winsorised', np.float64(30.0), 9.74)
    """
    x = values.astype(float)
    present = x.notna().to_numpy()
    original = x.to_numpy()[present]
    skew0, kurt0 = _skew_kurt(original)

    def fails(skew, kurt):
        return abs(skew) > skew_threshold and kurt > kurt_threshold

    def result(treated, action, skew, kurt):
        out = x.to_numpy().copy()
        out[present] = treated
        moved = treated != original if action == "winsorised" else np.zeros(len(treated), bool)
        labels = tuple(x.index[present][moved])
        series = pd.Series(out, index=x.index, name=x.name)
        return OutlierTreatment(series, action, labels, skew0, kurt0, skew, kurt)

    if math.isnan(skew0):
        return result(original, "not tested", skew0, kurt0)
    if not fails(skew0, kurt0):
        return result(original, "none", skew0, kurt0)
    treated = original.copy()
    skew, kurt = skew0, kurt0
    while fails(skew, kurt) and np.count_nonzero(treated != original) < winmax:
        extreme = treated.max() if skew >= 0 else treated.min()
        at = treated == extreme
        if at.all():
            break
        treated[at] = treated[~at].max() if skew >= 0 else treated[~at].min()
        skew, kurt = _skew_kurt(treated)
    if not fails(skew, kurt):
        return result(treated, "winsorised", skew, kurt)
    scaled, exponent = _unit_scale(original)  # ln(2**e * y) = e ln 2 + ln y: no overflow
    low, high = scaled.min(), scaled.max()
    shift = exponent * math.log(2)
    logged = (
        np.log(scaled - low + 0.01 * (high - low)) + shift
        if skew0 >= 0
        else -np.log(high - scaled + 0.01 * (high - low)) - shift
    )
    return result(logged, "log", *_skew_kurt(logged))


# --------------------------------------------------------------------------------------------------
# Normalisation


def normalise(
    table: pd.DataFrame,
    method: str = "minmax",
    directions=None,
    *,
    minmax_range: tuple[float, float] = (0.0, 100.0),
    goalposts: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Put indicators on one scale where higher is better (directions applied); missing stays so.

    minmax: ``minmax_range`` (default 0-100); zscore: mean 0, sd 1; rank: average rank, 1 = worst;
    percentile: 100 x rank / number of values; distance_to_leader: 100 x value / leader's value
    (leader = highest, or lowest for direction -1; values must be positive); goalposts: 100 x
    (value - low) / (high - low) within ``goalposts[indicator] = (low, high)`` in raw units, capped
    at 0 and 100 (reversed for direction -1).

    >>> t = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [30.0, 20.0, 10.0]}, index=["x", "y", "z"])
    >>> normalise(t, "minmax", {"a": 1, "b": -1})["b"].tolist()
    [0.0, 50.0, 100.0]
    """
    if method not in NORMALISATIONS:
        raise CompositeInputError(
            f"normalisation {method!r} is not one of {_names(NORMALISATIONS)}"
        )
    _require_finite(table, f"{method} normalisation")
    d = _direction_array(directions, table.columns)
    x = table.to_numpy(dtype=float)
    oriented = x * d
    if method in ("minmax", "zscore"):
        _require_varying(table, f"{method} normalisation")
    if method == "minmax":
        low, high = minmax_range
        out = low + (high - low) * _minmax(oriented)
    elif method == "zscore":
        scaled, _ = _unit_scale(oriented)
        out = (scaled - np.nanmean(scaled, axis=0)) / np.nanstd(scaled, axis=0, ddof=1)
    elif method in ("rank", "percentile"):
        ranks = pd.DataFrame(oriented).rank(method="average").to_numpy()
        out = ranks if method == "rank" else 100 * ranks / np.sum(~np.isnan(x), axis=0)
    elif method == "distance_to_leader":
        bad = [
            f"{column} ({_names(table.index[table[column] <= 0])})"
            for column in table.columns
            if (table[column] <= 0).any()
        ]
        _fail(bad, "distance to the leader needs positive values; non-positive in")
        out = np.where(d > 0, 100 * x / np.nanmax(x, axis=0), 100 * np.nanmin(x, axis=0) / x)
    else:
        out = _goalposts(table, d, goalposts)
    return pd.DataFrame(out, index=table.index, columns=table.columns)


def _goalposts(table: pd.DataFrame, d: np.ndarray, goalposts) -> np.ndarray:
    goalposts = goalposts or {}
    missing = [name for name in table.columns if name not in goalposts]
    invalid = [
        f"{name}={goalposts[name]!r}"
        for name in table.columns
        if name in goalposts
        and not (len(goalposts[name]) == 2 and goalposts[name][0] < goalposts[name][1])
    ]
    _fail(
        ([f"no goalposts for {_names(missing)}"] if missing else [])
        + (
            [f"goalposts must be (low, high) with low < high: {_names(invalid)}"] if invalid else []
        ),
        "goalposts do not fit the indicators",
    )
    low = np.array([goalposts[name][0] for name in table.columns], dtype=float)
    high = np.array([goalposts[name][1] for name in table.columns], dtype=float)
    x = table.to_numpy(dtype=float)
    share = np.where(d > 0, x - low, high - x) / (high - low)
    return 100 * np.clip(share, 0, 1)


# --------------------------------------------------------------------------------------------------
# Weights


def entropy_weights(
    table: pd.DataFrame, variant: str = "proportions", directions=None
) -> pd.Series:
    """Objective weights by Shannon entropy: indicators that spread units more weigh more.

    Two variants, named for what they feed the entropy:

    * ``"proportions"``: each column's raw shares p = x / sum(x), as in pymcdm and Zeleny's
      original method; values must be non-negative;
    * ``"minmax"``: values min-max standardised first, in the indicator's direction, as in the
      Chinese 熵权法 literature (so the worst unit always has share 0).

    Both use 0 x ln 0 = 0 (the limit). pymcdm instead sets a column's entropy to 0 when it holds any
    zero, so the two differ only for columns with zeros. Missing values are refused.

    >>> t = pd.DataFrame({"even": [5.0, 5.0, 5.1], "spread": [1.0, 5.0, 20.0]})
    >>> entropy_weights(t).round(3).tolist()
    [0.0, 1.0]
    """
    if variant not in ENTROPY_VARIANTS:
        raise CompositeInputError(
            f"entropy variant {variant!r} is not one of {_names(ENTROPY_VARIANTS)}"
        )
    _require_complete(table, "entropy weights")
    _require_finite(table, "entropy weights")
    x = table.to_numpy(dtype=float)
    if variant == "proportions":
        negative = [
            f"{column} ({_names(table.index[table[column] < 0])})"
            for column in table.columns[(table < 0).any()]
        ]
        _fail(negative, "entropy weights from proportions need non-negative values; negative in")
        shares, _ = _unit_scale(x)
    else:
        _require_varying(table, "entropy weights after min-max")
        shares = _minmax(x * _direction_array(directions, table.columns))
    zero = list(table.columns[shares.sum(axis=0) == 0])
    _fail(
        [f"indicator(s) {_names(zero)} are all zero"] if zero else [], "entropy weights undefined"
    )
    p = shares / shares.sum(axis=0)
    plogp = p * np.log(p, out=np.zeros_like(p), where=p > 0)
    diversity = 1 + plogp.sum(axis=0) / math.log(len(table))
    if diversity.sum() <= 0:
        raise CompositeInputError(
            "entropy weights undefined: every indicator spreads the units perfectly evenly"
        )
    return pd.Series(diversity / diversity.sum(), index=table.columns, name="weight")


def critic_weights(table: pd.DataFrame, directions=None) -> pd.Series:
    """CRITIC weights (Diakoulaki, Mavrotas & Papayannakis 1995): contrast x conflict.

    Each indicator is min-max standardised; its weight is proportional to its standard deviation
    times the sum of (1 - correlation) with the others. With ``directions`` the standardisation
    follows them (the original method); without, raw min-max is used, as in Tuş & Adalı (2019) and
    pymcdm.

    >>> t = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 1.0, 4.0, 3.0]})
    >>> critic_weights(t).round(2).tolist()
    [0.5, 0.5]
    """
    _require_complete(table, "CRITIC weights")
    _require_finite(table, "CRITIC weights")
    _require_varying(table, "CRITIC weights")
    x = table.to_numpy(dtype=float)
    if directions is not None:
        x = x * _direction_array(directions, table.columns)
    standardised = _minmax(x)
    contrast = standardised.std(axis=0, ddof=1)
    conflict = (1 - np.corrcoef(standardised, rowvar=False)).sum(axis=0)
    information = contrast * conflict
    return pd.Series(information / information.sum(), index=table.columns, name="weight")


def pca_weights(table: pd.DataFrame) -> pd.Series:
    """Weights from the first principal component of the indicators' correlation matrix.

    The weight of an indicator is its squared loading (loadings normalised to unit length, so the
    weights sum to one): the share of the first component that the indicator carries, as in the
    OECD/JRC Handbook (2008, section 6.1).

    >>> t = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [1.1, 2.2, 2.9, 4.1]})
    >>> pca_weights(t).round(2).tolist()
    [0.5, 0.5]
    """
    _require_complete(table, "PCA weights")
    _require_finite(table, "PCA weights")
    _require_varying(table, "PCA weights")
    correlation = np.corrcoef(_unit_scale(table.to_numpy(dtype=float))[0], rowvar=False)
    _, vectors = np.linalg.eigh(np.atleast_2d(correlation))
    return pd.Series(vectors[:, -1] ** 2, index=table.columns, name="weight")


# --------------------------------------------------------------------------------------------------
# Aggregation and ranks


def aggregate(normalised: pd.DataFrame, weights, method: str = "arithmetic") -> pd.Series:
    """Weighted arithmetic or geometric mean per unit, over the indicators each unit has.

    Weights are keyed by indicator (a dict or Series) and rescaled to sum to one over the indicators
    a unit has, so a missing value is neither a zero nor silently dropped from the weights. A
    geometric mean needs positive values: min-max to (1, 100), ranks or percentiles.

    >>> t = pd.DataFrame({"a": [1.0, 100.0], "b": [100.0, 100.0]}, index=["x", "y"])
    >>> aggregate(t, {"a": 0.5, "b": 0.5}, "geometric").round(1).tolist()
    [10.0, 100.0]
    """
    if method not in ("arithmetic", "geometric"):
        raise CompositeInputError(
            f"aggregate() does weighted 'arithmetic' or 'geometric' means, not {method!r}; "
            "use topsis() for TOPSIS"
        )
    _require_finite(normalised, "aggregation")
    w = _weight_vector(weights, normalised.columns)
    x = normalised.to_numpy(dtype=float)
    present = ~np.isnan(x)
    if method == "geometric":
        bad = [
            f"{unit}: {column}={value:.4g}"
            for unit, column, value in normalised.stack()
            .loc[lambda s: s <= 0]
            .reset_index()
            .itertuples(index=False)
        ]
        _fail(
            bad,
            "a geometric mean needs positive values (normalise with minmax_range=(1, 100), rank or "
            "percentile); not positive",
        )
    covered = present @ w
    empty = list(normalised.index[covered == 0])
    _fail(
        [f"unit(s) {_names(empty)} have no weighted indicator"] if empty else [], "cannot aggregate"
    )
    values = (
        np.where(present, x, 0.0) if method == "arithmetic" else np.log(np.where(present, x, 1.0))
    )
    mean = (values @ w) / covered
    scores = mean if method == "arithmetic" else np.exp(mean)
    return pd.Series(scores, index=normalised.index, name="score")


def _topsis_matrix(x: np.ndarray, d: np.ndarray, normalise: str) -> np.ndarray:
    """Normalised and oriented (higher is better) values for TOPSIS."""
    if normalise == "vector":
        x, _ = _unit_scale(x)
        return d * x / np.sqrt((x**2).sum(axis=0))
    return _minmax(x * d)


def topsis(table: pd.DataFrame, weights, directions, normalise: str = "vector") -> pd.Series:
    """TOPSIS closeness to the ideal (Hwang & Yoon 1981): 1 = the ideal unit, 0 = the anti-ideal.

    ``normalise="vector"`` is the classical x / sqrt(sum x^2); ``"minmax"`` is pymcdm's default.
    Needs complete data.

    >>> t = pd.DataFrame({"cost": [1.0, 2.0, 5.0], "benefit": [3000.0, 3750.0, 4500.0]})
    >>> closeness = topsis(t, {"cost": 0.5, "benefit": 0.5}, {"cost": -1, "benefit": 1}, "minmax")
    >>> closeness.round(3).tolist()
    [0.5, 0.617, 0.5]
    """
    if normalise not in TOPSIS_NORMALISATIONS:
        raise CompositeInputError(
            f"TOPSIS normalise={normalise!r} is not one of {_names(TOPSIS_NORMALISATIONS)}"
        )
    _require_complete(table, "TOPSIS")
    _require_finite(table, "TOPSIS")
    w = _weight_vector(weights, table.columns)
    d = _direction_array(directions, table.columns)
    x = table.to_numpy(dtype=float)
    if normalise == "minmax":
        _require_varying(table, "TOPSIS with min-max")
    else:
        zero = list(table.columns[(x == 0).all(axis=0)])
        _fail(
            [f"indicator(s) {_names(zero)} are all zero"] if zero else [],
            "TOPSIS vector normalisation",
        )
    weighted = _topsis_matrix(x, d, normalise) * w
    to_ideal = np.sqrt(((weighted - weighted.max(axis=0)) ** 2).sum(axis=1))
    to_anti = np.sqrt(((weighted - weighted.min(axis=0)) ** 2).sum(axis=1))
    if np.any(to_ideal + to_anti == 0):
        raise CompositeInputError("TOPSIS undefined: all units have the same weighted values")
    return pd.Series(to_anti / (to_ideal + to_anti), index=table.index, name="closeness")


def vikor(table: pd.DataFrame, weights, directions, v: float = 0.5) -> pd.DataFrame:
    """VIKOR compromise ranking (Opricovic & Tzeng 2004): S (group utility), R (individual regret),
    Q (compromise, weight ``v`` on S); lower is better for all three.

    Where every unit has the same S (or R), that term of Q is 0. Needs complete, varying data.

    >>> t = pd.DataFrame({"cost": [1.0, 2.0, 5.0], "benefit": [3000.0, 3750.0, 4500.0]})
    >>> vikor(t, {"cost": 0.5, "benefit": 0.5}, {"cost": -1, "benefit": 1})["Q"].tolist()
    [1.0, 0.0, 1.0]
    """
    _require_complete(table, "VIKOR")
    _require_finite(table, "VIKOR")
    _require_varying(table, "VIKOR")
    w = _weight_vector(weights, table.columns)
    oriented, _ = _unit_scale(
        table.to_numpy(dtype=float) * _direction_array(directions, table.columns)
    )
    best, worst = oriented.max(axis=0), oriented.min(axis=0)
    regret = w * (best - oriented) / (best - worst)
    s, r = regret.sum(axis=1), regret.max(axis=1)

    def scaled(a):
        spread = a.max() - a.min()
        return (a - a.min()) / spread if spread > 0 else np.zeros_like(a)

    q = v * scaled(s) + (1 - v) * scaled(r)
    return pd.DataFrame({"S": s, "R": r, "Q": q}, index=table.index)


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


def cronbach_alpha(table: pd.DataFrame) -> float:
    """Cronbach's alpha of a set of indicators (rows = units): k/(k-1) x (1 - sum var_i / var(sum)).

    >>> t = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 2.0, 3.0]})
    >>> cronbach_alpha(t)
    1.0
    """
    _require_complete(table, "Cronbach's alpha")
    k = table.shape[1]
    if k < 2 or len(table) < 2:
        raise CompositeInputError("Cronbach's alpha needs at least 2 indicators and 2 units")
    item_variance = table.var(ddof=1).sum()
    total_variance = table.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_variance / total_variance))


# --------------------------------------------------------------------------------------------------
# The pipeline


class _Log:
    """Collects what each step did, as rows (step, target, action, detail)."""

    def __init__(self, year=None):
        self.year, self.rows = year, []

    def add(self, step: str, target, action: str, detail: str = "") -> None:
        self.rows.append(
            {
                "year": self.year,
                "step": step,
                "target": str(target),
                "action": action,
                "detail": detail,
            }
        )
        logger.info("%s %s: %s %s", step, target, action, detail)

    def frame(self, panel: bool) -> pd.DataFrame:
        frame = pd.DataFrame(self.rows, columns=["year", "step", "target", "action", "detail"])
        return frame if panel else frame.drop(columns="year")


def _check_table(table: pd.DataFrame, spec: IndexSpec) -> None:
    """Every structural problem of the table and spec, reported at once."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(
            f"a composite index needs a DataFrame (units x indicators), not {type(table).__name__}"
        )
    panel = spec.year in table.columns
    data = table.drop(columns=spec.year) if panel else table
    problems = []
    if data.shape[1] == 0 or len(data) < 2:
        problems.append(f"need at least 2 units and 1 indicator; got {len(data)} x {data.shape[1]}")
    text = [
        c
        for c in data.columns
        if not pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c])
    ]
    if text:
        problems.append(f"indicator column(s) {_names(text)} are not numeric")
    keys = pd.MultiIndex.from_arrays([table[spec.year], table.index]) if panel else table.index
    if keys.has_duplicates:
        problems.append(
            f"unit(s) appear more than once: {_names(keys[keys.duplicated()].unique())}"
        )
    numeric = data.drop(columns=text)
    problems += _infinite_problems(numeric)
    indicators = list(data.columns)
    problems += _direction_problems(spec.directions or {}, indicators)
    if isinstance(spec.weights, dict):
        problems += _weight_problems(spec.weights, indicators)
    if spec.pillars is not None:
        missing = [name for name in indicators if name not in spec.pillars]
        unknown = [name for name in spec.pillars if name not in indicators]
        if missing:
            problems.append(f"no pillar for indicator(s) {_names(missing)}")
        if unknown:
            problems.append(f"pillars name indicator(s) not in the table: {_names(unknown)}")
    if spec.pillar_weights is not None:
        pillars = sorted(set((spec.pillars or {}).values()))
        problems += _weight_problems(spec.pillar_weights, pillars, "pillar")
    if spec.impute == "group_mean":
        ungrouped = [unit for unit in table.index.unique() if unit not in (spec.groups or {})]
        if ungrouped:
            problems.append(f"impute='group_mean' but no group for unit(s) {_names(ungrouped)}")
    if not text:
        for year, frame in (
            numeric.groupby(table[spec.year].to_numpy()) if panel else [(None, numeric)]
        ):
            where = f" in {year}" if panel else ""
            empty_indicators = list(frame.columns[frame.isna().all()])
            if empty_indicators:
                problems.append(f"indicator(s) {_names(empty_indicators)} have no value{where}")
            empty_units = list(frame.index[frame.isna().all(axis=1)])
            if empty_units and spec.min_coverage == 0:
                problems.append(
                    f"unit(s) {_names(empty_units)} have no value{where} (drop them, or screen "
                    "them out with min_coverage > 0)"
                )
    _fail(problems)


def _screen(table: pd.DataFrame, spec: IndexSpec, log: _Log) -> pd.DataFrame:
    coverage = table.notna().mean(axis=1)
    dropped = coverage[coverage < spec.min_coverage]
    for unit, share in dropped.items():
        log.add(
            "screen",
            unit,
            "dropped",
            f"{share:.0%} of indicators available < {spec.min_coverage:.0%}",
        )
    if dropped.empty:
        detail = (
            f">= {spec.min_coverage:.0%} of indicators"
            if spec.min_coverage
            else "no screening (min_coverage=0)"
        )
        log.add("screen", "all units", "kept", f"all {len(table)} units: {detail}")
    kept = table.drop(index=dropped.index)
    if len(kept) < 2:
        raise CompositeInputError(
            f"screening with min_coverage={spec.min_coverage} leaves {len(kept)} unit(s)"
        )
    return kept


def _impute(table: pd.DataFrame, spec: IndexSpec, log: _Log) -> pd.DataFrame:
    missing = table.isna()
    if not missing.any().any():
        log.add("impute", "all indicators", "none needed", "no missing values")
        return table
    if spec.impute == "none":
        for column in table.columns[missing.any()]:
            units = table.index[missing[column]]
            log.add(
                "impute",
                column,
                "left missing",
                f"{_names(units)}: aggregated over the indicators they have",
            )
        return table
    if spec.impute in ("mean", "median"):
        fill = table.fillna(getattr(table, spec.impute)())
    else:
        groups = pd.Series(spec.groups).reindex(table.index)
        fill = table.groupby(groups).transform("mean")
        for column in table.columns[missing.any()]:
            lacking = fill.index[missing[column] & fill[column].isna()]
            if len(lacking):
                log.add(
                    "impute", column, "overall mean", f"{_names(lacking)}: their group has no value"
                )
        fill = fill.fillna(table.mean())
    for column in table.columns[missing.any()]:
        units = table.index[missing[column]]
        log.add("impute", column, spec.impute, f"{_names(units)}")
    return table.where(~missing, fill)


def _treat(table: pd.DataFrame, spec: IndexSpec, log: _Log) -> pd.DataFrame:
    if spec.outliers == "none":
        log.add("outliers", "all indicators", "not treated")
        return table
    treated = table.copy()
    for column in table.columns:
        out = treat_outliers(
            table[column],
            winmax=spec.winmax,
            skew_threshold=spec.skew_threshold,
            kurt_threshold=spec.kurt_threshold,
        )
        treated[column] = out.values
        log.add("outliers", column, out.action, out.describe())
    return treated


def _treated(table: pd.DataFrame, spec: IndexSpec, log: _Log) -> pd.DataFrame:
    """Screen, impute and treat outliers."""
    return _treat(_impute(_screen(table, spec, log), spec, log), spec, log)


def _normalised(treated: pd.DataFrame, spec: IndexSpec, log: _Log) -> pd.DataFrame:
    """Normalise as the spec says (TOPSIS normalises itself later: the treated values pass on)."""
    if spec.aggregate == "topsis":
        log.add(
            "normalise", "all indicators", "by TOPSIS", f"{spec.topsis_normalise}, inside TOPSIS"
        )
        return treated
    normalised = normalise(
        treated,
        spec.normalise,
        spec.directions,
        minmax_range=spec.minmax_range,
        goalposts=spec.goalposts,
    )
    lost = normalised.isna() & treated.notna()
    _fail(
        [f"indicator {c} for {_names(treated.index[lost[c]])}" for c in lost.columns[lost.any()]],
        f"{spec.normalise} normalisation gave no number (NaN) from a value",
    )
    detail = f"range {spec.minmax_range}" if spec.normalise == "minmax" else ""
    log.add("normalise", "all indicators", spec.normalise, detail)
    if spec.normalise == "goalposts":
        for column in treated.columns:
            low, high = spec.goalposts[column]
            outside = treated.index[(treated[column] < low) | (treated[column] > high)]
            if len(outside):
                log.add(
                    "normalise",
                    column,
                    "capped",
                    f"{_names(outside)} outside goalposts ({low}, {high})",
                )
    return normalised


def _pillar_of(spec: IndexSpec, indicators) -> pd.Series:
    if spec.pillars is None:
        return pd.Series("index", index=indicators, name="pillar")
    return pd.Series({name: spec.pillars[name] for name in indicators}, name="pillar")


def _within_weights(treated: pd.DataFrame, spec: IndexSpec) -> pd.Series:
    """Weights of the indicators within their pillar (each pillar sums to one)."""
    if isinstance(spec.weights, dict):
        return pd.Series({name: float(spec.weights[name]) for name in treated.columns})
    if spec.weights == "equal" or treated.shape[1] == 1:
        return pd.Series(1.0, index=treated.columns)
    if spec.weights.startswith("entropy"):
        variant = spec.weights.removeprefix("entropy_")
        return entropy_weights(treated, variant, spec.directions)
    if spec.weights == "critic":
        return critic_weights(treated, spec.directions)
    return pca_weights(treated)


def _weights_step(treated: pd.DataFrame, spec: IndexSpec, log: _Log) -> tuple[pd.Series, pd.Series]:
    """(effective indicator weights summing to one, pillar weights)."""
    pillar_of = _pillar_of(spec, treated.columns)
    within = pd.concat(
        [
            _within_weights(treated[cols.index], spec)
            for _, cols in pillar_of.groupby(pillar_of, sort=False)
        ]
    )
    within = within[treated.columns]
    totals = within.groupby(pillar_of).transform("sum")
    empty = sorted(set(pillar_of[totals == 0]))
    _fail([f"the weights within pillar(s) {_names(empty)} sum to zero"] if empty else [])
    within = within / totals
    pillars = list(dict.fromkeys(pillar_of))
    raw = spec.pillar_weights or dict.fromkeys(pillars, 1.0)
    pillar_weights = pd.Series({p: float(raw[p]) for p in pillars}, name="weight")
    pillar_weights = pillar_weights / pillar_weights.sum()
    effective = (within * pillar_of.map(pillar_weights)).rename("weight")
    method = spec.weights if isinstance(spec.weights, str) else "manual"
    for name in treated.columns:
        share = f" ({within[name]:.3f} within {pillar_of[name]})" if spec.pillars else ""
        log.add("weights", name, method, f"{effective[name]:.4f}{share}")
    return effective, pillar_weights


def _aggregate_step(treated, normalised, spec, weights, log) -> tuple[pd.Series, pd.DataFrame]:
    """(index scores, pillar scores)."""
    pillar_of = _pillar_of(spec, normalised.columns)

    def score(columns):
        if spec.aggregate == "topsis":
            return topsis(
                treated[columns], weights[columns], spec.directions, spec.topsis_normalise
            )
        return aggregate(normalised[columns], weights[columns], spec.aggregate)

    def pillar_score(pillar, columns):
        covered = normalised[columns].notna().any(axis=1)
        if covered.all():
            return score(columns)
        units = _names(normalised.index[~covered])
        log.add("aggregate", pillar, "no score", f"{units}: no indicator of this pillar")
        return aggregate(normalised.loc[covered, columns], weights[columns], spec.aggregate)

    scores = score(list(normalised.columns)).rename("score")
    pillar_scores = pd.DataFrame(
        {
            pillar: pillar_score(pillar, list(cols.index))
            for pillar, cols in pillar_of.groupby(pillar_of, sort=False)
            if spec.pillars
        },
        index=scores.index,
    )
    detail = f"TOPSIS ({spec.topsis_normalise})" if spec.aggregate == "topsis" else "weighted mean"
    log.add(
        "aggregate",
        "index",
        spec.aggregate,
        f"{detail} of {normalised.shape[1]} indicators with effective weights",
    )
    return scores, pillar_scores


def _build_one(table: pd.DataFrame, spec: IndexSpec, log: _Log) -> dict:
    treated = _treated(table, spec, log)
    normalised = _normalised(treated, spec, log)
    weights, pillar_weights = _weights_step(treated, spec, log)
    scores, pillar_scores = _aggregate_step(treated, normalised, spec, weights, log)
    ranks = rank_scores(scores)
    log.add("rank", "index", "min", f"{len(ranks)} units, {len(ranks) - ranks.nunique()} tied")
    return {
        "treated": treated,
        "normalised": normalised,
        "weights": weights,
        "pillar_weights": pillar_weights,
        "pillar_scores": pillar_scores,
        "scores": scores,
        "ranks": ranks,
    }


def build(table: pd.DataFrame, spec: IndexSpec | None = None, **changes) -> CompositeIndex:
    """Build a composite index from a units x indicators table; keyword arguments change the spec.

    >>> t = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]}, index=["x", "y", "z"])
    >>> build(t, directions={"a": 1, "b": 1}).ranks.to_dict()
    {'x': 2, 'y': 3, 'z': 1}
    """
    spec = (spec or IndexSpec()).replace(**changes)
    _check_table(table, spec)
    if spec.year not in table.columns:
        log = _Log()
        parts = _build_one(table, spec, log)
        return CompositeIndex(spec=spec, data=table.copy(), log=log.frame(panel=False), **parts)
    years, logs = {}, []
    for year, frame in table.groupby(spec.year, sort=True):
        log = _Log(year)
        years[year] = _build_one(frame.drop(columns=spec.year), spec, log)
        logs.append(log.frame(panel=True))
    parts = {
        key: pd.concat({year: part[key] for year, part in years.items()}, names=[spec.year])
        for key in next(iter(years.values()))
    }
    return CompositeIndex(
        spec=spec, data=table.copy(), log=pd.concat(logs, ignore_index=True), **parts
    )


@dataclass(frozen=True, eq=False)
class CompositeIndex:
    """A built composite index: every intermediate table, the weights, scores, ranks and the log.

    For a panel, each table's index starts with the year; ``for_year(y)`` gives one year's index.
    """

    spec: IndexSpec
    data: pd.DataFrame
    treated: pd.DataFrame
    normalised: pd.DataFrame
    weights: pd.Series
    pillar_weights: pd.Series
    pillar_scores: pd.DataFrame
    scores: pd.Series
    ranks: pd.Series
    log: pd.DataFrame

    @property
    def is_panel(self) -> bool:
        return self.spec.year in self.data.columns

    def rebuild(self, **changes) -> CompositeIndex:
        """The same data built again with some choices changed: ``index.rebuild(weights="pca")``."""
        return build(self.data, self.spec.replace(**changes))

    def for_year(self, year) -> CompositeIndex:
        """One year of a panel index (without rebuilding: the same numbers)."""
        if not self.is_panel:
            raise CompositeInputError("for_year() needs a panel index (a table with a year column)")
        if year not in self.scores.index.get_level_values(0):
            raise CompositeInputError(
                f"no year {year!r}; years are {_names(self.scores.index.unique(0))}"
            )
        data = self.data[self.data[self.spec.year] == year].drop(columns=self.spec.year)
        parts = {
            name: getattr(self, name).xs(year, level=0)
            for name in (
                "treated",
                "normalised",
                "weights",
                "pillar_weights",
                "pillar_scores",
                "scores",
                "ranks",
            )
        }
        log = self.log[self.log["year"] == year].drop(columns="year").reset_index(drop=True)
        return CompositeIndex(spec=self.spec, data=data, log=log, **parts)

    def _single(self, what: str) -> None:
        if self.is_panel:
            raise CompositeInputError(f"{what} works on one year: use index.for_year(year).{what}")

    def tidy(self) -> pd.DataFrame:
        """One row per unit and component ("index" or a pillar): score and rank (1 = best)."""
        levels = ([self.spec.year] if self.is_panel else []) + ["entity_id"]
        frames = [self.scores.rename("score").to_frame().assign(component="index", rank=self.ranks)]
        for pillar in self.pillar_scores.columns:
            scores = self.pillar_scores[pillar]
            present = scores.dropna()
            ranks = (
                present.groupby(level=0, group_keys=False).apply(rank_scores)
                if self.is_panel
                else rank_scores(present)
            )
            frames.append(
                scores.rename("score")
                .to_frame()
                .assign(component=pillar, rank=ranks.reindex(scores.index).astype("Int64"))
            )
        tidy = pd.concat(frames).rename_axis(levels).reset_index()
        return tidy[[*levels, "component", "score", "rank"]]

    def summary(self) -> str:
        """A short text report: the choices, what the steps did, and the top and bottom units."""
        s = self.spec
        n_pillars = self.pillar_weights.index.get_level_values(-1).nunique()
        units = self.scores.index.get_level_values(-1).nunique()
        lines = [
            f"Composite index: {units} units x {self.normalised.shape[1]} indicators"
            + (f" in {n_pillars} pillars" if s.pillars else "")
            + (f", years {_names(self.scores.index.unique(0))}" if self.is_panel else ""),
            f"  impute={s.impute}  outliers={s.outliers}  normalise={s.normalise}  weights="
            f"{s.weights if isinstance(s.weights, str) else 'manual'}  aggregate={s.aggregate}",
        ]
        counts = self.log.groupby(["step", "action"], sort=False).size()
        lines.append(
            "  log: " + "; ".join(f"{step} {action} x{n}" for (step, action), n in counts.items())
        )
        ranked = (
            self.tidy()
            .query("component == 'index'")
            .sort_values([*([s.year] if self.is_panel else []), "rank"])
        )
        lines.append(ranked.to_string(index=False, max_rows=20))
        return "\n".join(lines)

    def contributions(self) -> pd.DataFrame:
        """Each pillar's (or, for a flat index, each indicator's) share of an arithmetic score."""
        self._single("contributions()")
        if self.spec.aggregate != "arithmetic":
            raise CompositeInputError(
                "contributions add up to the score only for arithmetic aggregation, "
                f"not {self.spec.aggregate}"
            )
        x = self.normalised
        weighted = (
            x.mul(self.weights).div(x.notna().mul(self.weights).sum(axis=1), axis=0).fillna(0.0)
        )
        if not self.spec.pillars:
            return weighted
        return (
            weighted.T.groupby(_pillar_of(self.spec, x.columns))
            .sum()
            .T[list(self.pillar_weights.index)]
        )

    def correlations(self) -> pd.DataFrame:
        """Pearson correlations of the normalised indicators, pillar scores and the index score."""
        self._single("correlations()")
        return pd.concat(
            [self.normalised, self.pillar_scores, self.scores.rename("index")], axis=1
        ).corr()

    def cronbach_alpha(self) -> pd.DataFrame:
        """Cronbach's alpha per pillar (and for all indicators), on the normalised values of units
        with complete data; a pillar of one indicator has none."""
        self._single("cronbach_alpha()")
        pillar_of = _pillar_of(self.spec, self.normalised.columns)
        groups = [("all indicators", list(self.normalised.columns))] + (
            [
                (pillar, list(cols.index))
                for pillar, cols in pillar_of.groupby(pillar_of, sort=False)
            ]
            if self.spec.pillars
            else []
        )
        rows = []
        for name, columns in groups:
            complete = self.normalised[columns].dropna()
            alpha = cronbach_alpha(complete) if len(columns) > 1 and len(complete) > 1 else math.nan
            rows.append(
                {
                    "component": name,
                    "indicators": len(columns),
                    "units": len(complete),
                    "alpha": alpha,
                }
            )
        return pd.DataFrame(rows)

    def plot(self, kind: str | None = None, *, top: int | None = None, ax=None):
        """Bar chart of the index: stacked contributions by pillar ("contributions", the default for
        arithmetic aggregation) or the scores ("scores"). Returns the matplotlib Axes."""
        import matplotlib.pyplot as plt
        import seaborn as sns

        self._single("plot()")
        kind = kind or ("contributions" if self.spec.aggregate == "arithmetic" else "scores")
        order = self.ranks.sort_values(kind="stable").index[:top]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.25 * len(order) + 1.5))
        if kind == "scores":
            data = pd.DataFrame({"unit": order, "score": self.scores[order].to_numpy()})
            sns.barplot(data=data, y="unit", x="score", color=sns.color_palette()[0], ax=ax)
        elif kind == "contributions":
            parts = self.contributions().loc[order]
            left = np.zeros(len(parts))
            for colour, column in zip(
                sns.color_palette(n_colors=parts.shape[1]), parts.columns, strict=True
            ):
                ax.barh(
                    list(order.astype(str)),
                    parts[column].to_numpy(),
                    left=left,
                    color=colour,
                    label=column,
                )
                left += parts[column].to_numpy()
            ax.invert_yaxis()
            ax.legend(
                title="pillar" if self.spec.pillars else "indicator",
                fontsize="small",
                loc="lower right",
            )
            ax.set_xlabel("contribution to the score")
        else:
            raise CompositeInputError(f"kind={kind!r} is not 'contributions' or 'scores'")
        ax.set_ylabel("")
        return ax


# --------------------------------------------------------------------------------------------------
# A researcher's own table


@dataclass(frozen=True, eq=False)
class UserTable:
    """An entity x indicator table read by :func:`read_table`, ready for :func:`build`.

    ``table``: entity ids x indicators (floats, NaN = missing), in the file's order; ``directions``:
    indicator -> +1/-1; ``names``: one row per data line (line, name as written, status,
    entity_id, name_en, message), the matching report to show or save.
    """

    table: pd.DataFrame
    directions: dict
    names: pd.DataFrame
    path: Path


def _read_text_table(path: Path) -> tuple[pd.DataFrame, str]:
    """A CSV (UTF-8, with or without BOM) or Excel sheet as text cells; and what a line is called."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        frame = pd.read_excel(path, dtype=object, header=0)
        return frame.map(lambda v: "" if pd.isna(v) else str(v).strip()), "row"
    if suffix not in (".csv", ".txt"):
        raise CompositeInputError(f"{path}: not a CSV or Excel file (suffix {path.suffix!r})")
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig"
        )
    except UnicodeDecodeError as error:
        raise CompositeInputError(
            f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8 CSV"
        ) from None
    return frame.map(str.strip), "line"


def _number(text: str) -> float | None:
    """A cell -> float (thousands separators allowed), NaN for an empty cell, None if not a number."""
    if text == "":
        return math.nan
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def _read_directions(directions, indicators: list[str]) -> tuple[dict, list[str]]:
    """Directions from a mapping or a codebook file (columns indicator and direction): (dict, problems)."""
    problems = []
    if isinstance(directions, (str, os.PathLike)):
        path = Path(directions)
        codebook, line_word = _read_text_table(path)
        name_column = next(
            (c for c in ("indicator", "indicator_id") if c in codebook.columns), None
        )
        if name_column is None or "direction" not in codebook.columns:
            raise CompositeInputError(
                f"{path}: a codebook needs the columns indicator (or indicator_id) and direction; "
                f"it has {_names(codebook.columns)}"
            )
        mapping = {}
        for i, (name, text) in enumerate(
            zip(codebook[name_column], codebook["direction"], strict=True)
        ):
            if name == "" and text == "":
                continue
            value = _number(text)
            if value not in (1.0, -1.0):
                problems.append(
                    f"{path}, {line_word} {i + 2}, column direction: {text!r} for {name!r} is not "
                    "+1 or -1"
                )
            elif name in mapping:
                problems.append(f"{path}, {line_word} {i + 2}: indicator {name!r} is listed twice")
            else:
                mapping[name] = int(value)
        where = f"the codebook {path}"
    else:
        mapping = _plain_mapping(directions) or {}
        where = "directions"
    problems += [f"{where}: {problem}" for problem in _direction_problems(mapping, indicators)]
    return {name: mapping.get(name) for name in indicators}, problems


def read_table(path, *, entity_column: str | None = None, directions=None) -> UserTable:
    """Read a researcher's entity x indicator table (CSV in UTF-8, or Excel) for a composite index.

    One line per entity: ``entity_column`` (default: the first column) names it in Chinese,
    English or pinyin, with or without 市, or by its entity id, and each name is resolved with
    :func:`innostudy.entities.resolve_many`. Every other column is an indicator, named by its header
    as written (units such as "(亿元)" stay in the name: every normalisation is scale-free). Cells
    are numbers (thousands separators allowed) or empty (missing). ``directions``: a codebook file
    (CSV or Excel, columns ``indicator`` and ``direction``, +1 higher is better or -1) or a mapping
    indicator -> +1/-1. Every problem is reported at once, with the file, line (an Excel row) and
    column: a name that is unknown, or ambiguous (with its candidates), two lines naming the same
    entity, a cell that is not a number, a missing or invalid direction.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder, "table.csv")
    ...     _ = path.write_text("城市,专利(件),PM2.5\\n贵阳市,120,30\\n包头,80,\\n", encoding="utf-8")
    ...     user = read_table(path, directions={"专利(件)": 1, "PM2.5": -1})
    >>> user.table.index.tolist(), user.table["PM2.5"].tolist()
    (['guiyang', 'baotou'], [30.0, nan])
    """
    from innostudy import entities

    path = Path(path)
    if not path.is_file():
        raise CompositeInputError(f"{path}: no such file")
    raw, line_word = _read_text_table(path)
    raw = raw[~(raw == "").all(axis=1)]  # an empty line holds nothing
    if raw.shape[1] < 2:
        raise CompositeInputError(f"{path}: needs an entity column and at least one indicator")
    entity_column = entity_column or raw.columns[0]
    if entity_column not in raw.columns:
        raise CompositeInputError(
            f"{path}: no column {entity_column!r}; columns are {_names(raw.columns)}"
        )
    indicators = [c for c in raw.columns if c != entity_column]
    lines = raw.index + 2  # the header is line 1
    problems = []
    matches = entities.resolve_many(raw[entity_column].replace("", None))
    names = pd.DataFrame(
        {
            "line": lines,
            "name": raw[entity_column].to_numpy(),
            "status": matches["status"].fillna("no name").to_numpy(),
            "entity_id": matches["entity_id"].to_numpy(),
            "name_en": matches["name_en"].to_numpy(),
            "message": matches["message"].fillna("empty cell").to_numpy(),
        }
    )
    for row in names.itertuples(index=False):
        if row.status != "resolved":
            problems.append(
                f"{path}, {line_word} {row.line}, column {entity_column}: {row.message}"
            )
    resolved = names[names["status"] == "resolved"]
    for entity_id, group in resolved.groupby("entity_id", sort=False):
        if len(group) > 1:
            problems.append(
                f"{path}, {line_word}s {_names(group['line'])}, column {entity_column}: "
                f"{_names(group['name'])} all name {entity_id}"
            )
    values = np.empty((len(raw), len(indicators)))
    for j, column in enumerate(indicators):
        for i, (line, text) in enumerate(zip(lines, raw[column], strict=True)):
            number = _number(text)
            if number is None or math.isinf(number):
                problems.append(
                    f"{path}, {line_word} {line}, column {column}: {text!r} is not a number"
                )
            else:
                values[i, j] = number
    direction_map, direction_problems = _read_directions(directions, indicators)
    problems += direction_problems
    _fail(problems, f"cannot read the table {path}")
    table = pd.DataFrame(
        values,
        index=pd.Index(names["entity_id"].to_numpy(), name="entity_id"),
        columns=pd.Index(indicators, name="indicator_id"),
    )
    return UserTable(table=table, directions=direction_map, names=names, path=path)


# --------------------------------------------------------------------------------------------------
# Simulated data


def simulated_table(
    n_units: int = 65,
    n_indicators: int = 12,
    n_pillars: int = 3,
    *,
    missing: float = 0.0,
    seed: int = 0,
) -> tuple[pd.DataFrame, IndexSpec]:
    """A seeded, clearly *simulated* units x indicators table and its spec (directions, pillars).

    Units share a latent performance, pillars add their own, indicators add noise; every fourth
    indicator is heavily skewed (so the outlier rule has work) and every fifth is a "lower is
    better" indicator. ``missing`` blanks that share of cells at random. Every label says
    "simulated".

    >>> table, spec = simulated_table(n_units=5, n_indicators=4, n_pillars=2, seed=3)
    >>> table.shape, table.index[0], spec.pillars["simulated_ind_02"]
    ((5, 4), 'simulated_unit_01', 'simulated_pillar_2')
    """
    rng = np.random.default_rng(seed)
    units = [f"simulated_unit_{i:02d}" for i in range(1, n_units + 1)]
    indicators = [f"simulated_ind_{j:02d}" for j in range(1, n_indicators + 1)]
    pillars = {name: f"simulated_pillar_{j % n_pillars + 1}" for j, name in enumerate(indicators)}
    latent = rng.normal(size=n_units)
    pillar_effect = latent[:, None] + rng.normal(scale=0.6, size=(n_units, n_pillars))
    columns, directions = {}, {}
    for j, name in enumerate(indicators):
        loading = rng.uniform(0.5, 0.9)
        signal = loading * pillar_effect[:, j % n_pillars] + math.sqrt(1 - loading**2) * rng.normal(
            size=n_units
        )
        if j % 4 == 3:
            values, direction = 10 * np.exp(1.3 * signal), 1
        elif j % 5 == 4:
            values, direction = 100 - 12 * signal, -1
        else:
            values, direction = 50 + 10 * signal, 1
        columns[name], directions[name] = values, direction
    table = pd.DataFrame(columns, index=pd.Index(units, name="entity_id"))
    if missing > 0:
        table = table.mask(rng.random(table.shape) < missing)
    table.columns.name = "indicator_id"
    return table, IndexSpec(directions=directions, pillars=pillars)


# --------------------------------------------------------------------------------------------------
# Monte Carlo: uncertainty and sensitivity


def _rank_rows(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank every row of a draws x units score matrix: 1 = highest, ties share the best rank.

    A tie is a score within ``RANK_RTOL`` x the row's largest absolute score of the one ranked just
    before it (so a run of such scores shares one rank). One sort per row. Returns ``order`` (units
    by rank) and ``ranks`` (the rank of ``order``'s unit).
    """
    if not np.isfinite(scores).all():
        raise CompositeInputError("scores are not finite in some draws")
    units = scores.shape[1]
    order = np.argsort(-scores, axis=1)
    ordered = np.take_along_axis(scores, order, axis=1)
    tolerance = RANK_RTOL * np.abs(scores).max(axis=1, keepdims=True)
    tied = ordered[:, :-1] - ordered[:, 1:] <= tolerance
    ranks = np.broadcast_to(np.arange(1, units + 1), scores.shape)
    if tied.any():
        rows = np.flatnonzero(tied.any(axis=1))
        positions = np.where(tied[rows], 0, np.arange(2, units + 1))
        ranks = ranks.copy()
        ranks[rows, 1:] = np.maximum.accumulate(np.maximum(positions, 1), axis=1)
    return order, ranks


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
                ("aggregation", self.aggregations, AGGREGATIONS),
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
                else _treated(table, spec.replace(impute=imputation), _Log())
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
        """Arrays that turn a weights matrix (draws x indicators) into scores (draws x units)."""
        normalised = _normalised(treated, spec, _Log())
        where = f"{spec.normalise} + {spec.aggregate} + impute {spec.impute}"
        if spec.aggregate == "topsis":
            _require_complete(treated, f"TOPSIS ({where})")
            _require_varying(treated, f"TOPSIS ({where})")
            d = _direction_array(spec.directions, treated.columns)
            r = _topsis_matrix(treated.to_numpy(dtype=float), d, spec.topsis_normalise)
            return (
                "topsis",
                ((r - r.max(axis=0)) ** 2).T.copy(),
                ((r - r.min(axis=0)) ** 2).T.copy(),
            )
        x = normalised.to_numpy(dtype=float)
        present = ~np.isnan(x)
        if spec.aggregate == "geometric":
            bad = list(normalised.columns[(normalised <= 0).any()])
            _fail(
                [
                    f"{where}: indicator(s) {_names(bad)} have values <= 0 "
                    "(use minmax_range=(1, 100))"
                ]
                if bad
                else [],
                "a geometric mean needs positive values",
            )
            x = np.log(np.where(present, x, 1.0))  # exp of the weighted log-mean, in _scores
        values = np.where(present, x, 0.0).T.copy()
        return (spec.aggregate, values, None if present.all() else present.T.astype(float))

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
        kind, first, second = self.kernels[
            self.normalisations[n_i], self.aggregations[a_i], self.imputations[i_i]
        ]
        if kind in ("arithmetic", "geometric"):
            mean = w @ first if second is None else (w @ first) / (w @ second)
            return mean if kind == "arithmetic" else np.exp(mean)
        squared = w**2
        to_ideal, to_anti = np.sqrt(squared @ first), np.sqrt(squared @ second)
        return to_anti / (to_ideal + to_anti)  # TOPSIS closeness, as build() scores it

    def rank_shift(self, u: np.ndarray, chunk_size: int) -> np.ndarray:
        """Mean absolute rank shift from the nominal ranks, per draw."""
        out = np.empty(len(u))
        for start in range(0, len(u), chunk_size):
            _, _, scores = self.score(u[start : start + chunk_size])
            order, ranks = _rank_rows(scores)
            out[start : start + chunk_size] = np.abs(ranks - self.nominal_ranks[order]).mean(axis=1)
        return out


@dataclass(frozen=True, eq=False)
class Uncertainty:
    """Rank intervals from a Monte Carlo over the index's choices.

    ``ranks``: per unit nominal_rank, median_rank, p05_rank, p95_rank (5th/95th percentiles of the
    unit's rank over the draws, inverted-CDF definition); ``frequencies``: units x ranks counts;
    ``draws``: each draw's weights, choices and mean absolute rank shift.
    """

    ranks: pd.DataFrame
    frequencies: pd.DataFrame
    draws: pd.DataFrame
    settings: dict

    def tidy(self) -> pd.DataFrame:
        """One row per unit: entity_id, nominal_rank, median_rank, p05_rank, p95_rank."""
        return self.ranks.reset_index()

    def summary(self) -> str:
        r = self.ranks
        width = r["p95_rank"] - r["p05_rank"]
        s = self.settings
        return "\n".join(
            [
                f"Uncertainty: {s['n']:,} draws (seed {s['seed']}) over {len(r)} units; "
                f"weights {s['weights']}; normalisations {_names(s['normalisations'])}; "
                f"aggregations {_names(s['aggregations'])}; imputations {_names(s['imputations'])}",
                f"  90% rank interval width: median {width.median():.0f}, "
                f"max {width.max():.0f} places",
                "  mean absolute rank shift per draw: "
                f"{self.draws['mean_abs_rank_shift'].mean():.2f} places",
                r.sort_values("nominal_rank").to_string(max_rows=20),
            ]
        )

    def plot(self, *, top: int | None = None, title: str | None = None, ax=None):
        """Rank interval (5th-95th percentile), median and nominal rank per unit; returns Axes."""
        import matplotlib.pyplot as plt
        import seaborn as sns

        r = self.ranks.sort_values(["nominal_rank", "median_rank"]).iloc[:top]
        labels = r.index.astype(str)
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.2 * len(r) + 1.5))
        palette = sns.color_palette()
        ax.hlines(
            labels,
            r["p05_rank"],
            r["p95_rank"],
            color=palette[0],
            lw=2,
            label="5th-95th percentile",
        )
        ax.scatter(r["median_rank"], labels, color=palette[0], zorder=3, s=18, label="median")
        ax.scatter(
            r["nominal_rank"], labels, color=palette[3], marker="x", zorder=4, s=18, label="nominal"
        )
        ax.invert_yaxis()
        ax.set_xlabel("rank (1 = best)")
        ax.tick_params(axis="y", labelsize="small")
        ax.legend(fontsize="small", loc="upper right")
        if title:
            ax.set_title(title)
        return ax


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
    combination of choices and ranked by one sort per draw, so memory stays bounded; results do not
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
    counts = np.zeros(units * units, dtype=np.int64)
    shift = np.empty(n)
    all_weights = np.empty((n, len(engine.w0)))
    all_codes = np.empty((n, 3), dtype=np.int64)
    for start in range(0, n, chunk_size):
        size = min(chunk_size, n - start)
        codes, w, scores = engine.score(rng.random((size, engine.dim)))
        order, ranks = _rank_rows(scores)
        counts += np.bincount((order * units + ranks - 1).ravel(), minlength=units * units)
        shift[start : start + size] = np.abs(ranks - engine.nominal_ranks[order]).mean(axis=1)
        all_weights[start : start + size], all_codes[start : start + size] = w, codes
    counts = counts.reshape(units, units)
    cumulative = counts.cumsum(axis=1)

    def quantile(q):
        return np.argmax(cumulative >= math.ceil(q * n - 1e-9), axis=1) + 1

    ranks = pd.DataFrame(
        {
            "nominal_rank": engine.nominal_ranks,
            "median_rank": quantile(0.5),
            "p05_rank": quantile(0.05),
            "p95_rank": quantile(0.95),
        },
        index=engine.units,
    )
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
    frequencies = pd.DataFrame(
        counts, index=engine.units, columns=pd.RangeIndex(1, units + 1, name="rank")
    )
    settings = {
        "n": n, "seed": seed, "weights": weights, "concentration": concentration,
        "normalisations": engine.normalisations, "aggregations": engine.aggregations,
        "imputations": engine.imputations,
    }  # fmt: skip
    return Uncertainty(ranks=ranks, frequencies=frequencies, draws=draws, settings=settings)


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


@dataclass(frozen=True, eq=False)
class Sensitivity:
    """Sobol indices of the mean absolute rank shift: which choice moves the ranking most."""

    indices: pd.DataFrame
    settings: dict

    def tidy(self) -> pd.DataFrame:
        """One row per factor: first_order and total indices with 95 % bootstrap intervals."""
        return self.indices.copy()

    def summary(self) -> str:
        s = self.settings
        return "\n".join(
            [
                "Sensitivity of the mean absolute rank shift: "
                f"{s['evaluations']:,} evaluations (seed {s['seed']})",
                self.indices.round(3).to_string(index=False),
            ]
        )

    def plot(self, *, title: str | None = None, ax=None):
        """First-order and total index per factor, as bars. Returns the Axes."""
        import matplotlib.pyplot as plt
        import seaborn as sns

        long = self.indices.melt(
            id_vars="factor", value_vars=["first_order", "total"], var_name="index"
        )
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.6 * len(self.indices) + 1.5))
        sns.barplot(data=long, y="factor", x="value", hue="index", ax=ax)
        ax.set_xlabel("Sobol index of the mean absolute rank shift")
        ax.set_ylabel("")
        if title:
            ax.set_title(title)
        return ax


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
    return Sensitivity(indices=indices, settings={"n": n, "seed": seed, "evaluations": evaluations})
