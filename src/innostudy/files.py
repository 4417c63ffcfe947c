"""Reading and writing the files of a data folder safely: nothing read that blocks or never ends,
CSV records told by their physical lines, writes serialised by a lock and all-or-nothing.

* :func:`check_file` refuses, unopened, what is no regular file (a FIFO would block, a device
  such as /dev/zero never ends), lies past a size limit or is a symlink leading out of the data
  folder; :func:`read_bytes` and :func:`read_csv` read only what it lets through and turn every
  OS error into one :class:`InputError` naming the file and the cause.
* :func:`read_csv` reads a CSV as text with Python's ``csv`` module in strict mode and keeps the
  physical line each record starts on: a quote that never closes, a character after a closing
  quote and a record whose field count differs from the header's are reported with their lines,
  every one, instead of rows silently swallowed into one field.
* :func:`folder_lock` serialises the writers of a data folder and :func:`replace_files` replaces
  several of its files all or none, through a journal (see its docstring).

The lock is ``fcntl.flock`` on ``<folder>/.innostudy.lock``, from the standard library. The
``filelock`` package (PyPI) was weighed: on POSIX it takes the same ``flock``; what it adds is
Windows support and a polling timeout, which is a few lines here, so a new dependency was not worth
it while the project's tooling (Makefile, venv paths) is POSIX already. The kernel releases a
``flock`` when its process dies: a killed accept leaves at most an unlocked lock file, which the
next accept takes and, like every holder, removes on release.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "t.csv").write_text('id,note\\na,"two\\nlines"\\nb,x\\n', encoding="utf-8")
>>> frame, problems = read_csv(folder / "t.csv")
>>> frame.index.tolist(), problems                   # record b starts on physical line 4
([2, 4], [])
"""

from __future__ import annotations

import contextlib
import csv
import errno
import json
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

import pandas as pd

from innostudy.errors import InnostudyError

MAX_TABLE_BYTES = 256 * 2**20  # a data table; the curated tables are a few kB
LOCK_NAME = ".innostudy.lock"
JOURNAL_NAME = ".innostudy-journal"


class InputError(InnostudyError, ValueError):
    """A file that cannot be read as input: missing, not a regular file, too large, unreadable or
    not UTF-8. The message names the file and the cause."""


class FolderBusyError(InnostudyError, ValueError):
    """Another process holds the lock of a data folder."""


def check_file(path: str | Path, *, limit: int, inside: Path | None = None) -> None:
    """Refuse, without opening it, what is no regular file of at most ``limit`` bytes.

    ``inside``: a folder the file must stay in once symlinks are followed. FIFOs, devices,
    sockets and folders are refused unopened (opening a FIFO waits for a writer; a device such
    as /dev/zero never ends).
    """
    path = Path(path)
    try:
        if inside is not None and path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(inside.resolve()):
                raise InputError(f"{path}: a symlink to {target}, outside {inside}; refused")
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read it: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = _kind(info.st_mode)
        why = "" if stat.S_ISDIR(info.st_mode) else " (reading it could wait or never end)"
        raise InputError(f"{path}: {kind}, not a regular file; refused{why}")
    if info.st_size > limit:
        raise InputError(
            f"{path}: {info.st_size:,} bytes, more than the limit of {limit:,}; refused"
        )


def read_bytes(path: str | Path, *, limit: int, inside: Path | None = None) -> bytes:
    """The bytes of ``path`` once :func:`check_file` lets it through."""
    check_file(path, limit=limit, inside=inside)
    try:
        with open(path, "rb") as handle:
            content = handle.read(limit + 1)
    except OSError as error:
        raise InputError(f"{path}: cannot read it: {error.strerror or error}") from None
    if len(content) > limit:
        raise InputError(f"{path}: more than the limit of {limit:,} bytes; refused")
    return content


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):  # fmt: skip
        if test(mode):
            return name
    return "a special file"


