"""The notebooks in notebooks/ run top to bottom (nbclient, the python3 kernel of ipykernel), on
the dev corpus and on the packaged samples; they are committed without outputs."""

from __future__ import annotations

import shutil
import time

import nbformat
import pytest

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NAMES = ["01-quickstart", "02-institutions", "03-topics-over-time", "04-graph-analysis"]
TIMES: dict[str, float] = {}


def test_the_four_notebooks_are_there():
    assert [p.stem for p in NOTEBOOKS] == NAMES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs_with_parameters_first_and_conclusions_last(path):
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    first = book.cells[0]
    assert first.cell_type == "code" and "parameters" in first.metadata.get("tags", [])
    assert "CORPUS = None" in first.source and "../shared/corpus/dev" in first.source
    headings = [c.source.splitlines()[0] for c in book.cells if c.cell_type == "markdown"]
    assert "## Conclusions" in headings and headings.index("## Conclusions") >= len(headings) - 2


def _run(path, tmp_path, monkeypatch, shared) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    work = tmp_path / "notebooks"
    work.mkdir(exist_ok=True)
    copy = shutil.copy(path, work / path.name)
    monkeypatch.setenv("KG_SHARED", str(shared))  # the kernel inherits it: the notebook's parameters cell reads it
    monkeypatch.setenv("MPLBACKEND", "Agg")
    book = nbformat.read(copy, as_version=4)
    client = NotebookClient(book, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(work)}})
    client.execute()  # a cell that raises fails the test (CellExecutionError names the cell)
    return book


def _printed(book: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for c in book.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_the_dev_corpus(path, dev_dir, tmp_path, monkeypatch):
    start = time.perf_counter()
    book = _run(path, tmp_path, monkeypatch, dev_dir.parents[1])
    TIMES[path.stem] = time.perf_counter() - start
    text = _printed(book)
    assert str(dev_dir.resolve()) in text  # built from the dev corpus, not the samples
    conclusions = book.cells[-2]
    assert conclusions.outputs and conclusions.outputs[0].text.count("\n- ") + 1 >= 4
    assert not any(o.output_type == "error" for c in book.cells if c.cell_type == "code" for o in c.outputs)


def test_notebooks_together_run_in_under_five_minutes(dev_dir):
    if set(TIMES) != set(NAMES):
        pytest.skip("needs the four notebook runs above in the same session")
    total = sum(TIMES.values())
    print("notebook run times:", {k: round(v, 1) for k, v in TIMES.items()}, f"total {total:.0f}s")
    assert total < 300


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_falls_back_to_the_samples(path, tmp_path, monkeypatch):
    book = _run(path, tmp_path, monkeypatch, tmp_path / "no-shared-here")
    assert "kg's packaged samples" in _printed(book)
