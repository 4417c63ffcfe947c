"""innostudy.clean: the figures of the seed reports and their Chinese counterparts are read right,
nothing is guessed, spans point at the figure, and the Series forms parse each string once."""

import datetime as dt
import math

import cn2an
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innostudy import clean
from innostudy.clean import ParseError

INF = math.inf
NAN = math.nan

# text, value, unit, currency, qualifier, span. The English phrases are the figures of the seed
# reports (shared/seeds/*.txt); the rest are the forms Chinese and English reports use.
QUANTITIES = [
    ("eight online and on-site", 8, "online and on-site", None, "exact", (0, 5)),
    ("more than 90", 90, None, None, "more_than", (0, 12)),
    ("more than 90 academic activities", 90, "academic activities", None, "more_than", (0, 12)),
    ("1,163 companies", 1163, "companies", None, "exact", (0, 5)),
    ("4,984 experts", 4984, "experts", None, "exact", (0, 5)),
    ("2,594 technological achievements", 2594, "technological achievements", None, "exact", (0, 5)),
    ("3,177 provincial-recorded technology enterprises", 3177,
     "provincial-recorded technology enterprises", None, "exact", (0, 5)),
    ("four national key labs", 4, "national key labs", None, "exact", (0, 4)),
    ("95 million yuan ($14.88 million)", 95e6, None, "CNY", "exact", (0, 15)),
    ("over 1,600", 1600, None, None, "more_than", (0, 10)),
    ("more than 10 scientific research teams", 10, "scientific research teams", None,
     "more_than", (0, 12)),
    ("1.46 billion yuan", 1.46e9, None, "CNY", "exact", (0, 17)),
    ("362 million yuan", 362e6, None, "CNY", "exact", (0, 16)),
    ("a total of 3,152", 3152, None, None, "exact", (0, 16)),
    ("Some 39", 39, None, None, "about", (0, 7)),
    ("Some 39 prefecture-level administrative regions", 39,
     "prefecture-level administrative regions", None, "about", (0, 7)),
    ("  1,121 enterprises", 1121, "enterprises", None, "exact", (2, 7)),
    ("thirty-five", 35, None, None, "exact", (0, 11)),
    ("one hundred and five experts", 105, "experts", None, "exact", (0, 20)),
    ("a million people", 1e6, "people", None, "exact", (0, 9)),
    ("nearly 2,000 enterprises", 2000, "enterprises", None, "less_than", (0, 12)),
    ("at least 50", 50, None, None, "at_least", (0, 11)),
    ("up to 30 teams", 30, "teams", None, "at_most", (0, 8)),
    ("less than 5%", 5, "%", None, "less_than", (0, 12)),
    ("about 1,000", 1000, None, None, "about", (0, 11)),
    ("approximately 1.2 trillion yuan", 1.2e12, None, "CNY", "about", (0, 31)),
    ("RMB 95 million", 95e6, None, "CNY", "exact", (0, 14)),
    ("US$14.88 million", 14.88e6, None, "USD", "exact", (0, 16)),
    ("90 companies or more", 90, "companies", None, "at_least", (0, 2)),
    ("1,600+ talents", 1600, "talents", None, "at_least", (0, 6)),
    ("12.5%", 12.5, "%", None, "exact", (0, 5)),
    ("-3.2 per cent", -3.2, "%", None, "exact", (0, 13)),
    ("≥ 5", 5, None, None, "at_least", (0, 3)),
    ("１６００家", 1600, "家", None, "exact", (0, 4)),
    ("1600余名", 1600, "名", None, "more_than", (0, 5)),
    ("1600多名专家", 1600, "名专家", None, "more_than", (0, 5)),
    ("1.46亿元", 1.46e8, None, "CNY", "exact", (0, 6)),
    ("逾百家", 100, "家", None, "more_than", (0, 2)),
    ("百余家", 100, "家", None, "more_than", (0, 2)),
    ("近百家", 100, "家", None, "less_than", (0, 2)),
    ("3.5万", 35000, None, None, "exact", (0, 4)),
    ("约3.5万人", 35000, "人", None, "about", (0, 5)),
    ("超过1,600名", 1600, "名", None, "more_than", (0, 7)),
    ("不少于50家", 50, "家", None, "at_least", (0, 5)),
    ("不超过30个", 30, "个", None, "at_most", (0, 5)),
    ("1600名以上", 1600, "名", None, "at_least", (0, 4)),
    ("50家以下", 50, "家", None, "at_most", (0, 2)),
    ("1000人左右", 1000, "人", None, "about", (0, 4)),
    ("一千六百名", 1600, "名", None, "exact", (0, 4)),
    ("两千家", 2000, "家", None, "exact", (0, 2)),
    ("三千五百万元", 3.5e7, None, "CNY", "exact", (0, 6)),
    ("一点五亿元", 1.5e8, None, "CNY", "exact", (0, 5)),
    ("1600多万元", 1.6e7, None, "CNY", "more_than", (0, 7)),
    ("3万5千人", 35000, "人", None, "exact", (0, 4)),
    ("5千万元", 5e7, None, "CNY", "exact", (0, 4)),
    ("1.2万亿元", 1.2e12, None, "CNY", "exact", (0, 6)),
    ("百分之十二点五", 12.5, "%", None, "exact", (0, 7)),
    ("人民币1.46亿元", 1.46e8, None, "CNY", "exact", (0, 9)),
    ("共计3152项", 3152, "项", None, "exact", (0, 6)),
]  # fmt: skip


