package guard

import (
	"bytes"
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

const python = "/usr/bin/python3"

// pyClients connects libzmq DEALER, REQ and SUB sockets (pyzmq) to the
// addresses in argv and checks the echoes, a 1 MiB frame and a publication.
const pyClients = `
import sys, zmq
router, rep, pub = sys.argv[1:4]
ctx = zmq.Context()
def sock(kind, addr):
    s = ctx.socket(kind)
    s.setsockopt(zmq.RCVTIMEO, 5000)
    s.setsockopt(zmq.SNDTIMEO, 5000)
    s.setsockopt(zmq.LINGER, 0)
    s.connect("tcp://" + addr)
    return s
d = sock(zmq.DEALER, router)
for frames in ([b"hello"], [b"", b"<IDS|MSG>", b"", b"{}", b"", b"", b""], [b"x" * 300], [b"y" * (1 << 20)]):
    d.send_multipart(frames)
    got = d.recv_multipart()
    assert got == frames, ("dealer", [len(f) for f in got])
r = sock(zmq.REQ, rep)
r.send(b"ping")
assert r.recv() == b"ping"
s = sock(zmq.SUB, pub)
s.setsockopt(zmq.SUBSCRIBE, b"")
assert s.recv() == b"tick"
print("ok")
`

// TestLibzmqClients checks that real libzmq peers complete the handshake
// with guarded sockets, which needs the guard to send its greeting before
// libzmq sends the rest of its own.
func TestLibzmqClients(t *testing.T) {
	if err := exec.Command(python, "-c", "import zmq").Run(); err != nil {
		t.Skipf("pyzmq not available (%s -c 'import zmq': %v); install python3-zmq to run this test", python, err)
	}
	g := newGuard(t, testConfig)
	router, raddr := bind(t, g, zmq4.Router)
	rep, repAddr := bind(t, g, zmq4.Rep)
	pub, paddr := bind(t, g, zmq4.Pub)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Echo servers; each exits when its socket is closed at cleanup.
	go func() {
		for {
			m, err := router.Recv()
			if err != nil {
				return
			}
			router.SendMulti(m)
		}
	}()
	go func() {
		for {
			m, err := rep.Recv()
			if err != nil {
				return
			}
			rep.Send(m)
		}
	}()
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				pub.Send(zmq4.NewMsgString("tick"))
			}
		}
	}()

	cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
	defer ccancel()
	out, err := exec.CommandContext(cctx, python, "-c", pyClients, raddr, repAddr, paddr).CombinedOutput()
	if err != nil || !bytes.Equal(bytes.TrimSpace(out), []byte("ok")) {
		t.Fatalf("pyzmq clients: %v\n%s", err, out)
	}
}
