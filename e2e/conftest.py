"""Fixtures for the end-to-end tests.

One session fixture builds the gokernel binary (or takes $GOKERNEL_BIN),
installs its kernelspec under a temporary prefix and points every Jupyter
path at temporary directories, so the tests start the real binary through the
installed kernelspec exactly as a front end would.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from jupyter_client import KernelManager

from kernelutil import STARTUP_TIMEOUT, Kernel

REPO = Path(__file__).resolve().parent.parent
KERNEL_NAME = "gotest"
ARTIFACTS = Path(os.environ.get("GOKERNEL_E2E_ARTIFACTS", REPO / "e2e" / "artifacts"))


@dataclass(frozen=True)
class GoKernelEnv:
    binary: Path
    prefix: Path
    kernel_dir: Path  # the installed kernelspec directory
    env: dict  # the full environment the tests run with


def build_binary(out: Path) -> Path:
    proc = subprocess.run(
        ["go", "build", "-o", str(out), "./cmd/gokernel"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    if proc.returncode != 0:
        pytest.fail(f"go build ./cmd/gokernel failed:\n{proc.stdout}{proc.stderr}", pytrace=False)
    return out


def install_kernelspec(binary: Path, prefix: Path, name: str, *extra: str) -> Path:
    proc = subprocess.run(
        [str(binary), "install", "--prefix", str(prefix), "--name", name, *extra],
        capture_output=True, text=True, timeout=60,
    )
    if proc.returncode != 0:
        pytest.fail(f"gokernel install failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}",
                    pytrace=False)
    kernel_dir = prefix / "share" / "jupyter" / "kernels" / name
    if not (kernel_dir / "kernel.json").is_file():
        pytest.fail(f"gokernel install wrote no {kernel_dir}/kernel.json:\n{proc.stdout}{proc.stderr}",
                    pytrace=False)
    return kernel_dir


@pytest.fixture(scope="session", autouse=True)
def gokernel_env(tmp_path_factory) -> GoKernelEnv:
    root = tmp_path_factory.mktemp("gokernel")
    if os.environ.get("GOKERNEL_BIN"):
        binary = Path(os.environ["GOKERNEL_BIN"]).resolve()
    else:
        binary = build_binary(root / "bin" / "gokernel")
    prefix = root / "prefix"
    kernel_dir = install_kernelspec(binary, prefix, KERNEL_NAME)

    overrides = {
        "JUPYTER_PATH": str(prefix / "share" / "jupyter"),
        "JUPYTER_DATA_DIR": str(root / "data"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        "IPYTHONDIR": str(root / "ipython"),
        # The kernel keeps its history under $XDG_DATA_HOME/gokernel.
        "XDG_DATA_HOME": str(root / "xdg-data"),
    }
    for d in ("data", "runtime", "config", "ipython", "xdg-data"):
        (root / d).mkdir()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as mp:
        for k, v in overrides.items():
            mp.setenv(k, v)
        yield GoKernelEnv(binary, prefix, kernel_dir, dict(os.environ))


def start_kernel(log_name: str, kernel_name: str = KERNEL_NAME) -> Kernel:
    """Start an installed kernel (the test kernel by default), with its output
    in an artifacts log."""
    km = KernelManager(kernel_name=kernel_name)
    log_path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', log_name)}.log"
    with open(log_path, "wb") as log:
        km.start_kernel(stdout=log, stderr=log)
    kc = km.blocking_client()
    kc.start_channels()
    kernel = Kernel(km, kc, log_path)
    try:
        kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
    except Exception:
        stop_kernel(kernel)
        raise
    return kernel


def stop_kernel(kernel: Kernel):
    kernel.kc.stop_channels()
    if kernel.km.has_kernel:
        kernel.km.shutdown_kernel(now=not kernel.km.is_alive())


@pytest.fixture
def kernel(request) -> Kernel:
    """A fresh kernel for one test."""
    k = start_kernel(request.node.name)
    request.node.kernel_log = k.log_path
    yield k
    stop_kernel(k)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the tail of the kernel's own log to a failing test's report."""
    outcome = yield
    report = outcome.get_result()
    log = getattr(item, "kernel_log", None)
    if report.failed and log is not None and log.exists():
        tail = log.read_bytes()[-4000:].decode(errors="replace")
        report.sections.append(("kernel log " + str(log), tail or "(empty)"))


def jupyter_command() -> str:
    path = shutil.which("jupyter", path="/usr/bin") or shutil.which("jupyter")
    if path is None:
        pytest.fail("the jupyter command is not installed (apt-get install jupyter-core)")
    return path
