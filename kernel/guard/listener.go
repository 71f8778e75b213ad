package guard

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
)

// readBufSize is the read buffer of each guarded connection. It also lets
// zmq4's two reads per frame (header, then body) be served by one syscall.
const readBufSize = 16 << 10

// listener is the net.Listener zmq4's accept loop sees. Its serve goroutine
// accepts TCP connections and starts one handshake goroutine per connection;
// connections that pass are passed to Accept through ready. Close stops and
// waits for all of them.
type listener struct {
	raw net.Listener
	typ zmq4.SocketType
	cfg Config
	log *slog.Logger

	ready chan *conn     // unbuffered: a connection is handed over or closed
	slots chan struct{}  // one token per connection in handshake
	done  chan struct{}  // closed by Close
	once  sync.Once      // guards close(done)
	wg    sync.WaitGroup // serve and handshake goroutines

	mu      sync.Mutex
	closed  bool
	pending map[net.Conn]struct{} // connections in handshake I/O
}

func newListener(raw net.Listener, typ zmq4.SocketType, cfg Config) *listener {
	l := &listener{
		raw:     raw,
		typ:     typ,
		cfg:     cfg,
		log:     cfg.Logger.With("socket", string(typ), "addr", raw.Addr().String()),
		ready:   make(chan *conn),
		slots:   make(chan struct{}, cfg.MaxHandshakes),
		done:    make(chan struct{}),
		pending: make(map[net.Conn]struct{}),
	}
	l.wg.Add(1)
	go l.serve()
	return l
}

// Accept returns the next connection that passed the guard's handshake.
func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.done:
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.raw.Addr(), Err: net.ErrClosed}
	}
}

// Close stops accepting, closes the connections still in handshake and waits
// for the listener's goroutines to exit. Connections already handed to zmq4
// belong to zmq4.
func (l *listener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		err = l.raw.Close()
		l.mu.Lock()
		l.closed = true
		for c := range l.pending {
			c.Close()
		}
		l.mu.Unlock()
	})
	l.wg.Wait()
	return err
}

// Addr returns the TCP address the listener is bound to.
func (l *listener) Addr() net.Addr { return l.raw.Addr() }

// serve is the accept loop; it exits when the raw listener is closed.
func (l *listener) serve() {
	defer l.wg.Done()
	var delay time.Duration // backoff after an accept error, as net/http does
	for {
		rc, err := l.raw.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			l.log.Warn("guard: accept failed; retrying", "err", err, "delay", delay)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-l.done:
				t.Stop()
				return
			}
			continue
		}
		delay = 0
		select {
		case l.slots <- struct{}{}:
		default:
			l.log.Debug("guard: too many handshakes in progress; closing connection", "remote", rc.RemoteAddr().String())
			rc.Close()
			continue
		}
		l.wg.Add(1)
		go l.handle(rc)
	}
}

// handle owns rc until it is handed to zmq4 through ready or closed.
func (l *listener) handle(rc net.Conn) {
	defer l.wg.Done()
	defer func() { <-l.slots }()

	deadline := time.Now().Add(l.cfg.HandshakeTimeout)
	if !l.track(rc) {
		rc.Close()
		return
	}
	c, err := l.handshake(rc, deadline)
	l.untrack(rc)
	if err != nil {
		l.log.Debug("guard: handshake refused", "remote", rc.RemoteAddr().String(), "err", err)
		rc.Close()
		return
	}

	// zmq4 may be slow to call Accept (its PUB accept waits for the writer's
	// lock); the connection still has to be handed over before its deadline.
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case l.ready <- c:
	case <-t.C:
		l.log.Debug("guard: zmq4 did not accept in time; closing connection", "remote", rc.RemoteAddr().String())
		rc.Close()
	case <-l.done:
		rc.Close()
	}
}

// track records rc so that Close can interrupt its handshake. It reports
// false if the listener is already closed.
func (l *listener) track(rc net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.pending[rc] = struct{}{}
	return true
}

func (l *listener) untrack(rc net.Conn) {
	l.mu.Lock()
	delete(l.pending, rc)
	l.mu.Unlock()
}

// handshake runs the peer's half of a ZMTP 3.0 NULL handshake on rc: it sends
// our greeting (libzmq peers wait for it before sending the rest of theirs),
// then reads and checks the peer's greeting and READY command. On success the
// returned conn replays what was read, so zmq4 runs its own handshake as if
// it were the first to see the connection.
func (l *listener) handshake(rc net.Conn, deadline time.Time) (*conn, error) {
	if err := rc.SetDeadline(deadline); err != nil {
		return nil, fmt.Errorf("setting deadline: %w", err)
	}
	if _, err := rc.Write(serverGreeting[:]); err != nil {
		return nil, fmt.Errorf("sending greeting: %w", err)
	}
	br := bufio.NewReaderSize(rc, readBufSize)

	// replay ends up holding the greeting and the READY frame, as read.
	replay := make([]byte, greetingLen, greetingLen+9+64)
	for n := 0; n < greetingLen; {
		m, err := br.Read(replay[n:greetingLen])
		n += m
		// Check what arrived before looking at err, so that a peer which
		// sent garbage and hung up is reported for the garbage.
		if cerr := checkGreeting(replay[:n]); cerr != nil {
			return nil, cerr
		}
		if err != nil {
			return nil, fmt.Errorf("reading greeting (%d of %d bytes): %w", n, greetingLen, err)
		}
	}

	replay = replay[:greetingLen+2]
	if _, err := io.ReadFull(br, replay[greetingLen:]); err != nil {
		return nil, fmt.Errorf("reading READY header: %w", err)
	}
	if replay[greetingLen]&flagLong != 0 {
		replay = replay[:greetingLen+9]
		if _, err := io.ReadFull(br, replay[greetingLen+2:]); err != nil {
			return nil, fmt.Errorf("reading READY header: %w", err)
		}
	}
	h, hlen := parseFrameHeader(replay[greetingLen:])
	if err := checkReadyHeader(h); err != nil {
		return nil, err
	}
	start := greetingLen + hlen
	replay = append(replay, make([]byte, h.size)...)
	if _, err := io.ReadFull(br, replay[start:]); err != nil {
		return nil, fmt.Errorf("reading READY body: %w", err)
	}
	if err := checkReady(l.typ, replay[start:]); err != nil {
		return nil, err
	}
	return newConn(rc, br, replay, l.typ, l.cfg, l.log), nil
}
