"""Sun-Abraham against pyfixest 0.60's saturated event study and diff-diff 3.13's SunAbraham,
on R did's mpdta (as shipped in moderndid) and a simulated staggered panel."""

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from innostudy.policy import Panel, PanelError, sun_abraham

matplotlib.use("Agg")
pf = pytest.importorskip("pyfixest")


def saturated(df, y, unit, time, cohort):
    """pyfixest's saturated regression and its period aggregation (shares of observations)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = pf.event_study(df, yname=y, idname=unit, tname=time, gname=cohort,
                            estimator="saturated")  # fmt: skip
        return es.tidy(), es.aggregate()


@pytest.mark.parametrize("which", ["mpdta", "simulated"])
def test_matches_pyfixest_saturated_event_study(which, mpdta, staggered):
    if which == "mpdta":
        df, args = mpdta, ("lemp", "countyreal", "year", "first.treat")
    else:
        df, args = staggered, ("y", "unit", "year", "cohort")
    sa = sun_abraham(Panel(df, args[1], args[2], args[3]), args[0])
    cells, by_period = saturated(df, *args)
    ref = cells["Estimate"].to_numpy(), cells["Std. Error"].to_numpy()
    ours = sa.cells.sort_values(["rel_time", "cohort"])  # pyfixest's order
    np.testing.assert_allclose(ours["estimate"], ref[0], atol=1e-8)
    np.testing.assert_allclose(ours["std_error"], ref[1], atol=1e-8)  # same CRV1 convention
    tidy = sa.tidy().iloc[1:]
    np.testing.assert_array_equal(tidy["rel_time"], by_period.index.to_numpy(float))
    np.testing.assert_allclose(tidy["estimate"], by_period["Estimate"].astype(float), atol=1e-8)
    np.testing.assert_allclose(tidy["std_error"], by_period["Std. Error"].astype(float), atol=1e-8)


@pytest.mark.parametrize("which", ["mpdta", "simulated"])
def test_matches_diff_diff_sun_abraham(which, mpdta, staggered):
    dd = pytest.importorskip("diff_diff")
    if which == "mpdta":
        df, y, unit, time, cohort = mpdta, "lemp", "countyreal", "year", "first.treat"
    else:
        df, y, unit, time, cohort = staggered, "y", "unit", "year", "cohort"
    sa = sun_abraham(Panel(df, unit, time, cohort), y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.SunAbraham(control_group="never_treated").fit(
            df, outcome=y, unit=unit, time=time, first_treat=cohort
        )
    assert sa.att == pytest.approx(ref.overall_att, abs=1e-8)
    # diff-diff's overall SE: same CRV1 convention, weights fixed
    assert sa.se == pytest.approx(ref.overall_se, rel=1e-6)
    by = sa.tidy().iloc[1:].set_index("rel_time")
    for e, row in ref.event_study_effects.items():
        assert by.loc[float(e), "estimate"] == pytest.approx(row["effect"], abs=1e-8)


def test_last_cohort_as_control_matches_pyfixest_on_the_kept_years(staggered):
    no_never = staggered[staggered["cohort"] > 0]
    sa = sun_abraham(Panel(no_never, "unit", "year", "cohort"), "y", control="last")
    kept = no_never[no_never["year"] < 2017].assign(
        cohort=lambda d: d["cohort"].where(d["cohort"] != 2017, 0)
    )
    cells, _ = saturated(kept, "y", "unit", "year", "cohort")
    np.testing.assert_allclose(
        sa.cells.sort_values(["rel_time", "cohort"])["estimate"], cells["Estimate"], atol=1e-8
    )
    assert sa.dropped_years == [2017, 2018, 2019] and "years dropped" in sa.summary()
    with pytest.raises(PanelError, match="control='last'"):
        sun_abraham(Panel(no_never, "unit", "year", "cohort"), "y")


def test_recovers_the_simulated_dynamic_effects_where_twfe_leads_are_contaminated(staggered):
    sa = sun_abraham(Panel(staggered, "unit", "year", "cohort"), "y", window=(-3, 3))
    truth = staggered[staggered["cohort"] > 0].assign(e=lambda d: d["year"] - d["cohort"])
    by = sa.tidy().iloc[1:].set_index("rel_time")
    assert list(by.index) == [-3, -2, 0, 1, 2, 3]
    for e in (0, 1, 2, 3):
        true = truth[truth["e"] == e]["true_effect"].mean()
        assert abs(by.loc[e, "estimate"] - true) < 3 * by.loc[e, "std_error"]
    assert sa.pretrend.df == 2 and sa.pretrend.pvalue > 0.01


def test_protocol_and_bad_input(staggered):
    sa = sun_abraham(Panel(staggered, "unit", "year", "cohort"), "y")
    assert repr(sa).startswith("<SunAbrahamResult: ATT") and "[SIMULATED]" in repr(sa)
    assert "Sun-Abraham" in sa.summary() and sa.tidy(0.1)["simulated"].all()
    assert sa.plot().get_title() == "Sun-Abraham: y"
    with pytest.raises(ValueError, match="base period -1"):
        sun_abraham(Panel(staggered, "unit", "year", "cohort"), "y", window=(0, 3))
    with pytest.raises(ValueError, match="control must be"):
        sun_abraham(Panel(staggered, "unit", "year", "cohort"), "y", control="notyet")
    no_cohort = Panel(staggered.drop(columns="cohort"), "unit", "year")
    with pytest.raises(PanelError, match="cohort column"):
        sun_abraham(no_cohort, "y")


def test_controls_enter_the_regression(staggered):
    sa = sun_abraham(Panel(staggered, "unit", "year", "cohort"), "y", controls=["x"])
    d = staggered.assign(rel=np.where(staggered.cohort > 0, staggered.year - staggered.cohort, -1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.feols("y ~ i(rel, cohort, ref=-1, ref2=0) + x | unit + year", data=d,
                       vcov={"CRV1": "unit"}).tidy()  # fmt: skip
    ref = ref[ref.index != "x"]
    np.testing.assert_allclose(
        sa.cells.sort_values(["rel_time", "cohort"])["estimate"], ref["Estimate"], atol=1e-8
    )
    assert pd.Series(sa.cells["n_obs"]).sum() > 0


def test_compare_event_studies_overlays_the_four_estimators(staggered):
    from innostudy.policy import att_gt, compare_event_studies, event_study, imputation
    from innostudy.policy.compare import dynamic_effects

    panel = Panel(staggered, "unit", "year", "cohort")
    results = {"TWFE": event_study(panel, "y", window=(-3, 3)),
               "SA": sun_abraham(panel, "y", window=(-3, 3)),
               "BJS": imputation(panel, "y", horizons=[0, 1, 2, 3]),
               "CS": att_gt(panel, "y").aggregate("dynamic")}  # fmt: skip
    ax = compare_event_studies(results)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "TWFE (hollow: end points pooling the years beyond)", "SA", "BJS",
        "CS (leads: year-on-year, varying base)", "reference year (-1)"]  # fmt: skip
    assert "SIMULATED DATA" in [t.get_text() for t in ax.texts]
    sa = dynamic_effects(results["SA"])
    assert list(sa["rel_time"]) == [-3, -2, 0, 1, 2, 3]
    drawn = np.asarray(ax.containers[1].lines[0].get_ydata(), float)  # SA, in its order
    np.testing.assert_allclose(drawn, sa["estimate"])
    with pytest.raises(PanelError, match="dynamic aggregate"):
        compare_event_studies([att_gt(panel, "y").aggregate("group")])
    with pytest.raises(PanelError, match="not an event-study result"):
        compare_event_studies([panel])
    universal = att_gt(panel, "y", base_period="universal").aggregate("dynamic")
    ax = compare_event_studies({"CS": universal})  # comparable leads: no caveat
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["CS", "reference year (-1)"]
