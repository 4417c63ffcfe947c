"""Draft candidate observations from report text, English or Chinese, for a researcher to review.

A report is read paragraph by paragraph and sentence by sentence (those without a digit or a number
word are passed over); :func:`innostudy.clean.find_figures` finds a sentence's figures (counts,
money, percentages, ranks), dates and periods in one reading; each figure then gets

* an **indicator** from the phrase lexicon ``data/lexicon.csv`` (see :func:`load_lexicon`), chosen
  by the most specific phrase around the figure whose indicator fits the figure (a rank, an amount of
  CNY or USD, a percentage or a count);
* an **entity** from the names and aliases in ``data/entities.csv`` and of every province- and
  prefecture-level division (:mod:`innostudy.entities`): the first place named before
  the figure in its sentence, else the first one named after it in its clause, else the place the
  text is about (the one it names most often). Indicators that belong to a programme, an
  organisation or a ranking (the lexicon's ``entity_kind``) take the nearest name of that kind;
  a figure inside a name ("Three-Year Action Plan", "top 100 ... cities") belongs to that name;
* an **as-of date**: the first date or year of its sentence, "last year" / 去年 counted from the
  publication date, else the publication date itself ("so far", "currently"); a range of years in
  the sentence ("2023-25", "(2021-23)") gives ``period_start`` and ``period_end``.

Years, dates, periods and ordinal names ("10th Congress", "14th Five-Year Plan") are no facts of
their own. A rank gives two rows: its position and, when stated, the field size
(``<indicator>_field_size``). Nothing of the text is copied: ``start``/``end`` and
``sentence_start``/``sentence_end`` are character offsets into the text the caller holds, and
``locator`` is the paragraph ("p3": the 3rd block separated by blank lines, headline included).

>>> text = "Jiaxing news\\n\\nSo far, Jiaxing has helped 320 experts to join the platform."
>>> found = extract(text, published="2024-03-01")
>>> found[["entity_id", "indicator_id", "value", "qualifier", "as_of", "locator"]]
  entity_id             indicator_id  value qualifier       as_of locator
0   jiaxing  platform_experts_joined  320.0     exact  2024-03-01      p2
>>> text[found.at[0, "start"] : found.at[0, "end"]]
'320'

The review round trip: ``innostudy extract report.txt -o candidates.csv`` writes
:func:`candidates` (one row per figure, with a ``decision`` column to fill with ``accept`` or
``reject``) and a companion ``candidates.sources.csv`` with the draft source row;
``innostudy extract --accept candidates.csv`` (:func:`accept`) appends the accepted rows to
``observations.csv`` and the new source to ``sources.csv`` once the would-be data folder
validates as a whole, and writes nothing otherwise.
"""

from __future__ import annotations

import bisect
import csv
import io
import math
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from innostudy import clean, files
from innostudy.dataset import COLUMNS as TABLE_COLUMNS
from innostudy.dataset import DATA_DIR, ENTITY_KINDS, LANGUAGES, Problem, ValidationError

COLUMNS = (
    "entity_id", "entity_text", "indicator_id", "value", "unit", "currency", "qualifier", "low",
    "high", "as_of", "period_start", "period_end", "start", "end", "sentence_start",
    "sentence_end", "locator", "source_id", "confidence",
)  # fmt: skip
LEXICON_COLUMNS = ("indicator_id", "lang", "phrase", "entity_kind")
PLACE_KINDS = (
    "city", "prefecture", "national_new_area", "science_city", "high_tech_zone", "province",
)  # fmt: skip
REVIEW_COLUMNS = ("entity_text", "currency", "confidence", "file", "start", "end")
CANDIDATE_COLUMNS = ("decision", *TABLE_COLUMNS["observations"], *REVIEW_COLUMNS)
DECISIONS = ("accept", "reject")
# The largest report read (8 MiB, some 2.8 million Chinese characters, a few books): text of
# nothing but short numeric lines is read at about 0.1 MB/s, so this bounds a draft to ~90 s.
MAX_TEXT_BYTES = 8 * 2**20
_NUMBER_COLUMNS = {
    "value": float, "low": float, "high": float, "confidence": float, "start": int, "end": int,
    "sentence_start": int, "sentence_end": int,
}  # fmt: skip


def extract(
    text: str,
    *,
    source_id: str | None = None,
    published: str | date | None = None,
    entity: str | None = None,
    lang: str | None = None,
    data: str | Path | None = None,
) -> pd.DataFrame:
    """Candidate observations in ``text``, one row per figure (a rank gives two).

    ``published`` (ISO date, possibly partial) anchors "so far", "last year" and "Jan 30";
    ``entity`` (an entity id) replaces the place the text is about as the default entity;
    ``lang`` is "en" or "zh" (detected when None); ``data`` is the folder with the lexicon,
    entities and codebook (the repository's ``data/`` by default). Columns: see ``COLUMNS``.
    """
    if len(text) > MAX_TEXT_BYTES:
        raise ValueError(
            f"{len(text):,} characters, more than the limit of {MAX_TEXT_BYTES:,}; split the text"
        )
    kit = _kit(Path(data) if data is not None else DATA_DIR)
    if entity is not None and entity not in kit.names.kinds:
        raise ValueError(f"unknown entity {entity!r}: not in {kit.folder / 'entities.csv'}")
    lang = lang or detect_language(text)
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    return _Reader(text, kit, lang, _Anchor.of(published), entity, source_id).frame()


def detect_language(text: str) -> str:
    """The language of a text: "zh" when Chinese characters outweigh Latin letters, else "en".

    >>> detect_language("累计入驻专家4984名"), detect_language("4,984 experts joined")
    ('zh', 'en')
    """
    cjk = len(_CJK.findall(text))
    return "zh" if cjk * 3 > len(_LATIN.findall(text)) else "en"


