"""Rambachan-Roth smoothness sensitivity (optimal FLCI) against diff-diff 3.13's optimal
FLCI (``diff_diff.honest_did._compute_optimal_flci``, an independent implementation) on R did's
mpdta (as shipped in moderndid): event study, Sun-Abraham and the Callaway-Sant'Anna dynamic
aggregate, several M and e, to 1e-4."""

import warnings

import matplotlib
import numpy as np
import pytest

from innostudy.policy import (
    Panel,
    PanelError,
    att_gt,
    event_study,
    honest,
    imputation,
    simulate_panel,
    sun_abraham,
)
from innostudy.policy.honest import event_time_estimates

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def results():
    df = pytest.importorskip("moderndid").load_mpdta().to_pandas()
    panel = Panel(df, "countyreal", "year", "first.treat")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"event study": event_study(panel, "lemp", window=(-4, 3), bin_ends=False),
                "Sun-Abraham": sun_abraham(panel, "lemp"),
                "CS dynamic": att_gt(panel, "lemp").aggregate("dynamic")}  # fmt: skip


@pytest.mark.parametrize("which", ["event study", "Sun-Abraham", "CS dynamic"])
def test_flci_equals_diff_diff(results, which):
    flci_ref = pytest.importorskip("diff_diff.honest_did")._compute_optimal_flci
    result = results[which]
    rel, beta, sigma = event_time_estimates(result)
    pre, post = rel < -1, rel >= 0
    for e in (0, 2):
        ours = honest(result, m=(0, 0.01, 0.05), e=e).tidy()
        for M, (low, high) in zip((0, 0.01, 0.05), ours[["conf_low", "conf_high"]].values[1:],
                                  strict=True):  # fmt: skip
            l_vec = (rel[post] == e).astype(float)
            ref = flci_ref(beta[pre], beta[post], sigma, l_vec, int(pre.sum()), int(post.sum()),
                           M, 0.05)  # fmt: skip
            assert (low, high) == pytest.approx(ref, abs=1e-4)


def test_original_interval_and_monotone_in_m(results):
    result = results["event study"]
    h = honest(result, m=(0, 0.02, 0.04, 0.08), e=1)
    tidy = h.tidy()
    row = result.tidy().set_index("rel_time").loc[1]
    centre = (tidy["conf_low"].iloc[0] + tidy["conf_high"].iloc[0]) / 2
    assert centre == pytest.approx(row["estimate"])  # the original interval: normal, at e
    assert tidy["estimate"].iloc[0] == row["estimate"] and tidy["estimate"].iloc[1:].isna().all()
    widths = (tidy["conf_high"] - tidy["conf_low"]).to_numpy()[1:]
    assert (np.diff(widths) > 0).all()  # more room for violations: wider intervals


def test_protocol_and_refusals(results):
    h = honest(results["CS dynamic"], m=(0, 0.01))
    assert repr(h).startswith("<HonestResult: effect at e=0") and "FLCI" in h.summary()
    assert h.plot().get_title().startswith("Honest DiD sensitivity")
    with pytest.raises(ValueError, match="relative_magnitude.*not approximated"):
        honest(results["event study"], method="relative_magnitude")
    with pytest.raises(ValueError, match="e=9 is not"):
        honest(results["event study"], e=9)
    narrower = h.tidy(0.1)
    assert (
        narrower["conf_high"] - narrower["conf_low"] < h.tidy()["conf_high"] - h.tidy()["conf_low"]
    ).all()
    df = simulate_panel(n_units=60, years=range(2015, 2021), cohorts={2018: 20}, seed=4)
    with pytest.raises(PanelError, match="honest\\(\\) needs an event study"):
        honest(imputation(Panel(df, "unit", "year", "cohort"), "y"))
