"""Weights: objective weighting methods, and the registry :data:`WEIGHTINGS` that the pipeline
uses to find them by name (each a function ``(treated table, spec) -> weights within a pillar``;
a new one is one function and ``@weighting("name")``). Manual weights are a dict keyed by
indicator name, never by position.

>>> sorted(WEIGHTINGS)
['critic', 'entropy_minmax', 'entropy_proportions', 'equal', 'pca']
"""

from __future__ import annotations

import math

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
)

WEIGHTINGS = Registry("weighting")
weighting = WEIGHTINGS  # decorator: @weighting("critic")
ENTROPY_VARIANTS = ("proportions", "minmax")


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


@weighting("equal")
def _equal(treated, spec):
    return pd.Series(1.0, index=treated.columns)


@weighting("entropy_proportions")
def _entropy_proportions(treated, spec):
    return entropy_weights(treated, "proportions", spec.directions)


@weighting("entropy_minmax")
def _entropy_minmax(treated, spec):
    return entropy_weights(treated, "minmax", spec.directions)


@weighting("critic")
def _critic(treated, spec):
    return critic_weights(treated, spec.directions)


@weighting("pca")
def _pca(treated, spec):
    return pca_weights(treated)
