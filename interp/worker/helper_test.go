package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp"
)

// The test binary is also the worker: TestMain serves testEvaluator when
// workerEnv is set, the way the gokernel binary serves the real session.
const workerEnv = "GOKERNEL_WORKER_TEST"

func TestMain(m *testing.M) {
	switch os.Getenv(workerEnv) {
	case "":
		os.Exit(m.Run())
	case "fail":
		os.Exit(Main(func(Host) (Evaluator, error) { return nil, errors.New("no session today") }))
	case "slow": // never gets ready
		os.Exit(Main(func(Host) (Evaluator, error) {
			time.Sleep(time.Hour)
			return nil, errors.New("slept")
		}))
	default:
		os.Exit(Main(func(h Host) (Evaluator, error) {
			return &testEvaluator{h: h, vars: map[string]string{}}, nil
		}))
	}
}

// testEvaluator runs cells made of one command per line.
type testEvaluator struct {
	h    Host
	vars map[string]string // state that a new worker does not have
}

func (e *testEvaluator) Execute(ctx context.Context, req interp.ExecuteRequest) interp.ExecuteResult {
	var res interp.ExecuteResult
	for line := range strings.Lines(req.Code) {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
		var err error
		res, err = e.run(ctx, cmd, arg)
		if err != nil {
			return interp.ExecuteResult{Error: &interp.Error{Name: "TestError", Value: err.Error()}}
		}
	}
	return res
}

func (e *testEvaluator) run(ctx context.Context, cmd, arg string) (interp.ExecuteResult, error) {
	text := func(s string) interp.ExecuteResult {
		return interp.ExecuteResult{Result: &interp.MIMEBundle{Data: map[string]any{"text/plain": s}}}
	}
	switch cmd {
	case "print":
		fmt.Fprintln(e.h.Stdout, arg)
	case "printerr":
		fmt.Fprintln(e.h.Stderr, arg)
	case "lines": // many lines, through a buffer, as a program would
		n, _ := strconv.Atoi(arg)
		w := bufio.NewWriter(e.h.Stdout)
		for i := range n {
			fmt.Fprintf(w, "line %d ü\n", i)
		}
		w.Flush()
	case "writers": // goroutines printing whole lines at once, unbuffered
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				line := strings.Repeat(string(rune('a'+g)), 200)
				for range 300 {
					fmt.Fprintln(e.h.Stdout, line)
				}
			})
		}
		wg.Wait()
	case "value":
		return text(arg), nil
	case "error":
		return interp.ExecuteResult{}, errors.New(arg)
	case "display":
		e.h.Display(interp.DisplayData{MIMEBundle: interp.MIMEBundle{Data: map[string]any{"text/plain": arg}}})
	case "bigdisplay": // display data of n bytes
		n, _ := strconv.Atoi(arg)
		e.h.Display(interp.DisplayData{MIMEBundle: interp.MIMEBundle{Data: map[string]any{"text/plain": strings.Repeat("x", n)}}})
	case "recovered": // a recovered panic's report, then logs
		n, _ := strconv.Atoi(arg)
		fmt.Fprint(e.h.Stderr, recoveredReport(n))
	case "closeevents": // breaks the protocol: no event can be sent any more
		os.NewFile(4, "events").Close()
		<-ctx.Done()
	case "set":
		k, v, _ := strings.Cut(arg, " ")
		e.vars[k] = v
	case "get":
		v, ok := e.vars[arg]
		if !ok {
			return interp.ExecuteResult{}, fmt.Errorf("undefined: %s", arg)
		}
		return text(v), nil
	case "pid":
		return text(strconv.Itoa(os.Getpid())), nil
	case "sleep":
		d, _ := time.ParseDuration(arg)
		select {
		case <-ctx.Done():
			return interp.ExecuteResult{}, context.Cause(ctx)
		case <-time.After(d):
		}
	case "spin": // ignores the interrupt
		time.Sleep(time.Hour)
	case "late": // prints after the cell has ended
		msg, d, _ := strings.Cut(arg, " ")
		dur, _ := time.ParseDuration(d)
		go func() {
			time.Sleep(dur)
			fmt.Fprintln(e.h.Stdout, msg)
		}()
	case "panic-goroutine":
		go func() { panic(arg) }()
		<-ctx.Done()
	case "panic-later": // crashes between cells
		go func() {
			time.Sleep(50 * time.Millisecond)
			panic(arg)
		}()
	case "exit":
		n, _ := strconv.Atoi(arg)
		os.Exit(n)
	case "stackoverflow":
		debug.SetMaxStack(8 << 20)
		recurse(0)
	case "mapwrite":
		m := map[int]int{}
		for range 4 {
			go writeForever(m)
		}
		<-ctx.Done()
	case "read":
		// Like yaegi, the session returns when ctx ends, not when the read
		// does: an interrupted read returns only after Execute has.
		type result struct {
			line string
			err  error
		}
		ch := make(chan result, 1)
		go func() {
			line, err := bufio.NewReader(e.h.Stdin).ReadString('\n')
			ch <- result{line, err}
		}()
		select {
		case r := <-ch:
			if r.err != nil {
				return interp.ExecuteResult{}, fmt.Errorf("read: %w", r.err)
			}
			return text("got " + r.line), nil
		case <-ctx.Done():
			return interp.ExecuteResult{}, fmt.Errorf("read: %w", context.Cause(ctx))
		}
	case "child": // a grandchild of the kernel, in the worker's group
		c := exec.Command("sleep", "60")
		if err := c.Start(); err != nil {
			return interp.ExecuteResult{}, err
		}
		return text(strconv.Itoa(c.Process.Pid)), nil
	case "orphan": // a grandchild that keeps the worker's stdout open
		c := exec.Command("sleep", "60")
		c.Stdout = e.h.Stdout
		if arg == "escaped" {
			ownGroup(c)
		}
		if err := c.Start(); err != nil {
			return interp.ExecuteResult{}, err
		}
		fmt.Fprintln(e.h.Stdout, "orphan", c.Process.Pid)
	case "":
	default:
		return interp.ExecuteResult{}, fmt.Errorf("unknown test command %q", cmd)
	}
	return interp.ExecuteResult{}, nil
}

