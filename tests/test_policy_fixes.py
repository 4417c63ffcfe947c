"""Regression tests for issue 11 (points 1, 3, 6-9) and issue 10 (point 5): each failed before
the fix. References: moderndid 0.2 (a port of R's did) on R did's mpdta panel."""

import warnings

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

ESTIMATORS = (twfe, att_gt, event_study, bacon, placebo)


def moderndid_att_gt(data, control, method="dr", **kwargs):
    import moderndid

    with warnings.catch_warnings(action="ignore"):
        return moderndid.att_gt(
            data=data, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
            est_method=method, control_group={"never": "nevertreated", "notyet": "notyettreated"}[
                control], boot=False, cband=False, **kwargs,
        )  # fmt: skip


def assert_same(ours, ref):
    import moderndid

    np.testing.assert_allclose(ours.groups, ref.groups)
    np.testing.assert_allclose(ours.times, ref.times)
    np.testing.assert_allclose(ours.att, ref.att_gt, atol=1e-9)
    np.testing.assert_allclose(ours.se, ref.se_gt, atol=1e-9)
    for kind in ("simple", "group", "dynamic", "calendar"):
        with warnings.catch_warnings(action="ignore"):
            theirs = moderndid.aggte(ref, type=kind, boot=False, cband=False)
        assert ours.aggregate(kind).att == pytest.approx(theirs.overall_att, abs=1e-9), kind
        assert ours.aggregate(kind).se == pytest.approx(theirs.overall_se, abs=1e-9), kind


# ---------------------------------------------------------------- 1. no observed pre-period
@pytest.mark.parametrize("control", ["never", "notyet"])
def test_att_gt_drops_a_cohort_without_pre_period_as_r_did(mpdta, control):
    blanked = mpdta.assign(lemp=mpdta["lemp"].where(mpdta["year"] != 2003))
    panel = Panel(blanked, "countyreal", "year", "first.treat")
    with pytest.warns(UserWarning, match=r"no observed year before treatment.*\{2004: 20\}"):
        ours = att_gt(panel, "lemp", control=control)
    assert 2004 not in ours.groups  # never a base period wrapped round to 2007
    assert ours.n == 500 - 20 and ours.dropped_cohorts == {2004: 20}
    assert "cohorts dropped" in ours.summary()
    # moderndid (as R's did) drops the units treated in the first period of the data it gets
    assert_same(ours, moderndid_att_gt(mpdta[mpdta.year != 2003], control))


# ---------------------------------------------------------------- 9. anticipation, dropped units
@pytest.mark.parametrize("control", ["never", "notyet"])
@pytest.mark.parametrize(("method", "covariates"), [("dr", ()), ("reg", ("lpop",))])
def test_att_gt_anticipation_matches_moderndid(mpdta, control, method, covariates):
    panel = Panel(mpdta, "countyreal", "year", "first.treat")
    with pytest.warns(UserWarning, match=r"\{2004: 20\}"):  # 2004 <= 2003 + 1: no clean base
        ours = att_gt(panel, "lemp", control=control, method=method, covariates=covariates,
                      anticipation=1)  # fmt: skip
    formula = {"xformla": "~lpop"} if covariates else {}
    assert_same(ours, moderndid_att_gt(mpdta, control, method, anticipation=1, **formula))
    assert "anticipation: 1" in ours.summary()
    with pytest.raises(ValueError, match="anticipation must be"):
        att_gt(panel, "lemp", anticipation=-1)


def test_treated_unit_never_seen_before_treatment_is_dropped_and_named():
    df = simulate_panel(n_units=20, years=range(2015, 2020), cohorts={2017: 6}, seed=1)
    late = df.query("cohort == 2017").unit.iloc[0]
    df = df[~((df.unit == late) & (df.year < 2017))]  # first seen in its cohort year
    with pytest.warns(UserWarning, match=rf"dropped 1 treated unit.*'{late}' \(cohort 2017\)"):
        panel = Panel(df, "unit", "year", "cohort")
    assert late not in panel.units and panel.cohorts == {2017: 5}
    assert panel.dropped_units == {late: "no year observed before its cohort"}
    assert late in panel.summary()


# ---------------------------------------------------------------- 3. placebo refuses as twfe
def refusal(estimator, *args, **kwargs):
    with pytest.raises(PanelError) as err:
        estimator(*args, **kwargs)
    return str(err.value)