@pytest.mark.parametrize(("text", "value", "unit", "currency", "qualifier", "span"), QUANTITIES)
def test_parse_quantity(text, value, unit, currency, qualifier, span):
    q = clean.parse_quantity(text)
    assert q.value == pytest.approx(value, rel=1e-12)
    assert (q.unit, q.currency, q.qualifier, q.span) == (unit, currency, qualifier, span)
    low, high = clean.interval(q.value, qualifier)
    assert (q.low, q.high) == pytest.approx((low, high), nan_ok=True)


def test_a_stated_conversion_is_kept_apart_from_the_value():
    q = clean.parse_quantity("95 million yuan ($14.88 million)")
    assert (q.value, q.currency) == (95e6, "CNY")
    assert (q.conversion.value, q.conversion.currency, q.conversion.span) == (
        14.88e6,
        "USD",
        (17, 31),
    )
    zh = clean.parse_quantity("人民币1.46亿元（约合2000万美元）")
    assert (zh.value, zh.conversion.value, zh.conversion.qualifier) == (1.46e8, 2e7, "about")
    # a bracket without a currency is no conversion; its number makes the phrase unreadable
    with pytest.raises(ParseError, match="more than one number"):
        clean.parse_quantity("39 (thirty-nine) cities (2021)")


@pytest.mark.parametrize(
    "text",
    ["", "   ", "about", "more than", "1.2.3", "1,16", "five three", "2023-25", "top 10", "5G",
     "十四五", "数百家", "many", "12 and 13 companies", "more than 90 和 以上", "逾1600余名以上",
     "$5 yuan", "0亿0"],
)  # fmt: skip
def test_quantity_is_never_guessed(text):
    with pytest.raises(ParseError) as caught:
        clean.parse_quantity(text)
    assert isinstance(caught.value, ValueError)
    assert repr(text) in str(caught.value) and "expected a figure" in str(caught.value)


@pytest.mark.parametrize(
    ("qualifier", "value", "kwargs", "expected"),
    [
        ("exact", 23, {}, (23, 23)),
        ("more_than", 90, {}, (90, INF)),
        ("at_least", 90, {}, (90, INF)),
        ("at_most", 10, {"floor": 1}, (1, 10)),
        ("at_most", 10, {}, (-INF, 10)),
        ("less_than", 5, {}, (-INF, 5)),
        ("more_than", 5, {"ceiling": 65}, (5, 65)),
        ("about", 39, {}, (NAN, NAN)),
    ],
)
def test_interval(qualifier, value, kwargs, expected):
    assert clean.interval(value, qualifier, **kwargs) == pytest.approx(expected, nan_ok=True)


