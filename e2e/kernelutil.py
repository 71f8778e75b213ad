"""Helpers for driving a running gokernel over the Jupyter messaging protocol.

`Kernel` wraps a jupyter_client KernelManager and BlockingKernelClient. Every
wait has a deadline, and messages that arrive for a request other than the one
being waited for are kept, so tests can have several requests in flight.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty

import zmq

# Seconds to wait for one reply or for a request's iopub messages.
TIMEOUT = 20
# Seconds to wait for a freshly started kernel to answer kernel_info.
STARTUP_TIMEOUT = 60

DELIMITER = b"<IDS|MSG>"


def parent_id(msg: dict) -> str | None:
    return (msg.get("parent_header") or {}).get("msg_id")


def is_status(msg: dict, state: str) -> bool:
    return msg["msg_type"] == "status" and msg["content"]["execution_state"] == state


def summarize(msgs: list[dict]) -> str:
    """One line per message, for assertion messages."""
    lines = []
    for m in msgs:
        content = json.dumps(m.get("content"), default=str)
        if len(content) > 300:
            content = content[:300] + "…"
        lines.append(f"  {m['msg_type']}: {content}")
    return "\n".join(lines) or "  (none)"


@dataclass
class Execution:
    """One execute_request: its reply and every iopub message it caused."""

    code: str
    msg_id: str
    reply: dict
    iopub: list[dict] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.reply["content"]["status"]

    @property
    def types(self) -> list[str]:
        return [m["msg_type"] for m in self.iopub]

    @property
    def outputs(self) -> list[dict]:
        """iopub messages other than status and execute_input."""
        return [m for m in self.iopub if m["msg_type"] not in ("status", "execute_input")]

    def stream(self, name: str = "stdout") -> str:
        return "".join(
            m["content"]["text"]
            for m in self.iopub
            if m["msg_type"] == "stream" and m["content"]["name"] == name
        )

    @property
    def stdout(self) -> str:
        return self.stream("stdout")

    @property
    def stderr(self) -> str:
        return self.stream("stderr")

    @property
    def results(self) -> list[dict]:
        return [m["content"] for m in self.iopub if m["msg_type"] == "execute_result"]

    @property
    def result(self) -> str | None:
        """text/plain of the single execute_result, or None if there is none."""
        results = self.results
        assert len(results) <= 1, f"more than one execute_result:\n{self}"
        return results[0]["data"].get("text/plain") if results else None

    @property
    def errors(self) -> list[dict]:
        return [m["content"] for m in self.iopub if m["msg_type"] == "error"]

    def __str__(self) -> str:
        return (
            f"code: {self.code!r}\nexecute_reply: {json.dumps(self.reply['content'], default=str)}\n"
            f"iopub:\n{summarize(self.iopub)}"
        )


class Kernel:
    """A started kernel and a connected blocking client."""

    def __init__(self, km, kc, log_path: Path | None = None):
        self.km = km
        self.kc = kc
        self.log_path = log_path  # where the kernel's stdout and stderr go, if known
        self._iopub: dict[str | None, list[dict]] = defaultdict(list)
        self._replies: dict[tuple[str, str | None], dict] = {}

    # --- sending -------------------------------------------------------

    def send(self, msg_type: str, content: dict | None = None, channel: str = "shell") -> str:
        """Send a request on shell or control; return its msg_id."""
        msg = self.kc.session.msg(msg_type, content or {})
        getattr(self.kc, f"{channel}_channel").send(msg)
        return msg["header"]["msg_id"]

    def execute_async(self, code: str, **content) -> str:
        return self.kc.execute(code, **content)

    # --- receiving -----------------------------------------------------

    def reply(self, msg_id: str, channel: str = "shell", timeout: float = TIMEOUT) -> dict:
        """The reply to msg_id on channel, waiting at most timeout seconds."""
        key = (channel, msg_id)
        deadline = time.monotonic() + timeout
        get = getattr(self.kc, f"get_{channel}_msg")
        while key not in self._replies:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {channel} reply to {msg_id} within {timeout}s")
            try:
                msg = get(timeout=remaining)
            except Empty:
                continue
            self._replies[(channel, parent_id(msg))] = msg
        return self._replies.pop(key)

    def iopub(self, msg_id: str, timeout: float = TIMEOUT) -> list[dict]:
        """Every iopub message whose parent is msg_id, up to and including idle."""
        deadline = time.monotonic() + timeout
        msgs = self._iopub[msg_id]
        while not (msgs and is_status(msgs[-1], "idle")):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"no idle for {msg_id} on iopub within {timeout}s; got:\n{summarize(msgs)}"
                )
            try:
                msg = self.kc.get_iopub_msg(timeout=remaining)
            except Empty:
                continue
            self._iopub[parent_id(msg)].append(msg)
        return self._iopub.pop(msg_id)

    def wait_iopub(self, msg_id: str, msg_type: str, timeout: float = TIMEOUT) -> dict:
        """Wait for the first iopub message of msg_type with parent msg_id.

        The message stays buffered, so a later iopub(msg_id) still returns it.
        """
        deadline = time.monotonic() + timeout
        while True:
            for m in self._iopub[msg_id]:
                if m["msg_type"] == msg_type:
                    return m
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"no {msg_type} for {msg_id} within {timeout}s; got:\n"
                    f"{summarize(self._iopub[msg_id])}"
                )
            try:
                msg = self.kc.get_iopub_msg(timeout=remaining)
            except Empty:
                continue
            self._iopub[parent_id(msg)].append(msg)

    def request(self, msg_type: str, content: dict | None = None, channel: str = "shell",
                timeout: float = TIMEOUT) -> tuple[dict, list[dict]]:
        """Send a request and return (reply, iopub messages up to idle)."""
        msg_id = self.send(msg_type, content, channel)
        reply = self.reply(msg_id, channel, timeout)
        return reply, self.iopub(msg_id, timeout)

    # --- executing -----------------------------------------------------

    def finish(self, code: str, msg_id: str, timeout: float = TIMEOUT) -> Execution:
        reply = self.reply(msg_id, "shell", timeout)
        return Execution(code, msg_id, reply, self.iopub(msg_id, timeout))

    def execute(self, code: str, timeout: float = TIMEOUT, **content) -> Execution:
        """Run code and return what it produced, whatever the outcome."""
        return self.finish(code, self.execute_async(code, **content), timeout)

    def run(self, code: str, timeout: float = TIMEOUT, **content) -> Execution:
        """Run code that must succeed."""
        ex = self.execute(code, timeout, **content)
        assert ex.status == "ok", f"cell failed:\n{ex}"
        assert not ex.errors, f"cell published an error:\n{ex}"
        return ex

    def kernel_info(self, channel: str = "shell", timeout: float = TIMEOUT) -> dict:
        reply, _ = self.request("kernel_info_request", channel=channel, timeout=timeout)
        return reply["content"]

    # --- the process ---------------------------------------------------

    @property
    def pid(self) -> int:
        return self.km.provisioner.process.pid

    @property
    def process(self):
        """The kernel's subprocess.Popen."""
        return self.km.provisioner.process

    @property
    def connection_info(self) -> dict:
        with open(self.km.connection_file) as f:
            return json.load(f)

    def raw_socket(self, channel: str) -> "RawSocket":
        return RawSocket(self.connection_info, channel)


