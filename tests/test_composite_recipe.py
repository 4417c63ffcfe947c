"""Composite subpackage: registries, the replayable recipe, VIKOR and Copeland from IndexSpec,
remove-one sensitivity, panels normalised across years, and the Monte Carlo's linear memory.

Tables are simulated (cp.simulated_table, seeded) and labelled so."""

import itertools
import sys
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

import innostudy.composite as cp
from innostudy.composite import CompositeInputError, IndexSpec
from innostudy.errors import InnostudyError


@pytest.fixture(scope="module")
def simulated():
    return cp.simulated_table(n_units=30, n_indicators=9, n_pillars=3, missing=0.05, seed=11)


def assert_same_index(one, other):
    """Every output and the log of two indices are the same."""
    assert one.spec == other.spec
    for name in ("treated", "normalised", "pillar_scores"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(other, name))
    for name in ("weights", "pillar_weights", "scores", "ranks"):
        pd.testing.assert_series_equal(getattr(one, name), getattr(other, name))
    pd.testing.assert_frame_equal(one.log, other.log)


# -- the recipe ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"weights": "critic"},
        {
            "pillar_weights": {
                "simulated_pillar_1": 2,
                "simulated_pillar_2": 1,
                "simulated_pillar_3": 1,
            }
        },
        {"normalise": "zscore"},
        {"normalise": "rank", "aggregate": "geometric"},
        {"aggregate": "topsis", "topsis_normalise": "minmax"},
        {"impute": "median"},
        {"outliers": "none"},
        {"min_coverage": 0.9},
    ],
    ids=lambda c: "+".join(c),
)
def test_rebuild_replays_from_the_first_affected_step_and_equals_a_fresh_build(simulated, changes):
    table, spec = simulated
    spec = spec.replace(impute="mean")
    index = cp.build(table, spec)
    replayed = index.rebuild(**changes)
    assert_same_index(replayed, cp.build(table, spec.replace(**changes)))
    # an earlier start replays more and gives the same index
    assert_same_index(index.rebuild(from_step="screen", **changes), replayed)


def test_rebuild_reuses_the_outputs_before_the_replayed_step(simulated):
    table, spec = simulated
    index = cp.build(table, spec.replace(impute="mean"))
    replayed = index.rebuild(weights="entropy_minmax")
    assert replayed.treated is index.treated and replayed.normalised is index.normalised
    assert not replayed.weights.equals(index.weights)
    again = index.rebuild(normalise="rank")
    assert again.treated is index.treated and again.normalised is not index.normalised


def test_rebuild_refuses_a_start_after_the_change(simulated):
    table, spec = simulated
    index = cp.build(table, spec.replace(impute="mean"))
    with pytest.raises(CompositeInputError, match="needs a replay from 'normalise'"):
        index.rebuild(from_step="weights", normalise="rank")
    with pytest.raises(CompositeInputError, match="from_step='mix' is not one of screen"):
        index.rebuild(from_step="mix")
    with pytest.raises(CompositeInputError, match="no choice"):
        index.rebuild(colour="red")


def test_recipe_lists_every_step_with_its_choices(simulated):
    table, spec = simulated
    index = cp.build(table, spec, weights="pca", impute="mean")
    recipe = index.recipe
    assert recipe["step"].tolist() == list(cp.STEPS) == list(index.log["step"].unique())
    assert recipe.set_index("step").loc["weights", "parameters"]["weights"] == "pca"
    # the recipe is the spec, step by step: replaying it on the data gives the same index
    choices = {k: v for params in recipe["parameters"] for k, v in params.items()}
    assert_same_index(cp.build(index.data, IndexSpec(**choices)), index)


