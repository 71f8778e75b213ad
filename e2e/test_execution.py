"""Execution the user can always stop and that never loses the kernel (issue 3).

Every test drives the real binary through jupyter_client and checks that the
kernel process survives (same PID), that the next cell works, and whether the
session's earlier state was kept (an interrupt that took) or is gone (the
worker died and was replaced).
"""

import os
import re
import signal
from queue import Empty

import pytest

from exec_helpers import (IMPORTS, INTERRUPTS, STARTED, assert_one_error, heartbeat_rtt,
                          interrupt_message, rss_kib, start_blocking, stdin_request, wait_output,
                          workers)
from kernelutil import TIMEOUT, read_stat, wait_until


@pytest.fixture
def session(kernel):
    """A kernel with IMPORTS and kept := 7 defined; its PID is checked after the test."""
    kernel.run(IMPORTS)
    kernel.run("kept := 7")
    pid = kernel.pid
    yield kernel
    assert kernel.pid == pid and kernel.process.poll() is None, "the kernel process died"
    assert kernel.kernel_info()["status"] == "ok"


def count(ex):
    return ex.reply["content"]["execution_count"]


def assert_state_kept(kernel, after):
    ex = kernel.run("kept + 1")
    assert ex.result == "8", str(ex)
    assert count(ex) == count(after) + 1, "execution_count did not go on"


def assert_state_gone(kernel, after):
    gone = kernel.execute("kept")
    assert gone.status == "error" and "kept" in gone.reply["content"]["evalue"], f"state survived:\n{gone}"
    assert kernel.run("6 * 7").result == "42"
    assert count(gone) == count(after) + 1, "execution_count did not go on"


# --- 1. interrupt -------------------------------------------------------

# Each cell prints STARTED, then never ends by itself.
BLOCKING_CELLS = {
    "empty_loop": "for {}",
    "counting_loop": "n := 0\nfor { n++ }",
    "sleep": "time.Sleep(time.Hour)",
    "receive": "ch := make(chan int)\n<-ch",
    "nil_channel": "var c chan int\n<-c",
    "select": "select {}",
    "mutex_twice": "var mu sync.Mutex\nmu.Lock()\nmu.Lock()",
    "waitgroup_asleep": "var wg sync.WaitGroup\nwg.Add(1)\nwg.Wait()",
    "deep_recursion": "func down(n int) int {\n\tif n == 0 {\n\t\treturn 0\n\t}\n\treturn down(n-1) + 1\n}\n"
                      "for {\n\tdown(20000)\n}",
    "sort_callback": "s := []int{3, 1, 2}\nsort.Slice(s, func(i, j int) bool {\n\tfor {\n\t}\n})",
}


def blocking(name):
    body = BLOCKING_CELLS[name]
    # Declarations first: the front end runs them before the statements.
    decls, _, stmts = body.rpartition("}\n") if body.startswith("func") else ("", "", body)
    prefix = decls + "}\n" if decls else ""
    return f'{prefix}fmt.Println("{STARTED}")\n{stmts}'


@pytest.mark.parametrize("how", INTERRUPTS)
@pytest.mark.parametrize("name", BLOCKING_CELLS)
def test_interrupt_stops_cell_and_keeps_state(session, name, how):
    before = workers(session)
    code = blocking(name)
    msg_id = start_blocking(session, code)
    INTERRUPTS[how](session)
    ex = session.finish(code, msg_id)
    assert_one_error(ex, "Interrupted")
    assert_state_kept(session, ex)
    assert workers(session) == before, "the interrupt restarted the worker"


@pytest.mark.parametrize("how", INTERRUPTS)
def test_interrupt_that_does_not_take_restarts_session(session, how):
    """A worker that cannot react to the interrupt is killed after the grace period. The test
    freezes the worker running the cell with SIGSTOP itself, so it is frozen before the interrupt."""
    before = workers(session)
    code = f'fmt.Println("{STARTED}", os.Getpid())\ntime.Sleep(time.Hour)'
    msg_id = session.execute_async(code)
    out = wait_output(session, msg_id, STARTED)
    pid = int(re.search(STARTED + r" (\d+)", out).group(1))
    os.kill(pid, signal.SIGSTOP)
    wait_until(lambda: (read_stat(pid) or {}).get("state") == "T", TIMEOUT, "the worker to stop")
    INTERRUPTS[how](session)
    ex = session.finish(code, msg_id)
    assert_one_error(ex, "Interrupted", "the Go session was restarted; variables from earlier cells are gone")
    assert not any(w.alive() for w in before - workers(session)), "the frozen worker was not reaped"
    assert_state_gone(session, ex)


