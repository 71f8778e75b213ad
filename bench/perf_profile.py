#!/usr/bin/python3
# (Not named profile.py: that would shadow the standard library module IPython imports.)
"""Profile a kernel's process tree with `perf` while the harness runs one workload.

    /usr/bin/python3 bench/perf_profile.py --kernel go --workload lines
    /usr/bin/python3 bench/perf_profile.py --kernel go --workload trivial --count 2000

Starts the kernel from its kernelspec (as bench/run.py does), runs the setup
cell, then records `perf record -g` on the kernel and its workers (Go binaries
keep frame pointers, so the call graphs are complete) for the duration of the
workload only, and prints the hottest symbols per process. The perf.data file
stays in bench/results/ for `perf report -i`.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import CELLS_BY_LANGUAGE, RawKernel, process_tree  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kernel", default="go", help="kernelspec name (default go)")
    p.add_argument("--workload", choices=["lines", "trivial", "fib"], default="lines")
    p.add_argument("--count", type=int, default=100_000,
                   help="lines to print, or trivial cells to run (default 100000; use ~2000 for trivial)")
    p.add_argument("--repeat", type=int, default=5,
                   help="run the workload this many times, so perf's own start-up is a small part (default 5)")
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "perf.data")
    p.add_argument("--top", type=int, default=40, help="symbols to print (default 40)")
    return p.parse_args(argv)


def run_workload(kernel: RawKernel, workload: str, count: int) -> None:
    cells = CELLS_BY_LANGUAGE[kernel.language]
    if workload == "lines":
        kernel.execute(cells.lines.format(n=count))
    elif workload == "fib":
        kernel.execute(cells.fib)
    else:
        for _ in range(count):
            kernel.execute(cells.trivial)


def main(argv=None) -> int:
    args = parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    kernel = RawKernel(args.kernel)
    try:
        kernel.start()
        kernel.wait_iopub()
        kernel.execute(CELLS_BY_LANGUAGE[kernel.language].setup)
        pids = ",".join(str(p) for p in process_tree(kernel.pid()))
        perf = subprocess.Popen(["perf", "record", "-q", "-F", "999", "-g", "-p", pids, "-o", str(args.out)])
        try:
            for _ in range(args.repeat):
                run_workload(kernel, args.workload, args.count)
        finally:
            perf.send_signal(signal.SIGINT)
            perf.wait(timeout=60)
    finally:
        kernel.stop()
    for sort in ("pid", "pid,sym"):
        report = subprocess.run(["perf", "report", "-i", str(args.out), "--no-children", "--sort", sort,
                                 "--stdio", "-g", "none", "--percent-limit", "0.5"],
                                capture_output=True, text=True, check=True).stdout
        lines = [ln for ln in report.splitlines() if ln.strip() and not ln.startswith("#")]
        print("\n".join(lines[:args.top]), "\n")
    print(f"perf data: {args.out} (perf report -i {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
