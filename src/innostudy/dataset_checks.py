"""The rules the curated tables must obey, and the checks that find every row breaking them.

:mod:`innostudy.dataset` reads the six tables as text and hands them here: the vocabularies and
bounds (kinds, units, years), the table layout (``COLUMNS``, ``NUMERIC``, ``DATES``), the column
checks per table (pandera) and the row checks across columns and tables (intervals against
qualifiers, units against the codebook, dates against publication, designations, divisions). Each
finding is a :class:`Problem` naming file, line, column and reason; the loader raises them together.

>>> str(Problem("observations.csv", 7, "unit", "differs from the codebook's 'CNY'"))
"observations.csv, line 7, column 'unit': differs from the codebook's 'CNY'"
>>> _period_end(pd.Series(["2022", "2020-02"])).dt.strftime("%Y-%m-%d").tolist()
['2022-12-31', '2020-02-29']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from innostudy.clean import QUALIFIERS, interval
from innostudy.divisions import COLUMNS as DIVISION_COLUMNS
from innostudy.divisions import FIRST_YEAR as DIVISIONS_FROM
from innostudy.divisions import KINDS as DIVISION_KINDS

ENTITY_KINDS = (
    "city", "prefecture", "national_new_area", "science_city", "high_tech_zone", "province", "programme",
    "organisation", "ranking",
)  # fmt: skip
SOURCE_KINDS = (
    "news", "government_news", "government_notice", "press_release", "press_conference_transcript",
    "society_news", "statistical_bulletin", "statistics_compilation", "encyclopedia", "yearbook",
    "report",
)  # fmt: skip
LANGUAGES = ("en", "zh")
PROGRAMMES = ("pilot", "hub_city", "demonstration_city")
SIGNED_UNITS = ("percent",)  # units whose values may be negative; every other unit counts something
# Bounds that hold whatever the indicator: a rank is a whole number from 1; a year is a calendar
# year; money and durations may have fractions; every other unit counts whole things.
RANK_UNITS, YEAR_UNITS, FRACTIONAL_UNITS = ("rank",), ("year",), ("CNY", "USD", "years")
LARGEST = 1e15  # above China's GDP in yuan (1.3e14) and 2**53 (exact whole numbers) is near
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
# How far beyond its publication a document may date a figure: targets of plans go to 2035 and the
# 2050 centenary goals, stated from 2016 on, are the farthest horizon of Chinese planning.
HORIZON_YEARS = 35

COLUMNS = {
    "sources": ("source_id", "title", "publisher", "url", "published", "language", "kind", "note"),
    "entities": (
        "entity_id", "name_en", "name_zh", "kind", "parent_id", "province", "adcode", "aliases",
    ),
    "indicators": ("indicator_id", "label", "unit", "definition", "direction", "group"),
    "observations": (
        "obs_id", "entity_id", "indicator_id", "value", "unit", "qualifier", "low", "high", "as_of",
        "period_start", "period_end", "source_id", "locator", "note",
    ),
    "designations": (
        "entity_id", "programme", "batch", "start", "end", "announced", "source_id", "locator",
        "note",
    ),
    "divisions": DIVISION_COLUMNS,
}  # fmt: skip
NUMERIC = {"indicators": ("direction",), "observations": ("value", "low", "high")}
DATES = {
    "sources": ("published",),
    "observations": ("as_of", "period_start", "period_end"),
    "designations": ("start", "end", "announced"),
    "divisions": ("date",),
}
PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
SLUG = r"^[a-z0-9]+(_[a-z0-9]+)*$"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data: where (file, line, column) and why."""

    file: str
    line: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file + (f", line {self.line}" if self.line is not None else "")
        where += f", column {self.column!r}" if self.column else ""
        return f"{where}: {self.reason}"


def _bounds(frame: pd.DataFrame, suffix: str) -> tuple[pd.Series, pd.Series]:
    """The interval a fact allows; unknown bounds (an 'about' figure) fall back to the value."""
    value = frame[f"value{suffix}"]
    return frame[f"low{suffix}"].fillna(value), frame[f"high{suffix}"].fillna(value)


# -- partial ISO dates ----------------------------------------------------------------------------


def _period_end(dates: pd.Series) -> pd.Series:
    """Last day of each partial ISO date ("2022" -> 2022-12-31, "2020-08" -> 2020-08-31)."""
    text = dates.astype("string")
    year = pd.to_datetime(
        text.where(text.str.len() == 4) + "-12-31", format="%Y-%m-%d", errors="coerce"
    )
    month = pd.to_datetime(
        text.where(text.str.len() == 7) + "-01", format="%Y-%m-%d", errors="coerce"
    )
    month = month + pd.offsets.MonthEnd(0)
    day = pd.to_datetime(text.where(text.str.len() == 10), format="%Y-%m-%d", errors="coerce")
    return day.fillna(month).fillna(year)


