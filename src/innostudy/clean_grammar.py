"""The grammar of figures shared by reading one (:mod:`innostudy.clean`) and finding them in
running text (:mod:`innostudy.clean_find`): the figure types, the qualifier rule, the lexicon of
number words, qualifiers and currencies, the quantity pattern, and numbers read from its matches.

>>> _number(_QUANTITY.match("1.46亿元"))
Decimal('146000000.00')
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import NamedTuple

QUALIFIERS = ("exact", "about", "more_than", "at_least", "at_most", "less_than")


def interval(
    value: float, qualifier: str, *, floor: float = -math.inf, ceiling: float = math.inf
) -> tuple[float, float]:
    """The (low, high) interval a qualified figure implies; (NaN, NaN) when it is unknown.

    ``floor`` and ``ceiling`` close the open sides where the scale has ends (a rank is >= 1).

    >>> interval(90, "more_than")
    (90.0, inf)
    >>> interval(10, "at_most", floor=1)
    (1.0, 10.0)
    >>> interval(39, "about")
    (nan, nan)
    """
    value = float(value)
    if qualifier == "exact":
        return value, value
    if qualifier in ("more_than", "at_least"):
        return value, float(ceiling)
    if qualifier in ("less_than", "at_most"):
        return float(floor), value
    if qualifier == "about":
        return math.nan, math.nan
    raise ValueError(f"unknown qualifier {qualifier!r}; expected one of {', '.join(QUALIFIERS)}")


class Quantity(NamedTuple):
    """A figure. ``value`` in plain units (95 million -> 95000000.0); ``unit`` the counted noun as
    written, ``"%"``, or None; ``currency`` "CNY", "USD" or None; ``qualifier`` and the interval
    [``low``, ``high``] it implies; ``span`` the (start, end) offsets of the figure in the text;
    ``conversion`` a stated conversion in brackets, kept apart from the value."""

    value: float
    unit: str | None
    currency: str | None
    qualifier: str
    low: float
    high: float
    span: tuple[int, int]
    conversion: Quantity | None = None


class Rank(NamedTuple):
    """A rank: ``position`` (1 is best), ``field_size`` (how many were ranked; None when not
    said), the qualifier ("top 10" is ``at_most`` 10) and the interval of possible positions."""

    position: int
    field_size: int | None
    qualifier: str
    low: float
    high: float
    span: tuple[int, int]


class Period(NamedTuple):
    """Whole years, both ends included: "2023-25" is Period(2023, 2025)."""

    start: int
    end: int
    span: tuple[int, int]


# --- lexicon ------------------------------------------------------------------------------------

# Full-width digits and signs map one-to-one onto ASCII, so offsets stay valid.
_FULLWIDTH = str.maketrans("０１２３４５６７８９．，％＋－\u00a0\u3000", "0123456789.,%+-  ")
# Thin, narrow no-break, no-break and zero-width spaces between digits: a thousands separator
# before a group of three digits ("1\u2009163" is 1,163), otherwise an invisible one splits the
# digits into something that is no number ("11\u200b63" is neither 11 nor 63).
_DIGIT_GAP = re.compile(
    "(?<=[0-9０-９])[\u00a0\u2009\u202f\u200b\u200c\u200d\u2060\ufeff]"
    "(?=(?P<group>[0-9０-９]{3}(?![0-9０-９]))|[0-9０-９])"
)
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def _gap(m: re.Match) -> str:
    if m["group"]:
        return ","
    return "x" if m.group() in _INVISIBLE else m.group()


def _normalise(text: str) -> str:
    """``text`` with ASCII digits and signs and read digit separators, character for character
    (so spans into it are spans into ``text``). Every finder and parser reads this form.

    >>> _normalise("１\u2009163 and 11\u200b63")
    '1,163 and 11x63'
    """
    if any(c in text for c in "\u00a0\u2009\u202f" + _INVISIBLE):
        text = _DIGIT_GAP.sub(_gap, text)
    return text.translate(_FULLWIDTH)


_PREFIX = {
    "more than": "more_than", "greater than": "more_than", "over": "more_than",
    "above": "more_than", "in excess of": "more_than", "upwards of": "more_than",
    "exceeding": "more_than", "超过": "more_than", "超": "more_than", "逾": "more_than",
    "多于": "more_than", "高于": "more_than", "大于": "more_than",
    "at least": "at_least", "no less than": "at_least", "not less than": "at_least",
    "no fewer than": "at_least", "not fewer than": "at_least", "a minimum of": "at_least",
    "不少于": "at_least", "不低于": "at_least", "至少": "at_least",
    "up to": "at_most", "at most": "at_most", "no more than": "at_most",
    "not more than": "at_most", "a maximum of": "at_most", "不超过": "at_most",
    "不多于": "at_most", "不高于": "at_most", "最多": "at_most", "至多": "at_most",
    "less than": "less_than", "fewer than": "less_than", "under": "less_than",
    "below": "less_than", "nearly": "less_than", "almost": "less_than",
    "close to": "less_than", "少于": "less_than", "低于": "less_than", "小于": "less_than",
    "不足": "less_than", "不到": "less_than", "不满": "less_than", "将近": "less_than",
    "接近": "less_than", "近": "less_than",
    "about": "about", "around": "about", "some": "about", "approximately": "about",
    "approx.": "about", "approx": "about", "roughly": "about", "circa": "about",
    "an estimated": "about", "大约": "about", "约为": "about", "约合": "about",
    "大概": "about", "约": "about",
    "a total of": "exact", "totalling": "exact", "totaling": "exact", "共计": "exact",
    "总计": "exact", "合计": "exact", "累计": "exact", "共": "exact", "达到": "exact",
    "达": "exact",
}  # fmt: skip
_SUFFIX = {
    "or more": "at_least", "or above": "at_least", "and above": "at_least",
    "and over": "at_least", "以上": "at_least", "or less": "at_most", "or fewer": "at_most",
    "and below": "at_most", "以下": "at_most", "以内": "at_most", "or so": "about",
    "左右": "about", "上下": "about", "开外": "more_than",
}  # fmt: skip
# Symbols count only next to the number: "< 1" is a bound, "<   1" a page navigation.
_SYMBOLS = {">=": "at_least", "≥": "at_least", "<=": "at_most", "≤": "at_most",
            ">": "more_than", "<": "less_than", "~": "about", "≈": "about"}  # fmt: skip
_AFTER_NUMBER = {"余": "more_than", "多": "more_than", "+": "at_least", "plus": "at_least"}
_CURRENCY_BEFORE = {
    "¥": "CNY", "￥": "CNY", "rmb": "CNY", "cny": "CNY", "人民币": "CNY",
    "$": "USD", "us$": "USD", "u.s.$": "USD", "usd": "USD",
}  # fmt: skip
_CURRENCY_AFTER = {
    "yuan": "CNY", "rmb": "CNY", "renminbi": "CNY", "cny": "CNY", "元": "CNY",
    "us dollars": "USD", "u.s. dollars": "USD", "dollars": "USD", "usd": "USD", "美元": "USD",
}  # fmt: skip
_EN_SMALL = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_WORD_VALUE = {w: i for i, w in enumerate(_EN_SMALL)} | {
    w: 10 * (i + 2) for i, w in enumerate(_EN_TENS)
}
_EN_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50,
    "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90, "hundredth": 100,
}  # fmt: skip
_MAGNITUDE = {"hundred": 100, "mn": 10**6, "mln": 10**6, "bn": 10**9} | _EN_SCALES
_MAGNITUDE_ZH = {"十": 10, "百": 100, "千": 1000, "万": 10**4, "亿": 10**8}
_ZH_DIGIT_VALUE = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0}
_ZH_DIGITS = "零〇一二两三四五六七八九壹贰叁肆伍陆柒捌玖"


def _key(phrase: str) -> str:
    """Lookup key of a matched phrase: lower case, single spaces."""
    return " ".join(phrase.lower().split())


def _alternation(phrases) -> str:
    r"""A regex alternation of literal phrases, longest first; a space matches any whitespace.

    The regex engine tries alternatives one by one at every position, so the phrases are grouped
    by their first character behind a lookahead on those characters: most positions fail at a
    glance and the others try one group. The phrases are lower case, so no two groups start
    alike, even ignoring case.

    >>> _alternation(["more than", "about", "more"])
    '(?=[ma])(?:m(?:ore\\s+than|ore)|a(?:bout))'
    """
    groups: dict[str, list[str]] = {}
    for phrase in sorted(set(phrases), key=len, reverse=True):
        groups.setdefault(phrase[0], []).append(phrase[1:])
    alternatives = (
        _literal(first) + "(?:" + "|".join(map(_literal, rests)) + ")"
        for first, rests in groups.items()
    )
    return f"(?=[{''.join(map(re.escape, groups))}])(?:{'|'.join(alternatives)})"


def _literal(phrase: str) -> str:
    return re.escape(phrase).replace(r"\ ", r"\s+")


# re.IGNORECASE also matches these to i, i, s and k; str.lower() leaves them as they are.
_ODD_CASE = "İıſK"


def _holds_any(text: str, words) -> bool:
    """Whether ``text`` may hold one of ``words`` (lower case) where re.IGNORECASE would find
    it: a quick test before running a costly pattern that needs one of them.

    >>> _holds_any("Ranked FIRST", ("first", "top")), _holds_any("the second batch", ("top",))
    (True, False)
    """
    folded = text.lower()
    return any(map(folded.__contains__, words)) or any(map(text.__contains__, _ODD_CASE))


_WORD = _alternation([*_EN_SMALL, *_EN_TENS, "hundred", *_EN_SCALES])
_WORD_RUN = (
    rf"(?<![a-z])(?:an?\s+(?=hundred|thousand|million|billion|trillion))?(?:{_WORD})"
    rf"(?:(?:\s+|-)(?:{_WORD})|(?:(?<=hundred)|(?<=thousand)|(?<=million)|(?<=billion))"
    rf"\s+and\s+(?:{_WORD}))*(?![a-z])"
)
_ORDINAL_WORD = (
    rf"(?<![a-z])(?:(?:{_alternation(_EN_TENS)})[\s-])?(?:{_alternation(_EN_ORDINALS)})(?![a-z])"
)
_YEAR = "(?:19|20)[0-9]{2}"
_YEAR_RE = re.compile(_YEAR)
_ZH_NUMERAL = f"[{_ZH_DIGITS}十百千万亿拾佰仟]+(?:点[{_ZH_DIGITS}]+[万亿]*)?"
_QUANTITY = re.compile(
    rf"""
    (?<![a-z])(?:(?P<qual>{_alternation(_PREFIX)})\s*|(?P<sym>{_alternation(_SYMBOLS)})[ ]?)?
    (?:(?<![a-z])(?P<cur_pre>{_alternation(_CURRENCY_BEFORE)})\s*)?
    (?:
        百分之(?P<pct_zh>[0-9]+(?:\.[0-9]+)?|{_ZH_NUMERAL})
      | (?P<mixed>(?<![0-9])[1-9][0-9]*[万亿][1-9][千百十]?(?![0-9]))
      | (?(cur_pre)|(?<![0-9a-z_.\-−]))
        (?P<digits>[-−]?(?:[0-9]{{1,3}}(?:,[0-9]{{3}})+|[0-9]+)(?:\.[0-9]+)?)(?![.,]?[0-9])
      | (?P<zh>{_ZH_NUMERAL})
      | (?P<words>{_WORD_RUN})
    )
    (?P<mid>余|多|\+|-?plus(?![a-z]))?
    (?:\s*(?P<mag>hundred|thousand|million|billion|trillion|mln|mn|bn)(?![a-z])
      | (?P<mag_zh>[十百千](?:万|亿)?|万亿|万|亿))?
    (?P<mid2>余|多)?
    (?:\s*(?P<pct>%|per\s?cent(?![a-z])))?
    (?:\s*(?P<cur_post>{_alternation(_CURRENCY_AFTER)})(?![a-z]))?
    (?:\s*(?P<suffix>{_alternation(_SUFFIX)})(?![a-z]))?
    """,
    re.IGNORECASE | re.VERBOSE,
)
_LETTER = re.compile("[a-z]", re.IGNORECASE)
_DIGIT = re.compile("[0-9]")
_CONVERSION = re.compile(r"\s*[(（]\s*(?P<inner>[^()（）]{1,60}?)\s*[)）]")
_SUFFIX_AT_END = re.compile(rf"\s*(?:{_alternation(_SUFFIX)})$", re.IGNORECASE)


# --- numbers ------------------------------------------------------------------------------------


def _words_value(phrase: str) -> int:
    """Value of English number words ("thirty-five", "one hundred and five", "a million");
    ValueError when the words do not form one number ("five three")."""
    total, group, last, last_scale = 0, 0, None, math.inf
    for word in re.split(r"[\s-]+", phrase.lower()):
        if word == "and":
            continue
        if word in ("a", "an"):
            group, last = 1, "small"
        elif word in _WORD_VALUE:
            value = _WORD_VALUE[word]
            kind = "tens" if value >= 20 else "small"
            if last == "small" or (last == "tens" and not 1 <= value <= 9):
                raise ValueError(f"number words out of order in {phrase!r}")
            group, last = group + value, kind
        elif word == "hundred":
            if not 1 <= group <= 99 or last == "hundred":
                raise ValueError(f"misplaced 'hundred' in {phrase!r}")
            group, last = group * 100, "hundred"
        else:
            scale = _EN_SCALES[word]
            if group == 0 or scale >= last_scale:
                raise ValueError(f"misplaced {word!r} in {phrase!r}")
            total, group, last, last_scale = total + group * scale, 0, "scale", scale
    return total + group


def _cn2an(token: str, mode: str) -> Decimal:
    """cn2an's reading of a Chinese (or mixed) numeral; ValueError when it has none."""
    import cn2an

    try:
        return Decimal(str(cn2an.cn2an(token, mode)))
    except (ValueError, LookupError):  # cn2an raises KeyError on some malformed input ("0亿0")
        raise ValueError(f"{token!r} is not a Chinese numeral") from None


