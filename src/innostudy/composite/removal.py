"""Remove-one sensitivity (as COINr's): how ranks move when each indicator, or each pillar, is
dropped and the index rebuilt with the same choices.

>>> import innostudy.composite as cp
>>> table, spec = cp.simulated_table(n_units=8, n_indicators=4, n_pillars=2, seed=1)
>>> result = cp.build(table, spec).remove_one("indicator")
>>> result.tidy().columns.tolist(), len(result.shifts)
(['unit', 'removed', 'rank', 'rank_shift'], 4)
"""

from __future__ import annotations

import pandas as pd

from innostudy.composite.base import CompositeInputError
from innostudy.composite.pipeline import CompositeIndex, build
from innostudy.composite.spec import IndexSpec
from innostudy.composite.steps import _pillar_of
from innostudy.results import Result, Summary, axes, check_alpha, finish


def remove_one(index: CompositeIndex, level: str = "indicator") -> RemoveOne:
    """Rebuild ``index`` without each indicator (``level="indicator"``) or pillar in turn."""
    pillar_of = _pillar_of(index.spec, index.normalised.columns)
    if level == "indicator":
        groups = {name: [name] for name in index.normalised.columns}
    elif level == "pillar" and index.spec.pillars:
        groups = {p: list(cols.index) for p, cols in pillar_of.groupby(pillar_of, sort=False)}
    else:
        raise CompositeInputError(
            f"level={level!r}: use 'indicator', or 'pillar' for an index with pillars"
        )
    if len(groups) < 2:
        raise CompositeInputError(f"only one {level}: nothing is left when it is removed")
    rows = []
    for removed, columns in groups.items():
        kept = [c for c in index.data.columns if c not in columns]
        ranks = build(index.data[kept], _without(index.spec, columns)).ranks
        ranks = ranks.reindex(index.ranks.index)
        rows.append(pd.DataFrame({"unit": index.ranks.index, "removed": removed,
                                  "rank": ranks.to_numpy(),
                                  "rank_shift": (ranks - index.ranks).to_numpy()}))  # fmt: skip
    tidy = pd.concat(rows, ignore_index=True)
    return RemoveOne(tidy=tidy, level=level, simulated=index.simulated)


def _without(spec: IndexSpec, columns) -> IndexSpec:
    """The spec with the choices keyed by the removed indicators (and emptied pillars) dropped."""
    changes = {}
    if isinstance(spec.weights, dict):
        changes["weights"] = {k: v for k, v in spec.weights.items() if k not in columns}
    if spec.pillars:
        changes["pillars"] = {k: v for k, v in spec.pillars.items() if k not in columns}
        if spec.pillar_weights:
            left = set(changes["pillars"].values())
            changes["pillar_weights"] = {k: v for k, v in spec.pillar_weights.items() if k in left}
    return spec.replace(**changes)


class RemoveOne(Result):
    """Ranks after removing each indicator (or pillar) in turn: ``tidy()`` has one row per unit and
    removal (unit, removed, rank, rank_shift: positive = a worse rank than the full index);
    ``shifts`` the mean absolute rank shift per removal, largest first."""

    def __init__(self, tidy: pd.DataFrame, level: str, simulated: bool = False):
        self._tidy, self.level, self.simulated = tidy, level, simulated
        self.shifts = (
            tidy.assign(abs_shift=tidy["rank_shift"].abs())
            .groupby("removed", sort=False)["abs_shift"]
            .mean()
            .rename("mean_abs_rank_shift")
            .sort_values(ascending=False, kind="stable")
            .reset_index()
        )

    def _headline(self) -> str:
        top = self.shifts.iloc[0]
        return (
            f"{len(self.shifts)} {self.level}s removed one at a time; largest mean absolute rank "
            f"shift {top['mean_abs_rank_shift']:.2f} places ({top['removed']})"
        )

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        check_alpha(alpha)
        return self._tidy.copy()

    def summary(self, alpha: float = 0.05) -> Summary:
        check_alpha(alpha)
        units = self._tidy["unit"].nunique()
        title = f"Remove-one sensitivity: {len(self.shifts)} {self.level}s, {units} units"
        return Summary(title, [("level", self.level)], [("mean absolute rank shift", self.shifts)],
                       ["rank_shift = rank without it - rank of the full index"],
                       simulated=self.simulated)  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None):
        """Mean absolute rank shift per removal, as horizontal bars. Returns the Axes."""
        ax = axes(ax, figsize=(6, 0.3 * len(self.shifts) + 1.5))
        ax.barh(self.shifts["removed"].astype(str), self.shifts["mean_abs_rank_shift"])
        ax.invert_yaxis()
        ax.set_xlabel(f"mean absolute rank shift when the {self.level} is removed")
        default = f"Remove one {self.level} at a time"
        return finish(ax, default if title is None else title, self.simulated)
