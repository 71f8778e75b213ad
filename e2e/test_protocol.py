"""The Jupyter messaging protocol, request by request, against a fresh kernel."""

import re

import pytest

from kernelutil import is_status, summarize

LANGUAGE_INFO = {
    "name": "go",
    "mimetype": "text/x-go",
    "file_extension": ".go",
    "pygments_lexer": "go",
    "codemirror_mode": "go",
    "nbconvert_exporter": "script",
}


def assert_busy_idle(msg_id, iopub):
    """iopub for one request starts with busy and ends with idle, once each."""
    statuses = [m for m in iopub if m["msg_type"] == "status"]
    assert iopub and is_status(iopub[0], "busy"), f"first iopub message is not busy:\n{summarize(iopub)}"
    assert is_status(iopub[-1], "idle"), f"last iopub message is not idle:\n{summarize(iopub)}"
    assert len(statuses) == 2, f"expected one busy and one idle:\n{summarize(iopub)}"
    for m in iopub:
        assert m["parent_header"]["msg_id"] == msg_id


# --- kernel_info -------------------------------------------------------


def check_kernel_info(content):
    assert content["status"] == "ok"
    version = tuple(int(p) for p in content["protocol_version"].split(".")[:2])
    assert version >= (5, 3), content["protocol_version"]
    assert content["implementation"] == "gokernel"
    assert isinstance(content["implementation_version"], str) and content["implementation_version"]
    info = content["language_info"]
    for key, want in LANGUAGE_INFO.items():
        assert info.get(key) == want, f"language_info[{key!r}] = {info.get(key)!r}, want {want!r}"
    assert isinstance(info["version"], str) and re.match(r"\d+\.\d+", info["version"]), info["version"]
    assert isinstance(content["banner"], str) and content["banner"].strip()
    links = content["help_links"]
    assert isinstance(links, list)
    for link in links:
        assert set(link) >= {"text", "url"}, link


@pytest.mark.parametrize("channel", ["shell", "control"])
def test_kernel_info_reply(kernel, channel):
    reply, iopub = kernel.request("kernel_info_request", channel=channel)
    assert reply["msg_type"] == "kernel_info_reply"
    check_kernel_info(reply["content"])
    assert_busy_idle(reply["parent_header"]["msg_id"], iopub)


# --- busy / idle around every request -----------------------------------

REQUESTS = {
    "kernel_info": ("kernel_info_request", {}),
    "execute": ("execute_request", {"code": "1 + 2", "silent": False, "store_history": True,
                                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}),
    "is_complete": ("is_complete_request", {"code": "func f() {"}),
    "comm_info": ("comm_info_request", {}),
}


@pytest.mark.parametrize("name", REQUESTS)
def test_busy_and_idle_around_request(kernel, name):
    msg_type, content = REQUESTS[name]
    reply, iopub = kernel.request(msg_type, content)
    assert reply["msg_type"] == msg_type.replace("_request", "_reply")
    assert_busy_idle(reply["parent_header"]["msg_id"], iopub)


# --- execute -----------------------------------------------------------


def test_execute_message_order(kernel):
    kernel.run('import "fmt"')
    code = 'fmt.Println("hi")\n1 + 2'
    ex = kernel.run(code)
    assert ex.types == ["status", "execute_input", "stream", "execute_result", "status"], str(ex)
    execute_input = ex.iopub[1]["content"]
    assert execute_input["code"] == code
    count = ex.reply["content"]["execution_count"]
    assert execute_input["execution_count"] == count
    assert ex.results[0]["execution_count"] == count
    assert ex.stdout == "hi\n"
    assert ex.result == "3"
    # The reply follows the outputs and precedes idle: compare the kernel's own send times.
    dates = [m["header"]["date"] for m in ex.iopub]
    reply_date = ex.reply["header"]["date"]
    assert max(dates[:-1]) <= reply_date <= dates[-1], f"reply sent at {reply_date}:\n{ex}"


def test_execution_count_increments(kernel):
    first = kernel.run("1").reply["content"]["execution_count"]
    second = kernel.run("2").reply["content"]["execution_count"]
    assert second == first + 1


