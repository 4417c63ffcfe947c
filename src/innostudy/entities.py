"""Resolve place and programme names, in English, pinyin or Chinese, to the project's entity ids.

>>> from innostudy import entities
>>> m = entities.resolve("贵阳市")
>>> m.status, m.entity_id, m.name_en, m.province, m.adcode
('resolved', 'guiyang', 'Guiyang', 'guizhou', '520100')
>>> entities.resolve("Guìyáng").entity_id, entities.resolve("gui'an new area").entity_id
('guiyang', 'guian_new_area')
>>> entities.resolve("Taizhou").candidates
('taizhou_jiangsu', 'taizhou_zhejiang')
>>> entities.resolve("Guiyang National High-tech Zone").prefecture
'guiyang'
>>> entities.resolve("Guiyang National High-tech Zone", kind="city").entity_id
'guiyang'
>>> entities.resolve("Atlantis").status
'unknown'

A name is looked up after folding case, accents (tone marks), spaces, hyphens, apostrophes and
tone digits, so "Gui'an", "Guian" and "gui4an1" are one key; on a miss, one generic suffix ("City",
"Prefecture", "League", "Province", 市, 省 ...) is dropped and the lookup tried again. A name shared by
several entities (Taizhou, Suzhou, Jilin, Hainan) is ``ambiguous`` with its ``candidates``, never a
guess: pass ``kind=`` or the Chinese name. With ``kind="city"`` (or ``"prefecture"``), a zone or new
area is followed up its ``parent_id`` chain to the unit it lies in; a municipality counts as a city.

**Names as they were in a year.** ``resolve(name, year=2015)`` uses the cited table of changes
of :mod:`innostudy.divisions`. Units that ended since 2000 have their own ids and their last year
in ``valid_to`` (莱芜市 ``laiwu``, merged into 济南市 in 2019; 巢湖市 ``chaohu``, split in 2011;
柳州地区 ``liuzhou_prefecture``); asked about a year in which a unit was not a prefecture-level
division (莱芜市 in 2020, 来宾市 in 2000), the status is "defunct", ``successor_ids`` says where
its area went and ``message`` what happened, with the source. A renamed unit, or a 地区 that
became a 市, is one entity under all its names in every year: 襄樊市 and 襄阳市 are both
``xiangyang`` in 2005 and in 2020, because panels that write today's name for every year are
common and not wrong; where the name was not in use in the year asked, ``note`` (and the
message) says what the unit was called then. Without a year, today's names resolve as before and
a former or ended unit's name resolves to its unit, with a note.

>>> m = resolve("巢湖市", year=2012)
>>> m.status, m.successor_ids
('defunct', ('hefei', 'wuhu', 'maanshan'))
>>> resolve("襄阳市", year=2005).note
'not its name in 2005: it was named 襄樊市'

The names come from three tables. ``data/entities.csv`` (the project's entities: zones, new areas,
programmes ...) wins over the gazetteer for the same GB/T 2260 code, and the gazetteer's names for
that unit become its aliases. ``innostudy/data/divisions.csv`` adds the units that ended and the
former names (see :func:`innostudy.divisions.build_table`). ``innostudy/data/gazetteer.csv`` holds
the 34 province-level and 333 prefecture-level divisions (cities, and the autonomous prefectures,
prefectures and leagues whose kind here is ``prefecture``) with codes, Chinese full and short names,
pinyin with tones and English names. It is generated, not typed: :func:`build_gazetteer` rebuilds it
from jionlp's location dictionary (``china_location_loader``, divisions as of its 2023 changes) and
its pinyin, and a test checks that the shipped file is what it builds. Hand-kept are only what no
package has: the English exonyms that are not pinyin (Hohhot, Urumqi, Lhasa, Inner Mongolia ...) and
six place-name readings jionlp gets wrong (朝阳 Chaoyang, 漯河 Luohe, 昌都 Changdu, and three tones).

Why these packages: jionlp's dictionary is current (Laiwu merged into Jinan, Nagqu a city) and
carries codes and short names; cpca's ``adcodes.csv`` (last release 2021) still lists Laiwu and
Nagqu Prefecture. jionlp is heavy (about 170 MB with its jiojio dependency, up to 0.6 s to import,
and it prints a banner), so it is needed only to rebuild the file (the ``dev`` extra), never at run
time. Its pinyin reads the 367 names better than pypinyin (which is 60 times faster but misreads 8,
among them 长治 as Zhangzhi; jionlp misreads 5 and drops one tone), so pypinyin is not used. Entity
ids follow the project's slugs:
toneless pinyin of the short name (``guiyang``, ``qiandongnan``); a pinyin shared by two units gets
its province appended (``taizhou_jiangsu``, ``taizhou_zhejiang``, ``jilin_jilin``).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from innostudy import divisions as _divisions
from innostudy import paths

GAZETTEER_CSV = paths.PACKAGE_DATA / "gazetteer.csv"
COLUMNS = ("entity_id", "name_en", "name_zh", "kind", "parent_id", "province", "adcode", "aliases")
STATUSES = ("resolved", "ambiguous", "unknown", "defunct")
MUNICIPALITIES = ("110000", "120000", "310000", "500000")  # province-level cities
_CONTAINERS = ("city", "prefecture")  # kinds a zone or new area is followed up to

_SUFFIXES = sorted(
    "city municipality prefecture autonomousprefecture league province autonomousregion region "
    "specialadministrativeregion shi sheng 市 省 地区 盟 州 自治州 自治区".split(),
    key=len,
    reverse=True,
)


@dataclass(frozen=True)
class Match:
    """What a name resolved to. ``status`` is "resolved" (the entity's fields are set),
    "ambiguous" (``candidates`` lists the entity ids that bear the name), "unknown", or
    "defunct": the name's unit (fields set) was not a prefecture-level division in the year asked,
    ``note`` says why and ``successor_ids`` where its area went. ``prefecture`` is the
    prefecture-level unit the entity lies in (itself for a city); ``valid_from`` and ``valid_to``
    are the first and last years of a unit that began or ended since 2000 (None: open)."""

    query: str
    status: str
    entity_id: str | None = None
    name_en: str | None = None
    name_zh: str | None = None
    kind: str | None = None
    province: str | None = None
    adcode: str | None = None
    parent_id: str | None = None
    prefecture: str | None = None
    candidates: tuple[str, ...] = ()
    successor_ids: tuple[str, ...] = ()
    valid_from: int | None = None
    valid_to: int | None = None
    note: str | None = None

    @property
    def message(self) -> str:
        """One sentence on the outcome, for review tables and error messages."""
        if self.status == "defunct":
            return str(self.note)
        if self.status == "resolved":
            said = f"{self.query!r} is {self.entity_id} ({self.name_en}, {self.kind})"
            return said + (f"; {self.note}" if self.note else "")
        if self.status == "ambiguous":
            return f"{self.query!r} may be any of {', '.join(self.candidates)}; pass kind= or a fuller name"
        return f"{self.query!r} names no known entity"


def _key(name: str) -> str:
    """Lookup key: lower-case letters without accents and Chinese characters, nothing else."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in folded if ("a" <= c <= "z") or ("\u4e00" <= c <= "\u9fff"))


def _aliases(text: str) -> list[str]:
    return [a for a in text.split("|") if a.strip()]


class Gazetteer:
    """The project's entities plus every province- and prefecture-level division, by name,
    today's and those that ended since 2000 (from :func:`innostudy.divisions.changes`).

    ``entities`` is the project's entity table (a DataFrame with :data:`COLUMNS`, e.g.
    ``innostudy.load_dataset().entities``, or a CSV path); by default ``data/entities.csv``.
    """

    def __init__(self, entities: pd.DataFrame | str | Path | None = None):
        project = _read_entities(entities)
        divisions = pd.read_csv(GAZETTEER_CSV, dtype=str, keep_default_na=False)
        history = _divisions.changes()
        ended = history[history["kind"].isin(_divisions.ENDS)]
        defunct = pd.DataFrame(
            {"entity_id": ended["unit_id"], "name_en": ended["unit_name_en"],
             "name_zh": ended["old_name_zh"],
             "kind": np.where(ended["old_name_zh"].str.endswith("地区"), "prefecture", "city"),
             "parent_id": ended["province"], "province": ended["province"],
             "adcode": ended["old_adcode"], "aliases": "", "pinyin": ""}
        )  # fmt: skip
        divisions = pd.concat([divisions, defunct], ignore_index=True)
        owner = {c: i for c, i in zip(project["adcode"], project["entity_id"], strict=True) if c}
        kept = divisions[~divisions["adcode"].isin(owner)]
        clash = sorted(set(kept["entity_id"]) & set(project["entity_id"]))
        if clash:
            raise ValueError(
                f"data/entities.csv uses the gazetteer's ids {clash} for other units (their "
                "adcodes differ); give those entities their adcode or another id"
            )
        self.table = pd.concat([project, kept[list(COLUMNS)]], ignore_index=True)
        self._rows = {row["entity_id"]: row for row in self.table.to_dict("records")}
        self._kinds = set(self.table["kind"])
        self._index: dict[str, set[str]] = {}
        for row in project.itertuples(index=False):
            self._add(
                row.entity_id, row.entity_id, row.name_en, row.name_zh, *_aliases(row.aliases)
            )
        target = {}
        for row in divisions.itertuples(index=False):
            target[row.entity_id] = owner.get(row.adcode, row.entity_id)
            names = (row.entity_id, row.name_en, row.name_zh, row.pinyin, *_aliases(row.aliases))
            self._add(target[row.entity_id], *names)
        self._target = target
        self._history(history)

    def _history(self, history: pd.DataFrame) -> None:
        """Dated names and units from the change table: a unit's first or last year
        (``_valid``), the change that began or ended it, and when each of its names was in use."""
        self._valid: dict[str, tuple[int | None, int | None]] = {}
        self._change: dict[str, object] = {}
        self._named: dict[tuple[str, str], list[int | None]] = {}  # (id, key) -> [from, to]
        renamed: dict[str, list[tuple[str, int]]] = {}  # id -> (former name, year it changed)
        for change in history.itertuples(index=False):
            unit = self._target[change.unit_id]
            self._change[unit] = change
            start, end = self._valid.get(unit, (None, None))
            if change.kind in _divisions.ENDS:
                self._valid[unit] = (start, change.year - 1)
                if not self._index.get(_key(_bare(change.old_name_zh))):
                    self._add(unit, _bare(change.old_name_zh))
            elif change.kind == "established":
                self._valid[unit] = (change.year, end)
            else:
                old, new = change.old_name_zh, change.new_name_zh
                self._add(unit, old, _bare(old), change.old_name_en)
                pairs = [(old, new)]
                if _bare(old) != _bare(new):  # a new name, not only a new suffix: 襄樊 -> 襄阳
                    pairs += [
                        (_bare(old), _bare(new)),
                        (change.old_name_en, self._rows[unit]["name_en"]),
                    ]
                for before, after in pairs:
                    self._named.setdefault((unit, _key(before)), [None, None])[1] = change.year - 1
                    self._named.setdefault((unit, _key(after)), [None, None])[0] = change.year
                renamed.setdefault(unit, []).append((old, change.year))
        # each unit's full names with the years they were borne: 思茅地区 -2002, 思茅市 2003-2006 ...
        self._names: dict[str, list[tuple[str, int | None, int | None]]] = {}
        for unit, names in renamed.items():
            starts = [None] + [year for _, year in names]
            ends = [year - 1 for _, year in names] + [None]
            current = [*(name for name, _ in names), self._rows[unit]["name_zh"]]
            self._names[unit] = list(zip(current, starts, ends, strict=True))

    def _add(self, entity_id: str, *names: str) -> None:
        for name in names:
            if key := _key(name):
                self._index.setdefault(key, set()).add(entity_id)

    def _lookup(self, name: str) -> tuple[str, set[str]]:
        """The key a name was found under and the entities that bear it."""
        key = _key(name)
        if key in self._index:
            return key, self._index[key]
        for suffix in _SUFFIXES:
            if key.endswith(suffix) and key[: -len(suffix)] in self._index:
                return key[: -len(suffix)], self._index[key[: -len(suffix)]]
        return key, set()

    def _is_kind(self, entity_id: str, kind: str) -> bool:
        row = self._rows[entity_id]
        return row["kind"] == kind or (kind == "city" and row["adcode"] in MUNICIPALITIES)

    def _lineage(self, entity_id: str) -> list[str]:
        """The entity and its parents, nearest first."""
        chain = [entity_id]
        while (parent := self._rows[chain[-1]]["parent_id"]) and parent in self._rows:
            if parent in chain:
                raise ValueError(f"parent_id loops through {chain + [parent]}")
            chain.append(parent)
        return chain

    def _alive(self, entity_id: str, year: int) -> bool:
        start, end = self._valid.get(entity_id, (None, None))
        return (start is None or start <= year) and (end is None or year <= end)

    def resolve(self, name: str, kind: str | None = None, year: int | None = None) -> Match:
        """Resolve one name, as it was in ``year`` if given; see the module docstring.

        >>> Gazetteer().resolve("Jilin", kind="province").entity_id
        'jilin'
        """
        key, ids = self._lookup(name) if isinstance(name, str) else ("", set())
        if kind is not None and kind not in self._kinds:
            raise ValueError(f"unknown kind {kind!r}; expected one of {sorted(self._kinds)}")
        if kind is not None:
            own = {i for i in ids if self._is_kind(i, kind)}
            if not own and kind in _CONTAINERS:  # a zone, new area ... -> the unit it lies in
                own = {self._container(i, (kind,)) for i in ids} - {None}
            ids = own
        if year is not None:
            year = _whole_year(year)
            ids = {i for i in ids if self._alive(i, year)} or ids
        if not ids:
            return Match(str(name), "unknown")
        if len(ids) > 1:
            return Match(str(name), "ambiguous", candidates=tuple(sorted(ids)))
        (entity_id,) = ids
        fields = {c: self._rows[entity_id][c] or None for c in COLUMNS[1:7]}
        prefecture = self._container(entity_id, _CONTAINERS)
        start, end = self._valid.get(entity_id, (None, None))
        status, note = "resolved", self._name_note(entity_id, key, year)
        change = self._change.get(entity_id)
        successors = ()
        if change is not None and change.kind in _divisions.ENDS:
            successors = tuple(self._target[s] for s in change.successor_ids.split(";"))
        if year is not None and not self._alive(entity_id, year):
            status = "defunct"
            note = f"{fields['name_zh']} was not a prefecture-level division in {year}: "
            note += self._what(change)
        elif year is None and end is not None:
            note = f"not a prefecture-level division since {end + 1}: {self._what(change)}"
        return Match(str(name), status, entity_id, **fields, prefecture=prefecture,
                     successor_ids=successors, valid_from=start, valid_to=end, note=note)  # fmt: skip

    def _what(self, change) -> str:
        """What a change did, in words, with its source."""
        if change.kind == "established":
            what = "became one"
        else:
            ids = [self._target[s] for s in change.successor_ids.split(";")]
            successors = [f"{self._rows[s]['name_zh']} ({s})" for s in ids]
            verb = {"merged": "merged into", "split": "split among"}.get(change.kind, "went to")
            what = f"{verb} {', '.join(successors)}"
        return f"{what} in {change.year} (source: {change.citation})"

    def _name_note(self, entity_id: str, key: str, year: int | None) -> str | None:
        """Says so when the name was not in use in ``year`` (or is a former one)."""
        start, end = self._named.get((entity_id, key), (None, None))
        if year is None:
            return None if end is None else f"a former name, in use until {end}"
        if (start is None or start <= year) and (end is None or year <= end):
            return None
        then = [n for n, a, b in self._names[entity_id] if (a or year) <= year <= (b or year)]
        return f"not its name in {year}: it was named {then[0]}" if then else None

    def _container(self, entity_id: str, kinds: tuple[str, ...]) -> str | None:
        """The nearest of the entity and its parents that is of one of ``kinds``."""
        lineage = self._lineage(entity_id)
        return next((a for a in lineage if any(self._is_kind(a, k) for k in kinds)), None)

    def resolve_many(self, names, kind: str | None = None, year=None) -> pd.DataFrame:
        """:meth:`resolve` over a Series (each distinct name, or name and year, once): one row per
        name, same index, columns query, status, entity_id, name_en, name_zh, kind, province,
        adcode, parent_id, prefecture, candidates and successor_ids ("|"-joined), valid_from,
        valid_to, note and message. ``year`` is one year for all names or one per name (a Series
        on the same index, or a sequence as long). A missing name (None, NaN) gives an empty row:
        there was nothing to resolve."""
        names = names if isinstance(names, pd.Series) else pd.Series(names)
        years = None
        if pd.api.types.is_list_like(year):
            years = year.reindex(names.index) if isinstance(year, pd.Series) else year
            years = pd.Series(list(years), index=names.index)
        keys = names
        if years is not None:
            pairs = [None if pd.isna(n) else (n, y) for n, y in zip(names, years, strict=True)]
            keys = pd.Series(pairs, index=names.index, dtype=object)
        codes, uniques = pd.factorize(keys, use_na_sentinel=True)
        fields = [f for f in Match.__dataclass_fields__ if f not in ("candidates", "successor_ids")]
        rows = []
        for unique in uniques.tolist():
            n, y = unique if years is not None else (unique, year)
            match = self.resolve(n, kind) if y is None or pd.isna(y) else self.resolve(n, kind, y)
            row = {f: getattr(match, f) for f in fields}
            rows.append(row | {"candidates": "|".join(match.candidates) or None,
                               "successor_ids": "|".join(match.successor_ids) or None,
                               "message": match.message})  # fmt: skip
        empty = dict.fromkeys([*fields, "candidates", "successor_ids", "message"])
        table = pd.DataFrame([*rows, empty], columns=list(empty), dtype="str")
        for column in ("valid_from", "valid_to"):
            table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")
        out = table.iloc[np.where(codes < 0, len(uniques), codes)]
        out.index = names.index
        return out


def _whole_year(year) -> int:
    """A year as an int; "2015年" or 2015.5 is refused (clean the column first)."""
    try:
        number = float(year)
    except (TypeError, ValueError):
        number = float("nan")
    if not number.is_integer():
        raise ValueError(f"year must be a whole year such as 2015, not {year!r}")
    return int(number)


def _bare(name: str) -> str:
    """A Chinese unit name less its 地区, 盟 or 市 (襄樊市 -> 襄樊)."""
    for suffix in ("地区", "盟", "市"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _read_entities(entities) -> pd.DataFrame:
    """The project's entity table as text, missing cells as ""."""
    if entities is None:
        from innostudy.dataset import DATA_DIR

        entities = DATA_DIR / "entities.csv"
    if not isinstance(entities, pd.DataFrame):
        entities = pd.read_csv(entities, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in entities.columns]
    if missing:
        raise ValueError(f"the entity table lacks columns {missing}; expected {list(COLUMNS)}")
    return entities[list(COLUMNS)].astype(object).fillna("").astype(str)


@functools.lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The default Gazetteer (``data/entities.csv`` plus the divisions), built once."""
    return Gazetteer()


def resolve(name: str, kind: str | None = None, year: int | None = None) -> Match:
    """Resolve one name, as it was in ``year`` if given, with the default :func:`gazetteer`.

    >>> m = resolve("莱芜市", year=2020)
    >>> m.status, m.entity_id, m.adcode, m.successor_ids
    ('defunct', 'laiwu', '371200', ('jinan',))
    >>> print(m.message)                                    # doctest: +ELLIPSIS
    莱芜市 was not a prefecture-level division in 2020: merged into 济南市 (jinan) in 2019 (source: ...)
    >>> resolve("莱芜市", year=2015).status, resolve("襄樊", year=2005).entity_id
    ('resolved', 'xiangyang')
    """
    return gazetteer().resolve(name, kind, year)


def resolve_many(names, kind: str | None = None, year=None) -> pd.DataFrame:
    """Resolve a Series of names with the default :func:`gazetteer`.

    >>> resolve_many(pd.Series(["包头", "Suzhou", "Atlantis"]))[["status", "entity_id"]]
          status entity_id
    0   resolved    baotou
    1  ambiguous       NaN
    2    unknown       NaN
    >>> panel = pd.DataFrame({"city": ["莱芜市", "莱芜市", "巢湖"], "year": [2018, 2019, 2010]})
    >>> resolve_many(panel["city"], year=panel["year"])[["status", "entity_id", "successor_ids"]]
         status entity_id        successor_ids
    0  resolved     laiwu                jinan
    1   defunct     laiwu                jinan
    2  resolved    chaohu  hefei|wuhu|maanshan
    """
    return gazetteer().resolve_many(names, kind, year)


# --- building the gazetteer (developers only: needs the dev extra) ------------------------------

# English names that are not the pinyin of the Chinese name.
_EXONYMS = {
    "内蒙古": "Inner Mongolia", "陕西": "Shaanxi", "西藏": "Xizang", "香港": "Hong Kong",
    "澳门": "Macao", "呼和浩特": "Hohhot", "鄂尔多斯": "Ordos", "呼伦贝尔": "Hulunbuir",
    "巴彦淖尔": "Bayannur", "乌兰察布": "Ulanqab", "兴安": "Hinggan", "锡林郭勒": "Xilingol",
    "阿拉善": "Alxa", "哈尔滨": "Harbin", "齐齐哈尔": "Qiqihar", "大兴安岭": "Da Hinggan Ling",
    "乌鲁木齐": "Urumqi", "克拉玛依": "Karamay", "吐鲁番": "Turpan", "博尔塔拉": "Bortala",
    "巴音郭楞": "Bayingolin", "克孜勒苏": "Kizilsu", "喀什": "Kashgar", "和田": "Hotan",
    "伊犁": "Ili", "阿勒泰": "Altay", "拉萨": "Lhasa", "日喀则": "Shigatse", "昌都": "Qamdo",
    "林芝": "Nyingchi", "那曲": "Nagqu", "阿里": "Ngari", "果洛": "Golog", "甘孜": "Garze",
    "阿坝": "Ngawa",
}  # fmt: skip
_OTHER_ENGLISH = {"西藏": "Tibet", "澳门": "Macau", "内蒙古": "Nei Mongol"}
# Readings of place names that jionlp 1.5 gets wrong (checked against the official names).
_PINYIN_FIXES = {
    "朝阳": "cháo yáng", "漯河": "luò hé", "昌都": "chāng dū", "曲靖": "qū jìng",
    "那曲": "nà qū", "葫芦岛": "hú lú dǎo",
}  # fmt: skip


def _plain(syllable: str) -> str:
    """A pinyin syllable without tone marks (ü -> u)."""
    return "".join(c for c in unicodedata.normalize("NFKD", syllable) if c.isascii())


def _joined(syllables: list[str]) -> str:
    """Syllables written as one word, with an apostrophe before a/e/o (Xi'an, Lu'an)."""
    word = "".join(
        ("'" if i and _plain(s)[:1] in ("a", "e", "o") else "") + s for i, s in enumerate(syllables)
    )
    return word[:1].upper() + word[1:]


def _short(full: str, aliases: list[str]) -> str:
    """The short Chinese name: jionlp's longest alias, less 市/州/地区/盟 where it keeps them."""
    short = max(aliases, key=len)
    for suffix in ("地区", "市", "州", "盟"):
        if short.endswith(suffix) and len(short) - len(suffix) >= 2:
            return short[: -len(suffix)]
    return short


def build_gazetteer() -> pd.DataFrame:
    """Rebuild the rows of ``innostudy/data/gazetteer.csv`` from jionlp's location dictionary
    and pinyin.

    Run after upgrading jionlp, then review the diff::

        python -c "from innostudy import entities as e; \\
            e.build_gazetteer().to_csv(e.GAZETTEER_CSV, index=False)"
    """
    import jionlp

    def reading(short: str) -> list[str]:
        fixed = _PINYIN_FIXES.get(short)
        return fixed.split() if fixed else jionlp.pinyin(short, formater="standard")

    rows = []
    for province_full, cities in jionlp.china_location_loader().items():
        province_short = cities["_alias"]
        tones = reading(province_short)
        name_en = _EXONYMS.get(province_short, _joined([_plain(s) for s in tones]))
        province_id = "_".join(_key(w) for w in name_en.split())
        province_code = cities["_admin_code"]
        rows.append(
            dict(entity_id=province_id, name_en=name_en, name_zh=province_full, kind="province",
                 parent_id="", province=province_id, adcode=province_code,
                 aliases=[province_short, _OTHER_ENGLISH.get(province_short, "")], pinyin=tones)
        )  # fmt: skip
        if province_code[:2] in ("71", "81", "82"):
            continue  # Taiwan, Hong Kong, Macao: province level only
        for city_full, city in cities.items():
            code = city["_admin_code"] if isinstance(city, dict) else ""
            if city_full.startswith("_") or code == province_code or code.endswith("9000"):
                continue  # the municipality itself, or "directly administered counties"
            short = _short(city_full, city["_alias"])
            tones = reading(short)
            plain = _joined([_plain(s) for s in tones])
            kind = "city" if city_full.endswith("市") else "prefecture"
            suffix = {"州": "州", "区": "地区", "盟": "盟"}.get(city_full[-1], "")
            english = _EXONYMS.get(short, plain)
            if kind == "prefecture":
                english += " League" if city_full.endswith("盟") else " Prefecture"
            rows.append(
                dict(entity_id=_key(plain), name_en=english, name_zh=city_full, kind=kind,
                     parent_id=province_id, province=province_id, adcode=code,
                     aliases=[short, short + suffix, *city["_alias"],
                              plain if short in _EXONYMS else ""],
                     pinyin=tones)
            )  # fmt: skip
    table = pd.DataFrame(rows)
    taken = table["entity_id"].duplicated(keep=False) & (table["kind"] != "province")
    table.loc[taken, "entity_id"] += "_" + table.loc[taken, "province"]
    table["pinyin"] = table["pinyin"].map(_joined)
    table["aliases"] = [
        "|".join(dict.fromkeys(a for a in aliases if a and a not in (zh, en)))
        for aliases, zh, en in zip(
            table["aliases"], table["name_zh"], table["name_en"], strict=True
        )
    ]
    return table.sort_values("adcode", ignore_index=True)
