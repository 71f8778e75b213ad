package guard

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// testConfig keeps the guard's timeouts short enough for tests but longer
// than a good client needs, so "the good client got through" means the
// hostile one did not block it.
var testConfig = Config{HandshakeTimeout: 3 * time.Second, WriteTimeout: 500 * time.Millisecond}

// peerType is the type a well-behaved client of a local socket uses.
var peerType = map[zmq4.SocketType]zmq4.SocketType{
	zmq4.Router: zmq4.Dealer,
	zmq4.Pub:    zmq4.Sub,
	zmq4.Rep:    zmq4.Req,
}

var quiet = zmq4.WithLogger(log.New(io.Discard, "", 0))

// bind returns a zmq4 socket of type typ listening on a guarded loopback
// port, and that port's address. The socket is closed when the test ends.
func bind(t testing.TB, g *Transport, typ zmq4.SocketType) (zmq4.Socket, string) {
	t.Helper()
	ctx := context.Background()
	var s zmq4.Socket
	switch typ {
	case zmq4.Router:
		s = zmq4.NewRouter(ctx, quiet, zmq4.WithTimeout(5*time.Second))
	case zmq4.Pub:
		s = zmq4.NewPub(ctx, quiet)
	case zmq4.Rep:
		s = zmq4.NewRep(ctx, quiet)
	default:
		t.Fatalf("bind: no constructor for %s", typ)
	}
	addr := "tcp://127.0.0.1:0"
	if g != nil {
		var err error
		if addr, err = g.Endpoint(typ, addr); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Listen(addr); err != nil {
		t.Fatalf("Listen(%q): %v", addr, err)
	}
	t.Cleanup(func() { s.Close() })
	return s, s.Addr().String()
}

func newGuard(t testing.TB, cfg Config) *Transport {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// within runs fn in a goroutine and fails the test if it has not returned
// nil after d. On timeout fn stays blocked until the test's sockets close.
func within(t testing.TB, d time.Duration, what string, fn func() error) {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- fn() }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(d):
		t.Fatalf("%s: not done after %v", what, d)
	}
}

// goodClient checks that a well-behaved zmq4 client of server gets a reply
// (or, for PUB, a message) within 2 s.
func goodClient(t testing.TB, server zmq4.Socket, addr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ep := "tcp://" + addr
	switch server.Type() {
	case zmq4.Router:
		c := zmq4.NewDealer(ctx, quiet)
		defer c.Close()
		within(t, 2*time.Second, "DEALER round trip", func() error {
			if err := c.Dial(ep); err != nil {
				return err
			}
			if err := c.Send(zmq4.NewMsgString("hello")); err != nil {
				return err
			}
			m, err := server.Recv()
			if err != nil {
				return err
			}
			if err := server.Send(zmq4.NewMsgFrom(m.Frames[0], []byte("world"))); err != nil {
				return err
			}
			r, err := c.Recv()
			if err != nil || string(r.Frames[0]) != "world" {
				return fmt.Errorf("reply %q, %v", r.Frames, err)
			}
			return nil
		})
	case zmq4.Rep:
		c := zmq4.NewReq(ctx, quiet)
		defer c.Close()
		within(t, 2*time.Second, "REQ round trip", func() error {
			if err := c.Dial(ep); err != nil {
				return err
			}
			if err := c.Send(zmq4.NewMsgString("ping")); err != nil {
				return err
			}
			if _, err := server.Recv(); err != nil {
				return err
			}
			if err := server.Send(zmq4.NewMsgString("pong")); err != nil {
				return err
			}
			r, err := c.Recv()
			if err != nil || string(r.Frames[0]) != "pong" {
				return fmt.Errorf("reply %q, %v", r.Frames, err)
			}
			return nil
		})
	case zmq4.Pub:
		c := zmq4.NewSub(ctx, quiet)
		defer c.Close()
		within(t, 2*time.Second, "SUB receive", func() error {
			if err := c.Dial(ep); err != nil {
				return err
			}
			if err := c.SetOption(zmq4.OptionSubscribe, ""); err != nil {
				return err
			}
			return recvPublished(ctx, server, c, "tick")
		})
	}
}

// recvPublished publishes want on pub until sub receives it: a subscription
// reaches the PUB asynchronously, so the first messages may be dropped.
func recvPublished(ctx context.Context, pub, sub zmq4.Socket, want string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				pub.Send(zmq4.NewMsgString(want))
			}
		}
	}()
	for {
		m, err := sub.Recv()
		if err != nil {
			return err
		}
		if string(m.Frames[0]) == want {
			return nil
		}
	}
}

// dial opens a raw TCP connection, closed when the test ends.
func dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// handshake performs a valid NULL handshake as a peer of type typ with
// the given identity, over a raw connection.
func handshake(t testing.TB, c net.Conn, typ zmq4.SocketType, id string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write(serverGreeting[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(command(readyBody("Socket-Type", string(typ), "Identity", id))); err != nil {
		t.Fatal(err)
	}
	var g [greetingLen]byte
	if _, err := io.ReadFull(c, g[:]); err != nil {
		t.Fatalf("reading server greeting: %v", err)
	}
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		t.Fatalf("reading server READY: %v", err)
	}
	if _, err := io.ReadFull(c, make([]byte, hdr[1])); err != nil {
		t.Fatalf("reading server READY: %v", err)
	}
}

// waitClosed drains c until the server closes it, and fails the test if that
// takes longer than d.
func waitClosed(t testing.TB, c net.Conn, d time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("server did not close the connection within %v", d)
	}
}

// longHeader returns a long frame header with the given flags and size.
func longHeader(flags byte, size uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{flags | flagLong}, size)
}

// fdCount returns the number of open file descriptors of the process, or -1
// where /proc is missing.
func fdCount() int {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(fds)
}

// waitFDs fails the test unless the descriptor count comes back to at most
// baseline within 5 s.
func waitFDs(t testing.TB, baseline int) {
	t.Helper()
	if baseline < 0 {
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := fdCount()
		if n <= baseline {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d file descriptors open, baseline %d", n, baseline)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, not a guess at timing
	}
}
