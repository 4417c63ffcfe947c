"""Bootstrap inference: the wild cluster bootstrap against wildboottest 0.3.2 (statsmodels OLS
with unit and year dummies, the same settings) and in a small seeded simulation; the
multiplier bootstrap of att_gt against moderndid 0.2's mboot (R did's), on mpdta."""

import importlib
import warnings

import numpy as np
import pandas as pd
import pytest

from innostudy.policy import Panel, att_gt, event_study, simulate_panel, twfe
from innostudy.policy.bootstrap import Multiplier, WildBootstrap, draw_weights


@pytest.fixture(scope="module")
def few():
    """Simulated: 12 cities, two cohorts of 3, a true effect of 0.4."""
    df = simulate_panel(n_units=12, years=range(2012, 2020), cohorts={2015: 3, 2017: 3},
                        effect=0.4, seed=3)  # fmt: skip
    return df, Panel(df, "unit", "year", "cohort")


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def reference_pvalue(df, weights, seed, shift=0.0):
    """wildboottest's WCR p-value of ``treated == shift`` in y ~ treated + x + unit + year."""
    smf = pytest.importorskip("statsmodels.formula.api")
    wbt = pytest.importorskip("wildboottest.wildboottest")
    d = df.assign(treated=((df.cohort > 0) & (df.year >= df.cohort)).astype(float))
    d["y"] = d["y"] - shift * d["treated"]
    model = smf.ols("y ~ treated + x + C(unit) + C(year)", data=d)
    out = quiet(wbt.wildboottest, model, B=9999, cluster=pd.factorize(d.unit)[0],
                param="treated", weights_type=weights, seed=seed, show=False)  # fmt: skip
    return float(out["p-value"].iloc[0])


def test_full_enumeration_equals_wildboottest(few):
    df, panel = few
    fit = quiet(twfe, panel, "y", controls=["x"], inference="wild")
    assert fit.wild.n_draws == 2**12  # every sign vector once, as wildboottest
    assert fit.tidy().loc[0, "p_value"] == pytest.approx(reference_pvalue(df, "rademacher", 1))


def test_webb_pvalue_within_monte_carlo_error_of_wildboottest(few):
    df, panel = few
    fit = quiet(twfe, panel, "y", controls=["x"], inference="wild",
                weights="webb", draws=9999, seed=7)  # fmt: skip
    ours, ref = fit.tidy().loc[0, "p_value"], reference_pvalue(df, "webb", 5)
    mc = np.sqrt(2 * ref * (1 - ref) / 9999)  # sd of the difference of two independent runs
    assert abs(ours - ref) < 4 * mc


def test_interval_inverts_the_test(few):
    df, panel = few
    fit = quiet(twfe, panel, "y", controls=["x"], inference="wild", weights="webb", seed=3)
    row = fit.tidy(0.1).iloc[0]
    assert row["inference"] == "wild" and row["conf_low"] < row["estimate"] < row["conf_high"]
    for end in (row["conf_low"], row["conf_high"]):  # p crosses 0.1 at each end
        width = 1e-3 * fit.bse.iloc[0]
        assert fit.wild.pvalue(0, end - width) < 0.1 <= fit.wild.pvalue(0, end + width) or (
            fit.wild.pvalue(0, end + width) < 0.1 <= fit.wild.pvalue(0, end - width)
        )
    # at the interval's ends, wildboottest (same weights, other draws) gives p ≈ 0.1
    ref = reference_pvalue(df, "webb", 5, shift=row["conf_high"])
    assert abs(ref - 0.1) < 4 * np.sqrt(2 * 0.1 * 0.9 / 9999)


