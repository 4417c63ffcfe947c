"""Tests of innostudy.policy: validations against R's did (mpdta), moderndid and linearmodels,
a small Monte Carlo, bad input, and the result objects' common interface."""

import subprocess
import sys

import matplotlib
import numpy as np
import pandas as pd
import pytest

from innostudy.policy import (
    Panel,
    PanelError,
    att_gt,
    bacon,
    event_study,
    placebo,
    simulate_panel,
    twfe,
)
from innostudy.policy.regression import SSC

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def mpdta_panel(mpdta):
    return Panel(mpdta, unit="countyreal", time="year", cohort="first.treat")


@pytest.fixture(scope="module")
def staggered():
    """Simulated staggered panel with heterogeneous, growing effects (TWFE's bad case)."""
    df = simulate_panel(n_units=120, years=range(2010, 2020), cohorts={2013: 30, 2016: 30},
                        dynamics=0.3, heterogeneity=0.3, seed=4)  # fmt: skip
    return df, Panel(df, "unit", "year", "cohort")


def cell(result, g, t):
    return result.tidy().set_index(["group", "time"]).loc[(g, t)]


# ---------------------------------------------------------------- Callaway-Sant'Anna vs R's did
def test_att_gt_matches_r_did_on_mpdta(mpdta_panel):
    # R did 2.1.2, att_gt(yname="lemp", gname="first.treat", idname="countyreal", tname="year",
    # data=mpdta, est_method="dr", bstrap=FALSE): the figures quoted in issue 7.
    never = att_gt(mpdta_panel, "lemp", control="never", method="dr")
    assert cell(never, 2004, 2004).estimate == pytest.approx(-0.0105032, abs=1e-6)
    assert cell(never, 2004, 2004).std_error == pytest.approx(0.02325, abs=1e-4)
    assert cell(never, 2006, 2007).estimate == pytest.approx(-0.0412245, abs=1e-6)
    assert cell(never, 2007, 2007).estimate == pytest.approx(-0.0260544, abs=1e-6)
    notyet = att_gt(mpdta_panel, "lemp", control="notyet", method="dr")
    assert cell(notyet, 2004, 2004).estimate == pytest.approx(-0.0193724, abs=1e-6)
    assert len(never.tidy()) == 12  # 3 cohorts × 4 years with a base year


@pytest.mark.parametrize("control", ["never", "notyet"])
@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
@pytest.mark.parametrize("covariates", [(), ("lpop",)])
def test_att_gt_and_aggregations_match_moderndid(mpdta, mpdta_panel, control, method, covariates):
    moderndid = pytest.importorskip("moderndid")
    ours = att_gt(mpdta_panel, "lemp", control=control, method=method, covariates=covariates)
    ref = moderndid.att_gt(
        data=mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
        est_method=method, control_group={"never": "nevertreated", "notyet": "notyettreated"}[control],
        xformla="~lpop" if covariates else None, boot=False, cband=False,
    )  # fmt: skip
    np.testing.assert_allclose(ours.groups, ref.groups)
    np.testing.assert_allclose(ours.times, ref.times)
    np.testing.assert_allclose(ours.att, ref.att_gt, atol=1e-9)
    np.testing.assert_allclose(ours.se, ref.se_gt, atol=1e-9)
    for kind in ("simple", "group", "dynamic", "calendar"):
        agg = ours.aggregate(kind)
        theirs = moderndid.aggte(ref, type=kind, boot=False, cband=False)
        assert agg.att == pytest.approx(theirs.overall_att, abs=1e-9), kind
        assert agg.se == pytest.approx(theirs.overall_se, abs=1e-9), kind
        if kind != "simple":
            np.testing.assert_allclose(agg.table["estimate"], theirs.att_by_event, atol=1e-9)
            np.testing.assert_allclose(agg.table["std_error"], theirs.se_by_event, atol=1e-9)


