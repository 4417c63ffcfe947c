"""Every location innostudy uses, in one place, so that the package works from any install.

* **Packaged data** (:data:`PACKAGE_DATA`): what ships inside the package. ``dataset/`` is a copy of
  the repository's ``data/`` (the curated tables, the codebook ``README.md``, the lexicon), so that
  :func:`innostudy.load_dataset` works from a wheel installed anywhere; ``divisions.csv`` and
  ``gazetteer.csv`` are tables built from it for resolving names.
* **The data folder** (:func:`data_dir`): the repository's ``data/`` when the package is imported
  from a source checkout (an editable install, or ``PYTHONPATH=src``), where the tables are edited;
  otherwise the packaged copy. A path given to ``load_dataset(path)`` still selects a user's copy.
* **The project** (:func:`project_root`): the innostudy checkout the command runs inside, found by
  walking up from the working folder to a folder with ``notebooks/reports.yml`` or a
  ``pyproject.toml`` naming innostudy. It holds the reports configuration
  (:func:`reports_config`) and the folder where notebooks run by hand leave their outputs
  (:func:`interactive_output_dir`).

``data/`` stays the one place the tables are edited; ``make package-data`` refreshes the packaged
copy with :func:`refresh_packaged_data`, and a test checks the two are byte-identical.

>>> (PACKAGE_DATA / "dataset" / "observations.csv").is_file()
True
>>> data_dir().name in {"data", "dataset"}
True
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from innostudy.errors import InnostudyError

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE_DATA = PACKAGE_DIR / "data"
PACKAGED_DATASET = PACKAGE_DATA / "dataset"
DATASET_FILES = ("*.csv", "README.md")  # what of data/ ships: the tables, lexicon and codebook
REPORTS_CONFIG = Path("notebooks") / "reports.yml"
_NAMES_INNOSTUDY = re.compile(r'^\s*name\s*=\s*["\']innostudy["\']', re.MULTILINE)


class ProjectNotFoundError(InnostudyError, ValueError, FileNotFoundError):
    """No innostudy project around the working folder (and none was named)."""

    def __str__(self) -> str:
        return self.args[0]


def is_project(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` is the root of an innostudy project (a checkout or a copy of one).

    >>> is_project(PACKAGE_DIR)
    False
    """
    folder = Path(folder)
    if (folder / REPORTS_CONFIG).is_file():
        return True
    pyproject = folder / "pyproject.toml"
    try:
        return pyproject.is_file() and bool(_NAMES_INNOSTUDY.search(pyproject.read_text("utf-8")))
    except (OSError, UnicodeDecodeError):
        return False


def project_root(start: str | os.PathLike | None = None) -> Path | None:
    """The innostudy project holding ``start`` (default: the working folder), walking up; else None."""
    here = Path(start if start is not None else os.getcwd()).resolve()
    return next((folder for folder in (here, *here.parents) if is_project(folder)), None)


def source_checkout() -> Path | None:
    """The repository this package was imported from (``<root>/src/innostudy``), else None."""
    root = PACKAGE_DIR.parents[1]
    if PACKAGE_DIR.parent.name == "src" and is_project(root) and (root / "data").is_dir():
        return root
    return None


def data_dir() -> Path:
    """The curated tables read by default: the checkout's ``data/``, else the packaged copy."""
    checkout = source_checkout()
    return checkout / "data" if checkout is not None else PACKAGED_DATASET


def reports_config(start: str | os.PathLike | None = None) -> Path:
    """``notebooks/reports.yml`` of the project holding ``start`` (default: the working folder).

    Raises :class:`ProjectNotFoundError` naming the folder when no project is found around it.
    """
    here = Path(start if start is not None else os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / REPORTS_CONFIG).is_file():
            return folder / REPORTS_CONFIG
    raise ProjectNotFoundError(
        f"no reports configuration: neither {here} nor a folder above it has {REPORTS_CONFIG} "
        "(run inside an innostudy project or give --config FILE)"
    )


def interactive_output_dir() -> Path:
    """Where a notebook run by hand leaves its outputs: ``reports/interactive/`` of the project
    holding the working folder, else of the working folder itself."""
    return (project_root() or Path.cwd()) / "reports" / "interactive"


def relative_to_project(path: str | os.PathLike) -> str:
    """``path`` relative to the project when inside it, so provenance names no home folder.

    >>> relative_to_project(source_checkout() / "data")
    'data'
    """
    resolved = Path(path).resolve()
    for root in (project_root(), source_checkout()):
        if root is not None and resolved.is_relative_to(root):
            return resolved.relative_to(root).as_posix()
    return str(resolved)


def packaged_differences(data: str | os.PathLike, packaged: str | os.PathLike) -> list[str]:
    """The file names on which ``packaged`` is not a byte-identical copy of ``data`` (empty if none)."""

    def listing(folder: Path) -> dict[str, bytes]:
        names = {f for pattern in DATASET_FILES for f in folder.glob(pattern) if f.is_file()}
        return {f.name: f.read_bytes() for f in names}

    source, copy = listing(Path(data)), listing(Path(packaged))
    return sorted(n for n in source.keys() | copy.keys() if source.get(n) != copy.get(n))


def refresh_packaged_data(checkout: str | os.PathLike | None = None) -> list[str]:
    """Make the packaged copy identical to ``<checkout>/data``; return the names it changed."""
    root = Path(checkout) if checkout is not None else source_checkout()
    if root is None:
        raise ProjectNotFoundError("not imported from a source checkout: no data/ to copy from")
    data, target = root / "data", root / "src" / "innostudy" / "data" / "dataset"
    changed = packaged_differences(data, target)
    target.mkdir(parents=True, exist_ok=True)
    for name in changed:
        if (data / name).is_file():
            shutil.copyfile(data / name, target / name)
        else:
            (target / name).unlink()
    return changed