def test_placebo_refuses_collinear_controls_with_twfes_message():
    df = simulate_panel(n_units=60, years=range(2012, 2020), cohorts={2015: 20}, seed=2)
    df["x2"] = 2 * df["x"] + 1
    panel = Panel(df, "unit", "year", "cohort")
    message = refusal(twfe, panel, "y", controls=["x", "x2"])
    assert "['x2'] are collinear" in message
    assert refusal(placebo, panel, "y", n=20, controls=["x", "x2"]) == message


def test_placebo_refuses_a_panel_treated_all_in_one_year():
    df = simulate_panel(n_units=30, years=range(2012, 2020), cohorts={2016: 30}, seed=3)
    panel = Panel(df, "unit", "year", "cohort")
    message = refusal(twfe, panel, "y")
    assert "['treated'] are collinear" in message and "same year" in message
    assert refusal(placebo, panel, "y", n=20) == message
    assert "nothing to decompose" in refusal(bacon, panel, "y")


# ---------------------------------------------------------------- 6. singular pre-trend tests
def test_event_study_with_two_clusters_is_not_testable():
    df = simulate_panel(n_units=40, years=range(2010, 2020), cohorts={2014: 10, 2016: 10}, seed=4)
    df["half"] = df["unit"].str[-1].astype(int) % 2
    with pytest.warns(UserWarning, match="only 2 clusters"):
        es = event_study(Panel(df, "unit", "year", "cohort"), "y", window=(-3, 3),
                         cluster="half")  # fmt: skip
    assert not es.pretrend.testable and np.isnan(es.pretrend.statistic)
    assert str(es.pretrend).startswith("not testable (rank 1 of 2)")
    assert "not testable (rank 1 of 2)" in es.summary() and "only 2 clusters" in es.summary()


def test_callaway_pretest_from_a_singular_covariance_is_not_testable():
    # one unit per cohort: the cells of a year share the same comparison-group influence, so
    # 8 pre-treatment cells (2014: 2011-13, 2016: 2011-15) have a covariance of rank 5
    df = simulate_panel(n_units=40, years=range(2010, 2020), cohorts={2014: 1, 2016: 1}, seed=5)
    with pytest.warns(UserWarning, match=r"few treated units per cohort.*\{2014: 1, 2016: 1\}"):
        cs = att_gt(Panel(df, "unit", "year", "cohort"), "y")
    assert str(cs.pretrend).startswith("not testable (rank 5 of 8)")
    assert "not testable (rank 5 of 8)" in cs.summary()


def test_callaway_pretest_with_two_treated_cities_per_cohort_is_not_testable():
    # issue 10's case: 284 cities, 2 treated per cohort; the 30 pre-treatment cells carry only 14
    # independent influence functions (printed before as an astronomical chi2(30))
    df = simulate_panel(n_units=284, years=range(2010, 2024),
                        cohorts={2015: 2, 2018: 2, 2020: 2, 2021: 2}, seed=0)  # fmt: skip
    with pytest.warns(UserWarning, match="few treated units per cohort"):
        cs = att_gt(Panel(df, "unit", "year", "cohort"), "y")
    pre = ~cs.tidy()["post"].to_numpy()
    assert str(cs.pretrend) == (
        "not testable (rank 14 of 30): the covariance of the tested coefficients is singular"
    )
    assert np.linalg.matrix_rank(cs.vcov[np.ix_(pre, pre)]) == 14  # numpy's own tolerance agrees


def test_full_rank_pretest_is_unchanged(mpdta):
    cs = att_gt(Panel(mpdta, "countyreal", "year", "first.treat"), "lemp")
    assert cs.pretrend.testable and cs.pretrend.rank == cs.pretrend.df == 5
    assert 0 < cs.pretrend.statistic < 1e3


# ---------------------------------------------------------------- 7. non-finite inputs
@pytest.mark.parametrize("column", ["y", "x"])
def test_infinite_values_are_refused_naming_rows_by_every_estimator(column):
    df = simulate_panel(n_units=30, years=range(2014, 2020), cohorts={2017: 10}, seed=6)
    df.loc[[7, 40], column] = [np.inf, -np.inf]
    panel = Panel(df, "unit", "year", "cohort")
    for estimator in ESTIMATORS:
        kwargs = {"controls": ["x"]} if estimator in (twfe, placebo, event_study) else {}
        if estimator is att_gt:
            kwargs = {"covariates": ["x"]}
        if column == "x" and estimator is bacon:
            continue  # bacon takes no controls
        message = refusal(estimator, panel, "y", **kwargs)
        assert f"non-finite values (inf) in {column!r} rows 7, 40" in message, estimator