def test_interval_rejects_an_unknown_qualifier():
    with pytest.raises(ValueError, match="unknown qualifier 'roughly'.*exact"):
        clean.interval(3, "roughly")


RANKS = [
    ("ranked 23rd among 65", 23, 65, "exact", (1, 23), (0, 20)),
    ("ranked 23rd among 65 pilot cities and industrial parks", 23, 65, "exact", (23, 23), (0, 20)),
    ("34th on the list", 34, None, "exact", (34, 34), (0, 16)),
    ("ranks 34th on the 2023 list", 34, None, "exact", (34, 34), (0, 27)),
    ("top 10", 10, None, "at_most", (1, 10), (0, 6)),
    ("ranked among the top 10 pilot cities", 10, None, "at_most", (1, 10), (0, 23)),
    ("first among the 65 pilot units", 1, 65, "exact", (1, 1), (0, 18)),
    ("twenty-third out of 65", 23, 65, "exact", (23, 23), (0, 22)),
    ("came in 5th place", 5, None, "exact", (5, 5), (0, 17)),
    ("No. 1", 1, None, "exact", (1, 1), (0, 5)),
    ("top ten", 10, None, "at_most", (1, 10), (0, 7)),
    ("23", 23, None, "exact", (23, 23), (0, 2)),
    ("第23名", 23, None, "exact", (23, 23), (0, 4)),
    ("排名第23位", 23, None, "exact", (23, 23), (0, 6)),
    ("排名第二", 2, None, "exact", (2, 2), (0, 4)),
    ("前十", 10, None, "at_most", (1, 10), (0, 2)),
    ("前10名", 10, None, "at_most", (1, 10), (0, 4)),
    ("全国百强", 100, None, "at_most", (1, 100), (2, 4)),
    ("在65个试点单位中排名第23位", 23, 65, "exact", (23, 23), (0, 15)),
]


@pytest.mark.parametrize(("text", "position", "field", "qualifier", "bounds", "span"), RANKS)
def test_parse_rank(text, position, field, qualifier, bounds, span):
    r = clean.parse_rank(text)
    assert (r.position, r.field_size, r.qualifier, r.span) == (position, field, qualifier, span)
    if qualifier != "exact":
        assert (r.low, r.high) == bounds
    else:
        assert r.low == r.high == position


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("the second batch", ""),
        ("第二批", ""),
        ("前三季度", ""),
        ("0", ""),
        ("", ""),
        ("top 10%", "percentage"),
        ("ranked 70th among 65", "not within a field of 65"),
        ("ranked 3rd and 5th", "found 2 ranks"),
    ],
)
def test_rank_is_never_guessed(text, reason):
    with pytest.raises(ParseError, match=reason or None) as caught:
        clean.parse_rank(text)
    assert repr(text) in str(caught.value) and "expected a rank" in str(caught.value)


DATES = [
    ("Updated: 2021-10-25", None, dt.date(2021, 10, 25)),
    ("Updated: February 6, 2023", None, dt.date(2023, 2, 6)),
    ("February 6, 2023", None, dt.date(2023, 2, 6)),
    ("July 10, 2024", None, dt.date(2024, 7, 10)),
    ("China.org.cn | July 10, 2024", None, dt.date(2024, 7, 10)),
    ("english.guiyang.gov.cn|Updated: 2024-01-12", None, dt.date(2024, 1, 12)),
    ("6 Feb 2023", None, dt.date(2023, 2, 6)),
    ("Feb. 6th, 2023", None, dt.date(2023, 2, 6)),
    ("6th of February 2023", None, dt.date(2023, 2, 6)),
    ("Sept 30, 2023", None, dt.date(2023, 9, 30)),
    ("2023/2/6", None, dt.date(2023, 2, 6)),
    ("2023年2月6日", None, dt.date(2023, 2, 6)),
    ("２０２３年２月６日", None, dt.date(2023, 2, 6)),
    ("二〇二三年二月六日", None, dt.date(2023, 2, 6)),
    ("2023年12月31号", None, dt.date(2023, 12, 31)),
    ("Jan 30", "2023-02-06", dt.date(2023, 1, 30)),
    ("Dec 28", dt.date(2024, 1, 5), dt.date(2023, 12, 28)),
    ("Jan 3", dt.datetime(2023, 12, 20, 9, 0), dt.date(2024, 1, 3)),
    ("1月30日", pd.Timestamp("2023-02-06"), dt.date(2023, 1, 30)),
]


