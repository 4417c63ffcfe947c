"""Rambachan-Roth sensitivity on R did's mpdta (as shipped in moderndid): event study,
Sun-Abraham and the Callaway-Sant'Anna dynamic aggregate, and a simulated staggered panel.

Smoothness: against diff-diff 3.13's optimal FLCI (``diff_diff.honest_did._compute_optimal_
flci``, an independent implementation), several M and e, to 1e-4.

Relative magnitudes: against moderndid 0.2's port of R's HonestDiD (``moderndid.didhonest``,
needs cvxpy): for every piece Δ^RM_{j,±}(M̄), our hybrid test accepts exactly the grid points
moderndid's ARP test with nuisance parameters accepts (1,000 points), with the same
least-favourable critical value; the identified set and the constraint matrices are theirs
where they cover the piece. Pinned differences (see innostudy.policy.honest_rm): moderndid
leaves out the piece where the earliest pre-period change is the largest (our sets contain
theirs, and equal them without that piece), and in the one-post-period case R and moderndid
skip the first-stage truncation of the hybrid (our sets lie inside theirs, a few grid points
apart). A seeded Monte Carlo checks coverage under a violation inside Δ^RM(M̄)."""

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
from innostudy.policy import honest_rm as rm
from innostudy.policy.honest import event_time_estimates

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def panel():
    df = pytest.importorskip("moderndid").load_mpdta().to_pandas()
    return Panel(df, "countyreal", "year", "first.treat")


@pytest.fixture(scope="module")
def results(panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"event study": event_study(panel, "lemp", window=(-4, 3), bin_ends=False),
                "Sun-Abraham": sun_abraham(panel, "lemp"),
                "CS dynamic": att_gt(panel, "lemp", base_period="universal").aggregate(
                    "dynamic")}  # fmt: skip


@pytest.mark.parametrize("which", ["event study", "Sun-Abraham", "CS dynamic"])
def test_flci_equals_diff_diff(results, which):
    flci_ref = pytest.importorskip("diff_diff.honest_did")._compute_optimal_flci
    result = results[which]
    rel, beta, sigma = event_time_estimates(result)
    pre, post = rel < -1, rel >= 0
    for e in (0, 2):
        ours = honest(result, method="smoothness", m=(0, 0.01, 0.05), e=e).tidy()
        for M, (low, high) in zip((0, 0.01, 0.05), ours[["conf_low", "conf_high"]].values[1:],
                                  strict=True):  # fmt: skip
            l_vec = (rel[post] == e).astype(float)
            ref = flci_ref(beta[pre], beta[post], sigma, l_vec, int(pre.sum()), int(post.sum()),
                           M, 0.05)  # fmt: skip
            assert (low, high) == pytest.approx(ref, abs=1e-4)


def test_original_interval_and_monotone_in_m(results):
    result = results["event study"]
    h = honest(result, method="smoothness", m=(0, 0.02, 0.04, 0.08), e=1)
    tidy = h.tidy()
    row = result.tidy().set_index("rel_time").loc[1]
    centre = (tidy["conf_low"].iloc[0] + tidy["conf_high"].iloc[0]) / 2
    assert centre == pytest.approx(row["estimate"])  # the original interval: normal, at e
    assert tidy["estimate"].iloc[0] == row["estimate"] and tidy["estimate"].iloc[1:].isna().all()
    widths = (tidy["conf_high"] - tidy["conf_low"]).to_numpy()[1:]
    assert (np.diff(widths) > 0).all()  # more room for violations: wider intervals


