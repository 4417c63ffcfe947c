"""Regression tables (innostudy.policy.tables): every cell equals its result, stars follow the
p-values, LaTeX is a three-rule booktabs table, the .docx reads back with the same cells."""

import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from innostudy.policy import Panel, att_gt, event_study, psm_did, simulate_panel, table, twfe
from innostudy.policy.tables import star


@pytest.fixture(scope="module")
def fits():
    panel = Panel(simulate_panel(n_units=150, cohorts={2018: 20, 2020: 20}, seed=4), "unit",
                  "year", "cohort")  # fmt: skip
    return [twfe(panel, "y"), twfe(panel, "y", controls=["x"]),
            psm_did(panel, "y", ["x"], caliper=0.05), att_gt(panel, "y").aggregate("simple")]  # fmt: skip


def test_every_number_equals_its_result(fits):
    t = table(fits)
    coef = t.cells.iloc[0].tolist()
    se = t.cells.iloc[1].tolist()
    for j, result in enumerate(fits):
        row = result.tidy().iloc[0]
        stars = "*" * sum(row.p_value < s for s in (0.1, 0.05, 0.01))
        assert coef[j] == f"{row.estimate:.3f}{stars}"
        assert se[j] == f"({row.std_error:.3f})"
        numbers = t.numbers[t.numbers["column"] == j].iloc[0]
        assert numbers.estimate == row.estimate and numbers.p_value == row.p_value
    for j, result in enumerate(fits[:3]):
        assert t.cells.loc["Observations"].iloc[j] == f"{result.nobs:,}"
        assert t.cells.loc["R²"].iloc[j] == f"{result.r2:.3f}"
        assert t.cells.loc["Mean of outcome"].iloc[j] == f"{result.outcome_mean:.3f}"
        share = result.params["treated"] / result.outcome_mean
        assert t.cells.loc["Effect / mean"].iloc[j] == f"{share:.3f}"
    assert t.cells.loc["Controls"].tolist() == ["No", "Yes", "No", "No"]
    assert t.cells.loc["Year FE"].tolist() == ["Yes", "Yes", "Yes", "—"]
    assert t.cells.loc["Observations"].iloc[3] == "—"  # an aggregate does not say its N
    # cities used, so that estimators on different samples (att_gt keeps only the units seen
    # every year, PSM the matched ones) are not read as one sample
    expected = [fits[0].n_units, fits[1].n_units, fits[2].n_units, fits[3].result.n]
    assert t.cells.loc["Cities"].tolist() == [f"{n:,}" for n in expected]
    assert fits[2].n_units < fits[0].n_units  # PSM: the matched cities only


def test_r2_is_the_dummy_regressions(fits):
    import statsmodels.api as sm

    fit = fits[1]
    data = simulate_panel(n_units=150, cohorts={2018: 20, 2020: 20}, seed=4)
    d = (data["year"] >= data["cohort"].replace(0, np.inf)).astype(float)
    X = pd.get_dummies(data[["unit", "year"]].astype(str), drop_first=True, dtype=float)
    X = sm.add_constant(X.assign(treated=d, x=data["x"]))
    ols = sm.OLS(data["y"], X).fit()
    assert fit.r2 == pytest.approx(ols.rsquared, rel=1e-9)  # reghdfe's R² counts the effects


@pytest.mark.parametrize("p", [0.0001, 0.0099, 0.01, 0.03, 0.05, 0.0999, 0.1, 0.5, np.nan])
def test_stars_follow_p_values(p):
    expected = 0 if np.isnan(p) else (p < 0.1) + (p < 0.05) + (p < 0.01)
    assert star(p) == "*" * expected
    assert star(p, stars=(0.05,)) == ("*" if p < 0.05 else "")


def test_t_statistics_and_chinese(fits):
    t = table(fits[:2], lang="zh", se="statistic", labels=["基准", "加控制变量"])
    row = fits[0].tidy().iloc[0]
    assert t.cells.iloc[1, 0] == f"({row.estimate / row.std_error:.3f})"
    assert t.cells.loc["控制变量"].tolist() == ["否", "是"]
    assert t.cells.loc["城市固定效应"].tolist() == ["是", "是"]
    assert list(t.cells.columns) == ["基准", "加控制变量"] and "括号内为 t 值" in t.notes[0]


def test_latex_is_a_three_rule_booktabs_table(fits, tmp_path):
    tex = table(fits, title="Baseline").to_latex()
    assert [tex.count(r) for r in (r"\toprule", r"\midrule", r"\bottomrule")] == [1, 1, 1]
    spec = re.search(r"\\begin\{tabular\}\{([^}]*)\}", tex).group(1)
    assert spec == "lcccc" and "|" not in spec and r"\hline" not in tex
    body = tex.split(r"\midrule")[1].split(r"\bottomrule")[0].strip().splitlines()
    assert all(line.count(" & ") == 4 and line.endswith(r"\\") for line in body)
    assert r"$^{***}$" in tex and "$R^2$" in tex and r"Pilot $\times$ Post" in tex
    if shutil.which("pdflatex"):  # compiled only where a TeX installation exists
        document = ("\\documentclass{article}\\usepackage{booktabs}\\begin{document}" + tex
                    + "\\end{document}")  # fmt: skip
        (tmp_path / "t.tex").write_text(document)
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "t.tex"], cwd=tmp_path,
                              capture_output=True, timeout=120)  # fmt: skip
        assert done.returncode == 0 and (tmp_path / "t.pdf").exists()


