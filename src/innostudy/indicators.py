"""Derived indicators from tidy observations, with their intervals: per capita, growth and CAGR
between dated snapshots, percentiles of published ranks, and which indicators entities share.

Every function takes and returns tidy frames shaped like ``Dataset.observations`` (one row per fact:
``value``, ``low``, ``high``, ``qualifier``, ``unit``) and keeps the ``obs_id`` of every fact it used,
so a derived figure can always be traced to its sources. Intervals are carried through: "more than
90" experts per 10,000 residents stays a lower bound; a figure whose interval is unknown ("about")
gives a derived figure whose interval is unknown.

>>> import innostudy as ist
>>> from innostudy import indicators as ind
>>> ds = ist.load_dataset()
>>> experts = ds.observations.query("indicator_id == 'platform_experts_joined'")
>>> population = ds.observations.query("indicator_id == 'resident_population'")
>>> ind.per_capita(experts, population)[["entity_id", "value"]].round(2).to_string(index=False)
'entity_id  value\\n  guiyang   8.32\\n   baotou   8.61'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from innostudy.errors import InnostudyError

# Rank qualifiers turn around when a rank becomes a percentile: "at most 10th" -> "at least ...".
_REVERSED = {
    "exact": "exact",
    "about": "about",
    "at_most": "at_least",
    "less_than": "more_than",
    "at_least": "at_most",
    "more_than": "less_than",
}
_NOT_PER_CAPITA = ("percent", "rank", "year")


class IndicatorError(InnostudyError, ValueError):
    """Observations a derived indicator cannot be computed from; the message names each one."""


def _fail(problems: Sequence[str], what: str) -> None:
    if problems:
        raise IndicatorError("\n  - ".join([f"{what}:", *problems]))


def _names(items, limit: int = 12) -> str:
    items = [str(item) for item in items]
    return ", ".join(items[:limit]) + (
        f" (and {len(items) - limit} more)" if len(items) > limit else ""
    )


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    _fail(
        [f"missing column(s) {_names(missing)}"] if missing else [],
        f"{what} need the columns of Dataset.observations",
    )


# --------------------------------------------------------------------------------------------------
# Per capita


def _population_facts(population: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Population as facts: entity_id, population, its bounds, qualifier, obs_id and date."""
    if isinstance(population, pd.Series):
        return pd.DataFrame(
            {
                "entity_id": population.index,
                "population": population.to_numpy(dtype=float),
                "population_low": population.to_numpy(dtype=float),
                "population_high": population.to_numpy(dtype=float),
                "population_qualifier": "exact",
                "population_obs_id": pd.NA,
                "population_as_of_date": pd.NaT,
            }
        )
    _require_columns(
        population,
        ("obs_id", "entity_id", "value", "low", "high", "qualifier", "as_of_date"),
        "population",
    )
    return population.rename(
        columns={
            "value": "population",
            "low": "population_low",
            "high": "population_high",
            "qualifier": "population_qualifier",
            "obs_id": "population_obs_id",
            "as_of_date": "population_as_of_date",
        }
    )[
        [
            "entity_id", "population", "population_low", "population_high",
            "population_qualifier", "population_obs_id", "population_as_of_date",
        ]
    ]  # fmt: skip


