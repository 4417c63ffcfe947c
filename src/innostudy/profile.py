"""One entity's facts over time, and what several entities can honestly be compared on.

The helpers behind the city-profile and pilot-comparison notebooks. Derived figures keep the
interval of the facts they come from ("more than 90" per capita is still a lower bound), and
everything that cannot be derived or compared stays in the result with the reason why.

Two figures are comparable only when their indicators share a comparability ``group`` in the
codebook (``ds.indicators``). High-tech enterprises of Guiyang alone and of Guiyang with Gui'an New
Area share a unit but not a group, so they are never put side by side.

The derived figures themselves (per capita, rank percentiles, growth) are computed by
:mod:`innostudy.indicators`; this module decides what to attempt, says why the rest is left out,
and draws intervals as intervals.

>>> import innostudy as ist
>>> from innostudy.profile import compare, entity_profile
>>> ds = ist.load_dataset()
>>> entity_profile(ds, "guiyang").facts["obs_id"].size
25
>>> compare(ds, ["guiyang", "baotou"]).comparable_groups
['pilot_evaluation_rank', 'platform_experts_joined', 'resident_population']
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from innostudy.dataset import Dataset
from innostudy.report_display import format_number, format_year
from innostudy.results import Result, Summary, axes, check_alpha, finish

POPULATION = "resident_population"
PER = 10_000  # per-capita figures are per 10,000 residents, as in innostudy.indicators

# Units that do not count things happening in a place, so dividing by its population means nothing.
NOT_PER_CAPITA_UNITS = {
    "rank": "a position in a ranking",
    "percent": "already a ratio",
    "year": "a date",
    "years": "a duration",
    "units": "counts programme members or ranked units",
    "provinces": "counts provinces",
    "indicators": "describes a ranking's method",
    "USD": "a stated conversion, never used as a value",
}

FACT_COLUMNS = [
    "obs_id", "entity_id", "indicator_id", "indicator_label", "group", "value", "unit",
    "qualifier", "low", "high", "as_of", "as_of_date", "source_id", "note",
]  # fmt: skip
DERIVED_COLUMNS = [
    "entity_id", "derived", "indicator_id", "value", "low", "high", "unit", "qualifier",
    "from_obs", "reason",
]  # fmt: skip


# -- derived figures, every attempt with its reason -----------------------------------------------


def derived_figures(facts: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Per capita, rank percentile and growth for ``facts``, computed by ``innostudy.indicators``.

    One row per attempt (``DERIVED_COLUMNS``): where a figure cannot be derived, ``value`` is NaN
    and ``reason`` says why, so that nothing disappears from a profile without a word.

    >>> import innostudy as ist
    >>> obs = ist.load_dataset().observations
    >>> got = derived_figures(obs[obs.entity_id == "guiyang"], obs[obs.indicator_id == POPULATION])
    >>> got.set_index("indicator_id").loc["academic_activities", ["value", "high", "qualifier"]].tolist()
    [0.1503..., inf, 'more_than']
    """
    return pd.concat(
        [_per_capita(facts, population), _rank_percentiles(facts), _growth(facts)],
        ignore_index=True,
    )[DERIVED_COLUMNS]


