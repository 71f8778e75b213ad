"""gokernel serve: a kernel without a Jupyter server, attached to over TCP.

The native binary is checked for the serve-mode contract (connection file
mode 0600, a second client after the first, restart in place, SIGTERM
removes the file and exits 0). The arm64 and arm release binaries run under
qemu-user-static to show the kernel works on the small devices it is built
for.
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from jupyter_client import BlockingKernelClient

from conftest import ARTIFACTS, REPO
from kernelutil import STARTUP_TIMEOUT, TIMEOUT, Kernel, wait_until

BINFMT = Path("/proc/sys/fs/binfmt_misc")


# --- fixtures ----------------------------------------------------------


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The release binaries: $GOKERNEL_DIST, else a fresh ./release.sh run."""
    if os.environ.get("GOKERNEL_DIST"):
        return Path(os.environ["GOKERNEL_DIST"]).resolve()
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([str(REPO / "release.sh"), "--out", str(out), "--version", "e2e"],
                          cwd=REPO, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        pytest.fail(f"release.sh failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}", pytrace=False)
    return out


def ensure_qemu(arch: str) -> str:
    """Path of qemu-ARCH-static, installing qemu-user-static if needed.

    The kernel starts its worker by executing its own binary, so the kernel
    registers the foreign binary format with binfmt_misc too, as Debian's
    package does where systemd runs.
    """
    qemu = shutil.which(f"qemu-{arch}-static")
    if qemu is None and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-q", "qemu-user-static"],
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
                       capture_output=True, timeout=600)
        qemu = shutil.which(f"qemu-{arch}-static")
    if qemu is None:
        pytest.skip("qemu-user-static cannot be installed here (needs apt-get and root): "
                    "no way to run the arm binaries")
    entry = BINFMT / f"qemu-{arch}"
    if not entry.exists():
        register_binfmt(arch)
    return qemu


def register_binfmt(arch: str):
    conf = Path(f"/usr/lib/binfmt.d/qemu-{arch}.conf")
    try:
        if not (BINFMT / "register").exists():
            subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)],
                           check=True, capture_output=True)
        rule = next(line for line in conf.read_text().splitlines() if line and not line.startswith("#"))
        (BINFMT / "register").write_text(rule)
    except (OSError, subprocess.CalledProcessError, StopIteration) as e:
        pytest.fail(f"cannot register qemu-{arch} with binfmt_misc ({e}); the kernel could run "
                    f"but not start its worker", pytrace=False)


def free_port_base() -> int:
    """The first of five consecutive free loopback ports."""
    for base in range(30000 + os.getpid() % 20000, 65000, 5):
        socks = []
        try:
            for port in range(base, base + 5):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise AssertionError("no five consecutive free ports")


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class Served:
    """A `gokernel serve` process and the connection file it writes."""

    def __init__(self, command: list[str], tmp_path: Path, name: str):
        self.conn_file = tmp_path / "kernel.json"
        self.port_base = free_port_base()
        self.log_path = ARTIFACTS / f"{name}.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [*command, "serve", "--ports", f"{self.port_base}-{self.port_base + 4}",
             "--connection-file", str(self.conn_file), "--log-level", "info"],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: self.conn_file.exists() or self.proc.poll() is not None,
                   STARTUP_TIMEOUT, "the connection file")
        assert self.proc.poll() is None, f"serve exited with {self.proc.returncode}:\n{self.output()}"
        # The file is written before the kernel binds (it starts its worker
        # first, which takes seconds under emulation), and jupyter_client
        # calls a kernel whose heartbeat does not answer at once dead.
        wait_until(lambda: listening(self.port_base + 4) or self.proc.poll() is not None,
                   STARTUP_TIMEOUT, "the kernel to listen on its heartbeat port")
        assert self.proc.poll() is None, f"serve exited with {self.proc.returncode}:\n{self.output()}"

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def client(self) -> Kernel:
        kc = BlockingKernelClient(connection_file=str(self.conn_file))
        kc.load_connection_file()
        # An emulated kernel on a busy machine can take more than
        # jupyter_client's one second to answer a heartbeat.
        kc.hb_channel.time_to_dead = 10.0
        kc.start_channels()
        kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        return Kernel(None, kc)

    def terminate(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=TIMEOUT)
        finally:
            self.log.close()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture
def served_native(request, gokernel_env, tmp_path):
    s = Served([str(gokernel_env.binary)], tmp_path, request.node.name)
    request.node.kernel_log = s.log_path
    yield s
    s.kill()


# --- native serve mode -------------------------------------------------


def test_serve_connection_file_and_sigterm(served_native):
    s = served_native
    assert s.conn_file.stat().st_mode & 0o777 == 0o600
    info = s.client()
    try:
        assert info.kernel_info()["implementation"] == "gokernel"
    finally:
        info.kc.stop_channels()
    out = s.output()
    assert f"jupyter console --existing {s.conn_file}" in out, out
    assert "--ssh " in out, out
    assert s.terminate() == 0, s.output()
    assert not s.conn_file.exists(), "SIGTERM left the connection file behind"


def test_serve_second_client_after_first_disconnects(served_native):
    first = served_native.client()
    first.run("kept := 41")
    first.kc.stop_channels()

    second = served_native.client()
    try:
        ex = second.run("kept + 1")
        assert ex.result == "42", str(ex)
    finally:
        second.kc.stop_channels()
    assert served_native.proc.poll() is None, "the kernel stopped when a client left"


