package guard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/go-zeromq/zmq4"
)

// This file holds the pure ZMTP 3.0 decoders the guard runs before zmq4 sees
// any byte: the greeting, the READY command and its properties, and frame
// headers. See https://rfc.zeromq.org/spec/23/. None of them panics on any
// input; each has a fuzz target.

const (
	greetingLen = 64

	// maxReadySize bounds the READY command body. A READY holds Socket-Type,
	// an Identity of at most 255 bytes and rarely a few more properties; 64 KiB
	// is generous and keeps a hostile peer from making us buffer much.
	maxReadySize = 64 << 10

	// maxSubscriptionBytes bounds what one subscriber may send a PUB over
	// its whole connection: subscription messages, each costing its size plus
	// frameOverhead. zmq4 keeps every topic, so this bounds its memory too. A
	// Jupyter front end sends one empty subscription.
	maxSubscriptionBytes = 64 << 10

	// frameOverhead is what each frame costs against MaxMessageSize on top of
	// its body: zmq4 keeps a slice header per frame, so a flood of empty
	// frames must not be free.
	frameOverhead = 32

	flagMore     = 0x01
	flagLong     = 0x02
	flagCommand  = 0x04
	flagReserved = 0xF8
)

var (
	errGreeting  = errors.New("bad ZMTP greeting")
	errReady     = errors.New("bad READY command")
	errPeerType  = errors.New("incompatible peer socket type")
	errFrameSize = errors.New("message exceeds size limit")
	errNotTopic  = errors.New("subscriber sent something other than a subscription")
)

// serverGreeting is the greeting zmq4 v0.17.0 sends, byte for byte: ZMTP 3.0,
// mechanism NULL, as-server 0. The guard sends it before reading the peer's
// greeting (libzmq waits for our signature before sending the rest of its
// own), and later swallows zmq4's identical copy; see conn.Write.
var serverGreeting = func() [greetingLen]byte {
	var g [greetingLen]byte
	g[0] = 0xFF
	g[9] = 0x7F
	g[10], g[11] = 3, 0
	copy(g[12:32], "NULL")
	return g
}()

// checkGreeting validates the part of a peer's greeting that p holds, so a
// caller can reject an HTTP request or a ZMTP 2.0 peer after its first bytes
// instead of waiting for all 64. It accepts a peer only if zmq4's own greeting
// check would accept it too: signature 0xFF…0x7F, major version ≥ 3,
// mechanism exactly NULL, as-server 0. Bytes beyond 64 are ignored.
func checkGreeting(p []byte) error {
	if len(p) > greetingLen {
		p = p[:greetingLen]
	}
	for i, b := range p {
		switch {
		case i == 0 && b != 0xFF, i == 9 && b != 0x7F:
			return fmt.Errorf("%w: signature byte %d is %#02x", errGreeting, i, b)
		case i == 10 && b < 3:
			return fmt.Errorf("%w: ZMTP version %d.x, want 3.x", errGreeting, b)
		case i >= 12 && i < 32 && b != serverGreeting[i]:
			return fmt.Errorf("%w: security mechanism %q, want NULL", errGreeting, trimNUL(p[12:min(len(p), 32)]))
		case i == 32 && b != 0:
			return fmt.Errorf("%w: as-server is %d, want 0 for NULL", errGreeting, b)
		}
	}
	return nil
}

func trimNUL(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\x00")
	return s
}

// frameHeader is a decoded ZMTP frame or command header.
type frameHeader struct {
	flags byte
	size  uint64
}

func (h frameHeader) more() bool    { return h.flags&flagMore != 0 }
func (h frameHeader) command() bool { return h.flags&flagCommand != 0 }

// parseFrameHeader decodes the header at the start of p. It returns the
// header's length in bytes (2 or 9), or 0 if p does not hold a whole header.
func parseFrameHeader(p []byte) (h frameHeader, n int) {
	if len(p) < 2 {
		return frameHeader{}, 0
	}
	h.flags = p[0]
	if h.flags&flagLong == 0 {
		return frameHeader{flags: h.flags, size: uint64(p[1])}, 2
	}
	if len(p) < 9 {
		return frameHeader{}, 0
	}
	return frameHeader{flags: h.flags, size: binary.BigEndian.Uint64(p[1:9])}, 9
}