def _per_capita(facts: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """``ind.per_capita`` where it makes sense; the reason where it does not."""
    from innostudy import indicators as ind

    reason = pd.Series(pd.NA, index=facts.index, dtype="string")
    reason[~facts["entity_id"].isin(population["entity_id"])] = (
        "no resident population known for this entity"
    )
    reason[facts["value"] < 0] = "a negative figure is not a count"
    reason[facts["group"].str.contains("_with_", regex=False)] = (
        "counts a wider territory than the entity's census population"
    )
    for unit, why in NOT_PER_CAPITA_UNITS.items():
        reason[facts["unit"] == unit] = f"unit {unit!r}: {why}"
    reason[facts["indicator_id"] == POPULATION] = "the population itself"
    reason[facts["indicator_id"].str.startswith("target_")] = "a target, not an achieved figure"
    out = _derived_frame(facts, "per_capita").assign(reason=reason)
    usable = facts[reason.isna()]
    if len(usable):
        divided = ind.per_capita(usable, population, per=PER).set_index(usable.index)
        for column in ("value", "low", "high", "qualifier", "unit"):
            out.loc[usable.index, column] = divided[column]
        out.loc[usable.index, "from_obs"] = divided["obs_id"] + "+" + divided["population_obs_id"]
    return out


def _rank_percentiles(facts: pd.DataFrame) -> pd.DataFrame:
    """``ind.rank_percentiles``: 100 for first place, 0 for last; no field size, no percentile."""
    from innostudy import indicators as ind

    got = ind.rank_percentiles(facts)
    found = got["field_size_obs_id"].notna()
    return got.assign(
        derived="rank_percentile",
        from_obs=(got["obs_id"] + "+" + got["field_size_obs_id"]).where(found),
        reason=got["note"].where(~found).astype("string"),
    )


def _growth(facts: pd.DataFrame) -> pd.DataFrame:
    """``ind.growth`` within each comparability group that has figures at two or more dates."""
    from innostudy import indicators as ind

    rows = []
    for (entity, group), snapshots in facts.groupby(["entity_id", "group"]):
        if snapshots["as_of_date"].nunique() < 2:
            continue
        try:
            got = ind.growth(snapshots, sorted(set(snapshots["indicator_id"])))
        except ind.IndicatorError as error:  # e.g. two facts about the same moment
            failed = {"entity_id": entity, "indicator_id": group, "reason": str(error)}
            rows.append(pd.DataFrame([failed]))
            continue
        rows.append(
            got.assign(
                indicator_id=got["end_indicator_id"],
                from_obs=got["start_obs_id"] + "->" + got["end_obs_id"],
                reason=pd.NA,
            )
        )
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=DERIVED_COLUMNS)
    return frame.assign(derived="growth")


def lookalikes(facts: pd.DataFrame) -> pd.DataFrame:
    """Pairs of indicators in ``facts`` that share a unit but not a comparability group.

    They look comparable and are not: "high-tech enterprises (city alone)" and "... (Guiyang with
    Gui'an New Area)" are both counted in enterprises.

    >>> import innostudy as ist
    >>> obs = ist.load_dataset().observations
    >>> pairs = lookalikes(obs[obs.entity_id == "guiyang"])
    >>> ("high_tech_enterprises", "high_tech_enterprises_with_guian") in set(
    ...     zip(pairs["indicator_a"], pairs["indicator_b"]))
    True
    """
    kinds = facts[["indicator_id", "group", "unit"]].drop_duplicates("indicator_id")
    pairs = kinds.merge(kinds, on="unit", suffixes=("_a", "_b"))
    pairs = pairs[
        (pairs["indicator_id_a"] < pairs["indicator_id_b"]) & (pairs["group_a"] != pairs["group_b"])
    ]
    return (
        pairs.rename(columns={"indicator_id_a": "indicator_a", "indicator_id_b": "indicator_b"})[
            ["unit", "indicator_a", "indicator_b", "group_a", "group_b"]
        ]
        .sort_values(["unit", "indicator_a", "indicator_b"])
        .reset_index(drop=True)
    )


def _derived_frame(facts: pd.DataFrame, kind: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "entity_id": facts["entity_id"],
            "derived": kind,
            "indicator_id": facts["indicator_id"],
            "qualifier": facts["qualifier"],
        },
        index=facts.index,
    )


# -- one entity -----------------------------------------------------------------------------------


