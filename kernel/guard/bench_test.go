package guard

import (
	"bytes"
	"context"
	"testing"

	"github.com/go-zeromq/zmq4"
)

// BenchmarkRoundTrip measures a zmq4 DEALER → ROUTER echo round trip of a
// 5-frame, 200-byte message (Jupyter-like) through plain zmq4 tcp and
// through the guard; the difference is the guard's added latency.
func BenchmarkRoundTrip(b *testing.B) {
	for _, bc := range []struct {
		name  string
		guard bool
	}{{"tcp", false}, {"guard", true}} {
		b.Run(bc.name, func(b *testing.B) {
			var g *Transport
			if bc.guard {
				g = newGuard(b, Config{})
			}
			router, addr := bind(b, g, zmq4.Router)
			go func() {
				for {
					m, err := router.Recv()
					if err != nil {
						return
					}
					router.SendMulti(m)
				}
			}()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			d := zmq4.NewDealer(ctx, quiet)
			defer d.Close()
			if err := d.Dial("tcp://" + addr); err != nil {
				b.Fatal(err)
			}
			frame := bytes.Repeat([]byte{'x'}, 40)
			msg := zmq4.NewMsgFrom(frame, frame, frame, frame, frame)
			b.ResetTimer()
			for b.Loop() {
				if err := d.SendMulti(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := d.Recv(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
