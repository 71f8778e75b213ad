package kernel

import (
	"context"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/gokernel/gokernel/wire"
)

// inbound is a decoded request and the socket it came in on.
type inbound struct {
	msg      *wire.Message
	via      *router
	received time.Time
	bad      error // set for a signed request with a malformed part: it gets an error reply
}

// outbound is one message for a ROUTER socket's sender goroutine; done
// receives the result of the send.
type outbound struct {
	frames [][]byte
	done   chan<- error
}

// router is a ROUTER socket (shell, control or stdin) with its two owners: a
// reader goroutine that decodes what arrives into in, and a sender goroutine
// that is the only caller of Send.
type router struct {
	ch   wire.Channel
	sock zmq4.Socket
	in   chan inbound // closed by the reader when the socket closes

	mu     sync.RWMutex
	out    chan outbound // closed by close, after which send fails
	closed bool
}

func newRouter(ch wire.Channel, sock zmq4.Socket) *router {
	return &router{ch: ch, sock: sock, in: make(chan inbound, 64), out: make(chan outbound)}
}

// read decodes messages until the socket is closed. A message that fails to
// decode, has a bad signature or is a replay is logged and dropped.
func (r *router) read(k *Kernel) {
	defer close(r.in)
	log := k.log.With("channel", r.ch.String())
	for {
		zm, err := r.sock.Recv()
		if err != nil {
			if k.closing() {
				return
			}
			log.Warn("receive failed", "err", err)
			if errors.Is(err, context.Canceled) {
				return
			}
			continue
		}
		msg, err := k.decode(zm.Frames)
		if msg != nil && err != nil {
			// Signed, with a valid header and a malformed part: its
			// sender is told, or it would wait for a reply forever.
			log.Warn("malformed request", "peer", peer(zm.Frames), "err", err)
			r.in <- inbound{msg: msg, via: r, received: time.Now(), bad: err}
			continue
		}
		if err != nil {
			log.Warn("dropped message", "peer", peer(zm.Frames), "err", err)
			continue
		}
		r.in <- inbound{msg: msg, via: r, received: time.Now()}
	}
}

// write is the socket's only sender. It ends when out is closed.
func (r *router) write() {
	for job := range r.out {
		err := r.sock.Send(zmq4.NewMsgFrom(job.frames...))
		job.done <- err
	}
}

// send hands frames to the sender goroutine and waits for the send.
func (r *router) send(frames [][]byte) error {
	done := make(chan error, 1)
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return errClosed
	}
	r.out <- outbound{frames: frames, done: done}
	r.mu.RUnlock()
	return <-done
}

// close ends the sender goroutine; later sends fail with errClosed.
func (r *router) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		close(r.out)
	}
}

var errClosed = errors.New("kernel: socket closed")

// heartbeat echoes every ping on the REP socket until it is closed.
func heartbeat(k *Kernel, sock zmq4.Socket) {
	for {
		msg, err := sock.Recv()
		if err != nil {
			if k.closing() {
				return
			}
			k.log.Warn("heartbeat receive failed", "err", err)
			if errors.Is(err, context.Canceled) {
				return
			}
			continue
		}
		if err := sock.Send(msg); err != nil && !k.closing() {
			k.log.Warn("heartbeat send failed", "err", err)
		}
	}
}

// peer names the sender of frames for logs: its first routing identity.
func peer(frames [][]byte) string {
	if len(frames) == 0 {
		return ""
	}
	id := frames[0]
	if len(id) > 16 {
		id = id[:16]
	}
	return hex.EncodeToString(id)
}