# --- text structure -----------------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_BLANK_LINES = re.compile(r"\n(?:[ \t\r\u00a0\u3000]*\n)+")
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$|[\u3400-\u9fff])|[。！？]+[”’」』）)]*|\n")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof no nos st co ltd inc jr sr vs approx fig dept gov jan feb mar apr jun jul "
    "aug sep sept oct nov dec e.g i.e u.s".split()
)
_CLAUSE_END = re.compile(r"[,;:](?=\s)|[，；：、]|\s[–—-]{1,2}\s|\n")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of every paragraph: blocks separated by blank lines, empty ones not counted.

    >>> text = "Headline\\n\\nUpdated: 2024-01-12\\n \\nFirst paragraph."
    >>> [text[a:b] for a, b in paragraphs(text)]
    ['Headline', 'Updated: 2024-01-12', 'First paragraph.']
    """
    spans, start = [], 0
    for gap in [*_BLANK_LINES.finditer(text), None]:
        end = gap.start() if gap else len(text)
        span = _trim(text, start, end)
        if span[0] < span[1]:
            spans.append(span)
        start = gap.end() if gap else end
    return spans


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of every sentence of ``text[start:end]``, English or Chinese.

    A sentence ends at . ! ? (not after an abbreviation or an initial), at 。！？, and at a line
    break unless the next line goes on in lower case.

    >>> text = "Mr. Li spoke. Guiyang ranked 23rd.贵阳排名第23位。下一句"
    >>> [text[a:b] for a, b in sentences(text)]
    ['Mr. Li spoke.', 'Guiyang ranked 23rd.', '贵阳排名第23位。', '下一句']
    """
    end = len(text) if end is None else end
    spans, begin = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        if m.group() == "\n":
            after = text[m.end() : end].lstrip()
            if after[:1].islower() and after[:1].isascii():
                continue
        elif m.group()[0] == "." and _abbreviation(text, begin, m.start()):
            continue
        span = _trim(text, begin, m.end())
        if span[0] < span[1]:
            spans.append(span)
        begin = m.end()
    span = _trim(text, begin, end)
    if span[0] < span[1]:
        spans.append(span)
    return spans


def _abbreviation(text: str, begin: int, dot: int) -> bool:
    word = re.search(r"[A-Za-z.]+$", text[max(begin, dot - 8) : dot])
    if not word:
        return False
    token = word.group().strip(".")
    return token.lower() in _ABBREVIATIONS or (len(token) == 1 and token.isupper())


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# --- the lexicon --------------------------------------------------------------------------------


