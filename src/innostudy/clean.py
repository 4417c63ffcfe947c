"""Read the figures that reports are written in, English and Chinese, without guessing.

Each figure keeps its meaning: its qualifier ("more than 90"), unit, currency, the interval the
qualifier implies, and the character span it came from, so a reviewer can find it again.

>>> from innostudy import clean
>>> q = clean.parse_quantity("more than 90 academic activities")
>>> q.value, q.qualifier, q.low, q.high, q.unit
(90.0, 'more_than', 90.0, inf, 'academic activities')
>>> q = clean.parse_quantity("95 million yuan ($14.88 million)")
>>> q.value, q.currency, q.conversion.value, q.conversion.currency
(95000000.0, 'CNY', 14880000.0, 'USD')
>>> clean.parse_quantity("1600余名").qualifier, clean.parse_quantity("1.46亿元").value
('more_than', 146000000.0)
>>> clean.parse_rank("ranked 23rd among 65 pilot cities")
Rank(position=23, field_size=65, qualifier='exact', low=23.0, high=23.0, span=(0, 20))
>>> clean.parse_rank("top 10").qualifier, clean.parse_rank("前十").position
('at_most', 10)
>>> clean.parse_date("Updated: 2021-10-25")
datetime.date(2021, 10, 25)
>>> clean.parse_period("14th Five-Year Plan")
Period(start=2021, end=2025, span=(0, 19))

Unreadable text raises :class:`ParseError`; a number is never guessed ("about", "1.2.3" and ""
are errors). :func:`quantities`, :func:`ranks`, :func:`dates` and :func:`periods` do the same over
a pandas Series, parsing each distinct string once. :func:`find_quantities`, :func:`find_ranks`,
:func:`find_dates` and :func:`find_periods` yield every figure of a longer text with its span;
:func:`find_figures` gives all four from one reading (a quantity's numbers must not be a rank's,
a date's or a period's, so the quantities need the others anyway).

Four modules, one job each: this one reads one figure; the Series versions live in
:mod:`innostudy.clean_series`, the finders in :mod:`innostudy.clean_find`, the grammar the
readers and finders share (figure types, lexicon, patterns, number reading) in
:mod:`innostudy.clean_grammar`. Every public name stays reachable from here.

Speed (``benchmarks/extract_eval.py`` times the finders inside the extraction of a megabyte of
reports): Python's regex engine tries a pattern at every position of a text, one alternative
after the other, so each pattern begins by turning away the positions where it cannot start (a
lookahead on its first characters, a word start), phrase lists are grouped by first character
(``clean_grammar._alternation``), and the rank, date and period patterns only run on texts holding one of
their key words (an ordinal, "top", 第; a month, 月; a year, "five", 五).

Qualifiers and their intervals follow one rule, :func:`interval`: ``exact`` -> [v, v];
``more_than`` / ``at_least`` -> [v, +inf) (v excluded / included); ``less_than`` / ``at_most`` ->
(-inf, v]; ``about`` -> unknown (NaN, NaN), since the project invents no band. "nearly", "almost"
and 近 say the figure is not reached, so they read as ``less_than``. 以上, 以下 and 以内 include the
figure and 超过 and 不满 exclude it, as the Civil Code (art. 1259) defines them; 不少于 and 不超过
include it, 逾, 余 and 多 exclude it.

Libraries (measured in ``benchmarks/clean_bench.py``): ``cn2an`` reads the Chinese numerals
(二〇二三, 一千六百, 三千五百万). ``dateparser`` was not adopted: it reads "2023-25" as 25 February
2023, finds nothing in "Updated: 2021-10-25" and is hundreds of times slower. ``quantulum3`` was not
adopted: it knows no qualifiers and no 万/亿 ("1.46亿元" -> 1.0) and reads "($14.88 million)" as
-14.88 million. The English number words, qualifiers, ranks, dates and periods are small regular
expressions here, since no library reads them right.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import date, datetime

from innostudy.clean_grammar import (
    _DIGIT,
    _DIGIT_GAP,
    _INVISIBLE,
    _LETTER,
    _ORDINAL_WORD,
    _QUANTITY,
    _SUFFIX_AT_END,
    _WORD_RUN,
    _YEAR,
    _YEAR_RE,
    _ZH_DIGIT_VALUE,
    _ZH_DIGITS,
    Period,
    Quantity,
    Rank,
    _alternation,
    _build,
    _conversion,
    _count,
    _holds_any,
    _normalise,
    _ordinal_value,
    _zh_value,
    interval,
)
from innostudy.clean_grammar import QUALIFIERS as QUALIFIERS
from innostudy.errors import InnostudyError


class ParseError(InnostudyError, ValueError):
    """Text that is not the figure it should be; the message quotes it and says what was expected."""

    def __init__(self, text: str, expected: str, reason: str = ""):
        self.text, self.expected, self.reason = text, expected, reason
        why = f" ({reason})" if reason else ""
        super().__init__(f"cannot read {text!r}{why}: expected {expected}")


# --- quantities ---------------------------------------------------------------------------------

_EXPECTED_QUANTITY = "a figure such as '1,163', 'more than 90', '1.46 billion yuan' or '1600余名'"


def parse_quantity(text: str) -> Quantity:
    """Read one figure phrase: [qualifier] number [magnitude] [currency] [(conversion)] [unit].

    ``unit`` is the rest of the phrase as written (the counted noun); it may hold no other number.

    >>> q = parse_quantity("1,163 companies")
    >>> q.value, q.unit, q.qualifier, q.span
    (1163.0, 'companies', 'exact', (0, 5))
    >>> parse_quantity("eight online and on-site technology roadshows").value
    8.0
    >>> parse_quantity("逾百家").value, parse_quantity("3.5万").value
    (100.0, 35000.0)
    >>> parse_quantity("about")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    innostudy.clean.ParseError: cannot read 'about': expected a figure such as ...
    """
    if not isinstance(text, str):
        raise ParseError(repr(text), _EXPECTED_QUANTITY, f"not text but {type(text).__name__}")
    norm = _normalise(text)
    m = _QUANTITY.match(norm, len(norm) - len(norm.lstrip()))
    if not m:
        raise ParseError(text, _EXPECTED_QUANTITY)
    if _LETTER.match(norm, m.end()):
        hidden = _DIGIT_GAP.search(text)
        if hidden and hidden.group() in _INVISIBLE:
            why = f"an invisible U+{ord(hidden.group()):04X} splits the number at {hidden.start()}"
            raise ParseError(text, _EXPECTED_QUANTITY, why)
        raise ParseError(text, _EXPECTED_QUANTITY, "number joined to letters")
    conversion, pos = _conversion(norm, m.end())
    rest = norm[pos:].strip(" \t\r\n.,;:，。；：、")
    suffix = None
    tail = _SUFFIX_AT_END.search(rest)
    if tail and not m["suffix"]:
        suffix, rest = tail.group(0).strip(), rest[: tail.start()].strip()
    if _DIGIT.search(rest):
        raise ParseError(text, _EXPECTED_QUANTITY, "more than one number")
    try:
        return _build(m, " ".join(rest.split()) or None, suffix, conversion)
    except ValueError as err:
        raise ParseError(text, _EXPECTED_QUANTITY, str(err)) from None


class _Taken:
    """Spans already read, asked in text order whether a match overlaps one of them.

    Matches of one ``finditer`` come left to right without overlapping, so their ends grow: a span
    starting before a match's end stays relevant to every later match, and the match overlaps
    one of them exactly when the largest end among them passes the match's start. One pass over
    the sorted spans, not a scan of all of them per match (which made 10,000 figures take 5 s).

    >>> taken = _Taken([(10, 14), (2, 5)])
    >>> [taken.overlaps(a, b) for a, b in [(0, 1), (4, 6), (6, 9), (12, 13), (20, 22)]]
    [False, True, False, True, False]
    """

    def __init__(self, spans):
        self._spans = sorted(spans)
        self._next = 0
        self._reach = -1  # the largest end of the spans that start before the last match's end

    def overlaps(self, start: int, end: int) -> bool:
        while self._next < len(self._spans) and self._spans[self._next][0] < end:
            self._reach = max(self._reach, self._spans[self._next][1])
            self._next += 1
        return self._reach > start

    def add(self, start: int, end: int) -> None:
        """Take a span that starts at or after the last match's end (before the next one's)."""
        self._reach = max(self._reach, end) if start < end else self._reach


_EXPECTED_RANK = "a rank such as 'ranked 23rd among 65', 'top 10', '第23名' or '前十'"
_NUM = rf"[0-9]{{1,3}}(?:,[0-9]{{3}})+|[0-9]+|{_WORD_RUN}"
_ZH_NUM = f"[0-9]+|[{_ZH_DIGITS}十百千]+"
_RANK_VERB = _alternation(
    ["rank", "ranked", "ranks", "ranking", "placed", "places", "placing", "came", "came in",
     "finished", "stood", "stands"]
)  # fmt: skip
_RANK = re.compile(
    rf"""
    (?P<en>
      (?<![a-z])  # an ordinal rank starts a word
      (?P<verb>(?<![a-z])(?:{_RANK_VERB})\s+(?:(?:at|in)\s+)?(?:the\s+)?)?
      (?:(?<![0-9a-z])(?P<pos>[0-9]+)(?:st|nd|rd|th)(?![a-z])|(?P<pos_word>{_ORDINAL_WORD})
        |(?<![a-z])(?:No\.|number)\s*(?P<pos_no>[0-9]+|one)(?![0-9a-z]))
      (?P<place>\s+(?:place|position)(?![a-z]))?
    | (?=[rpcfswiat])  # what the words before "top" start with (they may end a longer word)
      (?P<top_verb>(?:{_RANK_VERB}|was|were|is|are)\s+)?
      (?:(?:among|in|within|into)\s+)?(?:the\s+)?(?<![a-z])top[\s-]+(?P<top>{_NUM})
      (?P<percent>\s*(?:%|per\s?cent))?
    )
    (?P<field_part>\s+(?:among|out\s+of|of)\s+(?:(?:the|all)\s+)?(?P<field>{_NUM})(?![0-9]))?
    (?P<list>\s+(?:on|in)\s+the\s+(?:[0-9]{{4}}\s+)?(?:list|ranking|rankings|index)(?![a-z]))?
  | (?=[0-9{_ZH_DIGITS}十百千在于全排位名居列跻进入第前])  # what a Chinese rank starts with
    (?:
      (?P<zh_field_part>(?:在|于)?(?:全国)?(?P<zh_field>{_ZH_NUM})(?:个|家|座|所)
        [^0-9第，。；,;]{{0,20}}?中[，,]?)?
      (?P<zh_verb>排名|位列|位居|名列|位于|排|居|列)?第(?P<zh_pos>{_ZH_NUM})(?P<zh_suffix>名|位)?
    | (?P<zh_top_verb>排名|位列|位居|名列|跻身|进入|入选|位于|居)?(?:全国)?
      前(?P<zh_top>{_ZH_NUM})(?P<zh_top_suffix>名|位|强)?
    | (?P<zh_strong>{_ZH_NUM})强
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)