def test_interrupt_stops_goroutines_of_earlier_cells(session):
    session.run("ticks := 0\ngo func() {\n\tfor {\n\t\tticks++\n\t\ttime.Sleep(5 * time.Millisecond)\n\t}\n}()")
    code = blocking("select")
    msg_id = start_blocking(session, code)
    interrupt_message(session)
    assert_one_error(session.finish(code, msg_id), "Interrupted")
    ex = session.run("before := ticks\ntime.Sleep(100 * time.Millisecond)\nticks - before")
    assert ex.result == "0", f"a goroutine of an earlier cell still runs after the interrupt:\n{ex}"


@pytest.mark.parametrize("stop_on_error", [True, False])
def test_queued_cells_after_interrupt(session, stop_on_error):
    code = blocking("empty_loop")
    first = session.execute_async(code, stop_on_error=stop_on_error)
    queued = session.execute_async("queued := 1\nqueued")
    wait_output(session, first, STARTED)
    interrupt_message(session)
    assert_one_error(session.finish(code, first), "Interrupted")
    ex = session.finish("queued", queued)
    if stop_on_error:
        assert ex.status == "aborted", str(ex)
    else:
        assert ex.status == "ok" and ex.result == "1", str(ex)


def test_sigint_when_idle_is_harmless(session):
    handled = lambda: session.log_path.read_bytes().count(b"SIGINT: interrupted")  # noqa: E731
    before = handled()
    session.process.send_signal(signal.SIGINT)
    # Once the kernel has handled it (an interrupt that came after the next
    # request would rightly interrupt that cell), nothing lingers.
    wait_until(lambda: handled() > before, TIMEOUT, "the kernel to handle SIGINT")
    assert session.run("kept").result == "7"


# --- 2. crash containment -------------------------------------------------

# name: (cell, ename, a part of the evalue)
CRASH_CELLS = {
    "goroutine_panic": ('go func() { panic("goroutine boom") }()\nselect {}', "SessionRestarted", "goroutine boom"),
    "exit_in_cell": ("os.Exit(3)", "SessionRestarted", "exit status 3"),
    "exit_in_goroutine": ("go os.Exit(4)\nselect {}", "SessionRestarted", "exit status 4"),
    "log_fatal": ('log.Fatal("fatal!")', "SessionRestarted", "exit status 1"),
    "flag_exit_on_error": ('set := flag.NewFlagSet("t", flag.ExitOnError)\nset.Parse([]string{"-nope"})',
                           "SessionRestarted", "exit status 2"),
    "stack_overflow": ("func inf(n int) int { return inf(n+1) + 1 }\ninf(0)", "SessionRestarted", "stack overflow"),
    "concurrent_map_writes": (
        "m := map[int]int{}\nvar wg sync.WaitGroup\nfor g := 0; g < 4; g++ {\n\twg.Add(1)\n"
        "\tgo func() {\n\t\tdefer wg.Done()\n\t\tfor i := 0; i < 1000000; i++ {\n\t\t\tm[i] = i\n\t\t}\n\t}()\n}\nwg.Wait()",
        "SessionRestarted", "concurrent map writes"),
    "huge_allocation": ("b := make([]byte, 1<<40)\nlen(b)", "SessionRestarted", "out of memory"),
}


@pytest.mark.parametrize("name", CRASH_CELLS)
def test_crash_restarts_session_not_kernel(session, name):
    code, ename, in_evalue = CRASH_CELLS[name]
    before = workers(session)
    ex = session.execute(code, timeout=60)
    error = assert_one_error(ex, ename, in_evalue, "variables from earlier cells are gone")
    assert "[running]" not in ex.stderr, f"the raw runtime report leaked to stderr:\n{ex}"
    assert len(error["traceback"]) <= 62, "the traceback is not trimmed"
    assert_state_gone(session, ex)
    wait_until(lambda: not any(w.alive() for w in before - workers(session)), TIMEOUT,
               "the dead worker to be reaped")


def test_goexit_in_cell_is_an_error(session):
    """runtime.Goexit ends the cell's goroutine: the cell is an error, not a success with no value."""
    ex = session.execute("runtime.Goexit()")
    assert ex.status == "error" and "Goexit" in ex.reply["content"]["evalue"], str(ex)
    assert session.run("1 + 1").result == "2"


