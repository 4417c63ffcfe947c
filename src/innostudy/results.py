"""The results protocol: what every result object of innostudy offers, whatever computed it.

Every public result class derives from :class:`Result` and so joins :data:`RESULT_CLASSES`
(``tests/test_protocol.py`` checks each one, so none can escape the protocol). A result has

* a one-line ``repr``: ``<TWFEResult: treated 1.020 (se 0.050), 3,300 obs, 300 clusters [SIMULATED]>``;
* ``_repr_html_``: its summary as HTML tables, which is what a JupyterLab cell shows;
* ``summary(alpha=0.05)``: a :class:`Summary` (title, key/value header lines, tables, notes)
  that prints as text and renders in JupyterLab, with ``as_text()``, ``as_html()`` and
  ``as_latex()`` showing the same numbers with the same rounding;
* ``tidy(alpha=0.05)``: a DataFrame whose columns start with the ones of :data:`VOCABULARY`
  that apply, in that order (``term, estimate, std_error, statistic, p_value, conf_low,
  conf_high``), other columns after; the confidence level is chosen here, not at fit time;
* ``plot(ax=None, *, title=None)``: draws into ``ax`` (a new figure when None) and returns it;
* ``simulated``: True when the data were simulated, said in the repr, the summary and the plot.

Errors derive from :class:`innostudy.errors.InnostudyError`.

>>> s = Summary("Example", [("obs", 3)], [pd.DataFrame({"term": ["a"], "estimate": [0.5]})])
>>> print(s)
Example
obs: 3
term  estimate
   a    0.5000
>>> "<table" in s.as_html(), "0.5000" in s.as_latex()
(True, True)
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

SIMULATED = "SIMULATED DATA"
VOCABULARY = ("term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")
MISSING = "—"

RESULT_CLASSES: list[type] = []  # every public subclass of Result, in the order defined


def format_value(value) -> str:
    """One way to write a number in every rendering: integers whole (thousands separators from
    10,000 on, so that years read 2020), other floats with four decimals (scientific only when
    tiny or huge), missing as "—".

    >>> [format_value(v) for v in (2020, 33000, 1.0, 0.012345, 2.5e-07, float("nan"), None, "a")]
    ['2020', '33,000', '1.0000', '0.0123', '2.500e-07', '—', '—', 'a']
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return MISSING
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return f"{int(value):,}" if abs(int(value)) >= 10_000 else str(int(value))
    if isinstance(value, float | np.floating):
        value = float(value)
        if math.isnan(value):
            return MISSING
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if value != 0 and (abs(value) < 1e-4 or abs(value) >= 1e9):
            return f"{value:.3e}"
        return f"{value:.4f}"
    return str(value)


P_FLOOR = 1e-4  # p-values below it are written "< 0.0001", not as 1.951e-32


def _formatted(table: pd.DataFrame) -> pd.DataFrame:
    """The table as strings, each cell written by :func:`format_value`; a float column whose
    values are all whole numbers (counts, years, factors) is written as integers, and a
    p-value below 0.0001 as "< 0.0001"."""
    table = table.reset_index(drop=True)
    columns = {}
    for name, column in table.items():
        if str(name) in ("p_value", "pvalue"):
            columns[str(name)] = [f"< {P_FLOOR:.4f}" if 0 <= v < P_FLOOR else format_value(v)
                                  for v in column.astype(float)]  # fmt: skip
            continue
        if pd.api.types.is_float_dtype(column):
            present = column.dropna().to_numpy(float)
            if len(present) and np.isfinite(present).all() and (present == np.round(present)).all():
                column = whole(column)
        columns[str(name)] = [format_value(v) for v in column.astype(object)]
    return pd.DataFrame(columns, index=table.index)


def _text(title, header, tables, notes) -> str:
    lines = [title, *(f"{k}: {v}" for k, v in header)]
    for caption, table in tables:
        if caption:
            lines.append(caption)
        lines.append(_formatted(table).to_string(index=False) if len(table) else "(none)")
    lines += [f"note: {n}" for n in notes]
    return "\n".join(lines)


