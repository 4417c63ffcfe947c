"""Prefecture-level divisions over time: the cited table of changes since 2000, and harmonising a
city panel to one map (its *vintage*).

>>> laiwu = changes().set_index("change_id").loc["laiwu_2019"]
>>> laiwu.date, laiwu.kind, laiwu.old_name_zh, laiwu.old_adcode, laiwu.successor_ids
('2019-01-09', 'merged', '莱芜市', '371200', 'jinan')

The table is ``data/divisions.csv`` (codebook in data/README.md): one row per change of a
prefecture-level unit (renamed, recoded, prefecture_to_city, merged, split, abolished,
established), dated and cited to the State Council approval that made it. The package ships it as
``innostudy/data/divisions.csv`` with what resolving and reporting need joined in (the year, the
entity id of the unit, its English name, province, and a readable citation); :func:`build_table`
makes that file from ``data/`` and a test checks the shipped one is what it builds.

**Years.** A change approved in year Y holds for the whole of year Y: the map of a year is the map
at its end, as in the statistical yearbooks (莱芜市, merged into 济南市 in January 2019, has no 2019
row; 巢湖市, split in July 2011, has none for 2011). Its last year as a unit is Y - 1.

Why this data: no package on PyPI that we found ships a cited change log of prefecture-level units.
jionlp 1.5.31 (Apache 2.0, already the source of the gazetteer) ships ``china_location_change.txt``:
dated changes, county-level since 2018 plus two prefecture-level ones (柳州地区 2002, 襄樊 2010); a
test cross-checks those, and today's codes and names, against this table. cpca 0.5.5 (MIT) ships
``adcodes.csv``, a snapshot of codes from before 2021 (still with 莱芜市 371200 and 那曲地区 542400,
as here) and no changes, so it is not a dependency. The table itself is typed from the State
Council's approvals, one source row each.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from innostudy import paths
from innostudy.errors import InnostudyError
from innostudy.results import Result, Summary, axes, check_alpha, finish

DIVISIONS_CSV = paths.PACKAGE_DATA / "divisions.csv"
COLUMNS = (
    "change_id", "date", "kind", "old_name_zh", "old_adcode", "new_name_zh", "new_adcode",
    "successor_ids", "source_id", "locator", "note",
)  # fmt: skip
KINDS = (
    "renamed", "recoded", "prefecture_to_city", "merged", "split", "abolished", "established",
)  # fmt: skip
SAME_UNIT = ("renamed", "recoded", "prefecture_to_city")  # the unit goes on under its entity id
ENDS = ("merged", "split", "abolished")  # the unit ends; its area went to ``successor_ids``
ACTIONS = ("kept", "dropped", "summed_into")
FIRST_YEAR = 2000  # the table covers changes from this year on


class DivisionsError(InnostudyError, ValueError):
    """A panel that cannot be harmonised as asked (missing columns, repeated keys, bad years)."""


@functools.lru_cache(maxsize=1)
def _shipped() -> pd.DataFrame:
    table = pd.read_csv(DIVISIONS_CSV, dtype=str, keep_default_na=False)
    return table.astype({"year": int})


def changes(since: int | None = None) -> pd.DataFrame:
    """The changes of prefecture-level units, oldest first, from year ``since`` on (all by default).

    >>> changes(since=2019)[["change_id", "kind", "old_name_zh", "successor_ids"]]
           change_id    kind old_name_zh successor_ids
    0  laiwu_2019  merged        莱芜市         jinan
    """
    table = _shipped()
    if since is not None:
        table = table[table["year"] >= since]
    return table.reset_index(drop=True).copy()


# --- harmonising a panel ------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Harmonised(Result):
    """A panel on one map: ``data`` (the new frame), ``changes`` (one row per unit and action:
    entity_id, name, change, years, rows, action, reason) and the ``vintage`` it is on."""

    data: pd.DataFrame
    changes: pd.DataFrame
    vintage: int
    rows_in: int

    @property
    def simulated(self) -> bool:
        """True when the panel carries a ``simulated`` column that is True."""
        return "simulated" in self.data.columns and bool(self.data["simulated"].any())

    def _headline(self) -> str:
        return (f"to the {self.vintage} map, {self.rows_in:,} rows in, {len(self.data):,} out, "
                f"{len(self.changes)} unit change(s)")  # fmt: skip

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per unit and action (:attr:`changes`); ``alpha`` is checked, otherwise unused."""
        check_alpha(alpha)
        return self.changes.reset_index(drop=True)

    def summary(self, alpha: float = 0.05) -> Summary:
        """What was done: the row counts, then one row per unit changed."""
        check_alpha(alpha)
        rows = self.changes.groupby("action")["rows"].sum()
        columns = ["entity_id", "name", "years", "action", "rows", "change", "reason"]
        return Summary(
            f"Harmonised to the {self.vintage} map: {self.rows_in} rows in, {len(self.data)} out "
            f"({rows.get('dropped', 0)} dropped, {rows.get('summed_into', 0)} summed into "
            "successors).",
            [],
            [("units changed", self.changes[columns])],
            simulated=self.simulated,
        )

    def plot(self, ax=None, *, title: str | None = None):
        """Rows per unit changed, one bar each, coloured by what was done with them."""
        table = self.changes.reset_index(drop=True)
        ax = axes(ax, figsize=(7, 0.35 * len(table) + 1.2))
        colours = {action: f"C{i}" for i, action in enumerate(ACTIONS)}
        for action in ACTIONS:
            part = table[table["action"] == action]
            if len(part):
                ax.barh(part.index, part["rows"], color=colours[action], label=action)
        ax.set_yticks(range(len(table)), table["entity_id"] + " (" + table["years"] + ")")
        ax.invert_yaxis()
        ax.set_xlabel("rows")
        if len(table):
            ax.legend(fontsize=8)
        title = f"Harmonised to the {self.vintage} map" if title is None else title
        return finish(ax, title, self.simulated)


