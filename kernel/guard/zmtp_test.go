package guard

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/go-zeromq/zmq4"
)

// greeting returns a 64-byte greeting with the given fields.
func greeting(major byte, mech string, asServer byte) []byte {
	g := serverGreeting
	g[10] = major
	clear(g[12:32])
	copy(g[12:32], mech)
	g[32] = asServer
	return g[:]
}

// readyBody returns a READY command body holding the given name/value pairs.
func readyBody(kv ...string) []byte {
	b := append([]byte{5}, "READY"...)
	return append(b, props(kv...)...)
}

func props(kv ...string) []byte {
	var b []byte
	for i := 0; i+1 < len(kv); i += 2 {
		b = append(b, byte(len(kv[i])))
		b = append(b, kv[i]...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(kv[i+1])))
		b = append(b, kv[i+1]...)
	}
	return b
}

// command returns a complete command frame (header and body).
func command(body []byte) []byte {
	if len(body) > 255 {
		return append(binary.BigEndian.AppendUint64([]byte{flagCommand | flagLong}, uint64(len(body))), body...)
	}
	return append([]byte{flagCommand, byte(len(body))}, body...)
}

func TestCheckGreeting(t *testing.T) {
	zmtp2 := make([]byte, 12)
	zmtp2[0], zmtp2[9], zmtp2[10], zmtp2[11] = 0xFF, 0x7F, 1, 5
	tests := []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"ours", serverGreeting[:], true},
		{"ZMTP 3.1", func() []byte { g := greeting(3, "NULL", 0); g[11] = 1; return g }(), true},
		{"ZMTP 4", greeting(4, "NULL", 0), true},
		{"prefix of a good greeting", serverGreeting[:11], true},
		{"empty", nil, true},
		{"trailing bytes ignored", append(greeting(3, "NULL", 0), 0xAA), true},
		{"libzmq signature with length field", func() []byte { g := greeting(3, "NULL", 0); g[8] = 1; return g }(), true},
		{"HTTP", []byte("GET / HTTP/1.1\r\n"), false},
		{"bad footer", []byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7E}, false},
		{"ZMTP 2.0", zmtp2, false},
		{"ZMTP 1.0", []byte{0x01, 0x00}, false},
		{"CURVE", greeting(3, "CURVE", 0), false},
		{"PLAIN prefix", greeting(3, "PLAIN", 0)[:14], false},
		{"NULL with trailing garbage", greeting(3, "NULLX", 0), false},
		{"as-server", greeting(3, "NULL", 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkGreeting(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("checkGreeting = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, errGreeting) {
				t.Errorf("error %v does not wrap errGreeting", err)
			}
		})
	}
}

func TestParseFrameHeader(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		wantN int
		want  frameHeader
	}{
		{"empty", nil, 0, frameHeader{}},
		{"one byte", []byte{0}, 0, frameHeader{}},
		{"short", []byte{flagMore, 7, 1}, 2, frameHeader{flags: flagMore, size: 7}},
		{"long partial", []byte{flagLong, 0, 0, 0}, 0, frameHeader{}},
		{"long", []byte{flagLong, 0x40, 0, 0, 0, 0, 0, 0, 0}, 9, frameHeader{flags: flagLong, size: 1 << 62}},
		{"long max", []byte{flagLong | flagCommand, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 9, frameHeader{flags: flagLong | flagCommand, size: 1<<64 - 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, n := parseFrameHeader(tt.in)
			if n != tt.wantN || h != tt.want {
				t.Fatalf("parseFrameHeader = %+v, %d; want %+v, %d", h, n, tt.want, tt.wantN)
			}
		})
	}
}

