"""Real front ends driving the kernel: jupyter console, nbclient and nbconvert."""

import re
import subprocess
from collections import defaultdict

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import KERNEL_NAME, REPO, jupyter_command

def standard_kernel(path) -> bool:
    """Whether a notebook is made for the standard "go" kernel; one made for a
    custom build (plots.ipynb: a kernel built with gonum compiled in) is run by
    the test of that build, e2e/test_modules.py."""
    return nbformat.read(path, as_version=4).metadata.get("kernelspec", {}).get("name") == "go"


# Run by a test of their own, which checks more: twice in one kernel.
OWN_TEST = {"zeromq-patterns.ipynb": "e2e/test_zeromq.py"}
NOTEBOOKS = sorted(p for p in (REPO / "notebooks").glob("*.ipynb") if standard_kernel(p) and p.name not in OWN_TEST)
TOUR = REPO / "notebooks" / "tour.ipynb"
FRONTEND_TIMEOUT = 180


def run_jupyter(*args, cwd, stdin=None):
    return subprocess.run(
        [jupyter_command(), *args], input=stdin, cwd=cwd,
        capture_output=True, text=True, timeout=FRONTEND_TIMEOUT,
    )


def test_console_runs_a_cell(tmp_path):
    proc = run_jupyter("console", "--kernel", KERNEL_NAME, "--simple-prompt",
                       cwd=tmp_path, stdin='import "fmt"\nfmt.Println("hi")\n')
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert re.search(r"(^|\s)hi$", proc.stdout, re.MULTILINE), f"no 'hi' in:\n{proc.stdout}\n{proc.stderr}"


# --- notebooks ---------------------------------------------------------


def comparable(outputs):
    """What must match between saved and fresh outputs of one cell."""
    streams = defaultdict(str)
    view = {"results": [], "displays": [], "errors": []}
    for out in outputs:
        kind = out["output_type"]
        if kind == "stream":
            streams[out["name"]] += out["text"]
        elif kind == "execute_result":
            view["results"].append(out["data"].get("text/plain"))
        elif kind == "display_data":
            view["displays"].append(sorted(out["data"]))
        elif kind == "error":
            view["errors"].append(out["ename"])
    view.update(streams)
    return view


def checked(cell):
    return cell.get("metadata", {}).get("gokernel", {}).get("check", True)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_outputs_match(path, tmp_path):
    saved = nbformat.read(path, as_version=4)
    fresh = nbformat.read(path, as_version=4)
    NotebookClient(fresh, kernel_name=KERNEL_NAME, timeout=60, startup_timeout=60,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()

    compared = 0
    for i, (old, new) in enumerate(zip(saved.cells, fresh.cells)):
        if old.cell_type != "code" or not old.get("outputs") or not checked(old):
            continue
        compared += 1
        assert comparable(new.outputs) == comparable(old.outputs), (
            f"cell {i} of {path.name} changed its output:\n{old.source}")
    assert compared, f"{path.name} has no saved outputs to compare: save it after running it"


def cells_with_output(nb):
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.outputs]


def test_nbconvert_executes_tour(tmp_path):
    proc = run_jupyter("nbconvert", "--to", "notebook", "--execute",
                       f"--ExecutePreprocessor.kernel_name={KERNEL_NAME}",
                       "--output-dir", str(tmp_path), str(TOUR), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    executed = nbformat.read(tmp_path / TOUR.name, as_version=4)
    assert cells_with_output(executed) == cells_with_output(nbformat.read(TOUR, as_version=4))
