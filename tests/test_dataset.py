"""The curated dataset: it loads, its views are right, and bad input is reported, never changed."""

import hashlib
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import innostudy as ist
from innostudy.cli import main as cli
from innostudy.dataset import DATA_DIR, ValidationError

# the seed reports stand beside the repository (../shared/seeds), or where $INNOSTUDY_SEEDS says
SEEDS = Path(
    os.environ.get("INNOSTUDY_SEEDS") or Path(__file__).resolve().parents[2] / "shared" / "seeds"
)


@pytest.fixture(scope="module")
def ds():
    return ist.load_dataset()


def test_real_data_loads(ds):
    assert len(ds.sources) == 20 + 32  # 32 State Council approvals cited by divisions.csv
    assert ds.observations["obs_id"].is_unique
    # every fact has a source row and a locator
    assert ds.observations["source_id"].isin(ds.sources["source_id"]).all()
    assert ds.observations["locator"].notna().all()
    assert ds.designations["source_id"].isin(ds.sources["source_id"]).all()


def test_observations_are_tidy_with_labels(ds):
    obs = ds.observations.set_index("obs_id")
    assert obs.loc["obs0001", "entity_name"] == "Guiyang"
    assert obs.loc["obs0001", "indicator_label"].startswith("Rank in the evaluation")
    assert obs.loc["obs0005", ["qualifier", "low", "high"]].tolist() == [
        "more_than",
        90,
        float("inf"),
    ]
    assert obs.loc["obs0045", "as_of_date"] == pd.Timestamp("2020-12-31")  # "2020" ends on 31 Dec


def test_first_batch_conflict_is_reported_not_merged(ds):
    conflicts = ds.conflicts()
    assert len(conflicts) == 1
    row = conflicts.iloc[0]
    assert (row["entity_id"], row["indicator_id"]) == ("innovation_china_pilots_batch1", "members")
    assert {row["value_a"], row["value_b"]} == {26.0, 22.0}
    both = ds.observations.query(
        "entity_id == 'innovation_china_pilots_batch1' and indicator_id == 'members'"
    )
    assert sorted(both["value"]) == [22.0, 26.0]


def test_wide_takes_latest_fact_and_the_documented_rule_for_conflicts(ds):
    wide = ds.wide(["members", "high_tech_enterprises", "pilot_evaluation_rank"])
    assert wide.loc["innovation_china_pilots_batch1", "members"] == 26  # later-published source
    assert wide.loc["guiyang", "pilot_evaluation_rank"] == 23
    as_of = ds.wide(["pilot_evaluation_rank"], field="as_of")
    assert as_of.loc["guiyang", "pilot_evaluation_rank"] == "2023-01-30"
    latest = ds.latest(["members"])
    assert (
        latest.set_index("entity_id").loc["innovation_china_pilots_batch1", "obs_id"] == "obs0046"
    )
    before = ds.wide(["members"], at="2020-12-31")
    assert "innovation_china_pilots_batch2" not in before.index
    assert ds.wide(["academic_activities"], field="qualifier").loc["guiyang"].item() == "more_than"
    with pytest.raises(KeyError, match="no_such_indicator"):
        ds.wide(["no_such_indicator"])


def test_cite_names_source_date_address_and_place(ds):
    text = ds.cite("obs0007")
    assert text.startswith(
        'eGuiyang, "Guiyang makes progress in Innovation China pilot city construction"'
    )
    assert "2023-02-06" in text and "http://www.eguiyang.com.cn/" in text and "paragraph 8" in text
    assert ds.cite("obs0067").endswith("section 1 (地区人口).")  # a bulletin's numbered section
    assert ds.cite("obs0054").endswith("paragraph 4 of the body, sentence 3.")
    with pytest.raises(KeyError):
        ds.cite("obs9999")


# Figures of the seed reports that are not facts about the programme: page furniture and labels.
NOT_FACTS = {
    "001_3cdc557448120a7a.txt": {"2013", "1"},  # copyright line; "one of the hub cities"
    "002_91d0ebee2b18b023.txt": {"100"},  # "top 100" is the list's name; list_size holds it once
    "004_98a9b8d82c3b597e.txt": {str(n) for n in range(1, 13)},  # pager of the transcript
}
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8}