def harmonise(
    frame: pd.DataFrame,
    *,
    entity: str = "entity_id",
    time: str = "year",
    vintage: int | None = None,
    additive=(),
) -> Harmonised:
    """Put a panel of prefecture-level units on the map of year ``vintage`` (today's by default:
    every change in the table).

    ``frame`` has one row per unit and year, its ``entity`` column holding entity ids resolved by
    year (:func:`innostudy.entities.resolve_many` with ``year=``). The rules, for each change
    dated up to the vintage:

    * renamed, recoded, 地区 -> 市: already one unit (one entity id for all its names); kept.
    * merged or split: the unit's rows are dropped, with the reason, because its successor's
      earlier rows cover a smaller area. Exception: a unit merged wholly into one successor has the
      columns named in ``additive`` (counts, totals: never rates or per-capita figures) summed into
      the successor's row of the same year (a sum with a missing part is missing); its other
      columns are dropped with it, and a year with no successor row is dropped. A split unit is
      always dropped: no rule apportions it. Rows dated after a unit ended are dropped.
    * the successor is kept and listed: its rows before the change cover a smaller area, unless
      its additive columns were summed.

    ``.changes`` lists every unit touched; no row is lost silently: rows in = rows out + the
    rows dropped or summed.

    Laiwu merged into Jinan in 2019 (simulated figures):

    >>> panel = pd.DataFrame({"entity_id": ["jinan", "laiwu", "jinan", "hefei", "chaohu"],
    ...                       "year": [2018, 2018, 2019, 2010, 2010],
    ...                       "gdp": [7856.6, 1005.7, 9443.4, 3066.0, 851.7]})
    >>> out = harmonise(panel, additive=["gdp"])
    >>> out.data
      entity_id  year     gdp
    0     jinan  2018  8862.3
    2     jinan  2019  9443.4
    3     hefei  2010  3066.0
    >>> out.changes[["entity_id", "years", "rows", "action"]]
      entity_id  years  rows       action
    0    chaohu   2010     1      dropped
    1     hefei   2010     1         kept
    2     jinan   2018     1         kept
    3     laiwu   2018     1  summed_into
    """
    _check_panel(frame, entity, time, additive)
    index, frame = frame.index, frame.reset_index(drop=True)  # row labels may repeat
    table = changes()
    vintage = int(table["year"].max()) if vintage is None else int(vintage)
    years = frame[time].astype(int)
    data = frame.copy()
    records: list[dict] = []
    drop = pd.Series(False, index=frame.index)
    present = set(frame[entity].dropna())
    for change in table[table["unit_id"].isin(present)].itertuples():
        mine = frame[entity] == change.unit_id
        successors = change.successor_ids.split(";")
        base = dict(entity_id=change.unit_id, name=change.old_name_zh or change.new_name_zh,
                    change=f"{change.kind} {change.year}")  # fmt: skip
        if change.year > vintage or change.kind not in ENDS:
            what = _describe(change)
            if change.year > vintage:
                reason = f"{what}; after the {vintage} map, not applied"
            elif change.kind == "established":
                early = (years[mine] < change.year).sum()
                reason = what + (f"; {early} row(s) predate it" if early else "")
            else:
                reason = f"{what}: one unit, one id"
            records.append(base | _span(years[mine]) | dict(action="kept", reason=reason))
            continue
        drop |= mine
        after = mine & (years >= change.year)
        if after.any():
            reason = f"{_describe(change)}: rows dated after it ended"
            records.append(base | _span(years[after]) | dict(action="dropped", reason=reason))
        mine &= ~after
        summed = pd.Series(False, index=frame.index)
        if change.kind == "merged" and len(successors) == 1 and len(additive):
            summed, lost = _sum_into(data, frame, mine, successors[0], entity, time, additive)
            if summed.any():
                reason = (
                    f"{_describe(change)}: {', '.join(additive)} summed into {successors[0]}; "
                    "its other columns dropped"
                )
                if lost:
                    reason += f"; {lost} sum(s) left missing because one part was missing"
                records.append(
                    base | _span(years[summed]) | dict(action="summed_into", reason=reason)
                )
        left = mine & ~summed
        if left.any():
            if change.kind == "split":
                why = "no rule apportions a split unit"
            elif len(additive) and change.kind == "merged":
                why = f"no row of {successors[0]} in the same year to sum into"
            else:
                why = "its successor's earlier rows cover a smaller area; pass additive= to sum"
            reason = f"{_describe(change)}: {why}"
            records.append(base | _span(years[left]) | dict(action="dropped", reason=reason))
    records += _successors(frame, entity, years, table, vintage, additive, present)
    out = pd.DataFrame(records, columns=["entity_id", "name", "change", "years", "rows", "action",
                                         "reason"])  # fmt: skip
    out = out.sort_values(["entity_id", "action"], ignore_index=True)
    data = data[~drop]
    data.index = index[~drop.to_numpy()]
    return Harmonised(data, out, vintage, len(frame))


