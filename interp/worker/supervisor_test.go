package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp"
)

func TestExecute(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	tests := []struct {
		code, want, stdout, stderr string
	}{
		{code: "value 42", want: "42"},
		{code: "print hello\nvalue done", want: "done", stdout: "hello\n"},
		{code: "printerr oops", want: "", stderr: "oops\n"},
		{code: "error bad thing", want: "TestError: bad thing"},
		{code: "print héllo, 世界", stdout: "héllo, 世界\n"},
		{code: "set x 1\nget x", want: "1"},
		{code: "get x", want: "1"}, // state survives between cells
	}
	for _, tt := range tests {
		res, r := run(t, s, tt.code)
		if got := value(res); got != tt.want {
			t.Errorf("%q: result %q, want %q", tt.code, got, tt.want)
		}
		if got := r.text("stdout"); got != tt.stdout {
			t.Errorf("%q: stdout %q, want %q", tt.code, got, tt.stdout)
		}
		if got := r.text("stderr"); got != tt.stderr {
			t.Errorf("%q: stderr %q, want %q", tt.code, got, tt.stderr)
		}
	}
}

func TestOrdering(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	for i := range 20 { // ordering bugs are races: try more than once
		res, r := run(t, s, "print a\ndisplay D1\nprinterr b\ndisplay D2\nprint c\nvalue v")
		if value(res) != "v" {
			t.Fatalf("result %q", value(res))
		}
		want := []entry{{"stdout", "a\n"}, {"display", "D1"}, {"stderr", "b\n"}, {"display", "D2"}, {"stdout", "c\n"}}
		if got := r.snapshot(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("run %d: output %v, want %v", i, got, want)
		}
	}
}

func TestLateOutput(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	res, first := run(t, s, "late afterwards 100ms\nprint now")
	if res.Error != nil {
		t.Fatal(value(res))
	}
	waitFor(t, "late output in the first cell's output", func() bool {
		return first.text("stdout") == "now\nafterwards\n"
	})
	_, second := run(t, s, "late again 300ms")
	_, third := run(t, s, "print third")
	waitFor(t, "late output in the last cell's output", func() bool {
		return third.text("stdout") == "third\nagain\n"
	})
	if got := second.text("stdout"); got != "" {
		t.Errorf("second cell got %q; its late output belongs to the cell running when it arrives", got)
	}
}

func TestManyLines(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	const n = 200_000
	res, r := run(t, s, "lines "+strconv.Itoa(n)+"\nvalue end")
	if value(res) != "end" {
		t.Fatalf("result %q", value(res))
	}
	var want strings.Builder
	for i := range n {
		fmt.Fprintf(&want, "line %d ü\n", i)
	}
	if got := r.text("stdout"); got != want.String() {
		t.Fatalf("stdout: %d bytes, want %d; intact prefix %d", len(got), want.Len(), commonPrefix(got, want.String()))
	}
	if r.streams > n/100 {
		t.Errorf("%d Stream calls for %d lines: not batched", r.streams, n)
	}
	for _, e := range r.snapshot() {
		if !strings.HasPrefix(e.text, "line ") || strings.ContainsRune(e.text, '\uFFFD') {
			t.Errorf("entry starts with %.20q", e.text)
		}
	}
}

// Lines written by concurrent goroutines, each in one write, arrive whole.
func TestConcurrentWriters(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	for i := range 5 {
		res, r := run(t, s, "writers\nvalue done")
		if value(res) != "done" {
			t.Fatalf("result %q", value(res))
		}
		lines := strings.Split(strings.TrimSuffix(r.text("stdout"), "\n"), "\n")
		counts := map[string]int{}
		for _, l := range lines {
			counts[l]++
		}
		for g := range 4 {
			counts[strings.Repeat(string(rune('a'+g)), 200)] -= 300
		}
		for l, n := range counts {
			if n != 0 {
				t.Fatalf("run %d: line %.20q… %+d times", i, l, n)
			}
		}
	}
}

