"""Hostile peers for the end-to-end security tests: raw ZMTP over TCP, and the
kernel process's resources as /proc shows them.

Nothing here knows about pytest. ZMTP 3.0 is https://rfc.zeromq.org/spec/23/.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
import time
from pathlib import Path

# The socket type a legitimate peer of each kernel channel announces in READY.
PEER_TYPE = {
    "shell": b"DEALER",
    "control": b"DEALER",
    "stdin": b"DEALER",
    "iopub": b"SUB",
    "hb": b"REQ",
}
CHANNELS = list(PEER_TYPE)

GREETING_LEN = 64

FLAG_MORE = 0x01
FLAG_LONG = 0x02
FLAG_COMMAND = 0x04


# --- building ZMTP bytes -------------------------------------------------


def greeting(major: int = 3, minor: int = 0, mechanism: bytes = b"NULL", as_server: int = 0) -> bytes:
    """A ZMTP 3.x greeting: signature, version, mechanism, as-server, filler."""
    return (b"\xff" + b"\x00" * 8 + b"\x7f" + bytes([major, minor])
            + mechanism.ljust(20, b"\x00") + bytes([as_server]) + b"\x00" * 31)


def zmtp2_greeting(socket_type: int = 5) -> bytes:
    """A ZMTP 2.0 greeting (revision 1, DEALER) followed by an empty identity frame."""
    return b"\xff" + b"\x00" * 7 + b"\x01" + b"\x7f" + bytes([1, socket_type]) + b"\x00\x00"


def frame_header(size: int, flags: int = 0) -> bytes:
    """A frame header announcing size body bytes; long form when needed."""
    if size > 255:
        return bytes([flags | FLAG_LONG]) + struct.pack(">Q", size)
    return bytes([flags, size])


def frame(body: bytes, flags: int = 0) -> bytes:
    return frame_header(len(body), flags) + body


def message(*frames: bytes) -> bytes:
    """A multipart message: MORE on every frame but the last."""
    last = len(frames) - 1
    return b"".join(frame(f, FLAG_MORE if i < last else 0) for i, f in enumerate(frames))


def prop(name: bytes, value: bytes, value_len: int | None = None) -> bytes:
    """One metadata property; value_len overrides the announced value length."""
    n = len(value) if value_len is None else value_len
    return bytes([len(name)]) + name + struct.pack(">I", n) + value


def command(name: bytes, data: bytes = b"") -> bytes:
    return frame(bytes([len(name)]) + name + data, FLAG_COMMAND)


def ready(*props: bytes) -> bytes:
    return command(b"READY", b"".join(props))


# --- a raw peer ---------------------------------------------------------


class ZmtpPeer:
    """One TCP connection to a kernel port, speaking whatever the test says."""

    def __init__(self, host: str, port: int, rcvbuf: int | None = None, timeout: float = 5):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            # Before connect, so the window the kernel sees is small from the start.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data: bytes):
        self.sock.sendall(data)

    def recv_exactly(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError(f"kernel closed the connection after {len(buf)} of {n} bytes")
            buf += chunk
        return bytes(buf)

    def recv_frame(self) -> tuple[int, bytes]:
        flags, size = self.recv_exactly(2)
        if flags & FLAG_LONG:
            size = struct.unpack(">Q", bytes([size]) + self.recv_exactly(7))[0]
        return flags, self.recv_exactly(size)

    def handshake(self, socket_type: bytes):
        """A correct ZMTP 3.0 NULL handshake as a peer of socket_type."""
        self.send(greeting())
        theirs = self.recv_exactly(GREETING_LEN)
        assert theirs[0] == 0xFF and theirs[9] == 0x7F and theirs[10] == 3, f"kernel greeting {theirs!r}"
        self.send(ready(prop(b"Socket-Type", socket_type)))
        flags, body = self.recv_frame()
        assert flags & FLAG_COMMAND and body.startswith(b"\x05READY"), f"kernel READY {flags:#x} {body!r}"

    def closed_by_kernel(self, timeout: float) -> bool:
        """Whether the kernel ends the connection (EOF or reset) within timeout.

        Whatever the kernel still sends (its greeting, say) is read and ignored.
        """
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            self.sock.settimeout(remaining)
            try:
                if not self.sock.recv(65536):
                    return True
            except TimeoutError:
                return False
            except OSError as e:
                if e.errno in (errno.ECONNRESET, errno.EPIPE):
                    return True
                raise
        return False


# --- the kernel process as /proc sees it ---------------------------------


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def fd_targets(pid: int) -> list[str]:
    """What each open fd points at, for failure messages."""
    out = []
    for fd in sorted(os.listdir(f"/proc/{pid}/fd"), key=int):
        try:
            out.append(f"{fd} -> {os.readlink(f'/proc/{pid}/fd/{fd}')}")
        except OSError:
            pass
    return out


def vm_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS in /proc/{pid}/status")
