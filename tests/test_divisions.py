"""Prefecture-level divisions over time: the cited change table, resolution by year, and harmonising
a panel to one vintage. Panels here are simulated (seeded) and labelled so."""

import re
import shutil

import numpy as np
import pandas as pd
import pytest

import innostudy as ist
from innostudy import divisions, entities
from innostudy.dataset import DATA_DIR, ValidationError
from innostudy.divisions import DivisionsError, harmonise

TABLE = pd.read_csv(DATA_DIR / "divisions.csv", dtype=str, keep_default_na=False)
SOURCES = pd.read_csv(DATA_DIR / "sources.csv", dtype=str, keep_default_na=False)
GAZETTEER = pd.read_csv(entities.GAZETTEER_CSV, dtype=str, keep_default_na=False)
TODAY = GAZETTEER.set_index("entity_id")


# --- the examples of the issue ---------------------------------------------------------------------


def test_laiwu_resolves_until_2018_and_is_defunct_after_its_merger_into_jinan():
    before = entities.resolve("莱芜市", year=2015)
    assert (before.status, before.entity_id, before.adcode) == ("resolved", "laiwu", "371200")
    assert (before.valid_from, before.valid_to) == (None, 2018)
    after = entities.resolve("莱芜市", year=2020)
    assert (after.status, after.entity_id, after.successor_ids) == ("defunct", "laiwu", ("jinan",))
    assert after.message.startswith(
        "莱芜市 was not a prefecture-level division in 2020: merged into 济南市 (jinan) in 2019 "
        "(source: State Council approval"
    )
    assert entities.resolve("莱芜", year=2019).status == "defunct"  # the year of the merger
    undated = entities.resolve("Laiwu")  # no year: the unit, with a note that it ended
    assert undated.status == "resolved" and "since 2019" in undated.message


def test_chaohu_is_split_among_three_cities_in_2011():
    assert entities.resolve("巢湖市", year=2010).adcode == "341400"
    split = entities.resolve("巢湖市", year=2011)
    assert split.status == "defunct"
    assert set(split.successor_ids) == {"hefei", "wuhu", "maanshan"}
    assert "split among 合肥市 (hefei)" in split.message


def test_a_renamed_city_is_one_entity_under_both_names_in_every_year():
    for year in (2005, 2009, 2010, 2020, None):
        for name in ("襄樊市", "襄阳市", "Xiangfan", "襄阳"):
            match = entities.resolve(name, year=year)
            assert (match.status, match.entity_id) == ("resolved", "xiangyang"), (name, year)
    # a name used in a year it was not borne is resolved, and the message says what it was then
    assert entities.resolve("襄樊市", year=2005).note is None
    assert entities.resolve("襄阳市", year=2005).note == "not its name in 2005: it was named 襄樊市"
    assert entities.resolve("襄樊市", year=2015).note == "not its name in 2015: it was named 襄阳市"
    assert entities.resolve("襄樊").note == "a former name, in use until 2009"
    assert entities.resolve("普洱", year=2001).message.endswith("it was named 思茅地区")


@pytest.mark.parametrize(
    "old_name, year, entity_id",
    [
        ("思茅市", 2007, "puer"),
        ("襄樊市", 2010, "xiangyang"),
        ("毕节地区", 2011, "bijie"),
        ("铜仁地区", 2011, "tongren"),
        ("海东地区", 2013, "haidong"),
        ("日喀则地区", 2014, "rikaze"),
        ("昌都地区", 2014, "changdu"),
        ("林芝地区", 2015, "linzhi"),
        ("吐鲁番地区", 2015, "tulufan"),
        ("山南地区", 2016, "shannan"),
        ("哈密地区", 2016, "hami"),
        ("那曲地区", 2017, "naqu"),
    ],
)
def test_each_change_of_the_issue_is_dated_and_its_old_name_resolves(old_name, year, entity_id):
    row = TABLE[TABLE["old_name_zh"] == old_name]
    assert len(row) == 1 and int(row["date"].item()[:4]) == year
    assert row["successor_ids"].item() == entity_id
    assert row["new_adcode"].item() == TODAY.loc[entity_id, "adcode"]
    match = entities.resolve(old_name, year=year - 1)
    assert (match.status, match.entity_id, match.note) == ("resolved", entity_id, None)