// checkReadyHeader reports whether h can start the peer's READY command: one
// command frame, no reserved bits, at most maxReadySize bytes.
func checkReadyHeader(h frameHeader) error {
	switch {
	case h.flags&flagReserved != 0:
		return fmt.Errorf("%w: reserved flag bits %#02x", errReady, h.flags)
	case !h.command():
		return fmt.Errorf("%w: first frame after the greeting is not a command", errReady)
	case h.more():
		return fmt.Errorf("%w: command frame has the MORE flag", errReady)
	case h.size > maxReadySize:
		return fmt.Errorf("%w: %d bytes, limit %d", errReady, h.size, maxReadySize)
	}
	return nil
}

// property is one ZMTP metadata property.
type property struct {
	name  string
	value []byte
}

// checkReady validates the body of the peer's READY command frame for a local
// socket of type local. Beyond well-formedness it guarantees what zmq4's
// handshake assumes without checking: properties that parse to the last byte,
// exactly one Socket-Type spelt so that zmq4 finds it, naming a socket type
// compatible with local.
func checkReady(local zmq4.SocketType, body []byte) error {
	name, data, err := parseCommand(body)
	if err != nil {
		return err
	}
	if name != "READY" {
		return fmt.Errorf("%w: command %q", errReady, name)
	}
	props, err := parseProperties(data)
	if err != nil {
		return err
	}
	var peer []byte
	found := false
	for _, p := range props {
		switch {
		case strings.EqualFold(p.name, "Socket-Type"):
			if found {
				return fmt.Errorf("%w: Socket-Type given twice", errReady)
			}
			// zmq4 title-cases names without lowering the rest, then looks
			// up "Socket-Type" exactly: "SOCKET-TYPE" would be invisible to
			// it and make it panic on an empty peer type.
			if p.name[1:7] != "ocket-" || p.name[8:] != "ype" {
				return fmt.Errorf("%w: property name %q", errReady, p.name)
			}
			found, peer = true, p.value
		case strings.EqualFold(p.name, "Identity") && len(p.value) > 255:
			return fmt.Errorf("%w: Identity of %d bytes, limit 255", errReady, len(p.value))
		}
	}
	if !found {
		return fmt.Errorf("%w: no Socket-Type", errReady)
	}
	if !compatible(local, zmq4.SocketType(peer)) {
		return fmt.Errorf("%w: peer %q cannot talk to %s", errPeerType, peer, local)
	}
	return nil
}

// parseCommand splits a command frame body into its name and data.
func parseCommand(body []byte) (name string, data []byte, err error) {
	if len(body) == 0 {
		return "", nil, fmt.Errorf("%w: empty command", errReady)
	}
	n := int(body[0])
	if n == 0 || n > len(body)-1 {
		return "", nil, fmt.Errorf("%w: command name length %d in %d bytes", errReady, n, len(body))
	}
	for _, c := range body[1 : 1+n] {
		if !isAlpha(c) {
			return "", nil, fmt.Errorf("%w: command name %q", errReady, body[1:1+n])
		}
	}
	return string(body[1 : 1+n]), body[1+n:], nil
}

