// Package guard is a zmq4 transport that stands between the network and
// zmq4's ZMTP code, so that no peer can crash, stall or exhaust the kernel
// through its sockets.
//
// zmq4 v0.17.0 panics on malformed READY commands and on huge frame lengths,
// runs every handshake inside its accept loop with no deadline, never closes
// connections whose handshake failed, and lets one peer that stops reading
// block sends to every other peer. Those failures happen in zmq4's own
// goroutines, where recover cannot reach. The guard therefore accepts each
// TCP connection itself, runs and checks the peer's side of the handshake
// concurrently and under a deadline, and hands zmq4 only connections that
// passed, replaying the bytes it consumed so that zmq4's handshake runs
// unchanged. After the handshake it watches frame headers as they stream to
// zmq4, cutting a connection before zmq4 allocates an oversized frame, lets
// a PUB socket's peers send nothing but subscriptions, and puts a deadline on
// every write.
//
// Call [New] once, then bind each socket through [Transport.Endpoint]:
//
//	g, err := guard.New(guard.Config{Logger: logger})
//	ep, err := g.Endpoint(zmq4.Router, "tcp://127.0.0.1:5555")
//	err = sock.Listen(ep) // sock is a zmq4 ROUTER
package guard

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/transport"
)

// Defaults for the zero fields of a [Config].
const (
	DefaultHandshakeTimeout = 5 * time.Second
	DefaultWriteTimeout     = 10 * time.Second
	DefaultMaxMessageSize   = 256 << 20
	DefaultMaxHandshakes    = 64
)

// Config tunes a [Transport]. The zero value uses the defaults above.
type Config struct {
	// Logger receives one Debug record per refused or cut connection. Nil
	// discards them.
	Logger *slog.Logger

	// HandshakeTimeout bounds the time from accept to the connection being
	// handed to zmq4, including zmq4's own handshake.
	HandshakeTimeout time.Duration

	// WriteTimeout bounds each write to an established connection. A peer
	// that stops reading for longer is disconnected, so it cannot stall
	// sends to the other peers of the same socket.
	WriteTimeout time.Duration

	// MaxMessageSize bounds the bytes of one incoming multipart message, each
	// frame counting its body plus 32 bytes. A peer announcing more is
	// disconnected before zmq4 allocates anything.
	MaxMessageSize int64

	// MaxHandshakes bounds the connections per listener that are accepted
	// but not yet handed to zmq4. Connections beyond it are closed at once.
	MaxHandshakes int
}

// Transport is a zmq4 transport that guards TCP listeners. It implements
// [transport.Transport]; [New] registers it with zmq4 under its own scheme.
type Transport struct {
	scheme string
	cfg    Config
}

var _ transport.Transport = (*Transport)(nil)