def _describe(change) -> str:
    """One clause on a change, with its citation."""
    into = change.successor_ids.replace(";", ", ")
    what = {
        "merged": f"{change.old_name_zh} merged into {into} in {change.year}",
        "split": f"{change.old_name_zh} split among {into} in {change.year}",
        "abolished": f"{change.old_name_zh} abolished in {change.year}",
        "established": f"{change.new_name_zh} established as a prefecture-level unit in "
        f"{change.year}",
    }.get(change.kind, f"{change.old_name_zh} -> {change.new_name_zh} in {change.year}")
    return f"{what} (source: {change.citation})"


def _name(entity_id: str) -> str:
    from innostudy import entities

    return entities.gazetteer()._rows[entity_id]["name_zh"]


def _span(years: pd.Series) -> dict:
    if years.empty:
        return dict(years="", rows=0)
    low, high = int(years.min()), int(years.max())
    return dict(years=str(low) if low == high else f"{low}-{high}", rows=int(len(years)))


def _sum_into(data, frame, mine, successor, entity, time, additive) -> tuple[pd.Series, int]:
    """Add the additive columns of the ``mine`` rows to the successor's rows of the same year,
    in ``data``; return which ``mine`` rows were summed (those whose year has a successor row)
    and how many sums are missing where the successor's own value was not."""
    target = frame.index[frame[entity] == successor]
    by_year = pd.Series(target, index=frame.loc[target, time].astype(int))
    source_years = frame.loc[mine, time].astype(int)
    summed = pd.Series(False, index=frame.index)
    hits = source_years[source_years.isin(by_year.index)]
    lost = 0
    for row, year in hits.items():
        own = data.loc[by_year[year], list(additive)]
        total = own + frame.loc[row, list(additive)]
        lost += int((total.isna() & own.notna()).sum())
        data.loc[by_year[year], list(additive)] = total
        summed[row] = True
    return summed, lost


def _successors(frame, entity, years, table, vintage, additive, present) -> list[dict]:
    """A kept row for each successor in the panel whose area grew by a change up to the vintage."""
    records = []
    ended = table[table["kind"].isin(ENDS)]
    for change in ended.itertuples():
        for successor in change.successor_ids.split(";"):
            if successor not in present:
                continue
            mine = frame[entity] == successor
            if change.year > vintage:
                rows, when = mine & (years >= change.year), f"from {change.year} on"
                tail = f"include {change.old_name_zh}'s area, which the {vintage} map separates"
            else:
                rows, when = mine & (years < change.year), f"before {change.year}"
                tail = f"cover a smaller area than the {vintage} map"
                if change.unit_id in present and change.kind == "merged" and len(additive):
                    tail += f" (except {', '.join(additive)}, which include {change.unit_id})"
            if rows.any():
                reason = f"took in part or all of {change.old_name_zh} in {change.year}: rows "
                records.append(
                    dict(entity_id=successor, name=_name(successor), change=f"grew {change.year}")
                    | _span(years[rows])
                    | dict(action="kept", reason=f"{reason}{when} {tail}")
                )
    return records


