"""The project's own files agree with each other: one list of packages, the light import, the
packaged copy of data/; and the built wheel works installed outside the checkout.

The wheel is built offline with ``--no-build-isolation`` by the environment's own setuptools, pinned
in requirements.lock (dev extra): from version 70.1 setuptools builds wheels itself, while the 65.5
that ``python -m venv`` brings needs the separate ``wheel`` package and is older than the
``setuptools>=69`` that pyproject.toml's build-system asks for.
"""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import yaml

from innostudy import paths

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement string ("pandas>=2.2" -> "pandas")."""
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_names_the_packages_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    wanted |= {_name(r) for extra in project["optional-dependencies"].values() for r in extra}

    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert environment["channels"] == ["conda-forge"]
    conda = {_name(d) for d in environment["dependencies"] if isinstance(d, str)}
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert pip[0] == "-e ."
    # packages conda-forge does not carry come from PyPI through the pip section
    from_pypi = {_name(r) for r in pip[1:]}
    assert not conda & from_pypi
    assert (conda | from_pypi) - {"python", "pip"} == wanted


def test_lock_pins_every_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    wanted |= {_name(r) for extra in project["optional-dependencies"].values() for r in extra}
    lines = (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    pinned = {_name(line) for line in lines if "==" in line}
    assert wanted <= pinned, f"not in requirements.lock (run `make lock`): {wanted - pinned}"


def test_import_stays_light():
    heavy = ["statsmodels", "seaborn", "matplotlib", "papermill"]
    code = (
        "import sys, innostudy, innostudy.dataset, innostudy.clean; "
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_packaged_data_is_a_byte_identical_copy_of_data():
    stale = paths.packaged_differences(ROOT / "data", paths.PACKAGED_DATASET)
    assert stale == [], f"src/innostudy/data/dataset differs on {stale}: run `make package-data`"


def test_package_data_of_pyproject_ships_the_tables():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    shipped = setuptools["setuptools"]["package-data"]["innostudy"]
    assert {"data/dataset/*.csv", "data/dataset/README.md"} <= set(shipped)


def test_data_cites_only_the_original_documents():
    """No cell or codebook line points at the project's working files a reader cannot open."""
    shared = re.compile(r"shared/|seed report|reference row", re.IGNORECASE)
    found = []
    for table in sorted((ROOT / "data").glob("*.csv")):
        frame = pd.read_csv(table, dtype=str, keep_default_na=False)
        for line, row in enumerate(frame.itertuples(index=False), start=2):
            found += [f"{table.name}:{line}: {cell}" for cell in row if shared.search(cell)]
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8").splitlines()
    found += [f"README.md:{n}: {text}" for n, text in enumerate(readme, 1) if shared.search(text)]
    assert found == []


def test_the_built_wheel_works_installed_outside_the_checkout(tmp_path):
    """The issue's acceptance check: build the wheel from a copy of the sources, install it into a
    folder of its own, import it from a folder outside any project; `list` from notebooks/."""
    source, site, away = tmp_path / "source", tmp_path / "site", tmp_path / "elsewhere"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(ROOT / "src", source / "src", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    build = ["wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(tmp_path)]
    subprocess.run([*pip, *build, str(source)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("innostudy-*.whl")
    install = ["install", "--no-deps", "--no-index", "--target", str(site), str(wheel)]
    subprocess.run([*pip, *install], check=True, capture_output=True)
    away.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = (
        "import innostudy as ist; ds = ist.load_dataset(); "
        "print(ist.entities.resolve('包头').entity_id, len(ds.observations)); ist.policy; "
        "print(ist.__file__); print(ds.path)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=away, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    first, module, data = done.stdout.splitlines()
    rows = len(pd.read_csv(ROOT / "data" / "observations.csv"))  # the checkout's table
    assert first == f"baotou {rows}"
    assert Path(module).is_relative_to(site) and Path(data).is_relative_to(site)

    listing = [sys.executable, "-m", "innostudy.cli", "list", "--only", "data_audit"]
    inside = subprocess.run(
        listing, cwd=ROOT / "notebooks", env=env, capture_output=True, text=True
    )
    assert inside.returncode == 0, inside.stderr
    assert "data_audit/default" in inside.stdout and "1 run(s)" in inside.stdout
    outside = subprocess.run(listing, cwd=away, env=env, capture_output=True, text=True)
    assert outside.returncode == 2 and "no reports configuration" in outside.stderr
