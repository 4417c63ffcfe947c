"""The review round trip: candidates to review, draft files, and accepting reviewed rows."""

from __future__ import annotations

import csv
import io
import math
import re
import tempfile
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from innostudy import files
from innostudy.dataset import COLUMNS as TABLE_COLUMNS
from innostudy.dataset import DATA_DIR, Problem, ValidationError
from innostudy.extract import structure
from innostudy.extract.lexicon import LEXICON_COLUMNS, _read_text, load_lexicon
from innostudy.extract.reader import _Anchor, extract
from innostudy.extract.structure import _CJK, detect_language, paragraphs

REVIEW_COLUMNS = ("entity_text", "currency", "confidence", "file", "start", "end")
# A proposed indicator travels with its rows: accept adds it to indicators.csv (and its phrase,
# in the row's language, to lexicon.csv) when the row is accepted.
PROPOSAL_COLUMNS = ("indicator_status", "indicator_label", "indicator_group", "phrase", "lang")
CANDIDATE_COLUMNS = (
    "decision", *TABLE_COLUMNS["observations"], *PROPOSAL_COLUMNS, *REVIEW_COLUMNS,
)  # fmt: skip
DECISIONS = ("accept", "reject")


def candidates(
    found: pd.DataFrame, *, file: str | None = None, lang: str | None = None
) -> pd.DataFrame:
    """The review form of :func:`extract`'s rows, all text: ``decision`` (for the researcher to
    fill with accept or reject), the columns of observations.csv (``obs_id`` is left for
    :func:`accept` to number), the indicator's status (``known`` in the codebook or
    ``proposed``) with a proposal's label, group, lexicon phrase and language, and the review
    aids (``entity_text``, ``currency``, ``confidence``, the ``file`` and the figure's
    ``start`` and ``end`` offsets in it). A proposal may be accepted as it is, renamed (edit
    ``indicator_id``, ``indicator_label``, ``indicator_group``) or rejected with its row."""
    review = pd.DataFrame(index=found.index)
    for column in CANDIDATE_COLUMNS:
        if column in found.columns:
            review[column] = [_cell(v) for v in found[column]]
        else:
            review[column] = ""
    review["file"] = file or ""
    review["lang"] = lang or ""
    return review.reset_index(drop=True)


class Draft(NamedTuple):
    """What ``innostudy extract FILE...`` writes: the candidates and the draft source rows."""

    candidates: pd.DataFrame
    sources: pd.DataFrame


def draft(
    paths: list[str | Path],
    *,
    published: list[str | None] | None = None,
    source_ids: list[str] | None = None,
    lang: str | None = None,
    data: str | Path | None = None,
) -> Draft:
    """Candidates and draft source rows for report files (UTF-8 text), one source per file.

    ``published`` gives one date for all files or one per file; ``source_ids`` one id per file
    (default: the file name as a slug, "000_5a3b.txt" -> "000_5a3b").
    """
    paths = [Path(p) for p in paths]
    texts = [files.read_text(p, limit=structure.text_limit()) for p in paths]  # every file or none
    published = list(published or [None])
    if len(published) == 1:
        published *= len(paths)
    source_ids = list(source_ids or [_slug(p.stem) for p in paths])
    if len(published) != len(paths) or len(source_ids) != len(paths):
        raise ValueError(
            f"{len(paths)} file(s) need one --source-id each (got {len(source_ids)}) and one "
            f"--published for all or one each (got {len(published)})"
        )
    if len(set(source_ids)) != len(source_ids):
        raise ValueError(f"each file is its own source: repeated source ids in {source_ids}")
    found, sources = [], []
    for path, text, day, source_id in zip(paths, texts, published, source_ids, strict=True):
        language = lang or detect_language(text)
        rows = extract(text, source_id=source_id, published=day, lang=language, data=data)
        found.append(candidates(rows, file=path.name, lang=language))
        sources.append(
            {"source_id": source_id, "title": _headline(text), "publisher": "", "url": "",
             "published": _Anchor.of(day).iso or "", "language": language, "kind": "",
             "note": f"drafted by innostudy extract from {path.name}"}
        )  # fmt: skip
    table = pd.concat(found, ignore_index=True) if found else candidates(pd.DataFrame())
    return Draft(table, pd.DataFrame(sources, columns=list(TABLE_COLUMNS["sources"])))


