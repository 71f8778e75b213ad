package session

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp"
)

type testSession struct {
	*Session
	stdout, stderr *os.File
}

func newTestSession(t *testing.T) *testSession {
	t.Helper()
	dir := t.TempDir()
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdout.Close(); stderr.Close() })
	s, err := New(Options{Stdout: stdout, Stderr: stderr, Stdin: strings.NewReader("42\n")})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &testSession{s, stdout, stderr}
}

func (ts *testSession) output(t *testing.T) (stdout, stderr string) {
	t.Helper()
	out, err := os.ReadFile(ts.stdout.Name())
	if err != nil {
		t.Fatal(err)
	}
	errOut, err := os.ReadFile(ts.stderr.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(out), string(errOut)
}

// step is one cell and what it must produce. result "" means no result;
// errName "" means no error.
type step struct {
	code    string
	result  string
	errName string
	errVal  string // the error value must start with this
}

func runSteps(t *testing.T, ts *testSession, steps []step) {
	t.Helper()
	for i, st := range steps {
		res := ts.Execute(context.Background(), interp.ExecuteRequest{Code: st.code})
		switch {
		case st.errName != "":
			if res.Error == nil || res.Error.Name != st.errName || !strings.HasPrefix(res.Error.Value, st.errVal) {
				t.Fatalf("cell %d %q: error %+v, want %s %q…", i, st.code, res.Error, st.errName, st.errVal)
			}
			if res.Result != nil {
				t.Errorf("cell %d: result %v alongside an error", i, res.Result.Data)
			}
		case res.Error != nil:
			t.Fatalf("cell %d %q: unexpected error %s: %s\n%s", i, st.code, res.Error.Name, res.Error.Value, strings.Join(res.Error.Traceback, "\n"))
		case st.result == "":
			if res.Result != nil {
				t.Fatalf("cell %d %q: result %v, want none", i, st.code, res.Result.Data)
			}
		default:
			if res.Result == nil {
				t.Fatalf("cell %d %q: no result, want %s", i, st.code, st.result)
			}
			if got := res.Result.Data["text/plain"]; got != st.result {
				t.Fatalf("cell %d %q: result %q, want %q", i, st.code, got, st.result)
			}
		}
	}
}

func TestExecute(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"mixed cells", []step{
			{code: "var a = 1; a + 1", result: "2"},
			{code: "type T struct{X int}; t := T{1}; t", result: "{X:1}"},
			{code: "func f() int {return 1}; f()", result: "1"},
			{code: "import \"strings\"\nstrings.ToUpper(\"a\")", result: `"A"`},
		}},
		{"persistence", []step{
			{code: "x := 1"},
			{code: "func inc() int { x++; return x }"},
			{code: "inc(); inc()", result: "3"},
			{code: "x", result: "3"},
		}},
		{"re-import", []step{
			{code: `import "fmt"`},
			{code: "import \"fmt\"\nfmt.Sprint(1)", result: `"1"`},
			{code: `import "crypto/rand"`},
			{code: `import "math/rand"`, errName: ErrNameCompile, errVal: `1:8: rand already refers to "crypto/rand"`},
		}},
		{"var definition loop", []step{
			{code: "x := 1"},
			{code: "var y = x\nvar w int = x + 1"},
			{code: "y + w", result: "3"},
		}},
		{"result formatting", []step{
			{code: "42", result: "42"},
			{code: `"hi"`, result: `"hi"`},
			{code: "type P struct{X, Y int; name string}\nP{1, 2, \"pt\"}", result: `{X:1 Y:2 name:pt}`},
			{code: "&P{X: 1}", result: `&{X:1 Y:0 name:}`},
			{code: "var p *P; p", result: "nil"},
			{code: "import \"errors\"\nerrors.New(\"boom\")", result: "boom"},
			{code: "[]byte(\"hi\")", result: `[]byte("hi")`},
			{code: "map[string]int{\"b\": 2, \"a\": 1}", result: "map[a:1 b:2]"},
			{code: "3.5", result: "3.5"},
			{code: "[]string{\"a\"}", result: "[a]"},
		}},
		{"no result", []step{
			{code: "x := 1"},
			{code: "func g() {}; g()"},
			{code: "import \"fmt\"\nfmt.Println(\"hi\")"},
			{code: "if x > 0 { x++ }"},
			{code: "x\nfunc h() {}"},
			{code: "println(1)"},
		}},
		{"compile errors", []step{
			{code: "x := 1\n  undefinedThing + 1", errName: ErrNameCompile, errVal: "2:3: undefined: undefinedThing"},
			{code: "var s string = 5", errName: ErrNameCompile, errVal: "1:16: cannot convert"},
			{code: "func (", errName: ErrNameCompile, errVal: "1:7: expected"},
			{code: "é := 1; y := (", errName: ErrNameCompile, errVal: "1:15: expected operand, found end of cell"},
			// The failed first cell left x declared but never assigned.
			{code: "x + 1", result: "1"},
		}},
		{"panics", []step{
			{code: `panic("boom")`, errName: ErrNamePanic, errVal: "1:1: boom"},
			{code: "import \"fmt\"\npanic(fmt.Errorf(\"e%d\", 1))", errName: ErrNamePanic, errVal: "2:"},
			{code: "1", result: "1"},
		}},
		{"runtime errors", []step{
			{code: "a := []int{}\na[1] = 2", errName: ErrNameRuntime, errVal: ""},
			{code: "var m map[string]int"},
			{code: "m[\"a\"] = 1", errName: ErrNameRuntime, errVal: "1:1: assignment to entry in nil map"},
			{code: "c := make(chan int); close(c); c <- 1", errName: ErrNameRuntime},
		}},
		{"internal panic", []step{
			{code: "z := 5"},
			{code: "func two() (float64, float64) { return 5, 7 }\nc := complex(two())", errName: ErrNameInternal, errVal: "the interpreter could not handle"},
			{code: "z + 1", result: "6"},
			{code: "func ok() int { s := 0; for i := 0; i < 3; i++ { s += i }; return s }\nok()", result: "3"},
		}},
		{"top-level defer runs once", []step{
			{code: "import \"fmt\""},
			{code: "n := 0\nfunc bump() { n++ }"},
			{code: "defer bump()\nk := 10\nn", result: "0"},
			{code: "n + k", result: "11"},
			{code: "n", result: "1"},
		}},
		{"defer arguments evaluated at defer", []step{
			{code: "log := []int{}\nfunc rec(v int) { log = append(log, v) }"},
			{code: "for i := 0; i < 3; i++ { defer rec(i) }"},
			{code: "log", result: "[2 1 0]"},
		}},
		{"stdin", []step{
			{code: "import \"fmt\"\nvar v int\nfmt.Scan(&v)\nv", result: "42"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runSteps(t, newTestSession(t), tt.steps)
		})
	}
}

