"""Heterogeneity by group (or region) and mechanism (channel) regressions.

:func:`heterogeneity` gives the TWFE effect in each group from a separate fit on that group's
units (own unit and year effects, as the field's split-sample tables), and tests that the
effects are equal in one interaction model: unit and year effects, the treatment, the treatment
times each group but the first, and the controls, clustered by unit; the F test (G - 1
denominator df) that every interaction is zero. :func:`mechanisms` is the TWFE effect on each
channel variable.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from innostudy.policy._results import Result, WaldTest
from innostudy.policy.panel import Panel, PanelError
from innostudy.policy.regression import TWFEResult, fe_ols, twfe
from innostudy.results import Summary, count, finish, format_value

# National Bureau of Statistics, 东西中部和东北地区划分方法 (stats.gov.cn, 13 June 2011): the
# four economic regions by province.
REGIONS = {
    "east": ("beijing", "tianjin", "hebei", "shanghai", "jiangsu", "zhejiang", "fujian",
             "shandong", "guangdong", "hainan"),
    "central": ("shanxi", "anhui", "jiangxi", "henan", "hubei", "hunan"),
    "west": ("inner_mongolia", "guangxi", "chongqing", "sichuan", "guizhou", "yunnan", "xizang",
             "shaanxi", "gansu", "qinghai", "ningxia", "xinjiang"),
    "north-east": ("liaoning", "jilin", "heilongjiang"),
}  # fmt: skip


def region_of(entity_ids) -> pd.Series:
    """NBS region (east, central, west, north-east) of each city from its province.

    The National Bureau of Statistics' division (东西中部和东北地区划分方法, 2011): east 10
    provinces, central 6, west 12, north-east 3; provinces from :mod:`innostudy.entities`.
    Cities with no known province (or Hong Kong, Macao, Taiwan) get NaN.

    >>> region_of(["jiaxing", "wuhu", "chengdu", "haerbin"]).tolist()
    ['east', 'central', 'west', 'north-east']
    """
    from innostudy.entities import gazetteer

    province = gazetteer().table.set_index("entity_id")["province"]
    by_province = {p: region for region, members in REGIONS.items() for p in members}
    ids = pd.Series(list(entity_ids))
    return ids.map(province).map(by_province).set_axis(ids)


def _effect_bars(table: pd.DataFrame, ax):
    """Draw each row's estimate with its interval (one row per y position) and a zero line.
    Returns the Axes and the y positions, for the caller's labels."""
    from innostudy.results import axes

    ax = axes(ax, figsize=(6, 0.6 * len(table) + 1.5))
    pos = np.arange(len(table))
    err = np.vstack([table.estimate - table.conf_low, table.conf_high - table.estimate])
    ax.errorbar(table.estimate, pos, xerr=err, fmt="o", capsize=3)
    ax.axvline(0, color="grey", lw=0.8)
    return ax, pos


class HeterogeneityResult(Result):
    """Result of :func:`heterogeneity`: one TWFE fit per group and the equality test."""

    def __init__(self, fits: dict, skipped: dict, test: WaldTest | None, *, y, by, simulated):
        self.fits, self.skipped, self.test, self.y, self.by = fits, skipped, test, y, by
        self.simulated = simulated

    def _headline(self) -> str:
        return f"{self.y} by {self.by}: {len(self.fits)} groups, equal effects {self.test}"

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per group: the treatment effect in that group's separate TWFE fit."""
        rows = [
            fit.tidy(alpha).iloc[[0]].assign(group=group, nobs=fit.nobs)
            for group, fit in self.fits.items()
        ]
        table = pd.concat(rows, ignore_index=True).drop(columns="simulated", errors="ignore")
        return self._label(table.assign(term=[f"treated × {g}" for g in self.fits]))

    def summary(self, alpha: float = 0.05) -> Summary:
        notes = [f"{g} not estimated: {why}" for g, why in self.skipped.items()]
        return Summary(
            f"Heterogeneity of the TWFE effect on {self.y} by {self.by}",
            [("groups", len(self.fits)),
             ("equal effects (interaction model, clustered F)", str(self.test or "one group"))],
            [self.tidy(alpha).drop(columns="simulated", errors="ignore")],
            notes, simulated=self.simulated,
        )  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None, alpha: float = 0.05):
        """The effect per group with its confidence interval."""
        table = self.tidy(alpha)
        ax, pos = _effect_bars(table, ax)
        ax.set(yticks=pos, yticklabels=table.group, xlabel=f"effect ({1 - alpha:.0%} interval)")
        if self.test:
            ax.text(0.02, 0.98, f"equal effects: {self.test}", transform=ax.transAxes,
                    va="top", fontsize=8)  # fmt: skip
        return finish(ax, f"Effect of treatment on {self.y} by {self.by}" if title is None
                      else title, self.simulated)  # fmt: skip


def _groups(panel: Panel, by: str) -> pd.Series:
    """The group of each row: a column constant within units, or the NBS region."""
    data = panel.data
    if by == "region":
        return region_of(data[panel.unit]).set_axis(data.index)
    if by not in data.columns:
        raise PanelError(f"column {by!r} not in the panel (or by='region')")
    varying = data.groupby(panel.unit)[by].nunique()
    if (varying > 1).any():
        raise PanelError(f"{by!r} varies within unit(s) {list(varying.index[varying > 1])[:10]}; "
                         "heterogeneity needs one group per unit")  # fmt: skip
    return data[by]


