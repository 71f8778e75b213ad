"""Comms both ways: a cell registers a target a front end opens, a cell opens
a comm to the front end, and comm_info_request lists what is open."""

import time
from queue import Empty

from kernelutil import TIMEOUT, parent_id

REGISTER_ECHO = '''import "github.com/gokernel/gokernel/comm"

comm.Register("echo", func(c *comm.Comm, data comm.Data) {
	c.Send(comm.Data{"hello": data["name"]})
	c.OnMsg(func(d comm.Data) { c.Send(comm.Data{"echo": d["x"]}) })
	c.OnClose(func(comm.Data) { fmt.Println("closed by the front end") })
})'''


def next_comm(kernel, parent, seen, timeout=TIMEOUT):
    """The next comm message published with parent as its parent."""
    deadline = time.monotonic() + timeout
    while True:
        for m in kernel._iopub[parent]:
            if m["msg_type"].startswith("comm_") and m["header"]["msg_id"] not in seen:
                seen.add(m["header"]["msg_id"])
                return m
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no comm message for {parent} within {timeout}s"
        try:
            msg = kernel.kc.get_iopub_msg(timeout=remaining)
        except Empty:
            continue
        kernel._iopub[parent_id(msg)].append(msg)


def send_comm(kernel, msg_type, content):
    """Send a comm message (they have no reply) and return its iopub messages
    up to idle."""
    return kernel.iopub(kernel.send(msg_type, content))


def comm_info(kernel, target=None):
    content = {"target_name": target} if target else {}
    reply, _ = kernel.request("comm_info_request", content)
    assert reply["content"]["status"] == "ok", reply
    return reply["content"]["comms"]


def test_front_end_opens_a_comm_a_cell_registered(kernel):
    cell = kernel.run('import "fmt"\n' + REGISTER_ECHO).msg_id
    seen = set()
    send_comm(kernel, "comm_open", {"comm_id": "c1", "target_name": "echo", "data": {"name": "go"}})
    hello = next_comm(kernel, cell, seen)
    assert (hello["msg_type"], hello["content"]["comm_id"], hello["content"]["data"]) == \
        ("comm_msg", "c1", {"hello": "go"})
    assert comm_info(kernel) == {"c1": {"target_name": "echo"}}
    assert comm_info(kernel, "other") == {}

    send_comm(kernel, "comm_msg", {"comm_id": "c1", "data": {"x": 42}})
    echo = next_comm(kernel, cell, seen)
    assert echo["content"]["data"] == {"echo": 42}, echo

    send_comm(kernel, "comm_close", {"comm_id": "c1", "data": {}})
    assert comm_info(kernel) == {}
    # The OnClose callback printed; its output belongs to the last cell.
    deadline = time.monotonic() + TIMEOUT
    while "closed by the front end" not in "".join(
            m["content"].get("text", "") for m in kernel._iopub[cell] if m["msg_type"] == "stream"):
        assert time.monotonic() < deadline, "OnClose did not run"
        try:
            msg = kernel.kc.get_iopub_msg(timeout=1)
        except Empty:
            continue
        kernel._iopub[parent_id(msg)].append(msg)


def test_unknown_target_is_closed(kernel):
    iopub = send_comm(kernel, "comm_open", {"comm_id": "c2", "target_name": "nobody", "data": {}})
    closes = [m for m in iopub if m["msg_type"] == "comm_close"]
    assert len(closes) == 1 and closes[0]["content"]["comm_id"] == "c2", iopub
    assert comm_info(kernel) == {}


def test_cell_opens_a_comm_to_the_front_end(kernel):
    ex = kernel.run('import "github.com/gokernel/gokernel/comm"\n'
                    'c := comm.Open("front", comm.Data{"v": 1})\n'
                    'c.Send(comm.Data{"w": 2})')
    kinds = [(m["msg_type"], m["content"].get("target_name"), m["content"]["data"])
             for m in ex.iopub if m["msg_type"].startswith("comm_")]
    assert kinds == [("comm_open", "front", {"v": 1}), ("comm_msg", None, {"w": 2})], kinds
    comm_id = next(m for m in ex.iopub if m["msg_type"] == "comm_open")["content"]["comm_id"]
    assert comm_info(kernel, "front") == {comm_id: {"target_name": "front"}}
    ex = kernel.run("c.Close(nil)")
    assert [m["msg_type"] for m in ex.iopub if m["msg_type"].startswith("comm_")] == ["comm_close"]
    assert comm_info(kernel) == {}