func TestOutput(t *testing.T) {
	ts := newTestSession(t)
	runSteps(t, ts, []step{
		{code: "import (\n\"fmt\"\n\"os\"\n\"log\"\n)"},
		{code: "fmt.Println(\"a\"); fmt.Fprintln(os.Stdout, \"b\"); fmt.Fprintln(os.Stderr, \"c\"); log.SetFlags(0); log.Print(\"d\")"},
		{code: `panic("p")`, errName: ErrNamePanic},
		{code: "func two() (float64, float64) { return 5, 7 }\nc := complex(two())", errName: ErrNameInternal},
	})
	out, errOut := ts.output(t)
	if out != "a\nb\n" {
		t.Errorf("stdout %q, want %q", out, "a\nb\n")
	}
	// yaegi's own panic report and compile log lines are filtered out.
	if errOut != "c\nd\n" {
		t.Errorf("stderr %q, want %q", errOut, "c\nd\n")
	}
}

func TestTraceback(t *testing.T) {
	ts := newTestSession(t)
	res := ts.Execute(context.Background(), interp.ExecuteRequest{Code: "x := 1\n\tundefinedThing"})
	if res.Error == nil {
		t.Fatal("no error")
	}
	tb := strings.Join(res.Error.Traceback, "\n")
	for _, want := range []string{"line 2, column 2", "   2 |     undefinedThing", "|     \x1b[0;32m^"} {
		if !strings.Contains(tb, want) {
			t.Errorf("traceback %q lacks %q", tb, want)
		}
	}
}

