"""Normalisation: put indicators on one scale where higher is better.

Each method is a function ``(x, d, table, minmax_range, goalposts) -> array`` (``x`` the raw values,
``d`` the +1/-1 directions) found by name in :data:`NORMALISATIONS`; a new one is one function and
``@normalisation("name")``. In a panel index built with ``across_years=True`` the table holds
every unit-year, so min-max and z-score use the minimum, maximum, mean and spread over all years.

>>> t = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [30.0, 20.0, 10.0]}, index=["x", "y", "z"])
>>> normalise(t, "minmax", {"a": 1, "b": -1})["b"].tolist()
[0.0, 50.0, 100.0]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from innostudy.composite.base import (
    Registry,
    _direction_array,
    _fail,
    _minmax,
    _names,
    _require_finite,
    _require_varying,
    _unit_scale,
)

NORMALISATIONS = Registry("normalisation")
normalisation = NORMALISATIONS  # decorator: @normalisation("minmax")


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

    >>> t = pd.DataFrame({"a": [1.0, 2.0, 4.0]})
    >>> normalise(t, "percentile", {"a": 1})["a"].round(1).tolist()
    [33.3, 66.7, 100.0]
    """
    method_function = NORMALISATIONS.get(method)
    _require_finite(table, f"{method} normalisation")
    d = _direction_array(directions, table.columns)
    x = table.to_numpy(dtype=float)
    out = method_function(x, d, table, minmax_range=minmax_range, goalposts=goalposts)
    return pd.DataFrame(out, index=table.index, columns=table.columns)


@normalisation("minmax")
def _minmax_range(x, d, table, *, minmax_range, **_):
    _require_varying(table, "minmax normalisation")
    low, high = minmax_range
    return low + (high - low) * _minmax(x * d)


@normalisation("zscore")
def _zscore(x, d, table, **_):
    _require_varying(table, "zscore normalisation")
    scaled, _ = _unit_scale(x * d)
    return (scaled - np.nanmean(scaled, axis=0)) / np.nanstd(scaled, axis=0, ddof=1)


def _ranks(x, d):
    return pd.DataFrame(x * d).rank(method="average").to_numpy()


@normalisation("rank")
def _rank(x, d, table, **_):
    return _ranks(x, d)


@normalisation("percentile")
def _percentile(x, d, table, **_):
    return 100 * _ranks(x, d) / np.sum(~np.isnan(x), axis=0)


@normalisation("distance_to_leader")
def _distance_to_leader(x, d, table, **_):
    bad = [
        f"{column} ({_names(table.index[table[column] <= 0])})"
        for column in table.columns
        if (table[column] <= 0).any()
    ]
    _fail(bad, "distance to the leader needs positive values; non-positive in")
    return np.where(d > 0, 100 * x / np.nanmax(x, axis=0), 100 * np.nanmin(x, axis=0) / x)


@normalisation("goalposts")
def _goalposts(x, d, table, *, goalposts, **_):
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
    share = np.where(d > 0, x - low, high - x) / (high - low)
    return 100 * np.clip(share, 0, 1)
