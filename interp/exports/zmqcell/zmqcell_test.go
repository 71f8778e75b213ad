package zmqcell

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// syncBuffer is an io.Writer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newRegistry(t *testing.T) (*Registry, *syncBuffer) {
	t.Helper()
	var stderr syncBuffer
	r := New(&stderr)
	t.Cleanup(func() { r.CloseAll() })
	return r, &stderr
}

// quiet keeps zmq4's connection log out of the test output.
var quiet = zmq4.WithLogger(log.New(io.Discard, "", 0))

// peer returns a plain (unwrapped) zmq4 socket closed at the end of the test.
func peer(t *testing.T, newSocket Constructor) zmq4.Socket {
	t.Helper()
	s := newSocket(context.Background(), quiet)
	t.Cleanup(func() { s.Close() })
	return s
}

// listen binds s to a fresh loopback port and returns the endpoint peers dial.
func listen(t *testing.T, s zmq4.Socket) string {
	t.Helper()
	if err := s.Listen("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	return "tcp://" + s.Addr().String()
}

// freePort returns a loopback TCP endpoint nobody listens on.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "tcp://" + l.Addr().String()
}

// TestInterruptUnblocks checks that every call that blocks in zmq4 returns
// an error wrapping context.Canceled, promptly, when the cell is
// interrupted.
func TestInterruptUnblocks(t *testing.T) {
	tests := []struct {
		name string
		// call returns a call that blocks until interrupted.
		call func(t *testing.T, r *Registry) func() error
	}{
		{"REP Recv with no client", func(t *testing.T, r *Registry) func() error {
			rep := r.Wrap(zmq4.NewRep)(context.Background(), quiet)
			listen(t, rep)
			return func() error { _, err := rep.Recv(); return err }
		}},
		{"SUB Recv with a silent publisher", func(t *testing.T, r *Registry) func() error {
			pub := peer(t, zmq4.NewPub)
			ep := listen(t, pub)
			sub := r.Wrap(zmq4.NewSub)(context.Background(), quiet)
			if err := sub.Dial(ep); err != nil {
				t.Fatal(err)
			}
			sub.SetOption(zmq4.OptionSubscribe, "")
			return func() error { _, err := sub.Recv(); return err }
		}},
		{"REQ Recv from a server that never answers", func(t *testing.T, r *Registry) func() error {
			rep := peer(t, zmq4.NewRep)
			ep := listen(t, rep)
			req := r.Wrap(zmq4.NewReq)(context.Background(), quiet)
			if err := req.Dial(ep); err != nil {
				t.Fatal(err)
			}
			if err := req.Send(zmq4.NewMsgString("hello")); err != nil {
				t.Fatal(err)
			}
			return func() error { _, err := req.Recv(); return err }
		}},
		{"PUSH Send with no peer", func(t *testing.T, r *Registry) func() error {
			push := r.Wrap(zmq4.NewPush)(context.Background(), quiet)
			listen(t, push)
			return func() error { return push.Send(zmq4.NewMsgString("task")) }
		}},
		{"ROUTER SendMulti with no peer", func(t *testing.T, r *Registry) func() error {
			router := r.Wrap(zmq4.NewRouter)(context.Background(), quiet)
			listen(t, router)
			return func() error { return router.SendMulti(zmq4.NewMsgFromString([]string{"id", "", "x"})) }
		}},
		{"Dial with nobody listening", func(t *testing.T, r *Registry) func() error {
			req := r.Wrap(zmq4.NewReq)(context.Background(), quiet)
			ep := freePort(t)
			return func() error { return req.Dial(ep) }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := newRegistry(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			exit := r.Enter(ctx)
			defer exit()
			call := tt.call(t, r)
			done := make(chan error, 1)
			go func() { done <- call() }()
			// The call blocks forever unless interrupted, so whenever it
			// returns, it must say it was interrupted.
			cancel()
			start := time.Now()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("error %v, want one wrapping context.Canceled", err)
				}
				t.Logf("returned %v after the interrupt: %v", time.Since(start), err)
			case <-time.After(5 * time.Second):
				t.Fatal("the call did not return within 5s of the interrupt")
			}
		})
	}
}