@pytest.mark.parametrize("control", ["never", "notyet"])
@pytest.mark.parametrize(("covariates", "anticipation"), [((), 0), (("lpop",), 0), ((), 1)])
def test_universal_base_period_matches_moderndid(mpdta, mpdta_panel, control, covariates,
                                                 anticipation):  # fmt: skip
    moderndid = pytest.importorskip("moderndid")
    ours = att_gt(mpdta_panel, "lemp", control=control, covariates=covariates,
                  anticipation=anticipation, base_period="universal")  # fmt: skip
    ref = moderndid.att_gt(
        data=mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
        control_group={"never": "nevertreated", "notyet": "notyettreated"}[control],
        xformla="~lpop" if covariates else None, anticipation=anticipation,
        base_period="universal", boot=False, cband=False,
    )  # fmt: skip
    np.testing.assert_allclose(ours.times, ref.times)
    np.testing.assert_allclose(ours.att, ref.att_gt, atol=1e-9)
    np.testing.assert_allclose(ours.se, ref.se_gt, atol=1e-9)  # NaN at the base cells in both
    assert (ours.att[np.isnan(ours.se)] == 0).all()
    assert np.isnan(ours.se).sum() == len(set(ours.groups))  # one base cell per cohort
    for kind in ("simple", "group", "dynamic", "calendar"):
        agg, theirs = ours.aggregate(kind), moderndid.aggte(ref, type=kind, boot=False, cband=False)
        assert (agg.att, agg.se) == pytest.approx((theirs.overall_att, theirs.overall_se), abs=1e-9)
        if kind != "simple":
            np.testing.assert_allclose(agg.table["estimate"], theirs.att_by_event, atol=1e-9)
            np.testing.assert_allclose(agg.table["std_error"], theirs.se_by_event, atol=1e-9)
    with pytest.raises(ValueError, match="base_period must be"):
        att_gt(mpdta_panel, "lemp", base_period="fixed")


def test_aggregate_tidy_and_bad_kind(mpdta_panel):
    result = att_gt(mpdta_panel, "lemp")
    table = result.aggregate("dynamic").tidy()
    assert table.iloc[0]["term"] == "overall"
    assert list(table["level"].iloc[1:]) == [-3, -2, -1, 0, 1, 2, 3]
    with pytest.raises(ValueError, match="kind must be one of"):
        result.aggregate("cohort")


def test_att_gt_pretrend_test_is_chi2_of_pre_cells(mpdta_panel):
    result = att_gt(mpdta_panel, "lemp")
    pre = ~result.tidy()["post"].to_numpy()
    b, v = result.att[pre], result.vcov[np.ix_(pre, pre)]
    assert result.pretrend.df == pre.sum() == 5
    assert result.pretrend.statistic == pytest.approx(b @ np.linalg.solve(v, b), rel=1e-12)


def test_att_gt_leaves_out_incomplete_units_and_says_so(mpdta):
    panel = Panel(mpdta[~((mpdta.countyreal == 8001) & (mpdta.year == 2005))],
                  "countyreal", "year", "first.treat")  # fmt: skip
    with pytest.warns(UserWarning, match="left out 1 unit"):
        result = att_gt(panel, "lemp")
    assert result.n == 499 and result.dropped_units == [8001]
    assert "left out" in result.summary()


