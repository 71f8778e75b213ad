#!/usr/bin/python3
"""Measure interrupt latency, crash recovery and restart time of gokernel.

Usage: /usr/bin/python3 bench/interrupt.py [--bin PATH] [--rounds N]

Starts the real binary through a kernelspec in a temporary Jupyter path and
times raw sends and receives with Debian's jupyter_client:

  interrupt     interrupt_request sent while `for {}` runs → its execute_reply
  crash         execute `os.Exit(3)` sent → the execute_reply of the next cell
  restart       shutdown_request{restart: true} sent → the next cell's reply
  heartbeat     heartbeat round trips while a cell burns every core
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import zmq
from jupyter_client import KernelManager

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 30


def reply_to(kc, msg_id, channel="shell"):
    get = getattr(kc, f"get_{channel}_msg")
    while True:
        msg = get(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def wait_stdout(kc, msg_id, text):
    while True:
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream"
                and text in msg["content"]["text"]):
            return


def run(kc, code):
    reply = reply_to(kc, kc.execute(code))
    assert reply["content"]["status"] == "ok", reply["content"]


def interrupt_latency(kc):
    msg_id = kc.execute('fmt.Println("started")\nfor {}')
    wait_stdout(kc, msg_id, "started")
    t0 = time.perf_counter()
    kc.control_channel.send(kc.session.msg("interrupt_request", {}))
    reply = reply_to(kc, msg_id)
    elapsed = time.perf_counter() - t0
    assert reply["content"]["ename"] == "Interrupted", reply["content"]
    return elapsed


def crash_recovery(kc):
    t0 = time.perf_counter()
    reply = reply_to(kc, kc.execute("os.Exit(3)"))
    assert reply["content"]["ename"] == "SessionRestarted", reply["content"]
    run(kc, "1")
    elapsed = time.perf_counter() - t0
    run(kc, 'import ("fmt"; "os")')
    return elapsed


def restart_time(kc):
    t0 = time.perf_counter()
    reply_to(kc, kc.shutdown(restart=True), "control")
    run(kc, "1")
    elapsed = time.perf_counter() - t0
    run(kc, 'import ("fmt"; "os")')
    return elapsed


def heartbeat_under_load(kc, info, rounds):
    code = ('import "runtime"\nfmt.Println("started")\nfor i := 0; i < runtime.NumCPU(); i++ {\n'
            "\tgo func() {\n\t\tfor {\n\t\t}\n\t}()\n}\nfor {\n}")
    msg_id = kc.execute(code)
    wait_stdout(kc, msg_id, "started")
    ctx = zmq.Context()
    sock = ctx.socket(zmq.REQ)
    sock.linger = 0
    sock.connect(f"{info['transport']}://{info['ip']}:{info['hb_port']}")
    times = []
    for _ in range(rounds * 5):
        t0 = time.perf_counter()
        sock.send(b"ping")
        assert sock.poll(TIMEOUT * 1000)
        sock.recv()
        times.append(time.perf_counter() - t0)
    sock.close()
    ctx.term()
    kc.control_channel.send(kc.session.msg("interrupt_request", {}))
    reply_to(kc, msg_id)
    return times


def summary(name, seconds):
    ms = sorted(s * 1000 for s in seconds)
    q = statistics.quantiles(ms, n=100, method="inclusive")
    print(f"{name:<32} n={len(ms):<4} p50={q[49]:8.2f} ms  p90={q[89]:8.2f} ms  "
          f"p99={q[98]:8.2f} ms  max={ms[-1]:8.2f} ms")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", help="gokernel binary (default: go build one)")
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        binary = args.bin
        if binary is None:
            binary = str(tmp / "gokernel")
            subprocess.run(["go", "build", "-o", binary, "./cmd/gokernel"], cwd=REPO, check=True)
        subprocess.run([binary, "install", "--prefix", str(tmp), "--name", "gobench"], check=True,
                       stdout=subprocess.DEVNULL)
        os.environ["JUPYTER_PATH"] = str(tmp / "share" / "jupyter")
        os.environ["JUPYTER_RUNTIME_DIR"] = str(tmp / "runtime")

        km = KernelManager(kernel_name="gobench")
        km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kc = km.blocking_client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            with open(km.connection_file) as f:
                info = json.load(f)
            run(kc, 'import ("fmt"; "os")')
            print(f"gokernel {binary}, {os.cpu_count()} CPUs, {args.rounds} rounds")
            summary("interrupt `for {}`", [interrupt_latency(kc) for _ in range(args.rounds)])
            summary("crash (os.Exit) → next cell ok", [crash_recovery(kc) for _ in range(args.rounds)])
            summary("restart → next cell ok", [restart_time(kc) for _ in range(args.rounds)])
            summary("heartbeat, all cores busy", heartbeat_under_load(kc, info, args.rounds))
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
