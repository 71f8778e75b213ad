// Package kernel serves the Jupyter messaging protocol on the five sockets of
// a connection file and hands code to an [interp.Executor]. Call [New], then
// [Kernel.Run].
//
// Every socket has one reader goroutine and one owner for sends. Shell
// requests run one at a time, in order; control requests are served on their
// own goroutine, so an interrupt or a shutdown is answered while a cell runs.
// A request that fails to decode, is badly signed or replayed, or has an
// unknown type is logged and dropped: no input stops the kernel.
package kernel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/google/uuid"

	"github.com/gokernel/gokernel/interp"
	"github.com/gokernel/gokernel/kernel/guard"
	"github.com/gokernel/gokernel/wire"
)

// Config is what a kernel needs to run.
type Config struct {
	Conn     *wire.ConnectionInfo
	Executor interp.Executor
	// Logger receives the kernel's logs; nil means slog.Default().
	Logger *slog.Logger
	// Version is the implementation_version in kernel_info_reply.
	Version string
	// SendTimeout bounds sends on ROUTER sockets; zero means 10 s.
	SendTimeout time.Duration
	// Guard is the transport every TCP socket is bound through, so no peer
	// can crash or stall zmq4. Nil: New makes one. zmq4 registers
	// transports process-wide, so a program running many kernels should
	// share one.
	Guard *guard.Transport
	// AllowUnsigned lets the kernel listen beyond loopback with an empty
	// key. Without a key anyone who can reach the ports can run code, so
	// New refuses that unless told to.
	AllowUnsigned bool
	// HistoryFile is where the input history is kept, shared with the
	// user's other kernels. "" means the per-user default,
	// $XDG_DATA_HOME/gokernel/history.jsonl; "-" keeps it in memory.
	HistoryFile string
}

// ErrUnsignedRemote is returned by New for an empty key on a non-loopback
// address without Config.AllowUnsigned.
var ErrUnsignedRemote = errors.New("kernel: refusing to listen beyond loopback without a key (anyone reaching the ports could run code); set a key, or allow it explicitly")

// Kernel is a running Jupyter kernel. Its methods are safe for concurrent use.
type Kernel struct {
	cfg     Config
	log     *slog.Logger
	exec    interp.Executor
	signer  *wire.Signer
	replay  *wire.ReplayGuard
	session string // our session id, in the header of every message we send
	info    map[string]any

	shell, control, stdin *router
	iopub                 *publisher
	hb                    zmq4.Socket

	inputReplies chan inbound // input_reply messages from the stdin reader
	comms        comms        // open comms, for comm_info_request
	hist         *history

	mu          sync.Mutex
	execCount   int                // guarded by mu
	cancelCell  context.CancelFunc // interrupts the running cell; nil when idle
	abortBefore time.Time          // execute requests received before this are aborted

	shutdownOnce sync.Once
	shutdownCh   chan struct{} // closed when a shutdown is requested
	stopping     atomic.Bool
}

