"""A smoke run of the benchmark harness: bench/run.py --quick, Go and Python.

It checks that the harness runs end to end against the test kernel and
ipykernel and reports what it measured, not that the targets are met (the
numbers depend on the machine; docs/performance.md holds a full run).
"""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ARTIFACTS, KERNEL_NAME, REPO

QUICK_TRIVIAL = 50
QUICK_LINES = 10_000


def test_bench_quick(gokernel_env, tmp_path):
    out_md, out_json = tmp_path / "quick.md", tmp_path / "quick.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--quick", "--kernels", KERNEL_NAME, "python3",
         "--output", str(out_md), "--json", str(out_json), "--logs", str(ARTIFACTS / "bench-logs")],
        capture_output=True, text=True, timeout=180, env=gokernel_env.env,
    )
    assert proc.returncode == 0, f"bench/run.py --quick failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"

    data = json.loads(out_json.read_text())
    assert set(data["samples"]) == {KERNEL_NAME, "python3"}
    for name, (sample,) in data["samples"].items():
        assert len(sample["trivial_reply_s"]) == QUICK_TRIVIAL, name
        # Reply (shell) and idle (iopub) travel on different sockets: either may come first.
        assert all(r > 0 and i > 0 for r, i in zip(sample["trivial_reply_s"], sample["trivial_idle_s"])), name
        assert sample["lines_intact"], f"{name}: {QUICK_LINES} lines not intact: {sample['lines_problem']}"
        assert sample["lines_stream_messages"] >= 1, name
        assert sample["fib_ok"], f"{name}: fib(25) printed a wrong result"
        assert sample["cold_start_s"] > 0 and sample["rss_start_kib"] > 0, name
        assert sample["hb_busy_s"] and sample["hb_timeouts"] == 0, f"{name}: heartbeat while busy: {sample}"

    verdicts = data["verdicts"]
    assert len(verdicts) == 6 and all(v["met"] in (True, False) for v in verdicts), verdicts
    report = out_md.read_text()
    assert f"| measurement | {KERNEL_NAME} | python3 | ratio {KERNEL_NAME}/python3 |" in report
    assert "### Targets for" in report and "### Machine" in report
