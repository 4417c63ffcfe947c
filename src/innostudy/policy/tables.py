"""Regression tables as the field publishes them: one column per model, stars, (SE), Yes rows.

:func:`table` takes any results that follow the protocol (``tidy()`` with ``term, estimate,
std_error, statistic, p_value``, a ``nobs`` and optionally ``r2``, ``outcome_mean``,
``controls``, ``time_effects``, ``y``) and lays them out as Stata's ``esttab``/``outreg2``
does: coefficients with stars, standard errors (or t statistics) in parentheses, rows for
controls and fixed effects, N, R², the outcome's mean and the effect as a share of it. It
renders as a three-line (booktabs) LaTeX table, HTML (JupyterLab shows it), Markdown and an
editable Word table, in English or Chinese.

Which implementation, and why (evaluated November 2026, both installed with pyfixest):

* **maketables** 0.2.0 (pyfixest's table package): LaTeX, HTML, Word through python-docx and
  great_tables; reads pyfixest, statsmodels and linearmodels models. Our results would need an
  extractor plugin of its pre-1.0 interface (renamed once already), and its row and note
  vocabulary is English only.
* **great_tables** 1.1.0: fine HTML, LaTeX output marked experimental, no Word output; a
  general table formatter, nothing regression-specific (stars, SE rows, Yes rows).

Choice: the layout (about 200 lines) is written here, so that each cell is exactly the number
of the result it came from (the tests read them back), with **python-docx** (1.2, maintained,
MIT; pure Python on lxml) for the .docx: a runtime dependency, in pyproject.toml and
environment.yml.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd

from innostudy.results import _latex

WORDS = {
    "en": {"treated": "Pilot × Post", "controls": "Controls", "unit_fe": "City FE",
           "year_fe": "Year FE", "nobs": "Observations", "units": "Cities", "r2": "R²",
           "mean": "Mean of outcome", "share": "Effect / mean", "yes": "Yes", "no": "No",
           "std_error": "Standard errors clustered by city in parentheses",
           "statistic": "t statistics in parentheses", "stars": "{} p < {}",
           "simulated": "SIMULATED DATA: not evidence about real cities.",
           "mixed_std_error": "Standard errors in parentheses", "mixed_statistic":
           "t statistics in parentheses; their standard errors", "column": "column {}",
           "kind_std_error": "clustered by city", "kind_wild": "clustered by city, stars from "
           "the wild cluster bootstrap p-value (null imposed)", "kind_influence": "from the "
           "units' influence functions (Callaway-Sant'Anna)", "kind_imputation": "Borusyak, "
           "Jaravel & Spiess's conservative imputation standard errors, clustered by city"},
    "zh": {"treated": "试点 × 政策后", "controls": "控制变量", "unit_fe": "城市固定效应",
           "year_fe": "年份固定效应", "nobs": "观测值", "units": "城市数", "r2": "R²",
           "mean": "被解释变量均值",
           "share": "效应 / 均值", "yes": "是", "no": "否",
           "std_error": "括号内为聚类到城市的稳健标准误", "statistic": "括号内为 t 值",
           "stars": "{} p < {}", "mixed_std_error": "括号内为标准误",
           "simulated": "模拟数据（SIMULATED DATA）：并非关于真实城市的证据。",
           "mixed_statistic": "括号内为 t 值，其标准误", "column": "第{}列",
           "kind_std_error": "聚类到城市",
           "kind_wild": "聚类到城市，星号依据野聚类自助法（施加原假设）的 p 值",
           "kind_influence": "基于个体影响函数（Callaway-Sant'Anna）",
           "kind_imputation": "为插补估计量的保守标准误（Borusyak、Jaravel 和 Spiess），聚类到城市"},
}  # fmt: skip
EFFECT_TERMS = ("treated", "overall")  # a TWFE's treatment term, an aggregate's overall ATT


def star(p: float, stars=(0.1, 0.05, 0.01)) -> str:
    """One star per threshold of ``stars`` that ``p`` is below.

    >>> star(0.004), star(0.03), star(0.07), star(0.2), star(float("nan"))
    ('***', '**', '*', '', '')
    """
    return "" if not np.isfinite(p) else "*" * sum(p < s for s in stars)


def _facts(result) -> dict:
    """N, R², mean, controls and fixed effects of a result, None where it does not say."""
    inner = getattr(result, "result", None)  # an aggregate of ATT(g,t) keeps its fit here
    controls = getattr(result, "controls", None)
    if controls is None and inner is not None:
        controls = getattr(inner, "covariates", None)
    return {
        "y": getattr(result, "y", None) or getattr(inner, "y", None),
        "nobs": getattr(result, "nobs", None) or getattr(inner, "nobs", None),
        "units": getattr(result, "n_units", None) or getattr(inner, "n", None),
        "r2": getattr(result, "r2", None),
        "mean": getattr(result, "outcome_mean", None),
        "controls": None if controls is None else list(controls),
        "time_effects": getattr(result, "time_effects", None),
    }


def event_label(term: str, binned: bool = False, lang: str = "en") -> str:
    """A row name for an event-time term ``rel_k``, as papers write it; a binned end point
    pools every year beyond it.

    >>> [event_label(t) for t in ("rel_-4", "rel_0", "rel_2")], event_label("rel_3", True)
    (['t−4', 't+0', 't+2'], 't≥+3')
    >>> [event_label(t, lang="zh") for t in ("rel_-4", "rel_0", "rel_2")]
    ['前4期', '当期', '后2期']
    """
    k = int(term[4:])
    if lang == "zh":
        name = "当期" if k == 0 else f"前{-k}期" if k < 0 else f"后{k}期"
        return name + ("及以前" if k < 0 else "及以后") if binned else name
    sign = ("≤" if k < 0 else "≥") if binned else ""
    return f"t{sign}{'−' if k < 0 else '+'}{abs(k)}"


def _inference(result, tidy: pd.DataFrame) -> str:
    """How a column's parentheses and stars were obtained: "std_error" (clustered by city),
    "wild", "influence" (Callaway-Sant'Anna) or "imputation"."""
    kind = type(result).__name__
    if kind in ("Aggregate", "ATTgtResult"):
        return "influence"
    if kind == "ImputationResult":
        return "imputation"
    if "inference" in tidy and (tidy["inference"] == "wild").any():
        return "wild"
    return "std_error"


def _rows(tidy: pd.DataFrame, keep) -> pd.DataFrame:
    """The coefficient rows shown: ``keep`` when given; else the effect terms, competing
    policies (``other_*``) and event-time terms (``rel_*``) with an estimate."""
    tidy = tidy[tidy["estimate"].notna()]
    if "in_window" in tidy.columns:
        tidy = tidy[tidy["in_window"].astype(bool)]
    tidy = tidy.assign(term=tidy["term"].replace({"overall": "treated"}))
    if keep is not None:
        return tidy[tidy["term"].isin(keep)]
    terms = tidy["term"].astype(str)
    shown = terms.isin(EFFECT_TERMS) | terms.str.startswith(("other_", "rel_", "treated ×"))
    return tidy[shown.to_numpy()]


class RegressionTable:
    """A regression table: ``cells`` (strings, rows × columns), ``numbers`` (the estimates
    each cell came from) and ``notes``; ``to_latex``, ``to_html``, ``to_markdown``,
    ``to_docx`` render it, and JupyterLab shows the HTML."""

    def __init__(self, cells: pd.DataFrame, numbers: pd.DataFrame, notes: list[str],
                 n_coef_rows: int, title: str = "", simulated: bool = False):  # fmt: skip
        self.cells, self.numbers, self.notes, self.title = cells, numbers, notes, title
        self.n_coef_rows, self.simulated = n_coef_rows, simulated

    def _header(self) -> list[list[str]]:
        k = len(self.cells.columns)
        return [[""] + [f"({j + 1})" for j in range(k)], [""] + list(self.cells.columns)]

    def _body(self) -> list[list[str]]:
        return [[str(i), *row] for i, row in zip(self.cells.index, self.cells.values, strict=True)]

    def __repr__(self) -> str:
        return self.to_markdown()

    def as_frame(self) -> pd.DataFrame:
        """The cells, then one row per note (in the first column), for a .csv."""
        notes = pd.DataFrame("", index=self.notes, columns=self.cells.columns)
        return pd.concat([self.cells, notes])

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_markdown(self) -> str:
        """A pipe table (GitHub Markdown), notes below."""
        head = self._header()
        lines = ["| " + " | ".join(head[0]) + " |", "|" + "---|" * len(head[0])]
        lines += ["| " + " | ".join(row) + " |" for row in [head[1], *self._body()]]
        return "\n".join(([f"**{self.title}**", ""] if self.title else []) + lines
                         + [""] + self.notes)  # fmt: skip

    def to_html(self) -> str:
        """An HTML table drawn with three rules (top, under the header, bottom)."""
        e = html.escape
        rule = "border-top:1.5px solid black"
        head = self._header()
        rows = [f'<tr style="{rule}">' + "".join(f"<th>{e(c)}</th>" for c in head[0]) + "</tr>",
                "<tr>" + "".join(f"<th>{e(c)}</th>" for c in head[1]) + "</tr>"]  # fmt: skip
        for i, row in enumerate(self._body()):
            style = ' style="border-top:1px solid black"' if i == 0 else ""
            cells = [f'<td style="text-align:left">{e(row[0])}</td>']
            cells += [f'<td style="text-align:center">{e(c)}</td>' for c in row[1:]]
            rows.append(f"<tr{style}>" + "".join(cells) + "</tr>")
        caption = f"<caption>{e(self.title)}</caption>" if self.title else ""
        notes = "".join(f"<p><small>{e(n)}</small></p>" for n in self.notes)
        return (f'<div class="innostudy-table"><table style="border-collapse:collapse;'
                f'border-bottom:1.5px solid black">{caption}{"".join(rows)}</table>'
                f"{notes}</div>")  # fmt: skip

    def to_latex(self) -> str:
        """A booktabs table: \\toprule, \\midrule under the header, \\bottomrule; no vertical
        lines. Needs ``\\usepackage{booktabs}`` (and ctex for Chinese labels)."""

        def cell(text: str) -> str:
            stars = len(text) - len(text.rstrip("*"))
            body = _tex(text[: len(text) - stars] if stars else text)
            return body + (f"$^{{{'*' * stars}}}$" if stars else "")

        head = self._header()
        k = len(self.cells.columns)
        lines = [r"\begin{table}[htbp]", r"\centering"]
        if self.title:
            lines.append(rf"\caption{{{_latex(self.title)}}}")
        lines += [rf"\begin{{tabular}}{{l{'c' * k}}}", r"\toprule"]
        lines += [" & ".join(_tex(c) for c in row) + r" \\" for row in head]
        lines.append(r"\midrule")
        lines += [" & ".join(cell(c) for c in row) + r" \\" for row in self._body()]
        lines += [r"\bottomrule", r"\end{tabular}"]
        lines += [rf"\par\footnotesize {_tex(n)}" for n in self.notes]
        lines.append(r"\end{table}")
        return "\n".join(lines) + "\n"

    def to_docx(self, path) -> Path:
        """An editable Word table with the three rules, notes below it; returns the path."""
        from docx import Document
        from docx.shared import Pt

        document = Document()
        if self.title:
            document.add_paragraph(self.title)
        rows = self._header() + self._body()
        grid = document.add_table(rows=len(rows), cols=len(rows[0]))
        for i, row in enumerate(rows):
            for j, text in enumerate(row):
                grid.cell(i, j).text = text
        _rules(grid, [(0, "top"), (1, "bottom"), (len(rows) - 1, "bottom")])
        for note in self.notes:
            document.add_paragraph(note).runs[0].font.size = Pt(8)
        path = Path(path)
        document.save(path)
        return path


def _se_note(inference: list[str], se: str, words: dict) -> str:
    """One sentence when every column's parentheses mean the same; else what they are in each
    group of columns, e.g. "Standard errors in parentheses: column (1)(2) clustered by city;
    column (3) clustered by city, stars from the wild cluster bootstrap p-value …"."""
    kinds = list(dict.fromkeys(inference))
    if kinds == ["std_error"]:
        return words[se]
    groups = []
    for kind in kinds:
        columns = "".join(f"({j + 1})" for j, k in enumerate(inference) if k == kind)
        groups.append(f"{words['column'].format(columns)} {words['kind_' + kind]}")
    return words["mixed_" + se] + ": " + "; ".join(groups)


def _tex(text: str) -> str:
    """LaTeX of a cell or note: special characters escaped; R², ×, <, > and a leading minus in
    math, — as a dash, so that pdflatex needs no Unicode support and its default font encoding
    does not print "<" as "¡".

    >>> _tex("-0.085**"), _tex("* p < 0.1"), _tex("R²")
    ('$-$0.085**', '* p $<$ 0.1', '$R^2$')
    """
    out = _latex(text)
    for plain, tex in (("R²", "$R^2$"), ("×", r"$\times$"), ("—", "---"), ("<", "$<$"),
                       (">", "$>$"), ("≤", r"$\le$"), ("≥", r"$\ge$"), ("−", "$-$")):  # fmt: skip
        out = out.replace(plain, tex)
    return re.sub(r"^-(?=\d)", "$-$", out)


def _rules(grid, where) -> None:
    """Horizontal rules on whole rows of a python-docx table: (row index, "top"|"bottom")."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for index, side in where:
        for cell in grid.rows[index].cells:
            props = cell._tc.get_or_add_tcPr()
            borders = props.find(qn("w:tcBorders"))
            if borders is None:
                borders = OxmlElement("w:tcBorders")
                props.append(borders)
            edge = OxmlElement(f"w:{side}")
            for key, value in (("val", "single"), ("sz", "8"), ("color", "000000")):
                edge.set(qn(f"w:{key}"), value)
            borders.append(edge)


def table(results, *, labels=None, lang: str = "en", stars=(0.1, 0.05, 0.01),
          se: str = "std_error", keep=None, rename=None, digits: int = 3,
          title: str = "") -> RegressionTable:  # fmt: skip
    """One regression table from results (a list, or a dict {column label: result}).

    ``labels``: column titles (default the outcome of each result); ``lang``: "en" or "zh"
    for the row names, Yes/是 and the notes; ``se``: "std_error" or "statistic" in
    parentheses; ``keep``: the terms shown (default: the treatment effect, competing
    policies, event-time and interaction terms); ``rename``: {term: row label}. "Effect / mean"
    is left empty ("—") where the outcome's mean is not positive.

    >>> from innostudy.policy import Panel, simulate_panel, table, twfe
    >>> panel = Panel(simulate_panel(seed=1), "unit", "year", "cohort")
    >>> t = table([twfe(panel, "y"), twfe(panel, "y", controls=["x"])])
    >>> t.cells.loc["Controls"].tolist(), t.cells.loc["Observations"].tolist()
    (['No', 'Yes'], ['3,300', '3,300'])
    >>> "\\\\toprule" in t.to_latex()
    True
    """
    if lang not in WORDS:
        raise ValueError(f"lang must be one of {list(WORDS)}, got {lang!r}")
    if se not in ("std_error", "statistic"):
        raise ValueError(f"se must be 'std_error' or 'statistic', got {se!r}")
    if isinstance(results, dict):
        labels, results = list(results) if labels is None else labels, list(results.values())
    results = list(results)
    if not results:
        raise ValueError("table needs at least one result")
    words = WORDS[lang]
    facts = [_facts(r) for r in results]
    labels = [f["y"] or "" for f in facts] if labels is None else [str(x) for x in labels]
    if len(labels) != len(results):
        raise ValueError(f"{len(labels)} labels for {len(results)} results")
    names = {"treated": words["treated"], **(rename or {})}
    numbers, order, inference = [], [], []
    for j, result in enumerate(results):
        tidy = result.tidy()
        inference.append(_inference(result, tidy))
        missing = [c for c in ("term", "estimate", "std_error", "p_value") if c not in tidy]
        if missing:
            raise ValueError(f"result {j + 1} ({type(result).__name__}): tidy() lacks {missing}")
        for row in _rows(tidy, keep).itertuples():
            if str(row.term).startswith("rel_") and row.term not in names:
                names[row.term] = event_label(row.term, getattr(row, "binned", False), lang)
            numbers.append({"column": j, "term": row.term, "estimate": row.estimate,
                            "std_error": row.std_error, "statistic": row.estimate / row.std_error,
                            "p_value": row.p_value})  # fmt: skip
            order += [row.term] if row.term not in order else []
    numbers = pd.DataFrame(numbers, columns=["column", "term", "estimate", "std_error",
                                             "statistic", "p_value"])  # fmt: skip
    f = f"{{:.{digits}f}}"
    body, index = [], []
    for term in order:
        coef, paren = [""] * len(results), [""] * len(results)
        for n in numbers[numbers["term"] == term].itertuples():
            coef[n.column] = f.format(n.estimate) + star(n.p_value, stars)
            paren[n.column] = "(" + f.format(getattr(n, se)) + ")"
        body += [coef, paren]
        index += [names.get(term, term), ""]
    yes = {True: words["yes"], False: words["no"], None: "—"}
    effect = numbers[numbers["term"] == "treated"].set_index("column")["estimate"]

    def share(j):  # a share of a mean only reads as one for a positive mean
        mean = facts[j]["mean"]
        return f.format(effect[j] / mean) if j in effect.index and mean and mean > 0 else "—"

    stats = {
        words["controls"]: [yes[None if x["controls"] is None else bool(x["controls"])]
                            for x in facts],
        words["unit_fe"]: [yes[None if x["time_effects"] is None else True] for x in facts],
        words["year_fe"]: [yes[x["time_effects"] if x["time_effects"] is not None else None]
                           for x in facts],
        words["nobs"]: [f"{x['nobs']:,}" if x["nobs"] is not None else "—" for x in facts],
        words["units"]: [f"{x['units']:,}" if x["units"] is not None else "—" for x in facts],
        words["r2"]: [f.format(x["r2"]) if x["r2"] is not None else "—" for x in facts],
        words["mean"]: [f.format(x["mean"]) if x["mean"] is not None else "—" for x in facts],
        words["share"]: [share(j) for j in range(len(results))],
    }  # fmt: skip
    body += list(stats.values())
    index += list(stats)
    cells = pd.DataFrame(body, index=index, columns=labels)
    thresholds = sorted(stars, reverse=True)
    notes = [_se_note(inference, se, words) + "; " + ", ".join(
        words["stars"].format("*" * (i + 1), t) for i, t in enumerate(thresholds)) + "."]  # fmt: skip
    simulated = any(getattr(r, "simulated", False) for r in results)
    if simulated:
        notes.append(words["simulated"])
    return RegressionTable(cells, numbers, notes, 2 * len(order), title, simulated)