def test_a_unit_not_yet_prefecture_level_is_defunct_in_that_year():
    match = entities.resolve("来宾市", year=2000)
    assert (match.status, match.entity_id, match.valid_from) == ("defunct", "laibin", 2002)
    assert "became one in 2002" in match.message
    assert entities.resolve("来宾市", year=2002).status == "resolved"
    # today's name of an existing unit is unaffected when no year is given
    assert entities.resolve("来宾市").note is None


def test_a_year_that_is_not_a_whole_number_is_refused():
    for year in ("2015年", 2015.5):
        with pytest.raises(ValueError, match="year must be a whole year such as 2015"):
            entities.resolve("莱芜市", year=year)
    assert entities.resolve("莱芜市", year=np.int64(2015)).status == "resolved"


def test_resolve_many_by_year_for_a_panel():
    names = pd.Series(["莱芜市", "莱芜市", "巢湖", None, "襄樊市"], index=[5, 6, 7, 8, 9])
    years = pd.Series([2018, 2019, 2010, 2010, 2005], index=[5, 6, 7, 8, 9])
    out = entities.resolve_many(names, year=years)
    assert out["status"].fillna("-").tolist() == [
        "resolved", "defunct", "resolved", "-", "resolved",
    ]  # fmt: skip
    assert out.loc[6, "successor_ids"] == "jinan" and out.loc[7, "valid_to"] == 2010
    assert entities.resolve_many(["莱芜市"], year=2022)["status"].item() == "defunct"


# --- the table -------------------------------------------------------------------------------------


def test_the_table_is_internally_consistent():
    assert TABLE["change_id"].is_unique and len(TABLE) >= 20
    assert set(TABLE["kind"]) <= set(divisions.KINDS)
    for column in ("old_adcode", "new_adcode"):
        codes = TABLE[column][TABLE[column] != ""]
        assert codes.str.fullmatch(r"[1-6]\d{5}").all(), column
    # prefecture-level codes end in 00; only a unit raised to prefecture level had another
    raised = TABLE["kind"] == "established"
    assert TABLE.loc[~raised, "old_adcode"].str.fullmatch(r"(\d{4}00)?").all()
    assert TABLE["new_adcode"].str.fullmatch(r"(\d{4}00)?").all()
    years = TABLE["date"].str[:4].astype(int)
    assert years.between(divisions.FIRST_YEAR, 2023).all()
    assert TABLE["date"].str.fullmatch(r"\d{4}(-\d{2}-\d{2})?").all()
    successors = TABLE["successor_ids"].str.split(";").explode()
    assert successors.isin(TODAY.index).all(), set(successors) - set(TODAY.index)
    ends = TABLE[TABLE["kind"].isin(divisions.ENDS)]
    # a unit that ended has no code or name on today's map, and no new name or code
    assert not ends["old_adcode"].isin(GAZETTEER["adcode"]).any()
    assert not ends["old_name_zh"].isin(GAZETTEER["name_zh"]).any()
    assert (ends["new_name_zh"] == "").all() and (ends["new_adcode"] == "").all()
    merged = TABLE[TABLE["kind"] == "merged"]["successor_ids"]
    split = TABLE[TABLE["kind"] == "split"]["successor_ids"]
    assert (~merged.str.contains(";")).all() and split.str.contains(";").all()
    # a unit that goes on carries today's code and name of its (single) successor
    goes_on = TABLE[~TABLE["kind"].isin(divisions.ENDS)]
    later = goes_on["change_id"].map(_renamed_later)
    current = goes_on[~later]
    assert (current["new_adcode"] == current["successor_ids"].map(TODAY["adcode"])).all()
    assert (current["new_name_zh"] == current["successor_ids"].map(TODAY["name_zh"])).all()
    renamed = TABLE[TABLE["kind"] == "renamed"]
    assert (renamed["old_adcode"] == renamed["new_adcode"]).all()
    to_city = TABLE[TABLE["kind"] == "prefecture_to_city"]
    assert to_city["old_name_zh"].str.contains("(?:地区|盟)$").all()
    assert to_city["new_name_zh"].str.endswith("市").all()
    # the old code lies in the province of every successor
    for row in TABLE.itertuples():
        code = row.old_adcode or row.new_adcode
        for successor in row.successor_ids.split(";"):
            assert TODAY.loc[successor, "adcode"][:2] == code[:2], row.change_id


