"""A researcher's own city panel and pilot list, end to end (issue 10).

The panels here are SIMULATED (seeded): small frames written in each test, and the yearbook-shaped
workbook of tests/fixtures/own_panel.py for the acceptance run of notebook 05.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import innostudy
from innostudy import cli
from innostudy.policy import Panel, PanelError, twfe
from innostudy.policy.designations import published_size, read_designations
from innostudy.policy.readers import InputError, read_panel, split_header, unit_factor

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import own_panel  # the SIMULATED fixture generator


@pytest.fixture(scope="module")
def ds():
    return innostudy.load_dataset()


def yearbook(cities=("嘉兴市", "芜湖", "广州市", "银川"), years=range(2016, 2022), seed=0):
    """A small SIMULATED yearbook extract with Chinese headers, units and 年-suffixed years."""
    rng = np.random.default_rng(seed)
    n = len(cities) * len(years)
    return pd.DataFrame({
        "城市": np.repeat(cities, len(years)),
        "年份": [f"{y}年" for y in years] * len(cities),
        "发明专利授权数(件)": rng.integers(100, 900, n).astype(float),
        "地区生产总值（亿元）": np.round(rng.uniform(1000, 9000, n), 1),
        "科学技术支出(万元)": rng.integers(10_000, 90_000, n).astype(float),
    })  # fmt: skip


# ---------------------------------------------------------------- reading panels
def test_units_in_headers_are_read_by_clean():
    assert split_header("科学技术支出（万元）") == ("科学技术支出", "万元")
    assert split_header("地区生产总值(亿元)") == ("地区生产总值", "亿元")
    assert unit_factor("亿元") == (1e8, "元") and unit_factor("件") == (1.0, "件")
    with pytest.raises(ValueError, match="number in it"):
        unit_factor("2015年价万元")


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".parquet"])
def test_a_long_yearbook_panel_is_converted_and_matched(tmp_path, suffix):
    raw = yearbook()
    raw.loc[3, "发明专利授权数(件)"] = np.nan  # an empty cell stays missing
    path = tmp_path / f"panel{suffix}"
    {".xlsx": raw.to_excel, ".csv": raw.to_csv, ".parquet": raw.to_parquet}[suffix](
        path, index=False
    )
    read = read_panel(path, unit="城市", time="年份", harmonise=False)
    assert list(read.data.columns) == ["entity_id", "年份", "发明专利授权数", "地区生产总值",
                                       "科学技术支出"]  # fmt: skip
    assert read.data["entity_id"].unique().tolist() == ["jiaxing", "wuhu", "guangzhou", "yinchuan"]
    assert read.data["年份"].tolist()[:6] == list(range(2016, 2022))
    np.testing.assert_allclose(read.data["地区生产总值"], raw["地区生产总值（亿元）"] * 1e8)
    np.testing.assert_allclose(read.data["科学技术支出"], raw["科学技术支出(万元)"] * 1e4)
    assert (
        np.isnan(read.data.loc[3, "发明专利授权数"])
        and read.data["发明专利授权数"].isna().sum() == 1
    )
    codebook = read.codebook.set_index("name")
    assert codebook.loc["地区生产总值", ["unit", "factor", "unit_after"]].tolist() == [
        "亿元",
        1e8,
        "元",
    ]
    assert codebook.loc["发明专利授权数", "factor"] == 1.0
    assert (read.matching["status"] == "resolved").all() and len(read.matching) == 4
    assert read.matching.set_index("input").loc["芜湖", "adcode"] == "340200"


def test_wide_by_year_and_stata_read_like_long(tmp_path):
    long = read_panel(yearbook(), unit="城市", time="年份", harmonise=False).data
    wide = yearbook().melt(id_vars=["城市", "年份"], var_name="指标").pivot(
        index=["城市", "指标"], columns="年份", values="value"
    ).reset_index().rename_axis(columns=None)  # fmt: skip
    wide.to_csv(tmp_path / "wide.csv", index=False)
    from_wide = read_panel(tmp_path / "wide.csv", unit="城市", harmonise=False).data
    merged = long.merge(from_wide.rename(columns={"year": "年份"}), on=["entity_id", "年份"])
    assert len(merged) == len(long) == 24
    for name in ("发明专利授权数", "地区生产总值", "科学技术支出"):
        np.testing.assert_allclose(merged[f"{name}_x"], merged[f"{name}_y"])
    one = wide[wide["指标"] == "地区生产总值（亿元）"].drop(columns="指标")
    gdp = read_panel(one, unit="城市", value="地区生产总值(亿元)", harmonise=False)
    both = long.merge(gdp.data.rename(columns={"year": "年份"}), on=["entity_id", "年份"])
    np.testing.assert_allclose(both["地区生产总值_x"], both["地区生产总值_y"])
    assert len(both) == 24
    assert gdp.codebook["factor"].tolist() == [1e8]
    stata = yearbook().set_axis(["city", "year", "patents", "gdp", "science"], axis=1)
    stata["year"] = stata["year"].str[:4].astype(int)
    stata.to_stata(tmp_path / "panel.dta", write_index=False, version=118)
    from_stata = read_panel(tmp_path / "panel.dta", harmonise=False).data
    np.testing.assert_allclose(from_stata["gdp"], long["地区生产总值"] / 1e8)
    assert from_stata["entity_id"].tolist() == long["entity_id"].tolist()


def test_every_bad_cell_is_named_at_once_with_file_line_and_column(tmp_path):
    raw = (
        yearbook()
        .rename(columns={"科学技术支出(万元)": "科学技术支出(2015年价万元)"})
        .astype(object)
    )
    raw.loc[2, "年份"] = "y2013"
    raw.loc[7, "年份"] = "20l5"
    raw.loc[4, "地区生产总值（亿元）"] = "n/a"
    raw.loc[9, "城市"] = "Atlantis"
    raw.loc[13, "城市"] = "Suzhou"  # 苏州 (Jiangsu) or 宿州 (Anhui)
    path = tmp_path / "panel.xlsx"
    raw.to_excel(path, index=False)
    with pytest.raises(InputError) as caught:
        read_panel(path, unit="城市", time="年份", harmonise=False)
    text = str(caught.value)
    assert text.startswith("6 problem(s) in panel.xlsx:")
    # lines are sheet rows: the header is row 1, the frame's row i is row i + 2
    for expected in (
        "panel.xlsx, line 1, column '科学技术支出(2015年价万元)': cannot read the unit",
        "panel.xlsx, line 4, column '年份': not a year: 'y2013'",
        "panel.xlsx, line 9, column '年份': not a year: '20l5'",
        "panel.xlsx, line 6, column '地区生产总值（亿元）': not a number: 'n/a'",
        "panel.xlsx, line 11, column '城市': 'Atlantis' names no known entity",
        "panel.xlsx, line 15, column '城市': 'Suzhou' may be any of",
    ):
        assert expected in text, expected
    assert "suzhou_anhui" in text and "suzhou_jiangsu" in text  # the candidates


def test_a_name_is_resolved_as_it_was_in_its_year():
    raw = pd.DataFrame({"城市": ["莱芜市", "莱芜市", "襄樊市"], "年份": ["2018年", "2020年", "2009年"],
                        "y": [1.0, 2.0, 3.0]})  # fmt: skip
    with pytest.raises(InputError) as caught:
        read_panel(raw, unit="城市", time="年份", harmonise=False)
    (problem,) = caught.value.problems  # 莱芜 in 2018 and 襄樊 in 2009 were divisions
    assert (problem.line, problem.column) == (3, "城市") and "莱芜市" in problem.reason
    assert "2020" in problem.reason


def test_a_panel_is_put_on_todays_map_and_the_changes_listed():
    raw = pd.DataFrame({
        "城市": ["济南市"] * 4 + ["莱芜市"] * 3 + ["襄樊市", "襄阳"],
        "年份": ["2016年", "2017年", "2018年", "2019年", "2016年", "2017年", "2018年", "2009年",
               "2011年"],
        "发明专利授权数(件)": [100.0, 110, 120, 150, 10, 11, 12, 50, 60],
    })  # fmt: skip
    read = read_panel(raw, unit="城市", time="年份")
    assert sorted(set(read.data["entity_id"])) == ["jinan", "xiangyang"]  # 莱芜's rows dropped
    assert len(read.data) == 6 and "9 rows in, 6 out (3 dropped" in read.harmonised
    changes = read.changes.set_index("entity_id")
    assert changes.loc["laiwu", "action"] == "dropped" and changes.loc["laiwu", "rows"] == 3
    matching = read.matching.set_index("input")
    assert matching.loc["襄樊市", "entity_id"] == matching.loc["襄阳", "entity_id"] == "xiangyang"
    summed = read_panel(raw, unit="城市", time="年份", additive=["发明专利授权数"]).data
    jinan = summed[summed["entity_id"] == "jinan"].set_index("年份")["发明专利授权数"]
    assert jinan.to_dict() == {2016: 110.0, 2017: 121.0, 2018: 132.0, 2019: 150.0}


def test_the_same_city_twice_in_a_year_is_refused():
    raw = yearbook(cities=("嘉兴市", "嘉兴"))
    with pytest.raises(InputError, match=r"line 2, column '城市': jiaxing appears twice in 2016 "
                                         r"\(lines 2, 8\)"):  # fmt: skip
        read_panel(raw, unit="城市", time="年份", harmonise=False)


# ---------------------------------------------------------------- pilot lists
def test_published_sizes_come_from_the_observations(ds):
    # observations.csv: 65 ranked pilot units (obs0002, obs0055), batches of 26 (or 22) and 39;
    # 4 hub cities (obs0050); about 39 demonstration cities (obs0034)
    assert published_size(ds, "pilot").n == 65
    assert "obs0048" in published_size(ds, "pilot").obs_ids  # the conflicting 22, taken into view
    assert (published_size(ds, "hub_city").n, published_size(ds, "hub_city").obs_ids) == (
        4, ("obs0050",))  # fmt: skip
    demo = published_size(ds, "demonstration_city")
    assert (demo.n, demo.qualifier, str(demo)) == (39, "about", "about 39")


def test_a_pilot_list_is_validated_like_data(ds, tmp_path):
    pilots = pd.DataFrame({
        "city": ["嘉兴市", "Atlantis", "Suzhou", "芜湖", "330400", "wuhu"],
        "programme": ["pilot", "pilot", "pilot", "pilots", "pilot", "pilot"],
        "year": ["2021", "2020年", "20l0", "2021", "2020", "2021"],
    })  # fmt: skip
    path = tmp_path / "pilots.csv"
    pilots.to_csv(path, index=False)
    with pytest.raises(InputError) as caught:
        read_designations(path, ds)
    lines = [(p.line, p.column) for p in caught.value.problems]
    text = str(caught.value)
    assert "contradicts data/designations.csv line 5: jiaxing starts pilot in 2020" in text
    assert "'Atlantis' names no known entity" in text and "not a year: '20l0'" in text
    assert "not a known programme: 'pilots'" in text
    assert "jiaxing listed twice for pilot (lines 2, 6)" in text  # 330400 is 嘉兴's adcode
    assert lines == [(2, "year"), (3, "city"), (4, "city"), (4, "year"), (5, "programme"),
                     (6, "city")]  # fmt: skip
    with pytest.raises(InputError, match=r"pilots.xlsx, line 1, column 'cohort': unexpected"):
        pilots.rename(columns={"year": "cohort"}).to_excel(tmp_path / "pilots.xlsx", index=False)
        read_designations(tmp_path / "pilots.xlsx", ds)


def test_without_a_list_the_undated_pilots_are_not_silently_controls(ds):
    outcomes = read_panel(yearbook(), unit="城市", time="年份", harmonise=False).data
    with pytest.raises(PanelError) as caught:
        Panel.from_designations(outcomes, ds, harmonise=False)
    text = str(caught.value)
    # data/designations.csv dates jiaxing, xianning, wuhu, foshan; 65 published (obs0002)
    assert "dates 4 of the 65 published 'pilot' members" in text
    assert "the other 61 would be counted as never treated" in text
    assert "designations=" in text and "undated='exclude'" in text
    with pytest.warns(UserWarning, match="not in the outcomes: foshan, xianning"):
        panel = Panel.from_designations(outcomes, ds, harmonise=False, undated="exclude",
                                        time="年份")  # fmt: skip
    assert panel.treated_units == {2020: ["jiaxing"], 2021: ["wuhu"]}
    assert panel.caveats and "may contain up to 58 undated pilots" in panel.summary()
    assert "(3 known undated members excluded: baotou, guiyang, xixian_new_area)" in panel.summary()


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx", ".dta"])
def test_a_fully_dated_programme_needs_no_list(ds, tmp_path, suffix):
    """Hub cities: 4 published (obs0050), all dated in data/designations.csv (2021)."""
    raw = yearbook(cities=("Jiaxing", "Guangzhou", "Yinchuan", "Wuhu")).set_axis(
        ["city", "year", "patents", "gdp", "science"], axis=1
    )  # fmt: skip
    path = tmp_path / f"outcomes{suffix}"
    writer = {".csv": raw.to_csv, ".parquet": raw.to_parquet, ".xlsx": raw.to_excel,
              ".dta": lambda p, index: raw.to_stata(p, write_index=index, version=118)}[suffix]  # fmt: skip
    writer(path, index=False)
    with pytest.warns(UserWarning, match="not in the outcomes: guiyang, tianjin_binhai_new_area"):
        panel = Panel.from_designations(path, ds, programme="hub_city", harmonise=False)
    assert panel.cohorts == {2021: 3} and panel.n_never == 1 and not panel.caveats
    sources = panel.designations.set_index("entity_id")["source"]
    assert sources["jiaxing"].startswith("data/designations.csv line 10 (jiaxing_gov_2021")
    assert twfe(panel, "patents").nobs == 24


def test_a_list_sets_the_cohorts_and_says_where_each_came_from(ds, tmp_path):
    pilots = pd.DataFrame({"city": ["Jiaxing", "芜湖市", "广州"], "programme": "pilot",
                           "year": ["2020年", "2021年", "2020年"], "source": "own list"})  # fmt: skip
    pilots.to_csv(tmp_path / "pilots.csv", index=False)
    with pytest.warns(UserWarning, match="not in the outcomes: foshan, xianning"):
        panel = Panel.from_designations(yearbook(), ds, designations=tmp_path / "pilots.csv",
                                        unit="城市", time="年份", harmonise=False)  # fmt: skip
    assert panel.cohorts == {2020: 2, 2021: 1} and panel.n_never == 1
    table = panel.designations.set_index("entity_id")
    assert table.loc["guangzhou", "source"] == "pilots.csv line 4 (own list)"
    assert table.loc["jiaxing", ["name", "written"]].tolist() == ["嘉兴市", "Jiaxing"]
    assert table.loc["xianning", "source"].startswith("data/designations.csv line 6")
    assert "treated from 2020: 2 (jiaxing, guangzhou)" in panel.summary()
    assert "read from the panel table; divisions not harmonised" in panel.summary()
    # 5 of 65 dated: the summary says the controls may hold undated pilots
    assert "5 of the 65 published 'pilot' members are dated" in panel.summary()


# ---------------------------------------------------------------- notebook 05, end to end
@pytest.fixture(scope="module")
def own_runs(tmp_path_factory):
    """notebook 05 on the SIMULATED yearbook workbook: with the pilot list, without it, and with a
    list that contradicts data/. Paths are given relative to the folder the command runs in."""
    folder = tmp_path_factory.mktemp("own")
    panel_path, list_path = own_panel.write(folder)
    pilots = pd.read_csv(list_path, dtype=str)
    jiaxing = pilots.index[pilots["city"].isin(["嘉兴市", "嘉兴", "Jiaxing", "330400"])][0]
    pilots.loc[jiaxing, "year"] = "2021年"  # data/designations.csv dates it 2020
    pilots.to_csv(folder / "contradicting.csv", index=False)
    config = Path(__file__).parents[1] / "notebooks" / "reports.yml"
    common = ["run", "--config", str(config), "--only", "policy_evaluation",
              "-p", f"panel_path={panel_path.name}",
              "-p", "unit=城市", "-p", "time=年份", "-p", "outcome=发明专利授权数"]  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        codes = {
            name: cli.main([*common, *extra, "--out", str(folder / name)])
            for name, extra in [
                ("with_list", ["-p", f"designations_path={list_path.name}"]),
                ("without_list", []),
                ("contradicting", ["-p", "designations_path=contradicting.csv"]),
            ]
        }
    return folder, list_path, codes, int(jiaxing) + 2  # the line of 嘉兴 in the list file


def _report(out: Path) -> Path:
    (folder,) = (out / "policy_evaluation").iterdir()
    return folder


def test_notebook_05_runs_on_an_own_panel_and_list(own_runs):
    folder, list_path, codes, _ = own_runs
    assert codes["with_list"] == 0
    report = _report(folder / "with_list")
    records = json.loads((report / "records.json").read_text(encoding="utf-8"))
    listed = pd.read_csv(list_path)["year"].value_counts()
    assert records["cohort_sizes"] == {str(y): int(n) for y, n in listed.items()}
    assert records["simulated"] is True  # the workbook carries simulated = True
    assert sum(len(u) for u in records["treated_units"].values()) == len(pd.read_csv(list_path))
    for name in ("rollout", "twfe", "event_study", "att_gt", "att_dynamic", "placebo"):
        assert (report / "figures" / f"{name}.png").stat().st_size > 10_000, name
    assert "bacon_forbidden_weight" in records or "bacon_skipped" in records
    assert "placebo_pvalue" in records
    codebook = pd.read_csv(report / "tables" / "codebook.csv").set_index("name")
    assert (
        codebook.loc["地区生产总值", "factor"] == 1e8
        and codebook.loc["科学技术支出", "factor"] == 1e4
    )
    matching = pd.read_csv(report / "tables" / "matching.csv")
    assert (matching.loc[matching["input"] == "襄樊市", "entity_id"] == "xiangyang").all()
    assert {"巢湖市", "莱芜市", "吉林"} <= set(matching["input"])
    assert "Glyph" not in (report / "papermill.log").read_text(encoding="utf-8")


def test_notebook_05_without_a_list_stops_before_estimation(own_runs):
    folder, _, codes, _ = own_runs
    assert codes["without_list"] == 1
    report = _report(folder / "without_list")
    executed = (report / "05_policy_evaluation.ipynb").read_text(encoding="utf-8")
    assert "data/designations.csv dates 4 of the 65 published 'pilot' members" in executed
    assert "the other 61 would be counted as never treated" in executed
    assert not any((report / name).exists() for name in ("figures", "tables", "records.json"))


def test_notebook_05_with_a_contradicting_list_names_file_line_and_reason(own_runs):
    folder, _, codes, line = own_runs
    assert codes["contradicting"] == 1
    report = _report(folder / "contradicting")
    executed = (report / "05_policy_evaluation.ipynb").read_text(encoding="utf-8")
    assert (
        f"contradicting.csv, line {line}, column 'year': contradicts data/designations.csv line 5: "
        "jiaxing starts pilot in 2020 there"
    ) in executed
    assert not any((report / name).exists() for name in ("figures", "tables", "records.json"))
