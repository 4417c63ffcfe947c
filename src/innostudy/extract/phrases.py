"""The quantity a figure counts, read from its noun phrase, and indicators proposed from it.

When no codebook indicator fits a figure, :func:`noun_phrase` reads what the figure counts from
the words around it, and :func:`propose` turns that into a proposed indicator: a readable id, a
label, a unit and the comparability group it would start. The same words give the same id in
every report, so the proposals for one quantity meet under one id.

English: the words after the figure (its unit, as :func:`innostudy.clean.find_figures` reads it)
up to the first function word, verb or punctuation: "57 technology roadshows were held" ->
"technology roadshows"; an amount of money reads the phrase after "of/on/in/for" ("3.2 billion
yuan of venture capital") and, failing words after the figure, the phrase just before it, less
the verb and qualifier words between ("public spending on science reached 1.1 billion yuan").

Chinese: the measure word after the number (项/名/个/家/所/场, or 亿元 for money) and the noun
after it ("举办路演46场" is read the other way: the noun before the number, less the verbs and
the qualifier words that govern the number: 累计, 共, 达到, 超过, 逾, 近, 突破). A Chinese phrase
gets an English id from the glossary below when every part of it is known ("科技型中小企业" ->
``tech_smes``); otherwise ``quantity_<hash>``, stable across reports, for the reviewer to rename.

Why rules and no statistical parser (evaluated 2026-11-30, spaCy 3.8.18, MIT licence): spaCy's
small pipelines cannot be installed from PyPI, where this project installs from: ``en_core_web_sm``
is not on PyPI at all (it is published as a release file of its own repository) and the PyPI name
``zh-core-web-sm`` holds a placeholder (version 999.9.9) whose build fails by design (``pip
download zh-core-web-sm`` stops at "metadata-generation-failed"). So neither could be run here,
nor by CI from requirements.lock. spaCy itself installs (about 40 MB with its dependencies); its
blank pipelines, which only tokenize, read 1 MB of the evaluation texts at 13.6 MB/s (English) and
0.24 MB/s (Chinese, character segmentation) of CPU time on this machine: the Chinese tokenizer
alone is under the 1 MB/s budget, before any tagging or parsing. These rules take a few per cent
of the extraction's time (benchmarks/extract_eval.py) and are scored on held-out texts there.

>>> noun_phrase("The roadshows produced 212 cooperation contracts.", 23, 26, "en")
Phrase(words=('cooperation', 'contracts'), text='cooperation contracts', after=True)
>>> p = propose(noun_phrase("累计走访企业超过600家", 6, 11, "zh"), "count", None)
>>> p.indicator_id, p.label, p.phrase
('enterprises', '企业', '企业 #')
"""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

# Words that end an English noun phrase: function words, auxiliaries and common verbs of the genre.
_STOP = frozenset(
    """a an the and or but nor of in on at to for from by with into onto over under between
    among across through during since until after before about above below than as per via
    this that these those its their his her our your my it they we he she who which whom whose
    what where when while is are was were be been being has have had do does did will would can
    could shall should may might must not no so also too very more most less least new additional
    other each every all some any such same own up down out off only just nearly almost over
    reached reach reaches totalled totaled totaling totalling hit stood stands stand rose rising
    grew grow grows increased increase fell dropped came come comes took take taking made make
    set sets put held hold holds signed sign joined join registered register attracted attract
    brought bring opened open built build added add trained train helped help solved solve
    organised organized organise organize donated donate logged recruited recruit invested invest
    spent spend released release produced produce drew draw host hosts hosted count counts
    counted lists listed named including include includes total worth respectively year years
    month months day days percent yuan dollars times now currently already still a per work
    works serve serves operate operates remain remains cover covers provide provides offer offers
    employ employs say says said get gets got go goes went become became give gave win won receive
    each""".split()
)
_MONEY_LINK = frozenset("of on in for".split())
_BEFORE_SKIP = _STOP | frozenset("around roughly approximately some nearly almost".split())
_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
    "hundred thousand million billion dozens hundreds thousands".split()
)
_EN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’-]*|\d+")
_MAX_WORDS = 5

# Chinese: measure words after a number; words that end a phrase; verbs and qualifier words
# that stand between a noun and its number.
MEASURES = ("人次", "亿元", "万元", "千元", "元", "项", "名", "个", "家", "所", "座", "场", "次",
             "人", "件", "位", "支", "批", "台", "篇", "份", "条", "处", "只", "种", "类", "届")  # fmt: skip
