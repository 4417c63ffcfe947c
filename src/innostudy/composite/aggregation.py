"""Aggregation: weighted means, TOPSIS, VIKOR and Copeland, and the registry :data:`AGGREGATIONS`
through which ``IndexSpec(aggregate=...)`` finds them. Each registered method is a function
``(treated, normalised, weights, spec) -> scores`` (higher is better); those that normalise the
treated values themselves (TOPSIS, VIKOR) are registered with ``own_normalisation=True``.

* arithmetic, geometric: compensatory weighted means (a weak indicator is offset by strong ones);
* topsis: closeness to the ideal unit; vikor: 1 - Q, the compromise between group utility and
  the largest individual regret (Opricovic & Tzeng 2004);
* copeland: non-compensatory (Munda & Nardo 2009): for each pair of units, the weights of the
  indicators on which one is better (half of those where they are equal) are summed; a unit wins
  a pair when its sum is larger; its score is wins minus losses. How much better never counts.

>>> t = pd.DataFrame({"a": [3.0, 2.0, 1.0], "b": [1.0, 3.0, 2.0], "c": [3.0, 1.0, 2.0]})
>>> copeland(t, {"a": 1, "b": 1, "c": 1}).tolist()
[2.0, 0.0, -2.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from innostudy.composite.base import (
    CompositeInputError,
    Registry,
    _direction_array,
    _fail,
    _minmax,
    _names,
    _require_complete,
    _require_finite,
    _require_varying,
    _unit_scale,
    _weight_vector,
)

AGGREGATIONS = Registry("aggregation")
TOPSIS_NORMALISATIONS = ("vector", "minmax")


def aggregation(name: str, *, own_normalisation: bool = False):
    """Register an aggregation for ``IndexSpec(aggregate=name)``: ``@aggregation("copeland")``."""

    def register(func):
        func.own_normalisation = own_normalisation
        return AGGREGATIONS(name)(func)

    return register


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
        shown = bad[:12] + ([f"… and {len(bad) - 12} more"] if len(bad) > 12 else [])
        _fail(
            shown,
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


def copeland(normalised: pd.DataFrame, weights) -> pd.Series:
    """Copeland scores from the weighted outranking matrix: wins minus losses over all pairs.

    ``normalised``: higher is better on every indicator (e.g. after :func:`normalise`), complete.
    Unit a outranks b by the weights of the indicators where a is higher plus half those where
    they are equal; a wins the pair when that exceeds b's (up to 1e-12 of the total weight).
    Memory and time grow with units squared (one units x units matrix), fine for an index of a
    few thousand units.

    >>> t = pd.DataFrame({"a": [1.0, 2.0], "b": [2.0, 1.0]}, index=["x", "y"])
    >>> copeland(t, {"a": 0.6, "b": 0.4}).to_dict()
    {'x': -1.0, 'y': 1.0}
    """
    _require_complete(normalised, "Copeland")
    _require_finite(normalised, "Copeland")
    w = _weight_vector(weights, normalised.columns)
    x = normalised.to_numpy(dtype=float)
    outranks = np.zeros((len(x), len(x)))
    for j in range(x.shape[1]):
        column = x[:, j]
        better = column[:, None] > column[None, :]
        outranks += w[j] * (better + 0.5 * (column[:, None] == column[None, :]))
    margin = outranks - outranks.T
    wins = (margin > 1e-12).sum(axis=1) - (margin < -1e-12).sum(axis=1)
    return pd.Series(wins.astype(float), index=normalised.index, name="copeland")


# --------------------------------------------------------------------------------------------------
# The registry the pipeline uses: (treated, normalised, weights, spec) -> scores, higher is better


@aggregation("arithmetic")
def _arithmetic(treated, normalised, weights, spec):
    return aggregate(normalised, weights, "arithmetic")


@aggregation("geometric")
def _geometric(treated, normalised, weights, spec):
    return aggregate(normalised, weights, "geometric")


@aggregation("topsis", own_normalisation=True)
def _topsis(treated, normalised, weights, spec):
    return topsis(treated, weights, spec.directions, spec.topsis_normalise)


@aggregation("vikor", own_normalisation=True)
def _vikor(treated, normalised, weights, spec):
    return 1 - vikor(treated, weights, spec.directions, spec.vikor_v)["Q"]


@aggregation("copeland")
def _copeland(treated, normalised, weights, spec):
    return copeland(normalised, weights)