# ---------------------------------------------------------------- TWFE vs linearmodels
def test_twfe_matches_linearmodels_on_grunfeld():
    linearmodels = pytest.importorskip("linearmodels")
    import statsmodels.api as sm

    grunfeld = sm.datasets.grunfeld.load_pandas().data
    ours = twfe(Panel(grunfeld, "firm", "year"), "invest", controls=["value", "capital"],
                time_effects=False)  # fmt: skip
    # Grunfeld within (entity effects) estimates quoted in issue 7: value 0.1101, capital 0.3100.
    assert ours.params["value"] == pytest.approx(0.1101, abs=5e-5)
    assert ours.params["capital"] == pytest.approx(0.3100, abs=5e-5)
    ref = linearmodels.PanelOLS.from_formula(
        "invest ~ value + capital + EntityEffects", grunfeld.set_index(["firm", "year"])
    ).fit(cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True)
    np.testing.assert_allclose(ours.params, ref.params, rtol=0, atol=1e-8)
    # linearmodels' debiased + group_debias is G/(G-1)(N-1)/(N-K) with K = 2 slopes, not counting
    # the unit effects; ours (Stata xtreg, fe / fixest default) counts them as one, K = 3: a
    # difference on purpose (regression.py docstring), pinned here; fixef_k="none" is theirs.
    n = len(grunfeld)
    np.testing.assert_allclose(ours.bse, ref.std_errors * np.sqrt((n - 2) / (n - 3)), atol=1e-8)
    assert ours.k == 3
    none = twfe(Panel(grunfeld, "firm", "year"), "invest", controls=["value", "capital"],
                time_effects=False, ssc=SSC(fixef_k="none"))  # fmt: skip
    np.testing.assert_allclose(none.bse, ref.std_errors, rtol=0, atol=1e-8)


@pytest.mark.parametrize("balanced", [True, False])
def test_twfe_matches_linearmodels_two_way_on_simulated(staggered, balanced):
    linearmodels = pytest.importorskip("linearmodels")
    df = staggered[0] if balanced else staggered[0].sample(frac=0.95, random_state=3)
    ours = twfe(Panel(df, "unit", "year", "cohort"), "y", controls=["x"])
    data = df.assign(treated=((df.cohort > 0) & (df.year >= df.cohort)).astype(float))
    absorbed = linearmodels.PanelOLS.from_formula(
        "y ~ treated + x + EntityEffects + TimeEffects", data.set_index(["unit", "year"])
    ).fit()
    np.testing.assert_allclose(ours.params, absorbed.params, rtol=0, atol=1e-8)
    # Standard errors against year dummies as regressors (linearmodels' absorbed two-way path
    # scales its clustered covariance differently). linearmodels' clustered covariance carries
    # (N-1)/N; ours is (N-1)/(N-K) with K = 2 slopes + 9 year dummies + 1 for the unit effects
    # nested in the clusters (Stata xtreg, fe; fixest's default).
    dummies = linearmodels.PanelOLS.from_formula(
        "y ~ treated + x + C(year) + EntityEffects",
        data.assign(period=data.year).set_index(["unit", "period"]),
    ).fit(cov_type="clustered", cluster_entity=True, debiased=False, group_debias=True)
    n, k = len(df), 2 + 9 + 1
    expected = dummies.std_errors[["treated", "x"]] * np.sqrt(n / (n - k))
    np.testing.assert_allclose(ours.bse, expected, rtol=0, atol=1e-8)
    assert ours.k == k


def test_twfe_cluster_column_must_nest_units(staggered):
    df = staggered[0].assign(province=lambda d: d["unit"].str[-1])
    by_province = twfe(Panel(df, "unit", "year", "cohort"), "y", cluster="province")
    assert by_province.n_clusters == 10
    df["mixed"] = np.arange(len(df)) % 3
    with pytest.raises(PanelError, match="must not vary within a unit"):
        twfe(Panel(df, "unit", "year", "cohort"), "y", cluster="mixed")


