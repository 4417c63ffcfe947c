"""The report runner: every notebook of reports.yml runs headless with its defaults and with another
parameter set, parameters are checked before anything runs, and a failing notebook is reported with
its cell while the others complete.

Notebook execution is the slow part (a kernel start each), so all runs happen in one
``run_reports`` call with two workers, shared by the tests through a module-scoped fixture.
"""

import hashlib
import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import innostudy as ist
from innostudy import cli
from innostudy.dataset import data_hashes
from innostudy.run import (
    ConfigError,
    Run,
    RunResult,
    RunSummary,
    _move_into_place,
    _write_html,
    load_config,
    plan,
    run_reports,
    safe_name,
    write_index,
)
from innostudy.run_plan import read_yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "notebooks" / "reports.yml"
FAILING = ROOT / "tests" / "fixtures" / "notebooks" / "failing.ipynb"
SLOW = ROOT / "tests" / "fixtures" / "notebooks" / "slow.ipynb"
READS_INPUT = ROOT / "tests" / "fixtures" / "notebooks" / "reads_input.ipynb"
PANEL_TEXT = "城市,年份,发明专利授权数\n莱芜市,2015年,12\n济南市,2015年,\n"  # simulated rows


def non_default_sets(data_copy: Path) -> dict[str, dict]:
    """One non-default parameter set per report of reports.yml; a new report needs one here."""
    return {
        "data_audit": {"data_dir": str(data_copy)},
        "city_profile": {"entity": "baotou"},
        "composite_index": {
            "draws": 200,
            "sensitivity_draws": 64,
            "seed": 1,
            "simulated_units": 30,
        },
        "policy_evaluation": {"seed": 1, "control_group": "notyet", "placebo_draws": 20},
        "pilot_comparison": {
            "entities": ["guiyang", "baotou"],
            "indicators": ["platform_experts_joined", "academic_activities"],
            "per_capita": True,
        },
    }


@pytest.fixture(scope="module")
def ds():
    return ist.load_dataset()