@pytest.mark.parametrize(("text", "reference", "expected"), DATES)
def test_parse_date(text, reference, expected):
    assert clean.parse_date(text, reference=reference) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Jan 30", "pass reference="),
        ("2023-02-30", "day is out of range"),
        ("2023-25", ""),
        ("May 2021", ""),
        ("we may 5 times", ""),
        ("about", ""),
        ("1.2.3", ""),
        ("", ""),
        ("2021-10-25 and 2021-10-26", "found 2 dates"),
    ],
)
def test_date_is_never_guessed(text, reason):
    with pytest.raises(ParseError, match=reason or None) as caught:
        clean.parse_date(text)
    assert "expected a date" in str(caught.value)


def test_a_date_repeated_is_one_date():
    assert clean.parse_date("2021-10-25 (Updated: 2021-10-25)") == dt.date(2021, 10, 25)


PERIODS = [
    ("2023-25", 2023, 2025, (0, 7)),
    ("(2021-23)", 2021, 2023, (1, 8)),
    ("Three-Year Action Plan (2021-23)", 2021, 2023, (24, 31)),
    ("2021-2023", 2021, 2023, (0, 9)),
    ("2021–2023", 2021, 2023, (0, 9)),
    ("from 2021 to 2023", 2021, 2023, (5, 17)),
    ("2023—2025年", 2023, 2025, (0, 10)),
    ("2023年至2025年", 2023, 2025, (0, 11)),
    ("1998-02", None, None, None),
    ("2019-20", 2019, 2020, (0, 7)),
    ("14th Five-Year Plan", 2021, 2025, (0, 19)),
    ("the Fourteenth Five-Year Plan", 2021, 2025, (4, 29)),
    ("13th Five-Year Plan", 2016, 2020, (0, 19)),
    ("1st Five-Year Plan", 1953, 1957, (0, 18)),
    ("十四五", 2021, 2025, (0, 3)),
    ("“十四五”规划", 2021, 2025, (0, 5)),
    ("第十四个五年规划", 2021, 2025, (0, 8)),
    ("十五计划", 2001, 2005, (0, 2)),
    ("2023", 2023, 2023, (0, 4)),
    ("in 2023", 2023, 2023, (3, 7)),
    ("2023年", 2023, 2023, (0, 5)),
]


@pytest.mark.parametrize(("text", "start", "end", "span"), PERIODS)
def test_parse_period(text, start, end, span):
    if start is None:
        with pytest.raises(ParseError, match="could be a year and a month"):
            clean.parse_period(text)
    else:
        assert clean.parse_period(text) == (start, end, span)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2021-12", "year and a month"),
        ("2025-2023", "ends .2023. before it starts"),
        ("2021-10-25", ""),
        ("Updated: February 6, 2023", ""),
        ("31st Five-Year Plan", "no Five-Year Plan number 31"),
        ("2021 and 2023", "found 2 periods"),
        ("", ""),
    ],
)
def test_period_is_never_guessed(text, reason):
    with pytest.raises(ParseError, match=reason or None):
        clean.parse_period(text)


# --- finding figures in running text (own sentences, no source prose) -----------------------------

ENGLISH = (
    "Updated: February 6, 2023. The city came 23rd among 65 pilot units on Jan 30, under the "
    "Three-Year Action Plan (2021-23). It ran eight roadshows, held more than 90 events, helped "
    "1,163 companies and raised 95 million yuan ($14.88 million); one of the teams won. Version "
    "1.2.3 of the 5G app shipped in 2022."
)