def _renamed_later(change_id: str) -> bool:
    """Whether the unit of a change changed again later (思茅地区 -> 思茅市 -> 普洱市)."""
    row = TABLE.set_index("change_id").loc[change_id]
    later = TABLE[(TABLE["old_name_zh"] == row["new_name_zh"]) & (TABLE["change_id"] != change_id)]
    return not later.empty and row["new_name_zh"] != ""


def test_every_change_is_cited_to_an_official_record():
    sources = SOURCES.set_index("source_id")
    assert TABLE["source_id"].isin(sources.index).all()
    assert (TABLE["locator"].str.fullmatch(r"items? \d+(-\d+)?")).all()
    cited = sources.loc[TABLE["source_id"].unique()]
    assert cited["publisher"].str.contains("国务院").all()
    assert (cited["kind"] == "government_notice").all()
    # the approval is published in the year of the change, on the day where both are known
    for row in TABLE.itertuples():
        published = sources.loc[row.source_id, "published"]
        if not published:  # the approval's date unknown: the note says when it was announced
            assert "announced" in sources.loc[row.source_id, "note"], row.change_id
            continue
        assert published[:4] == row.date[:4], row.change_id
        if len(row.date) == 10 and len(published) == 10:
            assert published == row.date, row.change_id


def test_load_dataset_checks_the_divisions_table(tmp_path):
    assert len(ist.load_dataset().divisions) == len(TABLE)
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    spoilt = TABLE.copy()
    spoilt.loc[0, "kind"] = "annexed"
    spoilt.loc[1, "source_id"] = "no_such_source"
    spoilt.loc[2, "date"] = "1998"
    spoilt.loc[3, "old_adcode"] = "45220"
    spoilt.to_csv(folder / "divisions.csv", index=False)
    with pytest.raises(ValidationError) as caught:
        ist.load_dataset(folder)
    found = {(p.file, p.line, p.column) for p in caught.value.problems}
    assert found == {
        ("divisions.csv", 2, "kind"),
        ("divisions.csv", 3, "source_id"),
        ("divisions.csv", 4, "date"),
        ("divisions.csv", 5, "old_adcode"),
    }


def test_the_shipped_table_is_what_data_builds():
    shipped = pd.read_csv(divisions.DIVISIONS_CSV, dtype=str, keep_default_na=False)
    built = divisions.build_table().astype(str)
    pd.testing.assert_frame_equal(built, shipped[built.columns.tolist()])
    assert (shipped[list(divisions.COLUMNS)].sort_values("change_id", ignore_index=True)).equals(
        TABLE.sort_values("change_id", ignore_index=True)
    )


def test_the_table_agrees_with_jionlps_change_log_and_current_map():
    """Reference: jionlp 1.5.31 (dev extra, Apache 2.0): ``china_location_change_loader`` (dated
    changes, mostly of counties since 2018) and ``china_location_loader`` (today's divisions). Its
    dates are when a change was announced (襄樊 2010-12-09), ours the approval: years must agree."""
    import jionlp

    today = {
        city["_admin_code"]: name
        for cities in jionlp.china_location_loader().values()
        for name, city in cities.items()
        if isinstance(city, dict)
    }
    theirs = {}  # old prefecture-level name -> (year, the prefecture-level units its parts went to)
    for change in jionlp.china_location_change_loader():
        old_city, new_city = change["old_loc"][1][0], change["new_loc"][1]
        # a prefecture-level unit that is not on today's map (not a county moved between two)
        if old_city != new_city and old_city not in today.values():
            year, into = theirs.get(old_city, (change["date"][:4], set()))
            theirs[old_city] = (year, into | {new_city})
    assert set(theirs) == {"柳州地区", "襄樊市"}  # what jionlp 1.5.31 lists
    mine = TABLE.set_index("old_name_zh")
    for old_city, (year, into) in theirs.items():
        assert old_city in mine.index, f"{old_city} ({year}) is missing from divisions.csv"
        row = mine.loc[old_city]
        assert row["date"][:4] == year, old_city
        names = {TODAY.loc[s, "name_zh"] for s in row["successor_ids"].split(";")}
        assert names == into, old_city
    ends = TABLE[TABLE["kind"].isin(divisions.ENDS)]
    assert not ends["old_adcode"].isin(today).any()
    new = TABLE[(TABLE["new_adcode"] != "") & (TABLE["kind"] != "renamed")]
    new = new[~new["change_id"].map(_renamed_later)]
    assert (new["new_adcode"].map(today) == new["new_name_zh"]).all()


