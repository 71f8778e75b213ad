#!/usr/bin/python3
"""Benchmark Jupyter kernels side by side and write docs/performance.md.

    /usr/bin/python3 bench/run.py --kernels go python3 --rounds 5
    /usr/bin/python3 bench/run.py --quick --kernels go python3   # a smoke run

Each round starts every kernel afresh, one after the other (so slow drifts of
the machine hit all kernels alike), and measures on it: cold start to
kernel_info_reply, trivial execute round trips, a cell printing many lines,
fib(25) timed inside the cell, the RSS of the kernel's process tree and the
heartbeat while a cell spins. The first kernel that is not the baseline is
checked against the targets, as ratios to the baseline where a target is one.

The measured section of the output file lies between two marker comments;
text outside them (the analysis) is kept when the file is written again.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import KernelSample, Options, measure_kernel, warm_up  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
BEGIN = "<!-- bench:begin (written by bench/run.py; edit outside these markers) -->"
END = "<!-- bench:end -->"

QUICK = {"rounds": 1, "trivial": 50, "lines": 10_000}
FULL = {"rounds": 5, "trivial": 300, "lines": 100_000}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kernels", nargs="+", default=["go", "python3"], metavar="NAME",
                   help="kernelspec names to measure (default: go python3)")
    p.add_argument("--baseline", default="python3",
                   help="the kernel the ratio targets compare with (default: python3)")
    p.add_argument("--quick", action="store_true",
                   help=f"a smoke run: {QUICK['rounds']} round, {QUICK['trivial']} round trips, "
                        f"{QUICK['lines']:,} lines")
    p.add_argument("--rounds", type=int, help=f"fresh kernels per kernelspec (default {FULL['rounds']})")
    p.add_argument("--trivial", type=int, help=f"trivial round trips per kernel (default {FULL['trivial']})")
    p.add_argument("--lines", type=int, help=f"lines the output cell prints (default {FULL['lines']:,})")
    p.add_argument("--spin", type=int, default=3, help="seconds the heartbeat cell spins (default 3)")
    p.add_argument("--output", type=Path,
                   help="markdown file to write (default docs/performance.md; with --quick, "
                        "bench/results/quick.md)")
    p.add_argument("--json", type=Path, help="raw samples as JSON (default bench/results/TIMESTAMP.json)")
    p.add_argument("--logs", type=Path, default=REPO / "bench" / "results" / "logs",
                   help="directory for the kernels' own output (default bench/results/logs)")
    args = p.parse_args(argv)
    preset = QUICK if args.quick else FULL
    for key in ("rounds", "trivial", "lines"):
        if getattr(args, key) is None:
            setattr(args, key, preset[key])
    if args.output is None:
        args.output = REPO / ("bench/results/quick.md" if args.quick else "docs/performance.md")
    if args.json is None:
        args.json = REPO / "bench" / "results" / time.strftime("%Y%m%d-%H%M%S.json")
    return args


# --- aggregation -----------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank."""
    s = sorted(values)
    rank = max(1, -(-len(s) * q // 100))  # ceil without floats
    return s[int(rank) - 1]


@dataclass
class Summary:
    """One kernel's samples from every round, reduced to the reported numbers."""

    kernel: str
    implementation: str
    rounds: int
    cold_start_ms: float  # median over rounds
    trivial_reply_ms: tuple[float, float, float]  # p50, p90, p99 over all round trips
    trivial_idle_ms: tuple[float, float, float]
    lines_ms: float  # median
    lines_messages: int  # most over rounds
    lines_intact: bool  # in every round
    lines_problem: str
    fib_ms: float  # median
    fib_ok: bool
    rss_start_mib: float  # median
    rss_end_mib: float  # median
    pss_start_mib: float  # median
    pss_end_mib: float  # median
    processes: int  # in the kernel's tree after start (most)
    hb_p50_ms: float
    hb_max_ms: float
    hb_pings: int
    hb_timeouts: int


def summarize(kernel: str, samples: list[KernelSample]) -> Summary:
    def ms(xs):
        return [x * 1000 for x in xs]

    def pcts(xs):
        return tuple(percentile(ms(xs), q) for q in (50, 90, 99))

    reply = [x for s in samples for x in s.trivial_reply_s]
    idle = [x for s in samples for x in s.trivial_idle_s]
    hb = ms([x for s in samples for x in s.hb_busy_s])
    first = samples[0]
    return Summary(
        kernel=kernel,
        implementation=f"{first.implementation} {first.implementation_version}".strip(),
        rounds=len(samples),
        cold_start_ms=statistics.median(ms(s.cold_start_s for s in samples)),
        trivial_reply_ms=pcts(reply),
        trivial_idle_ms=pcts(idle),
        lines_ms=statistics.median(ms(s.lines_s for s in samples)),
        lines_messages=max(s.lines_stream_messages for s in samples),
        lines_intact=all(s.lines_intact for s in samples),
        lines_problem="; ".join(sorted({s.lines_problem for s in samples if s.lines_problem})),
        fib_ms=statistics.median(ms(s.fib_s for s in samples)),
        fib_ok=all(s.fib_ok for s in samples),
        rss_start_mib=statistics.median(s.rss_start_kib / 1024 for s in samples),
        rss_end_mib=statistics.median(s.rss_end_kib / 1024 for s in samples),
        pss_start_mib=statistics.median(s.pss_start_kib / 1024 for s in samples),
        pss_end_mib=statistics.median(s.pss_end_kib / 1024 for s in samples),
        processes=max(s.processes for s in samples),
        hb_p50_ms=percentile(hb, 50) if hb else float("nan"),
        hb_max_ms=max(hb) if hb else float("nan"),
        hb_pings=len(hb),
        hb_timeouts=sum(s.hb_timeouts for s in samples),
    )


# --- targets -----------------------------------------------------------------

@dataclass
class Verdict:
    target: str
    measured: str
    met: bool | None  # None: cannot be judged (no baseline in the run)


def verdicts(ours: Summary, base: Summary | None) -> list[Verdict]:
    def ratio(a, b):
        return a / b if base is not None and b > 0 else None

    def r_text(r):
        return "no baseline" if r is None else f"{r:.3f}"

    out = []
    r = ratio(ours.cold_start_ms, base.cold_start_ms if base else 0)
    out.append(Verdict("cold start ≤ 1/20 of the baseline's (ratio ≤ 0.050)",
                       f"{ours.cold_start_ms:.1f} ms, ratio {r_text(r)}", None if r is None else r <= 1 / 20))
    r = ratio(ours.trivial_reply_ms[0], base.trivial_reply_ms[0] if base else 0)
    out.append(Verdict("trivial round trip p50 ≤ 1/10 of the baseline's (ratio ≤ 0.100)",
                       f"{ours.trivial_reply_ms[0]:.3f} ms, ratio {r_text(r)}",
                       None if r is None else r <= 1 / 10))
    out.append(Verdict("trivial round trip p50 ≤ 0.5 ms (aim)", f"{ours.trivial_reply_ms[0]:.3f} ms",
                       ours.trivial_reply_ms[0] <= 0.5))
    r = ratio(ours.lines_ms, base.lines_ms if base else 0)
    intact = "intact" if ours.lines_intact else f"NOT intact ({ours.lines_problem})"
    out.append(Verdict("many lines: intact, ≤ 1/2 of the baseline's time, ≤ 20 stream messages",
                       f"{ours.lines_ms:.0f} ms, ratio {r_text(r)}, {ours.lines_messages} messages, {intact}",
                       None if r is None else (ours.lines_intact and r <= 1 / 2 and ours.lines_messages <= 20)))
    rss = max(ours.rss_start_mib, ours.rss_end_mib)
    out.append(Verdict("kernel tree RSS ≤ 40 MiB",
                       f"{ours.rss_start_mib:.1f} MiB after start, {ours.rss_end_mib:.1f} MiB after the tests "
                       f"({ours.processes} processes; PSS {ours.pss_start_mib:.1f} / {ours.pss_end_mib:.1f} MiB)",
                       rss <= 40))
    out.append(Verdict("heartbeat ≤ 10 ms while busy (slowest ping)",
                       f"p50 {ours.hb_p50_ms:.2f} ms, max {ours.hb_max_ms:.2f} ms over {ours.hb_pings} pings, "
                       f"{ours.hb_timeouts} timeouts",
                       ours.hb_pings > 0 and ours.hb_timeouts == 0 and ours.hb_max_ms <= 10))
    return out


# --- the machine ---------------------------------------------------------------

def command_output(*cmd: str) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        m = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = m.group(1) if m else cpu
    except OSError:
        pass
    import ipykernel
    import jupyter_client
    import zmq
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "OS kernel": f"{platform.system()} {platform.release()}",
        "Go": command_output("go", "version"),
        "Python": f"{platform.python_version()} ({sys.executable})",
        "ipykernel": ipykernel.__version__,
        "jupyter_client / pyzmq / libzmq": f"{jupyter_client.__version__} / {zmq.__version__} / {zmq.zmq_version()}",
    }


# --- report ----------------------------------------------------------------------

def fmt_ratio(ours: float, base: float | None) -> str:
    return "" if base is None or base == 0 else f"{ours / base:.3f}"


def report(args, summaries: list[Summary], ours: Summary | None, base: Summary | None, mach: dict) -> str:
    cols = [s.kernel for s in summaries]
    ratio_col = ours is not None and base is not None
    head = "| measurement | " + " | ".join(cols) + (f" | ratio {ours.kernel}/{base.kernel} |" if ratio_col else " |")
    rows = [head, "|---" * (len(cols) + 1 + ratio_col) + "|"]

    def row(label, getter, fmt, with_ratio=True):
        cells = [fmt(getter(s)) for s in summaries]
        if ratio_col:
            cells.append(fmt_ratio(getter(ours), getter(base)) if with_ratio else "")
        rows.append(f"| {label} | " + " | ".join(cells) + " |")

    def f1(x):
        return f"{x:.1f}"

    def f3(x):
        return f"{x:.3f}"

    row("cold start to kernel_info_reply, ms (median)", lambda s: s.cold_start_ms, f1)
    for i, q in enumerate(("p50", "p90", "p99")):
        row(f"trivial cell to execute_reply, ms {q}", lambda s, i=i: s.trivial_reply_ms[i], f3)
    for i, q in enumerate(("p50", "p90", "p99")):
        row(f"trivial cell to idle, ms {q}", lambda s, i=i: s.trivial_idle_ms[i], f3)
    row(f"{args.lines:,} lines to idle, ms (median)", lambda s: s.lines_ms, lambda x: f"{x:.0f}")
    row(f"{args.lines:,} lines: stream messages (most)", lambda s: s.lines_messages, str)
    row(f"{args.lines:,} lines intact and in order", lambda s: s,
        lambda s: "yes" if s.lines_intact else f"**no**: {s.lines_problem}", with_ratio=False)
    row("fib(25) inside the cell, ms (median)", lambda s: s.fib_ms, f1)
    row("kernel tree RSS after start, MiB (median)", lambda s: s.rss_start_mib, f1)
    row("kernel tree RSS after the tests, MiB (median)", lambda s: s.rss_end_mib, f1)
    row("kernel tree PSS after start, MiB (median)", lambda s: s.pss_start_mib, f1)
    row("kernel tree PSS after the tests, MiB (median)", lambda s: s.pss_end_mib, f1)
    row("processes in the kernel tree after start", lambda s: s.processes, str, with_ratio=False)
    row(f"heartbeat while a cell spins {args.spin} s, ms p50", lambda s: s.hb_p50_ms, lambda x: f"{x:.2f}")
    row(f"heartbeat while a cell spins {args.spin} s, ms max", lambda s: s.hb_max_ms, lambda x: f"{x:.2f}")
    row("heartbeat pings answered while busy", lambda s: s.hb_pings, str, with_ratio=False)
    row("heartbeat pings timed out", lambda s: s.hb_timeouts, str, with_ratio=False)

    out = [BEGIN, "", f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} with "
           f"`bench/run.py {' '.join(sys.argv[1:])}`: {args.rounds} round(s), each kernel started afresh "
           f"every round, kernels interleaved, after one unmeasured start of each; {args.trivial} trivial round trips per kernel per round "
           "(percentiles over all of them).", ""]
    out += ["| kernel | implementation | cell sources |", "|---|---|---|"]
    for s in summaries:
        out.append(f"| {s.kernel} | {s.implementation} | see `bench/harness.py` |")
    out += ["", *rows, ""]
    if ours is not None:
        out += [f"### Targets for `{ours.kernel}`"
                + (f" (ratios to `{base.kernel}` in the same run)" if base else ""), "",
                "| target | measured | |", "|---|---|---|"]
        for v in verdicts(ours, base):
            mark = "n/a" if v.met is None else ("**met**" if v.met else "**missed**")
            out.append(f"| {v.target} | {v.measured} | {mark} |")
        out.append("")
    out += ["### Machine", "", "| | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in mach.items()]
    out += ["", END]
    return "\n".join(out)


def write_report(path: Path, section: str) -> None:
    """Replace the marked section of path, keeping the text around it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text() if path.exists() else "# Performance\n\n" + BEGIN + "\n" + END + "\n"
    start, end = old.find(BEGIN), old.find(END)
    if start < 0 or end < 0:
        raise SystemExit(f"{path}: the markers {BEGIN!r} and {END!r} are missing; add them where the table goes")
    path.write_text(old[:start] + section + old[end + len(END):])


# --- main ----------------------------------------------------------------------

def main(argv=None) -> int:
    args = parse_args(argv)
    opts = Options(trivial_rounds=args.trivial, lines=args.lines, spin_seconds=args.spin)
    args.logs.mkdir(parents=True, exist_ok=True)
    samples: dict[str, list[KernelSample]] = {k: [] for k in args.kernels}
    load_before = load_average()
    for name in args.kernels:
        warm_up(name)
    for rnd in range(1, args.rounds + 1):
        for name in args.kernels:
            t = time.perf_counter()
            s = measure_kernel(name, opts, args.logs / f"{name}-round{rnd}.log")
            samples[name].append(s)
            print(f"round {rnd}/{args.rounds} {name}: cold {s.cold_start_s * 1000:.1f} ms, "
                  f"trivial p50 {percentile(s.trivial_reply_s, 50) * 1000:.3f} ms, "
                  f"lines {s.lines_s * 1000:.0f} ms ({s.lines_stream_messages} msgs, "
                  f"{'intact' if s.lines_intact else s.lines_problem}), fib {s.fib_s * 1000:.1f} ms "
                  f"({time.perf_counter() - t:.1f} s)", flush=True)

    summaries = [summarize(k, v) for k, v in samples.items()]
    by_name = {s.kernel: s for s in summaries}
    base = by_name.get(args.baseline)
    ours = next((s for s in summaries if s.kernel != args.baseline), None)
    mach = machine()
    mach["load average (1, 5, 15 min) before / after"] = f"{load_before} / {load_average()}"
    section = report(args, summaries, ours, base, mach)
    write_report(args.output, section)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({
        "args": {k: str(v) for k, v in vars(args).items()},
        "machine": mach,
        "samples": {k: [asdict(s) for s in v] for k, v in samples.items()},
        "summaries": [asdict(s) for s in summaries],
        "verdicts": [asdict(v) for v in verdicts(ours, base)] if ours else [],
    }, indent=1))
    print(section)
    print(f"\nwrote {args.output} and {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
