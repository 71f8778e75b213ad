"""Helpers for the execution tests: interrupting, watching iopub, checking outcomes."""

from __future__ import annotations

import os
import re
import signal
import time
from queue import Empty

from kernelutil import TIMEOUT, Execution, descendants, parent_id

# Imports most execution tests need, run once as the first cell.
IMPORTS = 'import (\n"bufio"\n"flag"\n"fmt"\n"io"\n"log"\n"os"\n"runtime"\n"sort"\n"sync"\n"time"\n)'

# Printed by a cell just before it blocks, so a test knows the cell's code runs.
STARTED = "started"


def interrupt_message(kernel):
    """interrupt_request on control; the reply must be ok."""
    reply = kernel.reply(kernel.send("interrupt_request", channel="control"), "control")
    assert reply["msg_type"] == "interrupt_reply", reply
    assert reply["content"]["status"] == "ok", reply["content"]


def interrupt_signal(kernel):
    """SIGINT to the kernel process, as clients do in signal mode."""
    os.kill(kernel.pid, signal.SIGINT)


INTERRUPTS = {"message": interrupt_message, "sigint": interrupt_signal}


def wait_output(kernel, msg_id: str, text: str, name: str = "stdout", timeout: float = TIMEOUT) -> str:
    """Wait until the stream output of msg_id so far contains text; return that output.

    The messages stay buffered in kernel (as Kernel.wait_iopub leaves them),
    so a later kernel.iopub(msg_id) or kernel.finish() still sees them.
    """
    deadline = time.monotonic() + timeout
    buffered = kernel._iopub  # Kernel keeps iopub messages per parent here
    while True:
        got = "".join(m["content"]["text"] for m in buffered[msg_id]
                      if m["msg_type"] == "stream" and m["content"]["name"] == name)
        if text in got:
            return got
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no {text!r} on {name} of {msg_id} within {timeout}s; got {got[-500:]!r}")
        try:
            msg = kernel.kc.get_iopub_msg(timeout=remaining)
        except Empty:
            continue
        buffered[parent_id(msg)].append(msg)


def start_blocking(kernel, code: str) -> str:
    """Send code, which prints STARTED and then blocks; return once it printed."""
    msg_id = kernel.execute_async(code)
    wait_output(kernel, msg_id, STARTED)
    return msg_id


def assert_one_error(ex: Execution, ename: str, *in_evalue: str) -> dict:
    """The cell failed with exactly one error message, named ename, whose evalue holds every in_evalue."""
    assert ex.status == "error", str(ex)
    assert len(ex.errors) == 1, f"want exactly one error message:\n{ex}"
    error, reply = ex.errors[0], ex.reply["content"]
    assert (error["ename"], error["evalue"]) == (reply["ename"], reply["evalue"]), str(ex)
    assert error["ename"] == ename, str(ex)
    for part in in_evalue:
        assert part in error["evalue"], f"{part!r} not in the error's evalue:\n{ex}"
    assert all(isinstance(t, str) for t in error["traceback"]), error
    return error


def workers(kernel) -> set:
    """The kernel's live descendant processes (its workers)."""
    return descendants(kernel.pid)


def rss_kib(pid: int) -> int:
    """Resident set size of a process, in KiB."""
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))


def heartbeat_rtt(sock, timeout: float = TIMEOUT) -> float:
    """Seconds for one heartbeat round trip on a RawSocket("hb")."""
    payload = os.urandom(8)
    t0 = time.perf_counter()
    sock.sock.send(payload)
    assert sock.sock.poll(int(timeout * 1000)), f"no heartbeat echo within {timeout}s"
    assert sock.sock.recv() == payload
    return time.perf_counter() - t0


def stdin_request(kernel, timeout: float = TIMEOUT) -> dict:
    """The next input_request on the stdin channel."""
    msg = kernel.kc.get_stdin_msg(timeout=timeout)
    assert msg["msg_type"] == "input_request", msg
    return msg
