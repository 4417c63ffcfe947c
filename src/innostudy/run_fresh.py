"""Do not redo what is done: is a report run up to date with what it was made from?

A run is up to date when its last run succeeded and nothing it was made from has changed since: the
notebook (its bytes), the parameters, the innostudy code (every file of the package), the versions
of the packages provenance lists, the data tables it read (hashes, as ``report.provenance``
recorded them) and every file it read through ``report.input_file`` (hashes again). The first
four make up the run's :func:`fingerprint`, stored in its ``provenance.json``; the files are
hashed afresh and compared with what provenance recorded. This is how ploomber's incremental builds
decide, with file hashes instead of modification times (a copied or touched file is not a change).

>>> reason_to_run({"status": "failed"}, {}, {})
'the last run failed'
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from innostudy import paths
from innostudy.report import package_versions

PACKAGE = Path(__file__).resolve().parent


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def code_hash(package: Path = PACKAGE) -> str:
    """One sha256 over every file of the innostudy package (names and contents, caches excluded)."""
    digest = hashlib.sha256()
    for file in sorted(package.rglob("*")):
        if file.is_file() and "__pycache__" not in file.parts:
            digest.update(file.relative_to(package).as_posix().encode() + b"\0")
            digest.update(_sha256(file).encode())
    return digest.hexdigest()


def environment_key() -> dict:
    """The part of every fingerprint that all runs share: the code and the package versions."""
    return {"code_sha256": code_hash(), "packages": package_versions()}


def fingerprint(notebook: Path, parameters: dict, shared: dict) -> dict:
    """What a run is made from besides its files: notebook bytes, parameters, code, packages."""
    return {
        "notebook_sha256": _sha256(notebook),
        "parameters": json.loads(json.dumps(parameters, sort_keys=True, default=str)),
        **shared,
    }


def read_provenance(folder: Path) -> dict | None:
    """The ``provenance.json`` of an earlier run in ``folder``, or None when there is none."""
    try:
        provenance = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return provenance if isinstance(provenance, dict) else None


def reason_to_run(provenance: dict | None, current: dict, data_cache: dict) -> str | None:
    """Why the run must execute again, or None when it is up to date.

    ``current`` is the run's :func:`fingerprint` now; ``data_cache`` keeps the hashes of each data
    folder once per call of the runner.
    """
    if provenance is None:
        return "never run"
    if provenance.get("status") != "ok":
        return "the last run failed"
    before = provenance.get("fingerprint") or {}
    for key, what in (
        ("notebook_sha256", "the notebook changed"),
        ("parameters", "the parameters changed"),
        ("code_sha256", "the innostudy code changed"),
        ("packages", "package versions changed"),
    ):
        if before.get(key) != current.get(key):
            return what
    if provenance.get("data") is None:
        return "its data files are unknown (the provenance cell did not run)"
    folder = Path(provenance.get("data_dir") or "data")
    if not folder.is_absolute():  # recorded relative to the project (paths.relative_to_project)
        folder = (paths.project_root() or paths.source_checkout() or Path.cwd()) / folder
    if str(folder) not in data_cache:
        from innostudy.dataset import data_hashes

        try:
            data_cache[str(folder)] = data_hashes(folder)
        except (OSError, ValueError):
            data_cache[str(folder)] = None
    if data_cache[str(folder)] != provenance["data"]:
        return f"data in {folder} changed"
    for entry in provenance.get("inputs") or []:
        path = Path(entry.get("resolved", ""))
        if not path.is_file() or _sha256(path) != entry.get("sha256"):
            return f"input file {entry.get('path')} changed"
    return None
