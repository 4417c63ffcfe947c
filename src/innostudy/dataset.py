"""Load and validate the curated tables in ``data/`` and give tidy and wide views of them.

The six tables (``sources``, ``entities``, ``indicators``, ``observations``, ``designations``,
``divisions``) are read as text, so that nothing is coerced behind the reader's back, then checked
column by column with pandera (types, vocabularies, dates, uniqueness) and row by row across columns
and tables (intervals against qualifiers, units against the codebook, referential integrity). Every
problem found is collected and raised at once in a :class:`ValidationError` that names file, line,
column and reason.

>>> import innostudy as ist
>>> ds = ist.load_dataset()
>>> fact = ds.observations.set_index("obs_id").loc["obs0005"]
>>> fact.entity_id, fact.indicator_id, fact.qualifier, float(fact.low), float(fact.high)
('guiyang', 'academic_activities', 'more_than', 90.0, inf)
>>> print(ds.cite("obs0001"))                               # doctest: +ELLIPSIS
eGuiyang, "Guiyang makes progress in Innovation China pilot city construction", 2023-02-06, ...
"""

from __future__ import annotations

import hashlib
import re
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from innostudy import files, paths
from innostudy.dataset_checks import (  # noqa: F401  (re-exported: innostudy.dataset is their home)
    COLUMNS,
    DATES,
    EARLIEST_YEAR,
    ENTITY_KINDS,
    FRACTIONAL_UNITS,
    HORIZON_YEARS,
    LANGUAGES,
    LARGEST,
    LATEST_YEAR,
    NUMERIC,
    PARTIAL_DATE,
    PROGRAMMES,
    RANK_UNITS,
    SIGNED_UNITS,
    SLUG,
    SOURCE_KINDS,
    YEAR_UNITS,
    Problem,
    _bounds,
    _check_tables,
    _period_end,
    _period_start,
)
from innostudy.errors import InnostudyError
from innostudy.results import Result, Summary, check_alpha, finish

DATA_DIR = paths.data_dir()  # the checkout's data/, else the copy inside the package


