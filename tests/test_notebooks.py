"""Committed notebooks follow the conventions the report runner relies on (every notebook in notebooks/).

No outputs or execution counts, kernel ``python3``, exactly one cell tagged ``parameters`` holding
plain literals that papermill can see, a provenance call at the end, and a place in reports.yml.
"""

import ast
from pathlib import Path

import nbformat
import papermill
import pytest

from innostudy.run import load_config

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def notebook(request):
    return request.param, nbformat.read(request.param, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def parameter_cells(nb):
    return [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]


def test_committed_without_outputs(notebook):
    path, nb = notebook
    dirty = [i for i, c in enumerate(code_cells(nb)) if c.outputs or c.execution_count is not None]
    assert not dirty, f"{path.name}: code cells {dirty} have outputs or execution counts"


def test_kernel_is_python3(notebook):
    path, nb = notebook
    assert nb.metadata["kernelspec"]["name"] == "python3", path.name


def test_exactly_one_parameters_cell_of_plain_literals(notebook):
    path, nb = notebook
    cells = parameter_cells(nb)
    assert len(cells) == 1, f"{path.name}: {len(cells)} cells tagged 'parameters'"
    assert cells[0].cell_type == "code"
    for statement in ast.parse(cells[0].source).body:
        assert isinstance(statement, ast.Assign | ast.AnnAssign), ast.unparse(statement)
        ast.literal_eval(statement.value)  # raises on anything but a plain literal


def test_papermill_sees_every_parameter(notebook):
    """papermill's parser skips lines it cannot read (``x: list[str] | None = None``) silently."""
    path, nb = notebook
    assigned = set()
    for statement in ast.parse(parameter_cells(nb)[0].source).body:
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        assigned |= {t.id for t in targets}
    assert set(papermill.inspect_notebook(str(path))) == assigned


def test_ends_with_provenance(notebook):
    path, nb = notebook
    assert "report.provenance(" in code_cells(nb)[-1].source, path.name


def test_every_notebook_is_in_the_suite():
    listed = {
        spec["notebook"]
        for spec in load_config(ROOT / "notebooks" / "reports.yml")["reports"].values()
    }
    assert set(NOTEBOOKS) <= listed, f"not in notebooks/reports.yml: {set(NOTEBOOKS) - listed}"


def test_applies_the_plotting_style_before_any_figure(notebook):
    """Chinese figure text needs innostudy's CJK fallback font, set up in the imports cell."""
    path, nb = notebook
    cells = [c for c in code_cells(nb) if "parameters" not in c.metadata.get("tags", [])]
    assert "use_style()" in cells[0].source, path.name