# ---------------------------------------------------------------- 8. named errors
def test_one_unit_cohort_with_covariates_leaves_named_cells_out():
    df = simulate_panel(n_units=40, years=range(2010, 2016), cohorts={2013: 1, 2014: 10}, seed=3)
    one = df.loc[df.cohort == 2013, "unit"].iloc[0]
    df.loc[df.unit == one, "x"] = df["x"].max() + 5  # perfectly separated propensity score
    panel = Panel(df, "unit", "year", "cohort")
    for method in ("dr", "ipw"):
        with pytest.warns(UserWarning, match=r"5 cell\(s\).*\(2013, 2011\): the propensity"):
            result = att_gt(panel, "y", covariates=["x"], method=method)
        assert set(result.failed) == {(2013, t) for t in range(2011, 2016)}
        assert 2013 not in result.groups and np.isfinite(result.aggregate("simple").att)
        assert "cells not estimated" in result.summary()


def test_collinear_covariates_are_named():
    df = simulate_panel(n_units=40, years=range(2010, 2016), cohorts={2013: 10}, seed=3)
    df["x2"] = 3 * df["x"] - 1
    with pytest.raises(PanelError, match=r"covariate\(s\) \['x2'\] are collinear"):
        att_gt(Panel(df, "unit", "year", "cohort"), "y", covariates=["x", "x2"])


def test_one_cluster_and_bad_draw_counts_are_named():
    df = simulate_panel(n_units=30, years=range(2014, 2020), cohorts={2017: 10}, seed=7)
    panel = Panel(df.assign(country="cn"), "unit", "year", "cohort")
    for estimator in (twfe, event_study):
        assert "one cluster ('country')" in refusal(estimator, panel, "y", cluster="country")
    for n in (0, -5):
        with pytest.raises(ValueError, match=r"n \(the number of random reassignments\)"):
            placebo(panel, "y", n=n)


@pytest.mark.parametrize("bad", ["y2013", "2015年"])
def test_years_with_letters_are_named_with_rows_and_values(bad):
    df = simulate_panel(n_units=3, years=range(2013, 2016), cohorts={2015: 1}).astype({"year": str})
    df.loc[[0, 3], "year"] = bad
    with pytest.raises(PanelError, match=rf"'year' is not a whole-number year in rows 0, 3 "
                                         rf"\(values '{bad}'\)"):  # fmt: skip
        Panel(df, "unit", "year", "cohort")
    every = df.assign(year=[f"{y}年" for y in range(2013, 2016)] * 3)
    with pytest.raises(PanelError, match="values '2013年', '2014年', '2015年'"):
        Panel(every, "unit", "year", "cohort")  # not `min() arg is an empty sequence`


# ---------------------------------------------------------------- issue 10.5: thin designs, gaps
def test_few_clusters_warn_with_the_numbers_and_summaries_show_it():
    df = simulate_panel(n_units=120, years=range(2010, 2020), cohorts={2013: 30, 2016: 30},
                        seed=4).assign(province=lambda d: d["unit"].str[-1])  # fmt: skip
    panel = Panel(df, "unit", "year", "cohort")
    with pytest.warns(UserWarning, match=r"only 10 clusters \(< 30\).*Cameron & Miller"):
        fit = twfe(panel, "y", cluster="province")
    assert "warning: only 10 clusters" in fit.summary()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 120 unit clusters, 30 units per cohort: no warning
        assert twfe(panel, "y").warnings == []


def test_bacon_runs_on_the_balanced_subset_and_names_what_it_dropped():
    df = simulate_panel(n_units=60, years=range(2012, 2020), cohorts={2015: 20, 2017: 20}, seed=8)
    df.loc[[3, 30], "y"] = np.nan  # an empty outcome cell in two units
    gaps = sorted(df.loc[[3, 30], "unit"])
    panel = Panel(df, "unit", "year", "cohort")
    with pytest.warns(UserWarning, match=r"using the 58 units observed in every year, dropped 2"):
        result = bacon(panel, "y")
    assert sorted(result.dropped) == gaps and "balanced subset" in result.summary()
    assert "on the balanced subset: not the TWFE on every unit" in str(result.summary())
    assert repr(result).startswith("<BaconResult: TWFE (balanced subset)")
    subset = Panel(df[~df.unit.isin(gaps)], "unit", "year", "cohort")
    assert result.estimate == pytest.approx(twfe(subset, "y").params["treated"], abs=1e-10)
    with pytest.raises(PanelError, match="balanced panel.*balance=True"):
        bacon(panel, "y", balance=False)


