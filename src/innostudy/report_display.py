"""How a report shows numbers and tables to a reader (used through :mod:`innostudy.report`).

Counts print as integers, other numbers with a sensible number of decimals, missing values as "—",
infinite bounds as ∞; long text wraps instead of being cut. :func:`show_table` returns a pandas
``Styler``, which JupyterLab and the HTML reports render as a table.

>>> format_number(4.0), format_number(1234567.0), format_number(0.0123456), format_number(None)
('4', '1,234,567', '0.01235', '—')
>>> format_number(1.56184, decimals=2), format_number(float("inf"))
('1.56', '∞')
"""

from __future__ import annotations

import math
from typing import Any

MISSING = "—"
TABLE_CSS = [
    {"selector": "td", "props": "white-space: normal; max-width: 36em; text-align: left;"},
    {"selector": "th", "props": "text-align: left; white-space: nowrap;"},
    {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: bold;"},
]


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array is not missing
        return False


def format_number(value: Any, decimals: int | None = None) -> str:
    """A number as a reader wants it: integers without decimals, others with ``decimals`` (default:
    four significant digits and none after the point from 1,000 on, no trailing zeros; the labels
    of :mod:`innostudy.profile`'s figures round the same way), missing as "—",
    infinity as ∞; a pair or list of numbers (an interval) each so, in parentheses.

    >>> format_number(8.3), format_number(66.25), format_number(158677.3), format_number((10.0, None))
    ('8.3', '66.25', '158,677', '(10, —)')
    """
    if isinstance(value, tuple | list):
        return "(" + ", ".join(format_number(v, decimals) for v in value) + ")"
    if _missing(value):
        return MISSING
    if isinstance(value, bool) or not isinstance(value, int | float) and not hasattr(value, "item"):
        return str(value)
    value = value.item() if hasattr(value, "item") else value
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if float(value).is_integer() and abs(value) < 1e15 and decimals is None:
        return f"{int(value):,}"
    if decimals is None:
        magnitude = math.floor(math.log10(abs(value))) if value else 0
        places = max(0, 3 - magnitude)
        text = f"{value:,.{places}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return f"{value:,.{decimals}f}"


def show_table(table, *, decimals: int | None = None, caption: str | None = None, index=None):
    """A DataFrame (or Series) styled for reading: see :func:`format_number`; text wraps.

    ``decimals`` fixes the decimals of every non-integer number; ``index`` (default: shown unless
    it is a plain 0, 1, 2 ... range) shows or hides the row labels.

    >>> import pandas as pd
    >>> html = show_table(pd.DataFrame({"labs": [4.0, None], "share": [0.5, 0.25]})).to_html()
    >>> ">4<" in html and ">—<" in html and ">0.5<" in html
    True
    >>> facts = pd.DataFrame({"value": [2020.0, 1210.0], "unit": ["year", "enterprises"]})
    >>> html = show_table(facts).to_html()
    >>> ">2020<" in html and ">1,210<" in html  # a year is not a count
    True
    """
    import pandas as pd

    frame = table.to_frame() if isinstance(table, pd.Series) else table
    columns = {}
    for name in frame.columns:
        column = frame[name]
        numbers = pd.to_numeric(column, errors="coerce")
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        finite = numbers[numbers.notna() & numbers.abs().ne(math.inf)]
        if numeric and decimals is None and len(finite) and (finite % 1 == 0).all():
            columns[name] = format_number  # a count: integers, whatever the dtype
        elif numeric:
            columns[name] = lambda v: format_number(v, decimals if _is_fraction(v) else None)
        else:
            columns[name] = _format_text
    styler = frame.style.format(columns).set_table_styles(TABLE_CSS)
    if "unit" in frame.columns and frame.columns.is_unique:  # a figure whose unit is a year
        years = frame.index[frame["unit"].astype(str).eq("year").to_numpy()]
        figures = [c for c in ("value", "low", "high", "shown_value") if c in frame.columns]
        if len(years) and figures:
            styler = styler.format(format_year, subset=pd.IndexSlice[years, figures])
    numbers = [n for n in frame.columns if pd.api.types.is_numeric_dtype(frame[n])]
    if numbers and frame.columns.is_unique:
        styler = styler.set_properties(subset=numbers, **{"text-align": "right"})
    if caption:
        styler = styler.set_caption(caption)
    plain = frame.index.name is None and pd.api.types.is_integer_dtype(frame.index)
    if index is False or (index is None and plain):
        styler = styler.hide(axis="index")
    return styler


def format_year(value: Any) -> str:
    """A year as a year (2020, not 2,020); anything else as :func:`format_number` writes it."""
    if isinstance(value, int | float) and not _missing(value) and float(value).is_integer():
        return str(int(value))
    return format_number(value)


def _is_fraction(value: Any) -> bool:
    return not _missing(value) and isinstance(value, int | float) and not float(value).is_integer()


def _format_text(value: Any) -> str:
    """A cell of a text column: missing as "—", intervals and numbers formatted, else as it is."""
    if isinstance(value, tuple | list | float | int) and not isinstance(value, bool):
        return format_number(value)
    return MISSING if _missing(value) else str(value)


class Saved(list):
    """The paths a report helper wrote: a list, that shows nothing as a cell's last value."""

    def _ipython_display_(self) -> None:
        return None


class Provenance(dict):
    """What produced a report (a dict), shown as a short table in JupyterLab and the HTML page."""

    def _repr_html_(self) -> str:
        import html

        git = self.get("git") or {}
        commit = (git.get("commit") or "unknown")[:12] + (" (uncommitted changes)" if git.get(
            "dirty") else "")  # fmt: skip
        packages = self.get("packages") or {}
        shown = ("innostudy", "pandas", "numpy", "statsmodels", "matplotlib", "papermill")
        data = self.get("data") or {}
        rows = [
            ("parameters", ", ".join(f"{k} = {v!r}" for k, v in self.get("parameters", {}).items())
             or "defaults"),
            ("code version", commit),
            ("data", f"{len(data)} table(s) in {self.get('data_dir')}; sha256 "
             + ", ".join(f"{name} {digest[:8]}" for name, digest in data.items())),
            *(("input file", f"{i['path']} (sha256 {i['sha256'][:12]}, {i['bytes']:,} bytes)")
              for i in self.get("inputs") or []),
            ("packages", ", ".join(f"{p} {packages[p]}" for p in shown if packages.get(p))),
        ]  # fmt: skip
        style = "text-align: left; white-space: normal; max-width: 60em"
        body = "".join(
            f'<tr><th style="{style}">{html.escape(k)}</th>'
            f'<td style="{style}">{html.escape(str(v))}</td></tr>'
            for k, v in rows
        )
        return f'<table class="innostudy-provenance">{body}</table>'

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(f"<Provenance: {len(self.get('data') or {})} data table(s), "
                     f"{len(self.get('inputs') or [])} input file(s)>")  # fmt: skip
