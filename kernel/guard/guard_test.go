package guard

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

var serverTypes = []zmq4.SocketType{zmq4.Router, zmq4.Pub, zmq4.Rep}

// TestHostilePeers sends each input that crashes, stalls or leaks in an
// unguarded zmq4 v0.17.0 to guarded ROUTER, PUB and REP sockets. The server
// must close the connection, a good client must then get through, and the
// descriptor count must come back to where it was.
func TestHostilePeers(t *testing.T) {
	readyWith := func(p []byte) []byte { return append(serverGreeting[:], command(p)...) }
	rnd := make([]byte, 100)
	for i := range rnd {
		rnd[i] = byte(rand.N(256))
	}
	rnd[0] = 0xFF // get past the first byte, to be checked further in

	tests := []struct {
		name string
		// send is written as is; afterHandshake is written after a valid
		// handshake as the socket's normal peer.
		send, afterHandshake []byte
	}{
		{name: "HTTP request", send: []byte("GET / HTTP/1.1\r\nHost: kernel\r\n\r\n")},
		{name: "ZMTP 2.0 greeting", send: []byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 1, 5, 0, 0}},
		{name: "CURVE greeting", send: greeting(3, "CURVE", 0)},
		{name: "PLAIN greeting", send: greeting(3, "PLAIN", 1)},
		{name: "random bytes", send: rnd},
		{name: "READY without properties", send: readyWith(readyBody())},
		{name: "READY with empty Socket-Type", send: readyWith(readyBody("Socket-Type", ""))},
		{name: "READY with unknown Socket-Type", send: readyWith(readyBody("Socket-Type", "BOGUS"))},
		{name: "READY with zero-length property name", send: readyWith(append(readyBody(), 0, 0, 0, 0, 0))},
		{name: "READY with truncated value length", send: readyWith(append(readyBody(), 11, 'S', 'o', 'c', 'k', 'e', 't', '-', 'T', 'y'))},
		{name: "READY from incompatible PUSH", send: readyWith(readyBody("Socket-Type", "PUSH"))},
		{name: "READY as 2^63-1 byte command", send: append(serverGreeting[:], longHeader(flagCommand, 1<<63-1)...)},
		{name: "frame of 2^62 bytes", afterHandshake: longHeader(0, 1<<62)},
		{name: "frame of 2^63-1 bytes", afterHandshake: longHeader(0, 1<<63-1)},
		{name: "frame of 2^40 bytes", afterHandshake: longHeader(0, 1<<40)},
		{name: "frame of 2^34 bytes", afterHandshake: longHeader(0, 1<<34)},
		{name: "command of 2^62 bytes", afterHandshake: longHeader(flagCommand, 1<<62)},
	}

	g := newGuard(t, testConfig)
	for _, typ := range serverTypes {
		for _, tt := range tests {
			t.Run(string(typ)+"/"+tt.name, func(t *testing.T) {
				server, addr := bind(t, g, typ)
				base := fdCount()
				c := dial(t, addr)
				if tt.afterHandshake != nil {
					handshake(t, c, peerType[typ], "")
					if _, err := c.Write(tt.afterHandshake); err != nil {
						t.Fatal(err)
					}
				} else if _, err := c.Write(tt.send); err != nil {
					t.Fatal(err)
				}
				waitClosed(t, c, 2*time.Second)
				c.Close()
				waitFDs(t, base)
				goodClient(t, server, addr)
			})
		}
	}
}