// interruptLoop starts a cell that loops forever in a session whose stdout
// is a pipe, waits until the loop runs, interrupts it and checks the error.
func interruptLoop(t *testing.T) *testSession {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	ts := newTestSession(t)
	s, err := New(Options{Stdout: w, Stderr: ts.stderr})
	if err != nil {
		t.Fatal(err)
	}
	ts.Session = s
	runSteps(t, ts, []step{{code: "import \"fmt\"\nx := 1"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan interp.ExecuteResult)
	go func() {
		done <- ts.Execute(ctx, interp.ExecuteRequest{Code: "x = 2; fmt.Println(\"go\"); for { x++ }"})
	}()
	// The loop has started once the cell has printed.
	buf := make([]byte, 3)
	if _, err := io.ReadFull(r, buf); err != nil || string(buf) != "go\n" {
		t.Fatalf("read %q, %v", buf, err)
	}
	cancel()
	if res := <-done; res.Error == nil || res.Error.Name != interp.ErrNameInterrupted {
		t.Fatalf("error %+v, want %s", res.Error, interp.ErrNameInterrupted)
	}
	return ts
}

func TestInterrupt(t *testing.T) {
	interruptLoop(t)
	// Whether state survives and the next cell runs is checked in
	// TestInterruptKeepsState, without the race detector: yaegi offers no
	// way to join its evaluating goroutine, so the detector cannot see the
	// wait that orders it before the next cell.
}

func TestUserExpressions(t *testing.T) {
	ts := newTestSession(t)
	runSteps(t, ts, []step{{code: "x := 2"}})
	res := ts.Execute(context.Background(), interp.ExecuteRequest{
		Code:            "x++",
		UserExpressions: map[string]string{"ok": "x * 10", "bad": "nope", "stmt": "x := 3"},
	})
	if res.Error != nil {
		t.Fatal(res.Error)
	}
	ok := res.UserExpressions["ok"].(map[string]any)
	if ok["status"] != "ok" || ok["data"].(map[string]any)["text/plain"] != "30" {
		t.Errorf("ok = %v", ok)
	}
	for _, name := range []string{"bad", "stmt"} {
		e := res.UserExpressions[name].(map[string]any)
		if e["status"] != "error" || e["ename"] != ErrNameCompile {
			t.Errorf("%s = %v", name, e)
		}
	}
	runSteps(t, ts, []step{{code: "x", result: "3"}})
}

func TestComplete(t *testing.T) {
	ts := newTestSession(t)
	runSteps(t, ts, []step{{code: "import \"strings\"\ncounter := 1\nfunc compute() int { return 2 }\ntype cfg struct{}"}})
	tests := []struct {
		code       string
		cursor     int
		want       []string
		start, end int
	}{
		{"co", 2, []string{"complex", "complex128", "complex64", "compute", "const", "continue", "copy", "counter"}, 0, 2},
		{"x := strings.ToU", 16, []string{"ToUpper", "ToUpperSpecial"}, 13, 16},
		{"bytes.Equa", 10, []string{"Equal", "EqualFold"}, 6, 10},
		{"é := cf", 7, []string{"cfg"}, 5, 7},
		{"str", 3, []string{"strings", "string", "struct"}, 0, 3},
	}
	for _, tt := range tests {
		got := ts.Complete(tt.code, tt.cursor)
		want := slices.Sorted(slices.Values(tt.want))
		if !slices.Equal(got.Matches, want) || got.CursorStart != tt.start || got.CursorEnd != tt.end {
			t.Errorf("Complete(%q, %d) = %v [%d,%d], want %v [%d,%d]", tt.code, tt.cursor, got.Matches, got.CursorStart, got.CursorEnd, want, tt.start, tt.end)
		}
	}
}

func TestInspect(t *testing.T) {
	ts := newTestSession(t)
	runSteps(t, ts, []step{{code: "import \"strings\"\ncounter := 7\nfunc add(a, b int) int { return a + b }"}})
	tests := []struct {
		code   string
		cursor int
		want   string // "" means not found
	}{
		{"counter", 3, "var counter\ntype: int\nvalue: 7"},
		{"add(1, 2)", 1, "func add(a, b int) int"},
		{"strings.ToUpper", 10, "func ToUpper(s string) string"},
		{"nothing", 2, ""},
	}
	for _, tt := range tests {
		got := ts.Inspect(tt.code, tt.cursor, 0)
		if tt.want == "" {
			if got.Found {
				t.Errorf("Inspect(%q) found %v", tt.code, got.Data)
			}
			continue
		}
		if text, _ := got.Data["text/plain"].(string); !got.Found || !strings.HasPrefix(text, tt.want) {
			t.Errorf("Inspect(%q) = %v, want %q", tt.code, got.Data["text/plain"], tt.want)
		}
	}
}

// TestInspectShowsTheUsersSource: inspection shows a func as written, not
// as lowered for yaegi, and a declaration that failed is not offered.
func TestInspectShowsTheUsersSource(t *testing.T) {
	ts := newTestSession(t)
	runSteps(t, ts, []step{
		{code: "func sum(n int) int {\n\ts := 0\n\tfor i := range n {\n\t\ts += i\n\t}\n\treturn s\n}"},
		{code: "func broken() int { return nosuch }", errName: ErrNameCompile},
	})
	text, _ := ts.Inspect("sum", 2, 1).Data["text/plain"].(string)
	if !strings.Contains(text, "for i := range n") || strings.Contains(text, "_gk") {
		t.Errorf("Inspect(sum) shows:\n%s", text)
	}
	if got := ts.Inspect("broken", 2, 0); got.Found {
		t.Errorf("a declaration that failed is offered: %v", got.Data)
	}
}
