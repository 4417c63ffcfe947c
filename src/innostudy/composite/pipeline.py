"""The pipeline: :func:`build` runs the named steps of :data:`~innostudy.composite.spec.STEPS` over
an entity x indicator table and returns a :class:`CompositeIndex` that keeps every step's output
and its log. The log is a recipe: ``index.recipe`` lists each step with the choices it read, and
``index.rebuild(from_step=..., **changes)`` replays the steps from the first one a change affects,
reusing the outputs of the steps before it (the result equals a fresh build of the changed spec).
``index.remove_one()`` (in :mod:`innostudy.composite.removal`) drops each indicator in turn.
The step functions and their log are in :mod:`innostudy.composite.steps`.

>>> t = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]}, index=["x", "y", "z"])
>>> index = build(t, directions={"a": 1, "b": 1}, outliers="none")
>>> index.rebuild(from_step="weights", weights={"a": 3, "b": 1}).ranks.to_dict()
{'x': 3, 'y': 2, 'z': 1}
>>> index.recipe.loc[4].tolist()
['weights', {'weights': 'equal', 'pillars': None, 'pillar_weights': None}]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from innostudy.composite.aggregation import cronbach_alpha
from innostudy.composite.base import (
    CompositeInputError,
    _names,
    rank_scores,
)
from innostudy.composite.spec import STEP_FIELDS, STEPS, IndexSpec, first_step
from innostudy.composite.steps import (
    LOG_COLUMNS,
    _check_table,
    _pillar_of,
    _replay,
)
from innostudy.results import Result, Summary, axes, check_alpha, finish

if TYPE_CHECKING:
    from innostudy.composite.removal import RemoveOne


def build(table: pd.DataFrame, spec: IndexSpec | None = None, **changes) -> CompositeIndex:
    """Build a composite index from a units x indicators table; keyword arguments change the spec.

    A table with a ``spec.year`` column is a panel: each year is built separately, or with
    ``across_years=True`` normalised (and weighted, aggregated) over all years together.

    >>> t = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]}, index=["x", "y", "z"])
    >>> build(t, directions={"a": 1, "b": 1}).ranks.to_dict()
    {'x': 2, 'y': 3, 'z': 1}
    """
    spec = (spec or IndexSpec()).replace(**changes)
    _check_table(table, spec)
    if spec.year in table.columns:
        years = {
            year: {"data": frame.drop(columns=spec.year)}
            for year, frame in table.groupby(spec.year, sort=True)
        }
    else:
        years = {None: {"data": table}}
    parts = _replay({"years": years, "pooled": None}, spec, "screen")
    return CompositeIndex._assemble(spec, table, parts)


_OUTPUTS = (
    "treated",
    "normalised",
    "weights",
    "pillar_weights",
    "pillar_scores",
    "scores",
    "ranks",
)


def _outputs(state: dict) -> dict:
    weights, pillar_weights = state["weights"]
    scores, pillar_scores = state["aggregate"]
    return {"treated": state["outliers"], "normalised": state["normalise"], "weights": weights,
            "pillar_weights": pillar_weights, "pillar_scores": pillar_scores, "scores": scores,
            "ranks": state["rank"]}  # fmt: skip


@dataclass(frozen=True, eq=False, repr=False)
class CompositeIndex(Result):
    """A built composite index: every intermediate table, the weights, scores, ranks and the log.

    For a panel, each table's index starts with the year; ``for_year(y)`` gives one year's index.
    """

    spec: IndexSpec
    data: pd.DataFrame
    treated: pd.DataFrame
    normalised: pd.DataFrame
    weights: pd.Series
    pillar_weights: pd.Series
    pillar_scores: pd.DataFrame
    scores: pd.Series
    ranks: pd.Series
    log: pd.DataFrame
    simulated: bool = False
    _parts: dict | None = field(default=None, compare=False)

    @classmethod
    def _assemble(cls, spec: IndexSpec, table: pd.DataFrame, parts: dict) -> CompositeIndex:
        years, pooled = parts["years"], parts["pooled"]
        rows = [row for state in years.values() for row in state["log"]]
        rows += pooled["log"] if pooled else []
        log = pd.DataFrame(rows, columns=LOG_COLUMNS)
        if None in years:
            out = _outputs(years[None])
            log = log.drop(columns="year")
        elif pooled:
            out = _outputs(pooled)
            for name in ("weights", "pillar_weights"):  # one set for every year
                out[name] = pd.concat(dict.fromkeys(years, out[name]), names=[spec.year])
        else:
            each = {year: _outputs(state) for year, state in years.items()}
            out = {
                name: pd.concat({year: o[name] for year, o in each.items()}, names=[spec.year])
                for name in _OUTPUTS
            }
        simulated = bool(table.attrs.get("simulated", False))
        return cls(spec=spec, data=table.copy(), log=log, simulated=simulated, _parts=parts, **out)

    @property
    def is_panel(self) -> bool:
        return self.spec.year in self.data.columns

    @property
    def recipe(self) -> pd.DataFrame:
        """The steps in order, each with the choices it read (what :meth:`rebuild` replays)."""
        spec = self.spec
        return pd.DataFrame(
            {"step": list(STEPS),
             "parameters": [{f: getattr(spec, f) for f in STEP_FIELDS[s]} for s in STEPS]}
        )  # fmt: skip

    def rebuild(self, from_step: str | None = None, **changes) -> CompositeIndex:
        """The index with some choices changed, replaying the steps from ``from_step`` (by default
        the first step a change affects) and reusing the outputs of the steps before it:
        ``index.rebuild(weights="pca")`` recomputes weights, aggregation and ranks only. Equal to
        ``build(index.data, index.spec.replace(**changes))``.
        """
        needed = first_step(changes) if changes else "rank"
        spec = self.spec.replace(**changes)
        start = from_step or needed
        if start not in STEPS:
            raise CompositeInputError(f"from_step={start!r} is not one of {_names(STEPS)}")
        if STEPS.index(start) > STEPS.index(needed):
            raise CompositeInputError(
                f"changing {_names(sorted(changes))} needs a replay from {needed!r}: from_step="
                f"{start!r} would reuse outputs that depend on it"
            )
        if start == "screen" or self._parts is None:
            return build(self.data, spec)
        _check_table(self.data, spec)
        return CompositeIndex._assemble(spec, self.data, _replay(self._parts, spec, start))

    def for_year(self, year) -> CompositeIndex:
        """One year of a panel index (without rebuilding: the same numbers)."""
        if not self.is_panel:
            raise CompositeInputError("for_year() needs a panel index (a table with a year column)")
        if year not in self.scores.index.get_level_values(0):
            raise CompositeInputError(
                f"no year {year!r}; years are {_names(self.scores.index.unique(0))}"
            )
        data = self.data[self.data[self.spec.year] == year].drop(columns=self.spec.year)
        parts = {name: getattr(self, name).xs(year, level=0) for name in _OUTPUTS}
        log = self.log[self.log["year"] == year].drop(columns="year").reset_index(drop=True)
        return CompositeIndex(spec=self.spec, data=data, log=log, simulated=self.simulated, **parts)

    def _single(self, what: str) -> None:
        if self.is_panel:
            raise CompositeInputError(f"{what} works on one year: use index.for_year(year).{what}")

    def _headline(self) -> str:
        units = self.scores.index.get_level_values(-1).nunique()
        years = f" x {self.scores.index.nunique() // max(units, 1)} years" if self.is_panel else ""
        weights = self.spec.weights if isinstance(self.spec.weights, str) else "manual"
        return (
            f"{units} units{years} x {self.normalised.shape[1]} indicators, "
            f"{self.spec.normalise}, {weights} weights, {self.spec.aggregate}"
        )

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per unit and component ("index" or a pillar): score and rank (1 = best).
        ``alpha`` is accepted for the protocol; a built index has no intervals (see uncertainty)."""
        check_alpha(alpha)
        levels = ([self.spec.year] if self.is_panel else []) + ["entity_id"]
        frames = [self.scores.rename("score").to_frame().assign(component="index", rank=self.ranks)]
        for pillar in self.pillar_scores.columns:
            scores = self.pillar_scores[pillar]
            present = scores.dropna()
            ranks = (
                present.groupby(level=0, group_keys=False).apply(rank_scores)
                if self.is_panel
                else rank_scores(present)
            )
            frames.append(
                scores.rename("score")
                .to_frame()
                .assign(component=pillar, rank=ranks.reindex(scores.index).astype("Int64"))
            )
        tidy = pd.concat(frames).rename_axis(levels).reset_index()
        return tidy[[*levels, "component", "score", "rank"]]

    def summary(self, alpha: float = 0.05) -> Summary:
        """The choices, what the steps did, and the ranking (top 20 rows)."""
        check_alpha(alpha)
        s = self.spec
        n_pillars = self.pillar_weights.index.get_level_values(-1).nunique()
        units = self.scores.index.get_level_values(-1).nunique()
        title = (
            f"Composite index: {units} units x {self.normalised.shape[1]} indicators"
            + (f" in {n_pillars} pillars" if s.pillars else "")
            + (f", years {_names(self.scores.index.unique(0))}" if self.is_panel else "")
        )
        header = [
            ("impute", s.impute), ("outliers", s.outliers), ("normalise", s.normalise),
            ("weights", s.weights if isinstance(s.weights, str) else "manual"),
            ("aggregate", s.aggregate),
        ]  # fmt: skip
        if self.is_panel:
            header.append(("normalised", "across years" if s.across_years else "within each year"))
        counts = self.log.groupby(["step", "action"], sort=False).size()
        steps = pd.DataFrame(
            [(step, action, n) for (step, action), n in counts.items()],
            columns=["step", "action", "count"],
        )
        ranked = (
            self.tidy(alpha)
            .query("component == 'index'")
            .sort_values([*([s.year] if self.is_panel else []), "rank"])
            .drop(columns="component")
        )
        tables = [("what the steps did", steps), ("ranking (first 20 rows)", ranked.head(20))]
        return Summary(title, header, tables, simulated=self.simulated)

    def contributions(self) -> pd.DataFrame:
        """Each pillar's (or, for a flat index, each indicator's) share of an arithmetic score."""
        self._single("contributions()")
        if self.spec.aggregate != "arithmetic":
            raise CompositeInputError(
                "contributions add up to the score only for arithmetic aggregation, "
                f"not {self.spec.aggregate}"
            )
        x = self.normalised
        weighted = (
            x.mul(self.weights).div(x.notna().mul(self.weights).sum(axis=1), axis=0).fillna(0.0)
        )
        if not self.spec.pillars:
            return weighted
        return (
            weighted.T.groupby(_pillar_of(self.spec, x.columns))
            .sum()
            .T[list(self.pillar_weights.index)]
        )

    def correlations(self) -> pd.DataFrame:
        """Pearson correlations of the normalised indicators, pillar scores and the index score."""
        self._single("correlations()")
        return pd.concat(
            [self.normalised, self.pillar_scores, self.scores.rename("index")], axis=1
        ).corr()

    def cronbach_alpha(self) -> pd.DataFrame:
        """Cronbach's alpha per pillar (and for all indicators), on the normalised values of units
        with complete data; a pillar of one indicator has none."""
        self._single("cronbach_alpha()")
        pillar_of = _pillar_of(self.spec, self.normalised.columns)
        groups = [("all indicators", list(self.normalised.columns))] + (
            [
                (pillar, list(cols.index))
                for pillar, cols in pillar_of.groupby(pillar_of, sort=False)
            ]
            if self.spec.pillars
            else []
        )
        rows = []
        for name, columns in groups:
            complete = self.normalised[columns].dropna()
            alpha = cronbach_alpha(complete) if len(columns) > 1 and len(complete) > 1 else math.nan
            rows.append(
                {
                    "component": name,
                    "indicators": len(columns),
                    "units": len(complete),
                    "alpha": alpha,
                }
            )
        return pd.DataFrame(rows)

    def plot(self, ax=None, *, kind: str | None = None, top: int | None = None, title=None):
        """Bar chart of the index: stacked contributions by pillar ("contributions", the default for
        arithmetic aggregation; negative ones stacked left of 0, the score marked) or the scores
        ("scores"). Returns the matplotlib Axes."""
        import seaborn as sns

        self._single("plot()")
        kind = kind or ("contributions" if self.spec.aggregate == "arithmetic" else "scores")
        if kind not in ("contributions", "scores"):
            raise CompositeInputError(f"kind={kind!r} is not 'contributions' or 'scores'")
        order = self.ranks.sort_values(kind="stable").index[:top]
        ax = axes(ax, figsize=(7, 0.25 * len(order) + 1.5))
        if kind == "scores":
            data = pd.DataFrame({"unit": order, "score": self.scores[order].to_numpy()})
            sns.barplot(data=data, y="unit", x="score", color=sns.color_palette()[0], ax=ax)
        else:
            parts = self.contributions().loc[order]
            labels = list(order.astype(str))
            above, below = np.zeros(len(parts)), np.zeros(len(parts))  # stacks right and left of 0
            colours = sns.color_palette(n_colors=parts.shape[1])
            for colour, column in zip(colours, parts.columns, strict=True):
                values = np.nan_to_num(parts[column].to_numpy(float))
                left = np.where(values >= 0, above, below)
                ax.barh(labels, values, left=left, color=colour, label=column)
                above, below = above + values.clip(min=0), below + values.clip(max=0)
            if (below < 0).any():  # negative parts pull the score left of the bar's end
                ax.axvline(0, color="black", lw=0.8)
                ax.plot(parts.sum(axis=1).to_numpy(), labels, "|", color="black", ms=8,
                        label="score")  # fmt: skip
            ax.invert_yaxis()
            ax.legend(title="pillar" if self.spec.pillars else "indicator", fontsize="small",
                      loc="lower right")  # fmt: skip
            ax.set_xlabel("contribution to the score")
        ax.set_ylabel("")
        return finish(ax, "Composite index" if title is None else title, self.simulated)

    def remove_one(self, level: str = "indicator") -> RemoveOne:
        """How ranks move when each indicator (or pillar) is dropped and the index rebuilt with the
        same choices (COINr's remove-one sensitivity): a :class:`RemoveOne` result."""
        from innostudy.composite.removal import remove_one

        self._single("remove_one()")
        return remove_one(self, level)
