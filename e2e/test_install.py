"""The `install` and `version` subcommands and the kernelspec they produce."""

import json
import os
import subprocess

from jupyter_client.kernelspec import KernelSpecManager

from conftest import KERNEL_NAME, install_kernelspec


def test_installed_kernelspec_is_found_by_jupyter(gokernel_env):
    spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    assert spec.language == "go"
    assert spec.display_name
    assert "{connection_file}" in spec.argv, spec.argv
    exe = spec.argv[0]
    assert os.path.isabs(exe) and os.access(exe, os.X_OK), f"argv[0] is not an executable path: {exe}"
    assert spec.interrupt_mode == "message"


def test_install_honours_display_name(gokernel_env, tmp_path):
    kernel_dir = install_kernelspec(gokernel_env.binary, tmp_path, "other", "--display-name", "Go (other)")
    spec = json.loads((kernel_dir / "kernel.json").read_text())
    assert spec["display_name"] == "Go (other)"
    assert spec["language"] == "go"


def test_install_is_repeatable(gokernel_env, tmp_path):
    first = install_kernelspec(gokernel_env.binary, tmp_path, "again")
    before = (first / "kernel.json").read_text()
    second = install_kernelspec(gokernel_env.binary, tmp_path, "again")
    assert (second / "kernel.json").read_text() == before


def test_version_prints_a_version(gokernel_env):
    proc = subprocess.run([str(gokernel_env.binary), "version"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip(), "gokernel version printed nothing"