func TestCheckReadyHeader(t *testing.T) {
	tests := []struct {
		name string
		h    frameHeader
		ok   bool
	}{
		{"command", frameHeader{flags: flagCommand, size: 30}, true},
		{"long command", frameHeader{flags: flagCommand | flagLong, size: maxReadySize}, true},
		{"message frame", frameHeader{flags: 0, size: 30}, false},
		{"more", frameHeader{flags: flagCommand | flagMore, size: 30}, false},
		{"reserved bits", frameHeader{flags: flagCommand | 0x80, size: 30}, false},
		{"too large", frameHeader{flags: flagCommand | flagLong, size: maxReadySize + 1}, false},
		{"2^63-1", frameHeader{flags: flagCommand | flagLong, size: 1<<63 - 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := checkReadyHeader(tt.h); (err == nil) != tt.ok {
				t.Fatalf("checkReadyHeader = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestCheckReady(t *testing.T) {
	truncated := readyBody("Socket-Type", "DEALER")
	truncated = append(truncated, 8, 'I', 'd', 'e', 'n', 't', 'i', 't', 'y', 0, 0) // value length cut short
	tests := []struct {
		name  string
		local zmq4.SocketType
		body  []byte
		want  error // nil: accepted
	}{
		{"dealer", zmq4.Router, readyBody("Socket-Type", "DEALER", "Identity", ""), nil},
		{"req to router", zmq4.Router, readyBody("Socket-Type", "REQ"), nil},
		{"sub", zmq4.Pub, readyBody("Socket-Type", "SUB"), nil},
		{"req to rep", zmq4.Rep, readyBody("Identity", "abc", "Socket-Type", "REQ"), nil},
		{"lower-case name", zmq4.Router, readyBody("socket-type", "DEALER"), nil},
		{"extra property", zmq4.Router, readyBody("Socket-Type", "DEALER", "X-Foo", "bar"), nil},
		{"empty body", zmq4.Router, nil, errReady},
		{"no properties", zmq4.Router, readyBody(), errReady},
		{"empty socket type", zmq4.Router, readyBody("Socket-Type", ""), errPeerType},
		{"unknown socket type", zmq4.Router, readyBody("Socket-Type", "BOGUS"), errPeerType},
		{"lower-case value", zmq4.Router, readyBody("Socket-Type", "dealer"), errPeerType},
		{"pub to router", zmq4.Router, readyBody("Socket-Type", "PUB"), errPeerType},
		{"dealer to pub", zmq4.Pub, readyBody("Socket-Type", "DEALER"), errPeerType},
		{"upper-case name zmq4 cannot see", zmq4.Router, readyBody("SOCKET-TYPE", "DEALER"), errReady},
		{"socket type twice", zmq4.Router, readyBody("Socket-Type", "DEALER", "Socket-Type", "PUB"), errReady},
		{"zero-length name", zmq4.Router, append(readyBody("Socket-Type", "DEALER"), 0, 0, 0, 0, 0), errReady},
		{"truncated value length", zmq4.Router, truncated, errReady},
		{"value longer than body", zmq4.Router, append(readyBody(), 11, 'S', 'o', 'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e', 0xFF, 0, 0, 0), errReady},
		{"name longer than body", zmq4.Router, append(readyBody(), 200, 'a'), errReady},
		{"non-ASCII name", zmq4.Router, readyBody("Socket-Type", "DEALER", "\u017focket-Type", "PUB"), errReady},
		{"identity too long", zmq4.Router, readyBody("Socket-Type", "DEALER", "Identity", string(make([]byte, 256))), errReady},
		{"other command", zmq4.Router, append([]byte{4, 'P', 'I', 'N', 'G'}, props("Socket-Type", "DEALER")...), errReady},
		{"command name too long", zmq4.Router, []byte{9, 'R', 'E', 'A', 'D', 'Y'}, errReady},
		{"zero-length command name", zmq4.Router, []byte{0}, errReady},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkReady(tt.local, tt.body)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("checkReady = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCompatible(t *testing.T) {
	tests := []struct {
		local, peer zmq4.SocketType
		want        bool
	}{
		{zmq4.Router, zmq4.Dealer, true},
		{zmq4.Router, zmq4.Req, true},
		{zmq4.Router, zmq4.Router, true},
		{zmq4.Router, zmq4.Sub, false},
		{zmq4.Pub, zmq4.Sub, true},
		{zmq4.Pub, zmq4.XSub, true},
		{zmq4.Pub, zmq4.Pub, false},
		{zmq4.Rep, zmq4.Req, true},
		{zmq4.Rep, zmq4.Dealer, true},
		{zmq4.Rep, zmq4.Router, false},
		{zmq4.Router, "", false},
		{"BOGUS", zmq4.Dealer, false},
	}
	for _, tt := range tests {
		if got := compatible(tt.local, tt.peer); got != tt.want {
			t.Errorf("compatible(%q, %q) = %v, want %v", tt.local, tt.peer, got, tt.want)
		}
		// Our table must agree with zmq4's wherever zmq4 does not panic.
		if knownType(tt.peer) && knownType(tt.local) {
			if got := tt.peer.IsCompatible(tt.local); got != tt.want {
				t.Errorf("zmq4 says %q.IsCompatible(%q) = %v, we say %v", tt.peer, tt.local, got, tt.want)
			}
		}
	}
}

func TestFrameLimiter(t *testing.T) {
	long := func(flags byte, size uint64) []byte {
		return binary.BigEndian.AppendUint64([]byte{flags | flagLong}, size)
	}
	tests := []struct {
		name   string
		max    uint64
		stream []byte
		ok     bool
	}{
		{"small frames", 1000, []byte{0, 3, 'a', 'b', 'c', flagMore, 0, 0, 1, 'x'}, true},
		{"at the limit", 100 + frameOverhead, append([]byte{0, 100}, make([]byte, 100)...), true},
		{"over the limit", 99 + frameOverhead, []byte{0, 100}, false},
		{"2^62", 256 << 20, long(0, 1<<62), false},
		{"2^63-1", 256 << 20, long(0, 1<<63-1), false},
		{"2^64-1", 256 << 20, long(0, 1<<64-1), false},
		{"2^40", 256 << 20, long(flagCommand, 1<<40), false},
		{"multipart total over the limit", 2*(100+frameOverhead) - 1, append(append([]byte{flagMore, 100}, make([]byte, 100)...), flagMore, 100), false},
		{"total resets after last frame", 2 * (100 + frameOverhead), append(append(append(append([]byte{flagMore, 100}, make([]byte, 100)...), 0, 100), make([]byte, 100)...), 0, 100), true},
		{"empty-frame flood", 10 * frameOverhead, make([]byte, 2*20), true},
		{"empty-frame flood in one message", 10 * frameOverhead, func() []byte {
			b := make([]byte, 2*20)
			for i := 0; i < len(b); i += 2 {
				b[i] = flagMore
			}
			return b
		}(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			whole := frameLimiter{max: tt.max}
			err := whole.scan(tt.stream)
			if (err == nil) != tt.ok {
				t.Fatalf("scan = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, errFrameSize) {
				t.Errorf("error %v does not wrap errFrameSize", err)
			}
			// Byte by byte, as a slow peer would deliver it, must agree.
			bytewise := frameLimiter{max: tt.max}
			var berr error
			for i := range tt.stream {
				if berr = bytewise.scan(tt.stream[i : i+1]); berr != nil {
					break
				}
			}
			if (berr == nil) != tt.ok {
				t.Fatalf("bytewise scan = %v, want ok=%v", berr, tt.ok)
			}
		})
	}
}

func TestSubscriberLimiter(t *testing.T) {
	repeat := func(msg []byte, n int) []byte { return bytes.Repeat(msg, n) }
	tests := []struct {
		name    string
		stream  []byte
		wantErr error // nil: accepted
	}{
		{"subscribe to all", []byte{0, 1, 1}, nil},
		{"subscribe and unsubscribe a topic", []byte{0, 4, 1, 'a', 'b', 'c', 0, 4, 0, 'a', 'b', 'c'}, nil},
		{"a Jupyter message", []byte{flagMore, 9, '<', 'I', 'D', 'S', '|', 'M', 'S', 'G', '>'}, errNotTopic},
		{"single frame, not a topic", []byte{0, 3, 'a', 'b', 'c'}, errNotTopic},
		{"empty message", []byte{0, 0}, errNotTopic},
		{"PING command", append([]byte{flagCommand, 7, 4}, "PING\x00\x00"...), errNotTopic},
		{"topic-looking command", []byte{flagCommand, 2, 1, 'A'}, errNotTopic},
		{"budget spent by many subscriptions", repeat([]byte{0, 2, 1, 'x'}, maxSubscriptionBytes/(2+frameOverhead)+1), errFrameSize},
		{"2^62", binary.BigEndian.AppendUint64([]byte{flagLong}, 1<<62), errFrameSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, step := range []int{len(tt.stream), 1} {
				l := newFrameLimiter(zmq4.Pub, DefaultMaxMessageSize)
				var err error
				for i := 0; i < len(tt.stream) && err == nil; i += step {
					err = l.scan(tt.stream[i:min(i+step, len(tt.stream))])
				}
				if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
					t.Fatalf("in pieces of %d: scan = %v, want %v", step, err, tt.wantErr)
				}
			}
		})
	}
	// Other socket types keep the per-message limit.
	if l := newFrameLimiter(zmq4.Router, 1000); l.subscriber || l.max != 1000 {
		t.Errorf("ROUTER limiter = %+v", l)
	}
}

func FuzzCheckGreeting(f *testing.F) {
	f.Add(serverGreeting[:])
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add(greeting(3, "CURVE", 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		err := checkGreeting(b)
		if err == nil && len(b) >= greetingLen {
			// Whatever we accept, zmq4's greeting check must accept too.
			if b[0] != 0xFF || b[9] != 0x7F || b[10] < 3 || trimNUL(b[12:32]) != "NULL" || b[32] > 1 {
				t.Fatalf("accepted a greeting zmq4 would refuse: %x", b[:greetingLen])
			}
		}
		// A prefix of an accepted greeting is accepted.
		if err == nil && len(b) > 0 && checkGreeting(b[:len(b)-1]) != nil {
			t.Fatalf("prefix refused but whole accepted: %x", b)
		}
	})
}

func FuzzCheckReady(f *testing.F) {
	f.Add(readyBody("Socket-Type", "DEALER", "Identity", "x"))
	f.Add(readyBody("socket-type", "SUB"))
	f.Add(readyBody())
	f.Add([]byte{5, 'R', 'E', 'A', 'D', 'Y', 1, 'a', 0, 0})
	locals := []zmq4.SocketType{zmq4.Router, zmq4.Pub, zmq4.Rep}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, local := range locals {
			if checkReady(local, body) != nil {
				continue
			}
			// What we accept, zmq4's own decoding must digest without
			// panicking, and must find a compatible peer type.
			md := make(zmq4.Metadata)
			if err := md.UnmarshalZMTP(body[1+int(body[0]):]); err != nil {
				t.Fatalf("zmq4 refuses properties we accepted: %v", err)
			}
			peer := zmq4.SocketType(md["Socket-Type"])
			if !knownType(peer) || !peer.IsCompatible(local) {
				t.Fatalf("zmq4 sees peer type %q for local %s", peer, local)
			}
		}
	})
}

func FuzzFrameLimiter(f *testing.F) {
	f.Add([]byte{0, 3, 'a', 'b', 'c'}, uint8(1))
	f.Add([]byte{flagLong, 0x40, 0, 0, 0, 0, 0, 0, 0}, uint8(3))
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8) {
		const max = 1 << 10
		sub := chunk&0x80 != 0
		whole := frameLimiter{max: max, subscriber: sub}
		werr := whole.scan(stream)
		pieces := frameLimiter{max: max, subscriber: sub}
		step := int(chunk)%16 + 1
		var perr error
		for i := 0; i < len(stream) && perr == nil; i += step {
			perr = pieces.scan(stream[i:min(i+step, len(stream))])
		}
		if (werr == nil) != (perr == nil) {
			t.Fatalf("whole: %v; in pieces of %d: %v", werr, step, perr)
		}
	})
}