def test_bacon_never_prints_nan():
    df = simulate_panel(n_units=20, years=range(2012, 2018), cohorts={2015: 5}, seed=9)
    df.loc[5, "y"] = np.inf
    with pytest.raises(PanelError, match="non-finite"):
        bacon(Panel(df, "unit", "year", "cohort"), "y")
    df.loc[5, "y"] = 0.0
    assert "nan" not in bacon(Panel(df, "unit", "year", "cohort"), "y").summary().lower()


def test_panel_of_strings_years_still_reads():
    df = simulate_panel(n_units=10, years=range(2015, 2020), cohorts={2017: 3})
    panel = Panel(df.astype({"year": str}), "unit", "year", "cohort")
    assert panel.periods == list(range(2015, 2020))
    assert isinstance(panel.summary(), str) and pd.notna(twfe(panel, "y").params["treated"])


def test_the_estimators_alpha_sets_their_intervals_and_is_checked():
    """twfe/event_study/att_gt(alpha=0.1) used to keep it for nothing: tidy(), summary() and
    plot() gave 95 % intervals (found by a review, 2026-11-30)."""
    df = simulate_panel(n_units=60, years=range(2013, 2022), cohorts={2017: 10, 2019: 12}, seed=1)
    panel = Panel(df, "unit", "year", "cohort")
    cs = att_gt(panel, "y", alpha=0.1)
    for fit in (twfe(panel, "y", alpha=0.1), event_study(panel, "y", alpha=0.1), cs,
                cs.aggregate("simple")):  # fmt: skip
        assert fit.tidy().equals(fit.tidy(0.1)) and not fit.tidy().equals(fit.tidy(0.05))
        assert "90%" in str(fit.summary())
    for estimator in (twfe, event_study, att_gt):
        with pytest.raises(ValueError, match="alpha"):
            estimator(panel, "y", alpha=1.5)


def test_too_few_bootstrap_draws_and_inf_in_a_group_are_refused():
    """bootstrap=2 gave an SE of 0.006 against 0.325 analytic, and heterogeneity dropped the
    group holding an inf without a warning (found by a review, 2026-11-30)."""
    df = simulate_panel(n_units=60, years=range(2013, 2022), cohorts={2017: 10, 2019: 12}, seed=1)
    panel = Panel(df, "unit", "year", "cohort")
    for draws in (1, 2, 50, 99.5):
        with pytest.raises(ValueError, match="at least 99 draws"):
            att_gt(panel, "y", bootstrap=draws)
    assert np.isfinite(att_gt(panel, "y", bootstrap=99).aggregate("simple").se)
    from innostudy.policy import heterogeneity

    bad = df.assign(grp=np.where(df.unit.str[-1].isin(list("01234")), "A", "B"))
    bad.loc[bad.index[7], "y"] = np.inf
    with pytest.raises(PanelError, match="inf"):
        heterogeneity(Panel(bad, "unit", "year", "cohort"), "y", "grp")


def test_p_values_at_their_floor_say_so():
    """Tiny p-values printed as 1.951e-32, and a placebo p of 1/21 looked like any p (found by a
    review, 2026-11-30)."""
    panel = Panel(simulate_panel(seed=1), "unit", "year", "cohort")
    text = str(twfe(panel, "y").summary())
    assert "< 0.0001" in text and "e-" not in text
    ri = placebo(panel, "y", n=20, seed=0)
    assert "the smallest 20 draws can give is 0.0476" in str(ri.summary())


def test_an_event_window_wider_than_the_data_says_which_years_are_empty():
    panel = Panel(simulate_panel(seed=1), "unit", "year", "cohort")  # cohorts 2020, 2021 to 2023
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = event_study(panel, "y", window=(-6, 6))
    assert "relative year(s) 4, 5, 6 of the window: no treated unit observed" in es.summary()
