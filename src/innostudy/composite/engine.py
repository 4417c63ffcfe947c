"""The Monte Carlo engine shared by :func:`~innostudy.composite.uncertainty.uncertainty` and
:func:`~innostudy.composite.sensitivity.sensitivity`: the index precomputed for every combination
of uncertain choices, each scored by one matrix product per aggregation (the :data:`KERNELS`
registry: a function ``(treated, spec, where) -> (weights matrix -> scores)`` per aggregation).

>>> table, spec = simulated_table(n_units=10, n_indicators=4, seed=2)
>>> options = dict(weights=0.25, concentration=1.0, aggregations=("arithmetic", "topsis"))
>>> engine = _engine(table, spec, {"normalisations": None, "imputations": None, **options})
>>> list(engine.factors), engine.dim
(['weights', 'aggregation'], 5)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from innostudy.composite.aggregation import _topsis_matrix
from innostudy.composite.base import (
    CompositeInputError,
    Registry,
    _direction_array,
    _fail,
    _names,
    _rank_rows,
    _require_complete,
    _require_varying,
)
from innostudy.composite.normalisation import NORMALISATIONS
from innostudy.composite.pipeline import build
from innostudy.composite.spec import IndexSpec
from innostudy.composite.steps import _Log, _normalised, _run
from innostudy.composite.tables import simulated_table  # noqa: F401 - used by the doctests
from innostudy.composite.treatment import IMPUTATIONS

KERNELS = Registry("aggregation scored by matrix products in the Monte Carlo")


def _treated(table: pd.DataFrame, spec: IndexSpec) -> pd.DataFrame:
    return _run({"data": table}, spec, None, ["screen", "impute", "outliers"])["outliers"]


def _mean_arrays(treated, spec, where, log_values: bool):
    normalised = _normalised(treated, spec, _Log())
    x = normalised.to_numpy(dtype=float)
    present = ~np.isnan(x)
    if log_values:
        bad = list(normalised.columns[(normalised <= 0).any()])
        _fail(
            [f"{where}: indicator(s) {_names(bad)} have values <= 0 (use minmax_range=(1, 100))"]
            if bad else [],
            "a geometric mean needs positive values",
        )  # fmt: skip
        x = np.log(np.where(present, x, 1.0))
    values = np.where(present, x, 0.0).T.copy()
    if present.all():
        return lambda w: w @ values
    shares = present.T.astype(float)
    return lambda w: (w @ values) / (w @ shares)


@KERNELS("arithmetic")
def _arithmetic_kernel(treated, spec, where):
    return _mean_arrays(treated, spec, where, log_values=False)


@KERNELS("geometric")
def _geometric_kernel(treated, spec, where):
    mean = _mean_arrays(treated, spec, where, log_values=True)
    return lambda w: np.exp(mean(w))


@KERNELS("topsis")
def _topsis_kernel(treated, spec, where):
    _require_complete(treated, f"TOPSIS ({where})")
    _require_varying(treated, f"TOPSIS ({where})")
    d = _direction_array(spec.directions, treated.columns)
    r = _topsis_matrix(treated.to_numpy(dtype=float), d, spec.topsis_normalise)
    to_best, to_worst = ((r - r.max(axis=0)) ** 2).T.copy(), ((r - r.min(axis=0)) ** 2).T.copy()

    def closeness(w):  # TOPSIS closeness, as build() scores it
        squared = w**2
        to_ideal, to_anti = np.sqrt(squared @ to_best), np.sqrt(squared @ to_worst)
        return to_anti / (to_ideal + to_anti)

    return closeness


class _Engine:
    """The index precomputed for every combination of choices, so that a batch of draws (uniform
    numbers, one column per uncertain input) is scored by one matrix product per combination."""

    def __init__(
        self, table, spec, *, weights, concentration, normalisations, aggregations, imputations
    ):
        spec = spec or IndexSpec()
        if spec.year in table.columns:
            raise CompositeInputError(
                "uncertainty and sensitivity work on one year; select one of "
                f"{_names(table[spec.year].unique())}"
            )
        self.normalisations = tuple(normalisations or (spec.normalise,))
        self.aggregations = tuple(aggregations or (spec.aggregate,))
        self.imputations = tuple(imputations or (spec.impute,))
        problems = [
            f"{what} option {value!r} is not one of {_names(allowed)}"
            for what, values, allowed in (
                ("normalisation", self.normalisations, NORMALISATIONS),
                ("aggregation", self.aggregations, KERNELS),
                ("imputation", self.imputations, IMPUTATIONS),
            )
            for value in values
            if value not in allowed
        ]
        if not (weights == "dirichlet" or (isinstance(weights, (int, float)) and 0 <= weights < 1)):
            problems.append(f"weights={weights!r} is not 'dirichlet' nor a fraction in [0, 1)")
        _fail(problems, "invalid uncertainty options")
        self.noise, self.concentration = weights, concentration
        self.nominal = build(table, spec)
        self.units = self.nominal.scores.index
        self.indicators = self.nominal.weights.index
        self.w0 = self.nominal.weights.to_numpy()
        self.nominal_ranks = self.nominal.ranks.to_numpy()
        self.kernels = {}
        for imputation in self.imputations:
            treated = (
                self.nominal.treated
                if imputation == spec.impute
                else _treated(table, spec.replace(impute=imputation))
            )
            for aggregation in self.aggregations:
                for normalisation in self.normalisations:
                    choice = spec.replace(
                        impute=imputation, aggregate=aggregation, normalise=normalisation
                    )
                    self.kernels[normalisation, aggregation, imputation] = self._kernel(
                        treated, choice
                    )
        self.factors = {}
        column = 0
        if weights == "dirichlet" or weights > 0:
            self.factors["weights"] = list(range(len(self.w0)))
            column = len(self.w0)
        for name, options in (
            ("normalisation", self.normalisations),
            ("aggregation", self.aggregations),
            ("imputation", self.imputations),
        ):
            if len(options) > 1:
                self.factors[name] = [column]
                column += 1
        self.dim = column

    def _kernel(self, treated, spec):
        """A function turning a weights matrix (draws x indicators) into scores (draws x units)."""
        where = f"{spec.normalise} + {spec.aggregate} + impute {spec.impute}"
        return KERNELS.get(spec.aggregate)(treated, spec, where)

    def weights(self, u: np.ndarray) -> np.ndarray:
        """Uniforms (draws x indicators) -> weights around the nominal ones, rows summing to one."""
        if "weights" not in self.factors:
            return np.broadcast_to(self.w0, (len(u), len(self.w0)))
        if self.noise == "dirichlet":
            from scipy.special import gammaincinv

            alpha = self.concentration * len(self.w0) * self.w0
            draws = np.where(alpha > 0, gammaincinv(np.where(alpha > 0, alpha, 1.0), u), 0.0)
        else:
            draws = self.w0 * (1 + self.noise * (2 * u - 1))
        return draws / draws.sum(axis=1, keepdims=True)

    def choices(self, u: np.ndarray) -> np.ndarray:
        """Uniforms -> option codes (draws x 3: normalisation, aggregation, imputation)."""
        codes = np.zeros((len(u), 3), dtype=np.int64)
        for slot, (name, options) in enumerate(
            (
                ("normalisation", self.normalisations),
                ("aggregation", self.aggregations),
                ("imputation", self.imputations),
            )
        ):
            if name in self.factors:
                column = self.factors[name][0]
                codes[:, slot] = np.minimum(
                    (u[:, column] * len(options)).astype(np.int64), len(options) - 1
                )
        return codes

    def score(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Uniforms (draws x dim) -> (option codes, weights, scores draws x units)."""
        columns = self.factors.get("weights", [])
        w = self.weights(u[:, columns]) if columns else self.weights(u[:, :0])
        codes = self.choices(u)
        if (codes == codes[:1]).all():
            return codes, w, self._scores(codes[0], w)
        combos, which = np.unique(codes, axis=0, return_inverse=True)
        scores = np.empty((len(u), len(self.units)))
        for c, combo in enumerate(combos):
            rows = which.ravel() == c
            scores[rows] = self._scores(combo, w[rows])
        return codes, w, scores

    def _scores(self, combo, w: np.ndarray) -> np.ndarray:
        """One combination of choices: weights (draws x indicators) -> scores (draws x units)."""
        n_i, a_i, i_i = combo
        key = self.normalisations[n_i], self.aggregations[a_i], self.imputations[i_i]
        return self.kernels[key](w)

    def rank_shift(self, u: np.ndarray, chunk_size: int) -> np.ndarray:
        """Mean absolute rank shift from the nominal ranks, per draw."""
        out = np.empty(len(u))
        for start in range(0, len(u), chunk_size):
            _, _, scores = self.score(u[start : start + chunk_size])
            order, ranks = _rank_rows(scores)
            out[start : start + chunk_size] = np.abs(ranks - self.nominal_ranks[order]).mean(axis=1)
        return out


OPTIONS = ("weights", "concentration", "normalisations", "aggregations", "imputations")


def _engine(table, spec, arguments: Mapping) -> _Engine:
    """The engine for the uncertain choices among a caller's ``arguments`` (:data:`OPTIONS`; the
    rest, e.g. ``n`` or ``seed``, are the caller's): uncertainty() and sensitivity() take the same
    options, as public keywords, and handle them here, once."""
    return _Engine(table, spec, **{name: arguments[name] for name in OPTIONS})
