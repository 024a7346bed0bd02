"""A figure that changes on re-execution must fail CI.

nbval ignores image/png by default; conftest.py puts it back into the comparison. These tests
prove both halves on a throw-away notebook: with the book's conftest a changed figure fails
and an unchanged one passes; with plain nbval the same changed figure would slip through.
"""
from __future__ import annotations

import base64
import io
import pathlib
import shutil

import matplotlib
import nbformat
import pytest
from nbclient import NotebookClient

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

pytest_plugins = ["pytester"]
ROOT = pathlib.Path(__file__).resolve().parents[1]

PLOT = """import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([0, 1, 2], [0, 1, 4])
plt.show()"""


def executed_notebook(folder: pathlib.Path) -> pathlib.Path:
    """A one-cell notebook that draws a figure, executed so its PNG is the real one."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PLOT)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    path = folder / "figure.ipynb"
    nbformat.write(nb, path)
    return path


def other_png() -> str:
    """A different, valid PNG: the same axes with one point moved."""
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [0, 1, 5])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def replace_figure(path: pathlib.Path) -> None:
    nb = nbformat.read(path, as_version=4)
    [output] = [o for o in nb.cells[0].outputs if "image/png" in o.get("data", {})]
    output["data"]["image/png"] = other_png()
    nbformat.write(nb, path)


@pytest.fixture
def figure_notebook(pytester):
    shutil.copy(ROOT / "conftest.py", pytester.path / "conftest.py")
    return executed_notebook(pytester.path)


def run_nbval(pytester, path, *extra):
    return pytester.runpytest_subprocess("--nbval", "--nbval-current-env", "-p", "no:cacheprovider", *extra, str(path))


def test_unchanged_figure_passes(pytester, figure_notebook):
    run_nbval(pytester, figure_notebook).assert_outcomes(passed=1)


def test_changed_figure_fails(pytester, figure_notebook):
    replace_figure(figure_notebook)
    result = run_nbval(pytester, figure_notebook)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*mismatch 'image/png'*"])


def test_plain_nbval_would_not_notice(pytester, figure_notebook):
    replace_figure(figure_notebook)
    (pytester.path / "conftest.py").unlink()
    run_nbval(pytester, figure_notebook).assert_outcomes(passed=1)
