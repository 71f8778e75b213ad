package kernel

import (
	"log/slog"
	"strings"
	"sync"

	"github.com/go-zeromq/zmq4"

	"github.com/gokernel/gokernel/wire"
)

// maxPendingStream bounds the stream text waiting to be published. It is
// generous: with zmq4's PUB Send only queueing, the limit is reached only when
// encoding falls behind a flood of output. It does not bound zmq4's own queue
// in front of a slow subscriber (the guard's write deadline cuts a stalled
// one).
const maxPendingStream = 8 << 20

// publisher owns the iopub PUB socket. Messages are queued without blocking
// and one goroutine encodes and sends them in order.
//
// Stream text that is still waiting is merged into the previous stream
// message of the same cell and name, so a flood of output becomes a few large
// messages rather than many small ones. The waiting text is bounded (the
// batch being sent is no longer counted, so up to twice the bound may be in
// memory): a producer of stream text waits while the bound is exceeded, which in turn
// fills the worker's pipe and slows the cell's writes; nothing is dropped.
// Other messages (status, results, errors, displays) are never merged,
// dropped or held back by that bound.
type publisher struct {
	sock   zmq4.Socket
	encode func(msgType string, parent *wire.Message, content any) ([][]byte, error)
	log    *slog.Logger
	done   chan struct{} // closed when run returns

	mu          sync.Mutex
	wake        *sync.Cond // signals run (work queued) and stream producers (room made)
	queue       []*pending
	streamBytes int // text of the stream messages in queue
	closed      bool
}

// pending is a message waiting in the queue. Stream messages keep their text
// in a builder so later text can be appended.
type pending struct {
	barrier chan struct{} // set for a flush barrier: closed when reached
	msgType string
	parent  *wire.Message
	content any
	name    string          // stream name, for stream messages
	text    strings.Builder // stream text, for stream messages
}

func newPublisher(sock zmq4.Socket, log *slog.Logger, encode func(string, *wire.Message, any) ([][]byte, error)) *publisher {
	p := &publisher{sock: sock, encode: encode, log: log, done: make(chan struct{})}
	p.wake = sync.NewCond(&p.mu)
	return p
}

// publish queues a message. It never blocks; after close it drops the message.
func (p *publisher) publish(msgType string, parent *wire.Message, content any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.queue = append(p.queue, &pending{msgType: msgType, parent: parent, content: content})
	p.wake.Broadcast()
}

// publishStream queues stream text, merging it with the stream message
// waiting last in the queue when that is of the same cell and name. It waits
// while too much stream text is pending.
func (p *publisher) publishStream(parent *wire.Message, name, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.streamBytes >= maxPendingStream && !p.closed {
		p.wake.Wait()
	}
	if p.closed {
		return
	}
	if n := len(p.queue); n > 0 {
		if last := p.queue[n-1]; last.msgType == "stream" && last.parent == parent && last.name == name {
			last.text.WriteString(text)
			p.streamBytes += len(text)
			return
		}
	}
	m := &pending{msgType: "stream", parent: parent, name: name}
	m.text.WriteString(text)
	p.queue = append(p.queue, m)
	p.streamBytes += len(text)
	p.wake.Broadcast()
}

// flush waits until every message queued before the call has been handed to
// the socket, so a reply sent next on another socket is not sent before the
// output it concludes. zmq4's PUB only queues what it is handed and writes
// from a goroutine of its own: on the wire the reply can still come first.
// After close it returns at once.
func (p *publisher) flush() {
	done := make(chan struct{})
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.queue = append(p.queue, &pending{barrier: done})
	p.wake.Broadcast()
	p.mu.Unlock()
	<-done
}

// close stops accepting messages and waits until the queued ones are sent.
func (p *publisher) close() {
	p.mu.Lock()
	p.closed = true
	p.wake.Broadcast()
	p.mu.Unlock()
	<-p.done
}

// run sends queued messages until close, then sends what is left and returns.
func (p *publisher) run() {
	defer close(p.done)
	for {
		p.mu.Lock()
		for len(p.queue) == 0 && !p.closed {
			p.wake.Wait()
		}
		batch, closed := p.queue, p.closed
		p.queue, p.streamBytes = nil, 0
		p.wake.Broadcast() // room for waiting stream producers
		p.mu.Unlock()

		for _, m := range batch {
			if m.barrier != nil {
				close(m.barrier)
				continue
			}
			p.send(m)
		}
		if closed && len(batch) == 0 {
			return
		}
	}
}

func (p *publisher) send(m *pending) {
	content := m.content
	if m.msgType == "stream" {
		content = map[string]any{"name": m.name, "text": m.text.String()}
	}
	frames, err := p.encode(m.msgType, m.parent, content)
	if err != nil {
		p.log.Error("encode failed", "msg_type", m.msgType, "err", err)
		return
	}
	// zmq4's PUB keeps a reference to the frames: they are fresh from
	// wire.Encode and never touched again.
	if err := p.sock.Send(zmq4.NewMsgFrom(frames...)); err != nil {
		p.log.Warn("publish failed", "msg_type", m.msgType, "err", err)
	}
}