# --- harmonising -----------------------------------------------------------------------------------


def simulated_panel(seed: int = 7) -> pd.DataFrame:
    """A simulated city panel 2005-2022 with names as they were each year (莱芜市 to 2018,
    巢湖市 to 2010, 襄樊市 to 2009), resolved by year."""
    rng = np.random.default_rng(seed)
    rows = []
    for year in range(2005, 2023):
        names = ["济南市", "合肥市", "芜湖市", "马鞍山市", "襄樊市" if year < 2010 else "襄阳市"]
        names += ["莱芜市"] * (year < 2019) + ["巢湖市"] * (year < 2011)
        rows += [(name, f"{year}年", year) for name in names]
    panel = pd.DataFrame(rows, columns=["城市", "年份", "year"])
    panel["地区生产总值(亿元)"] = rng.uniform(500, 9000, len(panel)).round(1)
    panel["人均GDP(元)"] = rng.uniform(20000, 120000, len(panel)).round(0)
    panel["entity_id"] = entities.resolve_many(panel["城市"], year=panel["year"])["entity_id"]
    return panel


def test_the_simulated_panel_resolves_fully():
    panel = simulated_panel()
    assert panel["entity_id"].notna().all()
    assert set(panel["entity_id"]) == {
        "jinan", "hefei", "wuhu", "maanshan", "xiangyang", "laiwu", "chaohu",
    }  # fmt: skip


def test_harmonise_drops_merged_and_split_units_and_keeps_a_renamed_one():
    panel = simulated_panel()
    out = harmonise(panel)
    assert out.vintage == 2019
    changes = out.changes.set_index(["entity_id", "action"])
    assert changes.loc[("laiwu", "dropped"), ["years", "rows"]].tolist() == ["2005-2018", 14]
    assert changes.loc[("chaohu", "dropped"), ["years", "rows"]].tolist() == ["2005-2010", 6]
    assert "no rule apportions" in changes.loc[("chaohu", "dropped"), "reason"]
    assert changes.loc[("xiangyang", "kept"), "rows"] == 18  # one unit under both names
    assert "襄樊市 -> 襄阳市 in 2010" in changes.loc[("xiangyang", "kept"), "reason"]
    assert changes.loc[("jinan", "kept"), ["years", "rows"]].tolist() == ["2005-2018", 14]
    assert set(out.data["entity_id"]) == {"jinan", "hefei", "wuhu", "maanshan", "xiangyang"}
    dropped = out.changes.loc[out.changes["action"] == "dropped", "rows"].sum()
    assert len(panel) == len(out.data) + dropped  # nothing lost silently
    pd.testing.assert_frame_equal(out.data, panel[~panel["entity_id"].isin(["laiwu", "chaohu"])])
    assert out.summary().startswith(f"Harmonised to the 2019 map: {len(panel)} rows in, ")
    lines = [line.split()[:5] for line in out.summary().splitlines()]
    assert ["laiwu", "莱芜市", "2005-2018", "dropped", "14"] in lines


def test_additive_columns_of_a_merged_unit_are_summed_into_its_successor():
    panel = simulated_panel()
    gdp = "地区生产总值(亿元)"
    out = harmonise(panel, additive=[gdp])
    by_key = panel.set_index(["entity_id", "year"])
    result = out.data.set_index(["entity_id", "year"])
    for year in range(2005, 2019):
        expected = by_key.loc[("jinan", year), gdp] + by_key.loc[("laiwu", year), gdp]
        assert result.loc[("jinan", year), gdp] == pytest.approx(expected)
        # a rate is never summed: Jinan's own per-capita figure stays
        assert (
            result.loc[("jinan", year), "人均GDP(元)"] == by_key.loc[("jinan", year), "人均GDP(元)"]
        )
    assert result.loc[("jinan", 2020), gdp] == by_key.loc[("jinan", 2020), gdp]
    changes = out.changes.set_index(["entity_id", "action"])
    assert changes.loc[("laiwu", "summed_into"), "rows"] == 14
    assert changes.loc[("chaohu", "dropped"), "rows"] == 6  # a split unit is never summed
    moved = out.changes.loc[out.changes["action"].isin(["dropped", "summed_into"]), "rows"].sum()
    assert len(panel) == len(out.data) + moved


