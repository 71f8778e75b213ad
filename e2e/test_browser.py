"""The real-browser test: Jupyter Notebook in headless Chromium, Go kernel.

e2e/browser/notebook.mjs (node, playwright-core) starts Debian's
jupyter-notebook with the test binary's kernelspec, drives the classic UI and
writes results.json and screenshots to e2e/artifacts/browser/. This wrapper
provides what it needs (Chromium from apt, playwright-core from the lockfile)
and turns each of its steps into one test; it skips only when node or
Chromium cannot be found or installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ARTIFACTS, REPO

BROWSER_DIR = REPO / "e2e" / "browser"
OUT = ARTIFACTS / "browser"
CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOK = Path("/usr/bin/jupyter-notebook")
STEPS = ["open-go-notebook", "print", "html", "compile-error", "interrupt", "after-interrupt"]


def ensure_chromium() -> str | None:
    """Install Debian's chromium if missing; return why not on failure."""
    if CHROMIUM.exists():
        return None
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    proc = subprocess.run([*sudo, "apt-get", "install", "-y", "-q", "chromium"],
                          capture_output=True, text=True, env=env, timeout=600)
    if CHROMIUM.exists():
        return None
    return f"Chromium is not installed and apt-get install chromium failed:\n{proc.stdout[-1500:]}{proc.stderr[-1500:]}"


def ensure_playwright(npm: str) -> str | None:
    """npm ci from the lockfile if playwright-core is missing; return why not on failure."""
    if (BROWSER_DIR / "node_modules" / "playwright-core" / "package.json").exists():
        return None
    proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=BROWSER_DIR,
                          capture_output=True, text=True, timeout=300)
    if proc.returncode == 0:
        return None
    return f"npm ci in {BROWSER_DIR} failed:\n{proc.stdout[-1500:]}{proc.stderr[-1500:]}"


@pytest.fixture(scope="module")
def browser_results(gokernel_env) -> dict[str, dict]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the browser test and were not found on PATH")
    for why in (ensure_chromium(), ensure_playwright(npm)):
        if why:
            pytest.skip(why)
    if not NOTEBOOK.exists():
        pytest.fail(f"{NOTEBOOK} is missing: apt-get install jupyter-notebook", pytrace=False)

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").unlink(missing_ok=True)
    env = dict(os.environ, GOKERNEL_BIN=str(gokernel_env.binary), ARTIFACTS=str(OUT),
               CHROMIUM=str(CHROMIUM), JUPYTER_NOTEBOOK=str(NOTEBOOK))
    proc = subprocess.run([node, str(BROWSER_DIR / "notebook.mjs")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    (OUT / "node-output.log").write_text(proc.stdout + proc.stderr)
    results_file = OUT / "results.json"
    if not results_file.exists():
        pytest.fail(f"notebook.mjs wrote no results.json (exit {proc.returncode}):\n"
                    f"{proc.stdout[-3000:]}{proc.stderr[-3000:]}", pytrace=False)
    results = {r["name"]: r for r in json.loads(results_file.read_text())["results"]}
    if "setup" in results:
        pytest.fail(f"browser test setup failed:\n{results['setup']['detail']}", pytrace=False)
    return results


@pytest.mark.parametrize("step", STEPS)
def test_browser_step(browser_results, step):
    result = browser_results.get(step)
    if result is None:
        pytest.fail(f"step {step} did not run (an earlier step failed: "
                    f"{[r['name'] for r in browser_results.values() if r['status'] == 'failed']})")
    if result["status"] == "pending":
        pytest.skip(result["detail"])
    assert result["status"] == "passed", f"{step}: {result['detail']}\nscreenshot: {result.get('screenshot')}"