def load_lexicon(
    path: str | Path | None = None, indicators: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Read and check the indicator lexicon (``data/lexicon.csv``).

    One row per phrase: ``indicator_id`` (from the codebook), ``lang`` (en, zh), ``phrase`` and
    ``entity_kind``. A phrase's words must all stand in the figure's clause, in order, other words
    may come between; ``#`` marks the figure itself: "released # achievements" needs "released"
    before the figure and "achievements" after it. English words are matched in lower case, with
    or without a plural -s/-es/-ies, British and American spellings alike; Chinese phrase parts
    (separated by spaces) are matched as written. ``entity_kind`` (``|``-separated kinds) says
    what the indicator's figures belong to when that is not a place: a programme, organisation or
    ranking; the rows of one indicator must agree. Every problem raises one
    :class:`~innostudy.dataset.ValidationError` naming the line.

    >>> lexicon = load_lexicon()
    >>> lexicon.query("indicator_id == 'platform_experts_joined' and lang == 'zh'").iloc[0]["phrase"]
    '入驻 专家 #'
    """
    path = Path(path) if path is not None else DATA_DIR / "lexicon.csv"
    if indicators is None:
        indicators = _read_text(path.parent / "indicators.csv", inside=path.parent)
    known = set(indicators["indicator_id"])
    lexicon = _read_text(path, inside=path.parent)  # indexed by physical line
    name, problems = path.name, []
    missing = [c for c in LEXICON_COLUMNS if c not in lexicon.columns]
    if missing:
        raise ValidationError([Problem(name, 1, c, "missing column") for c in missing])
    kinds_of: dict[str, tuple[int, str]] = {}
    for line, row in lexicon.iterrows():
        if row["indicator_id"] not in known:
            problems.append(
                Problem(name, line, "indicator_id", f"unknown indicator {row['indicator_id']!r}")
            )
        if row["lang"] not in LANGUAGES:
            problems.append(Problem(name, line, "lang", f"not a language: {row['lang']!r}"))
        parts = row["phrase"].split()
        if not [p for p in parts if p != "#"] or parts.count("#") > 1:
            problems.append(
                Problem(name, line, "phrase", "needs at least one word and at most one '#'")
            )
        kinds = row["entity_kind"].strip()
        unknown = [k for k in kinds.split("|") if kinds and k not in ENTITY_KINDS]
        if unknown:
            problems.append(Problem(name, line, "entity_kind", f"unknown kind(s) {unknown}"))
        if kinds:
            first = kinds_of.setdefault(row["indicator_id"], (line, kinds))
            if first[1] != kinds:
                problems.append(
                    Problem(
                        name,
                        line,
                        "entity_kind",
                        f"{kinds!r} differs from {first[1]!r} on line {first[0]}",
                    )  # fmt: skip
                )
    duplicated = lexicon.duplicated(["indicator_id", "lang", "phrase"])
    problems += [
        Problem(name, line, "phrase", "duplicate phrase") for line in lexicon.index[duplicated]
    ]
    if problems:
        raise ValidationError(problems)
    return lexicon[list(LEXICON_COLUMNS)]


_SPELLING = [("isation", "ization"), ("centre", "center"), ("programme", "program")]
_WORD_RE = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    text = text.lower()
    for british, american in _SPELLING:
        text = text.replace(british, american)
    return _WORD_RE.findall(text)


def _forms(word: str) -> frozenset[str]:
    """The written forms a lexicon word matches: itself and its plurals."""
    forms = {word, word + "s", word + "es"}
    if word.endswith("y"):
        forms.add(word[:-1] + "ies")
    return frozenset(forms)


class _Phrase(NamedTuple):
    indicator_id: str
    before: tuple  # parts before '#': frozensets of word forms (en) or strings (zh)
    after: tuple  # parts after '#' (all parts when the phrase has no '#')
    anchored: bool
    weight: int  # letters in its words (a Chinese character counts 2): the more, the more specific
    key: str  # the longest part, to find the phrases a window may hold


def _compile(indicator_id: str, lang: str, phrase: str) -> _Phrase:
    if lang == "en":
        parts = ["#" if p == "#" else " ".join(_words(p)) for p in phrase.split()]
        parts = [p for p in parts if p]
        words = [w for p in parts if p != "#" for w in p.split()]
        weight = sum(map(len, words))
        key = max(words, key=len)

        def convert(ps):
            return tuple(_forms(w) for p in ps for w in p.split())
    else:
        parts = phrase.split()
        words = [p for p in parts if p != "#"]
        weight = 2 * sum(map(len, words))
        key = max(words, key=len)

        def convert(ps):
            return tuple(ps)

    if "#" in parts:
        cut = parts.index("#")
        return _Phrase(
            indicator_id, convert(parts[:cut]), convert(parts[cut + 1 :]), True, weight, key
        )
    return _Phrase(indicator_id, (), convert(parts), False, weight, key)


# --- resources (lexicon, names, codebook), read once per data folder ------------------------------


@dataclass
class _Kit:
    """What extraction needs from a data folder, compiled."""

    folder: Path
    units: dict[str, str]  # indicator -> codebook unit
    entity_kinds: dict[str, tuple[str, ...]]  # indicator -> kinds its figures belong to
    phrases: dict[str, list[_Phrase]]  # lang -> phrases
    index: dict[str, list[_Phrase]]  # English word form -> phrases keyed by it
    names: _Names


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
    return _Kit(folder, units, entity_kinds, phrases, index, _Names(ds.entities))


class _Names:
    """Every name the gazetteer knows (data/entities.csv and the divisions of China), found in
    running text; :func:`innostudy.entities.resolve` says what each means (one entity, or several
    when the name is ambiguous). English names are matched word by word, in any case except that a
    capitalised name must be capitalised in the text ("Guiyang", not the "guiyang" of an address)
    and an acronym must be written as it is; a plural or possessive ending is allowed."""

    def __init__(self, entities: pd.DataFrame):
        from innostudy.entities import GAZETTEER_CSV, Gazetteer

        gazetteer = Gazetteer(entities)
        self.kinds = dict(zip(gazetteer.table["entity_id"], gazetteer.table["kind"], strict=True))
        divisions = pd.read_csv(GAZETTEER_CSV, dtype=str, keep_default_na=False)
        variants: dict[str, set[str]] = {}
        for frame in (entities.fillna(""), divisions):
            for row in frame.itertuples():
                for name in (row.name_en, row.name_zh, *row.aliases.split("|")):
                    if name.strip():
                        variants.setdefault(name.strip(), set()).add(name.strip())
                        bare = re.sub(r"\s*\([^)]*\)$", "", name).strip()  # "... (2023 list)"
                        variants.setdefault(bare, set()).add(name.strip())
        self.first: dict[str, list] = {}
        self.chinese: dict[str, tuple[str, ...]] = {}
        for variant, originals in variants.items():
            ids = set()
            for name in originals:
                match = gazetteer.resolve(name)
                ids |= {match.entity_id} if match.entity_id else set(match.candidates or ())
            if not ids:
                continue
            if _CJK.search(variant):
                self.chinese[variant] = tuple(sorted(ids))
                continue
            words = tuple(_NAME_WORD.findall(variant.lower().replace("’", "'")))
            if words:
                entry = (words[:-1], _forms(words[-1]), tuple(sorted(ids)), variant.isupper(),
                         variant[0].isupper())  # fmt: skip
                self.first.setdefault(words[0], []).append(entry)
        for entries in self.first.values():
            entries.sort(key=lambda e: -len(e[0]))  # the longest name first
        ordered = sorted(self.chinese, key=len, reverse=True)
        self.chinese_re = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def find(self, text: str) -> list[_Mention]:
        """Every name in ``text``, the longest where names overlap, in order."""
        found = []
        if self.chinese_re is not None and _CJK.search(text):
            for m in self.chinese_re.finditer(text):
                ids = self.chinese[m.group()]
                found.append(_Mention(m.start(), m.end(), ids, self.kinds[ids[0]], m.group()))
        folded = text.lower().replace("’", "'")
        if len(folded) != len(text):  # a letter whose lower case is longer: fold word by word
            folded = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        spans = [m.span() for m in _NAME_WORD.finditer(folded)]
        words = [folded[a:b] for a, b in spans]
        first = self.first
        skip_to = 0
        for i in [i for i, w in enumerate(words) if w in first]:
            if i < skip_to:
                continue
            for head, last, ids, acronym, capital in first[words[i]]:
                end = i + len(head) + 1
                if end > len(words) or words[end - 1] not in last:
                    continue
                if head and tuple(words[i : end - 1]) != head:
                    continue
                start, stop = spans[i][0], spans[end - 1][1]
                written = text[start:stop]
                if (acronym and written != written.upper()) or (capital and written[0].islower()):
                    continue
                if any(not _GLUE.fullmatch(text, spans[k][1], spans[k + 1][0])
                       for k in range(i, end - 1)):  # fmt: skip
                    continue
                found.append(_Mention(start, stop, ids, self.kinds[ids[0]], written))
                skip_to = end
                break
        found.sort()
        kept, end = [], -1
        for m in found:  # the longest name wins where two overlap
            if m.start >= end:
                kept.append(m)
                end = m.end
            elif m.start == kept[-1].start and m.end > kept[-1].end:
                kept[-1], end = m, m.end
        return kept


_NAME_WORD = re.compile(r"[a-z0-9\u00c0-\u024f]+(?:'(?!s\b)[a-z\u00c0-\u024f]+)*")  # folded text
_GLUE = re.compile(r"[\s\-&]{1,5}")


# --- reading one text -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Anchor:
    """The publication date: ISO text for as_of, and a date for resolving "Jan 30"."""

    iso: str | None
    day: date | None

    @classmethod
    def of(cls, published) -> _Anchor:
        if published is None or (isinstance(published, float) and math.isnan(published)):
            return cls(None, None)
        if isinstance(published, date):
            return cls(published.isoformat()[:10], published)
        text = str(published).strip()
        if re.fullmatch(r"\d{4}(-\d{2})?", text):
            return cls(text, None)
        try:
            day = clean.parse_date(text)
        except clean.ParseError as err:
            raise ValueError(f"published: {err}") from None
        return cls(day.isoformat(), day)


class _Mention(NamedTuple):
    start: int
    end: int
    entity_ids: tuple[str, ...]  # more than one when the name is ambiguous
    kind: str
    text: str


@dataclass
class _Figure:
    start: int
    end: int
    kind: str  # count, money, percent or rank
    value: float
    qualifier: str
    low: float
    high: float
    unit: str | None = None
    currency: str | None = None
    field_size: int | None = None
    host: _Figure | None = None  # a stated conversion reads its host's context
    named: _Mention | None = None  # the name the figure stands in
    window: tuple[int, int] = (0, 0)
    sentence: tuple[int, int] = (0, 0)
    paragraph: int = 0


_RELATIVE_YEAR = re.compile(r"(?i)\b(last|this|previous) year\b|去年|上年|今年(?!以来)|本年|前年")
_YEAR_SHIFT = {"last": -1, "previous": -1, "this": 0, "去年": -1, "上年": -1, "今年": 0, "本年": 0,
               "前年": -2}  # fmt: skip
_CLOCK_TIME = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?![\d:])")
_PLAN_DURATION = re.compile(
    r"(?i)(?<![\w-])(?P<n>[a-z]+|\d{1,2})-year(?=[\s-]+(?:action\s+)?(?:plan|program))"
    r"|(?<![\d一二两三四五六七八九十])(?P<zh>[一二两三四五六七八九十]|\d{1,2})年(?=行动计划|行动方案|规划|计划)"
)


class _Reader:
    """One text read once: its paragraphs, sentences, names, figures and their readings."""

    def __init__(self, text, kit, lang, anchor, entity, source_id):
        self.text, self.kit, self.lang, self.anchor = text, kit, lang, anchor
        self.source_id = source_id
        self.mentions = kit.names.find(text)
        self.starts = [m.start for m in self.mentions]
        self._kinds_cache: dict[tuple, tuple] = {}
        self.default = self._default(entity)
        pieces, at = [], 0
        for m in self.mentions:
            if m.kind in PLACE_KINDS:
                pieces += [text[at : m.start], " " * (m.end - m.start)]
                at = m.end
        self.masked = "".join([*pieces, text[at:]])  # place names say nothing of the indicator
        self.last_rank_indicator: str | None = None

    # names

    def _default(self, entity: str | None) -> _Mention | None:
        """The place the text is about: the one it names most often (the first on a tie)."""
        if entity is not None:
            return _Mention(-1, -1, (entity,), self.kit.names.kinds[entity], None)
        places = [m for m in self.mentions if m.kind in PLACE_KINDS and len(m.entity_ids) == 1]
        if not places:
            return None
        counts = Counter(m.entity_ids for m in places)
        top = max(counts.values())
        return next(m for m in places if counts[m.entity_ids] == top)

    # figures

    def frame(self) -> pd.DataFrame:
        rows = []
        for number, (p_start, p_end) in enumerate(paragraphs(self.text), start=1):
            if not _has_number(self.text[p_start:p_end]):
                continue  # none of its sentences has a figure
            for s_start, s_end in sentences(self.text, p_start, p_end):
                rows += self._sentence(number, s_start, s_end)
        # built column by column (pandas reads the object columns as text): much faster for
        # a short text than a frame of rows and casts
        return pd.DataFrame(
            {
                c: np.array([row[c] for row in rows], dtype=_NUMBER_COLUMNS.get(c, object))
                for c in COLUMNS
            }
        )

    def _sentence(self, paragraph: int, start: int, end: int) -> list[dict]:
        piece = self.text[start:end]
        if not _has_number(piece):
            return []
        figures, dates, periods = self._figures(piece, start)
        if not figures:
            return []
        figures.sort(key=lambda f: (f.start, f.end))
        bounds = [(start + m.start(), start + m.end()) for m in _CLAUSE_END.finditer(piece)]
        for fig in figures:
            fig.sentence, fig.paragraph = (start, end), paragraph
            fig.window = _window(fig, figures, bounds, start, end)
        as_of, period = self._dating(piece, start, dates, periods)
        rows = []
        for fig in figures:
            rows += self._rows(fig, as_of, period)
        return rows

    def _figures(self, piece: str, offset: int) -> tuple[list[_Figure], list, list]:
        """Figures, dates and periods of one sentence, with offsets into the whole text."""
        figures: list[_Figure] = []
        found = clean.find_figures(piece, reference=self.anchor.day)
        clock = [m.span() for m in _CLOCK_TIME.finditer(piece)] if ":" in piece else []
        for q in found.quantities:
            if any(a < q.span[1] and q.span[0] < b for a, b in clock):
                continue  # "09:30" in a dateline is a time, not two figures
            fig = self._quantity(q, offset)
            figures.append(fig)
            if q.conversion is not None:
                conversion = self._quantity(q.conversion, offset)
                conversion.host = fig
                figures.append(conversion)
        for r in found.ranks:
            a, b = r.span[0] + offset, r.span[1] + offset
            figures.append(
                _Figure(a, b, "rank", float(r.position), r.qualifier, r.low, r.high,
                        unit="rank", field_size=r.field_size)
            )  # fmt: skip
        periods = [(p.start, p.end, p.span[0] + offset, p.span[1] + offset)
                   for p in found.periods]  # fmt: skip
        plans = _PLAN_DURATION.finditer(piece) if "年" in piece or "-year" in piece.lower() else ()
        for m in plans:
            a, b = m.span("n") if m["n"] else m.span("zh")
            if any(s <= a + offset < e for *_, s, e in periods):
                continue  # "14th Five-Year Plan" names a period
            try:
                value = clean.parse_quantity(piece[a:b]).value
            except clean.ParseError:
                continue
            figures.append(_Figure(a + offset, b + offset, "count", value, "exact", value, value))
        dates = [(d, s[0] + offset) for d, s in found.dates]
        for fig in figures:
            fig.named = self._name_around(fig)
            if fig.named is not None and fig.kind == "rank":  # "top 100" in a list's name
                fig.kind, fig.qualifier, fig.low, fig.high = "count", "exact", fig.value, fig.value
                fig.unit, fig.field_size = None, None
        return figures, dates, periods

    def _quantity(self, q: clean.Quantity, offset: int) -> _Figure:
        if q.currency:
            kind = "money"
        elif q.unit == "%":
            kind = "percent"
        else:
            kind = "count"
        return _Figure(
            q.span[0] + offset, q.span[1] + offset, kind, q.value, q.qualifier, q.low, q.high,
            unit=q.unit, currency=q.currency,
        )  # fmt: skip

    def _name_around(self, fig: _Figure) -> _Mention | None:
        """The name a figure stands in ("China Innovation Three-Year Action Plan"), if any."""
        i = bisect.bisect_right(self.starts, fig.start) - 1
        if i >= 0 and fig.end <= self.mentions[i].end:
            return self.mentions[i]
        return None

    def _dating(self, piece, offset, dates, periods) -> tuple[str | None, tuple]:
        explicit = [(s, d.isoformat()) for d, s in dates]
        explicit += [(s, str(a)) for a, b, s, _ in periods if a == b]
        ranges = [(a, b) for a, b, s, _ in sorted(periods, key=lambda p: p[2]) if a != b]
        period = (str(ranges[0][0]), str(ranges[0][1])) if ranges else (None, None)
        if explicit:
            return min(explicit)[1], period
        relative = _RELATIVE_YEAR.search(piece)
        if relative and self.anchor.iso:
            shift = _YEAR_SHIFT[(relative.group(1) or relative.group()).lower()]
            return str(int(self.anchor.iso[:4]) + shift), period
        return self.anchor.iso, period

    # readings

    def _rows(self, fig: _Figure, as_of, period) -> list[dict]:
        indicator, sure = self._indicator(fig)
        if indicator is None and (fig.named or (fig.kind == "count" and fig.unit is None)):
            return []  # a number in a name, or a bare one (page numbers): nothing it counts
        entity, entity_text, known = self._entity(fig, indicator)
        confidence = round(sure * known, 2)
        row = {
            "entity_id": entity, "entity_text": entity_text, "indicator_id": indicator,
            "value": fig.value, "unit": self._unit(fig, indicator), "currency": fig.currency,
            "qualifier": fig.qualifier, "low": fig.low, "high": fig.high, "as_of": as_of,
            "period_start": period[0], "period_end": period[1], "start": fig.start,
            "end": fig.end, "sentence_start": fig.sentence[0], "sentence_end": fig.sentence[1],
            "locator": f"p{fig.paragraph}", "source_id": self.source_id, "confidence": confidence,
        }  # fmt: skip
        rows = [row]
        if fig.kind == "rank" and fig.field_size is not None:
            size = f"{indicator}_field_size" if indicator else None
            size = size if size in self.kit.units else None
            value = float(fig.field_size)
            rows.append(
                row | {"indicator_id": size, "value": value, "unit": self._unit(fig, size, "units"),
                       "qualifier": "exact", "low": value, "high": value}
            )  # fmt: skip
        return rows

    def _unit(self, fig: _Figure, indicator: str | None, fallback: str | None = None) -> str:
        if indicator is not None:
            return self.kit.units[indicator]
        if fallback:
            return fallback
        return {"money": fig.currency, "percent": "percent"}.get(fig.kind, fig.unit)

    def _indicator(self, fig: _Figure) -> tuple[str | None, float]:
        """The indicator of the best phrase around the figure that fits its kind, and how sure
        that is (1 for a phrase anchored at the figure, 0.3 for none or a tie). A rank none names
        is taken to be of the ranking the text named last."""
        host = fig.host or fig
        lo, hi = host.window
        if fig.kind == "rank" or fig.named is not None:  # the span holds words too
            best = self._best(fig, "", self.masked[lo:hi], anywhere=True)
        else:
            best = self._best(fig, self.masked[lo : host.start], self.masked[host.end : hi])
        if best is None and fig.kind == "percent":  # "..., up 18%": the noun is further back
            best = self._best(fig, self.masked[fig.sentence[0] : host.start], "")
            if best is not None:
                return best.indicator_id, 0.6
        if fig.kind == "rank":
            if best is not None:
                self.last_rank_indicator = best.indicator_id
                return best.indicator_id, 0.9
            return self.last_rank_indicator, 0.6 if self.last_rank_indicator else 0.3
        if best is None:
            return None, 0.3
        return best.indicator_id, 1.0 if best.anchored else 0.8

    def _best(self, fig: _Figure, before: str, after: str, anywhere=False) -> _Phrase | None:
        """The best-scoring phrase that fits the figure; None when none does or two tie."""
        best, tied = None, False
        for phrase, score in self._matches(before, after, anywhere):
            if not self._fits(fig, phrase.indicator_id):
                continue
            if best is None or score > best[1]:
                best, tied = (phrase, score), False
            elif score == best[1] and phrase.indicator_id != best[0].indicator_id:
                tied = True
        return None if best is None or tied else best[0]

    def _fits(self, fig: _Figure, indicator: str) -> bool:
        unit = self.kit.units[indicator]
        if fig.kind == "rank":
            return unit == "rank"
        if fig.kind == "money":
            return unit == fig.currency
        if fig.kind == "percent":
            return unit == "percent"
        if fig.named is not None:
            return fig.named.kind in self.kit.entity_kinds[indicator] and unit != "rank"
        return unit not in ("rank", "percent", "CNY", "USD")

    def _matches(self, before: str, after: str, anywhere: bool):
        """(phrase, score) for every lexicon phrase found around a figure. The longer phrase
        wins, less what it skips between its words; skipping a preposition costs most, so
        "eight technology roadshows for projects" counts roadshows, not technology projects."""
        if self.lang == "en":
            words_before, words_after = _words(before), _words(after)
            seen = set(words_before) | set(words_after)
            candidates = {id(p): p for w in seen for p in self.kit.index.get(w, ())}.values()
            find = _find_words
        else:
            words_before, words_after = before, after
            candidates = [p for p in self.kit.phrases["zh"] if p.key in before or p.key in after]
            find = _find_text
        for phrase in candidates:
            if phrase.anchored and not anywhere:
                cost_before = find(phrase.before, words_before, from_end=True)
                cost_after = find(phrase.after, words_after)
                if cost_before is None or cost_after is None:
                    continue
                yield phrase, (phrase.weight - cost_before - cost_after, 1)
            else:
                parts = phrase.before + phrase.after
                cost = find(parts, words_after)
                if cost is None:
                    cost = find(parts, words_before)
                if cost is not None:
                    yield phrase, (phrase.weight - cost, 0)

    def _entity(self, fig: _Figure, indicator: str | None) -> tuple[str | None, str | None, float]:
        """(entity id, the name it was read from, how sure): the name the figure stands in, the
        first fitting name before it in its sentence, else after it in its clause, else (for a
        programme, organisation or ranking) the nearest one before, else the text's place."""
        kinds = self.kit.entity_kinds.get(indicator, PLACE_KINDS)
        if fig.named is not None:
            return (*_resolved(fig.named), 1.0)
        host = fig.host or fig
        first = bisect.bisect_left(self.starts, fig.sentence[0])
        last = bisect.bisect_left(self.starts, fig.sentence[1])
        fitting = [
            m for m in self.mentions[first:last]
            if m.kind in kinds and not (m.start <= host.start < m.end)
        ]  # fmt: skip
        before = [m for m in fitting if m.end <= host.start]
        after = [m for m in fitting if host.end <= m.start < host.window[1]]
        if before or after:
            return (*_resolved((before or after)[0]), 1.0)
        if kinds != PLACE_KINDS:
            starts, mentions = self._of_kinds(kinds)
            i = bisect.bisect_left(starts, host.start) - 1
            while i >= 0 and mentions[i].end > host.start:
                i -= 1
            if i >= 0:
                return (*_resolved(mentions[i]), 0.8)
        if self.default is not None and self.default.kind in kinds:
            return (*_resolved(self.default), 0.7)
        return None, None, 0.3

    def _of_kinds(self, kinds: tuple[str, ...]) -> tuple[list[int], list[_Mention]]:
        if kinds not in self._kinds_cache:
            mentions = [m for m in self.mentions if m.kind in kinds]
            self._kinds_cache[kinds] = ([m.start for m in mentions], mentions)
        return self._kinds_cache[kinds]


_DIGIT = re.compile(r"[0-9０-９〇零一二两三四五六七八九十百千万亿]")
_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred first second third top".split()
)


