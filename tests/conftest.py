"""Fixtures shared by several test modules."""

import pytest


@pytest.fixture(scope="module")
def mpdta():
    """R did's county teen-employment panel, as shipped inside moderndid (not copied here)."""
    moderndid = pytest.importorskip("moderndid")
    return moderndid.load_mpdta().to_pandas()