def _zh_value(token: str) -> Decimal:
    """Value of a Chinese numeral (一千六百, 两千, 百 = 一百, 一点五亿) read by cn2an."""
    if token[0] in "百千万亿佰仟":
        token = "一" + token
    head = token.rstrip("万亿")
    scale = {"万": 10**4, "亿": 10**8, "万亿": 10**12}.get(token[len(head) :])
    try:
        return _cn2an(token, "normal")
    except ValueError:
        if not head or scale is None:
            raise
        return _cn2an(head, "normal") * scale


def _number(m: re.Match) -> Decimal:
    """The plain value of a matched number with its magnitude."""
    if m["digits"]:
        value = Decimal(m["digits"].replace(",", "").replace("−", "-"))
    elif m["pct_zh"]:
        token = m["pct_zh"]
        value = Decimal(token) if token[0].isdigit() else _zh_value(token)
    elif m["mixed"]:
        value = _cn2an(m["mixed"], "smart")
    elif m["zh"]:
        value = _zh_value(m["zh"])
    else:
        value = Decimal(_words_value(m["words"]))
    if m["mag"]:
        value *= _MAGNITUDE[m["mag"].lower()]
    if m["mag_zh"]:
        value *= math.prod(_MAGNITUDE_ZH[c] for c in m["mag_zh"])
    return value