// TestInterruptedRecvKeepsMessage checks that a message arriving after an
// interrupted Recv is returned by the next Recv, not lost.
func TestInterruptedRecvKeepsMessage(t *testing.T) {
	r, _ := newRegistry(t)
	pull := r.Wrap(zmq4.NewPull)(context.Background(), quiet)
	ep := listen(t, pull)

	ctx, cancel := context.WithCancel(context.Background())
	exit := r.Enter(ctx)
	done := make(chan error, 1)
	go func() { _, err := pull.Recv(); done <- err }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("first Recv: %v, want an interrupt", err)
	}
	exit()

	exit = r.Enter(context.Background())
	defer exit()
	push := peer(t, zmq4.NewPush)
	if err := push.Dial(ep); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := push.Send(zmq4.NewMsgString(fmt.Sprint("task ", i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		msg, err := pull.Recv()
		if want := fmt.Sprint("task ", i); err != nil || string(msg.Bytes()) != want {
			t.Fatalf("Recv %d: %q, %v; want %q", i, msg.Bytes(), err, want)
		}
	}
}

// TestCellEndIsNoInterrupt checks that a context cancelled after the cell
// has returned (the worker cancels every cell's context) interrupts nothing.
func TestCellEndIsNoInterrupt(t *testing.T) {
	r, _ := newRegistry(t)
	ctx, cancel := context.WithCancel(context.Background())
	exit := r.Enter(ctx)
	rep := r.Wrap(zmq4.NewRep)(context.Background(), quiet)
	ep := listen(t, rep)
	exit()
	cancel()

	served := make(chan error, 1)
	go func() {
		msg, err := rep.Recv()
		if err == nil {
			err = rep.Send(zmq4.NewMsgString("re: " + string(msg.Bytes())))
		}
		served <- err
	}()
	req := peer(t, zmq4.NewReq)
	if err := req.Dial(ep); err != nil {
		t.Fatal(err)
	}
	if err := req.Send(zmq4.NewMsgString("hello")); err != nil {
		t.Fatal(err)
	}
	msg, err := req.Recv()
	if err != nil || string(msg.Bytes()) != "re: hello" {
		t.Fatalf("reply %q, %v", msg.Bytes(), err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}

// TestListenAgain checks that binding an endpoint a socket of the registry
// already listens on closes that socket, with a note, instead of failing.
func TestListenAgain(t *testing.T) {
	tests := []struct {
		name string
		ep   func(t *testing.T) string
	}{
		{"tcp", freePort},
		{"ipc", func(t *testing.T) string { return "ipc://" + filepath.Join(t.TempDir(), "s") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, stderr := newRegistry(t)
			ep := tt.ep(t)
			newRep := r.Wrap(zmq4.NewRep)
			first := newRep(context.Background(), quiet)
			if err := first.Listen(ep); err != nil {
				t.Fatal(err)
			}
			second := newRep(context.Background(), quiet)
			if err := second.Listen(ep); err != nil {
				t.Fatalf("second Listen: %v", err)
			}
			want := fmt.Sprintf("zmq4: closed the REP socket that an earlier cell bound to %s\n", ep)
			if got := stderr.String(); got != want {
				t.Errorf("stderr %q, want %q", got, want)
			}
			if _, err := first.Recv(); err == nil {
				t.Error("Recv on the replaced socket succeeded")
			}
			if n := r.Open(); n != 1 {
				t.Errorf("%d sockets open, want 1", n)
			}

			go func() {
				msg, err := second.Recv()
				if err == nil {
					second.Send(msg)
				}
			}()
			req := peer(t, zmq4.NewReq)
			if err := req.Dial(ep); err != nil {
				t.Fatal(err)
			}
			if err := req.Send(zmq4.NewMsgString("ping")); err != nil {
				t.Fatal(err)
			}
			if msg, err := req.Recv(); err != nil || string(msg.Bytes()) != "ping" {
				t.Fatalf("echo %q, %v", msg.Bytes(), err)
			}
		})
	}
}

// TestListenStaleIPC checks that a socket file left by a killed process
// does not stop a cell from binding its path.
func TestListenStaleIPC(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stale")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false) // as if the process had been killed
	l.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("no stale socket file: %v", err)
	}
	r, _ := newRegistry(t)
	pull := r.Wrap(zmq4.NewPull)(context.Background(), quiet)
	if err := pull.Listen("ipc://" + path); err != nil {
		t.Fatalf("Listen over a stale socket file: %v", err)
	}
	// A live listener's file must not be taken away.
	other := peer(t, zmq4.NewPull)
	if err := other.Listen("ipc://" + path); err == nil {
		t.Fatal("a second process-level listener on a live path succeeded")
	}
}

// TestCloseAllFreesPorts checks that CloseAll closes every socket, so the
// ports can be bound again at once.
func TestCloseAllFreesPorts(t *testing.T) {
	r, _ := newRegistry(t)
	var addrs []string
	for _, ctor := range []Constructor{zmq4.NewRep, zmq4.NewPub, zmq4.NewRouter, zmq4.NewPull} {
		s := r.Wrap(ctor)(context.Background(), quiet)
		addrs = append(addrs, strings.TrimPrefix(listen(t, s), "tcp://"))
	}
	if err := r.CloseAll(); err != nil {
		t.Fatal(err)
	}
	if n := r.Open(); n != 0 {
		t.Errorf("%d sockets open after CloseAll", n)
	}
	for _, a := range addrs {
		l, err := net.Listen("tcp", a)
		if err != nil {
			t.Fatalf("port not free after CloseAll: %v", err)
		}
		l.Close()
	}
}

// TestListenIsGuarded checks that a peer sending a READY that crashes a
// bare zmq4 listener (an unknown Socket-Type makes zmq4 panic in its own
// goroutine, facts §6) is turned away, and the socket serves the next peer.
func TestListenIsGuarded(t *testing.T) {
	r, _ := newRegistry(t)
	rep := r.Wrap(zmq4.NewRep)(context.Background(), quiet)
	ep := listen(t, rep)

	c, err := net.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	greeting := make([]byte, 64)
	greeting[0], greeting[9], greeting[10] = 0xff, 0x7f, 3
	copy(greeting[12:], "NULL")
	var ready bytes.Buffer
	ready.WriteByte(5)
	ready.WriteString("READY")
	ready.WriteByte(11)
	ready.WriteString("Socket-Type")
	binary.Write(&ready, binary.BigEndian, uint32(4))
	ready.WriteString("NOPE")
	frame := append([]byte{0x04, byte(ready.Len())}, ready.Bytes()...)
	if _, err := c.Write(append(greeting, frame...)); err != nil {
		t.Fatal(err)
	}
	// The guard closes the connection: reading its greeting, then EOF.
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Fatalf("the guard did not close the hostile connection: %v", err)
	}

	go func() {
		msg, err := rep.Recv()
		if err == nil {
			rep.Send(msg)
		}
	}()
	req := peer(t, zmq4.NewReq)
	if err := req.Dial(ep); err != nil {
		t.Fatal(err)
	}
	if err := req.Send(zmq4.NewMsgString("still there?")); err != nil {
		t.Fatal(err)
	}
	if msg, err := req.Recv(); err != nil || string(msg.Bytes()) != "still there?" {
		t.Fatalf("echo %q, %v", msg.Bytes(), err)
	}
}