def test_a_new_method_is_one_function_and_one_registration(simulated):
    table, spec = simulated
    try:

        @cp.normalisation("simulated_halves")
        def _halves(x, d, table, **_):
            """Above (1) or below (0) the column median, in the indicator's direction."""
            oriented = x * d
            return (oriented > np.nanmedian(oriented, axis=0)).astype(float)

        index = cp.build(table, spec, normalise="simulated_halves", impute="mean")
        oriented = index.treated * pd.Series(spec.directions)
        expected = (oriented > oriented.median()).astype(float)
        pd.testing.assert_frame_equal(index.normalised, expected)
    finally:
        del cp.NORMALISATIONS["simulated_halves"]
    with pytest.raises(CompositeInputError, match="normalise='simulated_halves' is not one of"):
        IndexSpec(normalise="simulated_halves")


def test_errors_share_the_root():
    assert issubclass(CompositeInputError, InnostudyError)
    assert issubclass(CompositeInputError, ValueError)


def test_repr_is_one_short_line(simulated):
    table, spec = simulated
    text = repr(cp.build(table, spec, impute="mean"))
    assert "\n" not in text and len(text) < 200 and text.endswith("[SIMULATED]>")


# -- VIKOR and Copeland from IndexSpec ------------------------------------------------------------


def test_vikor_is_reachable_from_the_spec(simulated):
    table, spec = simulated
    index = cp.build(table, spec, aggregate="vikor", impute="mean", outliers="none")
    q = cp.vikor(index.treated, index.weights, spec.directions)["Q"]
    assert np.allclose(index.scores, 1 - q)
    assert index.ranks.equals(cp.rank_scores(-q))
    assert index.log.query("step == 'normalise'")["action"].tolist() == ["by VIKOR"]


def test_copeland_counts_weighted_pairwise_wins_by_hand():
    # Three indicators, four units: unit x beats y when the indicators on which x is higher weigh
    # more than those on which y is higher (equal values split their weight).
    table = pd.DataFrame(
        {"a": [4.0, 3.0, 2.0, 1.0], "b": [1.0, 4.0, 3.0, 2.0], "c": [1.0, 1.0, 4.0, 3.0]},
        index=["w", "x", "y", "z"],
    )
    weights = {"a": 0.5, "b": 0.3, "c": 0.2}
    wins = dict.fromkeys(table.index, 0)
    for u, v in itertools.combinations(table.index, 2):
        for_u = sum(w * ((table.at[u, k] > table.at[v, k]) + 0.5 * (table.at[u, k] == table.at[v, k]))
                    for k, w in weights.items())  # fmt: skip
        if for_u > 0.5 + 1e-12:
            wins[u], wins[v] = wins[u] + 1, wins[v] - 1
        elif for_u < 0.5 - 1e-12:
            wins[u], wins[v] = wins[u] - 1, wins[v] + 1
    assert cp.copeland(table, weights).to_dict() == {k: float(v) for k, v in wins.items()}
    index = cp.build(table, directions=dict.fromkeys("abc", 1), weights=weights,
                     aggregate="copeland", outliers="none")  # fmt: skip
    assert index.scores.to_dict() == {k: float(v) for k, v in wins.items()}
    # non-compensatory: how far ahead w is on a (its best) does not count, only that it is ahead
    boosted = table.assign(a=table["a"].where(table.index != "w", 1e9))
    assert cp.copeland(boosted, weights).equals(cp.copeland(table, weights))
    assert not cp.aggregate(boosted, weights).equals(cp.aggregate(table, weights))


def test_monte_carlo_refuses_aggregations_it_cannot_score_by_products(simulated):
    table, spec = simulated
    with pytest.raises(CompositeInputError, match="'copeland' is not one of arithmetic"):
        cp.uncertainty(table, spec.replace(impute="mean"), n=5, aggregations=("copeland",))


# -- remove-one sensitivity -------------------------------------------------------------------------


