"""Read the city panels researchers have into one long, harmonised table, showing every choice.

A panel file may be CSV, Excel, Parquet or Stata (.dta); long (one row per city and year) or wide
by year (one column per year, ``2015`` or ``2015年``). Years may be written 2015, "2015" or
"2015年". Headers that carry a unit, ``地区生产总值(亿元)`` or ``科学技术支出（万元）``, are split
into a name and a unit, and the values converted with :func:`innostudy.clean.parse_quantity`
(万 = 1e4, 亿 = 1e8) into yuan or plain counts; the :attr:`PanelFile.codebook` shows each
conversion. City names (Chinese, English, pinyin, with or without 市; adcodes; entity ids) are
resolved as they were in each row's year with :func:`innostudy.entities.resolve`, and the
:attr:`PanelFile.matching` report says what each name became. The panel is then harmonised to one
vintage of divisions with :func:`innostudy.divisions.harmonise`, which lists what it changed.

Nothing is guessed: a year with letters ("y2013", "20l5"), a cell that is not a number, a unit
that cannot be read, a name that is unknown, ambiguous or not a division in that year: every such
problem is collected and raised at once in an :class:`InputError` naming file, line, column and
reason. Lines are physical: the header is line 1 (the sheet row number for Excel; record number
plus one for Parquet and Stata). Empty cells stay missing (NaN).

>>> import pandas as pd
>>> raw = pd.DataFrame({"城市": ["嘉兴市", "嘉兴"], "年份": ["2019年", "2020年"],
...                     "地区生产总值（亿元）": [5370.3, 6355.3]})
>>> read = read_panel(raw, unit="城市", time="年份", harmonise=False)
>>> read.data
  entity_id    年份        地区生产总值
0   jiaxing  2019  5.370300e+11
1   jiaxing  2020  6.355300e+11
>>> read.codebook.iloc[0].to_dict()  # doctest: +NORMALIZE_WHITESPACE
{'column': '地区生产总值（亿元）', 'name': '地区生产总值', 'unit': '亿元', 'factor': 100000000.0,
 'unit_after': '元'}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd

from innostudy.dataset import Problem
from innostudy.policy.panel import PanelError
from innostudy.results import SIMULATED, Result, Summary, axes, check_alpha, finish

READERS = {".csv": "csv", ".xlsx": "excel", ".xls": "excel", ".parquet": "parquet", ".dta": "stata"}
UNIT_COLUMNS = ("entity_id", "city", "城市", "地区", "城市名称", "name", "adcode")
TIME_COLUMNS = ("year", "年份", "年度", "年")
YEAR = re.compile(r"\s*(\d{4})(?:\.0*)?\s*年?\s*")
HEADER = re.compile(r"(?P<name>.*?)\s*[(（](?P<unit>[^()（）]*)[)）]\s*")
ADCODE = re.compile(r"\d{6}")


class InputError(PanelError):
    """Every problem found in a user's panel or pilot list, raised together (like data/'s
    :class:`~innostudy.dataset.ValidationError`): file, line, column and reason for each."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        files = ", ".join(dict.fromkeys(p.file for p in self.problems))
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in {files}:\n{lines}")


def _refuse(file: str, line: int | None, column: str | None, reason: str) -> NoReturn:
    """Stop at a problem that leaves nothing else to check (no such file, no city column)."""
    raise InputError([Problem(file, line, column, reason)])


@dataclass
class Table:
    """A file read as given: ``frame`` indexed by physical line, ``name`` for messages."""

    frame: pd.DataFrame
    name: str


