"""Latency measurements of one Jupyter kernel over raw ZeroMQ sockets.

`RawKernel` starts a kernel through its kernelspec (jupyter_client's
KernelManager writes the connection file and starts the process), then talks
to it with plain pyzmq sockets and jupyter_client's Session for signing: one
thread, one poller, every message stamped with time.perf_counter() the moment
it is received. No client threads or queues sit between the kernel and the
clock.

`measure_kernel` runs every measurement once on a fresh kernel and returns
the raw samples; run.py interleaves kernels round by round and aggregates.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

import zmq
from jupyter_client import KernelManager

# Seconds allowed for a kernel to answer its first kernel_info_request.
START_TIMEOUT = 60.0
# Seconds allowed for one cell, from request to idle.
CELL_TIMEOUT = 120.0
# Seconds allowed for one heartbeat ping while the kernel is busy.
HB_TIMEOUT = 2.0
# Seconds between heartbeat pings while a cell spins.
HB_INTERVAL = 0.02


@dataclass(frozen=True)
class Cells:
    """The per-language cell sources one kernel is measured with."""

    setup: str  # imports and the fib definition, run once before timing
    trivial: str  # a statement with no output
    lines: str  # prints the numbers 0..{n}-1, one a line; formatted with n=
    fib: str  # prints "fib25 RESULT SECONDS", timed inside the cell
    spin: str  # keeps the kernel busy for {seconds} seconds; formatted with seconds=


GO_CELLS = Cells(
    setup='import (\n\t"fmt"\n\t"time"\n)\n\n'
    "func fib(n int) int {\n\tif n < 2 {\n\t\treturn n\n\t}\n\treturn fib(n-1) + fib(n-2)\n}",
    trivial="_ = 1",
    lines="for i := 0; i < {n}; i++ {{\n\tfmt.Println(i)\n}}",
    fib='start := time.Now()\nr := fib(25)\nfmt.Printf("fib25 %d %.9f\\n", r, time.Since(start).Seconds())',
    spin="for t := time.Now(); time.Since(t) < {seconds}*time.Second; {{\n}}",
)

PYTHON_CELLS = Cells(
    setup="import time\n\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)",
    trivial="pass",
    lines="for i in range({n}):\n    print(i)",
    fib='start = time.perf_counter()\nr = fib(25)\nprint(f"fib25 {r} {time.perf_counter() - start:.9f}")',
    spin="t = time.perf_counter()\nwhile time.perf_counter() - t < {seconds}:\n    pass",
)

# Cell sources by the kernelspec's language.
CELLS_BY_LANGUAGE = {"go": GO_CELLS, "python": PYTHON_CELLS}

FIB25 = 75025


@dataclass
class Options:
    trivial_rounds: int = 300
    lines: int = 100_000
    spin_seconds: int = 3


@dataclass
class Execution:
    """One execute_request: when it was sent, answered and finished."""

    sent: float
    reply_at: float
    idle_at: float
    reply: dict
    iopub: list[dict]
    busy_at: float | None = None

    def stream_messages(self, name: str = "stdout") -> list[dict]:
        return [m for m in self.iopub if m["msg_type"] == "stream" and m["content"]["name"] == name]

    def stdout(self) -> str:
        return "".join(m["content"]["text"] for m in self.stream_messages())


@dataclass
class KernelSample:
    """Everything measured on one fresh kernel."""

    kernel: str
    implementation: str = ""
    implementation_version: str = ""
    cold_start_s: float = 0.0
    rss_start_kib: int = 0
    rss_end_kib: int = 0
    pss_start_kib: int = 0
    pss_end_kib: int = 0
    processes: int = 0  # in the kernel's tree after start
    trivial_reply_s: list[float] = field(default_factory=list)
    trivial_idle_s: list[float] = field(default_factory=list)
    lines_s: float = 0.0
    lines_stream_messages: int = 0
    lines_intact: bool = False
    lines_problem: str = ""
    fib_s: float = 0.0
    fib_ok: bool = False
    hb_busy_s: list[float] = field(default_factory=list)
    hb_timeouts: int = 0


class KernelError(RuntimeError):
    pass


class RawKernel:
    """A kernel started from its kernelspec and driven over raw sockets."""

    def __init__(self, name: str, log_path: Path | None = None):
        self.name = name
        self.km = KernelManager(kernel_name=name)
        self.language = self.km.kernel_spec.language.lower()
        self.log_path = log_path
        self.session = self.km.session
        self.shell = self.iopub = self.hb = None
        self.poller = zmq.Poller()
        self.pending: list[tuple[float, str, dict]] = []  # (stamp, channel, msg) not yet consumed

    # --- lifecycle ---------------------------------------------------

    def start(self) -> tuple[float, dict]:
        """Start the process; return seconds to the first kernel_info_reply, and that reply."""
        log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL
        try:
            t0 = perf_counter()
            self.km.start_kernel(stdout=log, stderr=log)
            self.shell = self.km.connect_shell()
            self.iopub = self.km.connect_iopub()
            self.poller.register(self.shell, zmq.POLLIN)
            self.poller.register(self.iopub, zmq.POLLIN)
            request = self.session.send(self.shell, "kernel_info_request", {})
            reply = self._wait_reply(request, t0 + START_TIMEOUT)
        finally:
            if self.log_path:
                log.close()
        return reply[0] - t0, reply[2]

    def wait_iopub(self) -> None:
        """Send kernel_info_requests until their busy status reaches our SUB socket.

        A SUB socket's subscription travels to the kernel asynchronously, so
        the first messages published after connecting may be lost; this is
        the usual handshake (jupyter_client and nbclient do the same).
        """
        deadline = perf_counter() + START_TIMEOUT
        while perf_counter() < deadline:
            request = self.session.send(self.shell, "kernel_info_request", {})
            self._wait_reply(request, deadline)
            if self._wait_status(request, "idle", min(deadline, perf_counter() + 0.5)) is not None:
                self.pending.clear()  # status messages of the handshake
                return
        raise KernelError(f"{self.name}: no iopub message within {START_TIMEOUT} s")

    def stop(self) -> None:
        for sock in (self.shell, self.iopub, self.hb):
            if sock is not None:
                sock.close(linger=0)
        if self.km.has_kernel:
            self.km.shutdown_kernel(now=not self.km.is_alive())

    def pid(self) -> int:
        return self.km.provisioner.pid

    # --- requests ----------------------------------------------------

    def execute(self, code: str, timeout: float = CELL_TIMEOUT, during=None) -> Execution:
        """Run one cell; return its timings and iopub messages.

        during, if given, is called between polls until the cell is idle.
        """
        request = self.session.send(self.shell, "execute_request", {
            "code": code, "silent": False, "store_history": True,
            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True,
        })
        sent = perf_counter()
        deadline = sent + timeout
        msg_id = request["header"]["msg_id"]
        reply = idle = busy = None
        iopub = []
        while reply is None or idle is None:
            for stamp, channel, msg in self._take(msg_id, deadline, 0.0 if during else None):
                if channel == "shell" and msg["msg_type"] == "execute_reply":
                    reply = (stamp, msg)
                elif channel == "iopub":
                    iopub.append(msg)
                    if _is_status(msg, "busy"):
                        busy = stamp
                    elif _is_status(msg, "idle"):
                        idle = stamp
            if during is not None and idle is None:
                during()
        return Execution(sent, reply[0], idle, reply[1], iopub, busy)

    def ping(self) -> tuple[float, float] | None:
        """One heartbeat round trip: (sent, seconds), or None on timeout."""
        if self.hb is None:
            self.hb = self.km.connect_hb()
        sent = perf_counter()
        self.hb.send(b"ping")
        if self.hb.poll(int(HB_TIMEOUT * 1000)):
            self.hb.recv()
            return sent, perf_counter() - sent
        # A REQ socket that got no reply cannot send again: start afresh.
        self.hb.close(linger=0)
        self.hb = None
        return None

    # --- receiving ---------------------------------------------------

    def _pump(self, timeout_s: float) -> None:
        """Receive everything that arrives within timeout_s, stamping each message."""
        events = dict(self.poller.poll(max(0, int(timeout_s * 1000))))
        for sock, channel in ((self.shell, "shell"), (self.iopub, "iopub")):
            if sock not in events:
                continue
            while True:
                # Session.recv returns (None, None) when nothing is waiting.
                _, msg = self.session.recv(sock, mode=zmq.NOBLOCK)
                if msg is None:
                    break
                self.pending.append((perf_counter(), channel, msg))

    def _take(self, msg_id: str, deadline: float, poll_s: float | None = None):
        """Wait for messages whose parent is msg_id; return and consume them.

        poll_s bounds the wait (for callers that interleave other work); by
        default it waits until at least one message arrives or the deadline.
        """
        while True:
            now = perf_counter()
            if now > deadline:
                raise KernelError(f"{self.name}: timed out waiting for replies to {msg_id}")
            self._pump(deadline - now if poll_s is None else poll_s)
            mine = [p for p in self.pending if p[2]["parent_header"].get("msg_id") == msg_id]
            if mine or poll_s is not None:
                self.pending = [p for p in self.pending if p[2]["parent_header"].get("msg_id") != msg_id]
                return mine

    def _wait_reply(self, request: dict, deadline: float) -> tuple[float, str, dict]:
        msg_id = request["header"]["msg_id"]
        while True:
            batch = self._take(msg_id, deadline)
            shell = [p for p in batch if p[1] == "shell"]
            self.pending.extend(p for p in batch if p[1] != "shell")  # keep iopub for later waits
            if shell:
                return shell[0]

    def _wait_status(self, request: dict, state: str, deadline: float) -> float | None:
        msg_id = request["header"]["msg_id"]
        try:
            while True:
                for stamp, channel, msg in self._take(msg_id, deadline):
                    if channel == "iopub" and _is_status(msg, state):
                        return stamp
        except KernelError:
            return None


def _is_status(msg: dict, state: str) -> bool:
    return msg["msg_type"] == "status" and msg["content"]["execution_state"] == state


# --- process tree memory ------------------------------------------------

def process_tree(root: int) -> list[int]:
    """root and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # The command name is in parentheses and may contain spaces.
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def tree_memory_kib(root: int) -> tuple[int, int]:
    """The summed RSS and PSS of root and its descendants, in KiB.

    RSS counts pages shared between the processes (the same executable
    mapped by a kernel and its workers) once per process; PSS splits them.
    """
    rss = pss = 0
    for pid in process_tree(root):
        try:
            rss += _kib_field(Path(f"/proc/{pid}/status").read_text(), "VmRSS")
            pss += _kib_field(Path(f"/proc/{pid}/smaps_rollup").read_text(), "Pss")
        except OSError:
            continue  # gone meanwhile
    return rss, pss