def write_draft(result: Draft, path: str | Path, *, keep: tuple = ()) -> Path:
    """Write the candidates to ``path`` and the source rows beside it (``<name>.sources.csv``,
    the companion :func:`accept` reads); return the companion's path.

    Never into a data folder (one holding observations.csv or sources.csv: the raw data are not
    overwritten by a draft), nor over a file of ``keep`` (the reports drafted from); each file is
    written whole or not at all, no temporary file left behind.
    """
    path = Path(path)
    companion = sources_path(path)
    for target in (path, companion):
        folder = target.resolve().parent
        if any((folder / f"{table}.csv").exists() for table in ("observations", "sources")):
            raise files.InputError(
                f"{target}: {folder} is a data folder; write the candidates elsewhere and "
                "append them with innostudy extract --accept"
            )
        if any(target.resolve() == Path(k).resolve() for k in keep):
            raise files.InputError(f"{target}: that is an input file; choose another name")
    for frame, target in ((result.candidates, path), (result.sources, companion)):
        files.write_whole(target, frame.to_csv(index=False, lineterminator="\n").encode())
    return companion


def sources_path(candidates_path: str | Path) -> Path:
    """The companion file holding the source rows of a candidates file."""
    path = Path(candidates_path)
    return path.with_name(f"{path.stem}.sources.csv")


class Accepted(NamedTuple):
    """The rows :func:`accept` appended to observations.csv, sources.csv, indicators.csv and
    lexicon.csv, and the files an interrupted accept still had to replace (completed first)."""

    observations: pd.DataFrame
    sources: pd.DataFrame
    recovered: tuple[str, ...] = ()
    indicators: pd.DataFrame | None = None
    lexicon: pd.DataFrame | None = None


def accept(path: str | Path, data: str | Path | None = None, *, wait: float = 30.0) -> Accepted:
    """Append the rows of a reviewed candidates file marked ``accept`` to the data folder.

    Every row needs a decision (accept or reject). Accepted rows become observations (blank
    ``obs_id`` numbered after the last one); the sources they cite that ``sources.csv`` lacks are
    taken from the companion ``<name>.sources.csv``. The would-be data folder is validated as a
    whole with :func:`~innostudy.dataset.load_dataset` on a temporary copy; any problem (an
    invalid or duplicate row, a source missing or at odds with the one on file) raises one
    :class:`~innostudy.dataset.ValidationError` naming the candidates line, and nothing is
    written. Otherwise both files are replaced all or none (:func:`innostudy.files.replace_files`).

    Accepts into one folder take turns: each holds the folder's lock (waiting up to ``wait``
    seconds for another, then :class:`~innostudy.files.FolderBusyError`) from reading the tables
    to replacing them, so two accepts never number the same obs ids or lose each other's rows.
    An accept interrupted earlier is completed first (:func:`innostudy.files.recover`).
    """
    path, folder = Path(path), Path(data) if data is not None else DATA_DIR
    review = _read_text(path)
    needed = ("decision", *TABLE_COLUMNS["observations"])
    missing = [Problem(path.name, 1, c, "missing column") for c in needed if c not in review]
    if missing:
        raise ValidationError(missing)
    decision = review["decision"].str.strip().str.lower()
    undecided = review.index[~decision.isin(DECISIONS)]
    if len(undecided):
        raise ValidationError(
            [Problem(path.name, line, "decision", f"{review.at[line, 'decision']!r}: "
                     "write accept or reject") for line in undecided]
        )  # fmt: skip
    review = review.reindex(columns=[*review.columns, *(
        c for c in PROPOSAL_COLUMNS if c not in review.columns)], fill_value="")  # fmt: skip
    accepted = review[decision == "accept"]
    chosen = accepted[list(TABLE_COLUMNS["observations"])].copy()
    if chosen.empty:
        raise ValueError(f"{path}: no row is marked accept; nothing to append")
    with files.folder_lock(folder, wait=wait):
        recovered = tuple(files.recover(folder))
        tables = {
            f"{name}.csv": files.read_bytes(
                folder / f"{name}.csv", limit=files.MAX_TABLE_BYTES, inside=folder
            )
            for name in (*TABLE_COLUMNS, "lexicon")
            if name != "lexicon" or (folder / "lexicon.csv").exists()
        }
        old_obs = _read_text(folder / "observations.csv", tables["observations.csv"])
        old_sources = _read_text(folder / "sources.csv", tables["sources.csv"])
        _number(chosen, old_obs["obs_id"])
        new_sources, problems = _new_sources(chosen, old_sources, sources_path(path))
        codebook = _read_text(folder / "indicators.csv", tables["indicators.csv"])
        lexicon = (
            _read_text(folder / "lexicon.csv", tables["lexicon.csv"])
            if "lexicon.csv" in tables
            else pd.DataFrame(columns=list(LEXICON_COLUMNS))
        )
        new_indicators, new_phrases, more = _proposals(accepted, codebook, lexicon, path.name)
        if problems or more:
            raise ValidationError(problems + more)
        if not new_phrases.empty and "lexicon.csv" not in tables:
            tables["lexicon.csv"] = ",".join(LEXICON_COLUMNS).encode() + b"\n"
        texts = {  # the codebook, then sources, then facts: each step leaves a valid folder
            "indicators.csv": _append(tables["indicators.csv"], new_indicators),
            "lexicon.csv": _append(tables.get("lexicon.csv", b""), new_phrases),
            "sources.csv": _append(tables["sources.csv"], new_sources),
            "observations.csv": _append(tables["observations.csv"], chosen),
        }
        if "lexicon.csv" not in tables:  # a data folder without a lexicon, none to add
            del texts["lexicon.csv"]
        origins = {
            "indicators.csv": (path.name, list(new_indicators.index)),
            "lexicon.csv": (path.name, list(new_phrases.index)),
            "observations.csv": (path.name, list(chosen.index)),
            "sources.csv": (sources_path(path).name, list(new_sources.index)),
        }
        _try(tables | texts, origins)
        files.replace_files(folder, {n: c for n, c in texts.items() if c != tables.get(n)})
    return Accepted(
        chosen.reset_index(drop=True), new_sources.reset_index(drop=True), recovered,
        new_indicators.reset_index(drop=True), new_phrases.reset_index(drop=True),
    )  # fmt: skip