func commonPrefix(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

func TestInterrupt(t *testing.T) {
	cfg := testConfig(t)
	cfg.InterruptGrace = 300 * time.Millisecond
	s := newTestSupervisor(t, cfg)
	tests := []struct {
		name, code string
		stateKept  bool
		want       string
	}{
		{"cooperative", "print started\nsleep 1m", true, "interrupted"},
		{"ignored", "print started\nspin", false, "restarted; variables from earlier cells are gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run(t, s, "set x kept")
			pid := workerPid(t, s)
			ctx, cancel := context.WithCancel(context.Background())
			r := &recorder{}
			done := make(chan interp.ExecuteResult)
			go func() { done <- s.Execute(ctx, interp.ExecuteRequest{Code: tt.code}, r) }()
			waitFor(t, "the cell to start", func() bool { return r.text("stdout") == "started\n" })
			start := time.Now()
			cancel()
			res := <-done
			if res.Error == nil || res.Error.Name != interp.ErrNameInterrupted {
				t.Fatalf("result %q, want an %s error", value(res), interp.ErrNameInterrupted)
			}
			if !strings.Contains(res.Error.Value, tt.want) {
				t.Errorf("value %q, want it to mention %q", res.Error.Value, tt.want)
			}
			if d := time.Since(start); d > cfg.InterruptGrace+2*time.Second {
				t.Errorf("interrupt took %v", d)
			}
			res, _ = run(t, s, "get x")
			if kept := value(res) == "kept"; kept != tt.stateKept {
				t.Errorf("after interrupt: get x = %q; state kept %v, want %v", value(res), kept, tt.stateKept)
			}
			if samePid := workerPid(t, s) == pid; samePid != tt.stateKept {
				t.Errorf("same worker %v, want %v", samePid, tt.stateKept)
			}
		})
	}
}

func TestCrash(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	tests := []struct {
		code, cause string
		traceback   bool
	}{
		{"panic-goroutine goroutine boom", "panic: goroutine boom", true},
		{"printerr last words\nexit 3", "exit status 3", false},
		{"stackoverflow", "fatal error: stack overflow", true},
		{"mapwrite", "fatal error: concurrent map writes", true},
	}
	for _, tt := range tests {
		t.Run(strings.Fields(tt.code)[0], func(t *testing.T) {
			run(t, s, "set x 1")
			pid := workerPid(t, s)
			res, r := run(t, s, tt.code)
			if res.Error == nil || res.Error.Name != interp.ErrNameSessionLost {
				t.Fatalf("result %q, want a %s error", value(res), interp.ErrNameSessionLost)
			}
			if !strings.Contains(res.Error.Value, tt.cause) || !strings.Contains(res.Error.Value, "variables from earlier cells are gone") {
				t.Errorf("value %q, want the cause %q and that state is lost", res.Error.Value, tt.cause)
			}
			tb := res.Error.Traceback
			if tt.traceback && (!slices.Contains(tb, tt.cause) || !slices.ContainsFunc(tb, func(l string) bool { return strings.HasPrefix(l, "goroutine ") })) {
				t.Errorf("traceback %q, want the runtime's report: its cause and a goroutine", tb)
			}
			if len(tb) > maxTraceLines+1 {
				t.Errorf("traceback has %d lines", len(tb))
			}
			if strings.Contains(r.text("stderr"), tt.cause) {
				t.Errorf("the runtime's report leaked into stderr: %q", r.text("stderr"))
			}
			if strings.Contains(tt.code, "last words") && r.text("stderr") != "last words\n" {
				t.Errorf("stderr %q, want the worker's last words", r.text("stderr"))
			}
			if res, _ := run(t, s, "get x"); res.Error == nil {
				t.Errorf("get x = %q after a crash, want undefined", value(res))
			}
			if workerPid(t, s) == pid {
				t.Errorf("still the same worker")
			}
		})
	}
}