def _has_number(piece: str) -> bool:
    """Whether a stretch of text holds a digit, a Chinese numeral or an English number word."""
    return _DIGIT.search(piece) is not None or not _NUMBER_WORDS.isdisjoint(
        _WORD_RE.findall(piece.lower())
    )


def _resolved(mention: _Mention) -> tuple[str | None, str | None]:
    ids = mention.entity_ids
    return (ids[0] if len(ids) == 1 else None), mention.text


def _window(fig: _Figure, figures: list[_Figure], bounds: list, start: int, end: int) -> tuple:
    """The stretch of text that speaks of a figure: its clause, cut at the neighbouring figures.
    A stated conversion reads the clause of the figure it converts."""
    host = fig.host or fig
    lo = max([start] + [b for a, b in bounds if b <= host.start])
    hi = min([end] + [a for a, b in bounds if a >= host.end])
    for other in figures:
        if other is fig or other is host or other.host is host or other.named is not None:
            continue  # a number inside a name ("top 100 ... cities") does not end a clause
        if other.end <= host.start:
            lo = max(lo, other.end)
        elif other.start >= host.end:
            hi = min(hi, other.start)
    return lo, hi


_PREPOSITIONS = frozenset(
    "for of in at from by with to on onto into as including such per about than".split()
)


