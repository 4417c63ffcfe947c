"""The steps of a composite index, one function each: screen, impute, outliers, normalise,
weights, aggregate, rank (:data:`~innostudy.composite.spec.STEPS`), the log they write (a recipe)
and :func:`_run` / :func:`_replay`, which (re)run them over each year's state. The index object and
:func:`~innostudy.composite.pipeline.build` are in :mod:`innostudy.composite.pipeline`.
"""

from __future__ import annotations

import logging

import pandas as pd

from innostudy.composite.aggregation import AGGREGATIONS
from innostudy.composite.base import (
    CompositeInputError,
    _direction_problems,
    _fail,
    _infinite_problems,
    _names,
    _weight_problems,
    rank_scores,
)
from innostudy.composite.normalisation import normalise
from innostudy.composite.spec import STEPS, IndexSpec
from innostudy.composite.treatment import IMPUTATIONS, OUTLIER_RULES
from innostudy.composite.weights import WEIGHTINGS

logger = logging.getLogger("innostudy.composite.pipeline")  # the name it always logged under
LOG_COLUMNS = ["year", "step", "target", "action", "detail"]


class _Log:
    """Collects what each step did, as rows (year, step, target, action, detail)."""

    def __init__(self, year=None, rows=None):
        self.year, self.rows = year, rows if rows is not None else []

    def add(self, step: str, target, action: str, detail: str = "") -> None:
        self.rows.append(
            {"year": self.year, "step": step, "target": str(target), "action": action,
             "detail": detail}
        )  # fmt: skip
        logger.info("%s %s: %s %s", step, target, action, detail)


