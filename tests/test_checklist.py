"""Heterogeneity, mechanisms, competing policies, the placebo as the field draws it, and the
checklist in one call (innostudy.policy)."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

import innostudy
from innostudy.policy import (
    Panel,
    PanelError,
    checklist,
    event_study,
    heterogeneity,
    mechanisms,
    placebo,
    region_of,
    simulate_panel,
    twfe,
)
from innostudy.policy.checklist import STEPS

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def grouped():
    df = simulate_panel(n_units=200, cohorts={2018: 30, 2020: 30}, seed=7, heterogeneity=0.3)
    df["size"] = np.where(df["unit"].str[-1].isin(list("0123")), "large", "small")
    df.loc[df["unit"].str[-1].isin(list("89")), "size"] = "medium"
    return Panel(df, "unit", "year", "cohort")


def test_heterogeneity_equals_separate_fits(grouped):
    het = heterogeneity(grouped, "y", "size", controls=["x"])
    for group, row in het.tidy().set_index("group").iterrows():
        rows = grouped.data[grouped.data["size"] == group]
        alone = twfe(Panel(rows, "unit", "year", "cohort"), "y", ["x"]).tidy().iloc[0]
        assert row.estimate == pytest.approx(alone.estimate, rel=1e-10)
        assert row.std_error == pytest.approx(alone.std_error, rel=1e-10)


def test_equality_test_is_the_hand_computed_wald_test(grouped):
    """Dummy regression in numpy: y on D, D × medium, D × small, x, unit and year dummies;
    CRV1 by unit with G/(G-1)(N-1)/(N-K), K = slopes + year dummies + 1 (Stata xtreg, fe)."""
    from scipy import stats

    het = heterogeneity(grouped, "y", "size", controls=["x"])
    df = grouped.data
    d = (df["year"] >= df["cohort"].replace(0, np.inf)).to_numpy(float)
    slopes = np.column_stack([d, d * (df["size"] == "medium"), d * (df["size"] == "small"),
                              df["x"]])  # fmt: skip
    units = pd.get_dummies(df["unit"], dtype=float).to_numpy()
    years = pd.get_dummies(df["year"], dtype=float).to_numpy()[:, 1:]
    X = np.column_stack([slopes, years, units])
    y = df["y"].to_numpy()
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    u = y - X @ beta
    full_inverse = np.linalg.pinv(X.T @ X)
    codes = pd.factorize(df["unit"])[0]
    G, N = codes.max() + 1, len(y)
    scores = np.zeros((G, X.shape[1]))
    np.add.at(scores, codes, X * u[:, None])
    K = 4 + years.shape[1] + 1
    V = (G / (G - 1)) * ((N - 1) / (N - K)) * full_inverse @ scores.T @ scores @ full_inverse
    b, Vb = beta[1:3], V[1:3, 1:3]
    F = float(b @ np.linalg.solve(Vb, b)) / 2
    assert het.test.statistic == pytest.approx(F, rel=1e-7)
    assert het.test.pvalue == pytest.approx(stats.f.sf(F, 2, G - 1), rel=1e-6)
    assert het.test.df == 2 and het.test.df_denom == G - 1


def city_panel(seed=3):
    """A simulated panel whose units are real cities' entity ids (east, central, west, north-east)."""
    table = innostudy.entities.gazetteer().table
    cities = table[(table["kind"] == "city") & table["province"].isin(
        ["zhejiang", "jiangsu", "anhui", "henan", "sichuan", "yunnan", "liaoning", "jilin"])]  # fmt: skip
    cities = cities["entity_id"].head(80).tolist()
    df = simulate_panel(n_units=len(cities), cohorts={2018: 12, 2020: 12}, seed=seed)
    names = dict(zip(sorted(df["unit"].unique()), cities, strict=True))
    return df.assign(unit=df["unit"].map(names))


def test_region_follows_the_nbs_division():
    assert region_of(["hangzhou", "hefei", "chengdu", "shenyang", "beijing"]).tolist() == [
        "east", "central", "west", "north-east", "east"]  # fmt: skip
    panel = Panel(city_panel(), "unit", "year", "cohort")
    het = heterogeneity(panel, "y", "region")
    assert set(het.fits) | set(het.skipped) == set(region_of(panel.units).dropna())
    assert "by region" in het.summary()


def test_mechanisms_are_twfe_per_channel(grouped):
    channels = mechanisms(grouped, ["y", "x"], controls=["x"])
    table = channels.tidy().set_index("outcome")
    assert table.loc["y", "estimate"] == twfe(grouped, "y", ["x"]).params["treated"]
    assert table.loc["x", "estimate"] == twfe(grouped, "x").params["treated"]  # x not on itself


def test_other_policies_add_one_did_term_each(grouped):
    smart = {u: 2016 for u in grouped.units[100:150]}
    fit = twfe(grouped, "y", ["x"], other_policies={"smart": smart})
    other = grouped.data["unit"].map(smart).fillna(np.inf)
    by_hand = Panel(grouped.data.assign(other=(grouped.data["year"] >= other).astype(float)),
                    "unit", "year", "cohort")  # fmt: skip
    reference = twfe(by_hand, "y", ["other", "x"]).params
    assert fit.params["treated"] == pytest.approx(reference["treated"], rel=1e-10)
    assert fit.params["other_smart"] == pytest.approx(reference["other"], rel=1e-10)
    assert "other_smart: given as a mapping (50 units)" in fit.summary()
    es = event_study(grouped, "y", other_policies={"smart": smart})
    es_hand = event_study(by_hand, "y", controls=["other"])
    np.testing.assert_allclose(es.tidy()["estimate"], es_hand.tidy()["estimate"], rtol=1e-10)
    with pytest.raises(PanelError, match="none of its units is treated"):
        twfe(grouped, "y", other_policies={"ghost": {"nowhere": 2016}})


