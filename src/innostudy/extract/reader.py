"""Reading one text: its names, figures and, for each figure, indicator, entity and date."""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from innostudy import clean
from innostudy.dataset import DATA_DIR, LANGUAGES
from innostudy.extract import structure
from innostudy.extract.kit import PLACE_KINDS, _kit
from innostudy.extract.lexicon import (
    _find_text,
    _find_words,
    _Phrase,
    _words,
)  # fmt: skip
from innostudy.extract.names import _Mention, _resolved
from innostudy.extract.phrases import MEASURES, Proposal, noun_phrase, propose
from innostudy.extract.structure import (
    _CLAUSE_END,
    _has_number,
    detect_language,
    paragraphs,
    sentences,
)  # fmt: skip

COLUMNS = (
    "entity_id", "entity_text", "indicator_id", "value", "unit", "currency", "qualifier", "low",
    "high", "as_of", "period_start", "period_end", "start", "end", "sentence_start",
    "sentence_end", "locator", "source_id", "confidence", "indicator_status", "indicator_label",
    "indicator_group", "phrase",
)  # fmt: skip
ORGANISATION_KINDS = ("programme", "organisation")
# Words that govern a number which innostudy.clean does not read as qualifiers.
_GOVERNING = {"突破": "more_than", "不少于": "at_least", "不低于": "at_least", "不足": "less_than",
              "不到": "less_than"}  # fmt: skip
