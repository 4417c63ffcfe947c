"""The specification of a composite index: every choice in one immutable :class:`IndexSpec`, and
which step of the pipeline each choice belongs to (:data:`STEP_FIELDS`), so that a change can be
replayed from the first step it affects.

>>> first_step(["weights"]), first_step(["impute", "normalise"])
('weights', 'impute')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from innostudy.composite.aggregation import AGGREGATIONS, TOPSIS_NORMALISATIONS
from innostudy.composite.base import CompositeInputError, _fail, _names, _plain_mapping
from innostudy.composite.normalisation import NORMALISATIONS
from innostudy.composite.treatment import IMPUTATIONS, OUTLIER_RULES
from innostudy.composite.weights import WEIGHTINGS

STEPS = ("screen", "impute", "outliers", "normalise", "weights", "aggregate", "rank")
# The choices each step reads first; a step must be replayed when any of them changes. The
# aggregation belongs to normalise: TOPSIS and VIKOR take the treated values unnormalised.
STEP_FIELDS = {
    "screen": ("min_coverage", "year", "across_years"),
    "impute": ("impute", "groups"),
    "outliers": ("outliers", "winmax", "skew_threshold", "kurt_threshold"),
    "normalise": ("normalise", "minmax_range", "goalposts", "directions", "aggregate"),
    "weights": ("weights", "pillars", "pillar_weights"),
    "aggregate": ("topsis_normalise", "vikor_v"),
    "rank": (),
}


def first_step(fields: Iterable[str]) -> str:
    """The earliest step that reads any of ``fields`` (the step a replay must start from)."""
    fields = set(fields)
    unknown = fields - {f for names in STEP_FIELDS.values() for f in names}
    if unknown:
        raise CompositeInputError(f"IndexSpec has no choice(s) {_names(sorted(unknown))}")
    return next((s for s in STEPS if fields & set(STEP_FIELDS[s])), "rank")


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
    aggregate: "arithmetic", "geometric", "topsis", "vikor" or "copeland" (any name in
        :data:`AGGREGATIONS`; TOPSIS and VIKOR normalise the treated values themselves, TOPSIS by
        ``topsis_normalise``: "vector" or "minmax"; ``vikor_v`` weighs VIKOR's group utility).
    year: name of the year column that makes the table a panel.
    across_years: for a panel, False builds each year separately; True screens and imputes each
        year, then treats outliers, normalises, weights and aggregates over all unit-years at once
        (min-max over every year's values), so that scores are comparable over time; ranks stay
        within each year.

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
    vikor_v: float = 0.5
    year: str = "year"
    across_years: bool = False

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
        if not 0 <= self.vikor_v <= 1:
            problems.append(f"vikor_v={self.vikor_v} is not a weight between 0 and 1")
        if self.winmax < 0:
            problems.append(f"winmax={self.winmax} is negative")
        if self.aggregate == "geometric" and self.normalise == "zscore":
            problems.append(
                "aggregate='geometric' needs positive values, and z-scores are centred on 0: "
                "normalise with 'rank', 'percentile' or 'minmax' with minmax_range=(1, 100)"
            )
        _fail(problems, "invalid IndexSpec")

    def replace(self, **changes) -> IndexSpec:
        """A copy with some choices changed: ``spec.replace(weights="critic")``."""
        return dataclasses.replace(self, **changes)