@dataclass(repr=False)
class PanelFile(Result):
    """A panel read by :func:`read_panel`: long ``data`` (entity_id, the time column, one column
    per variable in base units), the ``codebook`` of conversions, the ``matching`` report of
    names, and the ``changes`` harmonising made (empty when not harmonised)."""

    data: pd.DataFrame
    time: str
    codebook: pd.DataFrame
    matching: pd.DataFrame
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    name: str = "a table"
    harmonised: str = "divisions not harmonised"

    @property
    def simulated(self) -> bool:
        """True when the data carry a ``simulated`` column that is True."""
        return "simulated" in self.data.columns and bool(self.data["simulated"].any())

    def _harmonising(self) -> str:
        """The first line of :attr:`harmonised`, without the simulated flag said elsewhere."""
        return self.harmonised.splitlines()[0].removesuffix(f" [{SIMULATED}]")

    def _headline(self) -> str:
        variables = [c for c in self.data.columns if c not in ("entity_id", self.time, "simulated")]
        return (f"{self.name}: {len(self.data):,} rows, {self.data['entity_id'].nunique():,} "
                f"units, {len(variables)} variable(s); {self._harmonising()}")  # fmt: skip

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """The long data (figures, not estimates: ``alpha`` is checked and otherwise unused)."""
        check_alpha(alpha)
        return self.data

    def summary(self, alpha: float = 0.05) -> Summary:
        """The rows read, the conversions, how each name matched and what harmonising did."""
        check_alpha(alpha)
        years = pd.to_numeric(self.data[self.time], errors="coerce")
        tables = [("columns converted", self.codebook), ("names matched", self.matching)]
        if len(self.changes):
            tables.append(("divisions harmonised", self.changes))
        return Summary(
            f"Panel read from {self.name}",
            [("rows", len(self.data)), ("units", self.data["entity_id"].nunique()),
             ("years", f"{years.min():.0f}-{years.max():.0f}" if years.notna().any() else "none"),
             ("divisions", self._harmonising())],
            tables,
            simulated=self.simulated,
        )  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None):
        """Units observed in each year."""
        per_year = self.data.groupby(self.time)["entity_id"].nunique()
        ax = axes(ax)
        ax.bar(per_year.index.astype(int), per_year.to_numpy(), color="C0")
        ax.set(xlabel=self.time, ylabel="units observed")
        return finish(ax, f"Panel read from {self.name}" if title is None else title,
                      self.simulated)  # fmt: skip


def read_table(source, what: str = "panel") -> Table:
    """A DataFrame (copied, lines counted from 2) or a file read by its suffix, as text where the
    format allows, so that years and numbers are parsed here and reported by line."""
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index(drop=True)
        frame.index = frame.index + 2
        return Table(frame, f"the {what} table")
    path = Path(source)
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        reason = f"cannot read a {path.suffix or 'suffix-less'} file; expected {', '.join(READERS)}"
        _refuse(path.name, None, None, reason)
    if not path.is_file():
        _refuse(str(path), None, None, f"{what} file not found")
    if kind == "csv":
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
        )
    elif kind == "excel":
        frame = pd.read_excel(path, dtype=object, keep_default_na=False, na_values=[""])
    elif kind == "parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_stata(path)
    frame.index = frame.index + 2  # line 1 is the header
    frame.columns = [str(c).strip() for c in frame.columns]
    return Table(frame, path.name)


def parse_years(table: Table, column: str) -> tuple[pd.Series, list[Problem]]:
    """Whole years from 2015, 2015.0, "2015" or "2015年"; anything else is a problem by line.

    >>> years, problems = parse_years(Table(pd.DataFrame({"年份": ["2015年", "y2013"]}), "t.csv"), "年份")
    >>> years.tolist(), [str(p) for p in problems]
    ([2015.0, nan], ["t.csv, line 1, column '年份': not a year: 'y2013' (expected 2015, '2015' or '2015年')"])
    """
    values = table.frame[column]
    found = values.astype("string").str.fullmatch(YEAR.pattern)
    years = pd.to_numeric(values.astype("string").str.extract(YEAR.pattern)[0], errors="coerce")
    bad = values.notna() & ~found.fillna(False).astype(bool)
    problems = [
        Problem(
            table.name,
            int(line),
            column,
            f"not a year: {values[line]!r} (expected 2015, '2015' or '2015年')",
        )
        for line in values.index[bad]
    ] + [
        Problem(table.name, int(line), column, "missing year")
        for line in values.index[values.isna()]
    ]
    return years.where(~bad).astype(float), problems