// New validates cfg, fills in defaults and registers a new Transport with
// zmq4. zmq4's registry is process-wide and cannot forget an entry, so each
// call registers under a fresh scheme; a program should call New once and
// share the result.
func New(cfg Config) (*Transport, error) {
	if cfg.HandshakeTimeout < 0 || cfg.WriteTimeout < 0 || cfg.MaxMessageSize < 0 || cfg.MaxHandshakes < 0 {
		return nil, fmt.Errorf("guard: negative value in config %+v", cfg)
	}
	if cfg.MaxMessageSize > 0 && cfg.MaxMessageSize < 2*frameOverhead {
		return nil, fmt.Errorf("guard: MaxMessageSize %d is below the minimum %d", cfg.MaxMessageSize, 2*frameOverhead)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HandshakeTimeout == 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.MaxMessageSize == 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	if cfg.MaxHandshakes == 0 {
		cfg.MaxHandshakes = DefaultMaxHandshakes
	}
	t := &Transport{cfg: cfg}
	// The registry keeps t reachable for the life of the process, so its
	// address is never reused and makes a unique scheme without any
	// package-level counter.
	t.scheme = fmt.Sprintf("zmtpguard%p", t)
	if err := zmq4.RegisterTransport(t.scheme, t); err != nil {
		return nil, fmt.Errorf("guard: %w", err)
	}
	return t, nil
}

// Scheme returns the name t is registered under with zmq4.
func (t *Transport) Scheme() string { return t.scheme }

// Endpoint returns the endpoint a zmq4 socket of type typ must Listen on to
// bind endpoint through t. A "tcp://host:port" endpoint becomes
// "<scheme>://TYPE@host:port"; peers still connect with plain tcp://. An
// "ipc://" endpoint is returned unchanged: it stays on zmq4's own transport,
// protected by file permissions rather than by the guard.
func (t *Transport) Endpoint(typ zmq4.SocketType, endpoint string) (string, error) {
	if !knownType(typ) {
		return "", fmt.Errorf("guard: unknown socket type %q", typ)
	}
	network, addr, ok := strings.Cut(endpoint, "://")
	switch {
	case !ok:
		return "", fmt.Errorf("guard: endpoint %q has no scheme", endpoint)
	case network == "ipc":
		return endpoint, nil
	case network != "tcp":
		return "", fmt.Errorf("guard: cannot guard %q endpoint %q", network, endpoint)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", fmt.Errorf("guard: endpoint %q: %w", endpoint, err)
	}
	return t.scheme + "://" + string(typ) + "@" + addr, nil
}

// Listen implements [transport.Transport]. addr is the "TYPE@host:port"
// part of an endpoint made by [Transport.Endpoint]; the returned listener serves a zmq4 socket of
// that type, and closing it stops all of its goroutines.
func (t *Transport) Listen(ctx context.Context, addr string) (net.Listener, error) {
	typ, hostport, err := splitAddr(addr)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	raw, err := lc.Listen(ctx, "tcp", hostport)
	if err != nil {
		return nil, fmt.Errorf("guard: %w", err)
	}
	return newListener(raw, typ, t.cfg), nil
}

// Dial implements [transport.Transport]. The guard protects listeners only.
func (t *Transport) Dial(ctx context.Context, dialer transport.Dialer, addr string) (net.Conn, error) {
	return nil, fmt.Errorf("guard: cannot dial %q: the guard transport only listens", addr)
}

// Addr implements [transport.Transport]: it normalizes the host:port of
// "TYPE@host:port" with zmq4's own tcp transport ("*" or "" host: all
// interfaces; "*" or "" port: any), so a guarded endpoint means what the
// same tcp:// endpoint would.
func (t *Transport) Addr(ep string) (string, error) {
	typ, hostport, err := splitAddr(ep)
	if err != nil {
		return "", err
	}
	addr, err := tcp.Addr(hostport)
	if err != nil {
		return "", fmt.Errorf("guard: address %q: %w", ep, err)
	}
	return string(typ) + "@" + addr, nil
}

// tcp is zmq4's plain TCP transport, used for its address normalization.
var tcp = transport.New("tcp")

func splitAddr(addr string) (zmq4.SocketType, string, error) {
	typ, hostport, ok := strings.Cut(addr, "@")
	if !ok || !knownType(zmq4.SocketType(typ)) {
		return "", "", fmt.Errorf("guard: address %q is not TYPE@host:port; build it with Transport.Endpoint", addr)
	}
	return zmq4.SocketType(typ), hostport, nil
}

// cutError is returned by a guarded connection's Read or Write once the guard
// has closed it. It is a [net.Error] that is not a timeout: zmq4 treats such
// errors (and only those, besides EOF) as the end of the connection.
type cutError struct {
	reason error
}

func (e *cutError) Error() string   { return "guard: connection closed: " + e.reason.Error() }
func (e *cutError) Unwrap() error   { return e.reason }
func (e *cutError) Timeout() bool   { return false }
func (e *cutError) Temporary() bool { return false }

var _ net.Error = (*cutError)(nil)
