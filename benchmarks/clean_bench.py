"""Cleaning speed and correctness: innostudy.clean against the libraries considered for the job.

One million realistic (synthetic, seeded) figure strings, with repeats as in real tables, go through
``clean.quantities``, ``clean.ranks`` and ``clean.dates``; the budget is 100,000 strings/s. The same
jobs through quantulum3 (quantities), cn2an (Chinese numerals) and dateparser (dates) are timed on a
sample of the distinct strings and projected to the whole job, parsing each distinct string once as
clean does, so the ratio compares the parsers, not the caching. A labelled set of figures (the seed
reports' phrases and their Chinese counterparts) measures correctness. Then the gazetteer packages:
jionlp vs cpca data, pypinyin vs jionlp pinyin, and resolve_many over a million names.

    PYTHONPATH=src python benchmarks/clean_bench.py
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import importlib.resources
import io
import operator
import time
import warnings

import numpy as np
import pandas as pd

from innostudy import clean, entities

N = 1_000_000
RNG = np.random.default_rng(20230206)

QUANTITY_FORMS = [
    "{n:,} companies", "more than {n}", "over {n:,}", "{m} million yuan", "{m} billion yuan",
    "Some {n}", "{n}余名", "{m}亿元", "逾{n}家", "约{m}万元", "{n}", "about {n:,} experts",
    "{m} million yuan (${k} million)", "{n}家以上", "不少于{n}个", "nearly {n:,} enterprises",
]  # fmt: skip
RANK_FORMS = [
    "ranked {r}th among {f}",
    "top {r}",
    "第{r}名",
    "排名第{r}位",
    "前{r}名",
    "{r}th on the list",
]
DATE_FORMS = ["%Y-%m-%d", "Updated: %Y-%m-%d", "%B %d, %Y", "%d %b %Y", "%Y年%m月%d日"]

# text, value, qualifier: figures as reports write them (seed phrases and Chinese forms)
LABELLED = [
    ("eight online and on-site", 8, "exact"), ("more than 90", 90, "more_than"),
    ("1,163 companies", 1163, "exact"), ("95 million yuan ($14.88 million)", 95e6, "exact"),
    ("over 1,600", 1600, "more_than"), ("1.46 billion yuan", 1.46e9, "exact"),
    ("Some 39", 39, "about"), ("362 million yuan", 362e6, "exact"),
    ("a total of 3,152", 3152, "exact"), ("four national key labs", 4, "exact"),
    ("1600余名", 1600, "more_than"), ("1.46亿元", 1.46e8, "exact"), ("逾百家", 100, "more_than"),
    ("3.5万", 35000, "exact"), ("约3.5万人", 35000, "about"), ("不少于50家", 50, "at_least"),
    ("1600名以上", 1600, "at_least"), ("一千六百名", 1600, "exact"), ("三千五百万元", 3.5e7, "exact"),
    ("近百家", 100, "less_than"),
]  # fmt: skip
LABELLED_DATES = [
    ("Updated: 2021-10-25", dt.date(2021, 10, 25)), ("February 6, 2023", dt.date(2023, 2, 6)),
    ("6 Feb 2023", dt.date(2023, 2, 6)), ("2023年2月6日", dt.date(2023, 2, 6)),
    ("Jan 30", dt.date(2023, 1, 30)), ("July 10, 2024", dt.date(2024, 7, 10)),
    ("China.org.cn | July 10, 2024", dt.date(2024, 7, 10)),
    ("english.guiyang.gov.cn|Updated: 2024-01-12", dt.date(2024, 1, 12)),
    ("2023-25", None), ("1.2.3", None), ("about", None),
]  # fmt: skip
REFERENCE = dt.date(2023, 2, 6)


def column(forms: list[str], size: int, fill, repeats: bool = True) -> pd.Series:
    """``size`` strings from ``forms``. With ``repeats`` the numbers are drawn Zipf-like, so
    strings repeat as in real tables; without, nearly every string is new."""
    choice = RNG.integers(0, len(forms), size=size)
    if repeats:
        n = RNG.zipf(1.6, size=size) % 5000 + 1
        m = np.round(RNG.uniform(0.1, 99, size=size), 1)
    else:
        n = RNG.integers(1, 10**7, size=size)
        m = np.round(RNG.uniform(0.1, 999, size=size), 2)
    return pd.Series(
        [fill(forms[c], int(a), float(b)) for c, a, b in zip(choice, n, m, strict=True)]
    )


def quantity_text(form: str, n: int, m: float) -> str:
    return form.format(n=n, m=m, k=round(m / 6.4, 2))


def rank_text(form: str, n: int, m: float) -> str:
    return form.format(r=n % 60 + 1, f=65)


def date_text(form: str, n: int, m: float) -> str:
    return (dt.date(2015, 1, 1) + dt.timedelta(days=n % 3650)).strftime(form)


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def quiet(function, *args, **kwargs):
    """Call a peer, silencing its prints and warnings; None when it raises."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            return function(*args, **kwargs)
        except Exception:  # a peer's failure on one string is a wrong answer, not a crash
            return None