// TestStalledHandshakes holds connections open that send nothing or a partial
// greeting: new clients must get through meanwhile, and the stalled ones must
// be closed at the handshake deadline.
func TestStalledHandshakes(t *testing.T) {
	tests := []struct {
		name string
		send []byte
	}{
		{"silent", nil},
		{"10-byte partial greeting", serverGreeting[:10]},
		{"greeting without READY", serverGreeting[:]},
		{"half a READY", append(serverGreeting[:], command(readyBody("Socket-Type", "DEALER"))[:8]...)},
	}
	cfg := testConfig
	cfg.HandshakeTimeout = time.Second
	g := newGuard(t, cfg)
	for _, typ := range serverTypes {
		for _, tt := range tests {
			t.Run(string(typ)+"/"+tt.name, func(t *testing.T) {
				server, addr := bind(t, g, typ)
				base := fdCount()
				start := time.Now()
				c := dial(t, addr)
				if _, err := c.Write(tt.send); err != nil {
					t.Fatal(err)
				}
				goodClient(t, server, addr)
				if time.Since(start) > cfg.HandshakeTimeout {
					t.Fatalf("good client took %v, longer than the handshake timeout", time.Since(start))
				}
				waitClosed(t, c, cfg.HandshakeTimeout+time.Second)
				c.Close()
				waitFDs(t, base+2) // the good client's connection may still be closing
			})
		}
	}
}

// TestHandshakeLimit fills every handshake slot: the next connection must be
// closed at once, and clients get through again once the slots free.
func TestHandshakeLimit(t *testing.T) {
	cfg := testConfig
	cfg.MaxHandshakes = 4
	g := newGuard(t, cfg)
	server, addr := bind(t, g, zmq4.Router)
	base := fdCount()
	var held []net.Conn
	for range cfg.MaxHandshakes {
		c := dial(t, addr)
		c.Write(serverGreeting[:5])
		held = append(held, c)
	}
	// The slots are taken asynchronously; keep knocking until refused.
	deadline := time.Now().Add(2 * time.Second)
	for {
		c := dial(t, addr)
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		var b [greetingLen + 1]byte
		_, err := c.Read(b[:])
		c.Close()
		if err != nil { // closed at once: no greeting was ever sent
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("excess connection neither greeted nor closed: %v", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("excess connections are still being served")
		}
	}
	for _, c := range held {
		c.Close()
	}
	waitFDs(t, base)
	goodClient(t, server, addr)
}

// TestChurn opens and closes 1000 connections, half of them mid-handshake.
func TestChurn(t *testing.T) {
	g := newGuard(t, testConfig)
	for _, typ := range serverTypes {
		t.Run(string(typ), func(t *testing.T) {
			server, addr := bind(t, g, typ)
			base := fdCount()
			for i := range 1000 {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				if i%2 == 1 {
					c.Write(serverGreeting[:i%greetingLen])
				}
				c.Close()
			}
			waitFDs(t, base)
			goodClient(t, server, addr)
		})
	}
}

// TestSlowSubscriber connects a SUB that never reads while the PUB floods:
// the guard must disconnect it at the write deadline, so a SUB that joins
// during the stall still subscribes and receives.
func TestSlowSubscriber(t *testing.T) {
	g := newGuard(t, testConfig)
	pub, addr := bind(t, g, zmq4.Pub)
	slow := dial(t, addr).(*net.TCPConn)
	slow.SetReadBuffer(4 << 10)
	handshake(t, slow, zmq4.Sub, "")
	if _, err := slow.Write([]byte{0, 1, 1}); err != nil { // subscribe to everything
		t.Fatal(err)
	}
	within(t, 2*time.Second, "subscription to reach the PUB", func() error {
		for len(pub.(zmq4.Topics).Topics()) == 0 {
			time.Sleep(5 * time.Millisecond) // polling a condition
		}
		return nil
	})
	big := bytes.Repeat([]byte{'x'}, 64<<10)
	for range 1000 { // 64 MiB, far beyond loopback socket buffers
		if err := pub.Send(zmq4.NewMsg(big)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := zmq4.NewSub(ctx, quiet)
	defer sub.Close()
	within(t, 10*time.Second, "SUB joining during the stall", func() error {
		if err := sub.Dial("tcp://" + addr); err != nil {
			return err
		}
		if err := sub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
			return err
		}
		return recvPublished(ctx, pub, sub, "marker")
	})
	waitClosed(t, slow, 5*time.Second)
}

// TestSlowRouterPeer stops reading on one DEALER while the ROUTER sends to
// it: the send must fail at the write deadline instead of blocking the
// ROUTER, and other peers must still be served.
func TestSlowRouterPeer(t *testing.T) {
	g := newGuard(t, testConfig)
	router, addr := bind(t, g, zmq4.Router)
	slow := dial(t, addr).(*net.TCPConn)
	slow.SetReadBuffer(4 << 10)
	handshake(t, slow, zmq4.Dealer, "slow")
	big := bytes.Repeat([]byte{'x'}, 64<<10)
	within(t, 10*time.Second, "sends to a peer that does not read to fail", func() error {
		for {
			if err := router.Send(zmq4.NewMsgFrom([]byte("slow"), big)); err != nil {
				return nil
			}
		}
	})
	waitClosed(t, slow, 5*time.Second)
	goodClient(t, router, addr)
}

// TestNew checks config validation and that transports coexist.
func TestNew(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"custom", Config{HandshakeTimeout: time.Second, MaxMessageSize: 1 << 20, MaxHandshakes: 1}, true},
		{"negative timeout", Config{WriteTimeout: -1}, false},
		{"tiny message size", Config{MaxMessageSize: 10}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("New = %v, want ok=%v", err, tt.ok)
			}
			if err == nil && g.cfg.HandshakeTimeout <= 0 {
				t.Errorf("defaults not applied: %+v", g.cfg)
			}
		})
	}
	a, b := newGuard(t, Config{}), newGuard(t, Config{})
	if a.Scheme() == b.Scheme() {
		t.Errorf("two transports share scheme %q", a.Scheme())
	}
}