def test_a_sum_with_a_missing_part_is_missing_and_said():
    panel = simulated_panel()
    gdp = "地区生产总值(亿元)"
    laiwu_2010 = (panel["entity_id"] == "laiwu") & (panel["year"] == 2010)
    panel.loc[laiwu_2010, gdp] = np.nan
    out = harmonise(panel, additive=[gdp])
    jinan = out.data.set_index(["entity_id", "year"])[gdp]
    assert np.isnan(jinan[("jinan", 2010)]) and jinan.notna().sum() == len(jinan) - 1
    reason = out.changes.set_index(["entity_id", "action"]).loc[("laiwu", "summed_into"), "reason"]
    assert reason.endswith("1 sum(s) left missing because one part was missing")


def test_a_merged_unit_without_a_successor_row_that_year_is_dropped():
    panel = simulated_panel()
    panel = panel[~((panel["entity_id"] == "jinan") & (panel["year"] == 2010))]
    out = harmonise(panel, additive=["地区生产总值(亿元)"])
    changes = out.changes.set_index(["entity_id", "action"])
    assert changes.loc[("laiwu", "summed_into"), "rows"] == 13
    assert changes.loc[("laiwu", "dropped"), ["years", "rows"]].tolist() == ["2010", 1]
    assert "no row of jinan in the same year" in changes.loc[("laiwu", "dropped"), "reason"]


def test_rows_of_a_unit_dated_after_it_ended_are_dropped_and_said():
    panel = simulated_panel()
    stray = panel[(panel["entity_id"] == "laiwu") & (panel["year"] == 2018)].assign(year=2020)
    out = harmonise(pd.concat([panel, stray]), additive=["地区生产总值(亿元)"])
    changes = out.changes.set_index(["entity_id", "action"])
    assert changes.loc[("laiwu", "dropped"), ["years", "rows"]].tolist() == ["2020", 1]
    assert "after it ended" in changes.loc[("laiwu", "dropped"), "reason"]
    assert changes.loc[("laiwu", "summed_into"), "rows"] == 14
    assert len(out.data) == len(panel) - 14 - 6


def test_an_earlier_vintage_keeps_a_unit_that_merged_later():
    panel = simulated_panel()
    out = harmonise(panel, vintage=2015)
    changes = out.changes.set_index(["entity_id", "action"])
    assert changes.loc[("laiwu", "kept"), "rows"] == 14
    assert "not applied" in changes.loc[("laiwu", "kept"), "reason"]
    assert "chaohu" not in set(out.data["entity_id"])
    assert changes.loc[("jinan", "kept"), ["years", "rows"]].tolist() == ["2019-2022", 4]
    assert len(out.data) == len(panel) - 6


def test_harmonise_reports_every_problem_of_a_bad_panel():
    panel = simulated_panel()
    bad = pd.concat([panel, panel.iloc[[0]]], ignore_index=True)
    bad["year"] = bad["year"].astype(object)
    bad.loc[3, "year"] = "2005年"
    bad.loc[4, "year"] = 2005.5
    with pytest.raises(DivisionsError) as caught:
        harmonise(bad, additive=["城市"])
    text = str(caught.value)
    assert "'2005年' is not a year" in text and "row 4: year 2005.5 is not a year" in text
    assert "column '城市' is not numeric" in text
    assert re.search(r"rows \[0, \d+\]: unit 'jinan' repeated in 2005", text)
    with pytest.raises(DivisionsError, match="no column 'city'"):
        harmonise(panel, entity="city")
    with pytest.raises(DivisionsError, match="list of column names"):
        harmonise(panel, additive="地区生产总值(亿元)")