@pytest.mark.skipif(not SEEDS.exists(), reason="the seed reports live outside the repository")
def test_every_figure_in_the_seed_reports_is_recorded(ds):
    """Each number in a seed report is a value, a date or a period of a recorded fact."""
    sources = pd.read_csv(SEEDS / "SOURCES.csv")
    for row in sources.itertuples():
        # the seed's document in sources.csv: the same publisher on the same day
        same_publisher = ds.sources["publisher"] == row.publisher
        seed = same_publisher & (ds.sources["published"] == row.published)
        source_id = ds.sources.loc[seed, "source_id"].item()
        facts = ds.observations[ds.observations["source_id"] == source_id]
        designations = ds.designations[ds.designations["source_id"] == source_id]
        known = {f"{v:g}" for v in facts["value"]}
        known |= {f"{v / scale:g}" for v in facts["value"] for scale in (1e6, 1e9)}  # "95 million"
        dates = [facts[c] for c in ("as_of", "period_start", "period_end")]
        dates += [designations[c] for c in ("start", "end", "announced")]
        dates.append(ds.sources.loc[ds.sources["source_id"] == source_id, "published"])
        parts = {int(p) for column in dates for d in column.dropna() for p in d.split("-")}
        known |= {str(p) for p in parts} | {str(p % 100) for p in parts if p > 1900}  # "2021-23"
        text = (SEEDS / row.file).read_text(encoding="utf-8")
        figures = {
            f"{float(m.replace(',', '')):g}" for m in re.findall(r"\d[\d,]*(?:\.\d+)?", text)
        }
        figures |= {
            str(WORDS[w.lower()]) for w in re.findall(r"\b(\w+)\b", text) if w.lower() in WORDS
        }
        missing = figures - known - NOT_FACTS.get(row.file, set())
        assert not missing, f"{row.file}: figures not in data/: {sorted(missing)}"


# -- bad input --------------------------------------------------------------------------------------


@pytest.fixture
def data_copy(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    return folder


def _digest(folder: Path) -> dict:
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(folder.iterdir())}


def _edit(folder: Path, table: str, edit) -> None:
    path = folder / f"{table}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    edited = edit(frame)  # edits in place, or returns a new frame
    frame = frame if edited is None else edited
    frame.to_csv(path, index=False)


