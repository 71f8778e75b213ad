"""ZeroMQ from Go cells: zmq4 sockets talk to pyzmq (libzmq), stop on interrupt, free their ports.

See docs/zeromq.md. Every socket binds 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest
import zmq

from exec_helpers import assert_one_error, interrupt_message, start_blocking, workers
from kernelutil import TIMEOUT

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "zeromq-patterns.ipynb"

IMPORTS = 'import (\n"context"\n"fmt"\n"github.com/go-zeromq/zmq4"\n)'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ctx():
    c = zmq.Context()
    yield c
    c.destroy(linger=0)


def go_rep_server(kernel, port: int):
    """A cell starts a Go REP server on port that answers "World: <request>"."""
    kernel.run(IMPORTS)
    kernel.run(f'''
rep := zmq4.NewRep(context.Background())
if err := rep.Listen("tcp://127.0.0.1:{port}"); err != nil {{
	panic(err)
}}
go func() {{
	for {{
		msg, err := rep.Recv()
		if err != nil {{
			return
		}}
		rep.Send(zmq4.NewMsgString("World: " + string(msg.Bytes())))
	}}
}}()''')


def test_go_rep_answers_python_req(kernel, ctx):
    port = free_port()
    go_rep_server(kernel, port)
    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.RCVTIMEO, TIMEOUT * 1000)
    req.connect(f"tcp://127.0.0.1:{port}")
    # Not b"": zmq4's REP mangles the reply to an empty request (docs/zeromq.md).
    for payload in [b"Hello", "héllo".encode(), b"x" * (1 << 20)]:
        req.send(payload)
        assert req.recv() == b"World: " + payload


def test_go_sub_receives_python_pub_with_filter(kernel, ctx):
    port = free_port()
    pub = ctx.socket(zmq.PUB)
    pub.bind(f"tcp://127.0.0.1:{port}")
    kernel.run(IMPORTS)
    msg_id = kernel.execute_async(f'''
sub := zmq4.NewSub(context.Background())
if err := sub.Dial("tcp://127.0.0.1:{port}"); err != nil {{
	panic(err)
}}
sub.SetOption(zmq4.OptionSubscribe, "weather ")
var msg zmq4.Msg
var err error
for i := 0; i < 5; i++ {{
	msg, err = sub.Recv()
	fmt.Println(string(msg.Bytes()), err)
}}''')
    # The subscription reaches the publisher some time after the connection
    # (the slow joiner), so publish until the cell is done.
    done = threading.Event()

    def publish():
        n = 0
        while not done.is_set():
            pub.send_string(f"sports {n}")
            pub.send_string(f"weather {n}")
            n += 1
            time.sleep(0.005)

    t = threading.Thread(target=publish)
    t.start()
    try:
        ex = kernel.finish("sub", msg_id)
    finally:
        done.set()
        t.join()
    assert ex.status == "ok", str(ex)
    lines = ex.stdout.splitlines()
    assert len(lines) == 5, ex.stdout
    numbers = [int(line.split()[1]) for line in lines]
    assert all(line.startswith("weather ") and line.endswith(" <nil>") for line in lines), ex.stdout
    assert numbers == list(range(numbers[0], numbers[0] + 5)), ex.stdout


def test_interrupt_stops_blocked_recv(kernel, ctx):
    """An interrupt stops a Recv blocked in compiled code: the session keeps its state and worker,
    and the next message is not lost."""
    port = free_port()
    kernel.run(IMPORTS)
    kernel.run(f'''
pull := zmq4.NewPull(context.Background())
if err := pull.Listen("tcp://127.0.0.1:{port}"); err != nil {{
	panic(err)
}}''')
    before = {w.pid for w in workers(kernel)}
    msg_id = start_blocking(kernel, 'fmt.Println("started"); pull.Recv()')
    t0 = time.monotonic()
    interrupt_message(kernel)
    ex = kernel.finish("pull.Recv()", msg_id)
    elapsed = time.monotonic() - t0
    assert_one_error(ex, "Interrupted")
    assert elapsed < 1.5, f"the interrupt took {elapsed:.2f}s"
    assert {w.pid for w in workers(kernel)} == before, "the worker was replaced"

    push = ctx.socket(zmq.PUSH)
    push.connect(f"tcp://127.0.0.1:{port}")
    push.send(b"after the interrupt")
    ex = kernel.run("msg, err := pull.Recv()\nfmt.Println(string(msg.Bytes()), err)")
    assert ex.stdout == "after the interrupt <nil>\n", str(ex)


def test_rebinding_an_endpoint_replaces_the_earlier_socket(kernel, ctx):
    port = free_port()
    go_rep_server(kernel, port)
    cell = f'rep2 := zmq4.NewRep(context.Background())\nrep2.Listen("tcp://127.0.0.1:{port}")'
    ex = kernel.run(cell)
    assert ex.result == "nil", str(ex)
    assert ex.stderr == (f"zmq4: closed the REP socket that an earlier cell bound to "
                         f"tcp://127.0.0.1:{port}\n"), str(ex)


def test_restart_frees_ports(kernel):
    port = free_port()
    go_rep_server(kernel, port)
    reply = kernel.reply(kernel.kc.shutdown(restart=True), "control")
    assert reply["content"]["status"] == "ok", reply
    # Right after the restart reply, the port is free for anyone.
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
    go_rep_server(kernel, port)


def outputs(cell_outputs: list[dict]) -> dict:
    """What a cell produced, as compared: stream text per stream, results, error names."""
    def joined(text):
        return "".join(text) if isinstance(text, list) else text

    got: dict = {}
    for o in cell_outputs:
        kind = o.get("output_type") or o.get("msg_type")
        content = o.get("content", o)
        if kind == "stream":
            got[content["name"]] = got.get(content["name"], "") + joined(content["text"])
        elif kind in ("execute_result", "display_data"):
            got.setdefault("data", []).append(joined(content["data"].get("text/plain")))
        elif kind == "error":
            got.setdefault("error", []).append(content["ename"])
    return got


def test_notebook_twice_in_one_kernel(kernel):
    """The patterns notebook gives its saved outputs twice in a row in one kernel: every port
    it binds is free again at its end."""
    nb = json.loads(NOTEBOOK.read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for run in (1, 2):
        for cell in cells:
            source = "".join(cell["source"])
            ex = kernel.execute(source, timeout=120)
            if not cell.get("metadata", {}).get("gokernel", {}).get("check", True):
                assert ex.status == "ok", f"run {run}:\n{ex}"
                continue
            assert outputs(ex.outputs) == outputs(cell["outputs"]), f"run {run}, cell:\n{source}\n{ex}"