def test_other_policies_from_a_pilot_list_and_from_data():
    panel = Panel(city_panel(), "unit", "year", "cohort")
    listed = pd.DataFrame(
        {"city": ["杭州市", "合肥"], "programme": "hub_city", "year": [2016, 2017]}
    )
    fit = twfe(panel, "y", other_policies=listed)
    assert "other_hub_city" in fit.params and "2 cities" in fit.other_policies["other_hub_city"]
    with pytest.raises(PanelError, match="not a programme of data/designations.csv"):
        twfe(panel, "y", other_policies="broadband_china")


def test_space_placebo_pvalues_per_draw_equal_refits(grouped):
    ri = placebo(grouped, "y", n=30, controls=["x"], seed=2)
    for draw in (0, 17):
        cohort = grouped.data["unit"].map(ri.assignments.iloc[draw])
        refit = twfe(Panel(grouped.data.assign(fake=cohort), "unit", "year", "fake"), "y", ["x"])
        assert ri.draws[draw] == pytest.approx(refit.params["treated"], rel=1e-9)
        assert ri.draw_pvalues[draw] == pytest.approx(refit.tidy()["p_value"].iloc[0], rel=1e-7)
    ax = ri.plot()
    twin = [a for a in ax.figure.axes if a is not ax][0]
    assert len(twin.collections[0].get_offsets()) == 30  # one point per draw
    assert ax.lines[0].get_label() == "density of draws"


def test_time_placebo_is_twfe_on_pre_treatment_years(grouped):
    fake = placebo(grouped, "y", kind="time", shift=2)
    df = grouped.data
    before = df[(df["cohort"] == 0) | (df["year"] < df["cohort"])]
    moved = before.assign(fake=np.where(before["cohort"] > 0, before["cohort"] - 2, 0))
    reference = twfe(Panel(moved, "unit", "year", "fake"), "y").tidy().iloc[0]
    assert fake.estimate == pytest.approx(reference.estimate, rel=1e-10)
    assert fake.pvalue == pytest.approx(reference.p_value, rel=1e-8)
    assert fake.tidy()["shift"].tolist() == [1, 2]
    with pytest.raises(ValueError, match="kind must be"):
        placebo(grouped, "y", kind="sideways")


def test_checklist_runs_in_order_and_states_every_skip(grouped):
    done = checklist(grouped, "y", controls=["x"], covariates=["x"], by="size", channels=["x"],
                     other_policies={"smart": {u: 2016 for u in grouped.units[:40]}},
                     placebo_draws=40)  # fmt: skip
    assert not done.skipped and list(done.results) == list(STEPS)
    tables, figures = done.tables(), done.figures()
    assert {"baseline", "robustness", "psm_balance", "heterogeneity", "mechanisms",
            "honest"} <= set(tables)  # fmt: skip
    assert tables["baseline"].cells.loc["Controls"].tolist() == ["No", "Yes"]
    assert tables["steps"]["simulated"].all()
    zh = done.tables(lang="zh")["robustness"]
    assert (
        "双向固定效应，野聚类自助法" in zh.cells.columns and "插补估计（BJS）" in zh.cells.columns
    )
    assert zh.notes[-1].startswith("模拟数据（SIMULATED DATA）")
    assert {"event_study", "psm_scores", "placebo", "effects", "honest",
            "event_studies_compared"} <= set(figures)  # fmt: skip
    estimates = done.tidy().set_index("term")["estimate"]
    r = done.results
    assert estimates["TWFE (2)"] == r["baseline"][1].params["treated"]
    assert estimates["TWFE, wild bootstrap"] == estimates["TWFE (2)"]  # same fit, other p
    assert r["wild_bootstrap"].tidy()["inference"].iloc[0] == "wild"
    assert estimates["Sun-Abraham"] == r["sun_abraham"].att
    assert estimates["imputation (BJS)"] == r["imputation"].att
    robust = tables["robustness"].cells
    assert {"Sun-Abraham", "imputation (BJS)", "TWFE, wild bootstrap"} <= set(robust.columns)
    assert robust.loc["Controls", "Sun-Abraham"] == "Yes"  # controls=["x"] reached it
    assert robust.loc["City FE", "imputation (BJS)"] == "Yes"
    assert (
        r["honest"].method == "relative_magnitude"
        and r["honest"].source == "Sun-Abraham event study"
    )
    bare = checklist(Panel(grouped.data, "unit", "year", "cohort"), "y", placebo_draws=20,
                     other_policies={"ghost": {"nowhere": 2016}})  # fmt: skip
    assert bare.skipped["competing_policies"].startswith("not run: other policy 'ghost'")
    assert bare.skipped["heterogeneity"] == "no grouping given (by=a column or 'region')"
    assert "skipped" in bare.summary()
    no_leads = checklist(Panel(grouped.data, "unit", "year", "cohort"), "y", placebo_draws=20,
                         window=(0, 3))  # fmt: skip
    assert no_leads.skipped["honest"].startswith("not run: ")  # no lead besides -1: said why
