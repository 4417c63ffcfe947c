"""The profile and comparison helpers: every fact kept, every derived figure explained, nothing
compared across comparability groups, intervals carried through."""

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

import innostudy as ist
from innostudy.profile import compare, entity_profile, lookalikes
from innostudy.report import format_number

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ds():
    return ist.load_dataset()


def derived(profile, kind: str) -> pd.DataFrame:
    return profile.derived[profile.derived["derived"] == kind].set_index("indicator_id")


def test_entity_profile_lists_every_fact_in_time_order_with_a_citation(ds):
    profile = entity_profile(ds, "guiyang")
    assert len(profile.facts) == (ds.observations["entity_id"] == "guiyang").sum()
    assert profile.facts["as_of_date"].is_monotonic_increasing
    assert profile.facts["citation"].str.startswith(tuple(ds.sources["publisher"])).all()
    assert f"{len(profile.facts)} facts" in profile.summary()
    # the summary writes each figure as the report's facts table does (one formatter)
    shown = str(profile.summary())
    for value in profile.facts["value"].dropna():
        assert format_number(value) in shown
    assert " 8.3 " in shown and "8.3000" not in shown and "1,210" in shown


def test_entity_profile_refuses_an_unknown_entity(ds):
    with pytest.raises(KeyError, match="unknown entity 'atlantis'"):
        entity_profile(ds, "atlantis")


def test_per_capita_keeps_intervals_and_says_why_it_cannot_divide(ds):
    per_capita = derived(entity_profile(ds, "guiyang"), "per_capita")
    assert len(per_capita) == (ds.observations["entity_id"] == "guiyang").sum()  # one per fact
    population = ds.observations.set_index(["entity_id", "indicator_id"])["value"]
    activities = per_capita.loc["academic_activities"]  # "more than 90"
    assert activities["value"] == pytest.approx(
        90 / population["guiyang", "resident_population"] * 10_000
    )
    assert math.isinf(activities["high"]) and activities["qualifier"] == "more_than"
    reasons = per_capita["reason"]
    assert "wider territory" in reasons["high_tech_enterprises_with_guian"]  # Guiyang + Gui'an
    assert "ranking" in reasons["pilot_evaluation_rank"]
    assert "ratio" in reasons["rd_investment_growth_with_guian"]
    assert per_capita.loc[reasons.isna(), "value"].notna().all()
    assert per_capita.loc[reasons.notna(), "value"].isna().all()


def test_rank_percentile_needs_the_entitys_own_field_size(ds):
    guiyang = derived(entity_profile(ds, "guiyang"), "rank_percentile")
    assert guiyang.loc["pilot_evaluation_percentile", "value"] == pytest.approx(100 * 42 / 64)
    baotou = derived(entity_profile(ds, "baotou"), "rank_percentile")  # "top 10", no field size
    assert baotou["value"].isna().all() and baotou["reason"].str.contains("field size").all()


def test_growth_only_within_a_comparability_group(ds, tmp_path):
    # Guiyang's high-tech enterprises: 1,210 for the city alone, 1,337 with Gui'an: no growth
    profile = entity_profile(ds, "guiyang")
    assert derived(profile, "growth").empty
    assert "No growth can be derived" in profile.summary()
    # a second figure for the city alone (a made-up test row) gives one
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    with (data / "observations.csv").open("a", encoding="utf-8") as file:
        file.write(
            "obs9999,guiyang,high_tech_enterprises,1331,enterprises,exact,1331,1331,2022-10-25,,,"
            "guiyang_gov_2021_hub_city,p9,test row\n"
        )
    growth = derived(entity_profile(ist.load_dataset(data), "guiyang"), "growth")
    assert growth.loc["high_tech_enterprises", "value"] == pytest.approx(10.0)  # 1210 -> 1331
    assert growth.loc["high_tech_enterprises", "from_obs"] == "obs0011->obs9999"


def test_lookalikes_pair_indicators_with_a_unit_but_not_a_group(ds):
    pairs = lookalikes(ds.observations[ds.observations["entity_id"] == "guiyang"])
    named = set(zip(pairs["indicator_a"], pairs["indicator_b"], strict=True))
    assert ("high_tech_enterprises", "high_tech_enterprises_with_guian") in named
    assert (pairs["group_a"] != pairs["group_b"]).all()
    units = ds.indicators.set_index("indicator_id")["unit"]
    assert (pairs["indicator_a"].map(units) == pairs["indicator_b"].map(units)).all()


def test_compare_explains_every_group_it_leaves_out(ds):
    comparison = compare(ds, ["guiyang", "baotou"], per_capita=True)
    shown = comparison.tidy()
    assert set(shown["group"]) == set(comparison.comparable_groups)
    assert shown.groupby("group")["entity_id"].nunique().eq(2).all()
    left_out = comparison.not_comparable()
    assert len(left_out) > 0 and left_out["reason"].notna().all()
    activities = left_out.set_index("group").loc["academic_activities", "reason"]
    assert "baotou's joint_academic_activities" in activities  # same unit, another group
    # the experts are divided by population; the ranks are not, and the table says why
    experts = shown[shown["group"] == "platform_experts_joined"]
    assert experts["shown_unit"].str.contains("per 10,000 residents").all()
    ranks = shown[shown["group"] == "pilot_evaluation_rank"]
    assert (ranks["shown_value"] == ranks["value"]).all()
    assert ranks["per_capita_reason"].notna().all()


def test_compare_lists_chosen_indicators_nobody_has(ds):
    comparison = compare(ds, ["guiyang", "baotou"], ["tech_smes_growth"])
    assert comparison.comparable_groups == []
    assert "none of guiyang, baotou" in comparison.not_comparable()["reason"].iloc[0]


def test_compare_refuses_bad_selections(ds):
    with pytest.raises(KeyError, match="atlantis"):
        compare(ds, ["guiyang", "atlantis"])
    with pytest.raises(KeyError, match="no_such_indicator"):
        compare(ds, ["guiyang", "baotou"], ["no_such_indicator"])
    with pytest.raises(ValueError, match="two or more"):
        compare(ds, ["guiyang", "guiyang"])


def test_plots_draw_one_row_per_fact_and_one_panel_per_comparable_group(ds):
    import matplotlib

    matplotlib.use("Agg")
    profile = entity_profile(ds, "baotou")
    assert len(profile.plot().get_yticklabels()) == len(profile.facts)
    comparison = compare(ds, ["guiyang", "baotou"])
    assert len(comparison.plot().child_axes) == len(comparison.comparable_groups)


def test_a_year_reads_as_a_year_and_counts_agree_in_number(ds):
    """A launch year read "2,020" and a count "1 facts on 1 indicators" (a review, 2026-11-30)."""
    text = str(entity_profile(ds, "innovation_china").summary())
    assert "1 fact on 1 indicator from 1 source" in text
    assert " 2020 " in text and "2,020" not in text


def test_targets_are_not_divided_by_population(ds):
    """Foshan's 2025 targets came out as per-capita figures, one refused for a wrong reason
    (found by a review, 2026-11-30)."""
    per_capita = derived(entity_profile(ds, "foshan"), "per_capita")
    targets = per_capita[per_capita.index.str.startswith("target_")]
    assert len(targets) and targets["value"].isna().all()
    assert (targets["reason"] == "a target, not an achieved figure").all()