def split_header(header: str) -> tuple[str, str]:
    """``"地区生产总值(亿元)"`` -> ``("地区生产总值", "亿元")``; no unit gives ``(header, "")``.

    >>> split_header("科学技术支出（万元）"), split_header("population")
    (('科学技术支出', '万元'), ('population', ''))
    """
    m = HEADER.fullmatch(header)
    return (m["name"], m["unit"].strip()) if m and m["name"] else (header, "")


def unit_factor(unit: str) -> tuple[float, str]:
    """The factor to base units and the unit after: ``"亿元"`` -> ``(1e8, "元")``.

    The unit is read by :func:`innostudy.clean.parse_quantity` as the tail of "1 <unit>", so the
    magnitudes it knows (万, 亿, thousand, million ...) and currencies apply. A unit holding a
    number (a price base "2015年价", "10万元") is refused: its factor cannot be told.

    >>> unit_factor("万元"), unit_factor("件"), unit_factor("万人")
    ((10000.0, '元'), (1.0, '件'), (10000.0, '人'))
    """
    from innostudy.clean import parse_quantity

    if not unit:
        return 1.0, ""
    if re.search(r"\d", unit):
        raise ValueError("a unit with a number in it cannot be converted; write it as 万元, 亿元 …")
    quantity = parse_quantity("1" + unit)
    after = {"CNY": "元", "USD": "美元"}.get(quantity.currency, "") + (quantity.unit or "")
    return quantity.value, after


def _numbers(table: Table, column: str) -> tuple[pd.Series, list[Problem]]:
    """A column as floats (thousands separators allowed); text that is no number is a problem."""
    values = table.frame[column]
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float), []
    text = values.astype("string").str.strip().str.replace(",", "", regex=False)
    numbers = pd.to_numeric(text.replace("", pd.NA), errors="coerce").astype(float)
    bad = text.notna() & (text != "") & numbers.isna()
    return numbers, [
        Problem(
            table.name,
            int(line),
            column,
            f"not a number: {values[line]!r} (leave a missing value empty)",
        )
        for line in values.index[bad]
    ]


def _is_text(values: pd.Series) -> bool:
    """A column with no number at all (a province name, a note): kept aside, not converted."""
    if pd.api.types.is_numeric_dtype(values):
        return False
    text = values.dropna().astype(str).str.strip().str.replace(",", "", regex=False)
    return len(text) > 0 and pd.to_numeric(text, errors="coerce").isna().all()


def _pick(columns, wanted: str | None, candidates: tuple[str, ...], what: str, table: Table):
    if wanted is not None:
        if wanted not in columns:
            _refuse(table.name, 1, wanted, f"no {what} column {wanted!r}; have {list(columns)}")
        return wanted
    return next((c for c in candidates if c in columns), None)