// parseProperties decodes ZMTP metadata: name-length, name, 4-byte
// value-length, value, repeated to exactly the end of b. Names must be 1 to
// 255 name-chars (ALPHA / DIGIT / "-" / "_" / "." / "+"), as the spec says.
func parseProperties(b []byte) ([]property, error) {
	var props []property
	for off := 0; off < len(b); {
		n := int(b[off])
		if n == 0 {
			return nil, fmt.Errorf("%w: empty property name at offset %d", errReady, off)
		}
		if len(b)-off < 1+n+4 {
			return nil, fmt.Errorf("%w: property at offset %d truncated", errReady, off)
		}
		name := b[off+1 : off+1+n]
		for _, c := range name {
			if !isNameChar(c) {
				return nil, fmt.Errorf("%w: property name %q", errReady, name)
			}
		}
		off += 1 + n
		v := uint64(binary.BigEndian.Uint32(b[off : off+4]))
		off += 4
		if v > uint64(len(b)-off) {
			return nil, fmt.Errorf("%w: property %q value of %d bytes, %d left", errReady, name, v, len(b)-off)
		}
		props = append(props, property{name: string(name), value: b[off : off+int(v)]})
		off += int(v)
	}
	return props, nil
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isNameChar(c byte) bool {
	return isAlpha(c) || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '+'
}

// compatible is the ZMTP socket compatibility table (RFC 23 and 28). Unlike
// zmq4's IsCompatible it reports false for an unknown type instead of panicking.
func compatible(local, peer zmq4.SocketType) bool {
	var ok []zmq4.SocketType
	switch local {
	case zmq4.Pair:
		ok = []zmq4.SocketType{zmq4.Pair}
	case zmq4.Pub, zmq4.XPub:
		ok = []zmq4.SocketType{zmq4.Sub, zmq4.XSub}
	case zmq4.Sub, zmq4.XSub:
		ok = []zmq4.SocketType{zmq4.Pub, zmq4.XPub}
	case zmq4.Req:
		ok = []zmq4.SocketType{zmq4.Rep, zmq4.Router}
	case zmq4.Rep:
		ok = []zmq4.SocketType{zmq4.Req, zmq4.Dealer}
	case zmq4.Dealer:
		ok = []zmq4.SocketType{zmq4.Rep, zmq4.Dealer, zmq4.Router}
	case zmq4.Router:
		ok = []zmq4.SocketType{zmq4.Req, zmq4.Dealer, zmq4.Router}
	case zmq4.Pull:
		ok = []zmq4.SocketType{zmq4.Push}
	case zmq4.Push:
		ok = []zmq4.SocketType{zmq4.Pull}
	}
	for _, t := range ok {
		if t == peer {
			return true
		}
	}
	return false
}

// knownType reports whether typ is a socket type zmq4 knows.
func knownType(typ zmq4.SocketType) bool {
	switch typ {
	case zmq4.Pair, zmq4.Pub, zmq4.Sub, zmq4.XPub, zmq4.XSub, zmq4.Req, zmq4.Rep,
		zmq4.Dealer, zmq4.Router, zmq4.Pull, zmq4.Push:
		return true
	}
	return false
}

// frameLimiter follows the frame headers of a byte stream fed to it in
// arbitrary pieces and fails as soon as a header would take the current
// multipart message past max bytes (each frame costing its size plus
// frameOverhead). It never allocates.
//
// With subscriber set it guards a PUB socket, which only ever receives
// subscriptions: every message must be a single, non-empty data frame whose
// first byte is 0 (unsubscribe) or 1 (subscribe), and max bounds the total
// over the connection's life. zmq4's PUB queues anything else (commands
// included) for a Recv that a publisher never calls; once its 10 slots are
// full, the reader of every connection sending more blocks for ever, holding
// the connection and the message.
type frameLimiter struct {
	max        uint64
	subscriber bool
	hdr        [9]byte
	nhdr       int
	body       uint64 // body bytes still to pass before the next header
	first      bool   // subscriber: the next body byte is a frame's first
	total      uint64 // cost so far of the message being received
}

// scan advances over p. After a non-nil error the limiter must not be used.
func (l *frameLimiter) scan(p []byte) error {
	for len(p) > 0 {
		if l.body > 0 {
			if l.first {
				if p[0] > 1 {
					return fmt.Errorf("%w: message starts with %#02x", errNotTopic, p[0])
				}
				l.first = false
			}
			k := min(l.body, uint64(len(p)))
			l.body -= k
			p = p[k:]
			continue
		}
		l.hdr[l.nhdr] = p[0]
		l.nhdr++
		p = p[1:]
		h, n := parseFrameHeader(l.hdr[:l.nhdr])
		if n == 0 {
			continue
		}
		l.nhdr = 0
		if h.size > l.max || h.size+frameOverhead > l.max-l.total {
			return fmt.Errorf("%w: frame of %d bytes after %d, limit %d", errFrameSize, h.size, l.total, l.max)
		}
		if l.subscriber {
			switch {
			case h.command():
				return fmt.Errorf("%w: a command", errNotTopic)
			case h.more():
				return fmt.Errorf("%w: a multipart message", errNotTopic)
			case h.size == 0:
				return fmt.Errorf("%w: an empty message", errNotTopic)
			}
			l.first = true
		}
		l.total += h.size + frameOverhead
		if !h.more() && !l.subscriber {
			l.total = 0
		}
		l.body = h.size
	}
	return nil
}

// newFrameLimiter returns the limiter for connections to a local socket of
// type local.
func newFrameLimiter(local zmq4.SocketType, maxMessage int64) frameLimiter {
	if local == zmq4.Pub {
		return frameLimiter{max: maxSubscriptionBytes, subscriber: true}
	}
	return frameLimiter{max: uint64(maxMessage)}
}