_ZH_STOP = re.compile(r"[^\u3400-\u9fff]|[和与及或等的了是为在]")
# Verbs inside a run of Chinese characters: the noun phrase is what stands after the last one
# (before a number) or before the first one (after a number).
_ZH_VERBS = re.compile(
    "解决|走访|举办|组织|引进|建成|征集|收集|发布|发放|吸引|促成|培训|开展|安排|"
    "签约|收到|入选|上榜|拥有|建设|新建|新增|落地|帮助|实现|完成|达到|入驻|注册|加入|"
    "参与|参加|惠及|覆盖|涵盖|深入|确定|认定|获批|获得|取得|培育|培养|孵化"
)
_ZH_LEADING = ("今年以来", "今年上半年", "上半年", "下半年", "全年", "全市", "全区", "全省", "全国",
               "全社会", "各类", "各级", "目前", "现有", "拥有", "累计", "共计", "合计", "共",
               "已", "新增", "新建", "新落地", "新", "引进", "建成", "组织", "举办", "开展", "促成",
               "走访", "解决", "发放", "发布", "征集", "收集", "吸引", "帮助", "培训", "安排",
               "签约", "现场", "为企业", "深入", "总数", "达到", "达", "超过", "突破", "逾", "近",
               "约", "有", "入选", "确定", "其中", "同时", "惠及", "市财政", "财政")  # fmt: skip
_ZH_TRAILING = ("达到", "达", "超过", "突破", "逾", "近", "约", "共", "累计", "总数", "总计", "有",
                "为", "是", "增长", "增加", "合计", "共计", "分别")  # fmt: skip
_GLOSSARY = {
    "科技型中小企业": "tech_smes", "高新技术企业": "high_tech_enterprises", "企业": "enterprises",
    "专家": "experts", "人才": "talents", "团队": "teams", "项目": "projects", "成果": "achievements",
    "需求": "demands", "专利": "patents", "平台": "platforms", "路演": "roadshows", "活动": "activities",
    "技术": "technology", "科技": "tech", "创新": "innovation", "研发": "rd", "投入": "investment",
    "投资": "investment", "资金": "funds", "金额": "amount", "机构": "institutions",
    "实验室": "laboratories", "重点": "key", "国家级": "national", "国家": "national",
    "省级": "provincial", "市级": "municipal", "中心": "centres", "研究院": "research_institutes",
    "科研院所": "research_institutes", "院所": "institutes", "工作站": "workstations",
    "院士": "academician", "工程师": "engineers", "海外": "overseas", "校企": "university_enterprise",
    "合作": "cooperation", "难题": "problems", "问题": "problems", "对接": "matchmaking",
    "服务": "service", "培训": "training", "骨干": "staff", "众创空间": "maker_spaces",
    "孵化器": "incubators", "创新券": "innovation_vouchers", "高层次": "high_level",
    "小巨人": "little_giant", "专精特新": "specialised", "先导": "leading", "榜": "list",
    "推荐": "recommendation", "材料": "materials", "单位": "units", "学会": "societies",
    "会员": "members", "志愿者": "volunteers", "讲座": "lectures", "科普": "science_popularisation",
    "基地": "bases", "园区": "parks", "产业": "industries", "产值": "output_value",
    "营业收入": "revenue", "收入": "revenue", "税收": "tax_revenue", "合同": "contracts",
    "成交额": "turnover", "经纪人": "brokers", "工程": "engineering", "研究": "research",
    "总投资": "total_investment", "签约": "signed", "技术经纪人": "technology_brokers",
}  # fmt: skip
_GLOSSARY_RE = re.compile("|".join(sorted(map(re.escape, _GLOSSARY), key=len, reverse=True)))


class Phrase(NamedTuple):
    """What a figure counts: the words of its noun phrase (English) or its text (Chinese), and
    whether it stands after the figure (else before)."""

    words: tuple[str, ...]
    text: str
    after: bool


class Proposal(NamedTuple):
    """A proposed indicator: id, label, codebook unit, comparability group, lexicon phrase."""

    indicator_id: str
    label: str
    unit: str
    group: str
    phrase: str


def noun_phrase(text: str, start: int, end: int, lang: str, money: bool = False) -> Phrase | None:
    """The noun phrase of the figure at ``text[start:end]`` (``text`` is the figure's clause or
    more; ``money`` when the figure is an amount of money), or None."""
    if lang == "zh":
        return _zh_phrase(text, start, end)
    return _en_phrase(text, start, end, money)


def _en_phrase(text: str, start: int, end: int, money: bool) -> Phrase | None:
    after = _en_run(_EN_WORD.findall(_first_clause(text[end : end + 120])), money)
    if after:
        return Phrase(tuple(after), " ".join(after), True)
    tokens = _EN_WORD.findall(_last_clause(text[max(0, start - 120) : start]))
    while tokens and tokens[-1].lower() in _BEFORE_SKIP:
        tokens.pop()
    words: list[str] = []
    for i in range(len(tokens) - 1, -1, -1):
        word = tokens[i].lower()
        if word in _STOP or word.isdigit():
            link = word in _MONEY_LINK and words and i > 0 and tokens[i - 1].lower() not in _STOP
            if not link or len(words) + 2 > _MAX_WORDS:
                break
        words.insert(0, word)
        if len(words) == _MAX_WORDS:
            break
    words = _strip_edges(words)
    return Phrase(tuple(words), " ".join(words), False) if words else None


