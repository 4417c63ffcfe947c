"""Every bad input tried against the data folder, validation, extraction and cleaning, with the
message it gets: each case runs here and the table in docs/bad_inputs.md is checked against what
it printed, so the table cannot go stale. After changing a message, rewrite the table with

    PYTHONPATH=src python tests/test_bad_inputs.py

(the other sections of docs/bad_inputs.md are left as they are).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from innostudy import clean, files
from innostudy import extract as ex
from innostudy.cli import main as cli
from innostudy.dataset import DATA_DIR

DOC = Path(__file__).resolve().parents[1] / "docs" / "bad_inputs.md"
SECTION = "## Data folder, validation, extraction, cleaning"
REPORT = "So far, Jiaxing has helped 320 experts to join the platform.\n"


def _data(tmp: Path) -> Path:
    folder = tmp / "D"
    shutil.copytree(DATA_DIR, folder)
    return folder


def _line(folder: Path, table: str, number: int, old: str, new: str) -> Path:
    path = folder / f"{table}.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines[number - 1], (table, number, old)
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    return folder


def _candidates(tmp: Path, folder: Path) -> Path:
    """A reviewed candidates file of one figure, ready to accept into ``folder``."""
    report = tmp / "r.txt"
    report.write_text(REPORT, encoding="utf-8")
    result = ex.draft([report], published=["2024-03-01"], source_ids=["r_2024"], data=folder)
    result.candidates["decision"] = "accept"
    result.sources.loc[0, ["publisher", "kind"]] = ["desk", "news"]
    path = tmp / "c.csv"
    ex.write_draft(result, path)
    return path


def _append(path: Path, text: str) -> Path:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    return path.parent


def _spoil_bytes(path: Path, old: bytes | None, new: bytes) -> Path:
    """Replace ``old`` by ``new`` in the file's bytes (the whole file when ``old`` is None)."""
    path.write_bytes(new if old is None else path.read_bytes().replace(old, new))
    return path.parent


def _validate(spoil):
    def run(tmp, monkeypatch):
        folder = spoil(_data(tmp), monkeypatch)
        return cli(["validate", str(folder)])

    return run


def _obs(number, old, new):
    return _validate(lambda f, _: _line(f, "observations", number, old, new))


def _replace_table(table: str, make):
    def spoil(folder, _):
        (folder / f"{table}.csv").unlink()
        make(folder / f"{table}.csv")
        return folder

    return _validate(spoil)


