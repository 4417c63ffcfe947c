"""innostudy.report: input files are resolved from the invocation folder, refused clearly when
missing, and recorded in the provenance with path as given, resolved path, sha256 and size."""

import hashlib
import json
import os

import pytest

from innostudy import report
from innostudy.report import INVOCATION_ENV, OUTPUT_ENV, InputFileNotFoundError


@pytest.fixture
def fresh_inputs(monkeypatch, tmp_path):
    """An empty input registry, outputs in a temporary folder, invocation from ``tmp_path/here``."""
    monkeypatch.setattr(report, "_INPUTS", {})
    monkeypatch.setenv(OUTPUT_ENV, str(tmp_path / "out"))
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.setenv(INVOCATION_ENV, str(here))
    return here


def test_relative_path_is_resolved_from_the_invocation_folder(fresh_inputs, tmp_path):
    content = "城市,年份,发明专利授权数\n莱芜市,2015年,12\n".encode()  # simulated row
    (fresh_inputs / "panel.csv").write_bytes(content)
    (tmp_path / "elsewhere.csv").write_bytes(b"x\n")
    assert report.input_file("panel.csv") == fresh_inputs / "panel.csv"
    assert report.input_file("../elsewhere.csv") == tmp_path / "elsewhere.csv"
    first = report.inputs()[0]
    assert first == {
        "path": "panel.csv",
        "resolved": str(fresh_inputs / "panel.csv"),
        "sha256": hashlib.sha256(content).hexdigest(),
        "bytes": len(content),
    }
    assert report.inputs()[1]["path"] == "../elsewhere.csv"


def test_without_the_runner_relative_paths_start_at_the_working_folder(
    fresh_inputs, tmp_path, monkeypatch
):
    monkeypatch.delenv(INVOCATION_ENV)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "list.csv").write_text("city,programme,year\n", encoding="utf-8")
    assert report.input_file("list.csv") == tmp_path / "list.csv"


def test_missing_file_names_the_path_as_given_resolved_and_the_base(fresh_inputs):
    with pytest.raises(InputFileNotFoundError) as caught:
        report.input_file("data/我的面板.xlsx")
    message = str(caught.value)
    assert "'data/我的面板.xlsx'" in message
    assert str(fresh_inputs / "data" / "我的面板.xlsx") in message
    assert f"relative paths are resolved from {fresh_inputs}" in message
    assert isinstance(caught.value, FileNotFoundError) and isinstance(caught.value, ValueError)
    assert report.inputs() == []


@pytest.mark.parametrize(("given", "reason"), [("", "empty path"), (".", "not a regular file")])
def test_empty_path_and_folders_are_refused(fresh_inputs, given, reason):
    with pytest.raises(InputFileNotFoundError, match=reason):
        report.input_file(given)


def test_provenance_lists_every_input_file(fresh_inputs, tmp_path):
    (fresh_inputs / "panel.csv").write_text("城市\n", encoding="utf-8")
    (fresh_inputs / "pilots.csv").write_text("city\n", encoding="utf-8")
    report.input_file("panel.csv")
    report.input_file(fresh_inputs / "pilots.csv")
    info = report.provenance({"panel_path": "panel.csv"})
    assert [entry["path"] for entry in info["inputs"]] == [
        "panel.csv",
        str(fresh_inputs / "pilots.csv"),
    ]
    saved = json.loads((tmp_path / "out" / "provenance_notebook.json").read_text("utf-8"))
    assert saved["inputs"] == info["inputs"]
    assert all(os.path.isabs(entry["resolved"]) for entry in saved["inputs"])


# -- what a reader sees ---------------------------------------------------------------------------


def test_tables_show_counts_as_integers_missing_as_dash_and_sensible_decimals():
    import pandas as pd

    profile_like = pd.DataFrame(  # shaped like the city profile's facts: a count stored as float
        {
            "indicator_label": ["国家重点实验室 (national key labs)", "GDP (亿元)"],
            "value": [4.0, 4502.16],
            "low": [4.0, float("nan")],
            "high": [float("inf"), None],
        }
    )
    html = report.show_table(profile_like).to_html()
    assert ">4<" in html and "4.000000e+00" not in html and "4.0<" not in html
    assert ">4,502<" in html or ">4,502.2<" in html
    assert ">—<" in html and ">∞<" in html and "nan" not in html.lower().replace("nano", "")
    assert "国家重点实验室" in html  # text is shown whole, never cut with "..."
    fixed = report.show_table(pd.DataFrame({"estimate": [1.56184, 1.66]}), decimals=3).to_html()
    assert ">1.562<" in fixed and ">1.660<" in fixed


def test_report_helpers_leave_nothing_to_show_as_a_cell_value(fresh_inputs):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, _ = plt.subplots()
    saved = report.save_figure(fig, "probe")
    plt.close(fig)
    assert [p.suffix for p in saved] == [".png", ".svg"] and all(p.is_file() for p in saved)
    assert saved._ipython_display_() is None  # IPython calls this instead of showing the list
    assert report.record("n", 3) is None
    shown = report.provenance({"entity": "guiyang"})._repr_html_()
    assert "<table" in shown and "entity = &#x27;guiyang&#x27;" in shown and "{" not in shown


def test_record_writes_valid_json_for_nan_and_inf(tmp_path, monkeypatch):
    import json

    import numpy as np

    from innostudy import report

    monkeypatch.setenv(report.OUTPUT_ENV, str(tmp_path))
    report.record("pretrend_pvalue", float("nan"))  # a test that was "not testable"
    report.record("bounds", [np.float64(np.inf), 1.5, {"low": -np.inf}])
    text = (tmp_path / "records.json").read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"pretrend_pvalue": None, "bounds": [None, 1.5, {"low": None}]}