def _count(token: str) -> int:
    """A whole number written in digits, English words or Chinese numerals."""
    if token[0].isdigit():
        return int(token.replace(",", ""))
    if token[0].isascii():
        return _words_value(token)
    return int(_zh_value(token))


def _ordinal_value(phrase: str) -> int:
    """Value of ordinal words: "twenty-third" -> 23."""
    *tens, last = re.split(r"[\s-]+", phrase.lower())
    return sum(_WORD_VALUE[t] for t in tens) + _EN_ORDINALS[last]


def _qualifier(m: re.Match, suffix: str | None) -> str:
    """The one qualifier of a figure; ValueError when its words disagree."""
    if not (m["qual"] or m["sym"] or m["mid"] or m["mid2"] or suffix):
        return "exact"
    stated = {_PREFIX[_key(m["qual"])]} if m["qual"] else set()
    if m["sym"]:
        stated.add(_SYMBOLS[m["sym"]])
    for mid in (m["mid"], m["mid2"]):
        if mid:
            stated.add(_AFTER_NUMBER[mid.lower().lstrip("-")])
    if suffix:
        stated.add(_SUFFIX[_key(suffix)])
    stated.discard("exact")
    if len(stated) > 1:
        raise ValueError(f"conflicting qualifiers {sorted(stated)}")
    return stated.pop() if stated else "exact"


