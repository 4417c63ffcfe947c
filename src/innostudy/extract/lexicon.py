"""The phrase lexicon (``data/lexicon.csv``): which words around a figure name which indicator."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pandas as pd

from innostudy import files
from innostudy.dataset import DATA_DIR, ENTITY_KINDS, LANGUAGES, Problem, ValidationError
from innostudy.extract.structure import _WORD_RE

LEXICON_COLUMNS = ("indicator_id", "lang", "phrase", "entity_kind")


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


def _read_text(
    path: Path, content: bytes | None = None, inside: Path | None = None
) -> pd.DataFrame:
    """A CSV as text, empty cells as "", indexed by physical line (the header is line 1); a
    record that cannot be read is a ValidationError naming its line."""
    frame, broken = files.read_csv(path, content=content, inside=inside)
    if broken:
        raise ValidationError([Problem(path.name, line, None, why) for line, why in broken])
    return frame.astype(object).fillna("")
