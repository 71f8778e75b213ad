//go:build unix

package worker

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A crashed worker's grandchild that keeps its stdout open does not keep
// the cell waiting for ever: the supervisor stops reading after waitDelay.
func TestCrashWithOrphan(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	start := time.Now()
	res, r := run(t, s, "orphan\nexit 3")
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