def _proposals(
    accepted: pd.DataFrame, codebook: pd.DataFrame, lexicon: pd.DataFrame, name: str
) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """The codebook rows and lexicon phrases that the accepted proposed indicators add, each
    indexed by the candidates line it comes from (the first row proposing it); the rows of one
    new indicator must agree on its label, unit and group."""
    known = set(codebook["indicator_id"])
    phrases = set(zip(lexicon["indicator_id"], lexicon["lang"], lexicon["phrase"], strict=True))
    indicators: dict[str, tuple[int, dict]] = {}
    new_phrases: dict[tuple, int] = {}
    problems = []
    proposed = accepted[accepted["indicator_status"].str.strip() == "proposed"]
    for line, row in proposed.iterrows():
        ident, phrase, lang = row["indicator_id"].strip(), row["phrase"].strip(), row["lang"]
        if ident not in known:
            entry = {
                "indicator_id": ident, "label": row["indicator_label"].strip(),
                "unit": row["unit"].strip(), "direction": "0",
                "group": row["indicator_group"].strip() or ident,
                "definition": f"Proposed by innostudy extract from the phrase {phrase!r} ({lang}) "
                              "and accepted in review",
            }  # fmt: skip
            if not entry["label"]:
                problems.append(Problem(name, line, "indicator_label", "a proposed indicator "
                                        f"{ident!r} needs a label"))  # fmt: skip
            first = indicators.setdefault(ident, (line, entry))
            for column in ("label", "unit", "group"):
                if first[1][column] != entry[column]:
                    problems.append(
                        Problem(name, line, column, f"{entry[column]!r} differs from "
                                f"{first[1][column]!r} for indicator {ident!r} on line {first[0]}")
                    )  # fmt: skip
        key = (ident, lang, phrase)
        if phrase and "#" in phrase and key not in phrases:
            new_phrases.setdefault(key, line)
    new_indicators = pd.DataFrame(
        [entry for _, entry in indicators.values()],
        index=[line for line, _ in indicators.values()],
        columns=list(TABLE_COLUMNS["indicators"]),
    )
    lexicon_rows = pd.DataFrame(
        [(*key, "") for key in new_phrases], index=list(new_phrases.values()),
        columns=list(LEXICON_COLUMNS),
    )  # fmt: skip
    return new_indicators, lexicon_rows, problems


def recover(data: str | Path | None = None, *, wait: float = 30.0) -> list[str]:
    """Complete an accept into ``data`` that was interrupted; the files it replaced."""
    folder = Path(data) if data is not None else DATA_DIR
    with files.folder_lock(folder, wait=wait):
        return files.recover(folder)