def _en_run(tokens: list[str], money: bool) -> list[str]:
    """The noun phrase at the start of ``tokens`` (the words after a figure)."""
    if money:  # "3.2 billion yuan of venture capital": the phrase follows a preposition
        if not tokens or tokens[0].lower() not in _MONEY_LINK:
            return []
        tokens = tokens[1:]
    while tokens and tokens[0].lower() in ("more", "new", "additional", "other"):
        tokens = tokens[1:]
    words: list[str] = []
    for i, token in enumerate(tokens):
        word = token.lower().replace("’", "'")
        following = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
        if word == "and" and words and following and following not in _STOP:
            if not following.isdigit() and following not in _NUMBER_WORDS:
                words.append(word)  # "scientific and technological achievements"
                continue
        capital_number = word.isdigit() and i > 0 and tokens[i - 1][0].isupper()  # Global 500
        if (word in _STOP or word.isdigit()) and not capital_number:
            break
        if (word.endswith("ed") or word.endswith("ly")) and words:  # "patents licensed"
            break
        words.append(word)
        if len(words) == _MAX_WORDS + 2:
            break
    return _strip_edges(words)


def _strip_edges(words: list[str]) -> list[str]:
    while words and words[-1] in ("and", "of", "on", "in", "for"):
        words = words[:-1]
    while words and words[0] in ("and", "of", "on", "in", "for"):
        words = words[1:]
    return words


def _first_clause(text: str) -> str:
    return re.split(r"[,;:.!?()\[\]，。；：！？（）、]", text, maxsplit=1)[0]


def _last_clause(text: str) -> str:
    return re.split(r"[,;:.!?()\[\]，。；：！？（）、]", text)[-1]


def _zh_phrase(text: str, start: int, end: int) -> Phrase | None:
    rest = text[end : end + 40]
    for word in ("以上", "余", "多", "左右"):
        rest = rest.removeprefix(word)
    measure = next((m for m in MEASURES if rest.startswith(m)), "")
    rest = rest[len(measure) :]
    run = _ZH_VERBS.split(_ZH_STOP.split(rest, maxsplit=1)[0], maxsplit=1)[0]
    if measure and len(run) >= 2 and not run.startswith(("增长", "左右", "以上")):
        noun = _zh_trim(run[:10])
        if len(noun) >= 2:
            return Phrase((noun,), noun, True)
    before = _ZH_STOP.split(text[max(0, start - 40) : start])[-1]
    for word in _ZH_TRAILING:  # the qualifier or verb that governs the number
        before = before.removesuffix(word)
    noun = _zh_trim(_ZH_VERBS.split(before)[-1][-12:])
    return Phrase((noun,), noun, False) if len(noun) >= 2 else None


def _zh_trim(run: str) -> str:
    """A Chinese noun run less the verbs, time words and qualifier words at its edges."""
    changed = True
    while changed and run:
        changed = False
        for word in _ZH_TRAILING:
            if run.endswith(word) and len(run) > len(word):
                run, changed = run[: -len(word)], True
        for word in _ZH_LEADING:
            if run.startswith(word) and len(run) > len(word) + 1:
                run, changed = run[len(word) :], True
    return "" if run in _ZH_TRAILING or run in _ZH_LEADING else run


def propose(phrase: Phrase | None, kind: str, currency: str | None) -> Proposal | None:
    """The indicator a noun phrase proposes for a figure of ``kind`` (count, money, percent)."""
    if phrase is None:
        return None
    if _CJK.search(phrase.text):
        ident = _zh_id(phrase.text)
        head = _zh_id(phrase.text, head=True)
        label = phrase.text
        pattern = f"{phrase.text} #" if not phrase.after else f"# {phrase.text}"
    else:
        ident = slug(" ".join(phrase.words))
        head = phrase.words[-1]
        label = phrase.text
        pattern = f"# {phrase.text}" if phrase.after else f"{phrase.text} #"
    if not ident:
        return None
    unit = {"money": currency, "percent": "percent"}.get(kind) or head or "units"
    return Proposal(ident, label, unit, ident, pattern)


_CJK = re.compile(r"[\u3400-\u9fff]")


def _zh_id(text: str, head: bool = False) -> str:
    """An English id from the glossary when it covers the whole text, else ``quantity_<hash>``."""
    parts, at = [], 0
    for m in _GLOSSARY_RE.finditer(text):
        if m.start() != at:
            break
        parts.append(_GLOSSARY[m.group()])
        at = m.end()
    if at == len(text) and parts:
        if head:
            return parts[-1].split("_")[-1]
        return slug(" ".join([*map(_singular, parts[:-1]), parts[-1]]))
    if head:
        return "units"
    return "quantity_" + hashlib.sha1(text.encode()).hexdigest()[:8]


def _singular(words: str) -> str:
    """A glossary noun as a modifier: "experts" in "expert workstations"."""
    if words.endswith("ies"):
        return words[:-3] + "y"
    plural = words.endswith("s") and not words.endswith(("ss", "eas"))  # not "overseas"
    return words[:-1] if plural else words


def slug(text: str) -> str:
    """An indicator id from words: lower case, letters and digits joined by "_".

    >>> slug("Global 500 companies"), slug("start-ups")
    ('global_500_companies', 'start_ups')
    """
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