def read_panel(
    source,
    *,
    unit: str | None = None,
    time: str | None = None,
    harmonise: bool = True,
    vintage: int | None = None,
    additive=(),
    value: str = "value",
) -> PanelFile:
    """Read, convert, match and harmonise a user's city panel; see the module docstring.

    ``unit`` and ``time`` name the city and year columns (found among the usual names when not
    given: entity_id, city, 城市, 地区 …; year, 年份, 年度); without a year column, headers that
    are years make the file wide by year (one more text column, if any, names the variable of
    each row; without one, ``value`` names the variable, unit included: "地区生产总值(亿元)").
    ``harmonise``, ``vintage`` and ``additive`` go to
    :func:`innostudy.divisions.harmonise` (additive: variables summed into a merged unit's
    successor, e.g. patent counts; never ratios).
    """
    table = read_table(source)
    columns = list(table.frame.columns)
    unit = _pick(columns, unit, UNIT_COLUMNS, "city", table)
    if unit is None:
        _refuse(table.name, 1, None, f"no city column: pass unit=; have {columns}")
    time = _pick(columns, time, TIME_COLUMNS, "year", table)
    problems = []
    if time is None:
        table, time, problems = _long_from_wide(table, unit, value)
        if problems:
            raise InputError(problems)
    years, found = parse_years(table, time)
    problems += found
    data = {"year": years}
    codebook = []
    for column in table.frame.columns:
        if column == "simulated":  # simulated data say so in every result (see Panel.simulated)
            flag = table.frame[column].astype(str).str.strip().str.lower()
            data[column] = flag.isin(("true", "1", "1.0"))
            continue
        if column in (unit, time) or _is_text(table.frame[column]):
            continue
        name, written = split_header(column)
        try:
            factor, after = unit_factor(written)
        except ValueError as err:
            problems.append(
                Problem(table.name, 1, column, f"cannot read the unit {written!r}: {err}")
            )
            continue
        if name in data or name in (unit, time):
            problems.append(Problem(table.name, 1, column, f"a second column named {name!r}"))
            continue
        values, found = _numbers(table, column)
        problems += found
        data[name] = values * factor
        codebook.append(
            dict(column=column, name=name, unit=written, factor=factor, unit_after=after)
        )
    ids, matching, found = match_units(table, unit, years)
    problems += found
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.line or 0, p.column or "")))
    frame = pd.DataFrame({"entity_id": ids, **data}).rename(columns={"year": time})
    frame[time] = frame[time].astype(int)
    problems = _duplicates(table, frame, unit, time)
    if problems:
        raise InputError(problems)
    codebook = pd.DataFrame(codebook, columns=["column", "name", "unit", "factor", "unit_after"])
    read = PanelFile(frame.reset_index(drop=True), time, codebook, matching, name=table.name)
    if harmonise:
        from innostudy.divisions import harmonise as to_vintage

        done = to_vintage(
            frame, entity="entity_id", time=time, vintage=vintage, additive=tuple(additive)
        )
        read.data, read.changes = done.data.reset_index(drop=True), done.changes
        read.harmonised = done.summary()
    return read


def _long_from_wide(table: Table, unit: str, value: str) -> tuple[Table, str, list[Problem]]:
    """Wide by year -> long, one row per city (and variable) and year, lines kept for messages."""
    frame = table.frame
    year_columns = [c for c in frame.columns if YEAR.fullmatch(c)]
    others = [c for c in frame.columns if c not in year_columns and c != unit]
    if len(year_columns) < 2 or len(others) > 1:
        _refuse(table.name, 1, None, "no year column (pass time=) and not wide by year: expected "
                "a city column, year columns and at most one variable column; "
                f"have {list(frame.columns)}")  # fmt: skip
    frame, problems = frame.copy(), []
    for column in year_columns:  # cells checked where they are: by line and year column
        frame[column], found = _numbers(table, column)
        problems += found
    repeated = frame.index[frame.duplicated([unit, *others])]
    problems += [Problem(table.name, int(line), unit, "a second row for this city"
                         + (" and variable" if others else "")) for line in repeated]  # fmt: skip
    if problems:
        return table, "year", problems
    long = frame.reset_index(names="_line").melt(
        id_vars=["_line", unit, *others],
        value_vars=year_columns,
        var_name="year",
        value_name=value,
    )
    if others:
        line = long.groupby([unit, "year"], sort=False)["_line"].min().rename("_line")
        values = long.pivot(index=[unit, "year"], columns=others[0], values=value)
        long = values.join(line).reset_index().rename_axis(columns=None)
    long.index = pd.Index(long.pop("_line").astype(int), name=None)
    return Table(long, table.name), "year", problems