def test_docx_reads_back_with_the_same_cells(fits, tmp_path):
    from docx import Document

    t = table(fits[:2], lang="zh")
    path = t.to_docx(tmp_path / "baseline.docx")
    grid = Document(str(path)).tables[0]
    read = [[c.text for c in row.cells] for row in grid.rows]
    assert read == t._header() + t._body()
    assert read[2][1] == t.cells.iloc[0, 0] and "是" in read[-6]


def test_html_and_markdown_hold_every_cell(fits):
    t = table(fits)
    page, text = t._repr_html_(), t.to_markdown()
    for value in t.cells.to_numpy().ravel():
        assert value in text
        assert value.replace("&", "&amp;") in page
    assert text.count("\n|") == len(t.cells) + 2  # header rule, titles, every row


def test_any_result_with_tidy_and_nobs_fits(fits):
    class Elsewhere:  # e.g. an estimator written on another branch, with the protocol's tidy
        nobs, r2, y = 1234, 0.5, "patents"

        def tidy(self, alpha=0.05):
            return pd.DataFrame({"term": ["treated"], "estimate": [0.25], "std_error": [0.1],
                                 "statistic": [2.5], "p_value": [0.012]})  # fmt: skip

    t = table({"TWFE": fits[0], "other": Elsewhere()})
    assert t.cells["other"].iloc[:2].tolist() == ["0.250**", "(0.100)"]
    assert t.cells.loc["Observations"].tolist() == [f"{fits[0].nobs:,}", "1,234"]


def test_event_study_rows_and_refusals(fits):
    panel = Panel(simulate_panel(n_units=150, cohorts={2018: 20, 2020: 20}, seed=4), "unit",
                  "year", "cohort")  # fmt: skip
    es = event_study(panel, "y", window=(-2, 2))
    t = table([es])
    shown = es.tidy().query("in_window and estimate == estimate")
    assert list(t.cells.index[: 2 * len(shown) : 2]) == ["t≤−2", "t+0", "t+1", "t≥+2"]
    assert t.numbers["term"].drop_duplicates().tolist() == shown["term"].tolist()
    assert list(table([es], lang="zh").cells.index[:4:2]) == ["前2期及以前", "当期"]
    assert r"t$\le$$-$2" in t.to_latex()  # pdflatex needs no Unicode for ≤ and −
    with pytest.raises(ValueError, match="lang"):
        table(fits, lang="fr")
    with pytest.raises(ValueError, match="2 labels for 4 results"):
        table(fits, labels=["a", "b"])


def test_report_saves_a_table_as_html_tex_docx_and_csv(fits, tmp_path, monkeypatch):
    from innostudy import report

    monkeypatch.setenv(report.OUTPUT_ENV, str(tmp_path))
    t = table(fits[:2])
    report.save_table(t, "table_baseline")
    folder = tmp_path / "tables"
    assert (folder / "table_baseline.tex").read_text(encoding="utf-8") == t.to_latex()
    assert (folder / "table_baseline.html").read_text(encoding="utf-8") == t.to_html()
    cells = pd.read_csv(folder / "table_baseline.csv", index_col=0, keep_default_na=False)
    n = len(t.cells)
    assert cells.iloc[:n].to_numpy().tolist() == t.cells.to_numpy().tolist()
    assert list(cells.index[n:]) == t.notes and any("SIMULATED" in x for x in t.notes)
    from docx import Document

    assert (
        Document(str(folder / "table_baseline.docx")).tables[0].cell(2, 1).text
        == t.cells.iloc[0, 0]
    )


def test_notes_say_what_each_column_s_parentheses_are(fits):
    panel = Panel(simulate_panel(n_units=150, cohorts={2018: 20, 2020: 20}, seed=4), "unit",
                  "year", "cohort")  # fmt: skip
    wild = twfe(panel, "y", inference="wild", draws=199)
    mixed = table([fits[0], wild, fits[3]]).notes[0]
    assert mixed.startswith("Standard errors in parentheses: column (1) clustered by city; ")
    assert "column (2) clustered by city, stars from the wild cluster bootstrap" in mixed
    assert "column (3) from the units' influence functions" in mixed
    assert table(fits[:3]).notes[0].startswith("Standard errors clustered by city")  # one kind
    assert "第(2)列" in table([fits[0], wild], lang="zh").notes[0]
    tex = table([fits[0], wild]).to_latex()
    assert "p $<$ 0.1" in tex and " < " not in tex  # pdflatex's OT1 prints a bare < as ¡


def test_effect_share_only_for_a_positive_mean():
    df = simulate_panel(n_units=150, cohorts={2018: 20, 2020: 20}, seed=4)
    panel = Panel(df.assign(y=df["y"] - 100), "unit", "year", "cohort")  # mean about -100
    assert table([twfe(panel, "y")]).cells.loc["Effect / mean"].tolist() == ["—"]