# ---------------------------------------------------------------- Monte Carlo: TWFE bias vs CS
def test_monte_carlo_twfe_biased_callaway_santanna_covers():
    twfe_error, cs_error, covered = [], [], []
    for seed in range(20):
        df = simulate_panel(n_units=120, years=range(2010, 2020), cohorts={2012: 40, 2016: 40},
                            dynamics=0.4, heterogeneity=0.3, seed=seed)  # fmt: skip
        truth = df.loc[df.true_effect != 0, "true_effect"].mean()  # mean over treated unit-years
        panel = Panel(df, "unit", "year", "cohort")
        twfe_error.append(twfe(panel, "y").params["treated"] - truth)
        simple = att_gt(panel, "y").aggregate("simple")
        cs_error.append(simple.att - truth)
        covered.append(abs(simple.att - truth) <= 1.96 * simple.se)
    twfe_error, cs_error = np.array(twfe_error), np.array(cs_error)
    mc_se = cs_error.std(ddof=1) / np.sqrt(len(cs_error))
    assert twfe_error.mean() < -0.5 and twfe_error.max() < 0  # biased, in every draw
    assert abs(cs_error.mean()) < 3 * mc_se  # unbiased
    assert np.mean(covered) >= 0.85  # nominal 95 %


# ---------------------------------------------------------------- event study
def test_event_study_matches_hand_built_dummies(staggered):
    linearmodels = pytest.importorskip("linearmodels")
    df, panel = staggered
    es = event_study(panel, "y", window=(-3, 3), base=-1)
    rel = np.where(df.cohort > 0, np.clip(df.year - df.cohort, -3, 3), -99)
    dummies = {f"r{k + 3}": (rel == k).astype(float) for k in (-3, -2, 0, 1, 2, 3)}
    data = df.assign(**dummies).set_index(["unit", "year"])
    ref = linearmodels.PanelOLS.from_formula(
        f"y ~ {' + '.join(dummies)} + EntityEffects + TimeEffects", data
    ).fit(cov_type="clustered", cluster_entity=True)
    np.testing.assert_allclose(es.tidy()["estimate"], ref.params, atol=1e-8)
    assert list(es.tidy()["rel_time"]) == [-3, -2, 0, 1, 2, 3]
    assert es.tidy()["binned"].tolist() == [True, False, False, False, False, True]
    leads = es.tidy().iloc[:2]
    v = es.vcov[:2, :2]
    stat = leads.estimate.to_numpy() @ np.linalg.solve(v, leads.estimate.to_numpy()) / 2
    assert es.pretrend.statistic == pytest.approx(stat) and es.pretrend.df_denom == 119


def test_event_study_pretrend_test_not_rejected_under_parallel_trends():
    df = simulate_panel(n_units=200, years=range(2010, 2020), cohorts={2014: 50, 2016: 50},
                        effect=1.0, seed=11)  # fmt: skip
    es = event_study(Panel(df, "unit", "year", "cohort"), "y", window=(-3, 3))
    assert es.pretrend.pvalue > 0.05
    post = es.tidy().query("rel_time >= 0")
    assert ((post.conf_low < 1.0) & (post.conf_high > 1.0)).mean() >= 0.75


def test_event_study_window_beyond_data_and_unbinned_terms(staggered):
    _, panel = staggered
    wide = event_study(panel, "y", window=(-4, 8), bin_ends=False)
    table = wide.tidy()
    # the 2013 cohort reaches rel_time 6 at most (2019 - 2013): 7 and 8 have no observations
    assert table.set_index("rel_time").loc[[7, 8], "estimate"].isna().all()
    assert not table.set_index("rel_time").loc[-6, "in_window"]  # estimated, outside window
    with pytest.raises(ValueError, match="window"):
        event_study(panel, "y", window=(-2, 2), base=-3)