def _kib_field(text: str, name: str) -> int:
    m = re.search(rf"^{name}:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) if m else 0


# --- one kernel, every measurement ---------------------------------------

def warm_up(name: str) -> None:
    """Start and stop one kernel, unmeasured.

    The first KernelManager.start_kernel in a process loads jupyter_client's
    provisioners (0.3-1 s here) and the first start of a binary reads it from
    disk; neither belongs to any kernel's cold start.
    """
    kernel = RawKernel(name)
    try:
        kernel.start()
    finally:
        kernel.stop()


def measure_kernel(name: str, opts: Options, log_path: Path | None = None) -> KernelSample:
    kernel = RawKernel(name, log_path)
    cells = CELLS_BY_LANGUAGE.get(kernel.language)
    if cells is None:
        raise KernelError(f"{name}: no cell sources for language {kernel.language!r} "
                          f"(known: {', '.join(CELLS_BY_LANGUAGE)})")
    sample = KernelSample(kernel=name)
    try:
        sample.cold_start_s, info = kernel.start()
        sample.implementation = info["content"].get("implementation", "")
        sample.implementation_version = info["content"].get("implementation_version", "")
        kernel.wait_iopub()
        sample.rss_start_kib, sample.pss_start_kib = tree_memory_kib(kernel.pid())
        sample.processes = len(process_tree(kernel.pid()))
        _check_ok(name, "setup", kernel.execute(cells.setup))

        for _ in range(opts.trivial_rounds):
            ex = _check_ok(name, "trivial", kernel.execute(cells.trivial))
            sample.trivial_reply_s.append(ex.reply_at - ex.sent)
            sample.trivial_idle_s.append(ex.idle_at - ex.sent)

        ex = _check_ok(name, "lines", kernel.execute(cells.lines.format(n=opts.lines)))
        sample.lines_s = ex.idle_at - ex.sent
        sample.lines_stream_messages = len(ex.stream_messages())
        sample.lines_problem = lines_problem(ex.stdout(), opts.lines)
        sample.lines_intact = not sample.lines_problem

        ex = _check_ok(name, "fib", kernel.execute(cells.fib))
        m = re.search(r"fib25 (\d+) ([0-9.]+)", ex.stdout())
        if m is None:
            raise KernelError(f"{name}: fib cell printed {ex.stdout()!r}")
        sample.fib_ok = int(m.group(1)) == FIB25
        sample.fib_s = float(m.group(2))

        sample.hb_busy_s, sample.hb_timeouts = heartbeat_while_busy(
            kernel, cells.spin.format(seconds=opts.spin_seconds))
        sample.rss_end_kib, sample.pss_end_kib = tree_memory_kib(kernel.pid())
    finally:
        kernel.stop()
    return sample


def heartbeat_while_busy(kernel: RawKernel, spin: str) -> tuple[list[float], int]:
    """Ping the heartbeat while a spinning cell runs.

    Returns the round trips of the pings sent after the cell's busy status
    and answered before its idle status, and how many pings timed out.
    """
    pings: list[tuple[float, float]] = []
    timeouts = 0
    last = 0.0

    def ping_now():
        nonlocal timeouts, last
        if perf_counter() - last < HB_INTERVAL:
            kernel._pump(HB_INTERVAL)  # wait for iopub or the next ping, whichever is first
            return
        last = perf_counter()
        result = kernel.ping()
        if result is None:
            timeouts += 1
        else:
            pings.append(result)

    ex = _check_ok(kernel.name, "spin", kernel.execute(spin, during=ping_now))
    busy = ex.busy_at if ex.busy_at is not None else ex.sent
    return [rtt for sent, rtt in pings if sent >= busy and sent + rtt <= ex.idle_at], timeouts


def lines_problem(text: str, n: int) -> str:
    """'' if text is exactly the lines 0..n-1, else what is wrong first."""
    got = text.split("\n")
    if got and got[-1] == "":
        got.pop()
    else:
        return "output does not end with a newline"
    for i, line in enumerate(got):
        if i >= n:
            return f"{len(got) - n} extra lines after line {n - 1}"
        if line != str(i):
            return f"line {i} is {line[:40]!r}, want {i!r}"
    if len(got) < n:
        return f"only {len(got)} of {n} lines"
    return ""


def _check_ok(name: str, what: str, ex: Execution) -> Execution:
    content = ex.reply["content"]
    if content.get("status") != "ok":
        raise KernelError(f"{name}: the {what} cell failed: {content.get('ename')}: {content.get('evalue')}")
    return ex