def test_remove_one_indicator_matches_building_without_it(simulated):
    table, spec = simulated
    spec = spec.replace(impute="mean")
    index = cp.build(table, spec)
    result = index.remove_one("indicator")
    tidy = result.tidy()
    assert list(tidy.columns) == ["unit", "removed", "rank", "rank_shift"]
    assert set(tidy["removed"]) == set(table.columns) and len(tidy) == 30 * 9
    for removed in table.columns[:3]:
        kept = table.drop(columns=removed)
        alone = cp.build(kept, spec.replace(pillars={k: v for k, v in spec.pillars.items()
                                                     if k != removed}))  # fmt: skip
        rows = tidy[tidy["removed"] == removed].set_index("unit")
        assert rows["rank"].equals(alone.ranks.rename("rank").rename_axis("unit"))
        assert (rows["rank_shift"] == alone.ranks - index.ranks).all()
        shift = result.shifts.set_index("removed").loc[removed, "mean_abs_rank_shift"]
        assert shift == pytest.approx((alone.ranks - index.ranks).abs().mean())
    assert result.shifts["mean_abs_rank_shift"].is_monotonic_decreasing
    assert "[SIMULATED]" in repr(result)


def test_remove_one_pillar_and_manual_weights(simulated):
    table, spec = simulated
    weights = {name: float(i + 1) for i, name in enumerate(table.columns)}
    index = cp.build(table, spec, impute="mean", weights=weights,
                     pillar_weights={"simulated_pillar_1": 1, "simulated_pillar_2": 2,
                                     "simulated_pillar_3": 3})  # fmt: skip
    result = index.remove_one("pillar")
    assert result.shifts["removed"].tolist() != [] and len(result.shifts) == 3
    dropped = [k for k, v in spec.pillars.items() if v == "simulated_pillar_2"]
    alone = cp.build(
        table.drop(columns=dropped), spec, impute="mean",
        weights={k: v for k, v in weights.items() if k not in dropped},
        pillars={k: v for k, v in spec.pillars.items() if k not in dropped},
        pillar_weights={"simulated_pillar_1": 1, "simulated_pillar_3": 3},
    )  # fmt: skip
    rows = result.tidy().query("removed == 'simulated_pillar_2'").set_index("unit")
    assert (rows["rank"] == alone.ranks).all()
    flat = cp.build(table, spec.replace(pillars=None), impute="mean")
    with pytest.raises(CompositeInputError, match="'pillar' for an index with pillars"):
        flat.remove_one("pillar")


# -- a panel normalised across years -----------------------------------------------------------------


def test_across_years_normalises_over_all_years_by_hand():
    # Simulated: two years, three cities (names with and without 市), two indicators.
    panel = pd.DataFrame(
        {"年份": [2020, 2020, 2020, 2021, 2021, 2021],
         "专利(件)": [10.0, 20.0, 30.0, 20.0, 40.0, 50.0],
         "PM2.5": [40.0, 30.0, 50.0, 30.0, 20.0, 35.0]},
        index=pd.Index(["贵阳市", "包头", "嘉兴市"] * 2, name="entity_id"),
    )  # fmt: skip
    spec = IndexSpec(directions={"专利(件)": 1, "PM2.5": -1}, outliers="none", year="年份",
                     across_years=True)  # fmt: skip
    index = cp.build(panel, spec)
    # by hand: min-max over all six unit-years; patents 10..50, PM2.5 20..50 (lower is better)
    patents = 100 * (panel["专利(件)"] - 10) / 40
    air = 100 * (50 - panel["PM2.5"]) / 30
    expected = ((patents + air) / 2).to_numpy()
    assert np.allclose(index.scores.to_numpy(), expected)
    # comparable over time: 包头 improves from 2020 to 2021 on both, so its score rises
    assert index.scores[(2021, "包头")] > index.scores[(2020, "包头")]
    # ranks stay within each year
    assert index.ranks.xs(2021).to_dict() == {"贵阳市": 3, "包头": 1, "嘉兴市": 2}
    # year by year, 2021's best unit would score 100 on patents: not comparable with 2020
    separate = cp.build(panel, spec.replace(across_years=False))
    assert separate.normalised.loc[(2021, "嘉兴市"), "专利(件)"] == 100
    assert index.normalised.loc[(2021, "嘉兴市"), "专利(件)"] == 100
    assert index.normalised.loc[(2020, "嘉兴市"), "专利(件)"] == 50
    assert "across years" in index.summary()
    # the recipe replays across years too
    assert_same_index(index.rebuild(weights={"专利(件)": 3, "PM2.5": 1}),
                      cp.build(panel, spec, weights={"专利(件)": 3, "PM2.5": 1}))  # fmt: skip
    one = index.for_year(2020)
    assert np.allclose(one.scores, expected[:3])


