// Package zmqcell adapts zmq4 sockets to notebook cells.
//
// A zmq4 socket's Recv, Send and Dial can block for minutes or forever, in
// compiled code that yaegi cannot stop; a cell that binds an endpoint fails
// with "address already in use" when it is run a second time; and a socket a
// cell binds on TCP is exposed to zmq4's crashes on malformed input. Call
// [New] once per session to create a [Registry], and give cells its
// constructors ([Registry.Constructors]) in place of zmq4's own. The
// sockets they return behave as zmq4's, except that:
//
//   - Recv, Send, SendMulti and Dial return an error wrapping
//     [context.Canceled] when the running cell is interrupted
//     ([Registry.Enter] tells the registry which cell runs). The underlying
//     call goes on: a message received after the interrupt is returned by
//     the next Recv, a send completes in the background.
//   - Dial retries until the peer is there, as libzmq's connect does,
//     instead of giving up after 2.5 s.
//   - Listen on an endpoint that a socket of the same registry already
//     listens on closes that socket first and says so on stderr; an ipc://
//     endpoint whose socket file was left behind by a dead process is
//     removed first.
//   - Listen on tcp:// goes through the guard transport
//     ([github.com/gokernel/gokernel/kernel/guard]), which keeps malformed
//     or stalled peers away from zmq4. Peers connect with plain tcp://.
//
// [Registry.CloseAll] closes every socket the cells opened.
package zmqcell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"strings"
	"sync"
	"syscall"

	"github.com/go-zeromq/zmq4"
	"github.com/gokernel/gokernel/kernel/guard"
)

// Registry tracks the sockets opened by the cells of one session and the
// interruption state of the running cell. Its methods are safe for
// concurrent use.
type Registry struct {
	stderr io.Writer
	guard  func() (*guard.Transport, error)

	mu    sync.Mutex
	intr  chan struct{}        // closed by Interrupt; replaced by Enter
	open  map[*socket]struct{} // sockets not yet closed
	bound map[string]*socket   // endpoint as the cell wrote it → its listener
}

// New returns an empty Registry. Notes about sockets closed on a cell's
// behalf go to stderr.
func New(stderr io.Writer) *Registry {
	return &Registry{
		stderr: stderr,
		// zmq4's transport registry cannot forget an entry, so the guard
		// is registered once, and only when a cell first listens on TCP.
		guard: sync.OnceValues(func() (*guard.Transport, error) { return guard.New(guard.Config{}) }),
		intr:  make(chan struct{}),
		open:  make(map[*socket]struct{}),
		bound: make(map[string]*socket),
	}
}

// Enter tells r that a cell with context ctx starts running. If ctx is
// cancelled before exit is called, r interrupts every blocked call (see
// [Registry.Interrupt]). The caller must call exit when the cell returns,
// before it cancels ctx for any other reason:
//
//	defer r.Enter(ctx)()
func (r *Registry) Enter(ctx context.Context) (exit func()) {
	r.mu.Lock()
	select {
	case <-r.intr:
		r.intr = make(chan struct{}) // the previous cell was interrupted
	default:
	}
	r.mu.Unlock()
	stop := context.AfterFunc(ctx, r.Interrupt)
	return func() { stop() }
}

// Interrupt makes every call blocked on a socket of r return an error
// wrapping [context.Canceled], as does every call started before the next
// [Registry.Enter]. It matches yaegi, whose interrupt stops every
// interpreted goroutine, not only the cell's own: goroutines blocked in a
// socket call unwind rather than leak.
func (r *Registry) Interrupt() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.intr:
	default:
		close(r.intr)
	}
}

// CloseAll closes every socket opened through r and returns the first
// error.
func (r *Registry) CloseAll() error {
	r.mu.Lock()
	socks := make([]*socket, 0, len(r.open))
	for s := range r.open {
		socks = append(socks, s)
	}
	r.mu.Unlock()
	var first error
	for _, s := range socks {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Open returns how many sockets opened through r are not closed yet.
func (r *Registry) Open() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.open)
}

// Constructor is the signature of zmq4's socket constructors (NewReq, …).
type Constructor = func(ctx context.Context, opts ...zmq4.Option) zmq4.Socket