func TestCrashWhileIdle(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	run(t, s, "set x 1")
	res, r := run(t, s, "panic-later idle boom")
	if res.Error != nil {
		t.Fatal(value(res))
	}
	waitFor(t, "the crash report in the last cell's stderr", func() bool {
		return strings.Contains(r.text("stderr"), "stopped between cells (panic: idle boom)")
	})
	res, r = run(t, s, "get x")
	if res.Error == nil {
		t.Errorf("get x = %q, want undefined", value(res))
	}
	if !strings.Contains(r.text("stderr"), "variables from earlier cells are gone") {
		t.Errorf("stderr %q, want a note that state was lost", r.text("stderr"))
	}
	if res, r = run(t, s, "value ok"); value(res) != "ok" || r.text("stderr") != "" {
		t.Errorf("next cell: %q, stderr %q", value(res), r.text("stderr"))
	}
}

func TestRestart(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	run(t, s, "set x 1")
	pid := workerPid(t, s)
	if err := s.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	if res, _ := run(t, s, "get x"); res.Error == nil {
		t.Errorf("get x = %q after Restart", value(res))
	}
	if workerPid(t, s) == pid {
		t.Error("Restart kept the worker")
	}
	if alive(pid) {
		t.Errorf("old worker %d still running", pid)
	}
}

func TestClose(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	pid := workerPid(t, s)
	res, _ := run(t, s, "child")
	child, err := strconv.Atoi(value(res))
	if err != nil {
		t.Fatalf("child: %s", value(res))
	}
	s.mu.Lock()
	spare := s.spare.cmd.Process.Pid
	s.mu.Unlock()
	for range 2 {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []int{pid, spare} {
		if alive(p) {
			t.Errorf("worker %d outlived Close", p)
		}
	}
	// The grandchild is not ours to reap (init is), so wait for its death.
	waitFor(t, "the worker's child to die", func() bool { return !alive(child) })

	if res, _ := run(t, s, "value 1"); res.Error == nil || !strings.Contains(res.Error.Value, "closed") {
		t.Errorf("Execute after Close: %q", value(res))
	}
	if _, err := s.Complete(context.Background(), "x", 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Complete after Close: %v", err)
	}
	if err := s.Restart(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Restart after Close: %v", err)
	}
}

func TestInput(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	tests := []struct {
		name       string
		allowStdin bool
		input      func(context.Context, string) (string, error)
		want       string
		stderr     string
		asked      int
	}{
		{"reply", true, func(context.Context, string) (string, error) { return "hello", nil }, "got hello\n", "", 1},
		{"not allowed", false, nil, "TestError: read: EOF", "allow_stdin is false", 0},
		{"front end refuses", true, nil, "TestError: read: EOF", "does not accept input", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{input: tt.input}
			res := s.Execute(context.Background(), interp.ExecuteRequest{Code: "print before\nread", AllowStdin: tt.allowStdin}, r)
			if value(res) != tt.want {
				t.Errorf("result %q, want %q", value(res), tt.want)
			}
			if !strings.Contains(r.text("stderr"), tt.stderr) {
				t.Errorf("stderr %q, want %q", r.text("stderr"), tt.stderr)
			}
			if r.asked != tt.asked {
				t.Errorf("asked %d times, want %d", r.asked, tt.asked)
			}
			if got := r.snapshot(); len(got) == 0 || got[0] != (entry{"stdout", "before\n"}) {
				t.Errorf("output %v, want stdout first", got)
			}
		})
	}

	t.Run("interrupted", func(t *testing.T) {
		run(t, s, "set x kept")
		ctx, cancel := context.WithCancel(context.Background())
		r := &recorder{input: func(ctx context.Context, _ string) (string, error) {
			cancel() // the user interrupts while the front end asks
			<-ctx.Done()
			return "", ctx.Err()
		}}
		res := s.Execute(ctx, interp.ExecuteRequest{Code: "read", AllowStdin: true}, r)
		if res.Error == nil || res.Error.Name != interp.ErrNameInterrupted {
			t.Fatalf("result %q, want interrupted", value(res))
		}
		if res, _ := run(t, s, "get x"); value(res) != "kept" {
			t.Errorf("state lost: %q", value(res))
		}
	})
}