def _find_words(parts, words, from_end: bool = False) -> int | None:
    """The cost of finding the parts (sets of word forms) in order among ``words``, nearest
    the figure first (from the end when they stand before it): 1 for each word skipped between
    two parts, 100 for a preposition skipped; None when they are not all there."""
    if from_end:
        parts, words = parts[::-1], words[::-1]
    cost, i, last = 0, 0, None
    for forms in parts:
        while i < len(words) and words[i] not in forms:
            i += 1
        if i == len(words):
            return None
        if last is not None:
            skipped = words[last + 1 : i]
            cost += len(skipped) + 99 * len(_PREPOSITIONS.intersection(skipped))
        last, i = i, i + 1
    return cost


def _find_text(parts, text, from_end: bool = False) -> int | None:
    """As :func:`_find_words` for Chinese parts (substrings): 1 for each character skipped
    between two parts."""
    cost, last_end = 0, None
    if from_end:
        pos = len(text)
        for part in reversed(parts):
            i = text.rfind(part, 0, pos)
            if i < 0:
                return None
            cost += 0 if last_end is None else pos - i - len(part)
            pos, last_end = i, i
        return cost
    pos = 0
    for part in parts:
        i = text.find(part, pos)
        if i < 0:
            return None
        cost += 0 if last_end is None else i - pos
        pos = last_end = i + len(part)
    return cost


