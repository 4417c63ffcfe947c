"""Text structure: language, paragraphs (the locators), sentences and clauses.

>>> text = "Guiyang news\\n\\nGuiyang ranked 23rd. 贵阳排名第23位。"
>>> [text[a:b] for p in paragraphs(text) for a, b in sentences(text, *p)]
['Guiyang news', 'Guiyang ranked 23rd.', '贵阳排名第23位。']
"""

from __future__ import annotations

import re

# The largest report read (8 MiB, some 2.8 million Chinese characters, a few books): text of
# nothing but short numeric lines is read at about 0.1 MB/s, so this bounds a draft to ~90 s.
MAX_TEXT_BYTES = 8 * 2**20
_WORD_RE = re.compile(r"[a-z0-9]+")


def text_limit() -> int:
    """The largest text read, as set on the package (``innostudy.extract.MAX_TEXT_BYTES``)."""
    import innostudy.extract

    return innostudy.extract.MAX_TEXT_BYTES


def detect_language(text: str) -> str:
    """The language of a text: "zh" when Chinese characters outweigh Latin letters, else "en".

    >>> detect_language("累计入驻专家4984名"), detect_language("4,984 experts joined")
    ('zh', 'en')
    """
    cjk = len(_CJK.findall(text))
    return "zh" if cjk * 3 > len(_LATIN.findall(text)) else "en"


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
    piece = text[start:end]
    kept = piece.lstrip()
    start += len(piece) - len(kept)
    return start, start + len(kept.rstrip())


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
