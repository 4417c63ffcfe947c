"""Sobol sensitivity of a ranking: which uncertain choice of the index (weights, normalisation,
aggregation, imputation) moves the ranking most. :func:`sobol_indices` is the general estimator;
:func:`sensitivity` applies it to the mean absolute rank shift scored by the shared Monte Carlo
engine (:mod:`innostudy.composite.engine`).

>>> table, spec = simulated_table(n_units=10, n_indicators=4, seed=2)
>>> sensitivity(table, spec, n=64).tidy()["factor"].tolist()
['weights']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from innostudy.composite.base import CompositeInputError
from innostudy.composite.engine import _engine
from innostudy.composite.spec import IndexSpec
from innostudy.composite.tables import simulated_table  # noqa: F401 - used by the doctests
from innostudy.results import Result, Summary, axes, check_alpha, finish


def sobol_indices(
    func: Callable[[np.ndarray], np.ndarray],
    groups: Mapping[str, Sequence[int]] | int,
    *,
    n: int = 1024,
    seed: int = 0,
    n_bootstrap: int = 200,
    samples: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """First-order and total Sobol indices of ``func`` over independent uniform inputs on [0, 1).

    ``func`` maps a (rows x inputs) array to one output per row; ``groups`` names sets of input
    columns treated as one factor (an int k means k single inputs x1..xk). Uses two scrambled
    Sobol' matrices A and B of ``n`` rows (rounded up to a power of two), or the two given as
    ``samples`` (e.g. the A and B rows of SALib's ``sobol.sample``), and one matrix AB per factor
    with that factor's columns taken from B. The estimators are SALib's ``sobol.analyze``: every
    output is first centred on the mean of all evaluations (A, B and every AB), which makes the
    first-order estimate markedly less noisy; first order by Saltelli et al. (2010),
    mean(f_B (f_AB - f_A)) / V; total by Jansen (1999), mean((f_A - f_AB)^2) / 2V; V the variance
    (divisor 2n) of f_A and f_B together. 95 % intervals: percentiles of ``n_bootstrap`` seeded
    bootstrap resamples of the rows (SALib instead reports a normal-approximation half-width).

    >>> def ishigami(u):
    ...     x = np.pi * (2 * u - 1)
    ...     return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    >>> s = sobol_indices(ishigami, 3, n=4096)
    >>> bool(np.allclose(s["first_order"], [0.314, 0.442, 0.0], atol=0.05))
    True
    >>> bool(np.allclose(s["total"], [0.558, 0.442, 0.244], atol=0.05))
    True
    """
    from scipy.stats import qmc

    if isinstance(groups, int):
        groups = {f"x{i + 1}": [i] for i in range(groups)}
    if not groups:
        raise CompositeInputError("no factor varies: nothing to attribute")
    dim = max(max(columns) for columns in groups.values()) + 1
    if samples is None:
        base = qmc.Sobol(d=2 * dim, scramble=True, seed=seed).random_base2(
            max(1, math.ceil(math.log2(n)))
        )
        a, b = base[:, :dim], base[:, dim:]
    else:
        a, b = (np.asarray(m, dtype=float) for m in samples)
        if a.shape != b.shape or a.ndim != 2 or a.shape[1] < dim or len(a) < 2:
            raise CompositeInputError(
                f"samples must be two matrices of the same shape (rows x {dim}+ inputs), "
                f"not {a.shape} and {b.shape}"
            )
    f_ab = {}
    for name, columns in groups.items():
        mixed = a.copy()
        mixed[:, columns] = b[:, columns]
        f_ab[name] = func(mixed)
    f_a, f_b = func(a), func(b)
    centre = np.mean(np.concatenate([f_a, f_b, *f_ab.values()]))
    f_a, f_b = f_a - centre, f_b - centre
    f_ab = {name: values - centre for name, values in f_ab.items()}
    if np.var(np.concatenate([f_a, f_b])) == 0:
        raise CompositeInputError(
            "the output does not vary over the draws: Sobol indices undefined"
        )

    def estimate(rows):
        fa, fb = f_a[rows], f_b[rows]
        variance = np.var(np.concatenate([fa, fb], axis=-1), axis=-1)
        first = {k: np.mean(fb * (v[rows] - fa), axis=-1) / variance for k, v in f_ab.items()}
        total = {k: 0.5 * np.mean((fa - v[rows]) ** 2, axis=-1) / variance for k, v in f_ab.items()}
        return first, total

    first, total = estimate(np.arange(len(a)))
    resamples = np.random.default_rng(seed).integers(0, len(a), size=(n_bootstrap, len(a)))
    boot_first, boot_total = estimate(resamples)
    return pd.DataFrame(
        {
            "factor": list(groups),
            "first_order": [first[k] for k in groups],
            "first_order_low": [np.percentile(boot_first[k], 2.5) for k in groups],
            "first_order_high": [np.percentile(boot_first[k], 97.5) for k in groups],
            "total": [total[k] for k in groups],
            "total_low": [np.percentile(boot_total[k], 2.5) for k in groups],
            "total_high": [np.percentile(boot_total[k], 97.5) for k in groups],
        }
    )


class Sensitivity(Result):
    """Sobol indices of the mean absolute rank shift: which choice moves the ranking most."""

    def __init__(self, indices: pd.DataFrame, settings: dict, simulated: bool = False):
        self.indices, self.settings, self.simulated = indices, settings, simulated

    def _headline(self) -> str:
        top = self.indices.sort_values("total", ascending=False).iloc[0]
        return (
            f"{self.settings['evaluations']:,} evaluations; largest total Sobol index "
            f"{top['total']:.3f} ({top['factor']})"
        )

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per factor: first_order and total indices with 95 % bootstrap intervals."""
        check_alpha(alpha)
        return self.indices.copy()

    def summary(self, alpha: float = 0.05) -> Summary:
        check_alpha(alpha)
        s = self.settings
        title = f"Sensitivity of the mean absolute rank shift: {s['evaluations']:,} evaluations"
        return Summary(title, [("seed", s["seed"]), ("n", s["n"])], [self.indices],
                       ["intervals: 2.5th-97.5th percentiles of bootstrap resamples"],
                       simulated=self.simulated)  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None):
        """First-order and total index per factor, as bars. Returns the Axes."""
        import seaborn as sns

        long = self.indices.melt(
            id_vars="factor", value_vars=["first_order", "total"], var_name="index"
        )
        ax = axes(ax, figsize=(6, 0.6 * len(self.indices) + 1.5))
        sns.barplot(data=long, y="factor", x="value", hue="index", ax=ax)
        ax.set_xlabel("Sobol index of the mean absolute rank shift")
        ax.set_ylabel("")
        return finish(ax, "Sobol indices" if title is None else title, self.simulated)