@pytest.fixture(scope="module")
def data_copy(tmp_path_factory):
    """The repository's data without its last observation, for the audit's non-default run."""
    folder = tmp_path_factory.mktemp("data")
    for file in (ROOT / "data").glob("*.csv"):
        text = file.read_text(encoding="utf-8")
        if file.name == "observations.csv":
            text = "\n".join(text.rstrip("\n").split("\n")[:-1]) + "\n"
        (folder / file.name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def suite(tmp_path_factory, data_copy):
    """Every report with its defaults and one other set, plus two failing fixtures: one call."""
    folder = tmp_path_factory.mktemp("suite")
    others = non_default_sets(data_copy)
    reports = {
        name: {
            "notebook": str(spec["notebook"]),
            "description": spec["description"],
            "parameter_sets": [{}, others[name]],
        }
        for name, spec in load_config(CONFIG)["reports"].items()
    }
    slow_first = ("composite_index", "policy_evaluation")  # no earlier run times to go by
    reports = dict(sorted(reports.items(), key=lambda item: item[0] not in slow_first))
    reports["failing"] = {"notebook": str(FAILING)}
    reports["slow"] = {"notebook": str(SLOW), "timeout": 2}
    reports["reads_input"] = {
        "notebook": str(READS_INPUT),
        "parameter_sets": [
            {"panel_path": "inputs/panel.csv"},
            {"panel_path": "inputs/none.csv"},
            {"panel_path": "inputs/gbk.csv"},  # found and hashed, then fails to decode as UTF-8
        ],
    }
    config = folder / "reports.yml"
    config.write_text(
        yaml.safe_dump({"timeout": 300, "reports": reports}, sort_keys=False), "utf-8"
    )
    invoked = folder / "invoked"  # the folder `innostudy run` is started from
    (invoked / "inputs").mkdir(parents=True)
    (invoked / "inputs" / "panel.csv").write_text(PANEL_TEXT, encoding="utf-8")
    (invoked / "inputs" / "gbk.csv").write_bytes(PANEL_TEXT.encode("gbk"))
    started_in = os.getcwd()
    os.chdir(invoked)
    try:
        return run_reports(config, jobs=2, out=folder / "site", progress=False)
    finally:
        os.chdir(started_in)


def folder_of(report: str, parameters: dict) -> str:
    return Run(report, Path("x.ipynb"), parameters).folder


# -- every notebook, default and non-default --------------------------------------------------------


def test_every_report_in_the_suite_has_a_non_default_case(data_copy):
    missing = set(load_config(CONFIG)["reports"]) - set(non_default_sets(data_copy))
    assert not missing, f"add a non-default parameter set for {missing} to non_default_sets()"


def test_all_but_the_failing_notebook_complete(suite):
    unreadable = [
        folder_of("reads_input", {"panel_path": f"inputs/{name}.csv"}) for name in ("none", "gbk")
    ]
    assert [r.run.folder for r in suite.failed] == ["failing/default", "slow/default", *unreadable]
    assert len(suite.results) == 2 * len(load_config(CONFIG)["reports"]) + 5
    assert not suite.ok


def test_data_audit_follows_its_data_dir(suite, ds, data_copy):
    default = suite["data_audit/default"].records()
    other = suite[folder_of("data_audit", {"data_dir": str(data_copy)})].records()
    assert default["n_observations"] == len(ds.observations)
    assert other["n_observations"] == len(ds.observations) - 1
    assert default["n_problems"] == other["n_problems"] == 0
    assert default["n_conflicts"] == 1  # 26 vs 22 first-batch pilots
    assert default["qualifiers"] == ds.observations["qualifier"].value_counts().to_dict()
    heatmap = suite["data_audit/default"].path / "figures" / "coverage_heatmap.png"
    assert heatmap.stat().st_size > 10_000


def test_city_profile_records_every_fact_of_its_entity(suite, ds):
    obs = ds.observations
    for entity, folder in [
        ("guiyang", "city_profile/default"),
        ("baotou", "city_profile/entity-baotou"),
    ]:
        facts = obs[obs["entity_id"] == entity]
        records = suite[folder].records()
        assert records["n_facts"] == len(facts)
        assert records["n_sources"] == facts["source_id"].nunique()
        assert records["n_intervals"] == int((facts["qualifier"] != "exact").sum())


def test_city_profile_derives_a_rank_percentile_only_with_a_stated_field(suite, ds):
    facts = ds.observations.set_index(["entity_id", "indicator_id"])["value"]
    rank = facts["guiyang", "pilot_evaluation_rank"]
    field = facts["guiyang", "pilot_evaluation_rank_field_size"]
    expected = 100 * (field - rank) / (field - 1)
    guiyang = suite["city_profile/default"].records()["rank_percentiles"]
    assert guiyang == {"pilot_evaluation_percentile": [pytest.approx(expected)] * 2}
    # Baotou's rank ("top 10") comes without a field size: nothing is borrowed from Guiyang
    assert suite["city_profile/entity-baotou"].records()["rank_percentiles"] == {}


def test_pilot_comparison_compares_only_shared_groups(suite, ds):
    obs = ds.observations
    shared = set(obs.loc[obs["entity_id"] == "guiyang", "group"]) & set(
        obs.loc[obs["entity_id"] == "baotou", "group"]
    )
    default = suite["pilot_comparison/default"].records()
    assert default["comparable_groups"] == sorted(shared)
    assert default["n_per_capita_values"] == 0


def test_pilot_comparison_with_chosen_indicators_per_capita(suite, data_copy):
    parameters = non_default_sets(data_copy)["pilot_comparison"]
    records = suite[folder_of("pilot_comparison", parameters)].records()
    # academic activities: Guiyang's "more than 90" vs Baotou's joint activities, another group
    assert records["comparable_groups"] == ["platform_experts_joined"]
    assert records["n_not_comparable"] == 1
    assert records["n_per_capita_values"] == 2


def test_policy_evaluation_recovers_the_simulated_effect(suite, data_copy):
    other = non_default_sets(data_copy)["policy_evaluation"]
    for folder, draws in [
        ("policy_evaluation/default", 200),  # the notebook's default placebo_draws
        (folder_of("policy_evaluation", other), other["placebo_draws"]),
    ]:
        records = suite[folder].records()
        assert records["simulated"] is True
        assert abs(records["att_simple"] - records["true_att"]) < 3 * records["att_simple_se"]
        # an effect this large: no random reassignment matches it, the smallest p-value possible
        assert records["placebo_pvalue"] == pytest.approx(1 / (draws + 1))
    default = suite["policy_evaluation/default"]
    assert default.records()["pretrend_pvalue"] > 0.05  # the default simulation has parallel trends
    for name in ("rollout", "twfe", "event_study", "att_gt", "att_dynamic", "bacon", "placebo"):
        assert (default.path / "figures" / f"{name}.png").stat().st_size > 10_000, name
    assert pd.read_csv(default.path / "tables" / "att_simple.csv")["simulated"].all()


def test_composite_index_follows_its_simulation_parameters(suite, data_copy):
    other = non_default_sets(data_copy)["composite_index"]
    for folder, units, draws in [
        ("composite_index/default", 65, 2000),  # the notebook's defaults
        (folder_of("composite_index", other), other["simulated_units"], other["draws"]),
    ]:
        records = suite[folder].records()
        assert (records["simulated_units"], records["simulated_draws"]) == (units, draws)
        assert records["real_entities"] >= records["real_comparable_entities"] >= 0
        assert records["real_shared_indicators"] >= 1
        assert (suite[folder].path / "figures" / "simulated_rank_intervals.png").exists()
        assert (
            0
            <= records["simulated_median_rank_interval_width"]
            <= records["simulated_max_rank_interval_width"]
            < units
        )


# -- what each run leaves ---------------------------------------------------------------------------


def test_each_run_leaves_notebook_html_outputs_and_provenance(suite, data_copy):
    for result in suite.results:
        folder, stem = result.path, result.run.notebook.stem
        assert (folder / f"{stem}.ipynb").exists() and (folder / "papermill.log").exists()
        assert "missing from font" not in (folder / "papermill.log").read_text(encoding="utf-8")
        page = (folder / f"{stem}.html").read_text(encoding="utf-8")
        assert "import innostudy" not in page  # rendered without code
        assert remote_scripts(page) == []
        provenance = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
        assert provenance["parameters"] == result.run.parameters
        assert provenance["status"] == result.status
        assert provenance["papermill"] and provenance["packages"]["pandas"]
        assert re.fullmatch(r"[0-9a-f]{40}", provenance["git"]["commit"])
        assert isinstance(provenance["git"]["dirty"], bool)
        assert provenance["started"] <= provenance["finished"] and provenance["duration_s"] > 0
        if result.status == "ok":
            data = data_copy if "data_dir" in result.run.parameters else ROOT / "data"
            assert provenance["data"] == data_hashes(data)
            figures = {Path(f).stem for f in provenance["outputs"]["figures"]}
            for name in figures:
                assert (folder / "figures" / f"{name}.png").exists()
                assert (folder / "figures" / f"{name}.svg").exists()


def test_runs_are_moved_into_place_without_leftovers(suite):
    hidden = [p.name for p in suite.out.iterdir() if p.name.startswith(".")]
    assert hidden == []
    assert sorted(
        str(p.relative_to(suite.out).parent) for p in suite.out.glob("*/*/provenance.json")
    ) == sorted(suite.folders)


def test_failing_notebook_is_kept_with_its_cell_and_exception(suite):
    import nbformat

    failed = suite["failing/default"]
    assert failed.status == "failed"
    assert failed.error["ename"] == "ZeroDivisionError"
    assert failed.error["line"] == 2  # the line that raised, from the traceback
    assert failed.error["source"].splitlines()[1].endswith("numerator / divisor)")
    assert failed.records() == {"before_failure": True}  # the cells after it did not run
    executed = nbformat.read(failed.path / "failing.ipynb", as_version=4)
    assert any("papermill-error-cell-tag" in c.metadata.get("tags", []) for c in executed.cells)
    line = next(line for line in suite.summary().splitlines() if "failing/default" in line)
    assert "failing.ipynb" in line and f"In [{failed.error['execution_count']}]" in line
    assert "ZeroDivisionError: division by zero" in line
    assert 'line 2: `report.record("quotient", numerator / divisor)`' in line
    assert "numerator = 1" not in line


def test_relative_input_paths_start_where_the_command_ran_and_are_hashed(suite):
    result = suite[folder_of("reads_input", {"panel_path": "inputs/panel.csv"})]
    assert result.status == "ok" and result.records() == {"n_lines": 3}
    assert (result.path / "figures" / "chinese_title.png").stat().st_size > 5_000
    assert "Glyph" not in (result.path / "papermill.log").read_text(encoding="utf-8")
    provenance = json.loads((result.path / "provenance.json").read_text(encoding="utf-8"))
    panel = suite.out.parent / "invoked" / "inputs" / "panel.csv"
    assert provenance["inputs"] == [
        {
            "path": "inputs/panel.csv",
            "resolved": str(panel.resolve()),
            "sha256": hashlib.sha256(PANEL_TEXT.encode()).hexdigest(),
            "bytes": len(PANEL_TEXT.encode()),
        }
    ]


def test_an_input_read_before_a_failure_is_still_in_the_provenance(suite):
    failed = suite[folder_of("reads_input", {"panel_path": "inputs/gbk.csv"})]
    assert failed.status == "failed" and failed.error["ename"] == "UnicodeDecodeError"
    provenance = json.loads((failed.path / "provenance.json").read_text(encoding="utf-8"))
    assert [(entry["path"], entry["sha256"]) for entry in provenance["inputs"]] == [
        ("inputs/gbk.csv", hashlib.sha256(PANEL_TEXT.encode("gbk")).hexdigest())
    ]


def test_a_missing_input_names_the_path_given_resolved_and_where_from(suite):
    failed = suite[folder_of("reads_input", {"panel_path": "inputs/none.csv"})]
    invoked = (suite.out.parent / "invoked").resolve()
    assert failed.error["ename"] == "InputFileNotFoundError"
    assert failed.error["evalue"] == (
        f"input file 'inputs/none.csv': no such file (looked for {invoked / 'inputs' / 'none.csv'}"
        f"; relative paths are resolved from {invoked})"
    )
    assert "line 4: `resolved = report.input_file(panel_path)`" in failed.describe()


def test_a_cell_past_its_timeout_is_reported_with_its_cell(suite):
    slow = suite["slow/default"]
    assert slow.error["ename"] == "CellTimeoutError" and "time.sleep" in slow.error["source"]
    assert slow.duration_s < 30  # stopped at the 2 s cell timeout, not after the 60 s sleep
    assert "In [" in slow.describe() and "timed out" in slow.describe()


def test_index_lists_every_run_with_links(suite):
    page = (suite.out / "index.html").read_text(encoding="utf-8")
    for result in suite.results:
        assert f'href="{result.run.folder}/{result.run.notebook.stem}.html"' in page.replace(
            "%2B", "+"
        )
    assert page.count('<tr class="failed">') == 4
    assert "entity = &quot;baotou&quot;" in page  # parameters one per line, values as JSON


# -- refused before anything runs ---------------------------------------------------------------------


def remote_scripts(page: str) -> list[str]:
    """Scripts a page would load from the network (``src`` of a script, ``import()`` of a module)."""
    tags = re.findall(r"<script[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>", page, flags=re.I)
    return tags + re.findall(r"import\(\s*[\"'](?:https?:)?//[^)]*\)", page)


def test_report_pages_load_no_script_from_the_network(tmp_path):
    """nbconvert's default page loads require.js, MathJax and Mermaid from a CDN; ours none."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.cells = [
        nbformat.v4.new_markdown_cell("Effect $\\beta$ of the pilot (模拟数据)"),
        nbformat.v4.new_code_cell("1 + 1", outputs=[nbformat.v4.new_output("stream", text="2")]),
    ]
    executed = tmp_path / "x.ipynb"
    nbformat.write(nb, executed)
    assert remote_scripts(HTMLExporter().from_notebook_node(nb)[0])  # the control: the default
    outcome = {"status": "ok", "error": None, "started": "2026-01-01T00:00:00", "duration_s": 1.0}
    _write_html(executed, Run("r", FAILING, {"outcome": "发明专利授权数"}), outcome)
    page = (tmp_path / "x.html").read_text(encoding="utf-8")
    assert remote_scripts(page) == [] and "发明专利授权数" in page and "模拟数据" in page


def write_config(tmp_path: Path, reports: dict) -> Path:
    path = tmp_path / "reports.yml"
    path.write_text(yaml.safe_dump({"reports": reports}), encoding="utf-8")
    return path


def test_unknown_parameter_is_refused_before_anything_runs(tmp_path):
    notebook = str(ROOT / "notebooks" / "02_city_profile.ipynb")
    config = write_config(
        tmp_path, {"profile": {"notebook": notebook, "parameter_sets": [{"entitiy": "baotou"}]}}
    )
    with pytest.raises(ConfigError) as error:
        run_reports(config, out=tmp_path / "site")
    message = str(error.value)
    assert "02_city_profile.ipynb" in message and "'entitiy' = 'baotou'" in message
    assert "declares entity" in message
    assert not (tmp_path / "site").exists()


def test_wrong_types_are_refused_naming_the_expected_type(tmp_path):
    notebook = str(ROOT / "notebooks" / "03_pilot_comparison.ipynb")
    sets = [
        {"per_capita": "yes"},
        {"entities": ["guiyang", 7]},
        {"indicators": "platform_experts_joined"},
        {"indicators": None, "entities": ["guiyang", "baotou"], "per_capita": False},  # fine
    ]
    config = write_config(tmp_path, {"cmp": {"notebook": notebook, "parameter_sets": sets}})
    with pytest.raises(ConfigError) as error:
        plan(config)
    problems = error.value.problems
    assert len(problems) == 3
    assert "'per_capita' = 'yes' (str) does not match the declared type bool" in problems[0]
    assert "list[str]" in problems[1]
    assert "Optional[list[str]]" in problems[2]


def test_config_problems_are_reported_together(tmp_path):
    config = write_config(
        tmp_path,
        {
            "a": {"notebook": "missing.ipynb", "grid": {"entity": {"entities_with_most": 3}}},
            "b": {"notebok": "x.ipynb"},
        },
    )
    with pytest.raises(ConfigError) as error:
        load_config(config)
    assert len(error.value.problems) == 2
    assert "notebook not found" in error.value.problems[0]
    assert "needs a 'notebook'" in error.value.problems[1]


def test_grid_lists_every_entity_with_enough_facts(ds):
    counts = ds.observations["entity_id"].value_counts()
    runs = plan(CONFIG, only=["city_profile"])
    assert [r.parameters["entity"] for r in runs] == sorted(counts.index[counts >= 5])


def test_overrides_apply_where_declared_and_must_be_declared_somewhere():
    runs = plan(CONFIG, only=["city_profile"], overrides={"entity": "guiyang"})
    assert [r.parameters for r in runs] == [{"entity": "guiyang"}]  # the grid collapses to one run
    with pytest.raises(ConfigError, match="no selected notebook declares a parameter 'entty'"):
        plan(CONFIG, overrides={"entty": "guiyang"})


# -- names, HTML, moving, command line ------------------------------------------------------------------


def assert_safe_file_name(name: str) -> None:
    """One path component any common file system accepts, that no shell or URL treats specially."""
    assert name and name not in (".", "..") and not name.startswith((".", "~", "-"))
    assert not any(char in name for char in '/\\:*?"<>|\0') and ".." not in name
    assert all(char.isprintable() and not char.isspace() for char in name)
    assert len(name.encode("utf-8")) <= 120


@pytest.mark.parametrize(
    "value", ["../../etc/passwd", "a/b\\c", "..", ".hidden", "x" * 300, "", "专" * 300, "\u200b"]
)
def test_safe_name_of_hostile_values(value):
    assert_safe_file_name(safe_name(value))


@given(st.text())
def test_safe_name_is_always_a_plain_file_name(value):
    assert_safe_file_name(safe_name(value))


def test_chinese_parameter_values_keep_readable_distinct_folders():
    folders = {
        folder_of("policy_evaluation", {"outcome": value, "unit": "城市"})
        for value in ("发明专利授权数", "地区生产总值")
    }
    assert folders == {
        "policy_evaluation/outcome-发明专利授权数__unit-城市",
        "policy_evaluation/outcome-地区生产总值__unit-城市",
    }


@given(st.text(), st.text())
def test_different_values_never_share_a_name(a, b):
    if a != b:
        assert safe_name(a) != safe_name(b)
        assert folder_of("r", {"outcome": a}) != folder_of("r", {"outcome": b})


@given(st.dictionaries(st.sampled_from("ab"), st.text(max_size=8), min_size=1), st.data())
def test_different_parameter_sets_never_share_a_folder(first, data):
    second = data.draw(st.dictionaries(st.sampled_from("ab"), st.text(max_size=8), min_size=1))
    if first != second:
        assert folder_of("r", first) != folder_of("r", second)
    for part in folder_of("r", first).split("/"):
        assert_safe_file_name(part)


def test_index_escapes_everything_it_writes(tmp_path):
    folder = tmp_path / "evil" / "default"
    folder.mkdir(parents=True)
    provenance = {
        "report": "<script>alert(1)</script>",
        "notebook": "notebooks/<b>.ipynb",
        "parameters": {"entity": "</td><script>"},
        "status": "failed",
        "error": {"cell_index": 1, "ename": "KeyError", "evalue": "<img src=x onerror=alert(1)>"},
        "started": "2025-01-01T00:00:00+00:00",
        "duration_s": 1.0,
        "git": {"commit": None, "dirty": None},
        "outputs": {"figures": ["<svg>.png"], "tables": []},
    }
    (folder / "provenance.json").write_text(json.dumps(provenance), encoding="utf-8")
    page = write_index(tmp_path).read_text(encoding="utf-8")
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_move_into_place_replaces_an_earlier_run(tmp_path):
    final, staging = tmp_path / "r" / "default", tmp_path / ".staging-x"
    final.mkdir(parents=True)
    (final / "old.txt").write_text("old")
    staging.mkdir()
    (staging / "new.txt").write_text("new")
    _move_into_place(staging, final)
    assert [p.name for p in final.iterdir()] == ["new.txt"]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["default", "new.txt", "r"]


def test_cli_list_run_and_exit_codes(tmp_path, capsys, monkeypatch):
    assert cli.main(["list", "--config", str(CONFIG), "--only", "city_profile"]) == 0
    assert "city_profile/entity-guiyang" in capsys.readouterr().out
    assert cli.main(["list", "--config", str(CONFIG), "-p", "nothing"]) == 2
    assert "expected key=value" in capsys.readouterr().err

    seen = {}

    def fake_run_reports(config, only, jobs, out, overrides, force):
        seen.update(config=config, only=only, jobs=jobs, out=out, overrides=overrides, force=force)
        run = Run("failing", FAILING, {})
        error = {"cell_index": 3, "execution_count": 3, "ename": "ZeroDivisionError", "evalue": ""}
        result = RunResult(run, tmp_path, "failed", "t0", "t1", 1.0, error)
        return RunSummary([result], tmp_path, 1.0)

    monkeypatch.setattr("innostudy.run.run_reports", fake_run_reports)
    argv = [
        "run",
        "--only",
        "a",
        "b",
        "--jobs",
        "2",
        "-p",
        "per_capita=true",
        "-p",
        "entities=[x, y]",
        "--force",
    ]
    assert cli.main(argv) == 1
    assert seen["only"] == ["a", "b"] and seen["jobs"] == 2 and seen["force"] is True
    assert seen["overrides"] == {"per_capita": True, "entities": ["x", "y"]}
    assert "ZeroDivisionError" in capsys.readouterr().out


# -- hostile YAML -------------------------------------------------------------------------------------


def alias_bomb(levels: int = 9) -> str:
    """The "billion laughs" in YAML: each level repeats the one before nine times (~300 characters)."""
    names = "abcdefghijklmnop"
    rows = [f"{names[0]}: &{names[0]} [x, x, x, x, x, x, x, x, x]"]
    rows += [
        f"{names[i]}: &{names[i]} [{', '.join([f'*{names[i - 1]}'] * 9)}]" for i in range(1, levels)
    ]
    return "{" + ", ".join(rows) + "}"


def test_an_alias_bomb_in_a_parameter_is_refused_at_once(capsys):
    bomb = alias_bomb()
    assert len(bomb) < 500
    assert cli.main(["list", "--config", str(CONFIG), "-p", f"entity={bomb}"]) == 2
    err = capsys.readouterr().err
    assert "-p entity: YAML aliases (*name) are not allowed here at line 1, column" in err
    assert "Traceback" not in err


def test_an_alias_bomb_in_reports_yml_is_refused(tmp_path, capsys):
    notebook = ROOT / "notebooks" / "02_city_profile.ipynb"
    config = tmp_path / "reports.yml"
    config.write_text(
        f"bomb: {alias_bomb()}\nreports:\n  p:\n    notebook: {notebook}\n", encoding="utf-8"
    )
    assert cli.main(["list", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "more than 100,000 values once YAML aliases are expanded" in err
    assert str(config) in err and "Traceback" not in err


def test_a_few_aliases_in_reports_yml_still_work(tmp_path):
    notebook = ROOT / "notebooks" / "02_city_profile.ipynb"
    config = tmp_path / "reports.yml"
    config.write_text(
        f"reports:\n  p:\n    notebook: {notebook}\n"
        "    parameter_sets: [&guiyang {entity: guiyang}]\n"
        f"  q:\n    notebook: {notebook}\n    parameter_sets: [*guiyang]\n",
        encoding="utf-8",
    )
    assert [run.parameters for run in plan(config)] == [{"entity": "guiyang"}] * 2


def test_a_self_referring_alias_is_refused():
    with pytest.raises(ConfigError, match="refers to the value that contains it"):
        read_yaml("&a [1, *a]", "reports.yml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("reports: {a: [1, 2}", "malformed YAML: expected ',' or ']', but got '}' (line 1, column 19)"),
        ("reports:\n  a: 1\n b: 2\n", "malformed YAML: expected <block end>, but found "
                                      "'<block mapping start>' (line 3, column 2)"),
        ("a: 1\n---\nb: 2\n", "malformed YAML: expected a single document in the stream, "
                               "but found another document (line 2, column 1)"),
        ("a: !!python/object:os.system x", "malformed YAML: could not determine a constructor"),
    ],
)  # fmt: skip
def test_malformed_reports_yml_exits_2_with_one_clear_line(tmp_path, capsys, text, message):
    config = tmp_path / "reports.yml"
    config.write_text(text, encoding="utf-8")
    assert cli.main(["list", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"  - {config}: {message}" in err and "Traceback" not in err
    assert err.count("\n  - ") == 1


def test_oversized_inputs_are_refused(tmp_path, capsys):
    assert cli.main(["list", "--config", str(CONFIG), "-p", "entity=" + "x" * 20_000]) == 2
    assert "the value has 20,000 characters; at most 10,000 are read" in capsys.readouterr().err
    config = tmp_path / "reports.yml"
    config.write_text("#" * 1_000_001, encoding="utf-8")
    assert cli.main(["list", "--config", str(config)]) == 2
    assert "1,000,001 bytes; a reports file may have 1,000,000" in capsys.readouterr().err
    config.write_bytes(b"reports: \xff\xfe\n")
    assert cli.main(["list", "--config", str(config)]) == 2
    assert "cannot be read as UTF-8 text" in capsys.readouterr().err


def test_malformed_parameters_are_listed_together(capsys):
    argv = ["list", "--config", str(CONFIG), "-p", "entity=[a, b", "-p", "seed", "-p", "x={y: 1"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert (
        "-p entity: malformed YAML: expected ',' or ']', but got '<stream end>' (line 1, column 6)"
        in err
    )
    assert "-p 'seed': expected key=value" in err and "-p x: malformed YAML" in err
    assert err.count("\n  - ") == 3 and "Traceback" not in err


# -- incremental runs: do not redo what is done ------------------------------------------------------


def test_a_second_run_skips_what_is_up_to_date_and_reruns_only_what_changed(tmp_path):
    import shutil
    import time

    notebook = tmp_path / "reads_input.ipynb"
    shutil.copy(READS_INPUT, notebook)
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text(PANEL_TEXT, encoding="utf-8")
    sets = [{"panel_path": str(tmp_path / "a.csv")}, {"panel_path": str(tmp_path / "b.csv")}]
    config = write_config(tmp_path, {"reads": {"notebook": str(notebook), "parameter_sets": sets}})
    out = tmp_path / "site"
    folders = [folder_of("reads", s) for s in sets]

    first = run_reports(config, jobs=2, out=out, progress=False)
    assert [first[f].status for f in folders] == ["ok", "ok"], first.summary()
    written = (out / folders[0] / "provenance.json").stat().st_mtime_ns
    began = time.perf_counter()
    second = run_reports(config, jobs=2, out=out, progress=False)
    took = time.perf_counter() - began
    assert [second[f].status for f in folders] == ["up to date", "up to date"], second.summary()
    assert second.ok and took < 10, took  # no kernel started: planning and hashing only
    assert "2 up to date" in second.summary()
    assert (out / folders[0] / "provenance.json").stat().st_mtime_ns == written  # left alone
    # a changed input file reruns exactly the run that read it
    (tmp_path / "b.csv").write_text(PANEL_TEXT + "贵阳市,2016年,30\n", encoding="utf-8")
    third = run_reports(config, jobs=2, out=out, progress=False)
    assert [third[f].status for f in folders] == ["up to date", "ok"], third.summary()
    assert third[folders[1]].records()["n_lines"] == 4
    # force reruns everything
    forced = run_reports(config, jobs=2, out=out, progress=False, force=True)
    assert [forced[f].status for f in folders] == ["ok", "ok"], forced.summary()


def test_what_makes_a_run_stale():
    from innostudy.run_fresh import environment_key, fingerprint, reason_to_run

    shared = environment_key()
    current = fingerprint(READS_INPUT, {"panel_path": "a.csv"}, shared)
    data = data_hashes()
    done = {"status": "ok", "fingerprint": current, "data_dir": "data", "data": data, "inputs": []}
    assert reason_to_run(done, current, {}) is None
    changes = {
        "the last run failed": {**done, "status": "failed"},
        "the parameters changed": {**done, "fingerprint": {**current, "parameters": {}}},
        "the innostudy code changed": {**done, "fingerprint": {**current, "code_sha256": "0"}},
        "package versions changed": {
            **done,
            "fingerprint": {**current, "packages": {**shared["packages"], "pandas": "0.1"}},
        },
        "the notebook changed": {**done, "fingerprint": {**current, "notebook_sha256": "0"}},
    }
    for reason, provenance in changes.items():
        assert reason_to_run(provenance, current, {}) == reason
    edited = {**done, "data": {**data, "observations.csv": "0" * 64}}
    assert reason_to_run(edited, current, {}).startswith("data in ")
    gone = {**done, "inputs": [{"path": "x.csv", "resolved": "/no/such/x.csv", "sha256": "0"}]}
    assert reason_to_run(gone, current, {}) == "input file x.csv changed"
    assert reason_to_run(None, current, {}) == "never run"


def test_list_parameters_prints_type_default_and_help(capsys):
    assert cli.main(["list", "--config", str(CONFIG), "--parameters"]) == 0
    printed = capsys.readouterr().out
    assert 'entity: str = "guiyang"  # an entity_id of data/entities.csv' in printed
    assert "per_capita: bool = False" in printed
    assert printed.count("parameter(s)") == len(load_config(CONFIG)["reports"])


def test_every_report_has_a_description_and_no_reference_to_missing_files():
    config = load_config(CONFIG)
    assert all(spec["description"] for spec in config["reports"].values())
    cited = re.findall(r"docs/[\w./-]+\.md", CONFIG.read_text(encoding="utf-8"))
    assert cited and all((ROOT / path).is_file() for path in cited)


def test_a_worker_reuses_its_kernel_with_a_clean_namespace(tmp_path):
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [
        nbformat.v4.new_code_cell('tag = "a"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import os\nfrom innostudy import report\n"
            'report.record("pid", os.getpid())\n'
            'report.record("leftover", "marker" in dir())\n'
            'report.record("cwd", os.getcwd())\n'
            'report.record("count", get_ipython().execution_count)\n'
            "marker = 1"
        ),
    ]
    (tmp_path / "nb").mkdir()
    path = tmp_path / "nb" / "probe.ipynb"
    nbformat.write(notebook, path)
    sets = [{"tag": "a"}, {"tag": "b"}, {"tag": "c"}]
    config = write_config(tmp_path, {"probe": {"notebook": str(path), "parameter_sets": sets}})
    warm = run_reports(config, jobs=1, out=tmp_path / "warm", progress=False)
    records = [warm[folder_of("probe", s)].records() for s in sets]
    assert warm.ok, warm.summary()
    assert len({r["pid"] for r in records}) == 1  # one kernel for the three notebooks
    assert not any(r["leftover"] for r in records)  # each started with an empty namespace
    assert {r["count"] for r in records} == {records[0]["count"]}  # cells count from 1 each time
    assert {r["cwd"] for r in records} == {str(path.parent)}
    cold = run_reports(config, jobs=1, out=tmp_path / "cold", progress=False, warm=False)
    assert len({cold[folder_of("probe", s)].records()["pid"] for s in sets}) == 3


def test_the_screenshot_script_skips_cleanly_without_chromium(tmp_path, monkeypatch, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("shots", ROOT / "benchmarks" / "screenshots.py")
    shots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shots)
    monkeypatch.setenv("PATH", str(tmp_path))  # no browser here
    assert shots.main([str(tmp_path / "site"), str(tmp_path / "shots")]) == 0
    assert capsys.readouterr().out.startswith("skipped: no Chromium found")
    assert not (tmp_path / "shots").exists()
    site = tmp_path / "site"
    (site / "city_profile" / "entity-baotou").mkdir(parents=True)
    (site / "index.html").write_text("<p>index</p>", encoding="utf-8")
    page = site / "city_profile" / "entity-baotou" / "02_city_profile.html"
    page.write_text("<p>page</p>", encoding="utf-8")
    assert [shots.shot_name(site, p) for p in shots.pages(site)] == [
        "index.png",
        "city_profile__entity-baotou.png",
    ]


def test_report_pages_show_no_raw_reprs_paths_or_scientific_notation(suite):
    """What a reader sees (issue 14): no path lists, reprs or 4.000000e+00; a way back to the index."""
    index = (suite.out / "index.html").read_text(encoding="utf-8")
    for result in suite.results:
        if result.status != "ok":
            continue
        page = (result.path / f"{result.run.notebook.stem}.html").read_text(encoding="utf-8")
        where = result.run.folder
        assert "PosixPath(" not in page and "&lt;Dataset" not in page, where
        assert not re.search(r"\d\.\d{6}e[+-]\d\d", page), where
        assert '<a href="../../index.html">' in page, where
        assert "innostudy-provenance" in page, where  # provenance as a short table
    assert "SIMULATED DATA" in index and "What the curated dataset holds" in index
