"""Derived indicators: per capita, growth, CAGR, rank percentiles and comparability, with intervals."""

import doctest

import numpy as np
import pandas as pd
import pytest

import innostudy as ist
from innostudy import indicators as ind
from innostudy.indicators import IndicatorError


@pytest.fixture(scope="module")
def ds():
    return ist.load_dataset()


@pytest.fixture(scope="module")
def population(ds):
    return ds.observations.query("indicator_id == 'resident_population'")


def facts(**columns) -> pd.DataFrame:
    """A few observations in the shape of Dataset.observations (exact unless told otherwise)."""
    frame = pd.DataFrame(columns)
    frame["low"] = frame.get("low", frame["value"])
    frame["high"] = frame.get("high", frame["value"])
    defaults = {"qualifier": "exact", "unit": "units", "group": frame["indicator_id"]}
    for column, default in defaults.items():
        if column not in frame:
            frame[column] = default
    frame["obs_id"] = frame.get("obs_id", [f"o{i}" for i in range(len(frame))])
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"])
    return frame


def test_docstring_examples_hold():
    assert doctest.testmod(ind).failed == 0


# -- per capita -----------------------------------------------------------------------------------


def test_per_capita_on_the_census_population(ds, population):
    experts = ds.observations.query("indicator_id == 'platform_experts_joined'")
    out = ind.per_capita(experts, population)
    guiyang = out.set_index("entity_id").loc["guiyang"]
    # 4,984 experts (obs0007) over 5,987,018 residents (obs0067, census 2020-11-01)
    assert guiyang["value"] == pytest.approx(4984 / 5987018 * 10_000)
    assert guiyang["low"] == guiyang["high"] == guiyang["value"]
    assert guiyang[["obs_id", "population_obs_id"]].tolist() == ["obs0007", "obs0067"]
    assert guiyang["indicator_id"] == "platform_experts_joined_per_10000"
    assert guiyang["unit"] == "experts per 10,000 residents"
    assert out["obs_id"].tolist() == experts["obs_id"].tolist()


def test_a_lower_bound_stays_a_lower_bound(ds, population):
    activities = ds.observations.query("obs_id == 'obs0005'")  # "more than 90" in Guiyang
    out = ind.per_capita(activities, population, per=1_000_000).iloc[0]
    assert out["qualifier"] == "more_than"
    assert out["low"] == pytest.approx(90 / 5987018 * 1_000_000) and out["high"] == np.inf


def test_an_approximate_population_makes_the_result_approximate():
    obs = facts(entity_id=["x"], indicator_id=["n"], value=[50.0], as_of_date=["2022-01-01"])
    population = facts(
        entity_id=["x"], indicator_id=["resident_population"], value=[1e6], low=[np.nan],
        high=[np.nan], qualifier=["about"], as_of_date=["2020-01-01"],
    )  # fmt: skip
    out = ind.per_capita(obs, population).iloc[0]
    assert out["qualifier"] == "about" and np.isnan(out["low"]) and np.isnan(out["high"])
    assert out["value"] == pytest.approx(0.5)


def test_the_population_nearest_in_time_is_used():
    obs = facts(
        entity_id=["x", "x"], indicator_id=["n", "n"], value=[10.0, 10.0],
        as_of_date=["2011-06-30", "2019-06-30"],
    )  # fmt: skip
    population = facts(
        entity_id=["x", "x"], indicator_id=["resident_population"] * 2, value=[1e5, 2e5],
        obs_id=["p2010", "p2020"], as_of_date=["2010-11-01", "2020-11-01"],
    )  # fmt: skip
    out = ind.per_capita(obs, population)
    assert out["population_obs_id"].tolist() == ["p2010", "p2020"]
    assert out["value"].tolist() == [1.0, 0.5]


def test_per_capita_refuses_what_it_cannot_divide(ds, population):
    obs = ds.observations.query(
        "indicator_id in ['platform_experts_joined', 'pilot_evaluation_rank']"
    )
    with pytest.raises(IndicatorError) as error:
        ind.per_capita(obs, population)
    message = str(error.value)
    assert "no population for entity(ies) xixian_new_area" in message
    assert "obs0001 (pilot_evaluation_rank, rank)" in message
    series = ind.per_capita(
        obs.query("entity_id == 'baotou' and unit != 'rank'"), pd.Series({"baotou": 2e6})
    )
    assert series["value"].item() == pytest.approx(2333 / 2e6 * 10_000)


# -- growth and CAGR ------------------------------------------------------------------------------