func TestCompleteInspect(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	ctx := context.Background()

	// Both are answered while a cell runs.
	r := &recorder{}
	cellCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Execute(cellCtx, interp.ExecuteRequest{Code: "print started\nsleep 1m"}, r)
	}()
	defer func() { cancel(); <-done }()
	waitFor(t, "the cell to start", func() bool { return r.text("stdout") != "" })

	c, err := s.Complete(ctx, "fmt.Pr", 6)
	if err != nil || len(c.Matches) != 1 || c.Matches[0] != "fmt.Pr!" || c.CursorEnd != 6 {
		t.Errorf("Complete = %+v, %v", c, err)
	}
	in, err := s.Inspect(ctx, "x", 1, 1)
	if err != nil || !in.Found || in.Data["text/plain"] != "x@1/1" {
		t.Errorf("Inspect = %+v, %v", in, err)
	}
	expired, stop := context.WithTimeout(ctx, 0)
	defer stop()
	if _, err := s.Complete(expired, "x", 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Complete with an expired context: %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := New(ctx, Config{}); err == nil {
		t.Error("New with no Path succeeded")
	}
	cfg := testConfig(t)
	cfg.Path = "/nonexistent/gokernel"
	if _, err := New(ctx, cfg); err == nil || !strings.Contains(err.Error(), "worker: start") {
		t.Errorf("New with a bad Path: %v", err)
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := New(ended, testConfig(t)); !errors.Is(err, context.Canceled) {
		t.Errorf("New with an ended context: %v", err)
	}
}

// A worker whose session cannot start is reported by the first Execute, as
// New does not wait for it; each Execute tries a new worker.
func TestStartFailure(t *testing.T) {
	cfg := testConfig(t)
	cfg.Env = append(os.Environ(), workerEnv+"=fail")
	s := newTestSupervisor(t, cfg)
	for i := range 2 {
		res, r := run(t, s, "value 1")
		if res.Error == nil || res.Error.Name != interp.ErrNameSessionLost {
			t.Fatalf("Execute %d: %q, want a %s error", i, value(res), interp.ErrNameSessionLost)
		}
		for _, want := range []string{"could not start", "exit status 1", "no session today"} {
			if !strings.Contains(res.Error.Value, want) {
				t.Errorf("Execute %d: %q, want it to say %q", i, res.Error.Value, want)
			}
		}
		if got := r.snapshot(); len(got) != 0 {
			t.Errorf("Execute %d: output %v", i, got)
		}
	}
	if _, err := s.Complete(context.Background(), "x", 1); err == nil {
		t.Error("Complete succeeded with no session")
	}
}

// Execute, Complete and Restart wait for the worker to be ready, but no
// longer than their context allows.
func TestWaitForStart(t *testing.T) {
	cfg := testConfig(t)
	cfg.Env = append(os.Environ(), workerEnv+"=slow")
	s := newTestSupervisor(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	res := s.Execute(ctx, interp.ExecuteRequest{Code: "value 1"}, &recorder{})
	if res.Error == nil || res.Error.Name != interp.ErrNameInterrupted || !strings.Contains(res.Error.Value, "starting") {
		t.Errorf("Execute: %q, want an %s error while starting", value(res), interp.ErrNameInterrupted)
	}
	if _, err := s.Complete(ctx, "x", 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Complete: %v, want the deadline", err)
	}
	if err := s.Restart(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Restart: %v, want the deadline", err)
	}
}

// New returns before the worker is ready, and the first requests wait.
func TestFirstRequests(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	c, err := s.Complete(context.Background(), "fmt.Pr", 6)
	if err != nil || len(c.Matches) != 1 {
		t.Errorf("Complete before any cell: %+v, %v", c, err)
	}
	s.mu.Lock()
	spare := s.spare
	s.mu.Unlock()
	if spare != nil {
		t.Error("a spare was started before the first cell")
	}
	if res, _ := run(t, s, "value 1"); value(res) != "1" {
		t.Errorf("first cell: %q", value(res))
	}
	s.mu.Lock()
	spare = s.spare
	s.mu.Unlock()
	if spare == nil {
		t.Error("no spare after the first cell")
	}
}

func TestMainByHand(t *testing.T) {
	// Started without the kernel's pipes, the worker says so and fails.
	cmd := testCmd(t)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "started by the kernel") {
		t.Errorf("worker by hand: %v, %q", err, out)
	}
}

func BenchmarkExecute(b *testing.B) {
	s := newTestSupervisor(b, testConfig(b))
	r := &recorder{}
	for b.Loop() {
		if res := s.Execute(context.Background(), interp.ExecuteRequest{Code: "value 1"}, r); res.Error != nil {
			b.Fatal(value(res))
		}
	}
}

// BenchmarkCrashRecovery measures from a cell that kills the worker to the
// next cell's result.
func BenchmarkCrashRecovery(b *testing.B) {
	s := newTestSupervisor(b, testConfig(b))
	r := &recorder{}
	ctx := context.Background()
	if res := s.Execute(ctx, interp.ExecuteRequest{Code: "value 1"}, r); res.Error != nil {
		b.Fatal(value(res)) // the spare starts after the first cell
	}
	for b.Loop() {
		b.StopTimer()
		// Let the spare get ready, as it would between cells.
		s.mu.Lock()
		spare := s.spare
		s.mu.Unlock()
		if err := spare.waitReady(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if res := s.Execute(ctx, interp.ExecuteRequest{Code: "exit 3"}, r); res.Error == nil {
			b.Fatal("no crash")
		}
		if res := s.Execute(ctx, interp.ExecuteRequest{Code: "value 1"}, r); res.Error != nil {
			b.Fatal(value(res))
		}
	}
}

// An interrupt that reaches the worker before the cell has started stops
// the cell as it starts: the session is kept, not killed after the grace.
func TestInterruptBeforeStart(t *testing.T) {
	cfg := testConfig(t)
	cfg.InterruptGrace = time.Second
	s := newTestSupervisor(t, cfg)
	run(t, s, "set x kept")
	pid := workerPid(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 20 { // the interrupt races with the cell's start
		res := s.Execute(ctx, interp.ExecuteRequest{Code: "sleep 1m"}, &recorder{})
		if res.Error == nil || res.Error.Name != interp.ErrNameInterrupted || strings.Contains(res.Error.Value, "restarted") {
			t.Fatalf("run %d: %q, want an interrupt that keeps the session", i, value(res))
		}
	}
	if res, _ := run(t, s, "get x"); value(res) != "kept" {
		t.Errorf("get x = %q, want the session kept", value(res))
	}
	if workerPid(t, s) != pid {
		t.Error("the worker was replaced")
	}
}

// A cell too large to send is that cell's error; the session goes on.
func TestCellTooLarge(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	run(t, s, "set x kept")
	pid := workerPid(t, s)
	res := within(t, "Execute of a huge cell", func() interp.ExecuteResult {
		res, _ := run(t, s, "value "+strings.Repeat("x", maxFrame))
		return res
	})
	if res.Error == nil || !strings.Contains(res.Error.Value, "64 MiB") {
		t.Errorf("result %.200q, want an error naming the limit", value(res))
	}
	if res, _ := run(t, s, "get x"); value(res) != "kept" {
		t.Errorf("get x = %q, want the session kept", value(res))
	}
	if workerPid(t, s) != pid {
		t.Error("the worker was replaced")
	}
}

// An input reply too large to send fails the read, saying why, rather than
// leaving the cell waiting for it.
func TestInputTooLarge(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	r := &recorder{input: func(context.Context, string) (string, error) { return strings.Repeat("x", maxFrame), nil }}
	res := within(t, "a read of a huge line", func() interp.ExecuteResult {
		return s.Execute(context.Background(), interp.ExecuteRequest{Code: "read", AllowStdin: true}, r)
	})
	if res.Error == nil || !strings.Contains(res.Error.Value, "64 MiB") {
		t.Errorf("result %q, want a read error naming the limit", value(res))
	}
	if !strings.Contains(r.text("stderr"), "64 MiB") {
		t.Errorf("stderr %q, want it to say why the read failed", r.text("stderr"))
	}
	if res, _ := run(t, s, "value ok"); value(res) != "ok" {
		t.Errorf("next cell: %q", value(res))
	}
}

// A display too large to send is reported on stderr, and the output after
// it is not held back waiting for it.
func TestDisplayTooLarge(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &recorder{}
	done := make(chan interp.ExecuteResult, 1)
	go func() {
		code := "bigdisplay " + strconv.Itoa(maxFrame) + "\nprint after\nsleep 1m"
		done <- s.Execute(ctx, interp.ExecuteRequest{Code: code}, r)
	}()
	waitFor(t, "the output after the display, while the cell runs", func() bool {
		return r.text("stdout") == "after\n" && strings.Contains(r.text("stderr"), "64 MiB")
	})
	cancel()
	if res := <-done; res.Error == nil || res.Error.Name != interp.ErrNameInterrupted {
		t.Errorf("result %q, want interrupted", value(res))
	}
	for _, e := range r.snapshot() {
		if e.kind == "display" {
			t.Errorf("a display of %d bytes was delivered", len(e.text))
		}
	}
	if res, _ := run(t, s, "print next\nvalue ok"); value(res) != "ok" {
		t.Errorf("next cell: %q", value(res))
	}
}

// A worker that closes its event pipe can send no result: it is killed and
// replaced, and the cell says why. A process the cell started does not hold
// the pipe open.
func TestEventPipeClosed(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	for _, code := range []string{"closeevents", "child\ncloseevents"} {
		run(t, s, "set x 1")
		res := within(t, strconv.Quote(code), func() interp.ExecuteResult {
			res, _ := run(t, s, code)
			return res
		})
		if res.Error == nil || res.Error.Name != interp.ErrNameSessionLost || !strings.Contains(res.Error.Value, "event pipe") {
			t.Errorf("%q: result %q, want a %s error about the event pipe", code, value(res), interp.ErrNameSessionLost)
		}
		if res, _ := run(t, s, "get x"); res.Error == nil {
			t.Errorf("%q: get x = %q, want a new session", code, value(res))
		}
	}
	if res, _ := run(t, s, "value ok"); value(res) != "ok" {
		t.Errorf("next cell: %q", value(res))
	}
}

// Stderr that starts like a crash report but comes from a worker that lives
// on is the user's output, all of it, however long.
func TestReportLookalike(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	for _, n := range []int{660_000, 3 << 20} {
		res, r := run(t, s, "recovered "+strconv.Itoa(n)+"\nvalue done")
		if value(res) != "done" {
			t.Fatalf("%d: result %q", n, value(res))
		}
		if got, want := r.text("stderr"), recoveredReport(n); got != want {
			t.Errorf("%d: stderr of %d bytes, want %d; intact prefix %d", n, len(got), len(want), commonPrefix(got, want))
		}
	}
}

// A crash report larger than what is kept of it still makes the cause and
// traceback, and is not shown as stderr.
func TestLargeCrashReport(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	res, r := run(t, s, "recovered 600000\nexit 3")
	if res.Error == nil || res.Error.Name != interp.ErrNameSessionLost || !strings.Contains(res.Error.Value, "panic: recovered") {
		t.Fatalf("result %q, want the crash", value(res))
	}
	if !slices.Contains(res.Error.Traceback, "goroutine 1 [running]:") {
		t.Errorf("traceback %q, want the report's goroutine", res.Error.Traceback)
	}
	if got := r.text("stderr"); got != "" {
		t.Errorf("stderr has %d bytes of the report", len(got))
	}
}

// A comm callback's panic is the user's to see, on stderr, and the kernel's
// Comm fails.
func TestCommPanic(t *testing.T) {
	s := newTestSupervisor(t, testConfig(t))
	_, r := run(t, s, "value 1") // output between cells goes to the last cell
	err := s.Comm(context.Background(), interp.CommMessage{Type: "comm_msg", CommID: "c1", Data: map[string]any{"panic": "callback boom"}})
	if err == nil || !strings.Contains(err.Error(), "callback boom") {
		t.Errorf("Comm: %v, want the panic", err)
	}
	waitFor(t, "the panic on stderr", func() bool {
		return strings.Contains(r.text("stderr"), "panicked: callback boom")
	})
	if res, _ := run(t, s, "value ok"); value(res) != "ok" {
		t.Errorf("next cell: %q", value(res))
	}
}