def decode(content: bytes, path: str | Path) -> str:
    """UTF-8 text (a byte-order mark dropped); an InputError naming file, line and character."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        start = error.start
        line = content[:start].count(b"\n") + 1
        column = start - (content.rfind(b"\n", 0, start) + 1) + 1
        raise InputError(
            f"{Path(path).name}, line {line}: not UTF-8 (byte 0x{content[start]:02x}, the "
            f"line's byte {column}); save the file as UTF-8"
        ) from None


def read_text(path: str | Path, *, limit: int) -> str:
    """:func:`read_bytes` then :func:`decode`."""
    return decode(read_bytes(path, limit=limit), path)


def read_csv(
    path: Path,
    columns: tuple[str, ...] | None = None,
    *,
    content: bytes | None = None,
    inside: Path | None = None,
) -> tuple[pd.DataFrame, list[tuple[int | None, str]]]:
    """A CSV as text columns (empty cells missing), indexed by the physical line each record
    starts on (the header is line 1), and the (line, reason) of every record that cannot be read.

    A record whose field count differs from the header's is reported and left out, as is one
    broken by a quote; ``columns`` is the header of an empty file. The file is read as a stream
    (:func:`check_file` first, ``inside`` as there) unless its ``content`` is given: the memory
    taken is that of the table, not of the file's text as well.
    """
    if content is not None:
        return _parse(_lines(decode(content, path)), columns)
    check_file(path, limit=MAX_TABLE_BYTES, inside=inside)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return _parse(handle, columns)
    except UnicodeDecodeError:
        decode(read_bytes(path, limit=MAX_TABLE_BYTES, inside=inside), path)  # says where
        raise
    except OSError as error:
        raise InputError(f"{path}: cannot read it: {error.strerror or error}") from None


def _parse(lines, columns) -> tuple[pd.DataFrame, list[tuple[int | None, str]]]:
    reader = csv.reader(lines, strict=True)
    problems: list[tuple[int, str]] = []
    header: list[str] | None = None
    cells: list[list] = []
    lines: list[int] = []
    chunks: list[pd.DataFrame] = []  # Python strings take ~10x their text: hold a few at a time
    start = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append((start, _broken(error, start, reader.line_num)))
            start = reader.line_num + 1
            continue
        first, start = start, reader.line_num + 1
        if not record:
            continue  # a blank line
        if header is None:
            header = record
            cells = [[] for _ in header]
            continue
        if len(record) != len(header):
            span = (
                f" (the record runs to line {reader.line_num})" if reader.line_num > first else ""
            )
            hint = "; a quote that opens a field and never closes joins lines" if span else ""
            problems.append(
                (first, f"{len(record)} fields where the header has {len(header)}{span}{hint}")
            )
            continue
        lines.append(first)
        for column, cell in zip(cells, record, strict=True):
            column.append(cell if cell != "" else None)
        if len(lines) == _CHUNK:
            chunks.append(_frame(header, cells, lines))
            cells, lines = [[] for _ in header], []
    if header is None:
        problems.append((None, "empty file"))
        header = list(columns or ())
    chunks.append(_frame(header, cells or [[] for _ in header], lines))
    frame = pd.concat(chunks) if len(chunks) > 1 else chunks[0]
    if len(set(header)) != len(header):
        repeated = sorted({c for c in header if header.count(c) > 1})
        problems.append((1, f"repeated column(s) in the header: {', '.join(repeated)}"))
    return frame, problems


_CHUNK = 5_000


def _lines(text: str):
    """The physical lines of ``text``, endings kept, one at a time (io.StringIO would hold a
    copy of four bytes a character)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _frame(header: list[str], cells: list[list], lines: list[int]) -> pd.DataFrame:
    return pd.DataFrame(dict(zip(header, cells, strict=True)), index=lines, dtype="str")


def _broken(error: csv.Error, first: int, last: int) -> str:
    reason = str(error)
    if reason.startswith("unexpected end of data"):
        return f"a quote in this record never closes (it runs to the end of the file, line {last})"
    if "expected after" in reason and last > first:
        return (
            f"a quote opened on this line does not close on it; the field runs on to line "
            f"{last}, where a quote closes it and other characters follow (a stray quote "
            "swallows the lines in between)"
        )
    if "expected after" in reason:
        return 'characters after a closing quote; a quote inside a field is written twice ("")'
    return f"not a readable CSV record: {reason}"


# -- writing ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def folder_lock(folder: Path, *, wait: float = 30.0, poll: float = 0.05):
    """Hold the advisory write lock of ``folder``, waiting up to ``wait`` seconds for another
    writer; FolderBusyError naming it (its pid) when it does not finish in time.

    The lock file holds the holder's pid and is removed on release, so nothing is left in the
    folder; a waiter that locked a file removed meanwhile tries again on the new one.
    """
    import fcntl

    path, deadline = folder / LOCK_NAME, time.monotonic() + wait
    while True:
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as error:
            raise InputError(_write_failure(folder, error) + "; nothing was changed") from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip()
            os.close(descriptor)
            if time.monotonic() >= deadline:
                raise FolderBusyError(
                    f"another accept is running on {folder} (pid {holder or 'unknown'}); "
                    f"waited {wait:g} s; try again when it has finished"
                ) from None
            time.sleep(poll)
            continue
        try:
            current = os.stat(path, follow_symlinks=False).st_ino
        except FileNotFoundError:
            current = None
        if current == os.fstat(descriptor).st_ino:
            break
        os.close(descriptor)  # the holder removed this file on release: lock the new one
    try:
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.unlink(path)
        os.close(descriptor)  # closing releases the lock


