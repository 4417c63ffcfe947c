"""Build a policy panel from a user's outcome file and the curated programme designations.

The cohort of a city is the year of its earliest ``start`` in ``data/designations.csv`` for the
chosen programme (``start`` may be partial: "2020", "2021-05"); cities without a designation are
never treated. Cities are matched by ``entity_id`` when the outcomes have that column, otherwise
by name through :func:`innostudy.entities.resolve`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from innostudy.policy.panel import PanelError, _listing

READERS = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".xlsx": pd.read_excel,
           ".xls": pd.read_excel}  # fmt: skip


def read_outcomes(outcomes) -> pd.DataFrame:
    """A DataFrame as given (copied), or a CSV, Parquet or Excel file read by its suffix."""
    if isinstance(outcomes, pd.DataFrame):
        return outcomes.copy()
    path = Path(outcomes)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise PanelError(f"cannot read {path.name!r}: expected one of {sorted(READERS)}")
    if not path.exists():
        raise PanelError(f"outcome file not found: {path}")
    return reader(path)


def cohorts(designations: pd.DataFrame, programme: str) -> tuple[dict, list]:
    """``({entity_id: first year}, [entities designated without a known start])``."""
    known = sorted(designations["programme"].dropna().unique())
    if programme not in known:
        raise PanelError(f"programme {programme!r} not in the designations; have {known}")
    rows = designations[designations["programme"] == programme]
    year = pd.to_numeric(rows["start"].astype("string").str[:4], errors="coerce")
    first = year.groupby(rows["entity_id"]).min()
    return first.dropna().astype(int).to_dict(), sorted(first.index[first.isna()])


def match_names(names: pd.Series) -> pd.Series:
    """Entity ids for city names via innostudy.entities.resolve; every failure reported at once."""
    try:
        from innostudy.entities import resolve
    except ImportError as err:
        raise PanelError(
            "matching cities by name needs innostudy.entities; give an entity_id column instead"
        ) from err
    ids, problems = {}, []
    for name in names.dropna().unique():
        try:
            match = resolve(name)
        except (LookupError, ValueError) as err:
            problems.append(f"{name!r}: {err}")
            continue
        entity = getattr(match, "entity_id", None)
        if entity:
            ids[name] = entity
        else:
            problems.append(f"{name!r}: {getattr(match, 'message', match)}")
    if problems:
        raise PanelError("city names not resolved to one entity:\n- " + "\n- ".join(problems))
    return names.map(ids)


def panel_from_designations(cls, outcomes, dataset=None, programme: str = "pilot", *,
                            unit: str | None = None, time: str = "year"):  # fmt: skip
    """See :meth:`innostudy.policy.Panel.from_designations`."""
    import innostudy

    ds = innostudy.load_dataset() if dataset is None else dataset
    frame = read_outcomes(outcomes)
    unit = unit or next((c for c in ("entity_id", "city") if c in frame.columns), None)
    if unit is None or unit not in frame.columns:
        raise PanelError(
            f"no city column: pass unit= (an entity_id or name column); have {list(frame.columns)}"
        )
    if "cohort" in frame.columns:
        raise PanelError("the outcomes already have a 'cohort' column; the designations set it")
    if unit != "entity_id":
        if "entity_id" in frame.columns:
            raise PanelError("the outcomes have an entity_id column; match by it (unit=None)")
        frame.insert(0, "entity_id", match_names(frame[unit]))
    first_year, undated = cohorts(ds.designations, programme)
    present = set(frame["entity_id"].dropna())
    unknown_start = [e for e in undated if e in present and e not in first_year]
    if unknown_start:
        rows = frame.index[frame["entity_id"].isin(unknown_start)]
        raise PanelError(
            f"designated {programme!r} without a known start year: {_listing(unknown_start)} "
            f"(rows {_listing(rows)}); remove them from the outcomes or date the designation"
        )
    absent = sorted(set(first_year) - present)
    if absent:
        warnings.warn(
            f"designated {programme!r} cities not in the outcomes: {_listing(absent)}",
            stacklevel=3,
        )
    frame["cohort"] = frame["entity_id"].map(first_year).fillna(0).astype(int)
    return cls(frame, unit="entity_id", time=time, cohort="cohort")