// writeForever races with itself on purpose; the race detector must not
// report it first, as the point is the runtime's fatal error.
//
//go:norace
func writeForever(m map[int]int) {
	for i := 0; ; i++ {
		m[i%100] = i
	}
}

//go:noinline
func recurse(n int) int {
	var pad [128]byte
	pad[n%128] = byte(n)
	//lint:ignore SA5007 the stack overflow is the point
	return recurse(n+1) + int(pad[(n+1)%128])
}

// recoveredReport is what a cell may print to stderr after it recovered a
// panic: the panic and its stack, looking like the runtime's crash report,
// and then about n bytes of logs.
func recoveredReport(n int) string {
	var b strings.Builder
	b.WriteString("panic: recovered\n\ngoroutine 1 [running]:\nmain.main()\n\t/tmp/cell.go:5 +0x1d\n\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "log line %d\n", i)
	}
	return b.String()
}

// Comm panics for a message whose data has "panic", as a cell's callback
// may.
func (e *testEvaluator) Comm(m interp.CommMessage) error {
	if v, ok := m.Data["panic"]; ok {
		panic(v)
	}
	return nil
}

func (e *testEvaluator) Complete(code string, cursor int) interp.Completion {
	return interp.Completion{Matches: []string{code + "!"}, CursorStart: 0, CursorEnd: cursor}
}

func (e *testEvaluator) Inspect(code string, cursor, detail int) interp.Inspection {
	return interp.Inspection{Found: true, Data: map[string]any{"text/plain": fmt.Sprintf("%s@%d/%d", code, cursor, detail)}}
}

// recorder is a test interp.Output.
type recorder struct {
	mu      sync.Mutex
	entries []entry // streams merged while the same stream continues
	streams int     // Stream calls
	input   func(ctx context.Context, prompt string) (string, error)
	asked   int
}

type entry struct{ kind, text string }

func (r *recorder) Stream(name, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.streams++
	if n := len(r.entries); n > 0 && r.entries[n-1].kind == name {
		r.entries[n-1].text += text
		return
	}
	r.entries = append(r.entries, entry{name, text})
}

func (r *recorder) Display(d interp.DisplayData) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, entry{"display", fmt.Sprint(d.Data["text/plain"])})
}

func (r *recorder) ClearOutput(bool) {}

func (r *recorder) Comm(interp.CommMessage) {}

func (r *recorder) Input(ctx context.Context, prompt string, password bool) (string, error) {
	r.mu.Lock()
	r.asked++
	f := r.input
	r.mu.Unlock()
	if f == nil {
		return "", fmt.Errorf("recorder: %w", interp.ErrNoStdin)
	}
	return f(ctx, prompt)
}

// text returns everything written to one stream.
func (r *recorder) text(kind string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, e := range r.entries {
		if e.kind == kind {
			b.WriteString(e.text)
		}
	}
	return b.String()
}

func (r *recorder) snapshot() []entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]entry(nil), r.entries...)
}

// within returns what f returns, failing the test if that takes more than
// a minute: f is expected to return, not to hang (64 MiB frames under -race
// on a loaded machine take tens of seconds).
func within[T any](t testing.TB, what string, f func() T) T {
	t.Helper()
	ch := make(chan T, 1)
	go func() { ch <- f() }()
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
		t.Fatalf("%s: still waiting after a minute", what)
		panic("unreachable")
	}
}

// waitFor waits until cond holds, failing the test after a deadline.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testConfig(t testing.TB) Config {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		Path:   exe,
		Env:    append(os.Environ(), workerEnv+"=1"),
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}

func newTestSupervisor(t testing.TB, cfg Config) *Supervisor {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// run executes code and returns its result and what it printed.
func run(t testing.TB, s *Supervisor, code string) (interp.ExecuteResult, *recorder) {
	t.Helper()
	r := &recorder{}
	return s.Execute(context.Background(), interp.ExecuteRequest{Code: code}, r), r
}

// value returns a result's text/plain, or its error as "ename: evalue".
func value(res interp.ExecuteResult) string {
	switch {
	case res.Error != nil:
		return res.Error.Name + ": " + res.Error.Value
	case res.Result != nil:
		return fmt.Sprint(res.Result.Data["text/plain"])
	}
	return ""
}

func workerPid(t testing.TB, s *Supervisor) int {
	t.Helper()
	res, _ := run(t, s, "pid")
	pid, err := strconv.Atoi(value(res))
	if err != nil {
		t.Fatalf("pid: %v", value(res))
	}
	return pid
}

// testCmd returns the test binary as a worker, without the kernel's pipes.
func testCmd(t testing.TB) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), workerEnv+"=1")
	return cmd
}
