"""Tables for a composite index: a researcher's own entity x indicator file (:func:`read_table`)
and a seeded, clearly simulated table (:func:`simulated_table`).

>>> table, spec = simulated_table(n_units=4, n_indicators=3, seed=1)
>>> table.attrs["simulated"], table.index[0]
(True, 'simulated_unit_01')
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from innostudy.composite.base import (
    CompositeInputError,
    _direction_problems,
    _fail,
    _names,
    _plain_mapping,
)
from innostudy.composite.spec import IndexSpec


@dataclass(frozen=True, eq=False)
class UserTable:
    """An entity x indicator table read by :func:`read_table`, ready for :func:`build`.

    ``table``: entity ids x indicators (floats, NaN = missing), in the file's order; ``directions``:
    indicator -> +1/-1; ``names``: one row per data line (line, name as written, status,
    entity_id, name_en, message), the matching report to show or save.
    """

    table: pd.DataFrame
    directions: dict
    names: pd.DataFrame
    path: Path


def _read_text_table(path: Path) -> tuple[pd.DataFrame, str]:
    """A CSV (UTF-8, with or without BOM) or Excel sheet as text cells; and what a line is called."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        frame = pd.read_excel(path, dtype=object, header=0)
        return frame.map(lambda v: "" if pd.isna(v) else str(v).strip()), "row"
    if suffix not in (".csv", ".txt"):
        raise CompositeInputError(f"{path}: not a CSV or Excel file (suffix {path.suffix!r})")
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig"
        )
    except UnicodeDecodeError as error:
        raise CompositeInputError(
            f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8 CSV"
        ) from None
    return frame.map(str.strip), "line"


def _number(text: str) -> float | None:
    """A cell -> float (thousands separators allowed), NaN for an empty cell, None if not a number."""
    if text == "":
        return math.nan
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def _read_directions(directions, indicators: list[str]) -> tuple[dict, list[str]]:
    """Directions from a mapping or a codebook file (columns indicator and direction): (dict, problems)."""
    problems = []
    if isinstance(directions, (str, os.PathLike)):
        path = Path(directions)
        codebook, line_word = _read_text_table(path)
        name_column = next(
            (c for c in ("indicator", "indicator_id") if c in codebook.columns), None
        )
        if name_column is None or "direction" not in codebook.columns:
            raise CompositeInputError(
                f"{path}: a codebook needs the columns indicator (or indicator_id) and direction; "
                f"it has {_names(codebook.columns)}"
            )
        mapping = {}
        for i, (name, text) in enumerate(
            zip(codebook[name_column], codebook["direction"], strict=True)
        ):
            if name == "" and text == "":
                continue
            value = _number(text)
            if value not in (1.0, -1.0):
                problems.append(
                    f"{path}, {line_word} {i + 2}, column direction: {text!r} for {name!r} is not "
                    "+1 or -1"
                )
            elif name in mapping:
                problems.append(f"{path}, {line_word} {i + 2}: indicator {name!r} is listed twice")
            else:
                mapping[name] = int(value)
        where = f"the codebook {path}"
    else:
        mapping = _plain_mapping(directions) or {}
        where = "directions"
    problems += [f"{where}: {problem}" for problem in _direction_problems(mapping, indicators)]
    return {name: mapping.get(name) for name in indicators}, problems