# ---------------------------------------------------------------- Bacon decomposition
def test_bacon_weights_sum_to_one_and_reproduce_twfe(staggered):
    df, panel = staggered
    result = bacon(panel, "y")
    assert result.table["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    weighted = (result.table["weight"] * result.table["estimate"]).sum()
    assert weighted == pytest.approx(twfe(panel, "y").params["treated"], abs=1e-10)
    assert set(result.by_type()["type"]) == {
        "treated vs never treated", "earlier vs later treated", "later vs earlier treated",
    }  # fmt: skip
    # the 2013-vs-never 2×2 by hand: change in mean outcome from before to after 2013
    row = result.table.query("treated == 2013 and control == 'never'").iloc[0]
    means = df.assign(post=df.year >= 2013).groupby(["cohort", "post"])["y"].mean()
    by_hand = (means[2013, True] - means[2013, False]) - (means[0, True] - means[0, False])
    assert row.estimate == pytest.approx(by_hand, abs=1e-10)


def test_bacon_needs_balanced_panel(staggered):
    df = staggered[0].drop(index=[5])
    with pytest.raises(PanelError, match="balanced panel.*sim"):
        bacon(Panel(df, "unit", "year", "cohort"), "y", balance=False)
    with pytest.warns(UserWarning, match="balanced panel; using the 119 units"):
        assert bacon(Panel(df, "unit", "year", "cohort"), "y").dropped == ["sim000"]


# ---------------------------------------------------------------- placebo
@pytest.mark.parametrize("controls", [(), ("x",)])
def test_placebo_reuses_design_but_equals_refits(staggered, controls):
    df, panel = staggered
    ri = placebo(panel, "y", n=50, controls=controls, seed=1)
    assert ri.estimate == pytest.approx(twfe(panel, "y", controls).params["treated"], abs=1e-10)
    for draw in (0, 17, 49):
        cohorts = ri.assignments.iloc[draw]
        refit = twfe(Panel(df.assign(cohort=df.unit.map(cohorts)), "unit", "year", "cohort"),
                     "y", controls).params["treated"]  # fmt: skip
        assert ri.draws[draw] == pytest.approx(refit, abs=1e-10)
    assert sorted(ri.assignments.iloc[3]) == sorted(panel._unit_cohort.replace(np.inf, 0))


def test_placebo_pvalue():
    effect = simulate_panel(n_units=100, years=range(2012, 2020), cohorts={2016: 30}, seed=5)
    null = simulate_panel(n_units=100, years=range(2012, 2020), cohorts={2016: 30}, effect=0.0,
                          seed=5)  # fmt: skip
    strong = placebo(Panel(effect, "unit", "year", "cohort"), "y", n=199)
    assert strong.pvalue == pytest.approx(1 / 200)
    assert placebo(Panel(null, "unit", "year", "cohort"), "y", n=199).pvalue > 0.05
    assert placebo(Panel(null, "unit", "year", "cohort"), "y", n=199, seed=3).draws.shape == (199,)


# ---------------------------------------------------------------- bad input
def test_duplicated_rows_are_named():
    df = simulate_panel(n_units=10, years=range(2015, 2020), cohorts={2017: 3})
    bad = pd.concat([df, df.iloc[[7]]], ignore_index=True)
    with pytest.raises(PanelError, match=r"duplicated unit-year rows 7, 50 for \('sim01', 2017\)"):
        Panel(bad, "unit", "year", "cohort")


def test_every_problem_reported_at_once():
    df = simulate_panel(n_units=10, years=range(2015, 2020), cohorts={2017: 3})
    df.loc[df.unit == "sim00", "cohort"] = 2030
    df.loc[df.unit == "sim01", "cohort"] = 2015
    bad = pd.concat([df, df.iloc[[12]]], ignore_index=True)
    with pytest.raises(PanelError) as err:
        Panel(bad, "unit", "year", "cohort")
    message = str(err.value)
    assert "duplicated unit-year rows 12, 50" in message
    assert "cohort outside the panel's years 2015-2019 for unit(s) 'sim00' (2030)" in message
    assert "sim01" not in message  # treated in the first year: dropped with a warning instead


def test_cohort_must_be_constant_within_unit():
    df = simulate_panel(n_units=10, years=range(2015, 2020), cohorts={2017: 3})
    df.loc[3, "cohort"] = 2018
    with pytest.raises(PanelError, match="varies within unit.*'sim00'"):
        Panel(df, "unit", "year", "cohort")


def test_units_that_never_vary_are_named():
    df = simulate_panel(n_units=10, years=range(2015, 2020), cohorts={2017: 3})
    df.loc[df.unit == "sim04", "y"] = 3.0
    panel = Panel(df, "unit", "year", "cohort")
    for estimator in (twfe, att_gt, event_study, bacon, placebo):
        with pytest.raises(PanelError, match=r"never varies.*'sim04' \(5 rows, constant\)"):
            estimator(panel, "y")


def test_no_never_treated_units_with_control_never():
    df = simulate_panel(n_units=20, years=range(2015, 2020), cohorts={2017: 10, 2019: 10})
    panel = Panel(df, "unit", "year", "cohort")
    with pytest.raises(PanelError, match=r"never-treated units.*\{2017: 10, 2019: 10\}.*notyet"):
        att_gt(panel, "y", control="never")
    result = att_gt(panel, "y", control="notyet")  # the last cohort has no comparison units
    assert set(result.skipped) == {(2019, 2017), (2019, 2018), (2019, 2019), (2017, 2019)}


def test_missing_values_dropped_by_one_rule_and_counted():
    df = simulate_panel(n_units=30, years=range(2015, 2020), cohorts={2017: 10})
    df.loc[[0, 1], "y"] = np.nan
    df.loc[[2, 1], "x"] = np.nan
    panel = Panel(df, "unit", "year", "cohort")
    fit = twfe(panel, "y", controls=["x"])
    assert fit.nobs == len(df) - 3
    assert "3 rows dropped for missing values {'y': 2, 'x': 2}" in fit.summary()
    assert twfe(panel, "y").nobs == len(df) - 2
    assert panel.balanced and not panel.sample("y").balanced


# ---------------------------------------------------------------- outputs
def test_every_result_has_tidy_summary_plot_and_says_simulated(staggered):
    from matplotlib.axes import Axes

    _, panel = staggered
    cs = att_gt(panel, "y")
    results = [
        twfe(panel, "y"), event_study(panel, "y"), cs, cs.aggregate("simple"),
        cs.aggregate("dynamic"), bacon(panel, "y"), placebo(panel, "y", n=20), panel,
    ]  # fmt: skip
    for result in results:
        drawn = result.plot()
        assert isinstance(drawn, Axes)
        assert "SIMULATED DATA" in [t.get_text() for t in drawn.texts], type(result)
        assert "SIMULATED DATA" in result.summary()
        assert result.tidy()["simulated"].all()
        matplotlib.pyplot.close(drawn.figure)


def test_real_data_outputs_are_not_labelled_simulated(mpdta_panel):
    fit = twfe(mpdta_panel, "lemp")
    assert "simulated" not in fit.tidy().columns and "SIMULATED" not in fit.summary()


def test_simulate_panel_true_effects():
    df = simulate_panel(n_units=40, years=range(2010, 2016), cohorts={2012: 10, 2014: 10},
                        effect=1.0, dynamics=0.5, heterogeneity=2.0, seed=2)  # fmt: skip
    row = df.query("cohort == 2012 and year == 2015").iloc[0]
    assert row.true_effect == pytest.approx(1.0 + 2.0 * (2014 - 2012) + 0.5 * 3)
    assert (df.query("cohort == 0 or year < cohort").true_effect == 0).all()
    assert df.equals(simulate_panel(n_units=40, years=range(2010, 2016),
                                    cohorts={2012: 10, 2014: 10}, effect=1.0, dynamics=0.5,
                                    heterogeneity=2.0, seed=2))  # fmt: skip


def test_import_stays_light():
    code = (
        "import sys, innostudy.policy; "
        "print([m for m in ('statsmodels', 'matplotlib', 'scipy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# the notebook runs in tests/test_run.py with the rest of the report suite


def test_collinear_controls_are_named(staggered):
    df = staggered[0].assign(size=lambda d: d["unit"].str[-2:].astype(float))
    with pytest.raises(PanelError, match=r"\['size'\] are collinear"):
        twfe(Panel(df, "unit", "year", "cohort"), "y", controls=["x", "size"])
