"""What extraction needs from a data folder (codebook units, lexicon phrases, names), compiled
once per folder and again when one of its tables changes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from innostudy.dataset import LANGUAGES
from innostudy.extract.lexicon import _compile, _forms, _Phrase, load_lexicon
from innostudy.extract.names import _Names

PLACE_KINDS = (
    "city", "prefecture", "national_new_area", "science_city", "high_tech_zone", "province",
)  # fmt: skip


@dataclass
class _Kit:
    """What extraction needs from a data folder, compiled."""

    folder: Path
    units: dict[str, str]  # indicator -> codebook unit
    entity_kinds: dict[str, tuple[str, ...]]  # indicator -> kinds its figures belong to
    phrases: dict[str, list[_Phrase]]  # lang -> phrases
    index: dict[str, list[_Phrase]]  # English word form -> phrases keyed by it
    names: _Names
    heads: dict[tuple[str, str], list]  # (indicator, lang) -> the word forms (en) or parts (zh)


def _kit(folder: Path) -> _Kit:
    files = [folder / f"{n}.csv" for n in ("lexicon", "entities", "indicators", "observations")]
    stamps = tuple(f.stat().st_mtime_ns if f.exists() else None for f in files)
    return _build_kit(folder.resolve(), stamps)


@lru_cache(maxsize=4)
def _build_kit(folder: Path, stamps: tuple) -> _Kit:
    from innostudy.dataset import load_dataset

    ds = load_dataset(folder)
    lexicon = load_lexicon(folder / "lexicon.csv", ds.indicators)
    units = dict(zip(ds.indicators["indicator_id"], ds.indicators["unit"], strict=True))
    entity_kinds = {i: PLACE_KINDS for i in units}
    phrases: dict[str, list[_Phrase]] = {lang: [] for lang in LANGUAGES}
    index: dict[str, list[_Phrase]] = {}
    for row in lexicon.itertuples():
        if row.entity_kind.strip():
            entity_kinds[row.indicator_id] = tuple(row.entity_kind.strip().split("|"))
        phrase = _compile(row.indicator_id, row.lang, row.phrase)
        phrases[row.lang].append(phrase)
        if row.lang == "en":
            for form in _forms(phrase.key):
                index.setdefault(form, []).append(phrase)
    heads: dict[tuple[str, str], list] = {}
    for lang, compiled in phrases.items():
        for phrase in compiled:
            heads.setdefault((phrase.indicator_id, lang), []).extend(phrase.before + phrase.after)
    return _Kit(folder, units, entity_kinds, phrases, index, _Names(ds.entities), heads)
