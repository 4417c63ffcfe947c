"""Staggered difference-in-differences for pilot designations: the whole checklist in one place.

>>> from innostudy.policy import Panel, simulate_panel, twfe, event_study, att_gt, bacon, placebo
>>> from innostudy.policy import compare_event_studies, imputation, sun_abraham
>>> panel = Panel(simulate_panel(seed=1), unit="unit", time="year", cohort="cohort")
>>> fit = twfe(panel, "y", controls=["x"])            # unit + year FE, city-clustered SEs
>>> es = event_study(panel, "y", window=(-4, 4))      # es.pretrend: joint Wald test of the leads
>>> cs = att_gt(panel, "y", control="notyet")         # Callaway-Sant'Anna ATT(g, t)
>>> cs.aggregate("dynamic").tidy()                    # doctest: +SKIP
>>> bacon(panel, "y").by_type()                       # doctest: +SKIP
>>> placebo(panel, "y", n=1000).pvalue                # doctest: +SKIP
>>> psm_did(panel, "y", ["x"], caliper=0.05)           # doctest: +SKIP
>>> table([fit, es]).to_latex()                       # doctest: +SKIP
>>> checklist(panel, "y", controls=["x"]).tables()    # doctest: +SKIP
>>> sa = sun_abraham(panel, "y")                      # Sun-Abraham interaction-weighted
>>> bjs = imputation(panel, "y")                      # Borusyak-Jaravel-Spiess imputation
>>> twfe(panel, "y", inference="wild", draws=999).tidy()  # doctest: +SKIP
>>> ax = compare_event_studies([es, sa, bjs, cs.aggregate("dynamic")])

Every result follows the results protocol (:mod:`innostudy.results`, docs/results.md): a one-line
repr, ``.tidy(alpha)`` (DataFrame), ``.summary(alpha)`` (text that renders as tables in JupyterLab)
and ``.plot(ax, title=)`` (an Axes, never shown); results from simulated data say so in all of
them. ``Panel.from_designations`` builds the panel from the curated designations and a user's
outcome file.

Which implementation, and why (evaluated November 2026 on R did's ``mpdta``):

* **moderndid** 0.2.0 (installed; 0.4.1 current): Callaway-Sant'Anna agrees with R's ``did`` to
  machine precision (ATT(2004,2004) = -0.0105032, SE 0.02325, and the other cells of issue 7).
  Heavy for a runtime dependency: polars, pyarrow, narwhals, prettytable; ``import moderndid``
  takes about 3 s. Pre-1.0 with argument names that changed between releases.
* **csdid** 0.4.3 with drdid: agrees with R to the last digit, but requires plotnine and twine
  at run time and gives summaries as printed tables.
* **diff-diff** 3.13: agrees with R to the last digit, light (numpy, pandas, scipy), fast; but a
  sprawling, fast-moving API (13 minor releases of major version 3; ``fit(aggregate=)`` already
  deprecated for 4.0) and no calendar-time aggregation.
* **pyfixest** 0.60: TWFE, did2s, saturated event study and lpdid; no Callaway-Sant'Anna;
  depends on formulaic, maketables, narwhals, seaborn and ships a compiled wheel.
* **linearmodels** 7.1: ``PanelOLS`` (TWFE with absorbed effects) only; no staggered estimators.

Choice: Callaway-Sant'Anna (panel data, the three 2×2 estimators, influence-function SEs, the four
aggregations) is written here in numpy (:mod:`~innostudy.policy.callaway` and its 2×2 estimators in
:mod:`~innostudy.policy.drdid`, about 600 lines),
because the one light, correct peer (diff-diff) moves too fast to pin a public API on and the
stable-enough ones are heavy; its results match moderndid to 1e-9 on every ATT(g, t), SE and
aggregation for ``control`` × ``method`` × covariates × ``anticipation`` (tests/test_policy*.py),
and it runs about 2-6× faster than moderndid on mpdta (benchmarks/policy_bench.py). TWFE and the
event study are least squares in numpy with clustered SEs under a stated small-sample
convention (:class:`SSC`, default Stata ``xtreg, fe`` / fixest); they match pyfixest 0.60 to
1e-9 for every ``ssc`` choice and linearmodels ``PanelOLS`` up to its documented convention.
The Bacon decomposition and the FWL-based placebo are short and written here. So are the
staggered-robust tools of issue 13, each with its evidence in its module: Sun-Abraham
(:mod:`~innostudy.policy.sunab`), imputation (:mod:`~innostudy.policy.imputation`), the
HonestDiD sensitivity (:mod:`~innostudy.policy.honest`; relative magnitudes by the
Andrews-Roth-Pakes hybrid test in :mod:`~innostudy.policy.honest_rm`), the wild cluster and
multiplier bootstraps (:mod:`~innostudy.policy.bootstrap`); diff-diff, wildboottest and
moderndid's ``didhonest`` (with cvxpy) are their test references in the ``dev`` extra. moderndid,
pyfixest and linearmodels stay in the ``dev`` extra as test oracles.
"""

from innostudy.policy.bacon import BaconResult, bacon
from innostudy.policy.callaway import Aggregate, ATTgtResult, att_gt
from innostudy.policy.checklist import Checklist, checklist
from innostudy.policy.compare import compare_event_studies
from innostudy.policy.heterogeneity import (
    HeterogeneityResult,
    MechanismResult,
    heterogeneity,
    mechanisms,
    region_of,
)
from innostudy.policy.honest import HonestResult, honest
from innostudy.policy.imputation import ImputationResult, imputation
from innostudy.policy.panel import Panel, PanelError
from innostudy.policy.placebo import PlaceboResult, TimePlaceboResult, placebo
from innostudy.policy.psm import PSMResult, psm_did
from innostudy.policy.regression import SSC, EventStudyResult, TWFEResult, event_study, twfe
from innostudy.policy.simulate import simulate_panel
from innostudy.policy.sunab import SunAbrahamResult, sun_abraham
from innostudy.policy.tables import RegressionTable, table

__all__ = [
    "Aggregate",
    "ATTgtResult",
    "BaconResult",
    "Checklist",
    "EventStudyResult",
    "HeterogeneityResult",
    "HonestResult",
    "ImputationResult",
    "MechanismResult",
    "Panel",
    "PanelError",
    "PlaceboResult",
    "PSMResult",
    "RegressionTable",
    "SSC",
    "SunAbrahamResult",
    "TimePlaceboResult",
    "TWFEResult",
    "att_gt",
    "bacon",
    "checklist",
    "compare_event_studies",
    "event_study",
    "heterogeneity",
    "honest",
    "imputation",
    "mechanisms",
    "placebo",
    "psm_did",
    "region_of",
    "simulate_panel",
    "sun_abraham",
    "table",
    "twfe",
]
