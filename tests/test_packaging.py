"""The project's own files agree with each other: one list of packages, the light import."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

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
