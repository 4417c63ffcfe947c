"""innostudy.entities: every way a report names a place finds its entity id; a shared name gives
its candidates, an unknown one says so; the shipped gazetteer is what jionlp builds."""

import re

import pandas as pd
import pytest

from innostudy import entities
from innostudy.dataset import DATA_DIR

RESOLVED = [
    # English, pinyin with and without tones or spaces, Chinese with and without the suffix
    ("Guiyang", None, "guiyang"),
    ("Guiyang City", None, "guiyang"),
    ("GUIYANG", None, "guiyang"),
    ("Guìyáng", None, "guiyang"),
    ("Gui Yang", None, "guiyang"),
    ("gui4yang2", None, "guiyang"),
    ("贵阳", None, "guiyang"),
    ("贵阳市", None, "guiyang"),
    ("Baotou", None, "baotou"),
    ("包头市", None, "baotou"),
    ("Jiaxing", None, "jiaxing"),
    ("Xianning", None, "xianning"),
    ("Gui'an", None, "guian_new_area"),
    ("Guian", None, "guian_new_area"),
    ("Gui'an New Area", None, "guian_new_area"),
    ("贵安新区", None, "guian_new_area"),
    ("Tianjin Binhai New Area", None, "tianjin_binhai_new_area"),
    ("Guiyang National High-tech Zone", None, "guiyang_high_tech_zone"),
    # a zone or new area followed up to the city it lies in
    ("Guiyang National High-tech Zone", "city", "guiyang"),
    ("Guizhou Science City", "city", "guiyang"),
    ("Binhai New Area", "city", "tianjin"),  # a municipality counts as a city
    # provinces
    ("Guizhou Province", None, "guizhou"),
    ("贵州", None, "guizhou"),
    ("Inner Mongolia Autonomous Region", None, "inner_mongolia"),
    ("内蒙古", None, "inner_mongolia"),
    ("Tibet", None, "xizang"),
    # prefecture-level units that data/ does not list come from the gazetteer
    ("Hohhot", None, "huhehaote"),
    ("Hūhéhàotè", None, "huhehaote"),
    ("黔东南州", None, "qiandongnan"),
    ("黔东南苗族侗族自治州", None, "qiandongnan"),
    ("Qiandongnan Prefecture", None, "qiandongnan"),
    ("Xilingol League", None, "xilinguole"),
    ("Xi'an", None, "xian"),
    ("Chaoyang", None, "chaoyang"),  # 朝阳, 漯河: jionlp reads Zhaoyang, Tahe; corrected
    ("Luohe", None, "luohe"),
    ("Lu'an", None, "luan"),
    ("Changzhi", None, "changzhi"),  # 长治: pypinyin would read Zhangzhi
    ("泰州", None, "taizhou_jiangsu"),
    ("台州市", None, "taizhou_zhejiang"),
    ("吉林市", None, "jilin_jilin"),
    ("Jilin", "province", "jilin"),
    ("Jilin", "city", "jilin_jilin"),
    ("Hainan", "prefecture", "hainan_qinghai"),
    # programmes and organisations of data/
    ("CAST", None, "cast"),
    ("中国科协", None, "cast"),
    ("Innovation China", None, "innovation_china"),
]


@pytest.mark.parametrize(("name", "kind", "entity_id"), RESOLVED)
def test_resolve(name, kind, entity_id):
    match = entities.resolve(name, kind=kind)
    assert (match.status, match.entity_id, match.candidates) == ("resolved", entity_id, ())


def test_a_match_carries_names_province_code_and_prefecture():
    m = entities.resolve("贵阳")
    assert (m.name_en, m.name_zh, m.kind, m.province, m.adcode) == (
        "Guiyang", "贵阳市", "city", "guizhou", "520100",
    )  # fmt: skip
    zone = entities.resolve("Guiyang National High-tech Zone")
    assert (zone.kind, zone.parent_id, zone.prefecture, zone.adcode) == (
        "high_tech_zone", "guiyang", "guiyang", None,
    )  # fmt: skip
    hohhot = entities.resolve("Hohhot")
    assert (hohhot.name_zh, hohhot.province, hohhot.adcode) == (
        "呼和浩特市",
        "inner_mongolia",
        "150100",
    )
    assert entities.resolve("Guizhou").prefecture is None
    assert "guiyang" in m.message and "Guiyang" in m.message


@pytest.mark.parametrize(
    ("name", "kind", "candidates"),
    [
        ("Taizhou", None, ("taizhou_jiangsu", "taizhou_zhejiang")),
        ("Suzhou", None, ("suzhou_anhui", "suzhou_jiangsu")),
        ("Fuzhou", None, ("fuzhou_fujian", "fuzhou_jiangxi")),
        ("Yichun", "city", ("yichun_heilongjiang", "yichun_jiangxi")),
        ("Yulin", None, ("yulin_guangxi", "yulin_shaanxi")),
        ("Jilin", None, ("jilin", "jilin_jilin")),
        ("海南", None, ("hainan", "hainan_qinghai")),
    ],
)
def test_a_shared_name_gives_candidates_never_a_guess(name, kind, candidates):
    match = entities.resolve(name, kind=kind)
    assert (match.status, match.entity_id, match.candidates) == ("ambiguous", None, candidates)
    assert all(c in match.message for c in candidates)