def _try(contents: dict[str, bytes], origins: dict[str, tuple[str, list[int]]]) -> None:
    """Validate the would-be tables in a scratch folder; a ValidationError told on the lines of
    the files the new rows came from."""
    from innostudy.dataset import load_dataset

    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch)
        for name, content in contents.items():
            (trial / name).write_bytes(content)
        try:
            dataset = load_dataset(trial)
            if (trial / "lexicon.csv").exists():
                load_lexicon(trial / "lexicon.csv", dataset.indicators)
        except ValidationError as error:
            lines = {}
            for name, (origin, origin_lines) in origins.items():
                frame, _ = files.read_csv(trial / name)
                new = frame.index[len(frame) - len(origin_lines) :] if origin_lines else []
                lines[name] = (origin, dict(zip(new, origin_lines, strict=True)))
            raise ValidationError([_relocate(p, lines) for p in error.problems]) from None


def _number(chosen: pd.DataFrame, existing: pd.Series) -> None:
    """Give blank obs_ids the next numbers after the highest "obsNNNN" in use."""
    taken = pd.concat([existing, chosen["obs_id"]]).str.extract(r"^obs(\d+)$")[0].dropna()
    width = max([4, *taken.str.len()])
    start = max([0, *taken.astype(int)]) + 1
    blank = chosen.index[chosen["obs_id"].str.strip() == ""]
    chosen.loc[blank, "obs_id"] = [f"obs{n:0{width}d}" for n in range(start, start + len(blank))]


def _new_sources(
    chosen: pd.DataFrame, old: pd.DataFrame, companion: Path
) -> tuple[pd.DataFrame, list[Problem]]:
    """The companion's rows for sources the accepted facts cite that sources.csv lacks; a row
    for a source already on file must agree with it."""
    columns = list(TABLE_COLUMNS["sources"])
    drafts = _read_text(companion) if companion.exists() else pd.DataFrame(columns=columns)
    drafts = drafts.reindex(columns=columns, fill_value="")
    cited = set(chosen["source_id"])
    on_file = old.set_index("source_id")
    problems = []
    for line, row in drafts[drafts["source_id"].isin(cited & set(on_file.index))].iterrows():
        for column in columns[1:]:
            if row[column] != on_file.at[row["source_id"], column]:
                problems.append(
                    Problem(companion.name, line, column,
                            f"source {row['source_id']!r} is already in sources.csv with "
                            f"{column} {on_file.at[row['source_id'], column]!r}; make them agree "
                            "or delete this row")
                )  # fmt: skip
    new = drafts[drafts["source_id"].isin(cited - set(on_file.index))]
    return new, problems


def _append(content: bytes, rows: pd.DataFrame) -> bytes:
    """``content`` (a CSV file's bytes, kept as they are) with ``rows`` appended in its column
    order and line ending."""
    if rows.empty:
        return content
    text = content.decode("utf-8-sig")
    ending = "\r\n" if "\r\n" in text else "\n"
    header = next(csv.reader(io.StringIO(text)))
    buffer = io.StringIO()
    if text and not text.endswith("\n"):
        buffer.write(ending)
    csv.writer(buffer, lineterminator=ending).writerows(
        rows.reindex(columns=header, fill_value="").itertuples(index=False)
    )
    return content + buffer.getvalue().encode("utf-8")


def _relocate(problem: Problem, lines: dict) -> Problem:
    """A problem found in the would-be data folder, told on the line of the file it came from."""
    if problem.file not in lines or problem.line is None:
        return problem
    origin, moved = lines[problem.file]

    def where(line: int) -> tuple[str, int]:
        return (origin, moved[line]) if line in moved else (problem.file, line)

    reason = re.sub(
        r"same as line (\d+)", lambda m: "same as {} line {}".format(*where(int(m[1]))),
        problem.reason,
    )  # fmt: skip
    file, line = where(problem.line)
    return Problem(file, line, problem.column, reason)


def _cell(value) -> str:
    """A value as it is written in the data tables: whole numbers without ".0", "inf", ""."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "source"


def _headline(text: str) -> str:
    """The first line that reads like a title (not a breadcrumb, dateline or address)."""
    for start, end in paragraphs(text):
        for line in text[start:end].splitlines():
            line = line.strip()
            long_enough = len(line.split()) >= 4 or len(_CJK.findall(line)) >= 6
            if long_enough and not re.search(r"[>|©]|^(?:updated|home|source)\b", line, re.I):
                return line
    return ""