def per_capita(
    obs: pd.DataFrame, population: pd.DataFrame | pd.Series, per: int = 10_000
) -> pd.DataFrame:
    """Each observation per ``per`` residents, its interval carried through.

    ``population`` is the population facts (e.g. ``ds.observations`` of ``resident_population``) or
    a Series entity_id -> persons. Where an entity has several population facts, the one nearest in
    time to the observation is used (the latest of equally near ones); its ``obs_id`` is kept. The
    interval divides by the population's: a lower bound stays a lower bound with the same qualifier;
    an approximate ("about") population makes the result approximate. Rows come back in input
    order, one per observation, with indicator ``<indicator>_per_<per>``.

    >>> obs = pd.DataFrame({"obs_id": ["o1"], "entity_id": ["x"], "indicator_id": ["experts"],
    ...     "value": [90.0], "low": [90.0], "high": [np.inf], "qualifier": ["more_than"],
    ...     "unit": ["persons"], "as_of_date": [pd.Timestamp("2023-01-01")]})
    >>> per_capita(obs, pd.Series({"x": 3_000_000}))[["value", "low", "high", "qualifier"]]
       value  low  high  qualifier
    0    0.3  0.3   inf  more_than
    """
    _require_columns(
        obs,
        (
            "obs_id",
            "entity_id",
            "indicator_id",
            "value",
            "low",
            "high",
            "qualifier",
            "unit",
            "as_of_date",
        ),
        "per_capita observations",
    )
    facts = _population_facts(population)
    problems = []
    without = sorted(set(obs["entity_id"]) - set(facts["entity_id"]))
    if without:
        problems.append(
            f"no population for entity(ies) {_names(without)}: select others or add one"
        )
    unsuitable = obs[obs["unit"].isin(_NOT_PER_CAPITA) | (obs["value"] < 0)]
    if len(unsuitable):
        problems.append(
            "a per-capita figure needs a non-negative count or amount, not "
            + _names(f"{r.obs_id} ({r.indicator_id}, {r.unit})" for r in unsuitable.itertuples())
        )
    bad_population = facts[
        ~facts["population_qualifier"].isin(("exact", "about")) | ~(facts["population"] > 0)
    ]
    if len(bad_population):
        problems.append(
            "populations must be positive and exact or approximate: "
            + _names(bad_population["entity_id"] + " " + bad_population["population_qualifier"])
        )
    _fail(problems, "cannot compute per-capita figures")
    merged = (
        obs.reset_index(drop=True).rename_axis("_row").reset_index().merge(facts, on="entity_id")
    )
    distance = (merged["as_of_date"] - merged["population_as_of_date"]).abs()
    merged = (
        merged.assign(_distance=distance.fillna(pd.Timedelta(0)))
        .sort_values(["_row", "_distance", "population_as_of_date"], ascending=[True, True, False])
        .drop_duplicates("_row")
        .sort_values("_row")
    )
    scale = per / merged["population"]
    approximate = merged["population_qualifier"] == "about"
    out = merged.assign(
        base_indicator_id=merged["indicator_id"],
        indicator_id=merged["indicator_id"] + f"_per_{per}",
        value=merged["value"] * scale,
        low=(merged["low"] * per / merged["population_high"]).mask(approximate),
        high=(merged["high"] * per / merged["population_low"]).mask(approximate),
        qualifier=merged["qualifier"].mask(approximate, "about"),
        unit=merged["unit"] + f" per {per:,} residents",
    )
    if "group" in out.columns:
        out["group"] = out["group"] + f"_per_{per}"
    columns = [
        "obs_id", "entity_id", "indicator_id", "base_indicator_id", "value", "low", "high",
        "qualifier", "unit", "as_of", "as_of_date", "source_id", "group", "population",
        "population_obs_id", "population_as_of_date",
    ]  # fmt: skip
    return out[[c for c in columns if c in out.columns]].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Growth between snapshots