# --- raw sockets -------------------------------------------------------


class RawSocket:
    """A bare pyzmq socket on one kernel channel, for messages jupyter_client would not send."""

    SOCKET_TYPES = {"shell": zmq.DEALER, "control": zmq.DEALER, "hb": zmq.REQ}

    def __init__(self, info: dict, channel: str):
        self.key = info["key"].encode()
        self.session = uuid.uuid4().hex
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(self.SOCKET_TYPES[channel])
        self.sock.linger = 0
        if channel != "hb":
            self.sock.identity = self.session.encode()
        self.sock.connect(f"{info['transport']}://{info['ip']}:{info[channel + '_port']}")

    def close(self):
        self.sock.close(linger=0)
        self.ctx.term()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def sign(self, *frames: bytes) -> bytes:
        mac = hmac.new(self.key, digestmod=hashlib.sha256)
        for f in frames:
            mac.update(f)
        return mac.hexdigest().encode()

    def header(self, msg_type: str) -> dict:
        return {
            "msg_id": uuid.uuid4().hex,
            "session": self.session,
            "username": "e2e",
            "date": "2024-01-01T00:00:00.000000Z",
            "msg_type": msg_type,
            "version": "5.3",
        }

    def message_frames(self, msg_type: str, content: dict | None = None) -> tuple[str, list[bytes]]:
        """A correctly signed message; returns (msg_id, frames)."""
        header = self.header(msg_type)
        parts = [json.dumps(p).encode() for p in (header, {}, {}, content or {})]
        return header["msg_id"], [DELIMITER, self.sign(*parts), *parts]

    def send_frames(self, frames: list[bytes]):
        self.sock.send_multipart(frames)

    def recv(self, timeout: float = TIMEOUT) -> list[bytes] | None:
        """The next multipart message, or None if none arrives within timeout."""
        if self.sock.poll(int(timeout * 1000)):
            return self.sock.recv_multipart()
        return None

    def recv_message(self, timeout: float = TIMEOUT) -> dict | None:
        """The next message, decoded and with its signature checked."""
        frames = self.recv(timeout)
        if frames is None:
            return None
        i = frames.index(DELIMITER)
        sig, parts = frames[i + 1], frames[i + 2:i + 6]
        assert hmac.compare_digest(sig, self.sign(*parts)), "kernel reply has a bad signature"
        header, parent, metadata, content = (json.loads(p) for p in parts)
        return {"header": header, "parent_header": parent, "metadata": metadata,
                "content": content, "msg_type": header["msg_type"]}


# --- processes ---------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    """A process, identified by pid and start time so a reused pid is not mistaken for it."""

    pid: int
    start: int

    def alive(self) -> bool:
        stat = read_stat(self.pid)
        return stat is not None and stat["start"] == self.start and stat["state"] not in "ZX"


def read_stat(pid: int) -> dict | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name is in parentheses and may contain spaces.
    rest = raw[raw.rindex(")") + 2:].split()
    return {"state": rest[0], "ppid": int(rest[1]), "start": int(rest[19])}


def descendants(pid: int) -> set[Proc]:
    """Every live process below pid, found by scanning /proc."""
    children = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = read_stat(int(entry))
            if stat is not None and stat["state"] not in "ZX":
                children[stat["ppid"]].append(Proc(int(entry), stat["start"]))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child.pid)
    return found


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    """Poll predicate until it is true; fail with what after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