def _currency(m: re.Match) -> str | None:
    if not (m["cur_pre"] or m["cur_post"]):
        return None
    found = set()
    if m["cur_pre"]:
        found.add(_CURRENCY_BEFORE[_key(m["cur_pre"])])
    if m["cur_post"]:
        found.add(_CURRENCY_AFTER[_key(m["cur_post"])])
    if len(found) > 1:
        raise ValueError(f"two currencies {sorted(found)}")
    return found.pop() if found else None


def _build(
    m: re.Match, unit: str | None, suffix: str | None, conversion: Quantity | None = None
) -> Quantity:
    """A Quantity from a match of _QUANTITY; ValueError when its parts do not agree."""
    digits = m["digits"]
    plain = digits and digits.isdecimal() and not (m["mag"] or m["mag_zh"])  # the common case
    value = float(digits) if plain else float(_number(m))
    qualifier = _qualifier(m, m["suffix"] or suffix)
    if m["pct"] or m["pct_zh"]:
        unit = "%"
    low, high = interval(value, qualifier)
    return Quantity(value, unit, _currency(m), qualifier, low, high, m.span(), conversion)


def _conversion(text: str, pos: int) -> tuple[Quantity | None, int]:
    """A bracketed figure with a currency right after ``pos``: the stated conversion."""
    bracket = _CONVERSION.match(text, pos)
    if not bracket:
        return None, pos
    inner = _QUANTITY.fullmatch(text, bracket.start("inner"), bracket.end("inner"))
    if not inner or not (inner["cur_pre"] or inner["cur_post"]):
        return None, pos
    try:
        return _build(inner, None, None), bracket.end()
    except ValueError:
        return None, pos
