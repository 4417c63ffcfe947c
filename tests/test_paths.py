"""One module owns every location: packaged data, the project around the working folder, the
reports configuration; the CLI finds the configuration from any folder inside the project."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import innostudy as ist
from innostudy import paths
from innostudy.cli import main as cli

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_is_imported_from_this_checkout_and_reads_its_data():
    assert paths.source_checkout() == ROOT
    assert paths.data_dir() == ROOT / "data"
    assert ist.load_dataset().path == ROOT / "data"


def test_project_root_walks_up_from_any_folder_inside(tmp_path):
    assert paths.project_root(ROOT / "notebooks") == ROOT
    assert paths.project_root(ROOT / "src" / "innostudy" / "policy") == ROOT
    assert paths.project_root(tmp_path) is None


def test_a_pyproject_naming_another_package_is_no_project(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\n', encoding="utf-8")
    assert not paths.is_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "innostudy"\n', encoding="utf-8")
    assert paths.is_project(tmp_path)


def test_reports_config_found_from_a_subfolder_and_refused_outside(tmp_path):
    assert paths.reports_config(ROOT / "notebooks") == ROOT / "notebooks" / "reports.yml"
    with pytest.raises(paths.ProjectNotFoundError, match=r"give --config") as caught:
        paths.reports_config(tmp_path)
    assert str(tmp_path) in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_list_from_a_subfolder_and_a_clear_error_outside(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT / "notebooks")
    assert cli(["list", "--only", "data_audit"]) == 0
    assert "1 run(s)" in capsys.readouterr().out
    monkeypatch.chdir(tmp_path)
    assert cli(["list"]) == 2
    err = capsys.readouterr().err
    assert "no reports configuration" in err and "--config" in err
    assert (
        cli(["list", "--only", "data_audit", "--config", str(ROOT / "notebooks/reports.yml")]) == 0
    )


def test_interactive_outputs_go_to_the_project_around_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT / "notebooks")
    assert paths.interactive_output_dir() == ROOT / "reports" / "interactive"
    monkeypatch.chdir(tmp_path)
    assert paths.interactive_output_dir() == tmp_path.resolve() / "reports" / "interactive"


def test_refresh_copies_changes_and_removes_stale_files(tmp_path):
    data, packaged = tmp_path / "data", tmp_path / "src" / "innostudy" / "data" / "dataset"
    data.mkdir(parents=True)
    packaged.mkdir(parents=True)
    (data / "sources.csv").write_text("source_id\na\n", encoding="utf-8")
    (data / "README.md").write_text("codebook\n", encoding="utf-8")
    (packaged / "sources.csv").write_text("source_id\nold\n", encoding="utf-8")
    (packaged / "gone.csv").write_text("x\n", encoding="utf-8")
    assert paths.packaged_differences(data, packaged) == ["README.md", "gone.csv", "sources.csv"]
    assert paths.refresh_packaged_data(tmp_path) == ["README.md", "gone.csv", "sources.csv"]
    assert paths.packaged_differences(data, packaged) == []
    assert not (packaged / "gone.csv").exists()


def test_accept_refuses_the_read_only_packaged_copy(tmp_path, capsys):
    assert cli(["extract", "--accept", str(tmp_path / "c.csv"), "--data",
                str(paths.PACKAGED_DATASET)]) == 2  # fmt: skip
    assert "read-only copy" in capsys.readouterr().err


def test_lazy_submodules_are_listed_and_load_on_first_use():
    assert {"policy", "composite", "entities", "clean", "report"} <= set(dir(ist))
    code = (
        "import sys, innostudy as ist; before = 'innostudy.policy' in sys.modules; ist.policy; "
        "print(before, 'innostudy.policy' in sys.modules, hasattr(ist, 'nope'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True", "False"]


def test_a_copy_of_the_data_is_still_selected_by_path(tmp_path):
    shutil.copytree(ROOT / "data", tmp_path / "mine")
    assert ist.load_dataset(tmp_path / "mine").path == tmp_path / "mine"