def _deny_open(folder, monkeypatch):
    real_open = open

    def deny(path, *args, **kwargs):
        if str(path).endswith("sources.csv"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(files, "open", deny, raising=False)  # as root, chmod 000 is no barrier
    return folder


def _interrupted(folder, monkeypatch):
    candidates = _candidates(folder.parent, folder)
    monkeypatch.setattr(files, "_complete", lambda _: 1 / 0)
    with contextlib.suppress(ZeroDivisionError):
        ex.accept(candidates, data=folder)
    monkeypatch.undo()
    return folder


def _draft(make_report, output=None, limit=None):
    def run(tmp, monkeypatch):
        folder = _data(tmp)
        report = tmp / "r.txt"
        make_report(report)
        if limit:
            monkeypatch.setattr(ex, "MAX_TEXT_BYTES", limit)
        out = output(folder, report) if output else tmp / "c.csv"
        return cli(["extract", str(report), "-o", str(out), "--data", str(folder)])

    return run


def _write_report(report: Path) -> None:
    report.write_text(REPORT, encoding="utf-8")


def _accept(spoil=None, wait=None, argv=None):
    def run(tmp, monkeypatch):
        folder = _data(tmp)
        candidates = _candidates(tmp, folder)
        command = argv or ["extract", "--accept", str(candidates)]
        command = [*command, "--data", str(folder)]
        with spoil(folder, candidates, monkeypatch) if spoil else contextlib.nullcontext():
            return cli(command + (["--wait", str(wait)] if wait is not None else []))

    return run


def _os_error(target, code, where="open"):
    """Make os.open (or files._write_synced) fail with ``code`` on ``target``'s files."""

    @contextlib.contextmanager
    def spoil(folder, _candidates, monkeypatch):
        if where == "open":
            real = os.open

            def failing(path, *args, **kwargs):
                if Path(path).parent == folder:
                    raise OSError(code, os.strerror(code), str(path))
                return real(path, *args, **kwargs)

            monkeypatch.setattr(files.os, "open", failing)
        else:
            real = files._write_synced

            def failing(path, content):
                if path.name == target:
                    raise OSError(code, os.strerror(code))
                return real(path, content)

            monkeypatch.setattr(files, "_write_synced", failing)
        yield

    return spoil


@contextlib.contextmanager
def _locked(folder, _candidates, _monkeypatch):
    with files.folder_lock(folder):
        yield


@contextlib.contextmanager
def _stray_quote(_folder, candidates, _monkeypatch):
    lines = candidates.read_text(encoding="utf-8").split("\n")
    lines[1] = lines[1].replace("accept,", '"accept,', 1)
    candidates.write_text("\n".join(lines), encoding="utf-8")
    yield


@contextlib.contextmanager
def _latin1(_folder, candidates, _monkeypatch):
    ex.sources_path(candidates).write_bytes(
        ex.sources_path(candidates).read_bytes().replace(b"desk", "d\xe9sk".encode("latin-1"))
    )
    yield


def _library(call):
    def run(_tmp, _monkeypatch):
        try:
            print(call())
        except ValueError as error:
            print(f"{type(error).__name__}: {error}")
        return None

    return run


# (input, how it is run, a part of the message it must get); the table shows the whole line
CASES = [
    ("a stray quote opens a note on line 5 of observations.csv",
     _obs(5, ",so far;", ',"so far;'),
     "line 5: a quote opened on this line does not close on it; the field runs on to line 35"),
    ("a quote that never closes on the last line",
     _validate(lambda f, _: _append(f / "observations.csv", 'obs0099,guiyang,"open\n')),
     "line 74: a quote in this record never closes"),
    ("a record with one field too many (line 9)",
     _obs(9, "obs0008,", "obs0008,x,"), "line 9: 15 fields where the header has 14"),
    ("a bad row after a legitimate two-line quoted note (line 11, once line 10)",
     _validate(lambda f, _: _line(_line(f, "observations", 4, ",p4,", ',p4,"two\nlines"'),
                                  "observations", 11, ",guiyang,", ",atlantis,")),
     "line 11, column 'entity_id': not a known entity_id: 'atlantis'"),
    ("value `inf` as an exact count",
     _obs(8, ",4984,experts,exact,4984,4984,", ",inf,experts,exact,4984,4984,"),
     "not a finite number: 'inf'"),
    ("value `1e309`", _obs(8, ",4984,experts,", ",1e309,experts,"), "too large for a number"),
    ("a 400-digit integer as a value", _obs(8, ",4984,experts,", f",{'9' * 400},experts,"),
     "too large for a number"),
    ("value 1e20 experts", _obs(8, ",4984,experts,", ",100000000000000000000,experts,"),
     "is beyond 1e+15"),
    ("4984.5 experts", _obs(8, ",4984,experts,exact,4984,4984,", ",4984.5,experts,exact,4984.5,4984.5,"),
     "is not a whole number"),
    ("rank 0", _obs(2, ",23,rank,exact,23,23,", ",0,rank,exact,0,0,"), "rank 0 is below 1"),
    ("as_of 2099 in a source published 2023-01", _obs(2, ",2023-01-30,", ",2099,"),
     "more than 35 years after its source"),
    ("a source published 2999",
     _validate(lambda f, _: _line(f, "sources", 3, ",2021-10-25,", ",2999-01-01,")),
     "after today"),
    ("as_of in the year 1023", _obs(2, ",2023-01-30,", ",1023-01-30,"), "outside 1900-2100"),
    ("a value that is no number: one message, no nan cascade",
     _obs(2, ",23,rank,exact,23,23,", ",x23,rank,exact,23,23,"), "not a number: 'x23'"),
    ("sources.csv not UTF-8",
     _validate(lambda f, _: _spoil_bytes(f / "sources.csv", b"eGuiyang", b"eGuiyang\xe9")),
     "sources.csv, line 2: not UTF-8 (byte 0xe9, the line's byte 101)"),
    ("an empty designations.csv",
     _validate(lambda f, _: _spoil_bytes(f / "designations.csv", None, b"")),
     "empty file; expected a header"),
    ("designations.csv is a FIFO (validate blocked forever)",
     _replace_table("designations", os.mkfifo), "a FIFO (named pipe), not a regular file"),
    ("entities.csv is a symlink to /dev/zero (read until memory ran out)",
     _replace_table("entities", lambda p: p.symlink_to("/dev/zero")),
     "a symlink to /dev/zero, outside"),
    ("indicators.csv is a folder", _replace_table("indicators", Path.mkdir),
     "a folder, not a regular file"),
    ("sources.csv cannot be read (permission denied)", _validate(_deny_open),
     "cannot read it: Permission denied"),
    ("a table larger than the limit (256 MiB; 10,000 bytes here)",
     _validate(lambda f, mp: mp.setattr(files, "MAX_TABLE_BYTES", 10_000) or f),
     "more than the limit of 10,000"),
    ("an accept interrupted between its two file replacements", _validate(_interrupted),
     "an accept was interrupted"),
    ("an interrupted accept's journal with a truncated manifest",
     _validate(lambda f, mp: _spoil_bytes(
         _interrupted(f, mp) / files.JOURNAL_NAME / "manifest.json", None, b'{"fil').parent),
     "not a manifest innostudy wrote"),
    ("`innostudy extract --recover` while an accept holds the folder (waited 0.2 s)",
     _accept(_locked, wait=0.2, argv=["extract", "--recover"]), "nothing recovered: another"),
    ("the data folder does not exist", lambda tmp, _: cli(["validate", str(tmp / "nowhere")]),
     "data folder not found"),
    ("`innostudy extract r.txt -o D/observations.csv`",
     _draft(_write_report, lambda folder, _: folder / "observations.csv"), "is a data folder"),
    ("`innostudy extract r.txt -o r.txt`", _draft(_write_report, lambda _, report: report),
     "that is an input file"),
    ("a report that is a FIFO", _draft(os.mkfifo), "a FIFO (named pipe), not a regular file"),
    ("a report that is a symlink to /dev/zero", _draft(lambda p: p.symlink_to("/dev/zero")),
     "a character device, not a regular file"),
    ("a report larger than the limit (8 MiB; 100 bytes here)",
     _draft(lambda p: p.write_text("1 2\n" * 100), limit=100), "more than the limit of 100"),
    ("a report not in UTF-8", _draft(lambda p: p.write_bytes("r\xe9sum\xe9 320".encode("latin-1"))),
     "r.txt, line 1: not UTF-8 (byte 0xe9"),
    ("two accepts into one folder at once (the second waited 0.2 s)",
     _accept(_locked, wait=0.2), "another accept is running on"),
    ("an accept into a read-only data folder", _accept(_os_error(None, errno.EROFS)),
     "is read-only"),
    ("an accept on a full disk", _accept(_os_error("observations.csv", errno.ENOSPC, "write")),
     "no space left on the device"),
    ("a candidates file with a stray quote", _accept(_stray_quote),
     "c.csv, line 2: a quote in this record never closes"),
    ("the candidates' sources file (c.sources.csv) not in UTF-8", _accept(_latin1),
     "c.sources.csv, line 2: not UTF-8 (byte 0xe9"),
    ("`clean.ranks` of a 20-digit rank (was OverflowError)",
     _library(lambda: clean.ranks(pd.Series(["12345678901234567890"]))["error"].iloc[0]),
     "larger than any ranking"),
    ("`clean.parse_quantity('11\\u200b63 experts')`: a zero-width space inside digits",
     _library(lambda: clean.parse_quantity("11\u200b63 experts")),
     "an invisible U+200B splits the number"),
    ("`extract('… 1\\u2009163 experts …')` (was a confident 163)",
     _library(lambda: ex.extract("So far, Jiaxing has helped 1\u2009163 experts.")["value"].tolist()),
     "[1163.0]"),
    ("`clean.find_figures('1 ' * 10000)` (took 5 s)",
     _library(lambda: f"{len(clean.find_figures('1 ' * 10_000).quantities)} figures"),
     "10000 figures"),
]  # fmt: skip


def _run(case, tmp: Path, monkeypatch) -> tuple[int | None, str]:
    _, run, _ = case
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = run(tmp, monkeypatch)
    return rc, _tidy(out.getvalue() + err.getvalue(), tmp)


def _tidy(text: str, tmp: Path) -> str:
    """The output with the paths, pid and date of this run made generic."""
    text = text.replace(str(tmp.resolve()), "…").replace(str(tmp), "…")
    text = re.sub(r"\(pid \d+\)", "(pid N)", text)
    return re.sub(r"today \(\d{4}-\d\d-\d\d\)", "today (YYYY-MM-DD)", text)


def _row(case, rc, output) -> str:
    what, _, expected = case
    told = [line.strip().removeprefix("- ") for line in output.splitlines() if expected in line]
    if not told:
        raise AssertionError(f"{what}: {expected!r} not in the output:\n{output}")
    line = told[0]
    cell = line.replace("|", "\\|")
    return f"| {what} | {'' if rc is None else rc} | {cell} |"


@pytest.mark.parametrize("case", CASES, ids=[c[0][:50] for c in CASES])
def test_each_bad_input_gets_its_message_and_the_doc_shows_it(case, tmp_path, monkeypatch):
    rc, output = _run(case, tmp_path, monkeypatch)
    assert case[2] in output, output
    if rc is not None:
        assert rc in (1, 2), output
        assert "Traceback" not in output
    assert _row(case, rc, output) in DOC.read_text(encoding="utf-8"), (
        "docs/bad_inputs.md is stale: run PYTHONPATH=src python tests/test_bad_inputs.py"
    )


def render(rows: list[str]) -> str:
    head = [
        SECTION,
        "",
        "Generated by `tests/test_bad_inputs.py`, which runs every input and checks its message.",
        "Exit code: 1 for problems in the data or the candidates (nothing written), 2 for a misuse,",
        "an unreadable report or a missing folder; empty for library calls. Paths are shortened",
        "to …/, the data folder is D.",
        "",
        "| Input | Exit | Message (the line that tells it) |",
        "|---|---|---|",
    ]
    return "\n".join(head + rows) + "\n"


def _rewrite() -> None:
    import tempfile

    rows = []
    for case in CASES:
        with tempfile.TemporaryDirectory() as scratch, pytest.MonkeyPatch.context() as mp:
            rc, output = _run(case, Path(scratch), mp)
        try:
            rows.append(_row(case, rc, output))
        except AssertionError as error:
            print(error)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Bad inputs\n\n"
    start = text.find(SECTION)
    end = text.find("\n## ", start + 1) if start >= 0 else -1
    section = render(rows)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        text = text[:start] + section + (text[end:] if end >= 0 else "")
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(_rewrite())
