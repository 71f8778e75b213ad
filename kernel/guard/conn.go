package guard

import (
	"bufio"
	"bytes"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
)

// conn is the net.Conn handed to zmq4. It has two phases.
//
// Handover: zmq4's accepting goroutine runs zmq4's handshake on it. Reads are
// served from replay (the peer's greeting and READY, already read and
// checked); zmq4's copy of our greeting, already sent, is swallowed. The
// handshake deadline still applies. When replay is drained, zmq4 has sent its
// READY and read the peer's: the connection is established.
//
// Established: reads go through a frameLimiter; each write gets a deadline.
// The handover fields are written only before zmq4 publishes the conn to its
// other goroutines (under its own locks), so they need no lock here.
//
// Any failure the guard detects closes the socket and returns a cutError.
type conn struct {
	net.Conn
	br           *bufio.Reader
	log          *slog.Logger
	writeTimeout time.Duration

	replay      []byte // handover: peer bytes zmq4 has yet to read
	echo        []byte // handover: our greeting bytes zmq4 has yet to write
	established bool

	limit frameLimiter // used by the one goroutine zmq4 reads with
	once  sync.Once    // guards the log record of a cut
}

func newConn(rc net.Conn, br *bufio.Reader, replay []byte, local zmq4.SocketType, cfg Config, log *slog.Logger) *conn {
	return &conn{
		Conn:         rc,
		br:           br,
		log:          log,
		writeTimeout: cfg.WriteTimeout,
		replay:       replay,
		echo:         serverGreeting[:],
		limit:        newFrameLimiter(local, cfg.MaxMessageSize),
	}
}

var errEcho = errors.New("zmq4 wrote a greeting other than the one the guard sent")

// Read implements net.Conn.
func (c *conn) Read(p []byte) (int, error) {
	if !c.established {
		n := copy(p, c.replay)
		c.replay = c.replay[n:]
		if len(c.replay) == 0 {
			c.established = true
			c.replay = nil
			// Idle peers are legitimate once connected (a notebook left
			// open overnight); only writes keep a deadline, set per write.
			if err := c.Conn.SetDeadline(time.Time{}); err != nil {
				return 0, c.cut(err)
			}
		}
		return n, nil
	}
	n, err := c.br.Read(p)
	if n > 0 {
		// Check the bytes before zmq4 sees them: a length it would pass to
		// make must be refused here.
		if lerr := c.limit.scan(p[:n]); lerr != nil {
			return 0, c.cut(lerr)
		}
	}
	return n, err
}

// Write implements net.Conn.
func (c *conn) Write(p []byte) (int, error) {
	var n int
	if len(c.echo) > 0 {
		n = min(len(p), len(c.echo))
		if !bytes.Equal(p[:n], c.echo[:n]) {
			return 0, c.cut(errEcho)
		}
		c.echo = c.echo[n:]
		p = p[n:]
		if len(p) == 0 {
			return n, nil
		}
	}
	if c.established {
		if err := c.Conn.SetWriteDeadline(time.Now().Add(c.writeTimeout)); err != nil {
			return n, c.cut(err)
		}
	}
	m, err := c.Conn.Write(p)
	if err != nil {
		return n + m, c.cut(err)
	}
	return n + m, nil
}

// cut closes the connection for reason and returns the error to give zmq4.
// zmq4 never closes a connection whose handshake failed, and ignores write
// timeouts, so the guard closes it itself on any I/O failure.
func (c *conn) cut(reason error) error {
	c.once.Do(func() {
		c.log.Debug("guard: connection cut", "remote", c.RemoteAddr().String(), "err", reason)
		// Reset rather than close gracefully: a peer that stopped reading
		// would leave the kernel holding our unsent data (megabytes, behind
		// a zero window) in an orphaned socket long after the close.
		if tc, ok := c.Conn.(interface{ SetLinger(sec int) error }); ok {
			tc.SetLinger(0)
		}
		c.Conn.Close()
	})
	return &cutError{reason: reason}
}