def test_six_clusters_no_effect_wild_rejects_near_five_percent():
    """200 seeded panels of 60 cities in 6 provinces of unequal size (2 to 22 cities, as
    provinces are), 3 provinces treated in 2018, no effect, province-year shocks: the analytic
    clustered t test (t with G-1 df) over-rejects (about 20 %), the wild bootstrap (Rademacher,
    all 64 sign vectors) stays near 5 % (6 % in this run). Monte Carlo sd of a 5 % rate over
    200 panels: 1.5 points."""
    sizes, reps, analytic, wild = [2, 4, 6, 10, 16, 22], 200, 0, 0
    for rep in range(reps):
        rng = np.random.default_rng(rep)
        df = simulate_panel(n_units=60, years=range(2014, 2022), cohorts={}, effect=0.0,
                            seed=rep)  # fmt: skip
        province = np.repeat(np.arange(6), sizes)[pd.factorize(df["unit"])[0]]
        treated_province = rng.permutation(6)[:3]
        shocks = rng.normal(size=(6, 8))[province, df["year"] - 2014]
        df = df.assign(province=province, y=df["y"] + shocks,
                       cohort=np.where(np.isin(province, treated_province), 2018, 0))  # fmt: skip
        fit = quiet(twfe, Panel(df, "unit", "year", "cohort"), "y", cluster="province",
                    inference="wild", draws=999, seed=rep)  # fmt: skip
        analytic += fit.table.loc[0, "p_value"] < 0.05
        wild += fit.wild.pvalue(0) < 0.05
    assert analytic / reps > 0.12  # over-rejects
    assert 0.02 <= wild / reps <= 0.09


def test_event_study_wild_and_bad_input(few):
    _, panel = few
    es = quiet(event_study, panel, "y", window=(-2, 2), inference="wild", draws=999)
    tidy = es.tidy()
    assert set(tidy["inference"]) == {"wild"} and "wild cluster bootstrap" in es.summary()
    analytic = quiet(event_study, panel, "y", window=(-2, 2)).tidy()
    np.testing.assert_allclose(tidy["estimate"], analytic["estimate"])
    with pytest.raises(ValueError, match="inference must be"):
        twfe(panel, "y", inference="bootstrap")
    with pytest.raises(ValueError, match="weights must be one of"):
        quiet(twfe, panel, "y", inference="wild", weights="gauss")


def test_projected_bootstrap_equals_the_dummy_regression_by_brute_force(few):
    """Each draw refitted with every dummy, by lstsq: the same p-value as the projected one."""
    df, _ = few
    d = df.assign(treated=((df.cohort > 0) & (df.year >= df.cohort)).astype(float))
    units, years = pd.factorize(d.unit)[0], d.year.to_numpy()
    dummies = np.column_stack([np.eye(12)[units], np.eye(8)[years - 2012][:, 1:]])
    X = np.column_stack([d.treated, d.x, dummies])
    y = d.y.to_numpy()
    V = draw_weights("webb", 12, 199, seed=4)

    def t_of(yy):
        b = np.linalg.lstsq(X, yy, rcond=None)[0]
        u = yy - X @ b
        row = np.linalg.inv(X.T @ X)[0]
        scores = np.array([X[units == g].T @ u[units == g] for g in range(12)])
        return b[0] / np.sqrt(np.sum((scores @ row) ** 2))

    restricted = np.linalg.lstsq(X[:, 1:], y, rcond=None)[0]
    fitted, resid = X[:, 1:] @ restricted, y - X[:, 1:] @ restricted
    t = t_of(y)
    brute = np.mean([abs(t_of(fitted + resid * V[units, b])) >= abs(t) * (1 - 1e-9)
                     for b in range(199)])  # fmt: skip
    from innostudy.policy.fe import TwoWay

    fe = TwoWay(units, years)
    wb = WildBootstrap(fe.demean(X[:, :2]), fe.demean(y), units, draws=199, weights="webb",
                       seed=4, absorbed=fe.within(np.eye(8)[years - 2012][:, 1:]))  # fmt: skip
    assert wb.pvalue(0) == pytest.approx(brute)


# ---------------------------------------------------------------- multiplier bootstrap
@pytest.fixture(scope="module")
def mpdta():
    return pytest.importorskip("moderndid").load_mpdta()