def test_growth_refuses_to_mix_comparability_groups(ds):
    series = ["high_tech_enterprises", "high_tech_enterprises_with_guian"]
    with pytest.raises(IndicatorError) as error:
        ind.growth(ds.observations, series)
    message = str(error.value)
    assert "group high_tech_enterprises_city" in message
    assert "group high_tech_enterprises_guiyang_with_guian" in message
    assert "across_groups=True" in message
    mixed = ind.growth(ds.observations, series, across_groups=True).iloc[0]
    assert mixed["value"] == pytest.approx((1337 / 1210 - 1) * 100)  # obs0011 -> obs0059
    assert mixed[["start_obs_id", "end_obs_id"]].tolist() == ["obs0011", "obs0059"]


def test_growth_carries_intervals():
    obs = facts(
        entity_id=["x", "x", "x"], indicator_id=["n"] * 3, value=[100.0, 150.0, 180.0],
        low=[100.0, 150.0, np.nan], high=[np.inf, 150.0, np.nan],
        qualifier=["more_than", "exact", "about"],
        as_of_date=["2020-12-31", "2021-12-31", "2022-12-31"],
    )  # fmt: skip
    out = ind.growth(obs, "n")
    first, second = out.iloc[0], out.iloc[1]
    # more than 100 -> 150: the change is at most +50 %, and at least -100 % (start unbounded above)
    assert first["value"] == 50 and first["high"] == 50 and first["low"] == -100
    assert first["qualifier"] == "bounded"
    assert second["value"] == pytest.approx(20) and second["qualifier"] == "about"
    assert np.isnan(second["low"])


def test_cagr_annualises():
    obs = facts(
        entity_id=["x", "x"], indicator_id=["n", "n"], value=[100.0, 146.41],
        as_of_date=["2000-01-01", "2004-01-01"],
    )  # fmt: skip
    out = ind.cagr(obs, "n").iloc[0]
    assert out["years"] == pytest.approx(4, abs=1e-3)
    assert out["value"] == pytest.approx(10, abs=1e-2) and out["unit"] == "percent per year"


def test_growth_refuses_two_facts_about_the_same_moment_and_single_snapshots():
    obs = facts(
        entity_id=["x", "x"], indicator_id=["n", "n"], value=[26.0, 22.0],
        obs_id=["a", "b"], as_of_date=["2020-12-31", "2020-12-31"],
    )  # fmt: skip
    with pytest.raises(IndicatorError, match=r"x: a, b describe the same moment"):
        ind.growth(obs, "n")
    with pytest.raises(IndicatorError, match="no entity has two dated snapshots"):
        ind.growth(obs.iloc[:1], "n")
    with pytest.raises(IndicatorError, match="no observation of typo"):
        ind.growth(obs, "typo")


# -- rank percentiles -----------------------------------------------------------------------------


def test_rank_percentile_of_exact_and_top_10_ranks():
    assert ind.rank_percentile(1, 65) == (100.0, 100.0, 100.0)
    assert ind.rank_percentile(65, 65) == (0.0, 0.0, 0.0)
    assert ind.rank_percentile(23, 65).value == pytest.approx(100 * 42 / 64)
    top10 = ind.rank_percentile(10, 65, low=1, high=10)
    assert top10.low == pytest.approx(100 * 55 / 64) and top10.high == 100.0
    series = ind.rank_percentile(pd.Series([1, 33], index=["a", "b"]), 65)
    assert series.value.tolist() == [100.0, 50.0] and list(series.value.index) == ["a", "b"]


def test_rank_percentile_refuses_impossible_ranks():
    with pytest.raises(IndicatorError, match="position 70"):
        ind.rank_percentile(70, 65)
    with pytest.raises(IndicatorError, match="field size of at least 2"):
        ind.rank_percentile(1, 1)


def test_rank_percentiles_pair_ranks_with_their_field(ds):
    out = ind.rank_percentiles(ds.observations).set_index("entity_id")
    assert out.loc["guiyang", "value"] == pytest.approx(65.625)  # 23rd of 65 (obs0001, obs0002)
    assert out.loc["guiyang", "field_size_obs_id"] == "obs0002"
    assert out.loc["xixian_new_area", "value"] == 100.0  # first of 65
    baotou = out.loc["baotou"]  # "among the top 10", no field size in the source
    assert np.isnan(baotou["value"]) and baotou["note"] == "no field size recorded for this rank"
    assert baotou["qualifier"] == "at_least"


# -- comparability ---------------------------------------------------------------------------------


def test_comparable_lists_shared_groups(ds):
    shared = ind.comparable(ds, ["guiyang", "baotou", "xixian_new_area", "jiaxing"])
    assert (shared["n_entities"] >= 2).all()
    assert shared["n_entities"].is_monotonic_decreasing
    rows = shared.set_index("group")
    assert rows.loc["platform_experts_joined", "entities"] == "baotou, guiyang"
    assert rows.loc["resident_population", "n_entities"] == 3
    assert "high_tech_enterprises_city" not in rows.index  # Guiyang alone has it
    with pytest.raises(IndicatorError, match="unknown entity"):
        ind.comparable(ds, ["guiyang", "atlantis"])