def _check_panel(frame: pd.DataFrame, entity: str, time: str, additive) -> None:
    if isinstance(additive, str):
        raise DivisionsError(f"additive= takes a list of column names, not the string {additive!r}")
    problems = [f"no column {c!r}" for c in (entity, time, *additive) if c not in frame.columns]
    if problems:
        raise DivisionsError(
            "cannot harmonise: " + "; ".join(problems) + f" (columns: {list(frame.columns)})"
        )
    number = pd.to_numeric(frame[time], errors="coerce")
    bad_time = number.isna() | (number % 1 != 0)
    problems += [f"row {i}: {time} {v!r} is not a year" for i, v in frame[time][bad_time].items()]
    problems += [
        f"column {c!r} is not numeric ({frame[c].dtype}); convert it with innostudy.clean"
        for c in additive
        if not pd.api.types.is_numeric_dtype(frame[c])
    ]
    repeated = frame[frame.duplicated([entity, time], keep=False)]
    problems += [
        f"rows {list(rows.index)}: unit {key[0]!r} repeated in {key[1]}"
        for key, rows in repeated.groupby([entity, time], sort=True)
    ]
    if problems:
        raise DivisionsError("cannot harmonise: " + "; ".join(problems))


# --- building the shipped table (developers only: needs the dev extra) ----------------------------


def build_table(data: str | Path | None = None) -> pd.DataFrame:
    """The rows of ``innostudy/data/divisions.csv``: ``data/divisions.csv`` plus, per change, its
    ``year``, ``old_name_en`` (pinyin of the former name), ``unit_id`` (the entity it is about:
    the successor for a same-unit change or an establishment, a new id for a unit that ended),
    ``unit_name_en``, ``province`` and
    ``citation`` (from ``data/sources.csv``). Ids and English names of ended units are the
    toneless pinyin of their short names, as for the gazetteer (jionlp), with ``_prefecture``
    appended where a city of today has that id. Rebuild after editing data/divisions.csv::

        python -c "from innostudy import divisions as d; \\
            d.build_table().to_csv(d.DIVISIONS_CSV, index=False)"
    """
    import jionlp

    from innostudy import entities
    from innostudy.dataset import DATA_DIR

    folder = Path(data) if data is not None else DATA_DIR
    table = pd.read_csv(folder / "divisions.csv", dtype=str, keep_default_na=False)
    sources = pd.read_csv(folder / "sources.csv", dtype=str, keep_default_na=False)
    sources = sources.set_index("source_id")
    gazetteer = pd.read_csv(entities.GAZETTEER_CSV, dtype=str, keep_default_na=False)
    taken = set(gazetteer["entity_id"])
    province_of = gazetteer[gazetteer["kind"] == "province"].set_index("adcode")["entity_id"]
    english_of = gazetteer.set_index("entity_id")["name_en"]

    def english(name_zh: str) -> str:
        """Pinyin of a former name's short form, as the gazetteer writes English names."""
        short = entities._bare(name_zh)
        fixed = entities._PINYIN_FIXES.get(short)
        tones = fixed.split() if fixed else jionlp.pinyin(short, formater="standard")
        plain = entities._EXONYMS.get(short, entities._joined([entities._plain(s) for s in tones]))
        kind = {"区": " Prefecture", "盟": " League"}.get(name_zh[-1], "")
        return plain + kind

    rows = []
    for change in table.to_dict("records"):
        old_en = english(change["old_name_zh"]) if change["old_name_zh"] else ""
        if change["kind"] in ENDS:
            unit_id = entities._key(old_en.removesuffix(" Prefecture").removesuffix(" League"))
            unit_id += "_prefecture" if unit_id in taken else ""
            name_en = old_en
        else:
            unit_id = change["successor_ids"]
            name_en = english_of[unit_id]
        code = change["old_adcode"] or change["new_adcode"]
        source = sources.loc[change["source_id"]]
        cited = [source["title"], source["published"], source["url"]]
        citation = ", ".join(p for p in [*cited, change["locator"]] if p)
        rows.append(
            change
            | dict(year=int(change["date"][:4]), old_name_en=old_en, unit_id=unit_id,
                   unit_name_en=name_en, province=province_of[code[:2] + "0000"],
                   citation=citation)
        )  # fmt: skip
    out = pd.DataFrame(rows)
    return out.sort_values(["year", "change_id"], ignore_index=True)