def replace_files(folder: Path, contents: dict[str, bytes]) -> None:
    """Replace files of ``folder`` all or none (call it holding :func:`folder_lock`).

    The new versions are written and synced into ``<folder>/.innostudy-journal/`` with a
    manifest written last: before the manifest exists nothing has changed and the journal is
    dropped by :func:`recover`; after, the replacements are due and :func:`recover` completes
    them. Files are replaced in the order given (accept gives sources.csv before
    observations.csv, so that a folder stopped between the two still validates). A failure
    while writing the journal (a full disk) removes it and changes nothing.
    """
    journal = folder / JOURNAL_NAME
    try:
        journal.mkdir()
        for name, content in contents.items():
            _write_synced(journal / name, content)
        manifest = json.dumps({"files": list(contents)}).encode()
        _write_synced(journal / "manifest.tmp", manifest)
        os.replace(journal / "manifest.tmp", journal / "manifest.json")
        _sync_folder(journal)
    except OSError as error:
        shutil.rmtree(journal, ignore_errors=True)
        raise InputError(_write_failure(folder, error) + "; nothing was changed") from None
    try:
        _complete(folder)
    except OSError as error:
        raise InputError(
            _write_failure(folder, error) + f"; the change is kept in {journal} and the next "
            f"accept on this folder (or `innostudy extract --recover --data {folder}`) completes it"
        ) from None


def write_whole(path: Path, content: bytes) -> None:
    """Write ``path`` through a temporary file beside it renamed into place: the file is whole
    or unchanged, and the temporary file is removed whatever happens (a full disk)."""
    temporary = None
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.resolve().parent, prefix=f".{path.name}.")
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        os.replace(temporary, path)
    except OSError as error:
        if temporary is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        raise InputError(f"{path}: {_write_failure(path.resolve().parent, error)}") from None


def recover(folder: Path) -> list[str]:
    """Complete or drop an interrupted :func:`replace_files` (call it holding the lock); the
    names of the files it replaced."""
    journal = folder / JOURNAL_NAME
    if not journal.exists():
        return []
    if not (journal / "manifest.json").exists():
        shutil.rmtree(journal)  # stopped while staging: nothing had changed
        return []
    return _complete(folder)


def pending(folder: Path) -> str | None:
    """Why ``folder`` is between two versions (an accept was interrupted), or None."""
    journal = folder / JOURNAL_NAME
    if not journal.exists():
        return None
    if not (journal / "manifest.json").exists():
        return (
            f"an accept was interrupted before changing anything; {journal.name} is left over "
            f"(the next accept removes it, or `innostudy extract --recover --data {folder}`)"
        )
    due = [n for n in _manifest(journal) if (journal / n).exists()]
    return (
        f"an accept was interrupted: {', '.join(due)} still lack(s) the accepted rows kept in "
        f"{journal.name}; the next accept completes it, or `innostudy extract --recover --data "
        f"{folder}`"
    )


def _complete(folder: Path) -> list[str]:
    journal = folder / JOURNAL_NAME
    names = _manifest(journal)
    done = []
    for name in names:
        if (journal / name).exists():  # gone when replaced before an interruption
            staged = journal / name
            if (folder / name).exists():
                os.chmod(staged, os.stat(folder / name).st_mode & 0o777)
            os.replace(staged, folder / name)
            done.append(name)
    _sync_folder(folder)
    shutil.rmtree(journal)
    return done


def _manifest(journal: Path) -> list[str]:
    """The files a journal replaces; an InputError when its manifest was tampered with."""
    try:
        names = json.loads((journal / "manifest.json").read_text(encoding="utf-8"))["files"]
        if all(isinstance(n, str) and n == Path(n).name and n.endswith(".csv") for n in names):
            return names
    except (OSError, ValueError, KeyError, TypeError):
        pass
    raise InputError(
        f"{journal / 'manifest.json'}: not a manifest innostudy wrote; look at the folder and "
        f"remove {journal} by hand"
    )


def _write_synced(path: Path, content: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_failure(folder: Path, error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return f"no space left on the device of {folder}"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{folder} is read-only ({error.strerror})"
    return f"cannot write in {folder}: {error.strerror or error}"
