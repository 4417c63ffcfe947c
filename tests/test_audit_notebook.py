"""The data-audit notebook runs headless through papermill and records what the data hold."""

import json
from pathlib import Path

import pytest

import innostudy as ist

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    import papermill

    out = tmp_path_factory.mktemp("audit")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INNOSTUDY_OUTPUT_DIR", str(out))
        papermill.execute_notebook(
            ROOT / "notebooks" / "01_data_audit.ipynb",
            out / "01_data_audit.ipynb",
            kernel_name="python3",
            cwd=ROOT / "notebooks",
            progress_bar=False,
        )
    return out


def test_audit_records_the_state_of_the_data(audit):
    records = json.loads((audit / "records.json").read_text(encoding="utf-8"))
    ds = ist.load_dataset()
    assert records["n_problems"] == 0
    assert records["n_sources"] == len(ds.sources)
    assert records["n_observations"] == len(ds.observations)
    assert records["n_conflicts"] == 1
    assert records["qualifiers"] == ds.observations["qualifier"].value_counts().to_dict()
    assert records["qualifiers"]["more_than"] == 6


def test_audit_leaves_figures_tables_and_provenance(audit):
    assert (audit / "figures" / "coverage_heatmap.png").stat().st_size > 10_000
    assert (audit / "figures" / "coverage_heatmap.svg").exists()
    coverage = (audit / "tables" / "coverage.csv").read_text(encoding="utf-8")
    assert coverage.startswith("entity_id,")
    provenance = json.loads((audit / "provenance_notebook.json").read_text(encoding="utf-8"))
    assert provenance["parameters"] == {"data_dir": ""}
    assert {f.name for f in ist.load_dataset().files} <= set(provenance["data"])