// New validates cfg and returns a kernel ready to Run.
func New(cfg Config) (*Kernel, error) {
	if cfg.Conn == nil {
		return nil, errors.New("kernel: no connection info")
	}
	if err := cfg.Conn.Validate(); err != nil {
		return nil, err
	}
	if cfg.Executor == nil {
		return nil, errors.New("kernel: no executor")
	}
	if cfg.Conn.Key == "" && !cfg.Conn.IsLoopback() && !cfg.AllowUnsigned {
		return nil, fmt.Errorf("%w (ip %s)", ErrUnsignedRemote, cfg.Conn.IP)
	}
	signer, err := wire.NewSigner(cfg.Conn.SignatureScheme, []byte(cfg.Conn.Key))
	if err != nil {
		return nil, fmt.Errorf("kernel: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 10 * time.Second
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.Guard == nil {
		g, err := guard.New(guard.Config{Logger: cfg.Logger.With("component", "guard")})
		if err != nil {
			return nil, fmt.Errorf("kernel: %w", err)
		}
		cfg.Guard = g
	}
	histPath := cfg.HistoryFile
	switch histPath {
	case "":
		if histPath, err = historyFile(); err != nil {
			cfg.Logger.Warn("no history file", "err", err)
		}
	case "-":
		histPath = ""
	}
	hist, err := openHistory(histPath)
	if err != nil {
		cfg.Logger.Warn("history", "err", err)
	}
	return &Kernel{
		cfg:          cfg,
		hist:         hist,
		log:          cfg.Logger,
		exec:         cfg.Executor,
		signer:       signer,
		replay:       wire.NewReplayGuard(replayHistory),
		session:      uuid.NewString(),
		info:         kernelInfo(cfg.Version),
		inputReplies: make(chan inbound, 1),
		shutdownCh:   make(chan struct{}),
	}, nil
}

// replayHistory is how many signatures the kernel remembers to reject
// replayed messages; jupyter_client keeps the same number.
const replayHistory = 1 << 16

// Run binds the sockets and serves until a shutdown_request without restart
// or until ctx ends. It returns nil after a requested shutdown, and the bind
// error if the sockets could not be bound. The executor is closed on return.
func (k *Kernel) Run(ctx context.Context) error {
	defer k.exec.Close()
	sockCtx, cancelSockets := context.WithCancel(context.Background())
	defer cancelSockets()
	if err := k.bind(sockCtx); err != nil {
		k.closeSockets()
		k.iopub.sock.Close()
		return err
	}
	k.log.Info("kernel listening", "transport", k.cfg.Conn.Transport, "ip", k.cfg.Conn.IP,
		"shell_port", k.cfg.Conn.ShellPort, "signed", k.signer.Enabled())

	var readers, loops, senders sync.WaitGroup
	for _, r := range []*router{k.shell, k.control, k.stdin} {
		readers.Add(1)
		go func() { defer readers.Done(); r.read(k) }()
		senders.Add(1)
		go func() { defer senders.Done(); r.write() }()
	}
	readers.Add(1)
	go func() { defer readers.Done(); heartbeat(k, k.hb) }()
	go k.iopub.run()

	k.publish("status", nil, map[string]any{"execution_state": "starting"})

	loops.Add(3)
	go func() { defer loops.Done(); k.serve(k.shell.in, shellHandlers) }()
	go func() { defer loops.Done(); k.serve(k.control.in, controlHandlers) }()
	go func() { defer loops.Done(); k.serveStdin() }()

	select {
	case <-ctx.Done():
		k.log.Info("stopping", "cause", context.Cause(ctx))
	case <-k.shutdownCh:
		k.log.Info("shutdown requested")
	}

	// Stop the running cell and the session first so no handler is left
	// waiting on the worker, then the sockets, so the readers end and the
	// serve loops drain; only then are the send queues closed.
	k.stopping.Store(true)
	k.Interrupt()
	if err := k.exec.Close(); err != nil {
		k.log.Warn("closing the session", "err", err)
	}
	k.closeSockets()
	readers.Wait()
	loops.Wait()
	for _, r := range []*router{k.shell, k.control, k.stdin} {
		r.close()
	}
	senders.Wait()
	k.iopub.close()
	k.iopub.sock.Close()
	return nil
}

// Interrupt stops the running cell, if any, as an interrupt_request does.
func (k *Kernel) Interrupt() {
	k.mu.Lock()
	cancel := k.cancelCell
	k.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// requestShutdown makes Run return.
func (k *Kernel) requestShutdown() {
	k.shutdownOnce.Do(func() { close(k.shutdownCh) })
}

func (k *Kernel) closing() bool { return k.stopping.Load() }

// bind creates the five sockets and binds them to the connection file's
// endpoints.
func (k *Kernel) bind(ctx context.Context) error {
	zlog := slog.NewLogLogger(k.log.With("component", "zmq4").Handler(), slog.LevelDebug)
	opts := []zmq4.Option{zmq4.WithTimeout(k.cfg.SendTimeout), zmq4.WithLogger(zlog)}
	k.shell = newRouter(wire.Shell, zmq4.NewRouter(ctx, opts...))
	k.control = newRouter(wire.Control, zmq4.NewRouter(ctx, opts...))
	k.stdin = newRouter(wire.Stdin, zmq4.NewRouter(ctx, opts...))
	k.iopub = newPublisher(zmq4.NewPub(ctx, opts...), k.log.With("channel", "iopub"), k.encodeIOPub)
	k.hb = zmq4.NewRep(ctx, opts...)
	types := map[wire.Channel]zmq4.SocketType{
		wire.Shell: zmq4.Router, wire.Control: zmq4.Router, wire.Stdin: zmq4.Router,
		wire.IOPub: zmq4.Pub, wire.Heartbeat: zmq4.Rep,
	}
	socks := map[wire.Channel]zmq4.Socket{
		wire.Shell: k.shell.sock, wire.Control: k.control.sock, wire.Stdin: k.stdin.sock,
		wire.IOPub: k.iopub.sock, wire.Heartbeat: k.hb,
	}
	for _, ch := range wire.Channels {
		ep := k.cfg.Conn.Endpoint(ch)
		if k.cfg.Conn.Transport == "ipc" {
			// zmq4 does not unlink a socket file left by a killed kernel.
			path := strings.TrimPrefix(ep, "ipc://")
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("kernel: bind %s: remove stale %s: %w", ch, path, err)
			}
		}
		guarded, err := k.cfg.Guard.Endpoint(types[ch], ep)
		if err != nil {
			return fmt.Errorf("kernel: bind %s on %s: %w", ch, ep, err)
		}
		if err := socks[ch].Listen(guarded); err != nil {
			return fmt.Errorf("kernel: bind %s on %s: %w", ch, ep, err)
		}
	}
	return nil
}

func (k *Kernel) closeSockets() {
	for _, s := range []zmq4.Socket{k.shell.sock, k.control.sock, k.stdin.sock, k.hb} {
		if s != nil {
			s.Close()
		}
	}
}

// decode verifies and decodes frames, rejecting replays. A signed message
// with a valid header and a malformed part is returned with its
// *wire.DecodeError.
func (k *Kernel) decode(frames [][]byte) (*wire.Message, error) {
	msg, err := wire.Decode(frames, k.signer)
	var bad *wire.DecodeError
	if errors.As(err, &bad) && bad.Message != nil {
		msg = bad.Message // authenticated: replays of it are refused too
	} else if err != nil {
		return nil, err
	}
	if !k.replay.Check(msg.Signature) {
		return nil, errors.New("kernel: replayed message (signature seen before)")
	}
	return msg, err
}

// publish queues a message for iopub with parent as its parent (nil: none).
func (k *Kernel) publish(msgType string, parent *wire.Message, content any) {
	k.iopub.publish(msgType, parent, content)
}

// encodeIOPub encodes an iopub message, with the topic ipykernel uses as its
// routing prefix.
func (k *Kernel) encodeIOPub(msgType string, parent *wire.Message, content any) ([][]byte, error) {
	m, err := wire.NewMessage(msgType, k.session, parent, content)
	if err != nil {
		return nil, err
	}
	m.Identities = [][]byte{[]byte("kernel." + k.session + "." + msgType)}
	return wire.Encode(m, k.signer)
}

// reply answers req on the socket it came in on, to its identities, after
// the iopub messages published so far (the request's output) are out.
func (k *Kernel) reply(req inbound, msgType string, content any) {
	k.iopub.flush()
	k.sendTo(req.via, req.msg, msgType, content)
}

// sendTo sends a message of msgType to parent's identities on r.
func (k *Kernel) sendTo(r *router, parent *wire.Message, msgType string, content any) {
	m, err := wire.NewMessage(msgType, k.session, parent, content)
	if err == nil {
		var frames [][]byte
		if frames, err = wire.Encode(m, k.signer); err == nil {
			err = r.send(frames)
		}
	}
	if err != nil {
		k.log.Error("send failed", "channel", r.ch.String(), "msg_type", msgType, "err", err)
	}
}
