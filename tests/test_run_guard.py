"""The runner leaves nothing behind: no process when it is terminated or killed, no staging folder
after the next run, no temporary file when the disk is full; it refuses a second run into the same
folder, a folder it cannot write, and reads a truncated provenance.json without a traceback."""

import errno
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from innostudy import cli
from innostudy.run import run_reports, write_index
from innostudy.run_guard import LOCK_NAME, RUN_MARKER_ENV, lock_out

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "notebooks"

linux_only = pytest.mark.skipif(
    not Path("/proc/self/environ").exists(), reason="finds the run's processes through /proc"
)


def marked_processes(marker: str) -> list[int]:
    """Pids of live processes whose environment carries ``INNOSTUDY_RUN_ID=marker``."""
    wanted = f"{RUN_MARKER_ENV}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":  # a zombie has ended; only its exit status is left
                    found.append(int(entry.name))
        except OSError:  # ended meanwhile, or not ours to read
            continue
    return found


def kernels(pids: list[int]) -> list[int]:
    def cmdline(pid: int) -> bytes:
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return b""

    return [pid for pid in pids if b"ipykernel" in cmdline(pid)]


def slow_config(tmp_path: Path, copies: int = 3) -> Path:
    """Several runs of a notebook that sleeps 60 s: more than two workers can hold at once."""
    sets = [{"seconds": 60 + i} for i in range(copies)]
    config = tmp_path / "reports.yml"
    reports = {"slow": {"notebook": str(FIXTURES / "slow.ipynb"), "parameter_sets": sets}}
    config.write_text(yaml.safe_dump({"timeout": 300, "reports": reports}), encoding="utf-8")
    return config


def quick_config(tmp_path: Path) -> Path:
    config = tmp_path / "quick.yml"
    reports = {"failing": {"notebook": str(FIXTURES / "failing.ipynb")}}
    config.write_text(yaml.safe_dump({"reports": reports}), encoding="utf-8")
    return config


def start_run(tmp_path: Path, marker: str) -> subprocess.Popen:
    env = {**os.environ, RUN_MARKER_ENV: marker, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "innostudy.cli", "run", "--config", str(slow_config(tmp_path))]
    command += ["--jobs", "2", "--out", str(tmp_path / "site")]
    return subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)


def wait_for(condition, seconds: float, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    return condition()


@linux_only
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_stopping_the_runner_ends_its_workers_and_kernels(tmp_path, signum):
    marker = uuid.uuid4().hex
    runner = start_run(tmp_path, marker)
    try:
        started = wait_for(lambda: len(kernels(marked_processes(marker))) == 2, 120)
        assert started, f"two kernels did not start: {marked_processes(marker)}"
        assert list((tmp_path / "site").glob(".staging-*"))  # the runs are under way
        second = subprocess.run(  # a second run into the same folder, meanwhile
            [sys.executable, "-m", "innostudy.cli", "run", "--config", str(quick_config(tmp_path))]
            + ["--out", str(tmp_path / "site")],
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 2 and "Traceback" not in second.stderr
        assert f"another run is writing to {tmp_path / 'site'} (process {runner.pid})" in (
            second.stderr
        )
        runner.send_signal(signum)
        returncode = runner.wait(30)
        left = wait_for(lambda: not marked_processes(marker), 5)
        assert left, f"processes of the run still alive: {marked_processes(marker)}"
    finally:
        runner.kill()
        for pid in marked_processes(marker):
            os.kill(pid, signal.SIGKILL)
    stderr = runner.stderr.read()
    runner.stderr.close()
    if signum == signal.SIGKILL:
        assert returncode == -signal.SIGKILL
        assert list((tmp_path / "site").glob(".staging-*"))  # nothing could clean up ...
        assert (tmp_path / "site" / LOCK_NAME).exists()
        run_reports(quick_config(tmp_path), out=tmp_path / "site", progress=False)
        assert not list((tmp_path / "site").glob(".staging-*"))  # ... until the next run
    else:
        assert returncode == 128 + signum
        assert f"interrupted by {signum.name}" in stderr and "Traceback" not in stderr
        assert sorted(p.name for p in (tmp_path / "site").iterdir()) == []  # nothing half-done


def test_a_second_run_into_the_same_folder_is_refused(tmp_path, capsys):
    site = tmp_path / "site"
    with lock_out(site):  # as a first run would hold it
        assert cli.main(["run", "--config", str(quick_config(tmp_path)), "--out", str(site)]) == 2
        err = capsys.readouterr().err
        assert f"another run is writing to {site} (process {os.getpid()})" in err
        assert "Traceback" not in err
    assert not (site / LOCK_NAME).exists()  # released and removed by the first run
    with lock_out(site):  # and can be taken again
        pass


def test_a_folder_that_cannot_be_written_is_refused_clearly(tmp_path, capsys, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    if os.geteuid() == 0:  # root writes into read-only folders: simulate the refusal
        real_open = os.open

        def refusing_open(path, flags, *args, **kwargs):
            if Path(path).parent == site:
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", refusing_open)
    else:
        site.chmod(0o555)
    assert cli.main(["run", "--config", str(quick_config(tmp_path)), "--out", str(site)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {site / LOCK_NAME}: permission denied" in err
    assert "Traceback" not in err


def test_a_full_disk_stops_the_run_and_leaves_no_temporary_file(tmp_path, capsys, monkeypatch):
    site, config = tmp_path / "site", quick_config(tmp_path)

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", full)  # every file the runner writes
    assert cli.main(["run", "--config", str(config), "--out", str(site)]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and "the disk is full" in err and "Traceback" not in err
    assert sorted(str(p.relative_to(site)) for p in site.rglob("*")) == []


def test_a_truncated_provenance_is_listed_not_a_traceback(tmp_path):
    folder = tmp_path / "city_profile" / "entity-baotou"
    folder.mkdir(parents=True)
    (folder / "provenance.json").write_text('{"report": "city_profile", "notebook": "02_c', "utf-8")
    page = write_index(tmp_path).read_text(encoding="utf-8")
    assert '<tr class="unreadable">' in page
    assert (
        "provenance.json cannot be read (Unterminated string starting at: line 1 column 40" in page
    )
    assert "run this report again" in page


def test_out_that_is_a_file_and_a_bad_job_count_are_refused(tmp_path, capsys):
    config, afile = quick_config(tmp_path), tmp_path / "site.html"
    afile.write_text("not a folder", encoding="utf-8")
    assert cli.main(["run", "--config", str(config), "--out", str(afile)]) == 2
    assert f"{afile} is not a folder" in capsys.readouterr().err
    assert afile.read_text(encoding="utf-8") == "not a folder"
    for jobs in ("0", "-2", "two"):
        with pytest.raises(SystemExit) as stop:
            cli.main(["run", "--config", str(config), "--jobs", jobs])
        assert stop.value.code == 2
        assert f"--jobs: expected a whole number of at least 1, got '{jobs}'" in (
            capsys.readouterr().err
        )