_CAPITAL_BEFORE = re.compile(r"\b[A-Z][a-z]+ $")
# Words that make a figure a plan or a requirement, not an outcome (unless its indicator is one).
_TARGET = re.compile(
    r"(?i)\b(?:plans?|planned|aims?|aiming|expected|expects?|targets?|will|shall|must|required)\b"
    r"|计划|力争|目标|预计|拟"
)
_NEW = re.compile(r"(?i)\b(?:added|adding|new)\s*$|新增|新建")
_TOTAL = re.compile(r"(?i)\btotal\s+(?:to|of|at)\s*$|总数(?:达到|达|为)?$")
_PLATFORM = re.compile(r"[\s\"'”’」』]*(?:平台|platform|service platform)", re.I)
_GROWTH_WORDS = frozenset("increase increases growth rise rises gain up year on year".split())
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
    if len(text) > structure.text_limit():
        raise ValueError(
            f"{len(text):,} characters, more than the limit of {structure.text_limit():,}; split the text"
        )
    kit = _kit(Path(data) if data is not None else DATA_DIR)
    if entity is not None and entity not in kit.names.kinds:
        raise ValueError(f"unknown entity {entity!r}: not in {kit.folder / 'entities.csv'}")
    lang = lang or detect_language(text)
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    return _Reader(text, kit, lang, _Anchor.of(published), entity, source_id).frame()


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
        """The place the text is about: the one it names most often (the first on a tie); in a
        text that names no place, the programme or organisation it names most often."""
        if entity is not None:
            return _Mention(-1, -1, (entity,), self.kit.names.kinds[entity], None)
        places = [m for m in self.mentions if m.kind in PLACE_KINDS and len(m.entity_ids) == 1]
        if not places:  # a text about a programme or an organisation
            places = [
                m for m in self.mentions if m.kind in ORGANISATION_KINDS and len(m.entity_ids) == 1
            ]
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
            self.paragraph_span = (p_start, p_end)
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
        rows, self.previous = [], None
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
            if fig.qualifier == "exact":
                _govern(fig, piece[: q.span[0]].rstrip())
            if fig.unit is None and self.lang == "zh" and piece.startswith(MEASURES, q.span[1]):
                fig.unit = next(m for m in MEASURES if piece.startswith(m, q.span[1]))
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
            if fig.named is None and self.lang == "en" and fig.kind == "count":
                fig.named = self._capital_name(fig, offset)
        return figures, dates, periods

    def _capital_name(self, fig: _Figure, sentence: int) -> _Mention | None:
        """A number that is part of a name ("Global 500", "Fortune 500"): a whole number right
        after a capitalised word that is neither the sentence's first nor a known name."""
        word = _CAPITAL_BEFORE.search(self.text, max(sentence, fig.start - 30), fig.start)
        if word is None or word.start() == sentence or not fig.value.is_integer():
            return None
        i = bisect.bisect_right(self.starts, word.start()) - 1
        if i >= 0 and self.mentions[i].end > word.start():
            return None  # "Jiaxing 12": a place, not a name
        return _Mention(word.start(), fig.end, (), "name", self.text[word.start() : fig.end])

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
        bare = fig.kind == "count" and fig.unit is None  # page numbers: nothing it counts
        before = self.masked[fig.window[0] : fig.start]
        if _TARGET.search(before) and not (indicator or "").startswith(("target_", "plan_")):
            return []  # a plan or a requirement, not an outcome
        if self.previous and _TOTAL.search(before):  # "bringing the total to 6,200"
            indicator, sure, bare = self.previous.removeprefix("new_"), 0.6, False
            indicator = indicator if indicator in self.kit.units else None
        proposal = None
        if (
            indicator is not None
            and fig.kind in ("count", "money")
            and not fig.named
            and (
                sure < 1
                or self.lang == "zh"  # an English phrase anchored at the figure is its noun
            )
        ):
            proposal = self._other_noun(fig, indicator)
            if proposal is not None:
                indicator = None
        if indicator is None and proposal is None and not fig.named and not bare and not fig.host:
            proposal = self._propose(fig)
            if proposal is not None and proposal.indicator_id in self.kit.units:
                known_fit = self._fits(fig, proposal.indicator_id)
                indicator, sure, proposal = (
                    (proposal.indicator_id if known_fit else None),
                    0.6,
                    None,
                )
        if indicator is None and proposal is None and (fig.named or bare):
            return []  # a number in a name, or a bare one: nothing it counts
        if (indicator or proposal) and _NEW.search(before[-12:]):  # a flow: "added 95 ..."
            proposal = _new(proposal or self._known(indicator))
            indicator = (
                None if proposal.indicator_id not in self.kit.units else proposal.indicator_id
            )
            proposal = None if indicator else proposal
        if fig.kind != "percent":
            self.previous = indicator or (proposal and proposal.indicator_id)
        entity, entity_text, known = self._entity(fig, indicator)
        confidence = round(sure * known, 2)
        row = {
            "entity_id": entity, "entity_text": entity_text, "indicator_id": indicator,
            "value": fig.value, "unit": self._unit(fig, indicator), "currency": fig.currency,
            "qualifier": fig.qualifier, "low": fig.low, "high": fig.high, "as_of": as_of,
            "period_start": period[0], "period_end": period[1], "start": fig.start,
            "end": fig.end, "sentence_start": fig.sentence[0], "sentence_end": fig.sentence[1],
            "locator": f"p{fig.paragraph}", "source_id": self.source_id, "confidence": confidence,
            "indicator_status": "known" if indicator else None, "indicator_label": None,
            "indicator_group": None, "phrase": None,
        }  # fmt: skip
        if proposal is not None:
            row |= {"indicator_id": proposal.indicator_id, "unit": proposal.unit,
                    "indicator_status": "proposed", "indicator_label": proposal.label,
                    "indicator_group": proposal.group, "phrase": proposal.phrase}  # fmt: skip
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

    def _known(self, indicator: str) -> Proposal:
        unit = self.kit.units[indicator]
        return Proposal(indicator, indicator.replace("_", " "), unit, indicator, "")

    def _other_noun(self, fig: _Figure, indicator: str) -> Proposal | None:
        """The proposal of the figure's own noun phrase when the lexicon's phrase for
        ``indicator`` was found further off and names another thing ("投资机构近80家" after
        a "路演" earlier in the sentence; "高层次人才团队60个" is teams, not talents)."""
        lo, hi = fig.window
        phrase = noun_phrase(
            self.masked[lo:hi], fig.start - lo, fig.end - lo, self.lang, fig.kind == "money"
        )
        if phrase is None or phrase.after != (self.lang == "en"):
            return None  # the noun a figure counts: after it in English, before it in Chinese
        if self._shares_words(phrase, indicator):
            return None
        proposal = propose(phrase, fig.kind, fig.currency)
        if proposal is not None and proposal.indicator_id in self.kit.units:
            return None
        return proposal

    def _shares_words(self, phrase, indicator: str) -> bool:
        """Whether the noun phrase shares a word with a lexicon phrase of ``indicator``."""
        parts = self.kit.heads.get((indicator, self.lang), ())
        if self.lang == "zh":
            return any(p in phrase.text or phrase.text[-2:] in p for p in parts)
        words = set(_words(phrase.text))
        return any(not words.isdisjoint(forms) for forms in parts)

    def _propose(self, fig: _Figure) -> Proposal | None:
        """The indicator the figure's noun phrase proposes; a growth rate or an amount without
        a phrase of its own ("an increase of 11.2 percent", "worth 16.5 billion yuan") is of
        the quantity of the figure before it in its sentence."""
        lo, hi = fig.window
        phrase = noun_phrase(
            self.masked[lo:hi], fig.start - lo, fig.end - lo, self.lang, fig.kind == "money"
        )
        growth = phrase is None or _GROWTH_WORDS.issuperset(phrase.words)
        if fig.kind in ("percent", "money") and growth and self.previous:
            suffix = "_growth" if fig.kind == "percent" else "_value"
            ident = self.previous + suffix
            unit = "percent" if fig.kind == "percent" else fig.currency
            return Proposal(ident, ident.replace("_", " "), unit, ident, "")
        if fig.kind == "percent" and growth:
            return None
        return propose(phrase, fig.kind, fig.currency)

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
            candidates = [
                p
                for p in {id(p): p for w in seen for p in self.kit.index.get(w, ())}.values()
                if all(not forms.isdisjoint(seen) for forms in p.before + p.after)
            ]  # fmt: skip  (every word of the phrase stands somewhere around the figure)
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
        subject = self._paragraph_subject(fig) if kinds == PLACE_KINDS else None
        if subject is not None:
            return (*_resolved(subject), 0.8)
        if kinds != PLACE_KINDS:
            starts, mentions = self._of_kinds(kinds)
            i = bisect.bisect_left(starts, host.start) - 1
            while i >= 0 and mentions[i].end > host.start:
                i -= 1
            if i >= 0:
                return (*_resolved(mentions[i]), 0.8)
        if self.default is not None and (
            self.default.kind in kinds
            or (kinds == PLACE_KINDS and self.default.kind in ORGANISATION_KINDS)
        ):  # a text that names no place is about its programme or organisation
            return (*_resolved(self.default), 0.7)
        return None, None, 0.3

    def _paragraph_subject(self, fig: _Figure) -> _Mention | None:
        """The programme or organisation a paragraph naming no place is about (the first it
        names), for a figure whose sentence names no place."""
        first = bisect.bisect_left(self.starts, self.paragraph_span[0])
        last = bisect.bisect_left(self.starts, self.paragraph_span[1])
        named = self.mentions[first:last]
        if any(m.kind in PLACE_KINDS for m in named):
            return None
        subjects = [
            m for m in named
            if m.kind in ORGANISATION_KINDS and len(m.entity_ids) == 1
            and not _PLATFORM.match(self.text, m.end)
            and not self.text[fig.end : m.start].isspace()  # "five Innovation China ... teams"
        ]  # fmt: skip
        return subjects[0] if subjects else None

    def _of_kinds(self, kinds: tuple[str, ...]) -> tuple[list[int], list[_Mention]]:
        if kinds not in self._kinds_cache:
            mentions = [m for m in self.mentions if m.kind in kinds]
            self._kinds_cache[kinds] = ([m.start for m in mentions], mentions)
        return self._kinds_cache[kinds]


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


def _govern(fig: _Figure, before: str) -> None:
    """Read a qualifier innostudy.clean leaves to the caller from the words just before it."""
    for word, qualifier in _GOVERNING.items():
        if before.endswith(word):
            fig.qualifier = qualifier
            fig.low, fig.high = clean.interval(fig.value, qualifier)
            return


def _new(proposal: Proposal) -> Proposal:
    """The flow of a stock: "added 95 high-tech enterprises" -> new_high_tech_enterprises."""
    ident = proposal.indicator_id
    ident = ident if ident.startswith("new_") else f"new_{ident}"
    return proposal._replace(indicator_id=ident, label=f"new {proposal.label}", group=ident)