def _rank_from_match(m: re.Match, text: str, whole: bool) -> Rank | None:
    """The Rank a match names, or None when no ranking word makes it one ("the second batch").
    ValueError when the numbers cannot be a rank."""
    ends = m.end() == len(text) or text[m.end()] in " \t\r\n,.;:!?，。；：、！？)）"
    field = None
    if m["top"]:
        if m["percent"]:
            raise ValueError("a top percentage is not a position")
        position, qualifier = _count(m["top"]), "at_most"
        field = _count(m["field"]) if m["field"] else None
    elif m["en"]:
        if not (whole or m["verb"] or m["place"] or m["field_part"] or m["list"] or m["pos_no"]):
            return None
        if m["pos"]:
            position = int(m["pos"])
        elif m["pos_word"]:
            position = _ordinal_value(m["pos_word"])
        else:
            position = 1 if m["pos_no"].lower() == "one" else int(m["pos_no"])
        qualifier = "exact"
        field = _count(m["field"]) if m["field"] else None
    elif m["zh_pos"]:
        if not (m["zh_verb"] or m["zh_suffix"] or ends):
            return None
        position, qualifier = _count(m["zh_pos"]), "exact"
        field = _count(m["zh_field"]) if m["zh_field"] else None
    elif m["zh_top"]:
        if not (m["zh_top_verb"] or m["zh_top_suffix"] or ends):
            return None
        position, qualifier = _count(m["zh_top"]), "at_most"
    else:
        position, qualifier = _count(m["zh_strong"]), "at_most"
    _check_rank(position, field)
    low, high = interval(position, qualifier, floor=1, ceiling=field or math.inf)
    return Rank(position, field, qualifier, low, high, m.span())


