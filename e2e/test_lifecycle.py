"""Failures, interrupts, hostile input, shutdown and restart: the kernel survives them all."""

import os

import pytest

from conftest import start_kernel, stop_kernel
from kernelutil import DELIMITER, TIMEOUT, descendants, wait_until

# --- cells that fail ---------------------------------------------------


@pytest.fixture
def stateful(kernel):
    """A kernel holding an import, a variable and a function from earlier cells."""
    kernel.run('import "fmt"')
    kernel.run("keep := 41")
    kernel.run("func twice(n int) int { return 2 * n }")
    return kernel


def assert_state_intact(kernel):
    ex = kernel.run('fmt.Println("still here")\ntwice(keep)')
    assert ex.stdout == "still here\n", str(ex)
    assert ex.result == "82", str(ex)


def assert_one_clean_error(ex):
    """The cell failed with exactly one error message and no other output."""
    assert ex.status == "error", str(ex)
    assert [m["msg_type"] for m in ex.outputs] == ["error"], str(ex)
    error, reply = ex.errors[0], ex.reply["content"]
    assert error["ename"] and error["ename"] == reply["ename"], str(ex)
    assert error["evalue"] == reply["evalue"], str(ex)
    assert isinstance(error["traceback"], list) and all(isinstance(t, str) for t in error["traceback"])
    return error


ERROR_CELLS = {
    "panic": ('panic("boom")', "boom"),
    "syntax_error": ("y := )", ""),
    "type_error": ("var s string = 5", ""),
    "undefined": ("undefinedThing + 1", "undefinedThing"),
    "nil_map_write": ('var m map[string]int\nm["a"] = 1', "nil map"),
    "index_out_of_range": ("a := []int{}\na[1] = 2", ""),
}


@pytest.mark.parametrize("name", ERROR_CELLS)
def test_failing_cell_gives_one_error_and_keeps_state(stateful, name):
    code, in_value = ERROR_CELLS[name]
    error = assert_one_clean_error(stateful.execute(code))
    assert in_value in error["evalue"] + "\n".join(error["traceback"]), error
    assert_state_intact(stateful)


def test_range_over_int_runs_and_keeps_state(stateful):
    """range over int crashed yaegi's compiler; the rewrite makes it run (README promises it)."""
    ex = stateful.execute("for i := range 3 { fmt.Print(i) }")
    assert ex.status == "ok" and not ex.errors, str(ex)
    assert ex.stdout == "012", str(ex)
    assert_state_intact(stateful)


# The crash of a goroutine's panic is in test_execution.py's CRASH_CELLS.


# --- interrupts --------------------------------------------------------


def interrupt_by_message(kernel):
    reply = kernel.reply(kernel.send("interrupt_request", channel="control"), "control")
    assert reply["msg_type"] == "interrupt_reply"
    assert reply["content"]["status"] == "ok", reply["content"]


def interrupt_by_manager(kernel):
    """However the kernelspec says (signal to the process group, or message)."""
    kernel.km.interrupt_kernel()


@pytest.mark.parametrize("interrupt", [interrupt_by_message, interrupt_by_manager], ids=["message", "manager"])
def test_interrupt_stops_busy_loop(kernel, interrupt):
    kernel.run("kept := 7")
    code = "for {}"
    msg_id = kernel.execute_async(code)
    kernel.wait_iopub(msg_id, "execute_input")
    interrupt(kernel)
    ex = kernel.finish(code, msg_id)
    error = assert_one_clean_error(ex)
    assert error["ename"] == "Interrupted", str(ex)
    assert kernel.run("kept + 1").result == "8"


def test_interrupt_when_idle_is_harmless(kernel):
    interrupt_by_message(kernel)
    assert kernel.run("1 + 1").result == "2"


# --- hostile messages --------------------------------------------------


def signed(sock, header, parent=b"{}", metadata=b"{}", content=b"{}"):
    parts = [header, parent, metadata, content]
    return [DELIMITER, sock.sign(*parts), *parts]


def valid(sock, msg_type="kernel_info_request"):
    return sock.message_frames(msg_type)[1]


def with_signature(frames, signature):
    return [frames[0], signature, *frames[2:]]


HOSTILE = {
    "bad_signature": lambda s: with_signature(valid(s), b"0" * 64),
    "empty_signature": lambda s: with_signature(valid(s), b""),
    "malformed_json": lambda s: signed(s, b"{not json"),
    "header_not_object": lambda s: signed(s, b"[1, 2, 3]"),
    "header_missing_fields": lambda s: signed(s, b'{"msg_id": "x"}'),
    "missing_frames": lambda s: valid(s)[:3],
    "no_delimiter": lambda s: valid(s)[1:],
    "only_delimiter": lambda s: [DELIMITER],
    "empty_frame": lambda s: [b""],
    "unknown_msg_type": lambda s: valid(s, "no_such_request"),
    "random_bytes": lambda s: [os.urandom(n) for n in (1, 17, 300, 4096)],
}


@pytest.fixture(scope="module")
def shared_kernel():
    """One kernel for all hostile-message tests: each leaves it as it found it."""
    k = start_kernel("test_lifecycle_hostile")
    yield k
    stop_kernel(k)


@pytest.mark.parametrize("channel", ["shell", "control"])
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_message_is_dropped(shared_kernel, channel, name):
    with shared_kernel.raw_socket(channel) as sock:
        sock.send_frames(HOSTILE[name](sock))
        msg_id, frames = sock.message_frames("kernel_info_request")
        sock.send_frames(frames)
        reply = sock.recv_message()
        assert reply is not None, f"no kernel_info_reply after a {name} message on {channel}"
        assert reply["parent_header"].get("msg_id") == msg_id, (
            f"the {name} message was answered instead of dropped: {reply['msg_type']} {reply['content']}")
        assert reply["msg_type"] == "kernel_info_reply"
    # The ordinary client is unaffected too.
    assert shared_kernel.kernel_info()["status"] == "ok"


# --- shutdown and restart ----------------------------------------------


def test_shutdown_exits_and_leaves_no_workers(kernel):
    kernel.run("1")  # make sure a worker is running
    workers = descendants(kernel.pid)
    assert workers, "the kernel has no worker process after running a cell"

    msg_id = kernel.kc.shutdown(restart=False)
    reply = kernel.reply(msg_id, "control")
    assert reply["msg_type"] == "shutdown_reply"
    assert reply["content"]["status"] == "ok" and reply["content"]["restart"] is False, reply["content"]

    assert kernel.process.wait(timeout=TIMEOUT) == 0
    wait_until(lambda: not any(w.alive() for w in workers), TIMEOUT,
               f"worker processes {sorted(w.pid for w in workers)} to exit")


def test_restart_keeps_process_and_resets_state(kernel):
    kernel.run("forgotten := 1")
    pid = kernel.pid
    msg_id = kernel.kc.shutdown(restart=True)
    reply = kernel.reply(msg_id, "control")
    assert reply["content"]["status"] == "ok" and reply["content"]["restart"] is True, reply["content"]

    assert kernel.kernel_info()["status"] == "ok"
    assert kernel.pid == pid and kernel.process.poll() is None, "the kernel process exited on restart"
    ex = kernel.execute("forgotten")
    assert ex.status == "error", f"state survived the restart:\n{ex}"
    assert kernel.run("2 * 21").result == "42"