func TestEndpoint(t *testing.T) {
	g := newGuard(t, Config{})
	s := g.Scheme()
	tests := []struct {
		typ  zmq4.SocketType
		in   string
		want string // "" means an error
	}{
		{zmq4.Router, "tcp://127.0.0.1:5555", s + "://ROUTER@127.0.0.1:5555"},
		{zmq4.Pub, "tcp://[::1]:0", s + "://PUB@[::1]:0"},
		{zmq4.Rep, "tcp://*:5555", s + "://REP@*:5555"},
		{zmq4.Router, "ipc:///tmp/kernel-shell", "ipc:///tmp/kernel-shell"},
		{zmq4.Router, "udp://127.0.0.1:5555", ""},
		{zmq4.Router, "127.0.0.1:5555", ""},
		{zmq4.Router, "tcp://127.0.0.1", ""},
		{"BOGUS", "tcp://127.0.0.1:5555", ""},
	}
	for _, tt := range tests {
		got, err := g.Endpoint(tt.typ, tt.in)
		if tt.want == "" && err == nil || tt.want != "" && (err != nil || got != tt.want) {
			t.Errorf("Endpoint(%s, %q) = %q, %v; want %q", tt.typ, tt.in, got, err, tt.want)
		}
	}
}

func TestAddr(t *testing.T) {
	g := newGuard(t, Config{})
	tests := []struct {
		in   string
		want string // "" means an error
	}{
		{"REP@*:", "REP@0.0.0.0:0"},
		{"ROUTER@:5555", "ROUTER@0.0.0.0:5555"},
		{"ROUTER@*:*", "ROUTER@0.0.0.0:0"},
		{"PUB@127.0.0.1:0", "PUB@127.0.0.1:0"},
		{"PUB@[::1]:*", "PUB@[::1]:0"},
		{"ROUTER@[::]:9000", "ROUTER@[::]:9000"},
		{"ROUTER@127.0.0.1", ""},     // no port
		{"127.0.0.1:5555", ""},       // no type
		{"BOGUS@127.0.0.1:5555", ""}, // unknown type
		{"ROUTER@[::1:5555", ""},     // unclosed bracket
		{"ROUTER@a:b:c", ""},         // too many colons
	}
	for _, tt := range tests {
		got, err := g.Addr(tt.in)
		if tt.want == "" && err == nil || tt.want != "" && (err != nil || got != tt.want) {
			t.Errorf("Addr(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