_RANK_LIMIT = 10**9  # no ranking is longer; a larger "position" is a misread figure


def _check_rank(position: int, field: int | None) -> None:
    if max(position, field or 0) > _RANK_LIMIT:
        raise ValueError(f"{max(position, field or 0)} is larger than any ranking (1e9)")
    if position < 1 or (field is not None and position > field):
        raise ValueError(f"position {position} is not within a field of {field or 'any size'}")


def parse_rank(text: str) -> Rank:
    """Read the one rank in ``text`` (a bare positive integer is a position too).

    >>> parse_rank("34th on the list").position
    34
    >>> r = parse_rank("first among the 65 pilot units")
    >>> r.position, r.field_size
    (1, 65)
    >>> parse_rank("排名第23位").position, parse_rank("前十").high
    (23, 10.0)
    """
    if not isinstance(text, str):
        raise ParseError(repr(text), _EXPECTED_RANK, f"not text but {type(text).__name__}")
    norm = _normalise(text)
    stripped = norm.strip()
    if re.fullmatch("[1-9][0-9]*", stripped):
        start, position = norm.index(stripped), int(stripped)
        try:
            _check_rank(position, None)
        except ValueError as err:
            raise ParseError(text, _EXPECTED_RANK, str(err)) from None
        low, high = interval(position, "exact")
        return Rank(position, None, "exact", low, high, (start, start + len(stripped)))
    found, ordinals = [], 0
    for m in _RANK.finditer(norm):
        try:
            rank = _rank_from_match(m, norm, whole=m.group(0).strip() == stripped)
        except ValueError as err:
            raise ParseError(text, _EXPECTED_RANK, str(err)) from None
        if rank is not None:
            found.append(rank)
        ordinals += 1
    if len(found) != 1 or ordinals > 1:
        raise ParseError(text, _EXPECTED_RANK, f"found {ordinals} ranks" if ordinals else "")
    return found[0]