def read_table(path, *, entity_column: str | None = None, directions=None) -> UserTable:
    """Read a researcher's entity x indicator table (CSV in UTF-8, or Excel) for a composite index.

    One line per entity: ``entity_column`` (default: the first column) names it in Chinese,
    English or pinyin, with or without 市, or by its entity id, and each name is resolved with
    :func:`innostudy.entities.resolve_many`. Every other column is an indicator, named by its header
    as written (units such as "(亿元)" stay in the name: every normalisation is scale-free). Cells
    are numbers (thousands separators allowed) or empty (missing). ``directions``: a codebook file
    (CSV or Excel, columns ``indicator`` and ``direction``, +1 higher is better or -1) or a mapping
    indicator -> +1/-1. Every problem is reported at once, with the file, line (an Excel row) and
    column: a name that is unknown, or ambiguous (with its candidates), two lines naming the same
    entity, a cell that is not a number, a missing or invalid direction.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder, "table.csv")
    ...     _ = path.write_text("城市,专利(件),PM2.5\\n贵阳市,120,30\\n包头,80,\\n", encoding="utf-8")
    ...     user = read_table(path, directions={"专利(件)": 1, "PM2.5": -1})
    >>> user.table.index.tolist(), user.table["PM2.5"].tolist()
    (['guiyang', 'baotou'], [30.0, nan])
    """
    from innostudy import entities

    path = Path(path)
    if not path.is_file():
        raise CompositeInputError(f"{path}: no such file")
    raw, line_word = _read_text_table(path)
    raw = raw[~(raw == "").all(axis=1)]  # an empty line holds nothing
    if raw.shape[1] < 2:
        raise CompositeInputError(f"{path}: needs an entity column and at least one indicator")
    entity_column = entity_column or raw.columns[0]
    if entity_column not in raw.columns:
        raise CompositeInputError(
            f"{path}: no column {entity_column!r}; columns are {_names(raw.columns)}"
        )
    indicators = [c for c in raw.columns if c != entity_column]
    lines = raw.index + 2  # the header is line 1
    problems = []
    matches = entities.resolve_many(raw[entity_column].replace("", None))
    names = pd.DataFrame(
        {
            "line": lines,
            "name": raw[entity_column].to_numpy(),
            "status": matches["status"].fillna("no name").to_numpy(),
            "entity_id": matches["entity_id"].to_numpy(),
            "name_en": matches["name_en"].to_numpy(),
            "message": matches["message"].fillna("empty cell").to_numpy(),
        }
    )
    for row in names.itertuples(index=False):
        if row.status != "resolved":
            problems.append(
                f"{path}, {line_word} {row.line}, column {entity_column}: {row.message}"
            )
    resolved = names[names["status"] == "resolved"]
    for entity_id, group in resolved.groupby("entity_id", sort=False):
        if len(group) > 1:
            problems.append(
                f"{path}, {line_word}s {_names(group['line'])}, column {entity_column}: "
                f"{_names(group['name'])} all name {entity_id}"
            )
    values = np.empty((len(raw), len(indicators)))
    for j, column in enumerate(indicators):
        for i, (line, text) in enumerate(zip(lines, raw[column], strict=True)):
            number = _number(text)
            if number is None or math.isinf(number):
                problems.append(
                    f"{path}, {line_word} {line}, column {column}: {text!r} is not a number"
                )
            else:
                values[i, j] = number
    direction_map, direction_problems = _read_directions(directions, indicators)
    problems += direction_problems
    _fail(problems, f"cannot read the table {path}")
    table = pd.DataFrame(
        values,
        index=pd.Index(names["entity_id"].to_numpy(), name="entity_id"),
        columns=pd.Index(indicators, name="indicator_id"),
    )
    return UserTable(table=table, directions=direction_map, names=names, path=path)


def simulated_table(
    n_units: int = 65,
    n_indicators: int = 12,
    n_pillars: int = 3,
    *,
    missing: float = 0.0,
    seed: int = 0,
) -> tuple[pd.DataFrame, IndexSpec]:
    """A seeded, clearly *simulated* units x indicators table and its spec (directions, pillars).

    Units share a latent performance, pillars add their own, indicators add noise; every fourth
    indicator is heavily skewed (so the outlier rule has work) and every fifth is a "lower is
    better" indicator. ``missing`` blanks that share of cells at random. Every label says
    "simulated", and ``table.attrs["simulated"]`` is True.

    >>> table, spec = simulated_table(n_units=5, n_indicators=4, n_pillars=2, seed=3)
    >>> table.shape, table.index[0], spec.pillars["simulated_ind_02"]
    ((5, 4), 'simulated_unit_01', 'simulated_pillar_2')
    """
    rng = np.random.default_rng(seed)
    units = [f"simulated_unit_{i:02d}" for i in range(1, n_units + 1)]
    indicators = [f"simulated_ind_{j:02d}" for j in range(1, n_indicators + 1)]
    pillars = {name: f"simulated_pillar_{j % n_pillars + 1}" for j, name in enumerate(indicators)}
    latent = rng.normal(size=n_units)
    pillar_effect = latent[:, None] + rng.normal(scale=0.6, size=(n_units, n_pillars))
    columns, directions = {}, {}
    for j, name in enumerate(indicators):
        loading = rng.uniform(0.5, 0.9)
        signal = loading * pillar_effect[:, j % n_pillars] + math.sqrt(1 - loading**2) * rng.normal(
            size=n_units
        )
        if j % 4 == 3:
            values, direction = 10 * np.exp(1.3 * signal), 1
        elif j % 5 == 4:
            values, direction = 100 - 12 * signal, -1
        else:
            values, direction = 50 + 10 * signal, 1
        columns[name], directions[name] = values, direction
    table = pd.DataFrame(columns, index=pd.Index(units, name="entity_id"))
    if missing > 0:
        table = table.mask(rng.random(table.shape) < missing)
    table.columns.name = "indicator_id"
    table.attrs["simulated"] = True  # said by every result built from it
    return table, IndexSpec(directions=directions, pillars=pillars)
