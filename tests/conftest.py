"""Fixtures shared by several test modules (a module's own fixture of the same name wins)."""

import pytest

from innostudy.policy import simulate_panel

# --- staggered-adoption fixtures (test_imputation, test_sunab) ---


@pytest.fixture(scope="module")
def mpdta():
    """R did's county teen-employment panel, as shipped inside moderndid (not copied here)."""
    return pytest.importorskip("moderndid").load_mpdta().to_pandas()


@pytest.fixture(scope="module")
def staggered():
    """Simulated: three cohorts with heterogeneous, growing effects, 10 years."""
    return simulate_panel(n_units=150, years=range(2010, 2020),
                          cohorts={2013: 30, 2015: 30, 2017: 40}, dynamics=0.3,
                          heterogeneity=0.3, seed=11)  # fmt: skip