def peer_rate(parse, distinct: pd.Series, rows: int, sample: int) -> float:
    """Strings/s of a peer on the whole job, each distinct string parsed once (projected from a
    sample of the distinct strings)."""
    texts = distinct.sample(min(sample, len(distinct)), random_state=1).tolist()
    _, seconds = timed(lambda: [quiet(parse, t) for t in texts])
    return rows / (seconds / len(texts) * len(distinct))


def optional(name: str):
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return importlib.import_module(name)
    except ImportError:
        print(f"  ({name} is not installed: skipped)")
        return None


def report(label: str, rows: int, seconds: float, distinct: int) -> float:
    rate = rows / seconds
    print(f"  {label:<46} {rate:>12,.0f} strings/s  ({seconds:.2f} s, {distinct:,} distinct)")
    return rate


def peer(label: str, rate: float, ours: float | None = None) -> None:
    ratio = f"  clean is {ours / rate:,.0f}x faster" if ours else ""
    print(f"  {label:<46} {rate:>12,.0f} strings/s{ratio}")


def speed() -> dict[str, float]:
    """The vectorised forms on a million strings each, and the worst case of no repeats."""
    print(f"innostudy.clean: {N:,} strings per column (budget: 100,000 strings/s)")
    rates = {}
    for name, forms, fill, vectorised in [
        ("quantities", QUANTITY_FORMS, quantity_text, clean.quantities),
        ("ranks", RANK_FORMS, rank_text, clean.ranks),
        ("dates", DATE_FORMS, date_text, lambda s: clean.dates(s, reference=REFERENCE)),
    ]:
        series = column(forms, N, fill)
        out, seconds = timed(vectorised, series)
        rates[name] = report(f"clean.{name}", N, seconds, series.nunique())
        assert out["error"].isna().all(), out["error"].dropna().head()
    unique = pd.Series(pd.unique(column(QUANTITY_FORMS, 200_000, quantity_text, repeats=False)))
    _, seconds = timed(clean.quantities, unique)
    report("clean.quantities, (nearly) no repeats", len(unique), seconds, len(unique))
    per_row = column(QUANTITY_FORMS, 100_000, quantity_text)
    _, seconds = timed(per_row.map, clean.parse_quantity)
    report(
        "parse_quantity row by row (no de-duplication)", len(per_row), seconds, per_row.nunique()
    )
    return rates


def peers(rates: dict[str, float]) -> None:
    """The same jobs through the libraries considered, each distinct string parsed once."""
    print("\nthe same jobs through the libraries considered (each distinct string once):")
    distinct = pd.Series(column(QUANTITY_FORMS, N, quantity_text).unique())
    if quantulum := optional("quantulum3.parser"):
        peer(
            "quantulum3.parser.parse",
            peer_rate(quantulum.parse, distinct, N, 2000),
            rates["quantities"],
        )
    if cn2an := optional("cn2an"):
        chinese = distinct[distinct.str.contains("[\u4e00-\u9fff]")]
        rate = peer_rate(lambda t: cn2an.transform(t, "cn2an"), chinese, N, 2000)
        peer("cn2an.transform (numerals only, Chinese rows)", rate)
    if dateparser := optional("dateparser"):
        dates = pd.Series(column(DATE_FORMS, N, date_text).unique())
        settings = {"RELATIVE_BASE": dt.datetime(2023, 2, 6)}
        rate = peer_rate(lambda t: dateparser.parse(t, settings=settings), dates, N, 300)
        peer("dateparser.parse", rate, rates["dates"])