// Wrap returns a constructor that calls newSocket and returns the socket
// wrapped for cells. Options passed by the cell apply after the registry's
// defaults, so they can override them.
func (r *Registry) Wrap(newSocket Constructor) Constructor {
	return func(ctx context.Context, opts ...zmq4.Option) zmq4.Socket {
		// Dial waits for the peer as long as it takes, the way libzmq's
		// connect does: an interrupt, or Close, is the way out.
		opts = append([]zmq4.Option{zmq4.WithDialerMaxRetries(-1)}, opts...)
		s := &socket{
			zs:      newSocket(ctx, opts...),
			r:       r,
			recvSem: make(chan struct{}, 1),
			sendSem: make(chan struct{}, 1),
		}
		r.mu.Lock()
		r.open[s] = struct{}{}
		r.mu.Unlock()
		return s
	}
}

// Constructors returns the entries of zmq4's symbol table that cells should
// see in place of zmq4's own: every socket constructor, wrapped by
// [Registry.Wrap].
func (r *Registry) Constructors() map[string]reflect.Value {
	ctors := map[string]Constructor{
		"NewDealer": zmq4.NewDealer,
		"NewPair":   zmq4.NewPair,
		"NewPub":    zmq4.NewPub,
		"NewPull":   zmq4.NewPull,
		"NewPush":   zmq4.NewPush,
		"NewRep":    zmq4.NewRep,
		"NewReq":    zmq4.NewReq,
		"NewRouter": zmq4.NewRouter,
		"NewSub":    zmq4.NewSub,
		"NewXPub":   zmq4.NewXPub,
		"NewXSub":   zmq4.NewXSub,
	}
	syms := make(map[string]reflect.Value, len(ctors))
	for name, ctor := range ctors {
		syms[name] = reflect.ValueOf(r.Wrap(ctor))
	}
	return syms
}

// interruption returns the channel that is closed when the running cell is
// interrupted.
func (r *Registry) interruption() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.intr
}

// claim makes s the listener of ep, closing the socket that listened on it
// before.
func (r *Registry) claim(ep string, s *socket) {
	r.mu.Lock()
	old := r.bound[ep]
	r.mu.Unlock()
	if old == nil || old == s {
		return
	}
	// Close unregisters old.
	old.Close()
	fmt.Fprintf(r.stderr, "zmq4: closed the %s socket that an earlier cell bound to %s\n", old.zs.Type(), ep)
}

// socket is a zmq4.Socket as cells see it.
type socket struct {
	zs zmq4.Socket
	r  *Registry

	// recvSem admits one Recv at a time. The holder owns pending: the
	// result of a zmq4 Recv that outlived an interrupted Recv, which the
	// next Recv returns instead of losing the message.
	recvSem chan struct{}
	pending chan result
	// sendSem admits one Send, SendMulti at a time. The holder owns
	// sending: the outcome of a send that outlived an interrupted call;
	// the next one waits for it, so messages keep their order.
	sendSem chan struct{}
	sending chan error

	closeOnce sync.Once
	closeErr  error
}

type result struct {
	msg zmq4.Msg
	err error
}

var _ zmq4.Socket = (*socket)(nil)

// interrupted is the error of a call stopped by an interrupt.
func interrupted(op string) error {
	return fmt.Errorf("zmq4: %s stopped: the cell was interrupted: %w", op, context.Canceled)
}

// Recv receives a message, or returns when the cell is interrupted.
func (s *socket) Recv() (zmq4.Msg, error) {
	intr := s.r.interruption()
	select {
	case s.recvSem <- struct{}{}:
	case <-intr:
		return zmq4.Msg{}, interrupted("Recv")
	}
	defer func() { <-s.recvSem }()
	if s.pending == nil {
		ch := make(chan result, 1)
		// Exits when zmq4's Recv returns: with a message, or an error
		// once the socket is closed.
		go func() {
			msg, err := s.zs.Recv()
			ch <- result{msg, err}
		}()
		s.pending = ch
	}
	select {
	case res := <-s.pending:
		s.pending = nil
		return res.msg, res.err
	case <-intr:
		return zmq4.Msg{}, interrupted("Recv")
	}
}