def test_crash_while_idle_is_reported_and_next_cell_says_so(session):
    code = 'go func() {\n\ttime.Sleep(100 * time.Millisecond)\n\tpanic("idle boom")\n}()'
    idle = session.run(code)
    text = wait_output(session, idle.msg_id, "restarted", name="stderr")
    assert "idle boom" in text and "variables from earlier cells are gone" in text, text
    ex = session.run("1 + 1")
    assert ex.result == "2" and "variables from earlier cells are gone" in ex.stderr, str(ex)
    assert_state_gone(session, ex)


# --- 3. restart -----------------------------------------------------------


def test_restart_replaces_the_worker_and_keeps_sockets(session):
    old = int(session.run("os.Getpid()").result)
    reply = session.reply(session.kc.shutdown(restart=True), "control")
    assert reply["content"] == {"status": "ok", "restart": True}, reply
    wait_until(lambda: read_stat(old) is None, TIMEOUT, "the old worker to be reaped")
    ex = session.execute("kept")
    assert ex.status == "error", f"state survived the restart:\n{ex}"
    assert session.run("2 * 21").result == "42"


def test_shutdown_during_cell_leaves_no_process(kernel):
    kernel.run(IMPORTS)
    before = workers(kernel)
    start_blocking(kernel, blocking("empty_loop"))
    reply = kernel.reply(kernel.kc.shutdown(restart=False), "control")
    assert reply["content"]["restart"] is False, reply
    assert kernel.process.wait(timeout=TIMEOUT) == 0
    wait_until(lambda: not any(w.alive() for w in before), TIMEOUT, "the workers to exit")


# --- 4. output that outlives its cell -----------------------------------


def test_output_after_cell_goes_to_that_cell_while_idle(session):
    ex = session.run('go func() {\n\ttime.Sleep(100 * time.Millisecond)\n\tfmt.Println("late line")\n}()')
    assert wait_output(session, ex.msg_id, "late line\n") == "late line\n"


def test_output_of_background_goroutine_goes_to_running_cell(session):
    session.run('go func() {\n\tfor i := 0; ; i++ {\n\t\tfmt.Printf("tick %d\\n", i)\n'
                '\t\ttime.Sleep(5 * time.Millisecond)\n\t}\n}()')
    ex = session.run('time.Sleep(200 * time.Millisecond)\nfmt.Println("done")')
    lines = ex.stdout.splitlines()
    assert lines[-1] == "done" and len(lines) > 2, str(ex)
    ticks = [int(line.removeprefix("tick ")) for line in lines[:-1]]
    assert ticks == list(range(ticks[0], ticks[0] + len(ticks))), f"ticks lost or reordered: {ticks}"


def test_concurrent_writers_never_interleave_mid_line(session):
    session.run('import "strings"')
    ex = session.run(
        "var wg sync.WaitGroup\nfor g := 0; g < 4; g++ {\n\twg.Add(1)\n\tgo func(g int) {\n\t\tdefer wg.Done()\n"
        "\t\tline := strings.Repeat(string(rune('a'+g)), 200)\n\t\tfor i := 0; i < 300; i++ {\n"
        "\t\t\tfmt.Println(line)\n\t\t}\n\t}(g)\n}\nwg.Wait()")
    lines = ex.stdout.splitlines()
    assert sorted(set(lines)) == [c * 200 for c in "abcd"], "a line was cut or mixed with another"
    assert len(lines) == 4 * 300


def test_million_lines_are_coalesced_and_do_not_stall(session):
    code = "for i := 0; i < 1000000; i++ {\n\tfmt.Println(i)\n}"
    msg_id = session.execute_async(code)
    wait_output(session, msg_id, "\n1000\n")
    assert session.kernel_info(channel="control", timeout=5)["status"] == "ok"
    rss = rss_kib(session.pid)
    ex = session.finish(code, msg_id, timeout=300)
    assert ex.status == "ok", str(ex)
    assert ex.stdout == "".join(f"{i}\n" for i in range(1000000)), "lines lost, doubled or reordered"
    streams = sum(1 for m in ex.iopub if m["msg_type"] == "stream")
    assert streams < 2000, f"{streams} stream messages for 1,000,000 lines: not coalesced"
    assert max(rss, rss_kib(session.pid)) < 256 * 1024, "the kernel process grew beyond 256 MiB"


