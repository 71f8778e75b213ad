package worker

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// What a cell started dies with the worker, even when the worker exits on
// its own, and so does not hold its output open: on Linux only, where the
// supervisor learns of the exit in time to kill the group (awaitExit).
func TestCrashWithOrphan(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	start := time.Now()
	res, r := run(t, s, "orphan\nexit 3")
	var pid int
	if _, err := fmt.Sscanf(r.text("stdout"), "orphan %d", &pid); err != nil {
		t.Fatalf("stdout %q, want the orphan's pid", r.text("stdout"))
	}
	t.Cleanup(func() {
		if t.Failed() && alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	if res.Error == nil || !strings.Contains(res.Error.Value, "exit status 3") {
		t.Errorf("result %q, want the crash", value(res))
	}
	if d := time.Since(start); d >= waitDelay {
		t.Errorf("returned after %v: the orphan held the output", d)
	}
	// It is not ours to reap (init is), so wait for its death.
	waitFor(t, "the orphan to die", func() bool { return !alive(pid) })
	if res, _ := run(t, s, "value ok"); value(res) != "ok" {
		t.Errorf("next cell: %q", value(res))
	}
}

// A grandchild that left the worker's process group outlives it; if it
// keeps the worker's stdout open, the cell does not wait for ever: the
// supervisor stops reading after waitDelay.
func TestCrashWithEscapedOrphan(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	start := time.Now()
	res, r := run(t, s, "orphan escaped\nexit 3")
	var pid int
	if _, err := fmt.Sscanf(r.text("stdout"), "orphan %d", &pid); err == nil {
		defer syscall.Kill(pid, syscall.SIGKILL)
	} else {
		t.Errorf("stdout %q, want the orphan's pid", r.text("stdout"))
	}
	if res.Error == nil || !strings.Contains(res.Error.Value, "exit status 3") {
		t.Errorf("result %q, want the crash", value(res))
	}
	if d := time.Since(start); d < waitDelay {
		t.Errorf("returned after %v, before the output was given up (%v); did the orphan not hold it?", d, waitDelay)
	}
	if res, _ := run(t, s, "value ok"); value(res) != "ok" {
		t.Errorf("next cell: %q", value(res))
	}
}