@pytest.fixture
def rademacher_moderndid(monkeypatch):
    """moderndid 0.2 draws Mammen weights; R's did (BMisc::multiplier_bootstrap, read in its
    source) and we draw Rademacher weights. With moderndid's weights swapped for Rademacher the
    two bootstraps differ by Monte Carlo error only; with Mammen's, by 0.07-0.1 in the uniform
    critical value on mpdta (20,000 draws, measured 2026-11-30)."""
    pytest.importorskip("moderndid")
    # the module, not the function of that name the package re-exports
    mboot = importlib.import_module("moderndid.did.mboot")

    def rademacher(inf_func, biters, random_state=None):
        rademacher.calls += 1
        inf_func = np.atleast_2d(np.asarray(inf_func, float).T).T
        signs = np.random.default_rng(random_state).choice([-1.0, 1.0],
                                                           size=(biters, len(inf_func)))  # fmt: skip
        return signs @ inf_func / len(inf_func)

    rademacher.calls = 0
    monkeypatch.setattr(mboot, "multiplier_bootstrap", rademacher)
    return pytest.importorskip("moderndid"), rademacher


@pytest.mark.parametrize("base_period", ["varying", "universal"])
def test_uniform_critical_values_within_monte_carlo_error_of_moderndid(mpdta, rademacher_moderndid,
                                                                       base_period):  # fmt: skip
    moderndid, weights = rademacher_moderndid
    panel = Panel(mpdta.to_pandas(), "countyreal", "year", "first.treat")
    ours, ref, ours_dyn, ref_dyn = [], [], [], []
    for seed in range(3):
        result = att_gt(panel, "lemp", bootstrap=4999, seed=seed, base_period=base_period)
        ours.append(result.tidy()["band_critical"].iloc[0])
        ours_dyn.append(result.aggregate("dynamic").tidy()["band_critical"].iloc[1])
        r = quiet(moderndid.att_gt, data=mpdta, yname="lemp", tname="year", idname="countyreal",
                  gname="first.treat", boot=True, biters=4999, cband=True, random_state=seed,
                  base_period=base_period)  # fmt: skip
        ref.append(r.critical_value)
        a = quiet(moderndid.aggte, r, type="dynamic", boot=True, biters=4999, cband=True,
                  random_state=seed)  # fmt: skip
        ref_dyn.append(float(np.ravel(a.critical_values)[0]))
    # 3 × 4,999 draws on each side, same weights: the 95 % quantile of the max-|t| has a Monte
    # Carlo sd of about 0.03 per run, 0.018 for a mean of three, 0.025 for the difference
    assert np.mean(ours) == pytest.approx(np.mean(ref), abs=0.075)
    assert np.mean(ours_dyn) == pytest.approx(np.mean(ref_dyn), abs=0.075)
    assert min(ours) > 1.96  # wider than pointwise
    assert weights.calls >= 6  # moderndid drew Rademacher weights, every run


def test_pointwise_bootstrap_tends_to_the_analytic_intervals():
    """Simulated panel with large cohorts (the bootstrap distribution is then normal): the
    bootstrap SEs and pointwise intervals approach the analytic ones as the draws grow."""
    df = simulate_panel(n_units=400, years=range(2014, 2021), cohorts={2017: 100, 2019: 100},
                        seed=8)  # fmt: skip
    panel = Panel(df, "unit", "year", "cohort")
    analytic = att_gt(panel, "y")
    boot = att_gt(panel, "y", bootstrap=20000, seed=1).tidy()
    reference = analytic.tidy()
    np.testing.assert_allclose(boot["std_error"], reference["std_error"], rtol=0.03)
    np.testing.assert_allclose(boot["conf_low"], reference["conf_low"], atol=0.03)
    errors = [
        np.abs(Multiplier(analytic.influence, draws=d, seed=1).se / analytic.se - 1).mean()
        for d in (100, 20000)
    ]
    assert errors[1] < errors[0] / 2