def heterogeneity(panel: Panel, y: str, by: str, *, controls=()) -> HeterogeneityResult:
    """The TWFE effect per group of ``by`` (a column constant within units, or ``"region"``:
    the NBS east / central / west / north-east regions from each city's province) and an F test
    that the effects are equal.

    >>> from innostudy.policy import Panel, heterogeneity, simulate_panel
    >>> df = simulate_panel(seed=1)
    >>> df["size"] = (df["unit"].str[-1].astype(int) % 2).map({0: "small", 1: "large"})
    >>> het = heterogeneity(Panel(df, "unit", "year", "cohort"), "y", "size")
    >>> sorted(het.fits)
    ['large', 'small']
    """
    controls = list(controls)
    panel.sample(y, controls)  # refuses ±inf as every estimator does, before a group hides it
    group = _groups(panel, by)
    if group.isna().all():
        raise PanelError(f"no unit has a {by!r} (region needs entity ids of cities)")
    fits, skipped = {}, {}
    for name in sorted(group.dropna().unique(), key=str):
        rows = panel.data[group == name].reset_index(drop=True)
        try:
            sub = Panel(rows, panel.unit, panel.time, panel.cohort_column)
            fits[name] = twfe(sub, y, controls)
        except PanelError as reason:
            skipped[name] = str(reason)
    test = None
    if len(fits) > 1:
        data = panel.data.assign(_group=group)[group.isin(list(fits))].reset_index(drop=True)
        full = Panel(data, panel.unit, panel.time, panel.cohort_column)
        sample = full.sample(y, controls)
        per_unit = data.groupby(panel.unit)["_group"].first()
        labels = per_unit.reindex(sample.unit_labels).to_numpy()[sample.unit_codes]
        d = sample.treated
        inter = [d * (labels == g) for g in list(fits)[1:]]
        X = np.column_stack([d, *inter, *[sample.column(c) for c in controls]])
        names = ["treated", *[f"treated × {g}" for g in list(fits)[1:]], *controls]
        fit = fe_ols(sample, sample.column(y), X, names, "unit")
        q = slice(1, len(fits))
        test = WaldTest.of(fit.params[q], fit.vcov[q, q], fit.n_clusters - 1,
                           max_rank=fit.n_clusters - 1)  # fmt: skip
    if not fits:
        raise PanelError(f"no group of {by!r} could be estimated: {skipped}")
    return HeterogeneityResult(fits, skipped, test, y=y, by=by, simulated=panel.simulated)


class MechanismResult(Result):
    """Result of :func:`mechanisms`: the TWFE effect on each channel variable."""

    def __init__(self, fits: dict[str, TWFEResult], skipped: dict, simulated: bool):
        self.fits, self.skipped, self.simulated = fits, skipped, simulated

    def _headline(self) -> str:
        parts = [f"{c} {f.params['treated']:.3f}" for c, f in self.fits.items()]
        return f"{count(len(self.fits), 'channels')}: " + ", ".join(parts)

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per channel: the treatment's TWFE effect on it."""
        rows = [
            f.tidy(alpha).iloc[[0]].assign(outcome=c, nobs=f.nobs) for c, f in self.fits.items()
        ]
        table = pd.concat(rows, ignore_index=True).drop(columns="simulated", errors="ignore")
        return self._label(table)

    def summary(self, alpha: float = 0.05) -> Summary:
        return Summary(
            "Mechanisms: the TWFE effect of treatment on each channel",
            [("channels", ", ".join(self.fits))],
            [self.tidy(alpha).drop(columns="simulated", errors="ignore")],
            [f"{c} not estimated: {why}" for c, why in self.skipped.items()],
            simulated=self.simulated,
        )  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None, alpha: float = 0.05):
        """The effect on each channel with its interval (channels are on their own scales)."""
        table = self.tidy(alpha)
        ax, pos = _effect_bars(table, ax)
        labels = [
            f"{o} ({format_value(e)})" for o, e in zip(table.outcome, table.estimate, strict=True)
        ]
        ax.set(yticks=pos, yticklabels=labels, xlabel=f"effect ({1 - alpha:.0%} interval)")
        return finish(ax, "Mechanisms" if title is None else title, self.simulated)


def mechanisms(panel: Panel, outcomes, *, controls=()) -> MechanismResult:
    """The TWFE effect of treatment on each channel variable in ``outcomes``, one fit each.

    >>> from innostudy.policy import Panel, mechanisms, simulate_panel
    >>> panel = Panel(simulate_panel(seed=1), "unit", "year", "cohort")
    >>> list(mechanisms(panel, ["y", "x"]).tidy()["outcome"])
    ['y', 'x']
    """
    outcomes = list(outcomes)
    if not outcomes:
        raise ValueError("mechanisms needs at least one channel variable")
    fits, skipped = {}, {}
    for name in outcomes:
        try:
            fits[name] = twfe(panel, name, [c for c in controls if c != name])
        except PanelError as reason:
            skipped[name] = str(reason)
    if not fits:
        raise PanelError(f"no channel could be estimated: {skipped}")
    return MechanismResult(fits, skipped, panel.simulated)
