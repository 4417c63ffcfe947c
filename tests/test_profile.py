"""The profile and comparison helpers: intervals carried through, nothing compared across groups."""

import math

import numpy as np
import pandas as pd
import pytest

import innostudy as ist
from innostudy.profile import (
    compare,
    entity_profile,
    growth,
    lookalikes,
    per_capita,
    rank_percentile,
)


@pytest.fixture(scope="module")
def ds():
    return ist.load_dataset()


def facts(**columns) -> pd.DataFrame:
    """A few hand-made facts; unspecified columns get neutral defaults."""
    n = len(next(iter(columns.values())))
    base = {
        "obs_id": [f"o{i}" for i in range(n)],
        "entity_id": ["x"] * n,
        "indicator_id": ["n"] * n,
        "group": ["n"] * n,
        "unit": ["firms"] * n,
        "qualifier": ["exact"] * n,
        "as_of": ["2022"] * n,
    }
    frame = pd.DataFrame({**base, **columns})
    for bound in ("low", "high"):
        if bound not in frame:
            frame[bound] = frame["value"]
    return frame


def test_per_capita_keeps_an_open_interval_open():
    people = facts(value=[2_000_000.0], indicator_id=["resident_population"], unit=["persons"])
    got = per_capita(facts(value=[90.0], qualifier=["more_than"], high=[np.inf]), people)
    assert got[["value", "low", "high"]].iloc[0].tolist() == [45.0, 45.0, math.inf]
    assert got["qualifier"].iloc[0] == "more_than"


def test_per_capita_says_why_it_cannot_divide():
    people = facts(value=[1e6], indicator_id=["resident_population"], unit=["persons"])
    rows = facts(
        value=[3.0, 5.0, 7.0, 9.0],
        entity_id=["x", "x", "x", "nobody"],
        unit=["rank", "percent", "firms", "firms"],
        group=["r", "p", "firms_x_with_y", "n"],
    )
    got = per_capita(rows, people)
    assert got["value"].isna().all()
    reasons = got["reason"].tolist()
    assert "position in a ranking" in reasons[0] and "ratio" in reasons[1]
    assert "wider territory" in reasons[2] and "no resident population" in reasons[3]


def test_rank_percentile_turns_a_rank_interval_into_a_percentile_interval():
    rows = facts(
        value=[10.0, 65.0],
        low=[1.0, 65.0],
        indicator_id=["rank", "rank_field_size"],
        unit=["rank", "units"],
        qualifier=["at_most", "exact"],
    )
    got = rank_percentile(rows).iloc[0]
    assert (got["low"], got["high"]) == pytest.approx((100 * 55 / 64, 100.0))
    assert pd.isna(got["reason"])


def test_rank_percentile_never_borrows_a_field_size():
    rows = facts(value=[3.0, 65.0], entity_id=["x", "y"], indicator_id=["rank", "rank_field_size"])
    rows["unit"] = ["rank", "units"]
    got = rank_percentile(rows)
    assert got["value"].isna().all() and "field size not stated" in got["reason"].iloc[0]


def test_growth_never_chains_different_groups():
    rows = facts(
        value=[1210.0, 1337.0],
        group=["city_alone", "city_with_new_area"],
        as_of_date=pd.to_datetime(["2021-10-25", "2022-12-31"]),
    )
    assert growth(rows).empty
    rows["group"] = "same"
    assert growth(rows)["value"].iloc[0] == pytest.approx(100 * (1337 / 1210 - 1))


def test_lookalikes_pair_indicators_with_a_unit_but_not_a_group():
    rows = facts(value=[1.0, 2.0, 3.0], indicator_id=["a", "b", "c"], group=["g", "h", "g"])
    assert lookalikes(rows)[["indicator_a", "indicator_b"]].values.tolist() == [
        ["a", "b"],
        ["b", "c"],
    ]


def test_entity_profile_lists_every_fact_with_a_citation(ds):
    profile = entity_profile(ds, "guiyang")
    assert len(profile.facts) == (ds.observations["entity_id"] == "guiyang").sum()
    assert profile.facts["as_of_date"].is_monotonic_increasing
    assert profile.facts["citation"].str.startswith(tuple(ds.sources["publisher"])).all()
    assert "25 facts" in profile.summary()


def test_entity_profile_refuses_an_unknown_entity(ds):
    with pytest.raises(KeyError, match="unknown entity 'atlantis'"):
        entity_profile(ds, "atlantis")


def test_compare_explains_every_group_it_leaves_out(ds):
    comparison = compare(ds, ["guiyang", "baotou"], per_capita=True)
    shown = comparison.tidy()
    assert set(shown["group"]) == set(comparison.comparable_groups)
    assert shown.groupby("group")["entity_id"].nunique().eq(2).all()
    left_out = comparison.not_comparable()
    assert left_out["reason"].notna().all() and len(left_out) > 0
    # the experts' counts are divided; the ranks are not, and the table says why
    experts = shown[shown["group"] == "platform_experts_joined"]
    assert experts["shown_unit"].str.contains("per 1,000,000 residents").all()
    ranks = shown[shown["group"] == "pilot_evaluation_rank"]
    assert (ranks["shown_value"] == ranks["value"]).all() and ranks[
        "per_capita_reason"
    ].notna().all()


def test_compare_refuses_bad_selections(ds):
    with pytest.raises(KeyError, match="atlantis"):
        compare(ds, ["guiyang", "atlantis"])
    with pytest.raises(KeyError, match="no_such_indicator"):
        compare(ds, ["guiyang", "baotou"], ["no_such_indicator"])
    with pytest.raises(ValueError, match="two or more"):
        compare(ds, ["guiyang", "guiyang"])


def test_plots_return_figures_with_one_row_per_fact(ds):
    import matplotlib

    matplotlib.use("Agg")
    profile = entity_profile(ds, "baotou")
    figure = profile.plot()
    assert len(figure.axes[0].get_yticklabels()) == len(profile.facts)
    figure = compare(ds, ["guiyang", "baotou"]).plot()
    assert len(figure.axes) == 3