def test_serve_restart_resets_state_in_place(served_native):
    k = served_native.client()
    try:
        k.run("gone := 1")
        reply, _ = k.request("shutdown_request", {"restart": True}, channel="control")
        assert reply["content"]["status"] == "ok", reply
        ex = k.execute("gone")
        assert ex.status == "error", f"state survived the restart:\n{ex}"
        assert k.run("1 + 1").result == "2"
    finally:
        k.kc.stop_channels()
    assert served_native.proc.poll() is None, "restart ended the serve process"


def test_usage_request(served_native):
    k = served_native.client()
    try:
        reply, _ = k.request("usage_request", channel="control")
    finally:
        k.kc.stop_channels()
    content = reply["content"]
    assert reply["msg_type"] == "usage_reply", reply
    assert content["pid"] == served_native.proc.pid, content
    assert content["kernel_memory"] > 0 and content["cpu_count"] >= 1, content
    assert content["host_virtual_memory"]["total"] > 0, content


def test_serve_usage_error_exits_2(gokernel_env):
    proc = subprocess.run([str(gokernel_env.binary), "serve", "--ports", "9000-9003"],
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 2, proc
    assert proc.stderr.startswith("gokernel serve: --ports"), proc.stderr


def test_release_check_compiles_other_platforms():
    """darwin and windows builds type-check (./release.sh --check)."""
    proc = subprocess.run([str(REPO / "release.sh"), "--check"], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- foreign architectures under qemu ----------------------------------


QEMU_TARGETS = [
    pytest.param("gokernel-linux-arm64", "aarch64", "arm64", id="arm64"),
    pytest.param("gokernel-linux-armv7", "arm", "arm", id="armv7"),
]


@pytest.fixture
def served_qemu(request, dist, tmp_path):
    binary, qemu_arch = request.param
    s = Served([ensure_qemu(qemu_arch), str(dist / binary)], tmp_path, request.node.name)
    request.node.kernel_log = s.log_path
    yield s
    s.kill()


@pytest.mark.parametrize("served_qemu,goarch", [
    pytest.param(p.values[:2], p.values[2], id=p.id) for p in QEMU_TARGETS
], indirect=["served_qemu"])
def test_go_cell_under_qemu(served_qemu, goarch):
    k = served_qemu.client()
    try:
        # Emulated, the first cell takes longer.
        ex = k.run('import (\n\t"fmt"\n\t"runtime"\n)\nfmt.Println(runtime.GOARCH)', timeout=120)
        assert ex.stdout == goarch + "\n", str(ex)
    finally:
        k.kc.stop_channels()
    assert served_qemu.terminate() == 0, served_qemu.output()
    assert not served_qemu.conn_file.exists(), "SIGTERM left the connection file behind"


@pytest.mark.parametrize("served_qemu", [
    pytest.param(p.values[:2], id=p.id) for p in QEMU_TARGETS
], indirect=["served_qemu"])
def test_shell_escape_under_qemu(served_qemu):
    """The emulated kernel runs shell escapes. Under qemu-user the /bin/sh it
    starts is the host's own binary, run natively, so `uname -m` names the
    host; the Go cell of test_go_cell_under_qemu is what proves the kernel's
    own architecture. Here the command must run, stream its output and report
    its status."""
    k = served_qemu.client()
    try:
        ex = k.run("!uname -m", timeout=60)
        assert ex.status == "ok" and ex.stdout == platform.machine() + "\n", str(ex)
        ex = k.execute("!exit 3", timeout=60)
        assert ex.status == "error" and "exit status 3" in ex.reply["content"]["evalue"], str(ex)
    finally:
        k.kc.stop_channels()


# --- the remote-monitoring notebook, attached to a served kernel ----------


def test_remote_monitor_notebook_on_a_served_kernel(served_native, tmp_path):
    """notebooks/remote-monitor.ipynb runs against a kernel started with
    `gokernel serve`, attached through its connection file as a laptop would
    (no kernel manager: nbclient only gets a client), and its outputs match
    the saved ones, with the live panel redrawn in place."""
    import nbformat
    from jupyter_client.asynchronous import AsyncKernelClient
    from nbclient import NotebookClient

    from test_frontends import checked, comparable

    path = REPO / "notebooks" / "remote-monitor.ipynb"
    saved = nbformat.read(path, as_version=4)
    fresh = nbformat.read(path, as_version=4)
    kc = AsyncKernelClient(connection_file=str(served_native.conn_file))
    kc.load_connection_file()
    kc.start_channels()
    updates = []
    try:
        client = NotebookClient(fresh, timeout=60, resources={"metadata": {"path": str(tmp_path)}},
                                on_cell_executed=None)
        client.kc = kc
        client.reset_execution_trackers()
        orig = client.process_message

        def spy(msg, cell, cell_index):
            if msg["msg_type"] == "update_display_data":
                updates.append(msg["content"]["transient"]["display_id"])
            return orig(msg, cell, cell_index)

        client.process_message = spy
        for i, cell in enumerate(fresh.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, i)
    finally:
        kc.stop_channels()
    assert len(updates) == 5 and len(set(updates)) == 1, updates
    for i, (old, new) in enumerate(zip(saved.cells, fresh.cells)):
        if old.cell_type == "code" and old.get("outputs") and checked(old):
            assert comparable(new.outputs) == comparable(old.outputs), f"cell {i} changed:\n{old.source}"