@pytest.mark.parametrize("flags", [{"silent": True}, {"store_history": False}], ids=["silent", "no_history"])
def test_execution_count_unchanged(kernel, flags):
    before = kernel.run("1").reply["content"]["execution_count"]
    kernel.run("2", **flags)
    after = kernel.run("3").reply["content"]["execution_count"]
    assert after == before + 1


def test_silent_publishes_only_busy_and_idle(kernel):
    kernel.run('import "fmt"')
    ex = kernel.run('fmt.Println("quiet")\n42', silent=True)
    assert ex.types == ["status", "status"], str(ex)
    assert_busy_idle(ex.msg_id, ex.iopub)


def test_user_expressions(kernel):
    ex = kernel.run("x := 5", user_expressions={"double": "x * 2", "bad": "undefinedThing + 1"})
    exprs = ex.reply["content"]["user_expressions"]
    assert exprs["double"]["status"] == "ok", exprs
    assert exprs["double"]["data"]["text/plain"] == "10"
    assert exprs["bad"]["status"] == "error", exprs
    assert exprs["bad"]["ename"] and "traceback" in exprs["bad"]


def test_state_persists_across_cells(kernel):
    kernel.run('import "fmt"')
    kernel.run("greeting := \"hello\"")
    kernel.run("func shout(s string) string { return s + \"!\" }")
    kernel.run("type Point struct{ X, Y int }\nfunc (p Point) Sum() int { return p.X + p.Y }")
    ex = kernel.run("p := Point{X: 2, Y: 3}\nfmt.Println(shout(greeting), p.Sum())")
    assert ex.stdout == "hello! 5\n"


# --- stop_on_error -----------------------------------------------------


def send_three(kernel, stop_on_error):
    """Queue three cells at once; the second fails. Return their Executions."""
    cells = [
        'import "time"\ntime.Sleep(300 * time.Millisecond)\nran := []string{"first"}',
        'panic("second fails")',
        'ran = append(ran, "third")',
    ]
    ids = [kernel.execute_async(code, stop_on_error=stop_on_error) for code in cells]
    return [kernel.finish(code, msg_id) for code, msg_id in zip(cells, ids)]


def test_stop_on_error_aborts_queued_cells(kernel):
    first, second, third = send_three(kernel, stop_on_error=True)
    assert first.status == "ok", str(first)
    assert second.status == "error", str(second)
    assert third.status == "aborted", str(third)
    assert not third.outputs, str(third)
    # The queue is not aborted for good: a cell sent afterwards runs, and the third did not.
    assert kernel.run("len(ran)").result == "1"


def test_stop_on_error_false_keeps_queue(kernel):
    first, second, third = send_three(kernel, stop_on_error=False)
    assert [first.status, second.status, third.status] == ["ok", "error", "ok"], f"{second}\n{third}"
    assert kernel.run("len(ran)").result == "2"


# --- other shell requests ----------------------------------------------


@pytest.mark.parametrize("code", ["x := 1", 'fmt.Println("a")', "func f() {}", "type T struct{}"])
def test_is_complete_complete(kernel, code):
    reply, _ = kernel.request("is_complete_request", {"code": code})
    assert reply["content"]["status"] == "complete", reply["content"]


@pytest.mark.parametrize("code", ["x := )", "func f() { ) }"])
def test_is_complete_invalid(kernel, code):
    reply, _ = kernel.request("is_complete_request", {"code": code})
    assert reply["content"]["status"] == "invalid", reply["content"]


def test_is_complete_incomplete_with_indent(kernel):
    def indent(code):
        reply, _ = kernel.request("is_complete_request", {"code": code})
        content = reply["content"]
        assert content["status"] == "incomplete", f"{code!r}: {content}"
        assert isinstance(content.get("indent"), str), content
        assert content["indent"].strip() == "", f"indent is not whitespace: {content['indent']!r}"
        return content["indent"]

    one = indent("func f() {")
    two = indent("func f() {\n\tif true {")
    assert one, "no indent after an open brace"
    assert len(two) > len(one), f"nested block indent {two!r} is not deeper than {one!r}"


def test_comm_info_is_empty(kernel):
    reply, _ = kernel.request("comm_info_request", {})
    assert reply["content"]["status"] == "ok"
    assert reply["content"]["comms"] == {}


def test_heartbeat_echoes(kernel):
    with kernel.raw_socket("hb") as hb:
        hb.send_frames([b"ping"])
        assert hb.recv() == [b"ping"]