def _found(finder, text, **kwargs):
    return [(text[slice(*x.span)], x) for x in finder(text, **kwargs)]


def test_find_quantities_skips_dates_ranks_periods_years_and_codes():
    found = _found(clean.find_quantities, ENGLISH)
    assert [(t, q.value, q.unit, q.qualifier) for t, q in found] == [
        ("eight", 8, "roadshows", "exact"),
        ("more than 90", 90, "events", "more_than"),
        ("1,163", 1163, "companies", "exact"),
        ("95 million yuan", 95e6, None, "exact"),
    ]
    assert found[-1][1].currency == "CNY"
    conversion = found[-1][1].conversion
    assert ENGLISH[slice(*conversion.span)] == "$14.88 million"


def test_qualifier_and_currency_words_inside_other_words_are_none():
    text = "Moreover 5 cities joined, a handsome 3 awards, about 4 teams and XRMB 6 units."
    found = [(q.value, q.qualifier, q.currency) for q in clean.find_quantities(text)]
    assert found == [(5, "exact", None), (3, "exact", None), (4, "about", None), (6, "exact", None)]


def test_find_the_other_figures_of_the_same_text():
    (rank,) = clean.find_ranks(ENGLISH)
    assert (ENGLISH[slice(*rank.span)], rank.position, rank.field_size) == (
        "came 23rd among 65",
        23,
        65,
    )
    dates = [(ENGLISH[slice(*s)], d) for d, s in clean.find_dates(ENGLISH, reference="2023-02-06")]
    assert dates == [("February 6, 2023", dt.date(2023, 2, 6)), ("Jan 30", dt.date(2023, 1, 30))]
    periods = [(ENGLISH[slice(*p.span)], p.start, p.end) for p in clean.find_periods(ENGLISH)]
    assert periods == [("2021-23", 2021, 2023), ("2022", 2022, 2022)]


CHINESE = (
    "2023年1月30日，该市在65个试点单位中排名第23位。“十四五”期间引进1600余名人才，服务企业逾百家，"
    "成交额达1.46亿元（约合2000万美元），一带一路项目三个，第二批试点39个，全国百强。"
)


def test_find_in_chinese_text():
    quantities = [
        (t, q.value, q.unit, q.qualifier) for t, q in _found(clean.find_quantities, CHINESE)
    ]
    assert quantities == [
        ("1600余", 1600, "名", "more_than"),
        ("逾百", 100, "家", "more_than"),
        ("达1.46亿元", 1.46e8, None, "exact"),
        ("三", 3, "个", "exact"),
        ("39", 39, "个", "exact"),
    ]
    ranks = [
        (t, r.position, r.field_size, r.qualifier) for t, r in _found(clean.find_ranks, CHINESE)
    ]
    assert ranks == [
        ("在65个试点单位中排名第23位", 23, 65, "exact"),
        ("百强", 100, None, "at_most"),
    ]
    assert [d for d, _ in clean.find_dates(CHINESE)] == [dt.date(2023, 1, 30)]
    assert [p[:2] for p in clean.find_periods(CHINESE)] == [(2021, 2025)]


# --- the Series forms ------------------------------------------------------------------------------


def test_quantities_parse_each_distinct_string_once(monkeypatch):
    calls = []
    parse = clean.parse_quantity
    monkeypatch.setattr(clean, "parse_quantity", lambda text: calls.append(text) or parse(text))
    series = pd.Series(
        ["more than 90", "1.46亿元", None, "about", "more than 90", float("nan"), 1163, "1.46亿元"],
        index=list("abcdefgh"),
    )
    out = clean.quantities(series)
    assert sorted(calls) == sorted(["more than 90", "1.46亿元", "about", "1163"])
    assert out.index.tolist() == list("abcdefgh")
    assert out["value"].tolist()[:2] == [90, 1.46e8] and out.loc["h", "value"] == 1.46e8
    assert out.loc["a", ["qualifier", "low", "high"]].tolist() == ["more_than", 90, INF]
    assert out.loc["g", "value"] == 1163
    # missing input: nothing to read, no error; unreadable input: NaN and the message
    assert out.loc[["c", "f"]].isna().all().all()
    assert out.loc["d", "value"] != out.loc["d", "value"]
    assert out.loc["d", "error"].startswith("cannot read 'about'")
    assert out["error"].notna().sum() == 1
    assert str(out["span_start"].dtype) == "Int64" and out["value"].dtype == "float64"


