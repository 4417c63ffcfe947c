"""Find the figures in running text: every quantity, rank, date and period of a longer text.

:mod:`innostudy.clean` reads one figure; this module scans a text for all of them, with the rules
that only running text needs: which numbers are no figure (years, "5G", 第二), the short unit after
a figure, and which numbers belong to a rank, date or period and so are no quantity. Both share
the grammar (patterns, numerals, qualifiers) of :mod:`innostudy.clean`, and every name here is
also reachable there (``innostudy.clean.find_figures``).

>>> [q.value for q in find_quantities("It helped 1,163 companies and 4,984 experts.")]
[1163.0, 4984.0]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import NamedTuple

from innostudy.clean import _RANK, _as_date, _find_dates, _periods, _rank_from_match, _Taken
from innostudy.clean_grammar import (
    _EN_ORDINALS,
    _LETTER,
    _QUANTITY,
    _SUFFIX,
    _YEAR_RE,
    Period,
    Quantity,
    Rank,
    _alternation,
    _build,
    _conversion,
    _holds_any,
    _normalise,
)

# Classifiers that make a Chinese numeral a count in running text (年/月/日 make it a date).
_ZH_CLASSIFIERS = "个家名人项所座次场支位件台篇本套条批户种处亩吨倍"

_STOP_WORDS = (
    "and or of in to for with from by on at as the a an was were is are has have had that which "
    "including such than per"
).split()

_HYPHENATED = re.compile("-[a-z]", re.IGNORECASE)

_STOP = rf"(?!(?:{_alternation(_STOP_WORDS)})(?![a-z]))"
_PROSE_UNIT = re.compile(
    rf"\s+(?P<unit>{_STOP}[a-z][a-z\-']*(?:\s+{_STOP}[a-z][a-z\-']*){{0,3}})", re.IGNORECASE
)
_OF_ANOTHER = re.compile(r"\s+(?:of|another)(?![a-z])", re.IGNORECASE)  # "one of", "one another"
_PROSE_SUFFIX = re.compile(rf"\s*(?P<suffix>{_alternation(_SUFFIX)})(?![a-z])", re.IGNORECASE)

# Every rank holds one of these words (ignoring case) or an ordinal number (23rd).
_RANK_WORDS = ("top", "no.", "number", "第", "前", "强", *_EN_ORDINALS)
_ORDINAL_NUMBER = re.compile("[0-9](?:st|nd|rd|th)", re.IGNORECASE)


def find_quantities(text: str) -> Iterator[Quantity]:
    """Every figure in a longer text, in order, with spans into ``text``.

    Numbers inside dates, periods and ranks are skipped, as are bare years (a lone 1900-2100
    integer), version strings ("1.2.3") and codes ("5G"). Here ``unit`` is the short noun run
    after the figure (at most four words, stopping at "and", "of" ...; for Chinese the
    classifier), since where the noun phrase ends cannot be told from the sentence.

    >>> [(q.value, q.unit) for q in find_quantities("It helped 1,163 companies and 4,984 experts.")]
    [(1163.0, 'companies'), (4984.0, 'experts')]
    """
    yield from find_figures(text).quantities


def _find_quantities(norm: str, taken: list[tuple[int, int]]) -> Iterator[Quantity]:
    """The figures of :func:`find_quantities` in normalised text, outside the ``taken`` spans."""
    spans = _Taken(taken)
    for m in _QUANTITY.finditer(norm):
        if spans.overlaps(*m.span()) or _not_a_figure(m, norm):
            continue
        conversion, pos = _conversion(norm, m.end())
        spans.add(m.end(), pos)  # the bracketed conversion is no figure of its own
        unit, suffix = _prose_unit(m, norm, pos)
        try:
            quantity = _build(m, unit, suffix, conversion)
        except ValueError:
            continue
        yield quantity


_AFTER_DIGITS = frozenset("年月日号")  # 2023年, 5月, 6日, 1号: dates and numbered things


def _marked(m: re.Match) -> bool:
    """Whether a qualifier, currency, magnitude or percent marks the match as a figure."""
    return any(m[g] for g in ("qual", "sym", "cur_pre", "cur_post", "mag", "mag_zh", "pct"))


def _not_a_figure(m: re.Match, text: str) -> bool:
    """True for matches that are no figure in running text (years, 5G, 第二, 一带一路 ...)."""
    end = m.end()
    after = text[end : end + 1]
    if after == "-" and _HYPHENATED.match(text, end):
        return True  # Three-Year, 5-star: part of a compound word
    digits = m["digits"]
    if digits:
        if after in _AFTER_DIGITS or _LETTER.match(after):
            return True
        return _YEAR_RE.fullmatch(digits) is not None and not _marked(m)
    if m["zh"]:
        if (m.start() and text[m.start() - 1] == "第") or m["zh"] in ("一", "两"):
            return True
        return not (_marked(m) or (after and after in _ZH_CLASSIFIERS))
    if m["words"]:
        return _OF_ANOTHER.match(text, m.end()) is not None
    return False


def _prose_unit(m: re.Match, text: str, pos: int) -> tuple[str | None, str | None]:
    """The short unit after a figure in running text, and a qualifier after that unit."""
    if m["pct"] or m["pct_zh"]:
        unit, end = "%", pos
    elif text[pos : pos + 1] and text[pos] in _ZH_CLASSIFIERS:
        unit, end = text[pos], pos + 1
    elif run := _PROSE_UNIT.match(text, pos):
        unit, end = run["unit"], run.end()
    else:
        unit, end = None, pos
    tail = None if m["suffix"] else _PROSE_SUFFIX.match(text, end)
    return unit, tail["suffix"] if tail else None


# --- ranks --------------------------------------------------------------------------------------


def find_ranks(text: str) -> Iterator[Rank]:
    """Every rank in a longer text. An ordinal needs a ranking word next to it ("ranked 23rd",
    "34th on the list", "first among 65"), so "the second batch" is no rank.

    >>> [r.position for r in find_ranks("Baotou ranked among the top 10; Guiyang ranked 23rd.")]
    [10, 23]
    """
    yield from _find_ranks(_normalise(text))


def _find_ranks(norm: str) -> list[Rank]:
    found = []
    if not (_holds_any(norm, _RANK_WORDS) or _ORDINAL_NUMBER.search(norm)):
        return found
    for m in _RANK.finditer(norm):
        try:
            rank = _rank_from_match(m, norm, whole=False)
        except ValueError:
            continue
        if rank is not None:
            found.append(rank)
    return found


def find_dates(text: str, reference=None) -> Iterator[tuple[date, tuple[int, int]]]:
    """Every date in a longer text as (date, span); dates without a year need ``reference``.

    >>> list(find_dates("Updated: February 6, 2023. Ranked on Jan 30.", reference="2023-02-06"))
    [(datetime.date(2023, 2, 6), (9, 25)), (datetime.date(2023, 1, 30), (37, 43))]
    """
    ref = None if reference is None else _as_date(reference)
    for found, span in _find_dates(_normalise(text), ref):
        if isinstance(found, date):
            yield found, span


def find_periods(text: str) -> Iterator[Period]:
    """Every period in a longer text: ranges of years, Five-Year Plans (14th, 十四五) and single
    years with a year word ("in 2023", "2023年"). Dates are not periods.

    >>> [p[:2] for p in find_periods("the Three-Year Action Plan (2021-23), updated 2021-10-25")]
    [(2021, 2023)]
    """
    return (p for p in _periods(_normalise(text), False) if isinstance(p, Period))


# --- every figure of a text ---------------------------------------------------------------------


class Figures(NamedTuple):
    """What :func:`find_figures` finds: the quantities, ranks, dates (as ``(date, span)``) and
    periods of a text, each list in text order."""

    quantities: list[Quantity]
    ranks: list[Rank]
    dates: list[tuple[date, tuple[int, int]]]
    periods: list[Period]


def find_figures(text: str, reference=None) -> Figures:
    """Every figure of a longer text: what :func:`find_quantities`, :func:`find_ranks`,
    :func:`find_dates` (with ``reference``) and :func:`find_periods` yield, from one reading.

    The quantities skip the numbers of the ranks, dates and periods, so the four finders read
    the text for each other; called together, each pattern would run up to four times. Use this
    when more than one kind of figure is wanted.

    >>> found = find_figures("Guiyang ranked 23rd among 65 cities in 2022, with 1,163 firms.")
    >>> [q.value for q in found.quantities], [r[:2] for r in found.ranks], found.periods
    ([1163.0], [(23, 65)], [Period(start=2022, end=2022, span=(39, 43))])
    """
    norm = _normalise(text)
    ref = None if reference is None else _as_date(reference)
    dated = list(_find_dates(norm, ref))  # the spans do not depend on the reference
    date_spans = [span for _, span in dated]
    ranks = _find_ranks(norm)
    periods = [p for p in _periods(norm, False, date_spans) if isinstance(p, Period)]
    taken = [r.span for r in ranks] + [p.span for p in periods] + date_spans
    return Figures(
        list(_find_quantities(norm, taken)),
        ranks,
        [(d, span) for d, span in dated if isinstance(d, date)],
        periods,
    )
