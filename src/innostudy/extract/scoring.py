"""Precision and recall of extracted facts against gold facts."""

from __future__ import annotations

import math
from typing import NamedTuple

import pandas as pd

FACT = ("entity_id", "indicator_id", "value", "qualifier")


class Score(NamedTuple):
    """Precision and recall of extracted facts against gold facts."""

    precision: float
    recall: float
    matched: int
    found: int
    gold: int


def score(found: pd.DataFrame, gold: pd.DataFrame, on=FACT, by: str | None = None) -> Score:
    """Precision and recall of the distinct ``on`` tuples of ``found`` against those of ``gold``,
    within each ``by`` group (a document) when given. A fact found twice counts once; values
    match to 9 significant digits.

    >>> gold = pd.DataFrame({"value": [23.0, 65.0], "qualifier": ["exact", "exact"]})
    >>> score(pd.DataFrame({"value": [23.0, 7.0], "qualifier": ["exact", "exact"]}), gold,
    ...       on=("value", "qualifier"))
    Score(precision=0.5, recall=0.5, matched=1, found=2, gold=2)
    """
    keys = [by, *on] if by else list(on)

    def facts(frame: pd.DataFrame) -> set:
        frame = frame[keys].copy()
        if "value" in frame:
            frame["value"] = [float(f"{float(v):.9g}") for v in frame["value"]]
        return set(frame.astype(object).where(frame.notna(), None).itertuples(index=False))

    f, g = facts(found), facts(gold)
    matched = len(f & g)
    return Score(
        matched / len(f) if f else math.nan, matched / len(g) if g else math.nan, matched,
        len(f), len(g),
    )  # fmt: skip
