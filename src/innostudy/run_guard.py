"""What keeps ``innostudy run`` from leaving processes or half-written folders behind.

* :func:`lock_out` serialises runs into one ``--out`` folder (an advisory ``flock``), so that two
  runs never write into one site at once; it also makes sure the folder can be written at all.
* :func:`clean_stale` removes the staging folders of an earlier run that was killed.
* :func:`die_with_parent` makes a worker end when the runner ends, however it ends (``SIGKILL``
  included): Linux delivers ``SIGKILL`` to the worker through ``prctl(PR_SET_PDEATHSIG)``,
  elsewhere a thread watches the parent's pid. Papermill's kernels poll their parent (the worker,
  ``JPY_PARENT_PID``) each second and exit when it is gone.
* :func:`signals_raise` turns ``SIGTERM`` (and ``SIGINT``) into :class:`Interrupted`, so that the
  runner stops its workers and removes its staging folders before it exits.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from innostudy.errors import InnostudyError

STAGING_PREFIX = ".staging-"
LOCK_NAME = ".innostudy-run.lock"
RUN_MARKER_ENV = "INNOSTUDY_RUN_ID"  # set in workers and kernels: which run they belong to


class RunError(InnostudyError, ValueError):
    """The runner cannot do its work in ``--out`` (not writable, in use, disk full, unreadable)."""


class Interrupted(BaseException):  # like KeyboardInterrupt: not an error of the run
    """The runner received ``SIGTERM`` or ``SIGINT``; it stopped its workers and cleaned up."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


def writing_problem(path: Path, error: OSError) -> RunError:
    """One clear sentence for an operating-system error while writing below ``--out``."""
    reasons = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exhausted",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
    }
    reason = reasons.get(error.errno, error.strerror or str(error))
    return RunError(f"cannot write {path}: {reason}")


@contextmanager
def lock_out(out: Path):
    """Hold an exclusive lock on the site folder ``out`` (created if needed) while the block runs.

    Raises :class:`RunError` when another run holds it or when ``out`` cannot be written.
    """
    import fcntl

    path = out / LOCK_NAME
    if out.exists() and not out.is_dir():
        raise RunError(f"{out} is not a folder; --out names the folder the site is written to")
    while True:
        try:
            out.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as error:
            raise writing_problem(path, error) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise RunError(
                f"another run is writing to {out} (process {holder}); wait for it to finish "
                "or choose another --out"
            ) from None
        try:  # the lock file may have been removed by the run that held it: lock the new one
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        try:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        except OSError as error:
            raise writing_problem(path, error) from None
        yield
    finally:
        Path(path).unlink(missing_ok=True)
        os.close(fd)


def clean_stale(out: Path) -> list[Path]:
    """Remove what killed runs left in ``out`` (staging and retired folders); call with the lock.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     (Path(folder) / ".staging-abc").mkdir()
    ...     [p.name for p in clean_stale(Path(folder))]
    ['.staging-abc']
    """
    stale = [*out.glob(f"{STAGING_PREFIX}*"), *out.glob("*/.*.old-*")]
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)
    return stale


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def start_worker(parent: int, run_id: str) -> None:
    """Pool initializer: mark this worker (and the kernels it starts) and tie it to the runner.

    A forked worker inherits the runner's handlers, which raise :class:`Interrupted`; a worker
    simply ends on ``SIGTERM`` or ``SIGINT`` instead (its kernel follows it).
    """
    os.environ[RUN_MARKER_ENV] = run_id
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    die_with_parent(parent)


def die_with_parent(parent: int) -> None:
    """End this process as soon as process ``parent`` (the runner) is gone."""
    if sys.platform == "linux":
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            _watch_parent(parent)
    else:
        _watch_parent(parent)
    if os.getppid() != parent:  # the runner died before the line above took effect
        os._exit(1)


def _watch_parent(parent: int, every: float = 0.5) -> None:
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="innostudy-watch-parent", daemon=True).start()


@contextmanager
def signals_raise(signums=(signal.SIGTERM, signal.SIGINT)):
    """Within the block, the given signals raise :class:`Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Interrupted(signum)

    previous = {signum: signal.signal(signum, handler) for signum in signums}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
