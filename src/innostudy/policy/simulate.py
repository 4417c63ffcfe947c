"""Simulated staggered-adoption panels with known true effects (seeded, labelled simulated)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_panel(n_units: int = 300, years=range(2013, 2024), cohorts=None, effect: float = 1.0,
                   dynamics: float = 0.0, heterogeneity: float = 0.0, noise: float = 1.0,
                   seed: int = 0) -> pd.DataFrame:  # fmt: skip
    """A balanced unit × year panel in which parallel trends hold and the true effects are known.

    The outcome is ``y = a_i + b_t + 0.5·x + tau + e`` with unit effects ``a_i``, a common
    trend ``b_t``, a control ``x`` and noise ``e ~ N(0, noise²)``. A unit of cohort ``g`` is
    treated from year ``g`` on with effect

        tau(g, t) = effect + heterogeneity · (last cohort − g) + dynamics · (t − g),

    so ``heterogeneity`` makes earlier cohorts gain more and ``dynamics`` makes effects grow with
    exposure: the case in which the TWFE estimate is biased. Cohorts are assigned at random.

    Parameters
    ----------
    cohorts : dict {year: number of units}
        Default ``{2020: 26, 2021: 39}``: the sizes of the two Innovation China pilot batches.
        The remaining units are never treated (cohort 0).

    Returns
    -------
    DataFrame
        Columns unit, year, cohort (0 = never), y, x, true_effect and ``simulated`` (True).

    >>> df = simulate_panel(n_units=50, years=range(2015, 2020), cohorts={2017: 10}, seed=3)
    >>> df.shape, bool(df["simulated"].all())
    ((250, 7), True)
    >>> df.groupby("cohort")["unit"].nunique().to_dict()
    {0: 40, 2017: 10}
    """
    cohorts = {2020: 26, 2021: 39} if cohorts is None else dict(cohorts)
    years = np.asarray(list(years), dtype=int)
    if sum(cohorts.values()) > n_units:
        raise ValueError(f"cohorts {cohorts} hold more than n_units={n_units} units")
    outside = [g for g in cohorts if not years[0] < g <= years[-1]]
    if outside:
        raise ValueError(f"cohort(s) {outside} leave no pre-period or fall after {years[-1]}")
    rng = np.random.default_rng(seed)
    unit_cohort = np.zeros(n_units, dtype=int)
    unit_cohort[: sum(cohorts.values())] = np.repeat(list(cohorts), list(cohorts.values()))
    unit_cohort = rng.permutation(unit_cohort)
    last = max(cohorts, default=0)

    n_years = len(years)
    unit_effect = rng.normal(0, 1, n_units)
    year_effect = 0.1 * (years - years[0]) + rng.normal(0, 0.2, n_years)
    x = rng.normal(0, 1, (n_units, n_years))
    g = unit_cohort[:, None]
    exposed = (g > 0) & (years[None, :] >= g)
    tau = np.where(exposed, effect + heterogeneity * (last - g) + dynamics * (years - g), 0.0)
    y = (unit_effect[:, None] + year_effect[None, :] + 0.5 * x + tau
         + rng.normal(0, noise, (n_units, n_years)))  # fmt: skip
    width = len(str(n_units))
    return pd.DataFrame(
        {
            "unit": np.repeat([f"sim{i:0{width}d}" for i in range(n_units)], n_years),
            "year": np.tile(years, n_units),
            "cohort": np.repeat(unit_cohort, n_years),
            "y": y.ravel(),
            "x": x.ravel(),
            "true_effect": tau.ravel(),
            "simulated": True,
        }
    )