def test_binned_end_points_are_left_out(panel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        binned = event_study(panel, "lemp", window=(-4, 3))  # pools <= -4 and >= 3
    rel, _, _ = event_time_estimates(binned)
    assert sorted(rel.tolist()) == [-3, -2, 0, 1, 2]
    h = honest(binned, method="smoothness", m=(0,))
    assert "binned end points [-4, 3] left out" in str(h.summary())


def test_protocol_and_refusals(results, panel):
    with pytest.raises(PanelError, match="base_period='universal'"):  # as R's HonestDiD
        honest(att_gt(panel, "lemp").aggregate("dynamic"))
    h = honest(results["CS dynamic"], method="smoothness", m=(0, 0.01))
    assert repr(h).startswith("<HonestResult: effect at e=0") and "FLCI" in h.summary()
    assert h.plot().get_title().startswith("Honest DiD sensitivity")
    with pytest.raises(ValueError, match="method 'rm': choose one of"):
        honest(results["event study"], method="rm")
    with pytest.raises(ValueError, match="finite and >= 0"):
        honest(results["event study"], m=(0, -1))
    with pytest.raises(ValueError, match="e=9 is not"):
        honest(results["event study"], e=9)
    narrower = h.tidy(0.1)
    assert (
        narrower["conf_high"] - narrower["conf_low"] < h.tidy()["conf_high"] - h.tidy()["conf_low"]
    ).all()
    df = simulate_panel(n_units=60, years=range(2015, 2021), cohorts={2018: 20}, seed=4)
    with pytest.raises(PanelError, match="honest\\(\\) needs an event study"):
        honest(imputation(Panel(df, "unit", "year", "cohort"), "y"))


# --- relative magnitudes -------------------------------------------------------------------


def _layout(result):
    rel, beta, sigma = event_time_estimates(result)
    order = np.argsort(rel)
    rel, beta, sigma = rel[order], beta[order], sigma[np.ix_(order, order)]
    n_pre, n_post = rm.check_layout(rel)
    return beta, sigma, n_pre, n_post


def _grid(beta, sigma, n_pre, n_post, l_post, mbar, points=1000):
    low, high = rm.identified_set(beta, n_pre, n_post, l_post, mbar)
    sd = np.sqrt(l_post @ sigma[n_pre:, n_pre:] @ l_post)
    return np.linspace(low - 20 * sd, high + 20 * sd, points)


@pytest.fixture(scope="module")
def simulated_es():
    df = simulate_panel(n_units=300, years=range(2008, 2021), cohorts={2014: 50, 2016: 50},
                        seed=11)  # fmt: skip
    return event_study(Panel(df, "unit", "year", "cohort"), "y", window=(-4, 3), bin_ends=False)


@pytest.mark.parametrize(("which", "mbar", "e"), [("event study", 1, 2), ("CS dynamic", 0.5, 0),
                                                  ("simulated", 0, 1), ("simulated", 2, 1)])  # fmt: skip
def test_rm_pieces_accept_what_moderndid_accepts(results, simulated_es, which, mbar, e):
    arp = pytest.importorskip("moderndid.didhonest.arp_nuisance")
    result = simulated_es if which == "simulated" else results[which]
    beta, sigma, n_pre, n_post = _layout(result)
    l_post = (np.arange(n_post) == e).astype(float)
    grid = _grid(beta, sigma, n_pre, n_post, l_post, mbar)
    gamma_inv = np.linalg.inv(arp._construct_gamma(l_post))
    for j in range(n_pre):
        for sign in (1, -1):
            A = rm.piece_constraints(n_pre, n_post, mbar, j, sign)
            ours = rm.PieceTest(beta, sigma, n_pre, n_post, l_post, A, 0.05, seed=0)
            rows = np.flatnonzero(np.abs(A[:, n_pre:]).sum(axis=1) > 0)
            hybrid = {"hybrid_kappa": 0.005}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref = arp.compute_arp_nuisance_ci(
                    beta, sigma, l_post, A, np.zeros(len(A)), n_pre, n_post, alpha=0.05,
                    hybrid_flag="LF", hybrid_list=hybrid, grid_lb=grid[0], grid_ub=grid[-1],
                    grid_points=len(grid), rows_for_arp=rows)  # fmt: skip
            assert ours.lf_cv == pytest.approx(hybrid["lf_cv"], rel=1e-8)  # same draws
            accepted, theirs = ours.accepts(grid), ref.accept_grid[:, 1] > 0
            assert accepted.any() or j > 0  # the piece holding the estimates is never empty
            if accepted.any():  # moderndid bisects for the ends and fills between them
                inside = np.flatnonzero(accepted)
                assert (inside[0], inside[-1]) == tuple(np.flatnonzero(theirs)[[0, -1]])
            for k in np.flatnonzero(accepted != theirs):  # holes: their test, point by point
                X = A[:, n_pre:] @ gamma_inv
                point = arp.lp_conditional_test(
                    A @ beta - X[:, 0] * grid[k], X[:, 1:], A @ sigma @ A.T, 0.05, "LF",
                    dict(hybrid), rows_for_arp=rows)  # fmt: skip
                assert bool(point["reject"]) is not bool(accepted[k])


def test_rm_constraints_and_identified_set_as_moderndid(results):
    ref = pytest.importorskip("moderndid.didhonest.delta.rm.rm")
    beta, sigma, n_pre, n_post = _layout(results["event study"])
    for mbar in (0, 0.5, 2):
        for j in range(1, n_pre):  # moderndid's s = j - n_pre; it has no piece j = 0
            for sign in (1, -1):
                ours = rm.piece_constraints(n_pre, n_post, mbar, j, sign)
                theirs = ref._create_relative_magnitudes_constraint_matrix(
                    n_pre, n_post, m_bar=mbar, s=j - n_pre, max_positive=sign > 0)  # fmt: skip
                np.testing.assert_array_equal(np.unique(ours, axis=0), np.unique(theirs, axis=0))
        for e in (0, 3):
            l_post = (np.arange(n_post) == e).astype(float)
            theirs = ref.compute_identified_set_rm(mbar, beta, l_post, n_pre, n_post)
            ours = rm.identified_set(beta, n_pre, n_post, l_post, mbar)
            assert ours == pytest.approx((theirs.id_lb, theirs.id_ub), abs=1e-9)
            if mbar == 0:  # no post-period change allowed: θ = l'β_post exactly
                assert ours == pytest.approx((beta[n_pre + e],) * 2, abs=1e-12)


def test_rm_union_contains_moderndid_and_equals_it_without_the_earliest_change(results):
    ref = pytest.importorskip("moderndid.didhonest.delta.rm.rm")
    beta, sigma, n_pre, n_post = _layout(results["event study"])
    rel = np.r_[np.arange(-n_pre - 1, -1), np.arange(n_post)]
    mbar, e = 2, 2
    l_post = (np.arange(n_post) == e).astype(float)
    grid = _grid(beta, sigma, n_pre, n_post, l_post, mbar, points=30001)
    step = grid[1] - grid[0]
    assert step < 1e-4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = ref.compute_conditional_cs_rm(beta, sigma, n_pre, n_post, l_vec=l_post,
                                               m_bar=mbar, grid_lb=grid[0], grid_ub=grid[-1],
                                               grid_points=len(grid))  # fmt: skip
    theirs = grid[theirs["accept"] > 0][[0, -1]]
    low, high = rm.rm_interval(rel, beta, sigma, e, mbar, 0.05)
    assert low <= theirs[0] and theirs[1] <= high
    assert high - theirs[1] > 0.005  # here the earliest change is the largest one
    tests = [rm.PieceTest(beta, sigma, n_pre, n_post, l_post,
                          rm.piece_constraints(n_pre, n_post, mbar, j, sign), 0.05, 0)
             for j in range(1, n_pre) for sign in (1, -1)]  # fmt: skip
    without_first = rm.hull(lambda th: np.any([t.accepts(th) for t in tests], axis=0), grid)
    # their ends are grid points, ours refined: within a grid step (< 1e-4) of each other
    assert 0 <= theirs[0] - without_first[0] < step and 0 <= without_first[1] - theirs[1] < step


def test_rm_one_post_period_inside_the_untruncated_reference(panel):
    nonuisance = pytest.importorskip("moderndid.didhonest.arp_no_nuisance")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        beta, sigma, n_pre, n_post = _layout(event_study(panel, "lemp", window=(-4, 0),
                                                         bin_ends=False))  # fmt: skip
    assert n_post == 1
    l_post = np.ones(1)
    grid = _grid(beta, sigma, n_pre, n_post, l_post, 1)
    for j in range(n_pre):
        for sign in (1, -1):
            A = rm.piece_constraints(n_pre, n_post, 1, j, sign)
            A = A[np.abs(A[:, n_pre:]).sum(axis=1) > 0]  # as R: post-period moments only
            ours = rm.PieceTest(beta, sigma, n_pre, n_post, l_post, A, 0.05, seed=0)
            theirs = nonuisance.compute_arp_ci(beta, sigma, A, np.zeros(len(A)), n_pre, n_post,
                                               alpha=0.05, grid_lb=grid[0], grid_ub=grid[-1],
                                               hybrid_flag="LF", hybrid_kappa=0.005,
                                               lf_cv=ours.lf_cv).accept_grid  # fmt: skip
            theirs = (theirs[:, 1] if theirs.ndim == 2 else theirs) > 0
            accepted = ours.accepts(grid)
            assert not (accepted & ~theirs).any()  # the truncation only removes points
            assert 0 < (theirs & ~accepted).sum() <= 5 or not theirs.any()


def test_rm_covers_under_a_violation_inside_the_restriction():
    """SIMULATED: true violation with pre-period changes up to 0.1 and post-period changes
    0.1 (M̄ = 1 binds); 150 seeded draws of β̂ ~ N(β, Σ): the 95% sets at M̄ = 1 cover θ."""
    rng = np.random.default_rng(7)
    rel = np.array([-4, -3, -2, 0, 1, 2])
    delta = np.array([-0.05, 0.05, -0.05, 0.1, 0.2, 0.3])  # δ_{-1} = 0; changes ±0.1 before
    tau = np.array([0, 0, 0, 0.5, 0.5, 0.5])
    root = rng.normal(size=(6, 6)) * 0.02
    sigma = root @ root.T + np.diag(np.full(6, 0.05**2))
    covered = []
    for _ in range(150):
        beta = rng.multivariate_normal(delta + tau, sigma)
        low, high = rm.rm_interval(rel, beta, sigma, 1, 1.0, 0.05)
        covered.append(low <= 0.5 <= high)
    assert np.mean(covered) >= 0.93


def test_rm_protocol_and_refusals(results, monkeypatch):
    h = honest(results["CS dynamic"], m=(0, 1))
    assert repr(h).startswith("<HonestResult: effect at e=0") and "relative_magnitude" in repr(h)
    assert "Andrews-Roth-Pakes" in str(h.summary()) and list(h.tidy()["term"]) == [
        "original", "M̄=0", "M̄=1"]  # fmt: skip
    assert h.plot().get_xlabel().startswith("M̄")
    widths = h.tidy().eval("conf_high - conf_low").to_numpy()
    assert widths[2] > widths[1] > 0
    rel, beta, sigma = event_time_estimates(results["event study"])
    with pytest.raises(PanelError, match="consecutive relative years"):
        rm.check_layout(np.array([-4, -2, 0, 1]))
    pre = rel < -1
    noisy = sigma.copy()
    noisy[np.ix_(pre, pre)] *= 1e4  # pre-periods 100× noisier: a set far wider than the grid
    beta = np.where(pre, 0, beta)
    low, high = rm.rm_interval(rel, beta, noisy, 0, 2.0, 0.05)
    assert np.isfinite([low, high]).all() and high - low > 5  # found by widening the grid
    monkeypatch.setattr(rm, "MAX_SUBSETS", 10)  # long post windows: refused, said how to fix
    with pytest.raises(PanelError, match="candidate vertices; shorten the event window"):
        rm.rm_interval(rel, beta, sigma, 0, 1.0, 0.05)
    monkeypatch.undo()
    monkeypatch.setattr(rm, "WIDEN", 1)
    with pytest.warns(UserWarning, match="after 1 widenings.*reported as unbounded"):
        assert np.isinf(rm.rm_interval(rel, beta, noisy, 0, 2.0, 0.05)).all()


def test_breakdown_value_is_where_the_set_first_covers_zero(results):
    h = honest(results["event study"], e=2)  # mpdta's effect two years on: about -0.13
    b = h.breakdown(tol=1e-4)
    assert 0 < b < np.inf
    below, above = h._robust(b * 0.999, h.alpha), h._robust(b * 1.001, h.alpha)
    assert below[1] < 0 <= above[1]  # still negative just below, may be 0 just above
    df = simulate_panel(n_units=200, years=range(2012, 2021), cohorts={2017: 60}, effect=0.0,
                        seed=6)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        null = honest(event_study(Panel(df, "unit", "year", "cohort"), "y", window=(-3, 2)))
    assert null.original[0] <= 0 <= null.original[1] and null.breakdown() == 0.0


@pytest.mark.parametrize("scale", [1e12, 1e-9])
def test_rm_sets_scale_with_the_outcome(results, scale):
    """An outcome in yuan (about 1e12) or in tiny units gives the same sets, scaled: every
    tolerance is taken in units of the estimate's standard error (before, 1e9 found no dual
    vertex and was refused)."""
    rel, beta, sigma = event_time_estimates(results["event study"])
    plain = rm.rm_interval(rel, beta, sigma, 2, 1.0, 0.05)
    scaled = rm.rm_interval(rel, beta * scale, sigma * scale**2, 2, 1.0, 0.05)
    assert np.array(scaled) / scale == pytest.approx(plain, rel=1e-7)


def test_a_singular_covariance_is_refused_with_the_reason():
    """SIMULATED: 3 units clustered by unit give a singular covariance of the 6 event-time
    estimates (found by a review, 2026-11-30: smoothness crashed inside scipy)."""
    df = simulate_panel(n_units=3, years=range(2013, 2022), cohorts={2017: 1}, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es = event_study(Panel(df, "unit", "year", "cohort"), "y")
    for method in ("smoothness", "relative_magnitude"):
        with pytest.raises(PanelError, match="6 event-time estimates of full rank; it has rank"):
            honest(es, method=method)
