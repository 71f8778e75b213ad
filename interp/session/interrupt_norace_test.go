//go:build !race

package session

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/gokernel/gokernel/interp"
)

// TestInterruptKeepsState runs a cell right after an interrupted one: state
// written before the interrupt survives and the session goes on. It is not
// built with -race; see TestInterrupt.
func TestInterruptKeepsState(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ts := newTestSession(t)
	s, err := New(Options{Stdout: w, Stderr: ts.stderr})
	if err != nil {
		t.Fatal(err)
	}
	ts.Session = s
	for range 3 {
		runSteps(t, ts, []step{{code: "import \"fmt\"\nx := 1"}})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan interp.ExecuteResult)
		go func() {
			done <- ts.Execute(ctx, interp.ExecuteRequest{Code: "x = 2; fmt.Println(\"go\"); for { x++ }"})
		}()
		buf := make([]byte, 3)
		if _, err := io.ReadFull(r, buf); err != nil || string(buf) != "go\n" {
			t.Fatalf("read %q, %v", buf, err)
		}
		cancel()
		if res := <-done; res.Error == nil || res.Error.Name != interp.ErrNameInterrupted {
			t.Fatalf("error %+v, want %s", res.Error, interp.ErrNameInterrupted)
		}
		runSteps(t, ts, []step{
			{code: "x >= 2", result: "true"},
			{code: "func twice(n int) int { return 2 * n }\ntwice(21)", result: "42"},
		})
	}
}
