"""The notebooks: each runs top to bottom in a fresh kernel, and is committed without outputs.

The notebooks assert their key numbers in their own code cells, so running them
tests the engine and ``nn`` the way a learner meets them. Each one runs in a
fresh kernel of this very interpreter (ipykernel's ``python3`` kernel spec,
whose ``python`` jupyter_client replaces by ``sys.executable``), with

* a temporary working directory, so anything a notebook writes lands there;
* ``MPLBACKEND=Agg``, so matplotlib never opens a window;
* a temporary ``IPYTHONDIR``, so no user profile or startup file takes part
  and the kernel's history goes to the temporary folder too;
* this checkout first on ``PYTHONPATH``, so the kernel imports the code under test.

On failure the message names the notebook and shows the failing cell's source
and the error. Runs in CI with the rest of the suite (``pytest -n 2``); select
or skip these with ``-m notebook`` / ``-m "not notebook"``.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError
from nbformat.v4 import new_code_cell, new_notebook

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
KERNEL_NAME = "python3"
CELL_TIMEOUT = 180
"""Seconds one cell may take; a whole notebook is meant to run in well under 90 s."""

TEACHING_NOTEBOOKS = [
    "01_value_and_the_chain_rule.ipynb",
    "02_logistic_regression.ipynb",
    "03_backprop_by_hand.ipynb",
    "04_deep_networks.ipynb",
    "05_training.ipynb",
]
"""The teaching notebooks, one idea each (the README links each)."""

CLEAR_COMMAND = "jupyter nbconvert --clear-output --inplace notebooks/*.ipynb"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@pytest.fixture
def kernel_env(tmp_path, monkeypatch):
    """The environment the kernel inherits, and its working directory."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(REPO) if not path else f"{REPO}{os.pathsep}{path}")
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    return workdir


def run(nb: nbformat.NotebookNode, workdir: Path) -> None:
    """Execute ``nb`` in place in a fresh kernel started in ``workdir``."""
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()


def _failure_report(name: str, nb: nbformat.NotebookNode, error: Exception) -> str:
    """The failing cell's number and source, and the error without terminal colours."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                trace = _ANSI.sub("", "\n".join(output.get("traceback", [])))
                if isinstance(error, CellTimeoutError):  # nbclient interrupted the cell
                    what = f"timed out after {CELL_TIMEOUT} s"
                else:
                    what = f"failed with {output.ename}: {output.evalue}"
                return (
                    f"{name}: cell {index} {what}\n"
                    f"--- cell {index} source ---\n{cell.source}\n"
                    f"--- traceback ---\n{trace}"
                )
    # a timeout (or an error before any cell ran): nbclient's message shows the cell
    return f"{name}: {type(error).__name__}\n{_ANSI.sub('', str(error))}"


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_the_teaching_notebooks_exist():
    names = [p.name for p in NOTEBOOKS]
    missing = [name for name in TEACHING_NOTEBOOKS if name not in names]
    assert not missing, f"missing from {NOTEBOOKS_DIR}: {missing}"


@pytest.mark.notebook
def test_the_kernel_is_this_interpreter_with_agg(kernel_env):
    nb = new_notebook()
    nb.cells = [
        new_code_cell(
            "import os, sys, matplotlib\n"
            "print(sys.prefix)\nprint(sys.executable)\nprint(matplotlib.get_backend())\nprint(os.getcwd())"
        )
    ]
    run(nb, kernel_env)
    stdout = "".join(o.text for o in nb.cells[0].outputs if o.output_type == "stream" and o.name == "stdout")
    prefix, executable, backend, cwd = stdout.splitlines()
    assert Path(prefix).resolve() == Path(sys.prefix).resolve()
    assert Path(executable).resolve() == Path(sys.executable).resolve()
    assert backend.lower() == "agg"
    assert Path(cwd).resolve() == kernel_env.resolve()


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, kernel_env):
    nb = nbformat.read(path, as_version=4)
    before = _listing(NOTEBOOKS_DIR)
    start = time.perf_counter()
    try:
        run(nb, kernel_env)
    except (CellExecutionError, CellTimeoutError) as error:
        pytest.fail(_failure_report(path.name, nb, error), pytrace=False)
    seconds = time.perf_counter() - start
    print(f"{path.name}: {seconds:.1f} s")
    assert _listing(NOTEBOOKS_DIR) == before, f"{path.name} wrote files into {NOTEBOOKS_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_with_cleared_outputs(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw.get("nbformat") == 4, f"{path.name}: nbformat {raw.get('nbformat')!r}, expected 4"
    nb = nbformat.reads(json.dumps(raw), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == KERNEL_NAME, (
        f"{path.name}: kernelspec {nb.metadata.get('kernelspec')!r}, expected name {KERNEL_NAME!r}"
    )
    dirty = [
        index
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; run `{CLEAR_COMMAND}`"
