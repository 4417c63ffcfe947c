"""Imputation (Borusyak-Jaravel-Spiess) against pyfixest 0.60's did2s (Gardner's two-stage:
the same point estimates) and diff-diff 3.13's ImputationDiD (same conservative SEs and
pre-trend test), on R did's mpdta (as shipped in moderndid) and a simulated staggered panel."""

import warnings

import matplotlib
import numpy as np
import pytest

from innostudy.policy import Panel, PanelError, imputation

matplotlib.use("Agg")


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.mark.parametrize("controls", [(), ("x",)])
def test_point_estimates_equal_pyfixest_did2s(staggered, controls):
    pf = pytest.importorskip("pyfixest")
    ours = imputation(Panel(staggered, "unit", "year", "cohort"), "y", controls=controls).tidy()
    d = staggered.assign(treat=lambda d: ((d.cohort > 0) & (d.year >= d.cohort)).astype(int))
    d["h"] = np.where(d.treat == 1, d.year - d.cohort, -1000)
    first = f"~ {' + '.join(controls) or '0'} | unit + year"
    overall = quiet(pf.did2s, d, yname="y", first_stage=first, second_stage="~ treat",
                    treatment="treat", cluster="unit").tidy()  # fmt: skip
    by_h = quiet(pf.did2s, d, yname="y", first_stage=first, second_stage="~ i(h, ref=-1000)",
                 treatment="treat", cluster="unit").tidy()  # fmt: skip
    assert ours["estimate"].iloc[0] == pytest.approx(overall.loc["treat", "Estimate"], abs=1e-8)
    np.testing.assert_allclose(ours["estimate"].iloc[1:], by_h["Estimate"], atol=1e-8)


@pytest.mark.parametrize("which", ["mpdta", "simulated"])
def test_estimates_ses_and_pretrend_test_equal_diff_diff(which, mpdta, staggered):
    dd = pytest.importorskip("diff_diff")
    if which == "mpdta":
        df, y, unit, time, cohort = mpdta, "lemp", "countyreal", "year", "first.treat"
    else:
        df, y, unit, time, cohort = staggered, "y", "unit", "year", "cohort"
    ours = imputation(Panel(df, unit, time, cohort), y)
    est = dd.ImputationDiD()
    ref = quiet(est.fit, df, outcome=y, unit=unit, time=time, first_treat=cohort)
    assert ours.att == pytest.approx(ref.overall_att, abs=1e-8)
    assert ours.se == pytest.approx(ref.overall_se, rel=1e-6)  # Theorem 3, cohort × horizon
    es = quiet(ref.aggregate, "event_study")
    keep = ~es.is_reference
    tidy = ours.tidy().iloc[1:]
    np.testing.assert_array_equal(tidy["rel_time"], es.event_time[keep])
    np.testing.assert_allclose(tidy["estimate"], es.att[keep], atol=1e-8)
    np.testing.assert_allclose(tidy["std_error"], es.se[keep], rtol=1e-6)
    pre = quiet(est._pretrend_test)  # the paper's Test 1, F(q, G - 1), CR1
    assert ours.pretrend.df == pre["df"]
    assert ours.pretrend.statistic == pytest.approx(pre["f_stat"], rel=1e-6)
    assert ours.pretrend.pvalue == pytest.approx(pre["p_value"], rel=1e-6)


def test_recovers_the_simulated_effects(staggered):
    result = imputation(Panel(staggered, "unit", "year", "cohort"), "y", horizons=[0, 2, 4])
    treated = staggered[staggered["true_effect"] != 0].assign(h=lambda d: d.year - d.cohort)
    tidy = result.tidy().set_index("term")
    assert abs(tidy.loc["overall", "estimate"] - treated["true_effect"].mean()) < 3 * result.se
    for h in (0, 2, 4):
        true = treated[treated["h"] == h]["true_effect"].mean()
        assert abs(tidy.loc[f"h_{h}", "estimate"] - true) < 3 * tidy.loc[f"h_{h}", "std_error"]
    assert result.pretrend.pvalue > 0.01


def test_protocol_and_bad_input(staggered):
    panel = Panel(staggered, "unit", "year", "cohort")
    result = imputation(panel, "y", pretrends=2)
    assert result.pretrend.df == 2 and "pre-trend" in result.summary()
    assert repr(result).startswith("<ImputationResult: ATT") and "[SIMULATED]" in repr(result)
    assert result.plot().get_title() == "Imputation: y"
    with pytest.raises(ValueError, match=r"horizon\(s\) \[9\]"):
        imputation(panel, "y", horizons=[0, 9])
    every_unit_treated = staggered[staggered["cohort"] > 0]
    with pytest.raises(PanelError, match=r"year\(s\) \[2017, 2018, 2019\] have no untreated"):
        imputation(Panel(every_unit_treated, "unit", "year", "cohort"), "y")
