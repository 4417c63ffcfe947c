"""Clustered standard errors of twfe and event_study against pyfixest, for every small-sample
convention (issue 11, point 4). pyfixest 0.60 reproduces fixest's ``ssc()``; its
``k_fixef="nonnested"`` is fixest's ``fixef.K = "nested"`` (our ``fixef_k="nested"``)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from innostudy.policy import Panel, event_study, simulate_panel, twfe
from innostudy.policy.regression import SSC

pf = pytest.importorskip("pyfixest")

CONVENTIONS = [
    (adj, fixef_k, cluster_adj)
    for adj in (True, False)
    for fixef_k in ("nested", "full", "none")
    for cluster_adj in (True, False)
]
PYFIXEST_K = {"nested": "nonnested", "full": "full", "none": "none"}


def reference(formula, data, cluster, adj, fixef_k, cluster_adj):
    ssc = pf.ssc(k_adj=adj, k_fixef=PYFIXEST_K[fixef_k], G_adj=cluster_adj)
    # pyfixest demeans iteratively: a tight tolerance so that unbalanced panels agree to 1e-9
    with warnings.catch_warnings(action="ignore"):
        return pf.feols(formula, data, vcov={"CRV1": cluster}, ssc=ssc, fixef_tol=1e-12)


def grunfeld():
    import statsmodels.api as sm

    return sm.datasets.grunfeld.load_pandas().data


def vignette_shaped(seed=0):
    """Simulated, shaped like fixest's vignette case: 4 units (= clusters) × 5 years, N = 20."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"id": np.repeat(np.arange(4), 5), "t": np.tile(np.arange(5), 4)})
    df["x"] = rng.normal(size=20)
    df["y"] = df["x"] + 0.5 * df["id"] + rng.normal(size=20)
    return df.assign(simulated=True)


def provinces(seed=1):
    """Simulated unbalanced staggered panel, 60 units in 12 provinces (clusters nest units)."""
    df = simulate_panel(n_units=60, years=range(2012, 2020), cohorts={2015: 15, 2017: 15},
                        seed=seed).sample(frac=0.9, random_state=seed)  # fmt: skip
    df["province"] = df["unit"].str[-2:].astype(int) % 12
    df["treated"] = ((df.cohort > 0) & (df.year >= df.cohort)).astype(float)
    return df


def mpdta():
    """R did's county panel (500 counties, 2003-2007) as shipped in moderndid; real data."""
    moderndid = pytest.importorskip("moderndid")
    df = moderndid.load_mpdta().to_pandas()
    return df.assign(
        cohort=df["first.treat"],
        treated=((df["first.treat"] > 0) & (df.year >= df["first.treat"])).astype(float),
    )


CASES = {
    # name: (data, unit, time, y, controls, cluster column, time effects)
    "grunfeld two-way": (grunfeld, "firm", "year", "invest", ["value", "capital"], "firm", True),
    "grunfeld one-way": (grunfeld, "firm", "year", "invest", ["value", "capital"], "firm", False),
    "vignette-shaped": (vignette_shaped, "id", "t", "y", ["x"], "id", True),
    "provinces": (provinces, "unit", "year", "y", ["x"], "province", True),
    "mpdta": (mpdta, "countyreal", "year", "lemp", [], "countyreal", True),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize(("adj", "fixef_k", "cluster_adj"), CONVENTIONS)
def test_twfe_standard_errors_match_pyfixest(case, adj, fixef_k, cluster_adj):
    make, unit, time, y, controls, cluster, time_effects = CASES[case]
    df = make()
    has_cohort = "cohort" in df.columns
    with warnings.catch_warnings(action="ignore"):  # few clusters
        ours = twfe(Panel(df, unit, time, "cohort" if has_cohort else None), y, controls,
                    cluster=cluster if cluster != unit else "unit", time_effects=time_effects,
                    ssc=SSC(adj, fixef_k, cluster_adj))  # fmt: skip
    slopes = (["treated"] if has_cohort else []) + controls
    fe = f"{unit} + {time}" if time_effects else unit
    ref = reference(f"{y} ~ {' + '.join(slopes)} | {fe}", df, cluster, adj, fixef_k, cluster_adj)
    np.testing.assert_allclose(ours.params, ref.coef()[slopes], rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.bse, ref.se()[slopes], rtol=1e-9, atol=0)
    # inference with t(G-1), as fixest
    np.testing.assert_allclose(ours.tidy()["p_value"], ref.pvalue()[slopes], rtol=1e-7)


def test_default_is_stata_xtreg_and_fixes_the_vignette_gap():
    """fixest's vignette (set.seed(0), N = 20, G = 4, T = 5): Stata's SE 0.165385, innostudy's
    old 0.159779. With K = 1 slope + 4 year dummies the old factor was (N-1)/(N-5) = 19/15;
    Stata counts the constant (fixest: the unit effects nested in clusters as one), 19/14."""
    df = vignette_shaped()
    with warnings.catch_warnings(action="ignore"):
        default = twfe(Panel(df, "id", "t"), "y", ["x"])
        bare = twfe(Panel(df, "id", "t"), "y", ["x"], ssc=SSC(adj=False))
    assert default.k == 6
    assert (default.bse["x"] / bare.bse["x"]) ** 2 == pytest.approx(19 / 14, rel=1e-12)
    # the vignette's two printed numbers differ by exactly this one parameter
    assert 0.159779 * np.sqrt(15 / 14) == pytest.approx(0.165385, abs=2e-6)
    assert "K with unit effects nested" in default.summary()


def test_ssc_as_dict_and_bad_option():
    df = vignette_shaped()
    with warnings.catch_warnings(action="ignore"):
        as_dict = twfe(Panel(df, "id", "t"), "y", ["x"], ssc={"fixef_k": "full"})
        as_ssc = twfe(Panel(df, "id", "t"), "y", ["x"], ssc=SSC(fixef_k="full"))
    assert as_dict.bse["x"] == as_ssc.bse["x"] and as_dict.k == 1 + 4 + 4
    with pytest.raises(ValueError, match="fixef_k must be one of"):
        SSC(fixef_k="nonnested")


@pytest.mark.parametrize(("adj", "fixef_k", "cluster_adj"), CONVENTIONS)
def test_event_study_standard_errors_match_pyfixest(adj, fixef_k, cluster_adj):
    df = provinces()
    with warnings.catch_warnings(action="ignore"):
        es = event_study(Panel(df, "unit", "year", "cohort"), "y", window=(-3, 3),
                         cluster="province", ssc=SSC(adj, fixef_k, cluster_adj))  # fmt: skip
    rel = np.where(df.cohort > 0, np.clip(df.year - df.cohort, -3, 3), -1)
    terms = es.tidy()["rel_time"].tolist()
    names = [f"r{k + 3}" for k in terms]
    data = df.assign(**{n: (rel == k).astype(float) for n, k in zip(names, terms, strict=True)})
    ref = reference(f"y ~ {' + '.join(names)} | unit + year", data, "province", adj, fixef_k,
                    cluster_adj)  # fmt: skip
    np.testing.assert_allclose(es.tidy()["estimate"], ref.coef()[names], rtol=0, atol=1e-9)
    np.testing.assert_allclose(es.tidy()["std_error"], ref.se()[names], rtol=1e-9, atol=0)