# --- 5. stdin -------------------------------------------------------------

# (cell, the input_reply values, the expected stdout); an empty reply ends the input.
STDIN_CELLS = [
    pytest.param('var s string\nfmt.Scan(&s)\nfmt.Println("got", s)', ["gopher"], "got gopher\n", id="fmt_scan"),
    pytest.param("var a, b string\nfmt.Scanln(&a, &b)\nfmt.Println(b, a)", ["x y"], "y x\n", id="fmt_scanln"),
    pytest.param('var n int\nfmt.Scanf("%d", &n)\nfmt.Println(n * 2)', ["21"], "42\n", id="fmt_scanf"),
    pytest.param('sc := bufio.NewScanner(os.Stdin)\nsc.Scan()\nfmt.Println("got", sc.Text())', ["gopher"],
                 "got gopher\n", id="bufio_scanner"),
    pytest.param('line, err := bufio.NewReader(os.Stdin).ReadString(\'\\n\')\nfmt.Printf("%q %v\\n", line, err)',
                 ["gopher"], '"gopher\\n" <nil>\n', id="bufio_reader"),
    pytest.param('b, err := io.ReadAll(os.Stdin)\nfmt.Printf("%q %v\\n", b, err)', ["one", "two", ""],
                 '"one\\ntwo\\n" <nil>\n', id="io_readall"),
]


@pytest.mark.parametrize("code, replies, want", STDIN_CELLS)
def test_stdin_reads_ask_the_front_end(session, code, replies, want):
    msg_id = session.execute_async(code, allow_stdin=True)
    for value in replies:
        req = stdin_request(session)
        assert req["parent_header"]["msg_id"] == msg_id, req
        assert req["content"]["password"] is False, req
        session.kc.input(value)
    ex = session.finish(code, msg_id)
    assert ex.status == "ok" and ex.stdout == want, str(ex)


@pytest.mark.parametrize("code, replies, want", STDIN_CELLS)
def test_stdin_without_allow_stdin_is_eof_at_once(session, code, replies, want):
    ex = session.execute(code, allow_stdin=False, timeout=10)
    assert ex.status == "ok", str(ex)
    assert "allow_stdin" in ex.stderr, f"stderr does not say why there is no input:\n{ex}"
    with pytest.raises(Empty):
        msg = session.kc.get_stdin_msg(timeout=0)
        pytest.fail(f"an input_request was sent anyway: {msg}")


@pytest.mark.parametrize("how", INTERRUPTS)
def test_interrupt_while_waiting_for_input(session, how):
    code = 'var s string\nfmt.Scan(&s)\nfmt.Println("never")'
    msg_id = session.execute_async(code, allow_stdin=True)
    stdin_request(session)
    INTERRUPTS[how](session)
    ex = session.finish(code, msg_id)
    assert_one_error(ex, "Interrupted")
    assert "never" not in ex.stdout
    assert_state_kept(session, ex)


def test_password_prompt(session):
    session.run('import "github.com/gokernel/gokernel/input"')
    code = 'pw, err := input.Password("Password: ")\nfmt.Println(len(pw), err)'
    msg_id = session.execute_async(code, allow_stdin=True)
    req = stdin_request(session)
    assert req["content"] == {"prompt": "Password: ", "password": True}, req
    session.kc.input("s3cret")
    ex = session.finish(code, msg_id)
    assert ex.stdout == "6 <nil>\n" and "s3cret" not in str(ex.iopub), str(ex)


# --- 6. heartbeat and control are never starved ----------------------------

BURN_ALL_CORES = f'fmt.Println("{STARTED}")\nfor i := 0; i < runtime.NumCPU(); i++ {{\n\tgo func() {{\n\t\tfor {{\n\t\t}}\n\t}}()\n}}\nfor {{\n}}'


def test_heartbeat_and_control_answer_while_cells_burn_cpu(session):
    msg_id = start_blocking(session, BURN_ALL_CORES)
    with session.raw_socket("hb") as hb:
        for _ in range(20):
            heartbeat_rtt(hb, timeout=1)  # a stall, not a latency target (bench/interrupt.py)
    assert session.kernel_info(channel="control", timeout=2)["status"] == "ok"
    interrupt_message(session)
    assert_one_error(session.finish(BURN_ALL_CORES, msg_id), "Interrupted")
    assert_state_kept(session, session.run("kept"))