# --- dates --------------------------------------------------------------------------------------

_EXPECTED_DATE = "a date such as '2021-10-25', 'February 6, 2023', '6 Feb 2023' or '2023年2月6日'"
_MONTH_NAMES = (
    "january february march april may june july august september october november december"
).split()
_MONTHS = {n: i for i, name in enumerate(_MONTH_NAMES, 1) for n in (name, name[:3])} | {"sept": 9}
_MONTH = _alternation(_MONTHS)
_ZH_DAY = "[0-9]{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九]"
_DATE = re.compile(
    rf"""
    (?=[0-9〇零一二三四五六七八九十]|(?<![a-z])[a-z])  # a digit, a numeral or a word starts it
    (?:
      (?<![a-z])(?P<m1>{_MONTH})(?![a-z])\.?\s+(?P<d1>[0-9]{{1,2}})(?:st|nd|rd|th)?(?![0-9a-z])
      (?:,?\s+(?P<y1>[0-9]{{4}})(?![0-9]))?
    | (?<![0-9.,])(?P<d2>[0-9]{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MONTH})(?![a-z])\.?
      (?:,?\s+(?P<y2>[0-9]{{4}})(?![0-9]))?
    | (?<![0-9.])(?P<y3>[0-9]{{4}})(?P<sep>[-/.])(?P<m3>[0-9]{{1,2}})(?P=sep)(?P<d3>[0-9]{{1,2}})
      (?![0-9])
    | (?:(?P<y4>[0-9]{{4}}|[〇零一二三四五六七八九]{{4}})\s*年\s*)?
      (?P<m4>[0-9]{{1,2}}|十[一二]?|[一二三四五六七八九])\s*月\s*(?P<d4>{_ZH_DAY})\s*[日号]
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)


def _as_date(value) -> date:
    """A reference date from a date, datetime, Timestamp or ISO string."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return parse_date(str(value))


def _small(token: str) -> int:
    """A month, day or year in digits or Chinese numerals (a 4-character year digit by digit)."""
    if token.isdigit():
        return int(token)
    if len(token) == 4 and set(token) <= set(_ZH_DIGIT_VALUE):
        return int("".join(str(_ZH_DIGIT_VALUE[c]) for c in token))
    return int(_zh_value(token))


def _date_from_match(m: re.Match, reference: date | None) -> date | None:
    """The date a match names, None for a lower-case month word ("may 5" is no date). A date
    without a year takes the year that puts it nearest ``reference``. ValueError if invalid."""
    name = m["m1"] or m["m2"]
    if name:
        if name[0].islower():
            return None
        month, day, year = _MONTHS[name.lower()], int(m["d1"] or m["d2"]), m["y1"] or m["y2"]
    elif m["y3"]:
        year, month, day = m["y3"], int(m["m3"]), int(m["d3"])
    else:
        year, month, day = m["y4"], _small(m["m4"]), _small(m["d4"])
    if year is not None:
        return date(_small(year), month, day)
    if reference is None:
        raise ValueError("no year given; pass reference= (e.g. the publication date)")
    candidates = []
    for y in (reference.year - 1, reference.year, reference.year + 1):
        try:
            candidates.append(date(y, month, day))
        except ValueError:
            continue
    if not candidates:
        raise ValueError(f"no year has day {day} in month {month}")
    return min(candidates, key=lambda d: abs(d - reference))


# Every date holds 月, a year with a separator (2021-10-25) or a capitalised month name (a
# lower-case "may" or "march" is no date).
_DATE_CORE = re.compile(
    "月|[0-9]{4}[-/.]|" + "|".join(f"{name[0].upper()}(?i:{name[1:3]})" for name in _MONTH_NAMES)
)


def _find_dates(norm: str, reference: date | None) -> Iterator[tuple[date | ValueError, tuple]]:
    """(date, or the ValueError that says why it is none, span) for every date-like match."""
    if not _DATE_CORE.search(norm):
        return
    for m in _DATE.finditer(norm):
        try:
            found = _date_from_match(m, reference)
        except ValueError as err:
            found = err
        if found is not None:
            yield found, m.span()


def parse_date(text: str, reference=None) -> date:
    """Read the one date in ``text``. A date without a year ("Jan 30") takes the year that puts
    it nearest ``reference`` (a date, datetime, Timestamp or ISO string).

    >>> parse_date("February 6, 2023"), parse_date("2023年2月6日")
    (datetime.date(2023, 2, 6), datetime.date(2023, 2, 6))
    >>> parse_date("Jan 30", reference="2023-02-06")
    datetime.date(2023, 1, 30)
    """
    if not isinstance(text, str):
        raise ParseError(repr(text), _EXPECTED_DATE, f"not text but {type(text).__name__}")
    ref = None if reference is None else _as_date(reference)
    found = set()
    for value, _ in _find_dates(_normalise(text), ref):
        if isinstance(value, ValueError):
            raise ParseError(text, _EXPECTED_DATE, str(value))
        found.add(value)
    if len(found) != 1:
        raise ParseError(text, _EXPECTED_DATE, f"found {len(found)} dates" if found else "")
    return found.pop()


# --- periods ------------------------------------------------------------------------------------

_EXPECTED_PERIOD = "a period such as '2023-25', '2021-2023', '2023—2025年' or '14th Five-Year Plan'"
_PERIOD = re.compile(
    rf"""
    (?=[0-9第“"「一二三四五六七八九十]|(?<![a-z])[a-z])  # a digit, a numeral, 第, a quote or a word
    (?:
      (?:(?<![a-z])from\s+)?(?<![0-9.,/\-])(?P<a>{_YEAR})\s*(?:年\s*)?
      (?:-|–|—|~|～|至|到|\s+(?:to|through|until)\s+)\s*
      (?P<b>{_YEAR}|[0-9]{{2}})(?![0-9]|[-/.][0-9])(?:\s*年)?
    | (?P<plan>(?<![0-9])(?P<plan_n>[0-9]{{1,2}})(?:st|nd|rd|th)|{_ORDINAL_WORD})\s+five[\s-]year\s+plan
    | 第(?P<plan_zh>[一二三四五六七八九十]+)个五年(?:规划|计划)
    | [“"「]?(?P<plan_short>十[一二三四五六七八九]?|[一二三四五六七八九])五
      (?=”|"|」|规划|计划|时期|期间|$)[”"」]?
    | (?P<context>(?<![a-z])(?:in|since|by|from|during|until|before|after|for|of|the|fiscal|year)\s+)?
      (?<![0-9.,/\-])(?P<y>{_YEAR})(?P<nian>\s*年(?!\s*[0-9一二三四五六七八九十]{{1,2}}\s*月))?
      (?![0-9]|[.,/\-][0-9])
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)


def _plan_years(n: int) -> tuple[int, int]:
    """Years of the n-th Five-Year Plan: 1953-57 and 1958-62, then from 1966 after the 1963-65
    adjustment years (the 14th is 2021-25)."""
    if not 1 <= n <= 30:
        raise ValueError(f"there is no Five-Year Plan number {n}")
    start = 1953 + 5 * (n - 1) if n <= 2 else 1966 + 5 * (n - 3)
    return start, start + 4


def _period_from_match(m: re.Match, whole: bool) -> Period | None:
    """The Period a match names; None for a lone year without a year word around it."""
    if m["a"]:
        start, b = int(m["a"]), m["b"]
        if len(b) == 2:
            if int(b) <= 12:
                raise ValueError(f"{m['a']}-{b} could be a year and a month")
            end = start - start % 100 + int(b)
            end += 100 if end < start else 0
        else:
            end = int(b)
        if end <= start:
            raise ValueError(f"the period ends ({end}) before it starts ({start})")
        return Period(start, end, (m.start("a"), m.end()))
    if m["plan"]:
        n = int(m["plan_n"]) if m["plan_n"] else _ordinal_value(m["plan"])
        return Period(*_plan_years(n), m.span())
    if m["plan_zh"] or m["plan_short"]:
        return Period(*_plan_years(int(_zh_value(m["plan_zh"] or m["plan_short"]))), m.span())
    if not (m["context"] or m["nian"] or whole):
        return None
    year = int(m["y"])
    return Period(year, year, (m.start("y"), m.end()))


def _periods(
    norm: str, whole_text: bool, dates: list[tuple[int, int]] | None = None
) -> Iterator[Period | ValueError | None]:
    """Each period-like match outside the spans of ``dates`` (found here when not given): a
    Period, the ValueError that says why it is none, or None for a year that no year word marks
    as a period."""
    if not (_YEAR_RE.search(norm) or "五" in norm or _holds_any(norm, ("five",))):
        return  # every period holds a year, a Five-Year Plan or 五
    if dates is None:
        dates = [span for _, span in _find_dates(norm, None)]
    taken = _Taken(dates)
    for m in _PERIOD.finditer(norm):
        if taken.overlaps(*m.span()):
            continue
        whole = whole_text and m.group(0).strip() == norm.strip()
        try:
            yield _period_from_match(m, whole)
        except ValueError as err:
            yield err


def parse_period(text: str) -> Period:
    """Read the one period in ``text``; a bare year is the period of that year.

    >>> parse_period("(2021-23)")[:2], parse_period("2023—2025年")[:2], parse_period("十四五")[:2]
    ((2021, 2023), (2023, 2025), (2021, 2025))
    """
    if not isinstance(text, str):
        raise ParseError(repr(text), _EXPECTED_PERIOD, f"not text but {type(text).__name__}")
    found = list(_periods(_normalise(text), True))
    for period in found:
        if isinstance(period, ValueError):
            raise ParseError(text, _EXPECTED_PERIOD, str(period))
    if len(found) > 1:
        raise ParseError(text, _EXPECTED_PERIOD, f"found {len(found)} periods")
    if not found or found[0] is None:
        raise ParseError(text, _EXPECTED_PERIOD)
    return found[0]


# --- the finders live in innostudy.clean_find, the Series versions in innostudy.clean_series ---

_ELSEWHERE = {
    **dict.fromkeys(("find_quantities", "find_ranks", "find_dates", "find_periods",
                     "find_figures", "Figures"), "clean_find"),
    **dict.fromkeys(("quantities", "ranks", "dates", "periods"), "clean_series"),
}  # fmt: skip


def __getattr__(name: str):
    """``innostudy.clean.find_figures``, ``innostudy.clean.quantities`` and the others, from
    :mod:`innostudy.clean_find` and :mod:`innostudy.clean_series` (imported on first use: they
    build on this module, so this module cannot import them first)."""
    if name in _ELSEWHERE:
        import importlib

        module = importlib.import_module(f"innostudy.{_ELSEWHERE[name]}")
        globals()[name] = value = getattr(module, name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