@pytest.mark.parametrize(
    ("name", "kind"),
    [("Atlantis", None), ("", None), ("  ", None), ("Guiyang", "province"), ("CAST", "city")],
)
def test_an_unknown_name_says_so(name, kind):
    match = entities.resolve(name, kind=kind)
    assert (match.status, match.entity_id, match.candidates) == ("unknown", None, ())
    assert "names no known entity" in match.message


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match=r"unknown kind 'town'.*'city'.*'prefecture'"):
        entities.resolve("Guiyang", kind="town")


def test_every_project_entity_is_found_by_each_of_its_names():
    table = pd.read_csv(DATA_DIR / "entities.csv", dtype=str, keep_default_na=False)
    for row in table.itertuples():
        for name in [row.name_en, row.name_zh, *row.aliases.split("|")]:
            if name:
                assert entities.resolve(name).entity_id == row.entity_id, (row.entity_id, name)


# --- the gazetteer ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return pd.read_csv(entities.GAZETTEER_CSV, dtype=str, keep_default_na=False)


def test_gazetteer_lists_every_prefecture_and_province_level_division(shipped):
    kinds = shipped["kind"].value_counts()
    # 333 prefecture-level divisions (293 cities, 30 autonomous prefectures, 7 prefectures,
    # 3 leagues) and 34 province-level ones: the counts of the Ministry of Civil Affairs, 2023.
    assert kinds["city"] + kinds["prefecture"] == 333 and kinds["city"] == 293
    assert kinds["province"] == 34
    assert shipped["entity_id"].is_unique and shipped["adcode"].is_unique
    assert shipped["entity_id"].str.fullmatch(r"[a-z]+(_[a-z]+)*").all()
    assert shipped["adcode"].str.fullmatch(r"[1-8][0-9]{5}").all()
    provinces = shipped[shipped["kind"] == "province"].set_index("entity_id")["adcode"]
    units = shipped[shipped["kind"] != "province"]
    assert (units["adcode"].str[:2] == units["province"].map(provinces).str[:2]).all()
    assert (units["adcode"].str[2:4] != "00").all() and (units["adcode"].str[4:] == "00").all()
    assert set(shipped.loc[shipped["kind"] == "city", "name_zh"].str[-1]) == {"市"}


def test_gazetteer_is_what_jionlp_builds(shipped):
    built = entities.build_gazetteer()
    pd.testing.assert_frame_equal(built.astype(str), shipped[built.columns.tolist()])


def test_project_entities_win_over_the_gazetteer_for_the_same_code():
    own = pd.DataFrame(
        [["gy", "Guiyang Municipality", "贵阳市", "city", "", "guizhou", "520100", "GY"]],
        columns=entities.COLUMNS,
    )
    gazetteer = entities.Gazetteer(own)
    for name in ("GY", "Guiyang", "贵阳", "Guìyáng", "guiyang"):
        match = gazetteer.resolve(name)
        assert (match.entity_id, match.name_en) == ("gy", "Guiyang Municipality")
    assert "guiyang" not in set(gazetteer.table["entity_id"])
    assert (
        gazetteer.resolve("Baotou").entity_id == "baotou"
    )  # the rest still come from the gazetteer


def test_a_project_id_clashing_with_another_division_is_reported():
    own = pd.DataFrame(
        [
            [
                "suzhou_jiangsu",
                "Suzhou Industrial Park",
                "苏州工业园区",
                "high_tech_zone",
                "",
                "",
                "",
                "",
            ]
        ],
        columns=entities.COLUMNS,
    )
    with pytest.raises(ValueError, match=r"\['suzhou_jiangsu'\].*adcode"):
        entities.Gazetteer(own)


def test_an_entity_table_without_the_columns_is_refused():
    with pytest.raises(ValueError, match=r"lacks columns \['adcode', 'aliases'\]"):
        entities.Gazetteer(pd.DataFrame(columns=entities.COLUMNS[:6]))


def test_resolve_many_resolves_each_distinct_name_once(monkeypatch):
    gazetteer = entities.Gazetteer()
    seen = []
    resolve = gazetteer.resolve
    monkeypatch.setattr(gazetteer, "resolve", lambda n, k=None: seen.append(n) or resolve(n, k))
    names = pd.Series(["包头", "Suzhou", "包头", None, "Atlantis"], index=[10, 11, 12, 13, 14])
    out = gazetteer.resolve_many(names)
    assert sorted(seen) == sorted(["包头", "Suzhou", "Atlantis"])
    assert out.index.tolist() == [10, 11, 12, 13, 14]
    assert out["status"].fillna("-").tolist() == [
        "resolved",
        "ambiguous",
        "resolved",
        "-",
        "unknown",
    ]
    assert out.loc[13].isna().all()
    assert out.loc[12, ["entity_id", "adcode", "province"]].tolist() == [
        "baotou", "150200", "inner_mongolia",
    ]  # fmt: skip
    assert out.loc[11, "candidates"] == "suzhou_anhui|suzhou_jiangsu"
    assert re.search("no known entity", out.loc[14, "message"])
