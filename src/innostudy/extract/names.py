"""Names of places, programmes and organisations found in running text."""

from __future__ import annotations

import re
from typing import NamedTuple

import pandas as pd

from innostudy.extract.lexicon import _forms
from innostudy.extract.structure import _CJK


class _Mention(NamedTuple):
    start: int
    end: int
    entity_ids: tuple[str, ...]  # more than one when the name is ambiguous
    kind: str
    text: str


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


def _resolved(mention: _Mention) -> tuple[str | None, str | None]:
    ids = mention.entity_ids
    return (ids[0] if len(ids) == 1 else None), mention.text