class ValidationError(InnostudyError, ValueError):
    """Every problem found in a data folder, raised together."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the data:\n{lines}")


def load_dataset(path: str | Path | None = None) -> Dataset:
    """Read and validate the tables in ``path`` (by default :func:`innostudy.paths.data_dir`: the
    checkout's ``data/``, or the copy inside an installed package).

    Raises :class:`ValidationError` listing every problem with file, line, column and reason.
    """
    folder = Path(path) if path is not None else DATA_DIR
    tables, problems = _read_tables(folder)
    problems += _check_tables(tables)
    if problems:
        raise ValidationError(sorted(problems, key=lambda p: (p.file, p.line or 0)))
    return Dataset(folder, tables)


def validate(path: str | Path | None = None) -> list[Problem]:
    """The problems :func:`load_dataset` would raise, as a list (empty when the data are valid)."""
    try:
        load_dataset(path)
    except ValidationError as error:
        return error.problems
    return []


def data_hashes(path: str | Path | None = None) -> dict[str, str]:
    """sha256 of every table file in the data folder, for provenance."""
    folder = Path(path) if path is not None else DATA_DIR
    return {
        f.name: hashlib.sha256(
            files.read_bytes(f, limit=files.MAX_TABLE_BYTES, inside=folder)
        ).hexdigest()
        for f in sorted(folder.glob("*.csv"))
    }


TABLES_SHOWN = ("sources", "entities", "indicators", "observations", "designations")


class Dataset(Result):
    """The validated tables, with tidy and wide views, conflicts and citations."""

    def __init__(self, path: Path, tables: dict[str, pd.DataFrame]):
        self.path = path
        self.sources = tables["sources"]
        self.entities = tables["entities"]
        self.indicators = tables["indicators"]
        self.designations = tables["designations"]
        self.divisions = tables["divisions"]
        self._observations = tables["observations"]

    def _headline(self) -> str:
        counts = ", ".join(f"{len(getattr(self, name)):,} {name}" for name in TABLES_SHOWN)
        return f"{counts} (from {self.path.name}/)"

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """The facts, one row each (:attr:`observations`); ``alpha`` is checked and otherwise
        unused (the dataset holds figures, not estimates)."""
        check_alpha(alpha)
        return self.observations

    def summary(self, alpha: float = 0.05) -> Summary:
        """The size of each table and how the facts are qualified."""
        check_alpha(alpha)
        sizes = pd.DataFrame({"table": TABLES_SHOWN,
                              "rows": [len(getattr(self, t)) for t in TABLES_SHOWN]})  # fmt: skip
        qualifiers = self._observations["qualifier"].value_counts().rename_axis("qualifier")
        return Summary(
            "innostudy dataset",
            [("folder", str(self.path)),
             ("entities with facts", self._observations["entity_id"].nunique())],
            [("tables", sizes), ("facts by qualifier", qualifiers.reset_index(name="facts"))],
            simulated=self.simulated,
        )  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None):
        """Heatmap of how many facts each entity has per indicator (:meth:`coverage`)."""
        from innostudy.plots import coverage_heatmap

        ax = coverage_heatmap(self.coverage(), ax=ax, title=title)
        return finish(ax, ax.get_title(), self.simulated)

    @cached_property
    def observations(self) -> pd.DataFrame:
        """One row per fact, with entity and indicator labels joined, ``as_of_start`` and ``as_of_date``.

        ``as_of_date`` is the last day of the stated as-of date ("2022" -> 2022-12-31), or of
        ``period_end`` when a fact has only a period, so that facts can be ordered in time;
        ``as_of_start`` is its first day (2022-01-01), so that overlapping moments can be found.
        """
        obs = self._observations.merge(
            self.entities[["entity_id", "name_en", "kind"]].rename(
                columns={"name_en": "entity_name", "kind": "entity_kind"}
            ),
            on="entity_id",
            how="left",
        ).merge(
            self.indicators[["indicator_id", "label", "group", "direction"]].rename(
                columns={"label": "indicator_label"}
            ),
            on="indicator_id",
            how="left",
        )
        stated = obs["as_of"].fillna(obs["period_end"])
        obs["as_of_start"], obs["as_of_date"] = _period_start(stated), _period_end(stated)
        obs["published"] = obs["source_id"].map(self.sources.set_index("source_id")["published"])
        return obs

    def wide(
        self,
        indicators: list[str] | None = None,
        at: str | None = None,
        *,
        field: str = "value",
    ) -> pd.DataFrame:
        """Entity × indicator table of the latest fact at or before ``at`` (an ISO date).

        ``field`` picks what the cells hold: "value" (default), "as_of" (when each chosen figure
        held), "low", "high", "qualifier", "obs_id" or "source_id". :meth:`latest` gives the chosen
        facts in long form, with every column.

        >>> ds = load_dataset()
        >>> ds.wide(["platform_experts_joined"])["platform_experts_joined"].to_dict()
        {'baotou': 2333.0, 'guiyang': 4984.0}
        >>> ds.wide(["platform_experts_joined"], field="as_of").loc["baotou"].item()
        '2023-07-04'
        """
        table = self.latest(indicators, at).pivot(
            index="entity_id", columns="indicator_id", values=field
        )
        table.columns.name = "indicator_id"
        return table

    def latest(self, indicators: list[str] | None = None, at: str | None = None) -> pd.DataFrame:
        """The latest fact per entity and indicator at or before ``at``, one row each (tidy).

        Where sources disagree about the same moment (see :meth:`conflicts`), the fact from the
        most recently published source is used: the documented rule in data/README.md.
        """
        obs = self.observations
        if indicators is not None:
            unknown = sorted(set(indicators) - set(self.indicators["indicator_id"]))
            if unknown:
                raise KeyError(f"unknown indicator(s): {', '.join(unknown)}")
            obs = obs[obs["indicator_id"].isin(indicators)]
        if at is not None:
            obs = obs[obs["as_of_date"] <= _period_end(pd.Series([at])).iloc[0]]
        keys = ["entity_id", "indicator_id"]
        # the latest fact (widest period first on ties), then every fact about the same moment
        obs = obs.sort_values(["as_of_date", "as_of_start"], ascending=[False, True])
        latest_start = obs.groupby(keys)["as_of_start"].transform("first")
        moment = obs[obs["as_of_date"] >= latest_start].sort_values(
            ["published", "obs_id"], ascending=[False, True], na_position="last"
        )
        return moment.drop_duplicates(keys).sort_values(keys).reset_index(drop=True)

    def conflicts(self) -> pd.DataFrame:
        """Pairs of facts about the same entity, indicator and moment whose values disagree.

        Nothing is merged or dropped: both facts stay in ``observations``; this table says which
        disagree so that an analysis can choose by an explicit rule.
        """
        obs = self.observations
        pairs = obs.merge(obs, on=["entity_id", "indicator_id"], suffixes=("_a", "_b"))
        pairs = pairs[pairs["obs_id_a"] < pairs["obs_id_b"]]
        same_moment = (pairs["as_of_start_a"] <= pairs["as_of_date_b"]) & (
            pairs["as_of_start_b"] <= pairs["as_of_date_a"]
        )
        low_a, high_a = _bounds(pairs, "_a")
        low_b, high_b = _bounds(pairs, "_b")
        disjoint = (high_a < low_b) | (high_b < low_a)
        found = pairs[same_moment & disjoint]
        columns = ["entity_id", "indicator_id"] + [
            f"{c}{s}"
            for s in ("_a", "_b")
            for c in ("obs_id", "value", "qualifier", "as_of", "source_id")
        ]
        return found[columns].reset_index(drop=True)

    def cite(self, obs_id: str) -> str:
        """A readable citation of one fact: publisher, title, date, address and where in it."""
        match = self._observations[self._observations["obs_id"] == obs_id]
        if match.empty:
            raise KeyError(f"no observation with obs_id {obs_id!r}")
        fact = match.iloc[0]
        source = self.sources.set_index("source_id").loc[fact["source_id"]]
        parts = [source["publisher"], f'"{source["title"]}"']
        parts += [source[c] for c in ("published", "url") if pd.notna(source[c])]
        parts.append(_readable_locator(fact["locator"]))
        return ", ".join(parts) + "."

    def coverage(self) -> pd.DataFrame:
        """Entity × indicator table of how many facts the dataset holds (0 where none)."""
        return pd.crosstab(self._observations["entity_id"], self._observations["indicator_id"])

    @property
    def files(self) -> list[Path]:
        """The table files this dataset was read from."""
        return [self.path / f"{name}.csv" for name in COLUMNS]


def _readable_locator(locator: str) -> str:
    """``p3`` -> "paragraph 3", ``body p4.s2`` -> "paragraph 4 of the body, sentence 2" (the
    conventions of data/README.md); any other locator (a section's name) as it is.

    >>> _readable_locator("body p4.s2"), _readable_locator("lead p1"), _readable_locator("table")
    ('paragraph 4 of the body, sentence 2', 'paragraph 1 of the lead', 'table')
    """
    paragraph = re.fullmatch(r"(?:(body|lead) )?p(\d+)(?:\.s(\d+))?", locator)
    if not paragraph:
        return locator
    text = f"paragraph {paragraph[2]}" + (f" of the {paragraph[1]}" if paragraph[1] else "")
    return text + (f", sentence {paragraph[3]}" if paragraph[3] else "")


# -- reading --------------------------------------------------------------------------------------


def _read_tables(folder: Path) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    tables, problems = {}, []
    if not folder.is_dir():
        raise FileNotFoundError(f"data folder not found: {folder}")
    try:
        interrupted = files.pending(folder)
    except files.InputError as error:
        interrupted = str(error)
    if interrupted:
        problems.append(Problem(files.JOURNAL_NAME, None, None, interrupted))
    for name, columns in COLUMNS.items():
        frame, found = _read_table(folder / f"{name}.csv", columns, folder)
        tables[name] = frame
        problems += found
    return tables, problems


def _read_table(
    path: Path, columns: tuple[str, ...], folder: Path
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read one CSV as text; parse numbers; report what cannot be read. Never writes."""
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    empty.attrs["unread"] = True
    if not path.exists() and not path.is_symlink():
        return empty, [Problem(path.name, None, None, "file is missing")]
    try:
        frame, broken = files.read_csv(path, columns, inside=folder)
    except files.InputError as error:
        reason = str(error).removeprefix(f"{path}: ").removeprefix(f"{path.name}, ")
        line = re.match(r"line (\d+): (.*)", reason, re.S)
        if line:
            return empty, [Problem(path.name, int(line[1]), None, line[2])]
        return empty, [Problem(path.name, None, None, reason)]
    if (None, "empty file") in broken:
        return empty, [
            Problem(path.name, None, None, f"empty file; expected a header: {','.join(columns)}")
        ]
    problems = [Problem(path.name, line, None, reason) for line, reason in broken]
    problems += [
        Problem(path.name, 1, c, "missing column") for c in columns if c not in frame.columns
    ] + [Problem(path.name, 1, c, "unexpected column") for c in frame.columns if c not in columns]
    for c in columns:
        if c not in frame.columns:
            frame[c] = pd.Series(pd.NA, index=frame.index, dtype="object")
    frame = frame[list(columns)]
    table, unreadable = path.stem, {}
    for column in NUMERIC.get(table, ()):
        parsed = pd.to_numeric(frame[column].str.strip(), errors="coerce").astype(float)
        bad = frame[column].notna() & parsed.isna()
        problems += [
            Problem(path.name, line, column, f"not a number: {_shown(frame.at[line, column])}")
            for line in frame.index[bad]
        ]
        # an interval may be open (low -inf, high +inf); a value is a finite number
        allowed = {"low": -np.inf, "high": np.inf}.get(column)
        endless = np.isinf(parsed) & (parsed != allowed)
        problems += [
            Problem(path.name, line, column, f"not a finite number: {_shown(frame.at[line, column])}"
                    + (" (too large for a number)" if "inf" not in frame.at[line, column].lower()
                       else ""))
            for line in frame.index[endless]
        ]  # fmt: skip
        frame[column] = parsed.mask(endless)
        unreadable[column] = frame.index[bad | endless].tolist()
    for column in DATES.get(table, ()):
        text = frame[column].astype("string")
        well_formed = text.str.fullmatch(PARTIAL_DATE.pattern).fillna(False)
        bad = text.notna() & ~(well_formed & _period_start(text).notna())  # 2023-02-30 is no date
        problems += [
            Problem(
                path.name,
                line,
                column,
                f"not a date: {frame.at[line, column]!r} (expected YYYY, YYYY-MM or YYYY-MM-DD)",
            )
            for line in frame.index[bad]
        ]
        frame.loc[bad, column] = pd.NA
        unreadable[column] = frame.index[bad].tolist()
    frame.attrs["unreadable"] = unreadable  # told once here; the row checks pass these cells over
    return frame, problems


def _shown(text: str) -> str:
    """A cell as quoted in a message, cut short when long (a 400-digit number)."""
    return repr(text) if len(text) <= 40 else f"{text[:20]!r}… ({len(text)} characters)"