def _resolve(name, year):
    """One name as it was in ``year``: an adcode, an entity id or a name (any language).

    A city panel holds prefecture-level units, so a name shared by a province and its capital
    city (吉林) is taken as the one prefecture-level unit that bears it, if there is exactly one.
    """
    from innostudy.entities import gazetteer, resolve

    text = str(name).strip()
    if ADCODE.fullmatch(text):
        rows = gazetteer().table.loc[lambda t: t["adcode"] == text, "entity_id"]
        if len(rows) == 1:
            text = rows.iloc[0]
    match = resolve(text, year=year)
    if match.status == "ambiguous":
        local = [resolve(text, kind=k, year=year) for k in ("city", "prefecture")]
        found = [m for m in local if m.status == "resolved"]
        if len(found) == 1:
            return found[0]
    return match


def match_units(table: Table, unit: str, years: pd.Series) -> tuple[pd.Series, pd.DataFrame, list]:
    """Entity ids for the names in ``unit`` by year, the matching report, and the problems.

    The report has one row per name and outcome: input, entity_id, adcode, status, reason,
    years (first-last) and rows (how many).
    """
    names = table.frame[unit].astype("string").str.strip().reset_index(drop=True)
    whole = [None if pd.isna(y) else int(y) for y in years]  # NaN keys would not match
    keys = pd.DataFrame({"name": names, "year": pd.Series(whole, dtype=object)})
    lines = table.frame.index
    pairs = keys.dropna(subset=["name"]).drop_duplicates()
    resolved = {(n, y): _resolve(n, y) for n, y in pairs.itertuples(index=False)}
    matches = [resolved.get(k) for k in keys.itertuples(index=False, name=None)]
    keys["status"] = [m.status if m else None for m in matches]
    keys["entity_id"] = [m.entity_id if m else None for m in matches]
    problems = [
        Problem(table.name, int(lines[i]), unit, "missing city name")
        for i in np.flatnonzero(keys["name"].isna())
    ]
    rows = []
    groups = keys.dropna(subset=["name"]).groupby(
        ["name", "status", "entity_id"], sort=False, dropna=False
    )
    for (name, status, entity), group in groups:
        match, first = matches[group.index[0]], int(lines[group.index[0]])
        span = group["year"].dropna()
        when = f"{span.min()}-{span.max()}" if len(span) else "no year"
        reason = match.message
        if status != "resolved" and not all(c in reason for c in match.candidates):
            reason += f" (candidates: {', '.join(match.candidates)})"
        rows.append(
            dict(
                input=name,
                entity_id=entity,
                adcode=match.adcode,
                status=status,
                reason=reason,
                years=when,
                rows=len(group),
            )
        )
        if status != "resolved":
            problems.append(
                Problem(
                    table.name,
                    first,
                    unit,
                    f"{reason} [{when}, {len(group)} row(s); the first shown]",
                )
            )
    matching = pd.DataFrame(
        rows, columns=["input", "entity_id", "adcode", "status", "reason", "years", "rows"]
    )
    ids = keys["entity_id"].where(keys["status"] == "resolved").set_axis(lines)
    return ids, matching, sorted(problems, key=lambda p: (p.line or 0, p.reason))


def _duplicates(table: Table, frame: pd.DataFrame, unit: str, time: str) -> list[Problem]:
    """Two rows for one city and year (嘉兴 and 嘉兴市 both in 2019): one problem per pair."""
    frame = frame.set_axis(table.frame.index)
    repeated = frame.duplicated(["entity_id", time], keep=False)
    problems = []
    for (entity, year), rows in frame[repeated].groupby(["entity_id", time]).groups.items():
        lines = ", ".join(map(str, rows))
        problems.append(
            Problem(
                table.name, int(rows[0]), unit, f"{entity} appears twice in {year} (lines {lines})"
            )
        )
    return problems
