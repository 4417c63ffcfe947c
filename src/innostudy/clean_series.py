"""The parsers of :mod:`innostudy.clean` over a pandas Series: each distinct string parsed once,
one row out per row in, the ParseError message in ``error`` where a row cannot be read.
Reachable as ``innostudy.clean.quantities`` and so on.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from innostudy import clean  # the parsers looked up at call time, as from innostudy.clean


def _vectorise(series, parse: Callable, columns: dict[str, str], row: Callable) -> pd.DataFrame:
    """Parse each distinct value of ``series`` once; one output row per input row, same index.

    Missing input (None, NaN) gives missing fields and no error: nothing was there to read.
    Unreadable input gives missing fields and the ParseError message in ``error``.
    """
    series = series if isinstance(series, pd.Series) else pd.Series(series)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    rows, errors = [], []
    for value in uniques.tolist():  # plain str objects: iterating an Arrow array is slow
        try:
            rows.append(row(parse(value if isinstance(value, str) else str(value))))
            errors.append(None)
        except clean.ParseError as err:
            rows.append((None,) * len(columns))
            errors.append(str(err))
    rows.append((None,) * len(columns))  # what missing input (code -1) points to
    errors.append(None)
    table = pd.DataFrame(
        {
            name: pd.Series([r[i] for r in rows], dtype=dtype)
            for i, (name, dtype) in enumerate(columns.items())
        }
        | {"error": pd.Series(errors, dtype="str")}
    )
    out = table.take(np.where(codes < 0, len(uniques), codes))
    out.index = series.index
    return out


_QUANTITY_COLUMNS = {
    "value": "float64", "unit": "str", "currency": "str", "qualifier": "str", "low": "float64",
    "high": "float64", "span_start": "Int64", "span_end": "Int64", "conversion_value": "float64",
    "conversion_currency": "str",
}  # fmt: skip
_RANK_COLUMNS = {
    "position": "Int64", "field_size": "Int64", "qualifier": "str", "low": "float64",
    "high": "float64", "span_start": "Int64", "span_end": "Int64",
}  # fmt: skip


def _quantity_row(q: clean.Quantity) -> tuple:
    c = q.conversion
    return (q.value, q.unit, q.currency, q.qualifier, q.low, q.high, *q.span,
            c and c.value, c and c.currency)  # fmt: skip


def quantities(series) -> pd.DataFrame:
    """:func:`parse_quantity` over a Series, each distinct string parsed once. Columns: value,
    unit, currency, qualifier, low, high, span_start, span_end, conversion_value,
    conversion_currency and error (the ParseError message; NaN where the row was read).

    >>> import pandas as pd
    >>> quantities(pd.Series(["more than 90", "1.46亿元", "about"]))["value"].tolist()
    [90.0, 146000000.0, nan]
    """
    return _vectorise(series, clean.parse_quantity, _QUANTITY_COLUMNS, _quantity_row)


def ranks(series) -> pd.DataFrame:
    """:func:`parse_rank` over a Series. Columns: position, field_size, qualifier, low, high,
    span_start, span_end and error."""
    return _vectorise(
        series, clean.parse_rank, _RANK_COLUMNS,
        lambda r: (r.position, r.field_size, r.qualifier, r.low, r.high, *r.span),
    )  # fmt: skip


def dates(series, reference=None) -> pd.DataFrame:
    """:func:`parse_date` over a Series, with one ``reference`` for all rows. Columns: date
    (datetime64) and error."""
    ref = None if reference is None else clean._as_date(reference)
    return _vectorise(
        series, lambda text: clean.parse_date(text, ref), {"date": "datetime64[s]"},
        lambda d: (pd.Timestamp(d),),
    )  # fmt: skip


def periods(series) -> pd.DataFrame:
    """:func:`parse_period` over a Series. Columns: start, end (years) and error."""
    return _vectorise(
        series, clean.parse_period, {"start": "Int64", "end": "Int64"}, lambda p: p[:2]
    )
