"""Data treatment before normalisation: imputation of missing values and the JRC outlier rule.

Both are registries (:data:`IMPUTATIONS`, :data:`OUTLIER_RULES`): a new rule is a function
``(table, spec, log) -> table`` registered with ``@imputation("name")`` or ``@outlier_rule("name")``.

>>> out = treat_outliers(pd.Series([*range(1, 11), 30, 100]))
>>> out.action, sorted(IMPUTATIONS), sorted(OUTLIER_RULES)
('winsorised', ['group_mean', 'mean', 'median', 'none'], ['jrc', 'none'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from innostudy.composite.base import Registry, _names, _unit_scale

IMPUTATIONS = Registry("imputation")
OUTLIER_RULES = Registry("outlier rule")
imputation, outlier_rule = IMPUTATIONS, OUTLIER_RULES  # decorators: @imputation("mean")


def _skew_kurt(values: np.ndarray) -> tuple[float, float]:
    """Sample skewness and excess kurtosis, bias-corrected as in Excel and e1071 type 2 (COINr)."""
    n = len(values)
    values, _ = _unit_scale(values)  # skewness and kurtosis do not depend on the scale
    deviations = values - values.mean()
    m2 = np.mean(deviations**2)
    if n < 4 or m2 == 0:
        return math.nan, math.nan
    g1 = np.mean(deviations**3) / m2**1.5
    g2 = np.mean(deviations**4) / m2**2 - 3
    skew = g1 * math.sqrt(n * (n - 1)) / (n - 2)
    kurt = ((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3))
    return float(skew), float(kurt)


@dataclass(frozen=True)
class OutlierTreatment:
    """What the JRC rule did to one indicator: the treated values and why."""

    values: pd.Series
    action: str  # "none", "winsorised", "log", "not tested"
    winsorised: tuple  # labels of the winsorised points
    skew_before: float
    kurt_before: float
    skew_after: float
    kurt_after: float

    def describe(self) -> str:
        before = f"skewness {self.skew_before:.2f}, kurtosis {self.kurt_before:.2f}"
        after = f"skewness {self.skew_after:.2f}, kurtosis {self.kurt_after:.2f}"
        if self.action == "not tested":
            return "fewer than 4 values: skewness and kurtosis not tested"
        if self.action == "none":
            return f"{before}: within limits"
        if self.action == "winsorised":
            points = f"{len(self.winsorised)} point(s) ({_names(self.winsorised)})"
            return f"{before}: winsorised {points}: {after}"
        return f"{before}: winsorising was not enough; log-transformed: {after}"


def treat_outliers(
    values: pd.Series,
    *,
    winmax: int = 5,
    skew_threshold: float = 2.0,
    kurt_threshold: float = 3.5,
) -> OutlierTreatment:
    """Treat one indicator by the JRC rule, as COINr's ``Treat()`` does by default.

    An indicator fails when |skewness| > ``skew_threshold`` AND kurtosis > ``kurt_threshold`` (both
    bias-corrected, Excel-style; COINr's ``check_SkewKurt`` also fails at equality). Then, as
    COINr's ``winsorise()``, one step at a time while it fails and fewer than ``winmax`` points are
    winsorised: the skewness of the current values picks the tail (>= 0: the highest, else the
    lowest), every point at that extreme (ties go together) takes the next value, and skewness and
    kurtosis are checked again. A point counts once however
    often it is moved, so ``winmax=5`` allows five distinct points (a final step of tied points may
    pass it, as in COINr). If it still fails, the *original* values are log-transformed instead:
    ln(x - min + a), a = 1 % of the range (COINr's ``log_CT``), mirrored to -ln(max - x + a) for
    negative skewness (COINr's ``log_CT_plus``; plain ``log_CT`` would stretch the long tail), so
    the order of units never changes. Missing values stay missing.

    >>> out = treat_outliers(pd.Series([*range(1, 11), 30, 100]))
    >>> out.action, out.values.iloc[-1], round(out.kurt_before, 2)
    ('winsorised', np.float64(30.0), 9.74)
    """
    x = values.astype(float)
    present = x.notna().to_numpy()
    original = x.to_numpy()[present]
    skew0, kurt0 = _skew_kurt(original)

    def fails(skew, kurt):
        return abs(skew) > skew_threshold and kurt > kurt_threshold

    def result(treated, action, skew, kurt):
        out = x.to_numpy().copy()
        out[present] = treated
        moved = treated != original if action == "winsorised" else np.zeros(len(treated), bool)
        labels = tuple(x.index[present][moved])
        series = pd.Series(out, index=x.index, name=x.name)
        return OutlierTreatment(series, action, labels, skew0, kurt0, skew, kurt)

    if math.isnan(skew0):
        return result(original, "not tested", skew0, kurt0)
    if not fails(skew0, kurt0):
        return result(original, "none", skew0, kurt0)
    treated = original.copy()
    skew, kurt = skew0, kurt0
    while fails(skew, kurt) and np.count_nonzero(treated != original) < winmax:
        extreme = treated.max() if skew >= 0 else treated.min()
        at = treated == extreme
        if at.all():
            break
        treated[at] = treated[~at].max() if skew >= 0 else treated[~at].min()
        skew, kurt = _skew_kurt(treated)
    if not fails(skew, kurt):
        return result(treated, "winsorised", skew, kurt)
    scaled, exponent = _unit_scale(original)  # ln(2**e * y) = e ln 2 + ln y: no overflow
    low, high = scaled.min(), scaled.max()
    shift = exponent * math.log(2)
    logged = (
        np.log(scaled - low + 0.01 * (high - low)) + shift
        if skew0 >= 0
        else -np.log(high - scaled + 0.01 * (high - low)) - shift
    )
    return result(logged, "log", *_skew_kurt(logged))


# --------------------------------------------------------------------------------------------------
# Imputation: (table, spec, log) -> the table with the values it fills (missing ones stay NaN)


@imputation("none")
def _leave_missing(table, spec, log):
    missing = table.isna()
    for column in table.columns[missing.any()]:
        units = table.index[missing[column]]
        detail = f"{_names(units)}: aggregated over the indicators they have"
        log.add("impute", column, "left missing", detail)
    return table


def _filled(table, fill, spec, log):
    missing = table.isna()
    for column in table.columns[missing.any()]:
        log.add("impute", column, spec.impute, f"{_names(table.index[missing[column]])}")
    return table.where(~missing, fill)


@imputation("mean")
def _mean(table, spec, log):
    return _filled(table, table.fillna(table.mean()), spec, log)


@imputation("median")
def _median(table, spec, log):
    return _filled(table, table.fillna(table.median()), spec, log)


@imputation("group_mean")
def _group_mean(table, spec, log):
    missing = table.isna()
    groups = pd.Series(spec.groups).reindex(table.index.get_level_values(-1))
    fill = table.groupby(groups.to_numpy()).transform("mean")
    for column in table.columns[missing.any()]:
        lacking = fill.index[missing[column] & fill[column].isna()]
        if len(lacking):
            log.add(
                "impute", column, "overall mean", f"{_names(lacking)}: their group has no value"
            )
    return _filled(table, fill.fillna(table.mean()), spec, log)


# --------------------------------------------------------------------------------------------------
# Outlier rules: (table, spec, log) -> treated table


@outlier_rule("none")
def _no_treatment(table, spec, log):
    log.add("outliers", "all indicators", "not treated")
    return table


@outlier_rule("jrc")
def _jrc(table, spec, log):
    treated = table.copy()
    for column in table.columns:
        out = treat_outliers(
            table[column],
            winmax=spec.winmax,
            skew_threshold=spec.skew_threshold,
            kurt_threshold=spec.kurt_threshold,
        )
        treated[column] = out.values
        log.add("outliers", column, out.action, out.describe())
    return treated