def correctness() -> None:
    """Right answers on the labelled figures; an unreadable string must give no answer."""
    print(f"\ncorrectness on {len(LABELLED)} labelled figures and {len(LABELLED_DATES)} dates:")
    expected = [(v, k) for _, v, k in LABELLED]
    ours = [quiet(clean.parse_quantity, t) for t, _, _ in LABELLED]
    values = sum(q is not None and q.value == v for q, (v, _) in zip(ours, expected, strict=True))
    both = sum(
        q is not None and (q.value, q.qualifier) == e for q, e in zip(ours, expected, strict=True)
    )
    print(f"  innostudy.clean      values {values}/{len(LABELLED)}, with the qualifier {both}")
    if quantulum := optional("quantulum3.parser"):
        got = [quiet(quantulum.parse, t) for t, _, _ in LABELLED]
        ok = sum(bool(g) and g[0].value == v for g, (v, _) in zip(got, expected, strict=True))
        print(f"  quantulum3           values {ok}/{len(LABELLED)} (it has no qualifiers)")
    if cn2an := optional("cn2an"):
        got = [quiet(cn2an.cn2an, t, "smart") for t, _, _ in LABELLED]
        ok = sum(g is not None and g == v for g, (v, _) in zip(got, expected, strict=True))
        print(f"  cn2an.cn2an (smart)  values {ok}/{len(LABELLED)} (numerals only: no units)")
    days = [d for _, d in LABELLED_DATES]
    ours = [quiet(clean.parse_date, t, reference=REFERENCE) for t, _ in LABELLED_DATES]
    print(f"  innostudy.clean      dates {sum(map(operator.eq, ours, days))}/{len(days)}")
    if dateparser := optional("dateparser"):
        settings = {"RELATIVE_BASE": dt.datetime(2023, 2, 6)}
        got = [quiet(dateparser.parse, t, settings=settings) for t, _ in LABELLED_DATES]
        got = [g.date() if g else None for g in got]
        print(f"  dateparser           dates {sum(map(operator.eq, got, days))}/{len(days)}")


def names() -> None:
    """entities.resolve_many on a million names, and what the gazetteer packages give."""
    print("\nentities: resolve_many over a million names (English, pinyin, Chinese, repeats)")
    shipped = pd.read_csv(entities.GAZETTEER_CSV, dtype=str, keep_default_na=False)
    pool = pd.concat(
        [shipped["name_en"], shipped["name_zh"], shipped["pinyin"], pd.Series(["Atlantis"])]
    )
    many = pool.sample(N, replace=True, random_state=2, ignore_index=True)
    entities.gazetteer()
    out, seconds = timed(entities.resolve_many, many)
    report("entities.resolve_many", N, seconds, many.nunique())
    print(f"  outcome: {out['status'].value_counts().to_dict()}")

    print("\ngazetteer sources:")
    for name in ("jionlp", "cpca", "pypinyin"):
        start = time.perf_counter()
        if optional(name):
            print(f"  import {name:<9} {time.perf_counter() - start:.2f} s")
    if optional("cpca"):
        table = pd.read_csv(importlib.resources.files("cpca.resources") / "adcodes.csv", dtype=str)
        codes = table["adcode"].str[:6]
        placeholder = table["name"].isin(["市辖区", "县"]) | codes.str.endswith("9000")
        units = set(codes[(codes.str[2:4] != "00") & (codes.str[4:] == "00") & ~placeholder])
        ours = set(shipped.loc[shipped["kind"] != "province", "adcode"])
        gone = table.loc[codes.isin(units - ours), "name"].tolist()
        lacks = shipped.loc[shipped["adcode"].isin(ours - units), "name_zh"].tolist()
        print(
            f"  cpca adcodes.csv: {len(units)} prefecture-level units; gone since: {gone}; lacks {lacks}"
        )
    pypinyin, jionlp = optional("pypinyin"), optional("jionlp")
    if pypinyin and jionlp:
        # against the shipped readings: jionlp's, with the corrections checked by hand
        short = shipped["aliases"].str.split("|").str[0]
        reference = shipped["pinyin"].str.replace("'", "").str.lower()
        for label, read in [
            ("pypinyin", lambda w: [s[0] for s in pypinyin.pinyin(w, style=pypinyin.Style.TONE)]),
            ("jionlp.pinyin", lambda w: quiet(jionlp.pinyin, w, formater="standard")),
        ]:
            got = short.map(lambda w, read=read: "".join(read(w)).lower())
            letters = got.map(entities._plain) != reference.map(entities._plain)
            print(f"  {label:<14} of {len(short)} names: {(got != reference).sum()} differ in tones, "
                  f"{letters.sum()} in letters {short[letters].tolist()}")  # fmt: skip


def main() -> None:
    rates = speed()
    peers(rates)
    correctness()
    names()


if __name__ == "__main__":
    main()