def _check_table(table: pd.DataFrame, spec: IndexSpec) -> None:
    """Every structural problem of the table and spec, reported at once."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(
            f"a composite index needs a DataFrame (units x indicators), not {type(table).__name__}"
        )
    panel = spec.year in table.columns
    data = table.drop(columns=spec.year) if panel else table
    problems = []
    if data.shape[1] == 0 or len(data) < 2:
        problems.append(f"need at least 2 units and 1 indicator; got {len(data)} x {data.shape[1]}")
    text = [
        c
        for c in data.columns
        if not pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c])
    ]
    if text:
        problems.append(f"indicator column(s) {_names(text)} are not numeric")
    keys = pd.MultiIndex.from_arrays([table[spec.year], table.index]) if panel else table.index
    if keys.has_duplicates:
        problems.append(
            f"unit(s) appear more than once: {_names(keys[keys.duplicated()].unique())}"
        )
    numeric = data.drop(columns=text)
    problems += _infinite_problems(numeric)
    indicators = list(data.columns)
    problems += _direction_problems(spec.directions or {}, indicators)
    if isinstance(spec.weights, dict):
        problems += _weight_problems(spec.weights, indicators)
    if spec.pillars is not None:
        missing = [name for name in indicators if name not in spec.pillars]
        unknown = [name for name in spec.pillars if name not in indicators]
        if missing:
            problems.append(f"no pillar for indicator(s) {_names(missing)}")
        if unknown:
            problems.append(f"pillars name indicator(s) not in the table: {_names(unknown)}")
    if spec.pillar_weights is not None:
        pillars = sorted(set((spec.pillars or {}).values()))
        problems += _weight_problems(spec.pillar_weights, pillars, "pillar")
    if spec.impute == "group_mean":
        ungrouped = [unit for unit in table.index.unique() if unit not in (spec.groups or {})]
        if ungrouped:
            problems.append(f"impute='group_mean' but no group for unit(s) {_names(ungrouped)}")
    if not text:
        for year, frame in (
            numeric.groupby(table[spec.year].to_numpy()) if panel else [(None, numeric)]
        ):
            where = f" in {year}" if panel else ""
            empty_indicators = list(frame.columns[frame.isna().all()])
            if empty_indicators:
                problems.append(f"indicator(s) {_names(empty_indicators)} have no value{where}")
            empty_units = list(frame.index[frame.isna().all(axis=1)])
            if empty_units and spec.min_coverage == 0:
                problems.append(
                    f"unit(s) {_names(empty_units)} have no value{where} (drop them, or screen "
                    "them out with min_coverage > 0)"
                )
    _fail(problems)


def _screen(table: pd.DataFrame, spec: IndexSpec, log: _Log) -> pd.DataFrame:
    coverage = table.notna().mean(axis=1)
    dropped = coverage[coverage < spec.min_coverage]
    for unit, share in dropped.items():
        log.add(
            "screen",
            unit,
            "dropped",
            f"{share:.0%} of indicators available < {spec.min_coverage:.0%}",
        )
    if dropped.empty:
        detail = (
            f">= {spec.min_coverage:.0%} of indicators"
            if spec.min_coverage
            else "no screening (min_coverage=0)"
        )
        log.add("screen", "all units", "kept", f"all {len(table)} units: {detail}")
    kept = table.drop(index=dropped.index)
    if len(kept) < 2:
        raise CompositeInputError(
            f"screening with min_coverage={spec.min_coverage} leaves {len(kept)} unit(s)"
        )
    return kept


def _impute(table: pd.DataFrame, spec: IndexSpec, log: _Log) -> pd.DataFrame:
    if not table.isna().any().any():
        log.add("impute", "all indicators", "none needed", "no missing values")
        return table
    return IMPUTATIONS.get(spec.impute)(table, spec, log)


def _normalised(treated: pd.DataFrame, spec: IndexSpec, log: _Log) -> pd.DataFrame:
    """Normalise as the spec says (TOPSIS and VIKOR normalise themselves: treated values pass on)."""
    if AGGREGATIONS.get(spec.aggregate).own_normalisation:
        detail = f"{spec.topsis_normalise}, inside TOPSIS" if spec.aggregate == "topsis" else ""
        log.add("normalise", "all indicators", f"by {spec.aggregate.upper()}", detail)
        return treated
    normalised = normalise(
        treated,
        spec.normalise,
        spec.directions,
        minmax_range=spec.minmax_range,
        goalposts=spec.goalposts,
    )
    lost = normalised.isna() & treated.notna()
    _fail(
        [f"indicator {c} for {_names(treated.index[lost[c]])}" for c in lost.columns[lost.any()]],
        f"{spec.normalise} normalisation gave no number (NaN) from a value",
    )
    detail = f"range {spec.minmax_range}" if spec.normalise == "minmax" else ""
    log.add("normalise", "all indicators", spec.normalise, detail)
    if spec.normalise == "goalposts":
        for column in treated.columns:
            low, high = spec.goalposts[column]
            outside = treated.index[(treated[column] < low) | (treated[column] > high)]
            if len(outside):
                log.add(
                    "normalise",
                    column,
                    "capped",
                    f"{_names(outside)} outside goalposts ({low}, {high})",
                )
    return normalised


def _pillar_of(spec: IndexSpec, indicators) -> pd.Series:
    if spec.pillars is None:
        return pd.Series("index", index=indicators, name="pillar")
    return pd.Series({name: spec.pillars[name] for name in indicators}, name="pillar")


def _within_weights(treated: pd.DataFrame, spec: IndexSpec) -> pd.Series:
    """Weights of the indicators within their pillar (each pillar sums to one)."""
    if isinstance(spec.weights, dict):
        return pd.Series({name: float(spec.weights[name]) for name in treated.columns})
    method = "equal" if treated.shape[1] == 1 else spec.weights
    return WEIGHTINGS.get(method)(treated, spec)


def _weights_step(treated: pd.DataFrame, spec: IndexSpec, log: _Log) -> tuple[pd.Series, pd.Series]:
    """(effective indicator weights summing to one, pillar weights)."""
    pillar_of = _pillar_of(spec, treated.columns)
    within = pd.concat(
        [
            _within_weights(treated[cols.index], spec)
            for _, cols in pillar_of.groupby(pillar_of, sort=False)
        ]
    )
    within = within[treated.columns]
    totals = within.groupby(pillar_of).transform("sum")
    empty = sorted(set(pillar_of[totals == 0]))
    _fail([f"the weights within pillar(s) {_names(empty)} sum to zero"] if empty else [])
    within = within / totals
    pillars = list(dict.fromkeys(pillar_of))
    raw = spec.pillar_weights or dict.fromkeys(pillars, 1.0)
    pillar_weights = pd.Series({p: float(raw[p]) for p in pillars}, name="weight")
    pillar_weights = pillar_weights / pillar_weights.sum()
    effective = (within * pillar_of.map(pillar_weights)).rename("weight")
    method = spec.weights if isinstance(spec.weights, str) else "manual"
    for name in treated.columns:
        share = f" ({within[name]:.3f} within {pillar_of[name]})" if spec.pillars else ""
        log.add("weights", name, method, f"{effective[name]:.4f}{share}")
    return effective, pillar_weights


def _aggregate_step(treated, normalised, spec, weights, log) -> tuple[pd.Series, pd.DataFrame]:
    """(index scores, pillar scores)."""
    pillar_of = _pillar_of(spec, normalised.columns)
    method = AGGREGATIONS.get(spec.aggregate)

    def score(columns, rows=slice(None)):
        chosen = treated.loc[rows, columns], normalised.loc[rows, columns]
        return method(*chosen, weights[columns], spec)

    def pillar_score(pillar, columns):
        covered = normalised[columns].notna().any(axis=1)
        if covered.all():
            return score(columns)
        units = _names(normalised.index[~covered])
        log.add("aggregate", pillar, "no score", f"{units}: no indicator of this pillar")
        return score(columns, covered)

    scores = score(list(normalised.columns)).rename("score")
    pillar_scores = pd.DataFrame(
        {
            pillar: pillar_score(pillar, list(cols.index))
            for pillar, cols in pillar_of.groupby(pillar_of, sort=False)
            if spec.pillars
        },
        index=scores.index,
    )
    detail = {"topsis": f"TOPSIS ({spec.topsis_normalise})", "vikor": f"1 - Q (v={spec.vikor_v})",
              "copeland": "wins - losses"}.get(spec.aggregate, "weighted mean")  # fmt: skip
    log.add(
        "aggregate",
        "index",
        spec.aggregate,
        f"{detail} of {normalised.shape[1]} indicators with effective weights",
    )
    return scores, pillar_scores


def _rank_step(scores: pd.Series, log: _Log) -> pd.Series:
    """Ranks within each year (the first index level) of a pooled panel, else over all units."""
    if scores.index.nlevels > 1:
        ranks = scores.groupby(level=0, group_keys=False).apply(rank_scores)
    else:
        ranks = rank_scores(scores)
    log.add("rank", "index", "min", f"{len(ranks)} units, {len(ranks) - ranks.nunique()} tied")
    return ranks


# Each step: (state, spec, log) -> its output; state holds the outputs of the steps before it.
_STEP_FUNCTIONS = {
    "screen": lambda s, spec, log: _screen(s["data"], spec, log),
    "impute": lambda s, spec, log: _impute(s["screen"], spec, log),
    "outliers": lambda s, spec, log: OUTLIER_RULES.get(spec.outliers)(s["impute"], spec, log),
    "normalise": lambda s, spec, log: _normalised(s["outliers"], spec, log),
    "weights": lambda s, spec, log: _weights_step(s["outliers"], spec, log),
    "aggregate": lambda s, spec, log: _aggregate_step(
        s["outliers"], s["normalise"], spec, s["weights"][0], log
    ),
    "rank": lambda s, spec, log: _rank_step(s["aggregate"][0], log),
}


def _run(state: dict, spec: IndexSpec, year, steps) -> dict:
    """``state`` with ``steps`` (re)run, their old outputs and log rows replaced."""
    steps = list(steps)
    state = {k: v for k, v in state.items() if k not in steps}
    state["log"] = [row for row in state.get("log", []) if row["step"] not in steps]
    log = _Log(year, state["log"])
    for step in steps:
        state[step] = _STEP_FUNCTIONS[step](state, spec, log)
    return state


def _replay(parts: dict, spec: IndexSpec, start: str) -> dict:
    """Run the steps from ``start`` on every year's state (and the pooled one, across years)."""
    later = STEPS[STEPS.index(start) :]
    pooled = spec.across_years and None not in parts["years"]
    per_year = [s for s in later if not pooled or s in ("screen", "impute")]
    years = {year: _run(state, spec, year, per_year) for year, state in parts["years"].items()}
    if not pooled:
        return {"years": years, "pooled": None}
    if per_year or parts["pooled"] is None:
        keys = list(years)
        imputed = pd.concat([years[y]["impute"] for y in keys], keys=keys, names=[spec.year])
        state = {"impute": imputed, "log": []}
        rest = STEPS[STEPS.index("outliers") :]
    else:
        state, rest = parts["pooled"], later
    return {"years": years, "pooled": _run(state, spec, "all years", rest)}