class Summary(str):
    """A report of a result: a title, key/value header lines, tables and notes.

    It is its own text (a ``str``, so ``print(s)``, ``"warning" in s`` and ``s.splitlines()``
    work), shows as HTML tables in JupyterLab, and renders as LaTeX; the three share one
    formatting of every number (:func:`format_value`). ``tables`` holds DataFrames or
    ``(caption, DataFrame)`` pairs.
    """

    def __new__(cls, title: str, header: Iterable[tuple[str, object]] = (), tables=(),
                notes: Iterable[str] = (), *, simulated: bool = False):  # fmt: skip
        parts = {
            "title": f"{title} [{SIMULATED}]" if simulated else title,
            "header": [(str(k), v if isinstance(v, str) else format_value(v)) for k, v in header],
            "tables": [t if isinstance(t, tuple) else ("", t) for t in tables],
            "notes": ([f"{SIMULATED}: not evidence about real cities."] if simulated else [])
            + [str(n) for n in notes],
        }
        self = super().__new__(cls, _text(**parts))
        self.__dict__.update(parts, simulated=simulated)
        return self

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()

    def as_text(self) -> str:
        return str.__str__(self)

    def as_html(self) -> str:
        e = html.escape
        parts = [f'<div class="innostudy-summary"><h4>{e(self.title)}</h4>']
        if self.header:
            rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in self.header)
            parts.append(f"<table>{rows}</table>")
        for caption, table in self.tables:
            body = _formatted(table).to_html(index=False, escape=True, border=0)
            if caption:
                body = body.replace(">\n", f">\n<caption>{e(caption)}</caption>\n", 1)
            parts.append(body)
        parts += [f"<p><em>{e(n)}</em></p>" for n in self.notes]
        return "\n".join(parts) + "</div>"

    def as_latex(self) -> str:
        parts = [rf"\textbf{{{_latex(self.title)}}}", ""]
        if self.header:
            rows = "\n".join(rf"{_latex(k)} & {_latex(v)} \\" for k, v in self.header)
            parts.append("\\begin{tabular}{ll}\n" + rows + "\n\\end{tabular}\n")
        for caption, table in self.tables:
            frame = _formatted(table)
            head = " & ".join(_latex(c) for c in frame.columns) + r" \\"
            body = "\n".join(" & ".join(_latex(v) for v in row) + r" \\" for row in frame.values)
            spec = "l" * max(len(frame.columns), 1)
            table_tex = f"\\begin{{tabular}}{{{spec}}}\n\\hline\n{head}\n\\hline\n{body}\n"
            parts.append(
                (rf"\textit{{{_latex(caption)}}}\\" + "\n" if caption else "")
                + table_tex
                + "\\hline\n\\end{tabular}\n"
            )
        parts += [rf"\textit{{{_latex(n)}}}\\" for n in self.notes]
        return "\n".join(parts)


_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
          "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}  # fmt: skip


def _latex(text: str) -> str:
    return "".join(_LATEX.get(c, c) for c in str(text))


class Result:
    """Base of every public result class: the one-line repr, the HTML view and the registry.

    A subclass defines ``summary(alpha=0.05) -> Summary``, ``tidy(alpha=0.05) -> DataFrame``,
    ``plot(ax=None, *, title=None) -> Axes`` and ``_headline()`` (the short text of its repr),
    and sets ``simulated``. A shared base that is not itself a result is declared with
    ``class Base(Result, abstract=True)`` and stays out of :data:`RESULT_CLASSES`.
    """

    simulated: bool = False

    def __init_subclass__(cls, abstract: bool = False, **kwargs):
        super().__init_subclass__(**kwargs)
        if not abstract and not cls.__name__.startswith("_"):
            RESULT_CLASSES.append(cls)

    def _headline(self) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __repr__(self) -> str:
        text = " ".join(str(self._headline()).split())  # one line, whatever the headline held
        return f"<{type(self).__name__}: {text}{' [SIMULATED]' if self.simulated else ''}>"

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def summary(self, alpha: float = 0.05) -> Summary:  # pragma: no cover - defined by each
        raise NotImplementedError

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:  # pragma: no cover - defined by each
        raise NotImplementedError

    def plot(self, ax=None, *, title: str | None = None):  # pragma: no cover - defined by each
        raise NotImplementedError


