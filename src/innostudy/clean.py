"""Parse the figures that reports are written in.

``interval`` is the project's one rule for the interval a qualifier implies.
"""

from __future__ import annotations

import math


def interval(value: float, qualifier: str) -> tuple[float, float]:
    """The (low, high) interval a qualified figure implies.

    "more than 90" -> (90, inf), the low bound exclusive by its qualifier; "at most 10" -> (-inf, 10);
    "about 50" -> (nan, nan): the project does not invent a band around an approximate figure.

    >>> interval(90, "more_than")
    (90.0, inf)
    >>> interval(23, "exact")
    (23.0, 23.0)
    """
    value = float(value)
    bounds = {
        "exact": (value, value),
        "about": (math.nan, math.nan),
        "more_than": (value, math.inf),
        "at_least": (value, math.inf),
        "at_most": (-math.inf, value),
        "less_than": (-math.inf, value),
    }
    if qualifier not in bounds:
        raise ValueError(f"unknown qualifier {qualifier!r}; expected one of {', '.join(bounds)}")
    return bounds[qualifier]