# --- scoring ----------------------------------------------------------------------------------

FACT = ("entity_id", "indicator_id", "value", "qualifier")


class Score(NamedTuple):
    """Precision and recall of extracted facts against gold facts."""

    precision: float
    recall: float
    matched: int
    found: int
    gold: int


def score(found: pd.DataFrame, gold: pd.DataFrame, on=FACT, by: str | None = None) -> Score:
    """Precision and recall of the distinct ``on`` tuples of ``found`` against those of ``gold``,
    within each ``by`` group (a document) when given. A fact found twice counts once; values
    match to 9 significant digits.

    >>> gold = pd.DataFrame({"value": [23.0, 65.0], "qualifier": ["exact", "exact"]})
    >>> score(pd.DataFrame({"value": [23.0, 7.0], "qualifier": ["exact", "exact"]}), gold,
    ...       on=("value", "qualifier"))
    Score(precision=0.5, recall=0.5, matched=1, found=2, gold=2)
    """
    keys = [by, *on] if by else list(on)

    def facts(frame: pd.DataFrame) -> set:
        frame = frame[keys].copy()
        if "value" in frame:
            frame["value"] = [float(f"{float(v):.9g}") for v in frame["value"]]
        return set(frame.astype(object).where(frame.notna(), None).itertuples(index=False))

    f, g = facts(found), facts(gold)
    matched = len(f & g)
    return Score(
        matched / len(f) if f else math.nan, matched / len(g) if g else math.nan, matched,
        len(f), len(g),
    )  # fmt: skip


# --- the review round trip ----------------------------------------------------------------------


