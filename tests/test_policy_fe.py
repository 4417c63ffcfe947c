"""policy.fe (fixed effects projected out exactly) against pyfixest's alternating projections and
an explicit dummy regression; twfe and event_study against pyfixest's feols to 1e-10 (issue 17).

pyfixest 0.60 (dev extra) is the reference: its ``demean`` iterates to ``tol``; with tol=1e-14
it agrees with the exact projection to ~1e-12. Data: simulated panels (labelled simulated) and
Grunfeld's investment data (statsmodels' copy, real)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from innostudy.policy import Panel, event_study, simulate_panel, twfe
from innostudy.policy.fe import Projected, TwoWay, codes

pf = pytest.importorskip("pyfixest")
from pyfixest.estimation import demean as pf_demean  # noqa: E402


def unbalanced(seed=0, n_units=80):
    """Simulated unbalanced staggered panel: 10 % of the rows dropped at random."""
    df = simulate_panel(n_units=n_units, years=range(2010, 2022), cohorts={2014: 15, 2018: 15},
                        seed=seed).sample(frac=0.9, random_state=seed)  # fmt: skip
    df["treated"] = ((df.cohort > 0) & (df.year >= df.cohort)).astype(float)
    df["uid"] = df["unit"].str[3:].astype(int)
    return df


def grunfeld():
    import statsmodels.api as sm

    df = sm.datasets.grunfeld.load_pandas().data
    return df.assign(fid=pd.factorize(df["firm"])[0])


@pytest.mark.parametrize("weighted", [False, True])
def test_demean_equals_pyfixest_alternating_projections(weighted):
    df = unbalanced()
    x = df[["y", "x", "treated"]].to_numpy()
    weights = np.random.default_rng(1).uniform(0.5, 2, len(df)) if weighted else None
    flist = np.column_stack([codes(df["uid"]), codes(df["year"])]).astype(np.uint64)
    ref, converged = pf_demean(x, flist, np.ones(len(df)) if weights is None else weights,
                               tol=1e-14, maxiter=100_000)  # fmt: skip
    assert converged
    ours = TwoWay(df["uid"], df["year"], weights).demean(x)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-10)
    assert np.abs(ours).max() > 0.1  # not trivially zero


def test_balanced_demean_is_the_two_way_within_transformation():
    df = simulate_panel(n_units=40, years=range(2015, 2021), cohorts={2018: 10}, seed=3)
    units, years, y = codes(df["unit"]), df["year"].to_numpy(), df["y"].to_numpy()
    closed = (y - df.groupby("unit")["y"].transform("mean") - df.groupby("year")["y"]
              .transform("mean") + y.mean())  # fmt: skip
    np.testing.assert_allclose(TwoWay(units, years).demean(y), closed, rtol=0, atol=1e-12)
    one_way = y - df.groupby("unit")["y"].transform("mean")
    np.testing.assert_allclose(TwoWay(units).demean(y), one_way, rtol=0, atol=1e-12)


def test_projected_fit_equals_dummy_regression_and_is_reusable():
    """Frisch-Waugh-Lovell: the slopes equal those of least squares on explicit unit and year
    dummies (numpy lstsq on the full design); one projected design serves several outcomes."""
    df = unbalanced(seed=2)
    X = df[["treated", "x"]].to_numpy()
    dummies = np.column_stack([pd.get_dummies(df["uid"]).to_numpy(float),
                               pd.get_dummies(df["year"]).to_numpy(float)[:, 1:]])  # fmt: skip
    fe = TwoWay(df["uid"], df["year"])
    design = Projected(fe, X)
    assert fe.n_absorbed == df["uid"].nunique() + df["year"].nunique() - 1
    for y in (df["y"].to_numpy(), df["y"].to_numpy() ** 2):
        full = np.linalg.lstsq(np.column_stack([X, dummies]), y, rcond=None)[0]
        coef, resid = design.fit(y)
        np.testing.assert_allclose(coef, full[:2], rtol=0, atol=1e-10)
        fitted = np.column_stack([X, dummies]) @ full
        np.testing.assert_allclose(resid, y - fitted, rtol=0, atol=1e-9)


def test_nested_and_weights_checked():
    units = np.repeat(np.arange(6), 3)
    design = Projected(TwoWay(units, np.tile([0, 1, 2], 6)), np.arange(18.0) ** 1.5)
    assert design.nested(units // 2)
    assert not design.nested(np.arange(18) % 2)
    with pytest.raises(ValueError, match="weights must be positive"):
        TwoWay(units, weights=np.zeros(18))


def test_weighted_fit_equals_pyfixest_weighted_feols():
    df = unbalanced(seed=4).assign(w=lambda d: np.random.default_rng(4).uniform(0.5, 2, len(d)))
    design = Projected(TwoWay(df["uid"], df["year"], df["w"]), df[["treated", "x"]])
    coef, _ = design.fit(df["y"].to_numpy())
    with warnings.catch_warnings(action="ignore"):
        ref = pf.feols("y ~ treated + x | uid + year", df, weights="w", fixef_tol=1e-14)
    np.testing.assert_allclose(coef, ref.coef()[["treated", "x"]], rtol=0, atol=1e-10)


def _feols(formula, df, cluster):
    with warnings.catch_warnings(action="ignore"):
        return pf.feols(formula, df, vcov={"CRV1": cluster}, fixef_tol=1e-13, fixef_maxiter=100_000)


@pytest.mark.parametrize("dataset", ["grunfeld", "unbalanced"])
def test_twfe_equals_pyfixest_feols(dataset):
    if dataset == "grunfeld":
        df, panel = grunfeld(), None
        panel = Panel(df, "firm", "year")
        slopes, formula, cluster = (
            ["value", "capital"],
            "invest ~ value + capital | fid + year",
            "fid",
        )
        y = "invest"
    else:
        df = unbalanced(seed=5)
        panel = Panel(df, "unit", "year", "cohort")
        slopes, formula, cluster, y = ["treated", "x"], "y ~ treated + x | uid + year", "uid", "y"
    with warnings.catch_warnings(action="ignore"):
        ours = twfe(panel, y, [s for s in slopes if s != "treated"])
    ref = _feols(formula, df, cluster)
    np.testing.assert_allclose(ours.params, ref.coef()[slopes], rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.bse, ref.se()[slopes], rtol=1e-10, atol=0)


@pytest.mark.parametrize("seed", [6, 7])
def test_event_study_equals_pyfixest_feols(seed):
    df = unbalanced(seed=seed, n_units=120)
    with warnings.catch_warnings(action="ignore"):
        es = event_study(Panel(df, "unit", "year", "cohort"), "y", window=(-3, 3), controls=["x"])
    df["rel"] = np.where(df.cohort > 0, np.clip(df.year - df.cohort, -3, 3), -1)
    ref = _feols("y ~ i(rel, ref=-1) + x | uid + year", df, "uid")
    table = es.tidy()
    np.testing.assert_allclose(table["estimate"], ref.coef().iloc[:-1], rtol=0, atol=1e-10)
    np.testing.assert_allclose(table["std_error"], ref.se().iloc[:-1], rtol=1e-10, atol=0)


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
@pytest.mark.parametrize("control", ["never", "notyet"])
def test_att_gt_difference_of_means_equals_the_2x2_estimators(method, control):
    """Without covariates att_gt takes differences of means; every cell equals Sant'Anna &
    Zhao's estimator with an intercept only (did_2x2: logit and least squares), ATT and
    influence function alike."""
    from innostudy.policy import att_gt
    from innostudy.policy.callaway import did_2x2

    df = simulate_panel(n_units=90, years=range(2012, 2020), cohorts={2015: 20, 2017: 25},
                        seed=8)  # fmt: skip
    result = att_gt(Panel(df, "unit", "year", "cohort"), "y", control=control, method=method)
    wide = df.pivot(index="unit", columns="year", values="y")
    cohort = df.groupby("unit")["cohort"].first().reindex(wide.index).to_numpy()
    periods = list(wide.columns)
    for j, (g, t) in enumerate(zip(result.groups, result.times, strict=True)):
        base = g - 1 if t >= g else periods[periods.index(t) - 1]
        comparison = (cohort == 0) | (
            (cohort > t) & (cohort != g) if control == "notyet" else False
        )
        rows = (cohort == g) | comparison
        dy = (wide[t] - wide[base]).to_numpy()[rows]
        att, inf = did_2x2(dy, (cohort[rows] == g).astype(float), np.ones((rows.sum(), 1)), method)
        assert result.att[j] == pytest.approx(att, abs=1e-12)
        np.testing.assert_allclose(result.influence[rows, j], inf * len(cohort) / rows.sum(),
                                   rtol=0, atol=1e-10)  # fmt: skip
        assert not result.influence[~rows, j].any()