@dataclass(repr=False)
class EntityProfile(Result):
    """Every fact about one entity, with its source, and the figures derived from them."""

    entity: pd.Series  # the entity's row of ds.entities
    facts: pd.DataFrame  # FACT_COLUMNS + citation, in time order
    derived: pd.DataFrame  # DERIVED_COLUMNS, one row per attempt (NaN value + reason if impossible)
    lookalikes: pd.DataFrame  # indicators that share a unit but not a group

    def _headline(self) -> str:
        facts = self.facts
        return (f"{self.entity['name_en']} ({self.entity['entity_id']}), {len(facts):,} facts on "
                f"{facts['indicator_id'].nunique():,} indicators from "
                f"{facts['source_id'].nunique():,} sources")  # fmt: skip

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """The facts, one row each, with their citations (facts have no intervals to choose:
        ``alpha`` is checked and otherwise unused)."""
        check_alpha(alpha)
        return self.facts.reset_index(drop=True)

    def summary(self, alpha: float = 0.05) -> Summary:
        """How many facts from which sources, each fact, and what could be derived."""
        check_alpha(alpha)
        facts, derived = self.facts, self.derived
        done = derived[derived["value"].notna()]
        span = f"{facts['as_of'].min()} to {facts['as_of'].max()}" if len(facts) else "no dates"
        attempts = derived.groupby("derived", sort=False)["value"].agg(["count", "size"])
        notes = []
        if not (done["derived"] == "growth").any():
            notes.append(
                "No growth can be derived: no comparability group has figures at two dates."
            )
        if len(self.lookalikes):
            notes.append(
                f"{_many(len(self.lookalikes), 'pair')} of indicators share a unit but not a "
                "comparability group; they must not be compared with each other."
            )
        shown = facts[["indicator_label", "value", "unit", "qualifier", "as_of", "source_id"]]
        return Summary(
            f"{self.entity['name_en']} ({self.entity['entity_id']}, {self.entity['kind']})",
            [("facts", f"{_many(len(facts), 'fact')} on "
                       f"{_many(facts['indicator_id'].nunique(), 'indicator')} from "
                       f"{_many(facts['source_id'].nunique(), 'source')}, as of {span}"),
             ("intervals or approximate figures", int(facts["qualifier"].ne("exact").sum()))]
            + [(f"{kind.replace('_', ' ')} derived", f"{row['count']} of {row['size']}")
               for kind, row in attempts.iterrows()],
            [("facts", shown.assign(value=[_reading(v, u) for v, u in
                                           zip(shown["value"], shown["unit"], strict=True)]))],
            notes,
            simulated=self.simulated,
        )  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None):
        """Every fact on a log scale, one row each, intervals as bars and open ends as arrows.

        Zero or negative figures cannot sit on a log scale; their rows stay labelled but empty.
        """
        facts = self.facts.sort_values(["as_of_date", "indicator_id"]).reset_index(drop=True)
        fresh = ax is None
        ax = axes(ax, figsize=(11, 0.35 * len(facts) + 1.2))
        ax.set_xscale("log")
        drawable = facts[facts["value"] > 0]
        _draw_intervals(ax, drawable, positions=drawable.index.tolist(), log=True)
        labels = facts["indicator_label"] + " (" + facts["unit"] + ", " + facts["as_of"] + ")"
        ax.set_yticks(range(len(facts)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("value (log scale; each row in its own unit)")
        finish(ax, f"Every fact about {self.entity['name_en']}" if title is None else title,
               self.simulated)  # fmt: skip
        if fresh:
            ax.figure.tight_layout()
        return ax


def _many(n: int, word: str) -> str:
    """``1 fact``, ``2 facts``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _reading(value, unit: str) -> str:
    """A figure as the report's tables write it; a year as a year (2020, not 2,020)."""
    return format_year(value) if unit == "year" else format_number(value)


def entity_profile(ds: Dataset, entity: str) -> EntityProfile:
    """The profile of one entity: its facts in time order with citations, and derived figures.

    Raises ``KeyError`` naming the entity when it is not in ``ds.entities``.
    """
    entities = ds.entities.set_index("entity_id", drop=False)
    if entity not in entities.index:
        raise KeyError(f"unknown entity {entity!r}; known: {', '.join(sorted(entities.index))}")
    obs = ds.observations
    facts = obs[obs["entity_id"] == entity].sort_values(["as_of_date", "indicator_id", "obs_id"])
    facts = facts[FACT_COLUMNS].assign(citation=[ds.cite(i) for i in facts["obs_id"]])
    population = facts[facts["indicator_id"] == POPULATION]
    derived = derived_figures(facts, population)
    return EntityProfile(entities.loc[entity], facts, derived, lookalikes(facts))


# -- several entities -----------------------------------------------------------------------------


@dataclass(repr=False)
class Comparison(Result):
    """Entities side by side on the comparability groups they all have a figure in."""

    entities: list[str]
    facts: (
        pd.DataFrame
    )  # the latest fact per entity and indicator, with ``comparable`` and ``group``
    groups: pd.DataFrame  # one row per group: comparable (bool) and the reason when not
    per_capita: bool

    @property
    def comparable_groups(self) -> list[str]:
        return sorted(self.groups.loc[self.groups["comparable"], "group"])

    def _headline(self) -> str:
        groups = self.groups
        return (f"{', '.join(self.entities)}: comparable on {int(groups['comparable'].sum())} "
                f"indicator group(s), {int((~groups['comparable']).sum())} not")  # fmt: skip

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per entity and comparable group: the figure shown (per capita where asked);
        ``alpha`` is checked and otherwise unused (figures, not estimates)."""
        check_alpha(alpha)
        shown = self.facts[self.facts["comparable"]]
        return shown.sort_values(["group", "entity_id"]).reset_index(drop=True)

    def not_comparable(self) -> pd.DataFrame:
        """Groups that only some of the entities have a figure in, with the reason in words."""
        return self.groups[~self.groups["comparable"]].reset_index(drop=True)

    def summary(self, alpha: float = 0.05) -> Summary:
        groups = self.groups
        shown = self.tidy(alpha)[["group", "entity_id", "shown_value", "shown_unit", "qualifier",
                                  "as_of"]]  # fmt: skip
        return Summary(
            f"{', '.join(self.entities)}: comparable on {int(groups['comparable'].sum())} "
            f"indicator group(s) ({', '.join(self.comparable_groups) or 'none'}); "
            f"{int((~groups['comparable']).sum())} cannot be compared.",
            [("per capita", "yes, where every entity of a group allows it" if self.per_capita
              else "no")],
            [("compared", shown.assign(shown_value=shown["shown_value"].map(format_number))),
             ("not comparable", self.not_comparable()[["group", "label", "reason"]])],
            simulated=self.simulated,
        )  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None):
        """One panel per comparable group, inside ``ax`` (returned, holding the title);
        intervals as bars, open ends as arrows."""
        shown = self.tidy()
        groups = list(dict.fromkeys(shown["group"]))
        if not groups:
            raise ValueError(f"{', '.join(self.entities)} have no comparability group in common")
        ax = axes(ax, figsize=(8, 0.7 + (0.8 + 0.4 * len(self.entities)) * len(groups)))
        ax.axis("off")
        slot = 1 / len(groups)
        for i, group in enumerate(groups):
            panel = ax.inset_axes((0.22, 1 - (i + 1) * slot + 0.08 * slot, 0.78, 0.62 * slot))
            rows = shown[shown["group"] == group].set_index("entity_id").loc[self.entities]
            frame = rows.reset_index()
            _draw_intervals(panel, frame, positions=list(range(len(frame))))
            panel.set_yticks(range(len(frame)), frame["entity_id"] + " (" + frame["as_of"] + ")")
            panel.set_ylim(len(frame) - 0.5, -0.9)  # top to bottom, room for the value labels
            label = f"{frame['indicator_label'].iloc[0]} [{frame['shown_unit'].iloc[0]}]"
            if (frame["unit"] == "rank").all():
                label += " (1 = best)"
            panel.set_title(label, fontsize=9, loc="left")
        default = f"{', '.join(self.entities)}: comparable figures"
        return finish(ax, default if title is None else title, self.simulated)


def compare(
    ds: Dataset,
    entities: list[str],
    indicators: list[str] | None = None,
    *,
    per_capita: bool = False,
) -> Comparison:
    """Side by side on comparable indicators only; says why every other figure is left out.

    Uses each entity's latest fact per indicator (``Dataset.wide``'s rule). A group is comparable
    when every entity has a figure in it; otherwise the reason names who has none and, when they
    have a look-alike figure (same unit, another group), names that too. With ``per_capita`` the
    figures are divided by population where all entities of a group allow it.

    >>> import innostudy as ist
    >>> c = compare(ist.load_dataset(), ["guiyang", "baotou"], ["academic_activities"])
    >>> print(c.not_comparable()["reason"][0])      # doctest: +NORMALIZE_WHITESPACE
    only guiyang has a figure; baotou has none in this group; not the same as baotou's
    joint_academic_activities (same unit, another group)
    """
    known = set(ds.entities["entity_id"])
    unknown = [e for e in entities if e not in known]
    if unknown:
        raise KeyError(f"unknown entit{'y' if len(unknown) == 1 else 'ies'}: {', '.join(unknown)}")
    if len(set(entities)) < 2 or len(set(entities)) != len(entities):
        raise ValueError(f"need two or more different entities, each once; got {entities}")
    codebook = ds.indicators.drop_duplicates("indicator_id").set_index("indicator_id")
    unknown = [i for i in indicators or [] if i not in codebook.index]
    if unknown:
        raise KeyError(f"unknown indicator(s): {', '.join(unknown)}")
    obs = ds.observations
    chosen = ds.wide(field="obs_id").reindex(index=entities).stack().dropna()
    latest = obs[obs["obs_id"].isin(chosen)][FACT_COLUMNS]
    holders = latest.groupby("group")["entity_id"].agg(set).to_dict()
    everyone = set(entities)
    wanted = codebook.loc[indicators] if indicators is not None else codebook
    groups = (
        wanted[wanted["group"].isin(holders) | (indicators is not None)]
        .drop_duplicates("group")[["group", "label", "unit"]]
        .reset_index(drop=True)
    )
    groups["comparable"] = groups["group"].map(lambda g: holders.get(g, set()) >= everyone)
    open_facts = latest[latest["group"].map(lambda g: not holders[g] >= everyone)]
    groups["reason"] = [
        pd.NA if ok else _why_not(group, unit, holders.get(group, set()), entities, open_facts)
        for group, unit, ok in zip(
            groups["group"], groups["unit"], groups["comparable"], strict=True
        )
    ]
    facts = latest[latest["group"].isin(groups["group"])].copy()
    for column in ("value", "low", "high", "unit"):
        facts[f"shown_{column}"] = facts[column]
    facts["per_capita_reason"] = pd.Series(pd.NA, index=facts.index, dtype="string")
    facts["comparable"] = facts["group"].map(groups.set_index("group")["comparable"])
    if per_capita:
        facts = _shown_per_capita(facts, obs[obs["indicator_id"] == POPULATION])
    return Comparison(
        list(entities),
        facts.reset_index(drop=True),
        groups.sort_values(["comparable", "group"], ascending=[False, True]).reset_index(drop=True),
        per_capita,
    )


def _why_not(group: str, unit: str, holders: set, entities: list[str], open_facts) -> str:
    """Who has no figure in ``group``, and their look-alikes (same unit) in other open groups."""
    have = [e for e in entities if e in holders]
    missing = [e for e in entities if e not in holders]
    if not have:
        return f"none of {', '.join(entities)} has a figure in this group"
    reason = f"only {', '.join(have)} {'has' if len(have) == 1 else 'have'} a figure; "
    reason += f"{', '.join(missing)} {'has' if len(missing) == 1 else 'have'} none in this group"
    similar = open_facts[
        open_facts["entity_id"].isin(missing)
        & (open_facts["unit"] == unit)
        & (open_facts["group"] != group)
    ]
    if len(similar):
        names = ", ".join(f"{row.entity_id}'s {row.indicator_id}" for row in similar.itertuples())
        reason += f"; not the same as {names} (same unit, another group)"
    return reason


def _shown_per_capita(facts: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Show per-capita figures in every comparable group where all entities allow it."""
    pc = _per_capita(facts, population)
    divisible = pc["value"].notna().groupby(facts["group"]).transform("all")
    facts = facts.copy()
    for column in ("value", "low", "high"):
        facts[f"shown_{column}"] = pc[column].where(divisible, facts[column])
    facts["shown_unit"] = pc["unit"].where(divisible, facts["unit"])
    facts["per_capita_reason"] = pc["reason"].where(~divisible)
    return facts


# -- drawing --------------------------------------------------------------------------------------


def _draw_intervals(ax, frame: pd.DataFrame, positions: list[int], *, log: bool = False) -> None:
    """Exact figures as dots, bounded intervals as bars, open-ended ones as arrows, each labelled.

    Uses ``shown_value``/``shown_low``/``shown_high`` when present, else ``value``/``low``/``high``.
    A hollow marker sits on an excluded bound ("more than 90"); "about" figures are hollow too.
    """
    prefix = "shown_" if "shown_value" in frame else ""
    value, low, high = (frame[prefix + c].to_numpy(float) for c in ("value", "low", "high"))
    finite = np.concatenate([value, low, high])
    finite = finite[np.isfinite(finite)]
    left, right = _limits(finite, log)
    for y, v, lo, hi, qualifier in zip(
        positions, value, low, high, frame["qualifier"], strict=True
    ):
        bounded = np.isfinite(lo) and np.isfinite(hi)
        if qualifier != "exact" and bounded and lo < hi:
            ax.plot([lo, hi], [y, y], color="C0", lw=4, alpha=0.4, solid_capstyle="butt")
        elif qualifier != "exact" and not bounded and not (math.isnan(lo) or math.isnan(hi)):
            start, end = (lo, right) if np.isinf(hi) else (hi, left)
            arrow = {"arrowstyle": "-|>", "color": "C0", "lw": 2}
            ax.annotate("", xy=(end, y), xytext=(start, y), arrowprops=arrow)
        hollow = qualifier in ("about", "more_than", "less_than")
        ax.plot(v, y, "o", color="C0", markersize=6, markerfacecolor="white" if hollow else "C0")
        label = QUALIFIER_SIGNS.get(qualifier, "") + (f"{v:,.0f}" if v == round(v) else f"{v:,.4g}")
        ax.annotate(
            label, (v, y), xytext=(0, 5), textcoords="offset points", fontsize=7, ha="center"
        )
    ax.set_xlim(left, right)
    ax.grid(axis="x", alpha=0.3)


QUALIFIER_SIGNS = {
    "about": "≈",
    "more_than": ">",
    "at_least": "≥",
    "at_most": "≤",
    "less_than": "<",
}


def _limits(values: np.ndarray, log: bool) -> tuple[float, float]:
    """Axis limits a little beyond the data (from zero for counts); open intervals' arrows end there."""
    if not values.size:
        return (0.1, 10.0) if log else (0.0, 1.0)
    low, high = values.min(), values.max()
    if log:
        width = max(math.log10(high / low), 1.0)
        return low / 10 ** (0.05 * width), high * 10 ** (0.15 * width)
    width = (high - min(low, 0)) or 1.0
    return (0.0 if low >= 0 else low - 0.1 * width), high + 0.25 * width