def _period_start(dates: pd.Series) -> pd.Series:
    """First day of each partial ISO date ("2022" -> 2022-01-01)."""
    text = dates.astype("string")
    padded = text.where(text.str.len() != 4, text + "-01-01")
    padded = padded.where(padded.str.len() != 7, padded + "-01")
    return pd.to_datetime(padded, format="%Y-%m-%d", errors="coerce")


# -- checking -------------------------------------------------------------------------------------


def _schemas(tables: dict[str, pd.DataFrame]) -> dict:
    """Column checks per table; the allowed ids come from the other tables."""
    import pandera.pandas as pa

    def ids(table: str, column: str) -> list[str] | None:
        """The ids of a table; None when it could not be read (said once, not for every row)."""
        return (
            None if tables[table].attrs.get("unread") else tables[table][column].dropna().tolist()
        )

    def one_of(values, what: str):
        return None if values is None else pa.Check.isin(values, error=f"not a known {what}")

    text = {"dtype": None, "nullable": True, "required": False}
    slug = pa.Check.str_matches(SLUG, error="not an id (lower case, digits and underscores)")
    date = {"dtype": None, "nullable": True}
    adcode = pa.Check.str_matches(r"^\d{6}$", error="not a six-digit GB/T 2260 code")
    return {
        "sources": {
            "source_id": pa.Column(None, slug, unique=True),
            "title": pa.Column(None),
            "publisher": pa.Column(None),
            "url": pa.Column(
                None, pa.Check.str_matches(r"^https?://", error="not a URL"), nullable=True
            ),
            "published": pa.Column(**date),
            "language": pa.Column(None, one_of(LANGUAGES, "language")),
            "kind": pa.Column(None, one_of(SOURCE_KINDS, "source kind")),
            "note": pa.Column(**text),
        },
        "entities": {
            "entity_id": pa.Column(None, slug, unique=True),
            "name_en": pa.Column(None),
            "name_zh": pa.Column(**text),
            "kind": pa.Column(None, one_of(ENTITY_KINDS, "entity kind")),
            "parent_id": pa.Column(
                None, one_of(ids("entities", "entity_id"), "entity_id"), nullable=True
            ),
            "province": pa.Column(
                None,
                one_of(ids("entities", "entity_id"), "province entity_id"),
                nullable=True,
            ),
            "adcode": pa.Column(None, adcode, nullable=True),
            "aliases": pa.Column(**text),
        },
        "indicators": {
            "indicator_id": pa.Column(None, slug, unique=True),
            "label": pa.Column(None),
            "unit": pa.Column(None),
            "definition": pa.Column(None),
            "direction": pa.Column(
                None, pa.Check.isin([-1, 0, 1], error="direction must be -1, 0 or 1")
            ),
            "group": pa.Column(None, slug),
        },
        "observations": {
            "obs_id": pa.Column(None, unique=True),
            "entity_id": pa.Column(None, one_of(ids("entities", "entity_id"), "entity_id")),
            "indicator_id": pa.Column(
                None, one_of(ids("indicators", "indicator_id"), "indicator_id")
            ),
            "value": pa.Column(None),
            "unit": pa.Column(None),
            "qualifier": pa.Column(None, one_of(QUALIFIERS, "qualifier: " + ", ".join(QUALIFIERS))),
            "low": pa.Column(None, nullable=True),
            "high": pa.Column(None, nullable=True),
            "as_of": pa.Column(**date),
            "period_start": pa.Column(**date),
            "period_end": pa.Column(**date),
            "source_id": pa.Column(None, one_of(ids("sources", "source_id"), "source_id")),
            "locator": pa.Column(None),
            "note": pa.Column(**text),
        },
        "designations": {
            "entity_id": pa.Column(None, one_of(ids("entities", "entity_id"), "entity_id")),
            "programme": pa.Column(None, one_of(PROGRAMMES, "programme: " + ", ".join(PROGRAMMES))),
            "batch": pa.Column(**text),
            "start": pa.Column(**date),
            "end": pa.Column(**date),
            "announced": pa.Column(**date),
            "source_id": pa.Column(None, one_of(ids("sources", "source_id"), "source_id")),
            "locator": pa.Column(None),
            "note": pa.Column(**text),
        },
        "divisions": {
            "change_id": pa.Column(None, slug, unique=True),
            "date": pa.Column(None),
            "kind": pa.Column(None, one_of(DIVISION_KINDS, "change kind")),
            **{c: pa.Column(**text) for c in ("old_name_zh", "new_name_zh", "note")},
            **{c: pa.Column(None, adcode, nullable=True) for c in ("old_adcode", "new_adcode")},
            "successor_ids": pa.Column(
                None, pa.Check.str_matches(r"^[a-z0-9_]+(;[a-z0-9_]+)*$", error="not ids")
            ),
            "source_id": pa.Column(None, one_of(ids("sources", "source_id"), "source_id")),
            "locator": pa.Column(None),
        },
    }