# -- the Monte Carlo: same intervals as the units x units frequency route, linear memory -----------


def _frequency_route(normalised: np.ndarray, weights: np.ndarray, n: int):
    """The earlier implementation's route, written plainly: scores, ranks (min on ties), a units x
    units count table, its cumulative sum, and the first rank reaching ceil(q x n) draws."""
    units = normalised.shape[0]
    ranks = np.array([rankdata(-(w @ normalised.T), method="min") for w in weights])
    counts = np.zeros((units, units), dtype=np.int64)
    for row in ranks:
        counts[np.arange(units), row - 1] += 1
    cumulative = counts.cumsum(axis=1)
    out = {
        name: np.argmax(cumulative >= np.ceil(q * n - 1e-9), axis=1) + 1
        for name, q in (("median_rank", 0.5), ("p05_rank", 0.05), ("p95_rank", 0.95))
    }
    return out, counts, ranks


def test_rank_intervals_equal_the_frequency_table_route(simulated, monkeypatch):
    table, spec = simulated
    spec = spec.replace(impute="mean")
    n = 700
    result = cp.uncertainty(table, spec, n=n, seed=5, weights="dirichlet")
    normalised = cp.build(table, spec).normalised.to_numpy()
    weights = result.draws[list(table.columns)].to_numpy()
    expected, counts, ranks = _frequency_route(normalised, weights, n)
    for name, values in expected.items():
        assert (result.ranks[name].to_numpy() == values).all(), name
    assert (result.frequencies.to_numpy() == counts).all()
    assert (result.rank_draws.T == ranks).all()
    percentiles = np.percentile(ranks, [5, 50, 95], axis=0, method="inverted_cdf")
    assert (result.ranks[["p05_rank", "median_rank", "p95_rank"]].to_numpy() == percentiles.T).all()
    # any interval: 95 % (alpha 0.05) is at least as wide as 90 %
    wide = result.tidy(alpha=0.05)
    assert list(wide.columns[-2:]) == ["p2.5_rank", "p97.5_rank"]
    assert (wide["p2.5_rank"] <= result.ranks["p05_rank"].to_numpy()).all()
    # small chunks (as many units force) give the same draws and intervals; so do rank histograms
    # counted a block of units at a time after the loop (the route for many units)
    module = sys.modules["innostudy.composite.uncertainty"]
    monkeypatch.setattr(module, "CHUNK_CELLS", 30 * 7)
    chunked = cp.uncertainty(table, spec, n=n, seed=5, weights="dirichlet")
    assert chunked.ranks.equals(result.ranks) and (chunked.rank_draws == result.rank_draws).all()
    monkeypatch.setattr(module, "COUNT_CELLS", 31 * 4)
    blocked = cp.uncertainty(table, spec, n=n, seed=5, weights="dirichlet")
    assert blocked._counts is None and len(module._blocks(blocked._by_draw)) > 1
    assert blocked.ranks.equals(result.ranks) and (blocked.frequencies == counts).all().all()
    assert blocked.tidy(alpha=0.05).equals(wide)


def _peak_bytes(units: int, draws: int) -> int:
    table, spec = cp.simulated_table(n_units=units, n_indicators=8, n_pillars=2, seed=1)
    spec = spec.replace(outliers="none")
    tracemalloc.start()
    try:
        cp.uncertainty(table, spec, n=draws, seed=0)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_monte_carlo_memory_grows_linearly_in_units():
    small, large = _peak_bytes(500, 400), _peak_bytes(2_000, 400)
    # 4x the units: a units x units table would take 16x (2000^2 x 8 bytes = 32 MB, twice over)
    assert large / small < 6, (small, large)
    assert large < 50e6, large  # the count table, its bincount and cumsum alone took 96 MB