def _snapshot_pairs(obs: pd.DataFrame, indicator, across_groups: bool) -> pd.DataFrame:
    """Consecutive dated snapshots of one indicator (or several treated as one) per entity."""
    _require_columns(
        obs,
        ("obs_id", "entity_id", "indicator_id", "value", "low", "high", "as_of_date", "group"),
        "growth observations",
    )
    wanted = [indicator] if isinstance(indicator, str) else list(indicator)
    unknown = [name for name in wanted if name not in set(obs["indicator_id"])]
    _fail([f"no observation of {_names(unknown)}"] if unknown else [], "cannot compute growth")
    facts = obs[obs["indicator_id"].isin(wanted)].sort_values(["entity_id", "as_of_date", "obs_id"])
    same_moment = facts[facts.duplicated(["entity_id", "as_of_date"], keep=False)]
    _fail(
        [
            f"{entity}: {_names(group['obs_id'])} describe the same moment (see Dataset.conflicts())"
            for entity, group in same_moment.groupby("entity_id")
        ],
        "choose one fact per moment before computing growth",
    )
    start = facts.groupby("entity_id").shift(1)
    pairs = facts.assign(**{f"start_{c}": start[c] for c in start.columns}).dropna(
        subset=["start_obs_id"]
    )
    _fail(
        [] if len(pairs) else [f"no entity has two dated snapshots of {_names(wanted)}"],
        "cannot compute growth",
    )
    crossing = pairs[pairs["start_group"] != pairs["group"]]
    if not across_groups:
        _fail(
            [
                f"{r.entity_id}: {r.start_indicator_id} ({r.start_obs_id}, group {r.start_group}) "
                f"-> {r.indicator_id} ({r.obs_id}, group {r.group})"
                for r in crossing.itertuples()
            ],
            "these snapshots are in different comparability groups (pass across_groups=True to "
            "compare them anyway)",
        )
    not_positive = pairs[~(pairs["start_value"] > 0)]
    _fail(
        [f"{r.entity_id}: {r.start_obs_id} = {r.start_value}" for r in not_positive.itertuples()],
        "growth needs a positive starting value",
    )
    return pairs


def _change_frame(pairs: pd.DataFrame, value, low, high, unit: str) -> pd.DataFrame:
    exact = (pairs["start_low"] == pairs["start_high"]) & (pairs["low"] == pairs["high"])
    unknown = pd.concat(
        [pairs[c].isna() for c in ("start_low", "start_high", "low", "high")], axis=1
    )
    qualifier = np.where(unknown.any(axis=1), "about", np.where(exact, "exact", "bounded"))
    return pd.DataFrame(
        {
            "entity_id": pairs["entity_id"].to_numpy(),
            "start_indicator_id": pairs["start_indicator_id"].to_numpy(),
            "end_indicator_id": pairs["indicator_id"].to_numpy(),
            "start_obs_id": pairs["start_obs_id"].to_numpy(),
            "end_obs_id": pairs["obs_id"].to_numpy(),
            "start_as_of_date": pairs["start_as_of_date"].to_numpy(),
            "end_as_of_date": pairs["as_of_date"].to_numpy(),
            "years": _years(pairs).to_numpy(),
            "start_value": pairs["start_value"].to_numpy(),
            "end_value": pairs["value"].to_numpy(),
            "value": np.asarray(value, dtype=float),
            "low": np.asarray(low, dtype=float),
            "high": np.asarray(high, dtype=float),
            "qualifier": qualifier,
            "unit": unit,
            "start_group": pairs["start_group"].to_numpy(),
            "end_group": pairs["group"].to_numpy(),
        }
    )


def _years(pairs: pd.DataFrame) -> pd.Series:
    return (pairs["as_of_date"] - pairs["start_as_of_date"]).dt.days / 365.2425


