"""Draft candidate observations from report text, English or Chinese, for a researcher to review.

A report is read paragraph by paragraph and sentence by sentence (those without a digit or a number
word are passed over); :func:`innostudy.clean.find_figures` finds a sentence's figures (counts,
money, percentages, ranks), dates and periods in one reading; each figure then gets

* an **indicator** from the phrase lexicon ``data/lexicon.csv`` (see :func:`load_lexicon`), chosen
  by the most specific phrase around the figure whose indicator fits the figure (a rank, an amount of
  CNY or USD, a percentage or a count), its ``indicator_status`` "known"; when none fits, or the
  phrase found lies further off and shares no word with the figure's own noun phrase, an indicator
  **proposed** from that noun phrase (:mod:`innostudy.extract.phrases`: "57 technology roadshows",
  "3.2 billion yuan of venture capital", 海外工程师约260名), status "proposed", with a readable
  id, label, unit, group and the lexicon phrase that would find it again; the same words give the
  same id in every report. A flow ("added 95 ...", 新增) gets ``new_<indicator>``, a growth rate
  or amount with no noun of its own ("up 11.2%") ``<the figure before>_growth`` / ``_value``;
* an **entity** from the names and aliases in ``data/entities.csv`` and of every province- and
  prefecture-level division (:mod:`innostudy.entities`): the first place named before
  the figure in its sentence, else the first one named after it in its clause, else the place the
  text is about (the one it names most often; the programme or organisation it names most often
  when it names no place). A figure with no place in its sentence, in a paragraph that names a
  programme or organisation and no place, belongs to that one. Indicators that belong to a programme, an
  organisation or a ranking (the lexicon's ``entity_kind``) take the nearest name of that kind;
  a figure inside a name ("Three-Year Action Plan", "top 100 ... cities") belongs to that name;
* an **as-of date**: the first date or year of its sentence, "last year" / 去年 counted from the
  publication date, else the publication date itself ("so far", "currently"); a range of years in
  the sentence ("2023-25", "(2021-23)") gives ``period_start`` and ``period_end``.

The **qualifier** is read from the words that govern the number only ("over", "more than",
"nearly", "upwards of", 超过, 逾, 近, 余, 以上, 突破), never from elsewhere in the clause ("produced
212 contracts" is exact). Years, dates, periods, ordinal names ("10th Congress", "14th Five-Year
Plan"), numbers inside names ("Global 500") and figures of plans or requirements ("plans to build
10", 力争) are no facts of their own. A rank gives two rows: its position and, when stated, the field size
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
``observations.csv`` and the new source to ``sources.csv``, and the accepted proposed indicators
(as proposed, or renamed in review) to ``indicators.csv`` with their phrases to ``lexicon.csv``,
in one locked, all-or-nothing write once the would-be data folder validates as a whole (lexicon
included); it writes nothing otherwise.

Evaluation (``benchmarks/extract_eval.py``; tests/fixtures/extract/README.md says how the texts
were written and split): see the figures recorded in that README's last section.
"""

from innostudy.extract.lexicon import LEXICON_COLUMNS, load_lexicon
from innostudy.extract.reader import COLUMNS, PLACE_KINDS, extract
from innostudy.extract.review import (
    CANDIDATE_COLUMNS,
    DECISIONS,
    Accepted,
    Draft,
    _cell,
    accept,
    candidates,
    draft,
    recover,
    sources_path,
    write_draft,
)  # fmt: skip
from innostudy.extract.scoring import FACT, Score, score
from innostudy.extract.structure import MAX_TEXT_BYTES, detect_language, paragraphs, sentences

__all__ = [
    "CANDIDATE_COLUMNS", "COLUMNS", "DECISIONS", "FACT", "LEXICON_COLUMNS", "MAX_TEXT_BYTES",
    "PLACE_KINDS", "Accepted", "Draft", "Score", "_cell", "accept", "candidates", "detect_language",
    "draft", "extract", "load_lexicon", "paragraphs", "recover", "score", "sentences",
    "sources_path", "write_draft",
]  # fmt: skip