def check_alpha(alpha: float) -> float:
    """``alpha`` as a float strictly between 0 and 1, or a ValueError saying what was given."""
    if not 0 < float(alpha) < 1:
        raise ValueError(f"alpha must be between 0 and 1 (0.05 for 95 % intervals), got {alpha!r}")
    return float(alpha)


def intervals(table: pd.DataFrame, alpha: float = 0.05, df: float | None = None) -> pd.DataFrame:
    """``table`` with ``statistic, p_value, conf_low, conf_high`` computed from its ``estimate``
    and ``std_error`` (Student's t with ``df`` degrees of freedom, the normal when None), the
    vocabulary's columns first.

    >>> t = intervals(pd.DataFrame({"term": ["x"], "estimate": [2.0], "std_error": [1.0]}))
    >>> t.round(3).to_numpy().tolist()[0]
    ['x', 2.0, 1.0, 2.0, 0.046, 0.04, 3.96]
    """
    from scipy import stats

    alpha = check_alpha(alpha)
    dist = stats.norm() if df is None else stats.t(df)
    estimate = table["estimate"].to_numpy(float)
    se = table["std_error"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = estimate / se
    crit = dist.ppf(1 - alpha / 2)
    out = table.copy()
    out["statistic"] = statistic
    out["p_value"] = 2 * dist.sf(np.abs(statistic))
    out["conf_low"], out["conf_high"] = estimate - crit * se, estimate + crit * se
    return in_order(out)


def in_order(table: pd.DataFrame) -> pd.DataFrame:
    """The vocabulary's columns present in ``table`` first, in their order, then the rest."""
    first = [c for c in VOCABULARY if c in table.columns]
    return table[first + [c for c in table.columns if c not in first]]


def labelled(table: pd.DataFrame, simulated: bool) -> pd.DataFrame:
    """``table`` with a ``simulated`` column set to True when the data were simulated."""
    return table.assign(simulated=True) if simulated else table


def axes(ax=None, figsize=(7, 4)):
    """``ax``, or the Axes of a new figure of ``figsize`` when None (matplotlib imported here)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


def finish(ax, title: str, simulated: bool):
    """Set the title and, for simulated data, :func:`mark_simulated` between the title and the
    frame (the title is raised to make room); return ``ax``."""
    ax.set_title(title, pad=MARK_PAD if simulated else None)
    if simulated:
        mark_simulated(ax)
    return ax


MARK_PAD = 16  # points between frame and title when the simulated mark sits between them


def mark_simulated(ax) -> None:
    """Write "SIMULATED DATA" just above the frame of ``ax``: over no data, under the title."""
    ax.annotate(SIMULATED, xy=(0.5, 1.0), xycoords="axes fraction", xytext=(0, 2),
                textcoords="offset points", ha="center", va="bottom", color="crimson",
                fontsize=8)  # fmt: skip


def whole(values) -> pd.Series:
    """``values`` with every whole-number float as an int (counts read 4, not 4.0000), as an
    object Series so that pandas does not turn them back into floats.

    >>> whole(pd.Series([4.0, 2.5, float("nan")])).tolist()
    [4, 2.5, nan]
    """
    values = pd.Series(values)
    return pd.Series(
        [int(v) if isinstance(v, float) and math.isfinite(v) and v == int(v) else v
         for v in values.astype(object)],
        index=values.index, dtype=object,
    )  # fmt: skip


def count(n: int, what: str) -> str:
    """``3,300 obs``-style counts for headlines.

    >>> count(3300, "obs")
    '3,300 obs'
    """
    return f"{int(n):,} {what}"