// Send sends msg, or returns when the cell is interrupted.
func (s *socket) Send(msg zmq4.Msg) error { return s.send("Send", s.zs.Send, msg) }

// SendMulti sends msg as a multipart message, or returns when the cell is
// interrupted.
func (s *socket) SendMulti(msg zmq4.Msg) error { return s.send("SendMulti", s.zs.SendMulti, msg) }

func (s *socket) send(op string, send func(zmq4.Msg) error, msg zmq4.Msg) error {
	intr := s.r.interruption()
	select {
	case s.sendSem <- struct{}{}:
	case <-intr:
		return interrupted(op)
	}
	defer func() { <-s.sendSem }()
	if s.sending != nil {
		select {
		case <-s.sending: // its caller was told it was interrupted
			s.sending = nil
		case <-intr:
			return interrupted(op)
		}
	}
	done := make(chan error, 1)
	// Exits when zmq4's send returns: zmq4 bounds it by the socket's
	// timeout (5 minutes by default), and Close ends it.
	go func() { done <- send(msg) }()
	select {
	case err := <-done:
		return err
	case <-intr:
		s.sending = done
		return interrupted(op)
	}
}

// Dial connects to ep, waiting until a peer listens there, or returns when
// the cell is interrupted. An interrupted Dial goes on in the background
// until it connects or the socket is closed.
func (s *socket) Dial(ep string) error {
	intr := s.r.interruption()
	done := make(chan error, 1)
	// Exits when zmq4's Dial does: connected, or the socket closed.
	go func() { done <- s.zs.Dial(ep) }()
	select {
	case err := <-done:
		return err
	case <-intr:
		return interrupted("Dial " + ep)
	}
}

// Listen binds ep. See the package documentation for what it adds to zmq4.
func (s *socket) Listen(ep string) error {
	network, addr, ok := strings.Cut(ep, "://")
	if !ok {
		return s.zs.Listen(ep) // zmq4 reports the error
	}
	reusable := true
	zep := ep
	switch network {
	case "tcp":
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("zmq4: could not listen to %q: %w", ep, err)
		}
		// Port 0 asks for a fresh port: nothing to take over.
		reusable = port != "0" && port != "*" && port != ""
		g, err := s.r.guard()
		if err != nil {
			return fmt.Errorf("zmq4: could not listen to %q: %w", ep, err)
		}
		if zep, err = g.Endpoint(s.zs.Type(), ep); err != nil {
			return fmt.Errorf("zmq4: could not listen to %q: %w", ep, err)
		}
	}
	if reusable {
		s.r.claim(ep, s)
	}
	if network == "ipc" {
		removeStale(addr)
	}
	if err := s.zs.Listen(zep); err != nil {
		if zep == ep {
			return err
		}
		// zmq4's message names the guard's endpoint; the cell wrote ep.
		if inner := errors.Unwrap(err); inner != nil {
			err = inner
		}
		return fmt.Errorf("zmq4: could not listen to %q: %w", ep, err)
	}
	if reusable {
		s.r.mu.Lock()
		s.r.bound[ep] = s
		s.r.mu.Unlock()
	}
	return nil
}

// Close closes the socket, which ends its blocked calls.
func (s *socket) Close() error {
	s.closeOnce.Do(func() {
		s.r.mu.Lock()
		delete(s.r.open, s)
		for ep, b := range s.r.bound {
			if b == s {
				delete(s.r.bound, ep)
			}
		}
		s.r.mu.Unlock()
		s.closeErr = s.zs.Close()
	})
	return s.closeErr
}

func (s *socket) Type() zmq4.SocketType                  { return s.zs.Type() }
func (s *socket) Addr() net.Addr                         { return s.zs.Addr() }
func (s *socket) GetOption(name string) (any, error)     { return s.zs.GetOption(name) }
func (s *socket) SetOption(name string, value any) error { return s.zs.SetOption(name, value) }

// removeStale removes the Unix socket file at path if no process listens on
// it: zmq4 removes it on Close, but not when its process was killed, and
// then refuses to bind it again ("address already in use").
func removeStale(path string) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		return
	}
	c, err := net.Dial("unix", path)
	if err == nil {
		c.Close() // someone listens: let Listen fail
		return
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		os.Remove(path)
	}
}