def test_quantities_carry_the_conversion():
    out = clean.quantities(["95 million yuan ($14.88 million)", "3.5万"])
    assert out["conversion_value"].tolist()[0] == 14.88e6
    assert out["conversion_currency"].tolist()[0] == "USD"
    assert pd.isna(out["conversion_value"].iloc[1])


def test_ranks_dates_periods_over_a_series():
    r = clean.ranks(pd.Series(["ranked 23rd among 65", "top 10", "the second batch"]))
    assert r["position"].tolist()[:2] == [23, 10]
    assert r.loc[0, "field_size"] == 65 and pd.isna(r.loc[1, "field_size"])
    assert r["error"].notna().tolist() == [False, False, True]
    d = clean.dates(pd.Series(["Jan 30", "2021-10-25", "nonsense"]), reference="2023-02-06")
    assert d["date"].tolist()[:2] == [pd.Timestamp("2023-01-30"), pd.Timestamp("2021-10-25")]
    assert pd.isna(d["date"].iloc[2]) and "expected a date" in d["error"].iloc[2]
    p = clean.periods(pd.Series(["2023-25", "十四五", "2021-12"]))
    assert p[["start", "end"]].iloc[:2].values.tolist() == [[2023, 2025], [2021, 2025]]
    assert "year and a month" in p["error"].iloc[2]


# --- properties --------------------------------------------------------------------------------------

_SMALL = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
          "fifteen sixteen seventeen eighteen nineteen").split()  # fmt: skip
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()


def _words(n: int) -> str:
    """English words for 0 <= n < 10**9 (the test's own writer, independent of clean)."""
    if n < 20:
        return _SMALL[n]
    if n < 100:
        return _TENS[n // 10 - 2] + ("-" + _SMALL[n % 10] if n % 10 else "")
    if n < 1000:
        return _SMALL[n // 100] + " hundred" + (" and " + _words(n % 100) if n % 100 else "")
    for scale, word in ((10**6, "million"), (10**3, "thousand")):
        if n >= scale:
            rest = n % scale
            return _words(n // scale) + " " + word + (" " + _words(rest) if rest else "")
    raise AssertionError(n)


@st.composite
def written_numbers(draw):
    """(text, value) pairs: a number written in one of the supported styles."""
    style = draw(
        st.sampled_from(["digits", "grouped", "decimal", "magnitude", "wan", "words", "zh"])
    )
    n = draw(st.integers(min_value=0, max_value=10**9 - 1))
    cents = draw(st.integers(min_value=0, max_value=99))
    if style == "digits":
        return str(n), n
    if style == "grouped":
        return f"{n:,}", n
    if style == "decimal":
        return f"{n}.{cents:02d}", n + cents / 100
    if style == "magnitude":
        word, scale = draw(st.sampled_from([("thousand", 3), ("million", 6), ("billion", 9)]))
        return f"{n % 1000}.{cents:02d} {word}", (n % 1000 * 100 + cents) * 10 ** (scale - 2)
    if style == "wan":
        word, scale = draw(st.sampled_from([("万", 4), ("亿", 8)]))
        return f"{n % 10000}.{cents:02d}{word}", (n % 10000 * 100 + cents) * 10 ** (scale - 2)
    if style == "words":
        return _words(n), n
    return cn2an.an2cn(max(n, 1)), max(n, 1)


QUALIFIED = {"more than ": "more_than", "逾": "more_than", "at least ": "at_least",
             "不少于": "at_least", "up to ": "at_most", "less than ": "less_than",
             "about ": "about", "约": "about", "": "exact"}  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(written_numbers(), st.sampled_from(sorted(QUALIFIED)), st.sampled_from(["", " yuan", "元"]))
def test_a_written_number_reads_back(written, prefix, currency):
    text, value = written
    q = clean.parse_quantity(prefix + text + currency)
    assert q.value == pytest.approx(value, rel=1e-12, abs=1e-9)
    assert q.qualifier == QUALIFIED[prefix]
    assert q.currency == ("CNY" if currency else None)
    assert q.span[0] == 0


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=10**6), st.sampled_from(["{}th", "第{}名", "top {}"]))
def test_a_written_rank_reads_back(position, template):
    assert clean.parse_rank(template.format(position)).position == position


@settings(max_examples=150, deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)),
       st.sampled_from(["%Y-%m-%d", "%B %d, %Y", "%d %b %Y", "%Y年%m月%d日", "%Y/%m/%d"]))  # fmt: skip
