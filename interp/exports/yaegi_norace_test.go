//go:build !race

package exports

// These tests run cells with goroutines that outlive them, which races
// inside yaegi itself (a new cell resizes the global frame the goroutines
// read), so they are not built with -race; see the session's
// interrupt_norace_test.go.

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	yaegi "github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
)

func newInterp(t *testing.T) *yaegi.Interpreter {
	t.Helper()
	in := yaegi.New(yaegi.Options{})
	for _, syms := range []yaegi.Exports{stdlib.Symbols, Symbols} {
		if err := in.Use(syms); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { Sockets.CloseAll() })
	return in
}

// eval runs src as one cell, between EnterCell and its exit as the session
// does.
func eval(in *yaegi.Interpreter, ctx context.Context, src string) (reflect.Value, error) {
	defer EnterCell(ctx)()
	return in.EvalWithContext(ctx, src)
}

// TestCellRoundTrip runs REQ/REP between interpreted goroutines, with zmq4
// compiled in.
func TestCellRoundTrip(t *testing.T) {
	in := newInterp(t)
	ctx := context.Background()
	cells := []string{
		`import ("context"; "fmt"; "github.com/go-zeromq/zmq4")`,
		`rep := zmq4.NewRep(context.Background())
		 err := rep.Listen("tcp://127.0.0.1:0")`,
		`go func() {
			for {
				msg, err := rep.Recv()
				if err != nil { return }
				rep.Send(zmq4.NewMsgString("World " + string(msg.Bytes())))
			}
		 }()
		 req := zmq4.NewReq(context.Background())
		 err = req.Dial("tcp://" + rep.Addr().String())`,
		`req.Send(zmq4.NewMsgString("1"))`,
	}
	for _, c := range cells {
		if _, err := eval(in, ctx, c); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
	}
	v, err := eval(in, ctx, `msg, err := req.Recv(); fmt.Sprintf("%s %v", msg.Bytes(), err)`)
	if err != nil || v.String() != "World 1 <nil>" {
		t.Fatalf("reply %v, %v", v, err)
	}
}

// TestCellInterrupt interrupts a cell blocked in Recv, as the session does,
// and checks the interpreter is free again soon after: the blocked call
// returned instead of leaving a goroutine inside the interpreter.
func TestCellInterrupt(t *testing.T) {
	in := newInterp(t)
	for _, c := range []string{
		`import ("context"; "github.com/go-zeromq/zmq4")`,
		`unwound := make(chan error, 1)
		 pull := zmq4.NewPull(context.Background())
		 err := pull.Listen("tcp://127.0.0.1:0")`,
	} {
		if _, err := eval(in, context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := eval(in, ctx, `_, err := pull.Recv(); unwound <- err; select {}`)
		done <- err
	}()
	unwound, err := in.Eval("unwound")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	start := time.Now()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cell error %v, want context.Canceled", err)
	}
	ch := unwound.Interface().(chan error)
	select {
	case err := <-ch:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Recv returned %v, want an interrupt", err)
		}
		t.Logf("Recv returned %v after the interrupt", time.Since(start))
	case <-time.After(5 * time.Second):
		t.Fatal("Recv still blocked 5s after the interrupt")
	}
}