def candidates(found: pd.DataFrame, *, file: str | None = None) -> pd.DataFrame:
    """The review form of :func:`extract`'s rows, all text: ``decision`` (for the researcher to
    fill with accept or reject), the columns of observations.csv (``obs_id`` is left for
    :func:`accept` to number) and the review aids (``entity_text``, ``currency``,
    ``confidence``, the ``file`` and the figure's ``start`` and ``end`` offsets in it)."""
    review = pd.DataFrame(index=found.index)
    for column in CANDIDATE_COLUMNS:
        if column in found.columns:
            review[column] = [_cell(v) for v in found[column]]
        else:
            review[column] = ""
    review["file"] = file or ""
    return review.reset_index(drop=True)


class Draft(NamedTuple):
    """What ``innostudy extract FILE...`` writes: the candidates and the draft source rows."""

    candidates: pd.DataFrame
    sources: pd.DataFrame


def draft(
    paths: list[str | Path],
    *,
    published: list[str | None] | None = None,
    source_ids: list[str] | None = None,
    lang: str | None = None,
    data: str | Path | None = None,
) -> Draft:
    """Candidates and draft source rows for report files (UTF-8 text), one source per file.

    ``published`` gives one date for all files or one per file; ``source_ids`` one id per file
    (default: the file name as a slug, "000_5a3b.txt" -> "000_5a3b").
    """
    paths = [Path(p) for p in paths]
    texts = [files.read_text(p, limit=MAX_TEXT_BYTES) for p in paths]  # every file or none
    published = list(published or [None])
    if len(published) == 1:
        published *= len(paths)
    source_ids = list(source_ids or [_slug(p.stem) for p in paths])
    if len(published) != len(paths) or len(source_ids) != len(paths):
        raise ValueError(
            f"{len(paths)} file(s) need one --source-id each (got {len(source_ids)}) and one "
            f"--published for all or one each (got {len(published)})"
        )
    if len(set(source_ids)) != len(source_ids):
        raise ValueError(f"each file is its own source: repeated source ids in {source_ids}")
    found, sources = [], []
    for path, text, day, source_id in zip(paths, texts, published, source_ids, strict=True):
        language = lang or detect_language(text)
        rows = extract(text, source_id=source_id, published=day, lang=language, data=data)
        found.append(candidates(rows, file=path.name))
        sources.append(
            {"source_id": source_id, "title": _headline(text), "publisher": "", "url": "",
             "published": _Anchor.of(day).iso or "", "language": language, "kind": "",
             "note": f"drafted by innostudy extract from {path.name}"}
        )  # fmt: skip
    table = pd.concat(found, ignore_index=True) if found else candidates(pd.DataFrame())
    return Draft(table, pd.DataFrame(sources, columns=list(TABLE_COLUMNS["sources"])))


def write_draft(result: Draft, path: str | Path, *, keep: tuple = ()) -> Path:
    """Write the candidates to ``path`` and the source rows beside it (``<name>.sources.csv``,
    the companion :func:`accept` reads); return the companion's path.

    Never into a data folder (one holding observations.csv or sources.csv: the raw data are not
    overwritten by a draft), nor over a file of ``keep`` (the reports drafted from); each file is
    written whole or not at all, no temporary file left behind.
    """
    path = Path(path)
    companion = sources_path(path)
    for target in (path, companion):
        folder = target.resolve().parent
        if any((folder / f"{table}.csv").exists() for table in ("observations", "sources")):
            raise files.InputError(
                f"{target}: {folder} is a data folder; write the candidates elsewhere and "
                "append them with innostudy extract --accept"
            )
        if any(target.resolve() == Path(k).resolve() for k in keep):
            raise files.InputError(f"{target}: that is an input file; choose another name")
    for frame, target in ((result.candidates, path), (result.sources, companion)):
        files.write_whole(target, frame.to_csv(index=False, lineterminator="\n").encode())
    return companion


def sources_path(candidates_path: str | Path) -> Path:
    """The companion file holding the source rows of a candidates file."""
    path = Path(candidates_path)
    return path.with_name(f"{path.stem}.sources.csv")


class Accepted(NamedTuple):
    """The rows :func:`accept` appended to observations.csv and sources.csv, and the files an
    interrupted accept still had to replace (completed first)."""

    observations: pd.DataFrame
    sources: pd.DataFrame
    recovered: tuple[str, ...] = ()


def accept(path: str | Path, data: str | Path | None = None, *, wait: float = 30.0) -> Accepted:
    """Append the rows of a reviewed candidates file marked ``accept`` to the data folder.

    Every row needs a decision (accept or reject). Accepted rows become observations (blank
    ``obs_id`` numbered after the last one); the sources they cite that ``sources.csv`` lacks are
    taken from the companion ``<name>.sources.csv``. The would-be data folder is validated as a
    whole with :func:`~innostudy.dataset.load_dataset` on a temporary copy; any problem (an
    invalid or duplicate row, a source missing or at odds with the one on file) raises one
    :class:`~innostudy.dataset.ValidationError` naming the candidates line, and nothing is
    written. Otherwise both files are replaced all or none (:func:`innostudy.files.replace_files`).

    Accepts into one folder take turns: each holds the folder's lock (waiting up to ``wait``
    seconds for another, then :class:`~innostudy.files.FolderBusyError`) from reading the tables
    to replacing them, so two accepts never number the same obs ids or lose each other's rows.
    An accept interrupted earlier is completed first (:func:`innostudy.files.recover`).
    """
    path, folder = Path(path), Path(data) if data is not None else DATA_DIR
    review = _read_text(path)
    needed = ("decision", *TABLE_COLUMNS["observations"])
    missing = [Problem(path.name, 1, c, "missing column") for c in needed if c not in review]
    if missing:
        raise ValidationError(missing)
    decision = review["decision"].str.strip().str.lower()
    undecided = review.index[~decision.isin(DECISIONS)]
    if len(undecided):
        raise ValidationError(
            [Problem(path.name, line, "decision", f"{review.at[line, 'decision']!r}: "
                     "write accept or reject") for line in undecided]
        )  # fmt: skip
    chosen = review.loc[decision == "accept", list(TABLE_COLUMNS["observations"])].copy()
    if chosen.empty:
        raise ValueError(f"{path}: no row is marked accept; nothing to append")
    with files.folder_lock(folder, wait=wait):
        recovered = tuple(files.recover(folder))
        tables = {
            f"{name}.csv": files.read_bytes(
                folder / f"{name}.csv", limit=files.MAX_TABLE_BYTES, inside=folder
            )
            for name in TABLE_COLUMNS
        }
        old_obs = _read_text(folder / "observations.csv", tables["observations.csv"])
        old_sources = _read_text(folder / "sources.csv", tables["sources.csv"])
        _number(chosen, old_obs["obs_id"])
        new_sources, problems = _new_sources(chosen, old_sources, sources_path(path))
        if problems:
            raise ValidationError(problems)
        texts = {  # sources first: a folder stopped between the two still validates
            "sources.csv": _append(tables["sources.csv"], new_sources),
            "observations.csv": _append(tables["observations.csv"], chosen),
        }
        origins = {
            "observations.csv": (path.name, list(chosen.index)),
            "sources.csv": (sources_path(path).name, list(new_sources.index)),
        }
        _try(tables | texts, origins)
        files.replace_files(folder, {n: c for n, c in texts.items() if c != tables[n]})
    return Accepted(chosen.reset_index(drop=True), new_sources.reset_index(drop=True), recovered)