def _ratios(pairs: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """end/start for the figures and the interval (lowest end over highest start and vice versa)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = pairs["value"] / pairs["start_value"]
        low = pairs["low"] / pairs["start_high"]
        high = (pairs["high"] / pairs["start_low"]).where(pairs["start_low"] > 0, np.inf)
    high = high.where(pairs["start_low"].notna() & pairs["high"].notna())
    return ratio, low, high


def growth(
    obs: pd.DataFrame, indicator: str | Sequence[str], *, across_groups: bool = False
) -> pd.DataFrame:
    """Percent change between consecutive dated snapshots of an indicator, per entity.

    ``indicator`` may name several indicators to be read as one series; snapshots in different
    comparability groups (e.g. Guiyang alone vs Guiyang with Gui'an New Area) are refused, naming
    both groups, unless ``across_groups=True``. Two facts about the same moment are refused (choose
    one first). The interval is the widest change the facts allow; the qualifier is "exact",
    "about" (an interval unknown) or "bounded" (low/high say what is known).

    >>> obs = pd.DataFrame({"obs_id": ["a", "b"], "entity_id": "x", "indicator_id": "n",
    ...     "value": [100.0, 121.0], "low": [100.0, 121.0], "high": [100.0, 121.0], "group": "n",
    ...     "as_of_date": pd.to_datetime(["2020-12-31", "2022-12-31"])})
    >>> growth(obs, "n")[["start_obs_id", "end_obs_id", "value", "qualifier"]]
      start_obs_id end_obs_id  value qualifier
    0            a          b   21.0     exact
    """
    pairs = _snapshot_pairs(obs, indicator, across_groups)
    ratio, low, high = _ratios(pairs)
    return _change_frame(pairs, 100 * (ratio - 1), 100 * (low - 1), 100 * (high - 1), "percent")


def cagr(
    obs: pd.DataFrame, indicator: str | Sequence[str], *, across_groups: bool = False
) -> pd.DataFrame:
    """Compound annual growth rate (percent per year) between consecutive dated snapshots.

    Same rules as :func:`growth`; years are counted between the ends of the as-of periods.

    >>> obs = pd.DataFrame({"obs_id": ["a", "b"], "entity_id": "x", "indicator_id": "n",
    ...     "value": [100.0, 121.0], "low": [100.0, 121.0], "high": [100.0, 121.0], "group": "n",
    ...     "as_of_date": pd.to_datetime(["2020-12-31", "2022-12-31"])})
    >>> round(cagr(obs, "n")["value"].iloc[0], 1)
    np.float64(10.0)
    """
    pairs = _snapshot_pairs(obs, indicator, across_groups)
    ratio, low, high = _ratios(pairs)
    exponent = 1 / _years(pairs)
    return _change_frame(
        pairs,
        100 * (ratio**exponent - 1),
        100 * (low**exponent - 1),
        100 * (high**exponent - 1),
        "percent per year",
    )


# --------------------------------------------------------------------------------------------------
# Rank percentiles


class RankPercentile(NamedTuple):
    """A percentile and its interval (scalars, or Series for Series input)."""

    value: float | pd.Series
    low: float | pd.Series
    high: float | pd.Series


def rank_percentile(position, field_size, *, low=None, high=None) -> RankPercentile:
    """Percentile of a published rank: 100 x (field size - position) / (field size - 1), the share of
    the other ranked units placed below (1st = 100, last = 0).

    ``low`` and ``high`` bound the position where it is not exact ("top 10": position 10, low 1,
    high 10); NaN bounds (an "about" rank) give NaN bounds. Scalars or Series.

    >>> rank_percentile(23, 65)
    RankPercentile(value=65.625, low=65.625, high=65.625)
    >>> rank_percentile(10, 65, low=1, high=10)
    RankPercentile(value=85.9375, low=85.9375, high=100.0)
    """
    low = position if low is None else low
    high = position if high is None else high
    frame = pd.DataFrame(
        {"position": position, "size": field_size, "low": low, "high": high}, index=_index(position)
    )
    bad = frame[
        ~(frame["size"] >= 2)
        | ~((frame["position"] >= 1) & (frame["position"] <= frame["size"]))
        | (frame["low"] < 1)
        | (frame["high"] > frame["size"])
        | (frame["low"] > frame["position"])
        | (frame["high"] < frame["position"])
    ]
    _fail(
        [
            f"{label}: position {r.position} (from {r.low} to {r.high}) of {r.size}"
            for label, r in bad.iterrows()
        ],
        "a rank must lie between 1 and a field size of at least 2",
    )

    def percentile(rank):
        return 100 * (frame["size"] - rank) / (frame["size"] - 1)

    result = (percentile(frame["position"]), percentile(frame["high"]), percentile(frame["low"]))
    if isinstance(position, pd.Series):
        return RankPercentile(*result)
    return RankPercentile(*(float(part.iloc[0]) for part in result))


def _index(position):
    return position.index if isinstance(position, pd.Series) else [0]


def rank_percentiles(obs: pd.DataFrame) -> pd.DataFrame:
    """Percentiles of every ``<x>_rank`` fact, paired with the ``<x>_rank_field_size`` fact of the
    same entity, as-of date and source; indicator ``<x>_percentile``.

    A rank without a recorded field size stays in the table with no value and a note saying so;
    the qualifier turns around ("at most 10th" -> "at least" the percentile of 10th).
    """
    _require_columns(
        obs,
        (
            "obs_id",
            "entity_id",
            "indicator_id",
            "value",
            "low",
            "high",
            "qualifier",
            "as_of",
            "source_id",
        ),
        "rank_percentiles observations",
    )
    is_size = obs["indicator_id"].str.endswith("_rank_field_size")
    ranks = obs[obs["indicator_id"].str.endswith("_rank") & ~is_size]
    sizes = obs[is_size].assign(
        indicator_id=lambda s: s["indicator_id"].str.removesuffix("_field_size")
    )
    keys = ["entity_id", "indicator_id", "as_of", "source_id"]
    paired = ranks.merge(
        sizes[[*keys, "obs_id", "value"]].rename(
            columns={"obs_id": "field_size_obs_id", "value": "field_size"}
        ),
        on=keys,
        how="left",
        validate="one_to_one",
    )
    found = paired["field_size"].notna()
    percentile = rank_percentile(
        paired["value"][found],
        paired["field_size"][found],
        low=paired["low"][found],
        high=paired["high"][found],
    )
    out = paired.assign(
        indicator_id=paired["indicator_id"].str.removesuffix("_rank") + "_percentile",
        value=percentile.value,
        low=percentile.low,
        high=percentile.high,
        qualifier=paired["qualifier"].map(_REVERSED),
        unit="percentile",
        rank=paired["value"],
        note=np.where(found, "", "no field size recorded for this rank"),
    )
    columns = ["obs_id", "field_size_obs_id", "entity_id", "indicator_id", "value", "low", "high",
               "qualifier", "unit", "rank", "field_size", "as_of", "source_id", "note"]  # fmt: skip
    return out[columns].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Comparability


def comparable(dataset, entities: Sequence[str] | None = None) -> pd.DataFrame:
    """Which comparability groups (indicators with the same definition) two or more of ``entities``
    have facts for; one row per group, the most widely shared first.

    >>> import innostudy as ist
    >>> shared = comparable(ist.load_dataset(), ["guiyang", "baotou", "xixian_new_area"])
    >>> shared.loc[shared["group"] == "pilot_evaluation_rank", "n_entities"].item()
    3
    """
    obs = dataset.observations
    if entities is not None:
        entities = list(entities)
        unknown = [e for e in entities if e not in set(dataset.entities["entity_id"])]
        _fail([f"unknown entity(ies) {_names(unknown)}"] if unknown else [], "cannot compare")
        obs = obs[obs["entity_id"].isin(entities)]
    codebook = dataset.indicators.set_index("indicator_id")
    shared = (
        obs.groupby("group")
        .agg(
            indicators=("indicator_id", lambda s: ", ".join(sorted(set(s)))),
            n_entities=("entity_id", "nunique"),
            entities=("entity_id", lambda s: ", ".join(sorted(set(s)))),
            n_facts=("obs_id", "size"),
        )
        .reset_index()
    )
    first = shared["indicators"].str.split(", ").str[0]
    shared["label"] = first.map(codebook["label"])
    shared["unit"] = first.map(codebook["unit"])
    shared["direction"] = first.map(codebook["direction"])
    shared = shared[shared["n_entities"] >= 2].sort_values(
        ["n_entities", "group"], ascending=[False, True]
    )
    columns = [
        "group",
        "indicators",
        "label",
        "unit",
        "direction",
        "n_entities",
        "entities",
        "n_facts",
    ]
    return shared[columns].reset_index(drop=True)
