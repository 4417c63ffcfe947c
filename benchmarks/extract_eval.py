"""How well and how fast innostudy.extract reads reports; quantulum3 beside it for the values.

Scores precision and recall of the extracted facts against gold facts, field by field, on

* the evaluation texts in tests/fixtures/extract/ (English and Chinese, invented figures), split
  as their README says: ``dev`` and ``heldout`` (the first set), ``tune`` (what the noun-phrase
  rules were tuned on) and ``heldout2`` (scored once, at the end); each also per language, on the
  rows with an indicator (known or proposed): (value, qualifier) and the full
  (entity, indicator, value, qualifier); and
* the five seed reports in ../shared/seeds/ (or $INNOSTUDY_SEEDS; when present) against their
  curated observations in data/observations.csv (the project's acceptance figure: >= 0.9 on
  entity, indicator, value and qualifier).

quantulum3 (a general quantity extractor, English only) runs on the same English texts for the
value field. Throughput is timed on about 1 MB of report text (the evaluation texts and seeds
repeated; nothing is cached between sentences or calls, so the repeats do not flatter it), as one
long document and as many short ones, in MB/s of wall-clock and of CPU time. Run from the
repository root:

    PYTHONPATH=src python benchmarks/extract_eval.py

EXTRACT_EVAL_SPLITS=tune (comma-separated) scores only those splits; EXTRACT_EVAL_MISSES=1 also
lists the gold facts missed and the rows no gold fact has.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import pandas as pd

from innostudy import clean
from innostudy.dataset import DATA_DIR
from innostudy.extract import FACT, extract, paragraphs, score, sentences

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "extract"
SEEDS = Path(os.environ.get("INNOSTUDY_SEEDS") or ROOT.parent / "shared" / "seeds")
FIELDS = {
    "value": ("value",),
    "value+qualifier": ("value", "qualifier"),
    "value+entity": ("value", "entity_id"),
    "value+indicator": ("value", "indicator_id"),
    "entity+indicator+value+qualifier": FACT,
    "... +as_of": (*FACT, "as_of"),
}


def fixture_corpus(split: str) -> tuple[list[dict], pd.DataFrame]:
    texts = pd.read_csv(FIXTURES / "texts.csv", dtype=str).query("split == @split")
    gold = pd.read_csv(FIXTURES / "gold.csv", dtype={"as_of": str})
    docs = [
        {"doc": row.file, "text": (FIXTURES / row.file).read_text(encoding="utf-8"),
         "published": row.published, "lang": row.lang}
        for row in texts.itertuples()
    ]  # fmt: skip
    return docs, gold[gold["file"].isin(texts["file"])].rename(columns={"file": "doc"})


def seed_corpus() -> tuple[list[dict], pd.DataFrame]:
    """The seed files, matched to their source rows by publisher and publication date."""
    seeds = pd.read_csv(SEEDS / "SOURCES.csv", dtype=str)
    sources = pd.read_csv(DATA_DIR / "sources.csv", dtype=str)
    seeds = seeds.merge(sources[["source_id", "publisher", "published"]], how="left")
    if seeds["source_id"].isna().any() or len(seeds) != 5:
        raise SystemExit(f"cannot match every seed file to one source:\n{seeds}")
    obs = pd.read_csv(DATA_DIR / "observations.csv", dtype={"as_of": str})
    gold = obs.merge(seeds[["source_id", "file"]]).rename(columns={"file": "doc"})
    docs = [
        {"doc": row.file, "text": (SEEDS / row.file).read_text(encoding="utf-8"),
         "published": row.published, "lang": "en"}
        for row in seeds.itertuples()
    ]  # fmt: skip
    return docs, gold


def run_ours(docs: list[dict]) -> pd.DataFrame:
    frames = [
        extract(d["text"], published=d["published"], lang=d["lang"]).assign(doc=d["doc"])
        for d in docs
    ]
    return pd.concat(frames, ignore_index=True)


def run_quantulum(docs: list[dict]) -> pd.DataFrame:
    from quantulum3 import parser

    rows = [
        {"doc": d["doc"], "value": q.value}
        for d in docs
        if d["lang"] == "en"
        for q in parser.parse(d["text"])
    ]
    return pd.DataFrame(rows, columns=["doc", "value"])


def report(name: str, docs: list[dict], gold: pd.DataFrame) -> None:
    found = run_ours(docs)
    print(f"\n{name}: {len(docs)} texts, {len(gold)} gold facts, {len(found)} candidate rows")
    print(f"  {'field':34} {'precision':>9} {'recall':>7}  matched/found/gold")
    for field, keys in FIELDS.items():
        s = score(found, gold, on=keys, by="doc")
        print(f"  {field:34} {s.precision:9.3f} {s.recall:7.3f}  {s.matched}/{s.found}/{s.gold}")
    with_indicator = found[found["indicator_id"].notna()]
    proposed = (found["indicator_status"] == "proposed").sum()
    print(f"  per language (rows with an indicator, known or proposed; {proposed} proposed):")
    for lang in ("en", "zh"):
        names = {d["doc"] for d in docs if d["lang"] == lang}
        if not names:
            continue
        mine, theirs = (
            with_indicator[with_indicator["doc"].isin(names)],
            gold[gold["doc"].isin(names)],
        )
        for field, keys in (
            ("value+qualifier", ("value", "qualifier")),
            ("entity+indicator+value+qualifier", FACT),
        ):
            s = score(mine, theirs, on=keys, by="doc")
            print(
                f"    {lang} {field:31} {s.precision:9.3f} {s.recall:7.3f}  {s.matched}/{s.found}/{s.gold}"
            )
    english = [d for d in docs if d["lang"] == "en"]
    if english:
        names = {d["doc"] for d in english}
        ours = score(
            found[found["doc"].isin(names)], gold[gold["doc"].isin(names)], ("value",), "doc"
        )
        peer = score(run_quantulum(english), gold[gold["doc"].isin(names)], ("value",), "doc")
        for label, s in (("innostudy", ours), ("quantulum3", peer)):
            print(
                f"  value, English texts, {label:10} {s.precision:9.3f} {s.recall:7.3f}  "
                f"{s.matched}/{s.found}/{s.gold}"
            )
    if os.environ.get("EXTRACT_EVAL_MISSES"):
        misses(found, gold)


def misses(found: pd.DataFrame, gold: pd.DataFrame) -> None:
    """Gold facts not found and rows found that no gold fact has (for tuning; not printed by
    default)."""
    keys = ["doc", *FACT]
    f = found[keys + ["indicator_status", "locator"]].copy()
    g = gold[keys].copy()
    for frame in (f, g):
        frame["value"] = frame["value"].astype(float).round(6)
    both = f.merge(g, on=keys, how="outer", indicator=True)
    print(both[both["_merge"] != "both"].sort_values(["doc", "value"]).to_string())


def timed(work, repeat: int = 3) -> tuple[float, float]:
    """The best wall-clock and CPU seconds of ``repeat`` calls (the CPU time is the fairer figure
    on a shared machine; the best of a few calls is the least disturbed one)."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def throughput(docs: list[dict]) -> None:
    from quantulum3 import parser

    unit = "\n\n".join(d["text"] for d in docs)
    times = -(-1_000_000 // len(unit.encode()))
    long_text = "\n\n".join([unit] * times)
    size = len(long_text.encode()) / 1e6
    extract(docs[0]["text"])  # read the lexicon and names once, as any session does
    one = timed(lambda: extract(long_text, published="2024-01-01", lang="en"))
    many = timed(
        lambda: [
            extract(d["text"], published=d["published"], lang=d["lang"])
            for _ in range(times)
            for d in docs
        ]
    )
    pieces = [long_text[a:b] for p in paragraphs(long_text) for a, b in sentences(long_text, *p)]
    pieces = [p for p in pieces if any(c.isdigit() for c in p)]
    finders = timed(lambda: [clean.find_figures(p, reference="2024-01-01") for p in pieces])
    english = "\n\n".join(d["text"] for d in docs if d["lang"] == "en")
    peer = timed(lambda: parser.parse(english), repeat=1)
    peer_rate = len(english.encode()) / 1e6 / peer[1]
    count = times * len(docs)
    print(
        f"\nthroughput (budget: 1 MB of report text per second) on {size:.2f} MB of text: "
        f"{times} copies of the {len(docs)} texts; best of 3 runs"
    )
    print(f"  {'':42} {'MB/s wall':>9} {'MB/s CPU':>9} {'s CPU':>6}")
    for label, (wall, cpu) in (
        (f"innostudy, one document of {size:.2f} MB", one),
        (f"innostudy, {count} documents of {size * 1e3 / count:.1f} kB", many),
    ):
        print(f"  {label:42} {size / wall:9.2f} {size / cpu:9.2f} {cpu:6.2f}")
    print(
        f"  of the one document's {one[1]:.2f} s CPU, clean.find_figures on its sentences with "
        f"digits takes {finders[1]:.2f} s ({finders[1] / one[1]:.0%})"
    )
    print(
        f"  quantulum3 on the English part ({len(english.encode()) / 1e3:.0f} kB, once): "
        f"{peer_rate:.3f} MB/s CPU; innostudy / quantulum3 = {size / one[1] / peer_rate:.0f}x"
    )


def main() -> None:
    warnings.filterwarnings("ignore", module="quantulum3")
    splits = os.environ.get("EXTRACT_EVAL_SPLITS", "dev,heldout,tune,heldout2").split(",")
    corpora = {f"fixtures, {split}": fixture_corpus(split) for split in splits}
    if SEEDS.is_dir():
        corpora["seed reports"] = seed_corpus()
    else:
        print(f"(no seed reports at {SEEDS}; scoring the fixtures only)")
    for name, (docs, gold) in corpora.items():
        report(name, docs, gold)
    throughput([d for docs, _ in corpora.values() for d in docs])


if __name__ == "__main__":
    main()