def test_a_written_date_reads_back(day, style):
    assert clean.parse_date(day.strftime(style)) == day


# Text made of the pieces the grammars look for reaches deeper than random characters alone.
PIECES = st.sampled_from(
    list("0123456789.,-+%$¥()（）万亿千百十余多第前强年月日号点零一二三四五六七八九两 ")
    + ["more than ", "top ", "ranked ", "th", "st", "among ", "million", "yuan", "Jan ", "May ",
       "Five-Year Plan", "十四五", "about ", "约", "以上", "plus", "twenty", "-", "—", "to "]
)  # fmt: skip
ANY_TEXT = st.one_of(st.text(max_size=40), st.lists(PIECES, max_size=12).map("".join))


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT)
def test_any_text_raises_nothing_but_parse_error(text):
    for parse in (clean.parse_quantity, clean.parse_rank, clean.parse_date, clean.parse_period):
        try:
            parse(text)
        except ParseError:
            pass
    for finder in (clean.find_quantities, clean.find_ranks, clean.find_periods):
        for found in finder(text):
            assert 0 <= found.span[0] < found.span[1] <= len(text)
    for _, (start, end) in clean.find_dates(text, reference="2023-06-01"):
        assert 0 <= start < end <= len(text)


def test_find_figures_takes_linear_time_over_many_figures():
    """10,000 figures took 5 s when every match was checked against every span taken before it;
    the count of work is measured (the spans visited), not the clock (benchmarks/clean_bench.py
    times 1 MB)."""
    text = "1 " * 10_000 + "ranked 3rd in 2021 " * 2_000
    found = clean.find_figures(text)
    assert len(found.quantities) == 10_000 and len(found.ranks) == 2_000
    taken = clean._Taken([(i * 5, i * 5 + 2) for i in range(20_000)])
    calls = [taken.overlaps(i * 5 + 2, i * 5 + 4) for i in range(20_000)]
    assert not any(calls) and taken._next == 20_000  # each span visited once


@pytest.mark.parametrize(
    "text", ["1\u2009163 experts", "1\u202f163 experts", "1\u00a0163 experts", "1\u200b163 experts"]
)
def test_a_number_across_an_invisible_separator_reads_alike_in_text_and_alone(text):
    assert clean.parse_quantity(text).value == 1163
    assert [q.value for q in clean.find_quantities(f"So far {text} joined.")] == [1163]


def test_a_zero_width_space_that_splits_digits_is_no_number_anywhere():
    with pytest.raises(clean.ParseError, match="invisible U\\+200B splits the number"):
        clean.parse_quantity("11\u200b63 experts")
    assert list(clean.find_quantities("So far 11\u200b63 experts joined.")) == []


def test_a_rank_too_large_for_any_ranking_is_an_error_not_an_overflow():
    out = clean.ranks(pd.Series(["12345678901234567890", "ranked 12345678901234567890th", "第3名"]))
    assert out["position"].tolist()[2] == 3
    assert out["error"].iloc[:2].str.contains("larger than any ranking").all()