def recover(data: str | Path | None = None, *, wait: float = 30.0) -> list[str]:
    """Complete an accept into ``data`` that was interrupted; the files it replaced."""
    folder = Path(data) if data is not None else DATA_DIR
    with files.folder_lock(folder, wait=wait):
        return files.recover(folder)


def _try(contents: dict[str, bytes], origins: dict[str, tuple[str, list[int]]]) -> None:
    """Validate the would-be tables in a scratch folder; a ValidationError told on the lines of
    the files the new rows came from."""
    from innostudy.dataset import load_dataset

    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch)
        for name, content in contents.items():
            (trial / name).write_bytes(content)
        try:
            load_dataset(trial)
        except ValidationError as error:
            lines = {}
            for name, (origin, origin_lines) in origins.items():
                frame, _ = files.read_csv(trial / name)
                new = frame.index[len(frame) - len(origin_lines) :] if origin_lines else []
                lines[name] = (origin, dict(zip(new, origin_lines, strict=True)))
            raise ValidationError([_relocate(p, lines) for p in error.problems]) from None


def _read_text(
    path: Path, content: bytes | None = None, inside: Path | None = None
) -> pd.DataFrame:
    """A CSV as text, empty cells as "", indexed by physical line (the header is line 1); a
    record that cannot be read is a ValidationError naming its line."""
    frame, broken = files.read_csv(path, content=content, inside=inside)
    if broken:
        raise ValidationError([Problem(path.name, line, None, why) for line, why in broken])
    return frame.astype(object).fillna("")


def _number(chosen: pd.DataFrame, existing: pd.Series) -> None:
    """Give blank obs_ids the next numbers after the highest "obsNNNN" in use."""
    taken = pd.concat([existing, chosen["obs_id"]]).str.extract(r"^obs(\d+)$")[0].dropna()
    width = max([4, *taken.str.len()])
    start = max([0, *taken.astype(int)]) + 1
    blank = chosen.index[chosen["obs_id"].str.strip() == ""]
    chosen.loc[blank, "obs_id"] = [f"obs{n:0{width}d}" for n in range(start, start + len(blank))]


def _new_sources(
    chosen: pd.DataFrame, old: pd.DataFrame, companion: Path
) -> tuple[pd.DataFrame, list[Problem]]:
    """The companion's rows for sources the accepted facts cite that sources.csv lacks; a row
    for a source already on file must agree with it."""
    columns = list(TABLE_COLUMNS["sources"])
    drafts = _read_text(companion) if companion.exists() else pd.DataFrame(columns=columns)
    drafts = drafts.reindex(columns=columns, fill_value="")
    cited = set(chosen["source_id"])
    on_file = old.set_index("source_id")
    problems = []
    for line, row in drafts[drafts["source_id"].isin(cited & set(on_file.index))].iterrows():
        for column in columns[1:]:
            if row[column] != on_file.at[row["source_id"], column]:
                problems.append(
                    Problem(companion.name, line, column,
                            f"source {row['source_id']!r} is already in sources.csv with "
                            f"{column} {on_file.at[row['source_id'], column]!r}; make them agree "
                            "or delete this row")
                )  # fmt: skip
    new = drafts[drafts["source_id"].isin(cited - set(on_file.index))]
    return new, problems


def _append(content: bytes, rows: pd.DataFrame) -> bytes:
    """``content`` (a CSV file's bytes, kept as they are) with ``rows`` appended in its column
    order and line ending."""
    if rows.empty:
        return content
    text = content.decode("utf-8-sig")
    ending = "\r\n" if "\r\n" in text else "\n"
    header = next(csv.reader(io.StringIO(text)))
    buffer = io.StringIO()
    if text and not text.endswith("\n"):
        buffer.write(ending)
    csv.writer(buffer, lineterminator=ending).writerows(
        rows.reindex(columns=header, fill_value="").itertuples(index=False)
    )
    return content + buffer.getvalue().encode("utf-8")


def _relocate(problem: Problem, lines: dict) -> Problem:
    """A problem found in the would-be data folder, told on the line of the file it came from."""
    if problem.file not in lines or problem.line is None:
        return problem
    origin, moved = lines[problem.file]

    def where(line: int) -> tuple[str, int]:
        return (origin, moved[line]) if line in moved else (problem.file, line)

    reason = re.sub(
        r"same as line (\d+)", lambda m: "same as {} line {}".format(*where(int(m[1]))),
        problem.reason,
    )  # fmt: skip
    file, line = where(problem.line)
    return Problem(file, line, problem.column, reason)


def _cell(value) -> str:
    """A value as it is written in the data tables: whole numbers without ".0", "inf", ""."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "source"


def _headline(text: str) -> str:
    """The first line that reads like a title (not a breadcrumb, dateline or address)."""
    for start, end in paragraphs(text):
        for line in text[start:end].splitlines():
            line = line.strip()
            long_enough = len(line.split()) >= 4 or len(_CJK.findall(line)) >= 6
            if long_enough and not re.search(r"[>|©]|^(?:updated|home|source)\b", line, re.I):
                return line
    return ""