def _check_tables(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    import pandera.pandas as pa
    from pandera.errors import SchemaErrors

    problems = []
    for name, columns in _schemas(tables).items():
        try:
            pa.DataFrameSchema(columns, coerce=False).validate(tables[name], lazy=True)
        except SchemaErrors as errors:
            cases = errors.failure_cases
            for case in cases.itertuples():
                told_once = tables[name].attrs.get("unreadable", {}).get(case.column, [])
                if case.check == "not_nullable" and case.index in told_once:
                    continue  # said already: not a number, not a date
                if case.check == "not_nullable":
                    reason = "missing value"
                elif case.check == "field_uniqueness":
                    reason = f"duplicate key {case.failure_case!r}"
                else:  # our own checks carry their message as the check's name
                    reason = f"{case.check}: {case.failure_case!r}"
                line = None if pd.isna(case.index) else int(case.index)
                problems.append(Problem(f"{name}.csv", line, case.column, reason))
    problems += _check_observations(tables["observations"], tables["indicators"])
    problems += _check_dates(tables)
    problems += _check_designations(tables["designations"])
    problems += _check_divisions(tables["divisions"])
    return sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.column or "", p.reason))


def _check_observations(obs: pd.DataFrame, indicators: pd.DataFrame) -> list[Problem]:
    """Cross-column rules: units, signs, intervals against qualifiers, dates, duplicate facts."""
    file = "observations.csv"
    problems = []

    def flag(mask: pd.Series, column: str, reason) -> None:
        for line in obs.index[mask.fillna(False).astype(bool)]:
            row = obs.loc[line]
            problems.append(
                Problem(file, int(line), column, reason(row) if callable(reason) else reason)
            )

    told_once = {c: [] for c in ("low", "high", "as_of", "period_end")}
    told_once |= obs.attrs.get("unreadable", {})
    units = indicators.drop_duplicates("indicator_id").set_index("indicator_id")["unit"]
    expected = obs["indicator_id"].map(units)
    flag(
        expected.notna() & (obs["unit"] != expected),
        "unit",
        lambda r: (
            f"unit {r['unit']!r} differs from the codebook's {units[r['indicator_id']]!r} "
            f"for {r['indicator_id']}"
        ),
    )
    value, unit = obs["value"], obs["unit"]
    flag(
        value.abs() > LARGEST,
        "value",
        lambda r: f"{r['value']:g} is beyond {LARGEST:g}, larger than any figure of these tables",
    )
    flag(
        (value < 0) & ~unit.isin(SIGNED_UNITS),
        "value",
        lambda r: f"negative count {r['value']:g} {r['unit']}",
    )
    counted = ~unit.isin(SIGNED_UNITS + FRACTIONAL_UNITS) & (value.abs() <= LARGEST)
    flag(
        counted & (value % 1 != 0),
        "value",
        lambda r: f"{r['value']:g} {r['unit']} is not a whole number",
    )
    flag(unit.isin(RANK_UNITS) & (value < 1), "value", lambda r: f"rank {r['value']:g} is below 1")
    flag(
        unit.isin(YEAR_UNITS) & ~value.between(EARLIEST_YEAR, LATEST_YEAR),
        "value",
        lambda r: f"year {r['value']:g} is outside {EARLIEST_YEAR}-{LATEST_YEAR}",
    )
    flag(obs["low"] > obs["high"], "low", lambda r: f"low {r['low']:g} is above high {r['high']:g}")
    for qualifier in QUALIFIERS:
        rows = (obs["qualifier"] == qualifier) & value.notna()  # no value: reported already
        implied = pd.DataFrame(
            [interval(v, qualifier) for v in obs.loc[rows, "value"]],
            index=obs.index[rows],
            columns=["low", "high"],
        )
        for bound in ("low", "high"):
            stated, want = obs.loc[rows, bound], implied[bound]
            if qualifier in ("at_most", "less_than") and bound == "low":
                # a lower bound may be narrower than -inf (a rank is at least 1), never above the value
                wrong = stated.isna() | (stated > obs.loc[rows, "value"])
            elif qualifier == "about":
                told = obs.loc[rows, "value"]
                wrong = (stated > told) if bound == "low" else (stated < told)
            else:
                wrong = ~np.isclose(stated.astype(float), want.astype(float), equal_nan=True)
            wrong = pd.Series(wrong, index=stated.index) & ~stated.index.isin(told_once[bound])
            flag(
                wrong.reindex(obs.index, fill_value=False),
                bound,
                lambda r, b=bound, q=qualifier: (
                    f"{b} {'is empty, which' if pd.isna(r[b]) else f'{r[b]:g}'} does not fit "
                    f"qualifier {q!r} with value {r['value']:g} "
                    f"(expected {interval(r['value'], q)[0 if b == 'low' else 1]:g})"
                ),
            )
    undated = obs.index.isin(told_once["as_of"]) | obs.index.isin(told_once["period_end"])
    flag(
        obs["as_of"].isna() & obs["period_end"].isna() & ~undated,
        "as_of",
        "a fact needs an as-of date or a period",
    )
    flag(
        _period_start(obs["period_start"]) > _period_end(obs["period_end"]),
        "period_start",
        lambda r: f"period starts ({r['period_start']}) after it ends ({r['period_end']})",
    )
    fact = ["entity_id", "indicator_id", "value", "qualifier", "as_of", "period_end", "source_id"]
    repeated = obs.duplicated(fact, keep="first")
    first = obs.drop_duplicates(fact).reset_index().set_index(fact)["index"]
    flag(
        repeated,
        "obs_id",
        lambda r: f"duplicate fact: same as line {first.loc[tuple(r[fact])]}",
    )
    return problems


