"""Composite indices the JRC/OECD way, with honest uncertainty.

A composite index is built by a pipeline of named, logged steps over an entity × indicator table
(index: entity ids; columns: indicator ids; for a panel, also a ``year`` column):

1. ``screen``     drop units with too little data (``min_coverage``), each one logged;
2. ``impute``     none, mean, median or group mean;
3. ``outliers``   the JRC rule as in COINr: |skewness| > 2 and kurtosis > 3.5 -> winsorise up to 5
                  distinct points one at a time, else log-transform;
4. ``normalise``  min-max, z-score, rank, percentile rank, distance to the leader, goalposts;
5. ``weights``    equal, manual (keyed by indicator), entropy (two named variants), CRITIC, PCA,
                  within pillars (indicator -> pillar -> index);
6. ``aggregate``  weighted arithmetic, geometric, TOPSIS, VIKOR or Copeland (non-compensatory);
7. ``rank``       ties share the best rank (method "min"); scores equal to ``RANK_RTOL`` (1e-12)
                  x the largest absolute score tie, in :func:`build` and in every Monte Carlo draw.

Every choice lives in an immutable :class:`IndexSpec`; change one with ``spec.replace(...)`` or
``index.rebuild(...)``, which replays the steps from the first one the change affects (the log is a
recipe). Methods are found by name in registries, one module per step: ``spec``, ``treatment``
(imputation, outliers), ``normalisation``, ``weights``, ``aggregation``, ``pipeline`` (build,
CompositeIndex; ``steps`` holds the step functions), ``removal`` (remove-one sensitivity),
``uncertainty`` (Monte Carlo), ``sensitivity`` (Sobol), both on ``engine``, ``tables``
(a researcher's own table, simulated tables). A new normalisation is one function and one
decorator, ``@normalisation("name")``; likewise ``@weighting``, ``@aggregation``, ``@imputation``,
``@outlier_rule``. A panel (a ``year`` column) is built year by year, or with ``across_years=True``
normalised over all years so that scores compare over time. :func:`uncertainty` and
:func:`sensitivity` then ask how much a ranking owes to those choices, by Monte Carlo over weights,
normalisation, aggregation and imputation.

Missing values are NaN; +-inf is refused with the indicator and units named. Values up to
+-1.8e308 are fine: ranges, sums and moments are computed on columns rescaled by an exact power of
two. Checked in tests against references: pymcdm (entropy, CRITIC, TOPSIS, VIKOR), COINr's
``Treat()`` (its ASEM data and vignette numbers), statsmodels (PCA) and SALib's ``sobol.analyze``
(Sobol indices on identical sample matrices; SALib, Herman & Usher 2017, is the standard Python
library for variance-based sensitivity analysis, MIT-licensed, so it is the dev-extra reference).

>>> import innostudy.composite as cp
>>> table, spec = cp.simulated_table(n_units=8, n_indicators=6, seed=1)
>>> index = cp.build(table, spec)
>>> sorted(index.ranks)[:3]
[1, 2, 3]
>>> index.log["step"].unique().tolist()
['screen', 'impute', 'outliers', 'normalise', 'weights', 'aggregate', 'rank']
>>> index.rebuild(weights="critic").spec.weights
'critic'
>>> index.remove_one("pillar").shifts.columns.tolist()
['removed', 'mean_abs_rank_shift']
"""

from innostudy.composite.aggregation import (
    AGGREGATIONS,
    TOPSIS_NORMALISATIONS,
    aggregate,
    aggregation,
    copeland,
    cronbach_alpha,
    topsis,
    vikor,
)
from innostudy.composite.base import RANK_RTOL, CompositeInputError, Registry, rank_scores
from innostudy.composite.engine import KERNELS, _Engine
from innostudy.composite.normalisation import NORMALISATIONS, normalisation, normalise
from innostudy.composite.pipeline import CompositeIndex, build
from innostudy.composite.removal import RemoveOne
from innostudy.composite.sensitivity import Sensitivity, sensitivity, sobol_indices
from innostudy.composite.spec import STEPS, IndexSpec
from innostudy.composite.tables import UserTable, read_table, simulated_table
from innostudy.composite.treatment import (
    IMPUTATIONS,
    OUTLIER_RULES,
    OutlierTreatment,
    _skew_kurt,
    imputation,
    outlier_rule,
    treat_outliers,
)
from innostudy.composite.uncertainty import Uncertainty, uncertainty
from innostudy.composite.weights import (
    ENTROPY_VARIANTS,
    WEIGHTINGS,
    critic_weights,
    entropy_weights,
    pca_weights,
    weighting,
)

__all__ = [
    "AGGREGATIONS", "ENTROPY_VARIANTS", "IMPUTATIONS", "KERNELS", "NORMALISATIONS",
    "OUTLIER_RULES", "RANK_RTOL", "STEPS", "TOPSIS_NORMALISATIONS", "WEIGHTINGS",
    "CompositeIndex", "CompositeInputError", "IndexSpec", "OutlierTreatment", "Registry",
    "RemoveOne", "Sensitivity", "Uncertainty", "UserTable", "aggregate", "aggregation", "build",
    "copeland", "critic_weights", "cronbach_alpha", "entropy_weights", "imputation", "normalisation",
    "normalise", "outlier_rule", "pca_weights", "rank_scores", "read_table", "sensitivity",
    "simulated_table", "sobol_indices", "topsis", "treat_outliers", "uncertainty", "vikor",
    "weighting", "_Engine", "_skew_kurt",
]  # fmt: skip
