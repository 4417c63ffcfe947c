"""Cohorts for a policy panel: from a researcher's own pilot list and the curated designations.

The cohort of a city is its first year of treatment. It comes from the researcher's list (CSV,
Excel, Parquet or a DataFrame with columns ``city``, ``programme``, ``year`` and optional
``batch``, ``source``, ``locator``, ``note``) and from the dated rows of ``data/designations.csv``;
a list row that contradicts a dated row there is an error, never merged.

No silent controls: data/ knows how many members each programme has (:func:`published_size`,
from the observations). When fewer are dated than were published and no list is given, the
undated pilots would sit among the never-treated controls, so :func:`panel_from_designations`
refuses, saying how many are dated and how to proceed.

>>> import innostudy
>>> size = published_size(innostudy.load_dataset(), "pilot")
>>> size.n, size.obs_ids
(65, ('obs0002', 'obs0046', 'obs0048', 'obs0049', 'obs0055'))
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from innostudy.dataset import PROGRAMMES, Problem
from innostudy.policy.panel import PanelError, _listing
from innostudy.policy.readers import InputError, match_units, parse_years, read_panel, read_table
from innostudy.results import Result, Summary, axes, check_alpha, finish

# Which entities of data/ stand for each programme (their ``members`` facts), and which indicator
# gives the size of the field a programme's members were ranked in.
PROGRAMME_ENTITIES = {
    "pilot": ("innovation_china_pilots_batch1", "innovation_china_pilots_batch2"),
    "hub_city": ("innovation_china_hub_cities",),
    "demonstration_city": ("innovation_driven_demonstration_cities",),
}
FIELD_SIZE = {"pilot": "pilot_evaluation_rank_field_size"}
LIST_COLUMNS = ("city", "programme", "year", "batch", "source", "locator", "note")
REQUIRED = ("city", "programme", "year")


@dataclass(frozen=True)
class PublishedSize:
    """How many members a programme has by the sources: ``n``, its qualifier and the facts."""

    programme: str
    n: int
    qualifier: str
    obs_ids: tuple[str, ...]

    def __str__(self) -> str:
        return ("about " if self.qualifier == "about" else "") + str(self.n)

    @property
    def cited(self) -> str:
        return f"data/observations.csv {', '.join(self.obs_ids)}"


def published_size(dataset, programme: str) -> PublishedSize:
    """The number of members the sources give a programme, read from ``dataset.observations``.

    The ``members`` facts of the programme's entities (:data:`PROGRAMME_ENTITIES`: one per batch)
    are summed, taking the largest figure where sources conflict (26 vs 22 first-batch pilots:
    26); a ranking's field size (:data:`FIELD_SIZE`: 65 ranked pilot units) counts too. The
    largest of these is the size: a smaller one would let pilots pass as controls.
    """
    if programme not in PROGRAMME_ENTITIES:
        raise PanelError(f"programme {programme!r} unknown; expected one of {list(PROGRAMMES)}")
    obs = dataset.observations
    members = obs[
        obs["entity_id"].isin(PROGRAMME_ENTITIES[programme]) & (obs["indicator_id"] == "members")
    ]
    field = obs[obs["indicator_id"] == FIELD_SIZE.get(programme)]
    counts = [members.groupby("entity_id")["value"].max().sum(), field["value"].max()]
    n = int(max(c for c in counts if pd.notna(c)))
    used = pd.concat([members, field])
    about = "about" if (used["qualifier"] == "about").any() else "exact"
    return PublishedSize(programme, n, about, tuple(sorted(used["obs_id"])))


@dataclass(repr=False)
class PilotList(Result):
    """A researcher's validated pilot list: one row per city and programme, and how names matched."""

    table: pd.DataFrame  # entity_id, name, programme, cohort, batch, source, locator, note, line
    matching: pd.DataFrame
    name: str

    def _headline(self) -> str:
        return (f"{self.name}: {len(self.table):,} pilot(s) in "
                f"{self.table['cohort'].nunique()} cohort(s)")  # fmt: skip

    def _per_cohort(self) -> pd.DataFrame:
        return self.table.groupby(["programme", "cohort"]).size().reset_index(name="cities")

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per city and programme (a list, no estimates: ``alpha`` is only checked)."""
        check_alpha(alpha)
        return self.table.reset_index(drop=True)

    def summary(self, alpha: float = 0.05) -> Summary:
        """Cities per programme and cohort, then the list and how each name matched."""
        check_alpha(alpha)
        listed = self.table[["entity_id", "name", "programme", "cohort", "line"]]
        return Summary(
            f"Pilot list read from {self.name}",
            [("cities", self.table["entity_id"].nunique())],
            [("cities per programme and cohort", self._per_cohort()), ("pilots", listed),
             ("names matched", self.matching)],
            simulated=self.simulated,
        )  # fmt: skip

    def plot(self, ax=None, *, title: str | None = None):
        """Cities per cohort, one bar colour per programme."""
        counts = self._per_cohort().pivot(index="cohort", columns="programme", values="cities")
        ax = axes(ax)
        bottom = np.zeros(len(counts))
        for i, programme in enumerate(counts.columns):
            values = counts[programme].fillna(0).to_numpy()
            ax.bar(counts.index, values, bottom=bottom, color=f"C{i}", label=programme)
            bottom += values
        ax.set(xlabel="cohort (first year designated)", ylabel="cities")
        ax.legend(fontsize=8)
        return finish(ax, f"Pilot list read from {self.name}" if title is None else title,
                      self.simulated)  # fmt: skip


def read_designations(source, dataset) -> PilotList:
    """Read and validate a pilot list; every problem is raised at once in an :class:`InputError`.

    Names are resolved as they were in the designation year; unknown and ambiguous names come
    with their candidates; a city listed twice for a programme, and a start year that contradicts a
    dated row of ``data/designations.csv``, are problems.

    >>> import innostudy
    >>> pilots = pd.DataFrame({"city": ["嘉兴市", "Wuhu"], "programme": "pilot",
    ...                        "year": ["2020年", 2021]})
    >>> read_designations(pilots, innostudy.load_dataset()).table[["entity_id", "cohort"]]
      entity_id  cohort
    2   jiaxing    2020
    3      wuhu    2021
    """
    table = read_table(source, what="pilot list")
    frame, file = table.frame, table.name
    problems = [Problem(file, 1, c, "missing column") for c in REQUIRED if c not in frame.columns]
    problems += [
        Problem(file, 1, c, f"unexpected column (expected {', '.join(LIST_COLUMNS)})")
        for c in frame.columns
        if c not in LIST_COLUMNS
    ]
    if problems:
        raise InputError(problems)
    years, problems = parse_years(table, "year")
    programme = frame["programme"].astype("string").str.strip()
    problems += [
        Problem(
            file,
            int(line),
            "programme",
            f"not a known programme: {frame.at[line, 'programme']!r} (expected "
            f"{', '.join(PROGRAMMES)})",
        )
        for line in frame.index[~programme.isin(PROGRAMMES).fillna(False).astype(bool)]
    ]
    ids, matching, found = match_units(table, "city", years)
    problems += found
    out = pd.DataFrame(
        {"entity_id": ids, "name": frame["city"], "programme": programme, "cohort": years},
        index=frame.index,
    )
    for column in LIST_COLUMNS[3:]:
        out[column] = frame[column] if column in frame.columns else pd.NA
    out["line"] = frame.index
    problems += _twice(out, file) + _contradictions(out, dataset.designations, file)
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.line or 0, p.column or "")))
    out["cohort"] = out["cohort"].astype(int)
    return PilotList(out, matching, file)


def _twice(rows: pd.DataFrame, file: str) -> list[Problem]:
    repeated = rows.dropna(subset=["entity_id"]).duplicated(["entity_id", "programme"], keep=False)
    problems = []
    for (entity, programme), group in rows[repeated.reindex(rows.index, fill_value=False)].groupby(
        ["entity_id", "programme"]
    ):
        lines = ", ".join(map(str, group["line"]))
        problems += [
            Problem(
                file, int(line), "city", f"{entity} listed twice for {programme} (lines {lines})"
            )
            for line in group["line"][1:]
        ]
    return problems


def _contradictions(rows: pd.DataFrame, curated: pd.DataFrame, file: str) -> list[Problem]:
    """List rows whose start year differs from a dated row of data/designations.csv."""
    dated = curated.assign(start_year=pd.to_numeric(curated["start"].str[:4], errors="coerce"))
    dated = dated.dropna(subset=["start_year"]).reset_index(names="curated_line")
    both = rows.merge(dated, on=["entity_id", "programme"])
    both = both[both["cohort"].notna() & (both["cohort"] != both["start_year"])]
    return [
        Problem(
            file,
            int(r.line),
            "year",
            f"contradicts data/designations.csv line {r.curated_line}: {r.entity_id} starts "
            f"{r.programme} in {int(r.start_year)} there (source {r.source_id}), "
            f"{int(r.cohort)} here; correct one of them",
        )
        for r in both.itertuples()
    ]


def curated_cohorts(dataset, programme: str) -> tuple[pd.DataFrame, list[str]]:
    """The dated members of ``data/designations.csv`` (entity_id, cohort, batch, source) and the
    ids of members without a start year."""
    rows = dataset.designations[dataset.designations["programme"] == programme]
    year = pd.to_numeric(rows["start"].astype("string").str[:4], errors="coerce")
    rows = rows.assign(cohort=year).sort_values("cohort")
    first = rows.drop_duplicates("entity_id")
    dated = first[first["cohort"].notna()]
    table = pd.DataFrame(
        {
            "entity_id": dated["entity_id"],
            "cohort": dated["cohort"].astype(int),
            "batch": dated["batch"],
            "source": "data/designations.csv line "
            + dated.index.astype(str)
            + " ("
            + dated["source_id"]
            + ")",
        }
    )
    return table.reset_index(drop=True), sorted(first.loc[first["cohort"].isna(), "entity_id"])


def _refusal(programme: str, size: PublishedSize, dated: int, undated: list[str]) -> str:
    never = size.n - dated
    return (
        f"data/designations.csv dates {dated} of the {size} published {programme!r} members "
        f"({size.cited}); "
        f"the other {never} would be counted as never treated and sit among the controls. "
        f"Give your own pilot list: designations='pilots.csv' (notebook 05: designations_path), "
        f"with columns city, programme, year [, batch, source, locator, note]; or pass "
        f"undated='exclude' to drop the {len(undated)} known but undated members "
        f"({_listing(undated)}) from the panel, accepting that the remaining controls may "
        f"still contain up to {never - len(undated)} undated pilots."
    )


def panel_from_designations(
    cls,
    outcomes,
    dataset=None,
    programme: str = "pilot",
    *,
    designations=None,
    unit=None,
    time=None,
    harmonise: bool = True,
    vintage=None,
    additive=(),
    undated: str = "refuse",
):
    """See :meth:`innostudy.policy.Panel.from_designations`."""
    import innostudy

    ds = innostudy.load_dataset() if dataset is None else dataset
    if programme not in PROGRAMMES:
        raise PanelError(
            f"programme {programme!r} not in the designations; have {list(PROGRAMMES)}"
        )
    if undated not in ("refuse", "exclude"):
        raise PanelError(f"undated={undated!r}: expected 'refuse' or 'exclude'")
    size = published_size(ds, programme)
    curated, unknown_start = curated_cohorts(ds, programme)
    own = read_designations(designations, ds) if designations is not None else None
    caveats = []
    if own is not None:
        listed = own.table[own.table["programme"] == programme]
        listed = listed.assign(
            written=listed["name"],
            source=own.name
            + " line "
            + listed["line"].astype(str)
            + listed["source"].map(lambda s: f" ({s})" if pd.notna(s) else ""),
        )
        extra = curated[~curated["entity_id"].isin(listed["entity_id"])]
        cohorts = pd.concat(
            [listed[["entity_id", "written", "cohort", "batch", "source"]], extra],
            ignore_index=True,
        )
        unknown_start = [e for e in unknown_start if e not in set(cohorts["entity_id"])]
    else:
        cohorts = curated
    short = size.n - len(cohorts)
    if short > 0 and own is None and undated == "refuse":
        raise PanelError(_refusal(programme, size, len(cohorts), unknown_start))
    if short > 0:
        caveats.append(
            f"{len(cohorts)} of the {size} published {programme!r} members are dated; the "
            f"remaining controls may contain up to {short - len(unknown_start)} undated pilots"
            + (
                f" ({len(unknown_start)} known undated members excluded: {_listing(unknown_start)})"
                if unknown_start
                else ""
            )
        )
    read = read_panel(
        outcomes, unit=unit, time=time, harmonise=harmonise, vintage=vintage, additive=additive
    )
    frame = read.data
    present = set(frame["entity_id"])
    undated_present = [e for e in unknown_start if e in present]
    if undated_present and undated == "refuse":
        raise PanelError(
            f"designated {programme!r} without a known start year: {_listing(undated_present)}; "
            "give their year in a pilot list (designations=) or pass undated='exclude'"
        )
    frame = frame[~frame["entity_id"].isin(unknown_start)]
    absent = sorted(set(cohorts["entity_id"]) - present)
    if absent:
        warnings.warn(
            f"designated {programme!r} cities not in the outcomes: {_listing(absent)}",
            stacklevel=3,
        )
    first = cohorts.set_index("entity_id")["cohort"]
    frame = frame.assign(cohort=frame["entity_id"].map(first).fillna(0).astype(int))
    panel = cls(frame.reset_index(drop=True), unit="entity_id", time=read.time, cohort="cohort")
    from innostudy.entities import gazetteer

    names = gazetteer().table.set_index("entity_id")["name_zh"]
    table = cohorts.assign(
        name=cohorts["entity_id"].map(names), in_panel=cohorts["entity_id"].isin(present)
    )
    columns = ["entity_id", "name", "written", "cohort", "batch", "source", "in_panel"]
    panel.designations = table.reindex(columns=columns)
    panel.caveats = tuple(caveats)
    panel.input = read
    return panel