def sensitivity(
    table: pd.DataFrame,
    spec: IndexSpec | None = None,
    *,
    n: int = 1024,
    seed: int = 0,
    weights: float | str = 0.25,
    concentration: float = 1.0,
    normalisations: Sequence[str] | None = None,
    aggregations: Sequence[str] | None = None,
    imputations: Sequence[str] | None = None,
    chunk_size: int = 2_000,
) -> Sensitivity:
    """Which choice moves the ranking most? First-order and total Sobol indices of the mean absolute
    rank shift (from the nominal ranking) for each uncertain input of :func:`uncertainty`: the
    weights (one group), the normalisation, the aggregation and the imputation (those with more than
    one option). Costs ``n`` x (number of factors + 2) evaluations. Estimators as
    :func:`sobol_indices` (SALib's: centred outputs); rank shifts use the ties of :func:`uncertainty`.

    >>> table, spec = simulated_table(n_units=10, n_indicators=4, seed=2)
    >>> s = sensitivity(table, spec, n=256, normalisations=("minmax", "rank"))
    >>> s.tidy()["factor"].tolist()
    ['weights', 'normalisation']
    """
    if n < 1 or chunk_size < 1:  # a chunk of 0 would leave every rank shift unwritten
        raise CompositeInputError(f"n={n} and chunk_size={chunk_size} must be positive")
    engine = _engine(table, spec, locals())
    indices = sobol_indices(
        lambda u: engine.rank_shift(u, chunk_size), engine.factors, n=n, seed=seed
    )
    evaluations = 2 ** max(1, math.ceil(math.log2(n))) * (len(engine.factors) + 2)
    settings = {"n": n, "seed": seed, "evaluations": evaluations}
    return Sensitivity(indices, settings, simulated=engine.nominal.simulated)
