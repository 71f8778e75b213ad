package kernel

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/gokernel/gokernel/wire"
)

// recordingPub is a zmq4.Socket that records what is sent; while gate is
// held, Send blocks, standing in for a slow encoder or network.
type recordingPub struct {
	zmq4.Socket // only Send is used
	gate        sync.Mutex
	mu          sync.Mutex
	sent        [][][]byte
}

func (r *recordingPub) Send(m zmq4.Msg) error {
	r.gate.Lock()
	defer r.gate.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m.Frames)
	return nil
}

func (r *recordingPub) Addr() net.Addr { return nil }

// testEncode encodes as [msgType, content JSON] so tests can read it back.
func testEncode(msgType string, parent *wire.Message, content any) ([][]byte, error) {
	b, err := json.Marshal(content)
	return [][]byte{[]byte(msgType), b}, err
}

func (r *recordingPub) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, f := range r.sent {
		out = append(out, string(f[0])+" "+string(f[1]))
	}
	return out
}

func newTestPublisher(sock *recordingPub) *publisher {
	p := newPublisher(sock, slog.New(slog.NewTextHandler(io.Discard, nil)), testEncode)
	go p.run()
	return p
}

func TestPublisherMergesWaitingStreamText(t *testing.T) {
	sock := &recordingPub{}
	p := newTestPublisher(sock)
	cellA, cellB := &wire.Message{}, &wire.Message{}

	sock.gate.Lock() // hold the first send so the rest queue up behind it
	p.publish("status", cellA, map[string]string{"execution_state": "busy"})
	waitFor(t, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return len(p.queue) == 0 })
	for _, text := range []string{"a\n", "b\n", "c\n"} {
		p.publishStream(cellA, "stdout", text)
	}
	p.publishStream(cellA, "stderr", "e\n")
	p.publishStream(cellA, "stdout", "d\n")
	p.publishStream(cellB, "stdout", "other cell\n")
	p.publish("status", cellA, map[string]string{"execution_state": "idle"})
	sock.gate.Unlock()
	p.close()

	want := []string{
		`status {"execution_state":"busy"}`,
		`stream {"name":"stdout","text":"a\nb\nc\n"}`,
		`stream {"name":"stderr","text":"e\n"}`,
		`stream {"name":"stdout","text":"d\n"}`,
		`stream {"name":"stdout","text":"other cell\n"}`,
		`status {"execution_state":"idle"}`,
	}
	if got := sock.messages(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("sent:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPublisherBoundsWaitingStreamText(t *testing.T) {
	sock := &recordingPub{}
	p := newTestPublisher(sock)
	cell := &wire.Message{}
	sock.gate.Lock()
	p.publish("status", cell, "first") // taken by run, blocked in Send
	waitFor(t, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return len(p.queue) == 0 })

	big := strings.Repeat("x", maxPendingStream)
	p.publishStream(cell, "stdout", big) // fills the bound
	blocked := make(chan struct{})
	go func() {
		p.publishStream(cell, "stdout", "more") // must wait for room
		close(blocked)
	}()
	// Status messages are never held back by the bound.
	p.publish("status", cell, "not held")
	select {
	case <-blocked:
		t.Fatal("stream producer did not wait while the bound was exceeded")
	case <-time.After(50 * time.Millisecond):
	}
	sock.gate.Unlock()
	select {
	case <-blocked:
	case <-time.After(10 * time.Second):
		t.Fatal("stream producer still waiting after the queue drained")
	}
	p.close()
	var total int
	for _, m := range sock.messages() {
		if body, ok := strings.CutPrefix(m, "stream "); ok {
			var c struct{ Text string }
			json.Unmarshal([]byte(body), &c)
			total += strings.Count(c.Text, "x")
		}
	}
	if total != maxPendingStream {
		t.Errorf("delivered %d bytes of text, want %d", total, maxPendingStream)
	}
}

func TestPublisherDropsAfterClose(t *testing.T) {
	sock := &recordingPub{}
	p := newTestPublisher(sock)
	p.publish("status", nil, "before")
	p.close()
	p.publish("status", nil, "after")
	p.publishStream(nil, "stdout", "after")
	if got := sock.messages(); len(got) != 1 {
		t.Fatalf("sent %q, want only the message before close", got)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}