BAD_INPUTS = {
    "missing column": (
        lambda f: _edit(f, "observations", lambda d: d.drop(columns="qualifier")),
        ("observations.csv", 1, "qualifier", "missing column"),
    ),
    "unknown entity": (
        lambda f: _edit(
            f, "observations", lambda d: d.loc.__setitem__((3, "entity_id"), "atlantis")
        ),
        ("observations.csv", 5, "entity_id", "not a known entity_id: 'atlantis'"),
    ),
    "negative count": (
        lambda f: _edit(
            f, "observations", lambda d: d.loc.__setitem__((6, ["value", "low", "high"]), "-4984")
        ),
        ("observations.csv", 8, "value", "negative count -4984 experts"),
    ),
    "qualifier outside the vocabulary": (
        lambda f: _edit(
            f, "observations", lambda d: d.loc.__setitem__((4, "qualifier"), "roughly")
        ),
        ("observations.csv", 6, "qualifier", "not a known qualifier"),
    ),
    "low above high": (
        lambda f: _edit(
            f, "observations", lambda d: d.loc.__setitem__((0, ["low", "high"]), ["30", "20"])
        ),
        ("observations.csv", 2, "low", "low 30 is above high 20"),
    ),
    "duplicate key": (
        lambda f: _edit(f, "observations", lambda d: d.loc.__setitem__((1, "obs_id"), "obs0001")),
        ("observations.csv", 3, "obs_id", "duplicate key 'obs0001'"),
    ),
    "bad date": (
        lambda f: _edit(f, "observations", lambda d: d.loc.__setitem__((0, "as_of"), "2023-02-30")),
        ("observations.csv", 2, "as_of", "not a date: '2023-02-30'"),
    ),
    "unit against the codebook": (
        lambda f: _edit(f, "observations", lambda d: d.loc.__setitem__((6, "unit"), "persons")),
        ("observations.csv", 8, "unit", "differs from the codebook's 'experts'"),
    ),
    "not UTF-8": (
        lambda f: (f / "sources.csv").write_bytes(
            (f / "sources.csv").read_bytes().replace(b"eGuiyang", "Guiyang\xe9".encode("latin-1"))
        ),
        ("sources.csv", 2, None, "not UTF-8"),
    ),
    "empty file": (
        lambda f: (f / "designations.csv").write_bytes(b""),
        ("designations.csv", None, None, "empty file"),
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_input_is_reported_with_file_line_column_and_reason(data_copy, case):
    spoil, (file, line, column, reason) = BAD_INPUTS[case]
    spoil(data_copy)
    before = _digest(data_copy)
    with pytest.raises(ValidationError) as caught:
        ist.load_dataset(data_copy)
    found = [
        p
        for p in caught.value.problems
        if (p.file, p.line, p.column) == (file, line, column) and reason in p.reason
    ]
    assert found, f"expected {file}:{line}:{column} {reason!r}, got:\n{caught.value}"
    assert _digest(data_copy) == before  # validation never writes


def test_every_problem_is_reported_at_once(data_copy):
    for spoil, _ in BAD_INPUTS.values():
        if (
            spoil is not BAD_INPUTS["empty file"][0]
            and spoil is not BAD_INPUTS["missing column"][0]
        ):
            spoil(data_copy)
    with pytest.raises(ValidationError) as caught:
        ist.load_dataset(data_copy)
    files = {p.file for p in caught.value.problems}
    assert {"sources.csv", "observations.csv"} <= files
    assert len(caught.value.problems) >= 8
    assert str(caught.value).count("\n  - ") == len(caught.value.problems)


def test_interval_must_fit_the_qualifier(data_copy):
    # "more than 90" recorded with an upper bound of 95 contradicts its qualifier
    _edit(data_copy, "observations", lambda d: d.loc.__setitem__((4, "high"), "95"))
    with pytest.raises(
        ValidationError, match=r"line 6, column 'high': high 95 does not fit qualifier 'more_than'"
    ):
        ist.load_dataset(data_copy)


def test_validate_command(data_copy, capsys):
    assert cli(["validate", str(DATA_DIR)]) == 0
    assert "valid" in capsys.readouterr().out
    BAD_INPUTS["unknown entity"][0](data_copy)
    assert cli(["validate", str(data_copy)]) == 1
    out = capsys.readouterr().out
    assert "observations.csv, line 5, column 'entity_id'" in out and "atlantis" in out


def test_data_readme_documents_every_indicator_and_source(ds):
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    undocumented = [i for i in ds.indicators["indicator_id"] if f"`{i}`" not in readme]
    undocumented += [s for s in ds.sources["source_id"] if f"`{s}`" not in readme]
    assert not undocumented, f"add to data/README.md: {undocumented}"


# -- malformed CSV, impossible values, files that are no files --------------------------------------


def _set_line(folder: Path, table: str, number: int, edit) -> None:
    """Edit physical line ``number`` of a table's text (the header is line 1)."""
    path = folder / f"{table}.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[number - 1] = edit(lines[number - 1])
    path.write_text("\n".join(lines), encoding="utf-8")


def _problems(folder: Path) -> list:
    with pytest.raises(ValidationError) as caught:
        ist.load_dataset(folder)
    return caught.value.problems


def test_a_stray_quote_is_refused_on_its_line_not_30_rows_dropped(data_copy):
    _set_line(data_copy, "observations", 5, lambda s: s.replace(",so far;", ',"so far;'))
    problems = _problems(data_copy)
    stray = [p for p in problems if p.file == "observations.csv" and p.line == 5]
    assert stray and "the field runs on to line 35" in stray[0].reason, problems


def test_a_quote_that_never_closes_is_reported(data_copy):
    path = data_copy / "observations.csv"
    path.write_text(path.read_text(encoding="utf-8") + 'obs0099,guiyang,"open\n', encoding="utf-8")
    (problem,) = _problems(data_copy)
    assert (problem.line, problem.column) == (74, None)
    assert "never closes" in problem.reason


def test_line_numbers_are_physical_lines_after_a_two_line_note(data_copy):
    # obs0003 on line 4 has an empty note: give it a legitimate quoted note of two lines
    _set_line(data_copy, "observations", 4, lambda s: s + '"a note, first line\nsecond line"')
    # line 4 now spans lines 4-5, so obs0010, once on line 11, is on line 12; spoil it
    _set_line(data_copy, "observations", 12, lambda s: s.replace(",guiyang,", ",atlantis,"))
    (problem,) = _problems(data_copy)
    assert (problem.line, problem.column) == (12, "entity_id"), problem


def test_a_record_with_too_many_fields_names_its_line_and_the_counts(data_copy):
    _set_line(data_copy, "observations", 9, lambda s: s + ",extra")
    _set_line(data_copy, "observations", 20, lambda s: s + ",extra,more")
    problems = [(p.line, p.reason) for p in _problems(data_copy)]
    assert problems == [
        (9, "15 fields where the header has 14"),
        (20, "16 fields where the header has 14"),
    ]


@pytest.mark.parametrize(
    "value, reason",
    [
        ("inf", "not a finite number: 'inf'"),
        ("1e309", "not a finite number: '1e309' (too large for a number)"),
        ("9" * 400, "too large for a number"),
        ("1" + "0" * 20, "beyond 1e+15"),
        ("4984.5", "4984.5 experts is not a whole number"),
    ],
)
def test_impossible_values_are_refused(data_copy, value, reason):
    # line 8 is obs0007: 4,984 experts, exact
    _set_line(
        data_copy,
        "observations",
        8,
        lambda s: s.replace(",4984,experts,exact,4984,4984,", f",{value},experts,exact,,,"),
    )
    problems = [(p.line, p.column, p.reason) for p in _problems(data_copy)]
    assert any(line == 8 and column == "value" and reason in why for line, column, why in problems)
    assert not any("nan" in why for _, _, why in problems), problems  # no cascade


def test_a_rank_below_1_and_a_year_outside_the_calendar_are_refused(data_copy):
    _set_line(
        data_copy,
        "observations",
        2,
        lambda s: s.replace(",23,rank,exact,23,23,", ",0,rank,exact,0,0,"),
    )
    _set_line(data_copy, "observations", 3, lambda s: s.replace(",2023-01-30,", ",1023-01-30,"))
    problems = {(p.line, p.column): p.reason for p in _problems(data_copy)}
    assert problems[(2, "value")] == "rank 0 is below 1"
    assert problems[(3, "as_of")] == "1023-01-30 is outside 1900-2100"


def test_dates_beyond_the_publication_and_today_are_refused(data_copy):
    _set_line(data_copy, "observations", 2, lambda s: s.replace(",2023-01-30,", ",2099,"))
    _set_line(data_copy, "sources", 3, lambda s: re.sub(r",20\d\d-\d\d-\d\d,", ",2999-01-01,", s))
    problems = {(p.file, p.line, p.column): p.reason for p in _problems(data_copy)}
    assert "after today" in problems[("sources.csv", 3, "published")]
    assert "more than 35 years after its source" in problems[("observations.csv", 2, "as_of")]


def test_a_fifo_a_device_symlink_and_a_folder_are_refused_without_reading(data_copy):
    (data_copy / "designations.csv").unlink()
    os.mkfifo(data_copy / "designations.csv")  # opening it would wait for a writer forever
    (data_copy / "entities.csv").rename(data_copy.parent / "entities.csv")
    (data_copy / "entities.csv").symlink_to("/dev/zero")  # reading it would never end
    (data_copy / "indicators.csv").unlink()
    (data_copy / "indicators.csv").mkdir()
    problems = {p.file: p.reason for p in _problems(data_copy)}
    assert "a FIFO (named pipe), not a regular file" in problems["designations.csv"]
    assert "a symlink to /dev/zero, outside" in problems["entities.csv"]
    assert "a folder, not a regular file" in problems["indicators.csv"]


def test_an_unreadable_or_oversized_table_is_one_problem_not_a_traceback(data_copy, monkeypatch):
    from innostudy import files

    real_open = open

    def deny(path, *args, **kwargs):
        if str(path).endswith("designations.csv"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(files, "open", deny, raising=False)  # root reads through chmod 000
    monkeypatch.setattr(files, "MAX_TABLE_BYTES", 10_000)
    problems = {p.file: p.reason for p in _problems(data_copy)}
    assert problems["designations.csv"] == "cannot read it: Permission denied"
    assert "more than the limit of 10,000" in problems["observations.csv"]