def _check_dates(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Dates in the calendar a study can use, no source published after today and no figure
    dated further beyond its source's publication than a plan looks ahead (HORIZON_YEARS)."""
    problems = []
    for table, columns in DATES.items():
        frame = tables[table]
        for column in columns:
            year = pd.to_numeric(frame[column].str[:4], errors="coerce")
            odd = ~year.between(EARLIEST_YEAR, LATEST_YEAR) & year.notna()
            problems += [
                Problem(f"{table}.csv", int(line), column,
                        f"{frame.at[line, column]} is outside {EARLIEST_YEAR}-{LATEST_YEAR}")
                for line in frame.index[odd]
            ]  # fmt: skip
    sources = tables["sources"]
    today = pd.Timestamp.today().normalize()
    future = _period_start(sources["published"]) > today
    problems += [
        Problem("sources.csv", int(line), "published",
                f"published {sources.at[line, 'published']}, after today ({today:%Y-%m-%d})")
        for line in sources.index[future]
    ]  # fmt: skip
    obs = tables["observations"]
    published = obs["source_id"].map(sources.drop_duplicates("source_id").set_index("source_id")[
        "published"])  # fmt: skip
    limit = _period_end(published) + pd.DateOffset(years=HORIZON_YEARS)
    ahead = _period_start(obs["as_of"]) > limit
    problems += [
        Problem("observations.csv", int(line), "as_of",
                f"as_of {obs.at[line, 'as_of']} is more than {HORIZON_YEARS} years after its "
                f"source {obs.at[line, 'source_id']} was published ({published[line]})")
        for line in obs.index[ahead]
    ]  # fmt: skip
    return problems


def _check_designations(designations: pd.DataFrame) -> list[Problem]:
    file = "designations.csv"
    key = ["entity_id", "programme", "batch"]
    repeated = designations.duplicated(key, keep="first")
    problems = [
        Problem(file, int(line), "entity_id", "duplicate designation (entity, programme, batch)")
        for line in designations.index[repeated]
    ]
    late = _period_start(designations["start"]) > _period_end(designations["end"])
    problems += [
        Problem(file, int(line), "start", "designation starts after it ends")
        for line in designations.index[late.fillna(False)]
    ]
    return problems


def _check_divisions(divisions: pd.DataFrame) -> list[Problem]:
    """A change is dated from 2000 to today, and names the unit it is about."""
    years = _period_start(divisions["date"]).dt.year
    late = (years < DIVISIONS_FROM) | (years > pd.Timestamp.now().year)
    problems = [
        Problem("divisions.csv", int(line), "date", f"outside {DIVISIONS_FROM} to today")
        for line in divisions.index[late.fillna(False)]
    ]
    nameless = divisions["old_name_zh"].isna() & divisions["new_name_zh"].isna()
    return problems + [
        Problem("divisions.csv", int(line), "old_name_zh", "a change needs the old or new name")
        for line in divisions.index[nameless]
    ]
