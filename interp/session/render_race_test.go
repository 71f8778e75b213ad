package session

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp"
)

// TestRenderWhileDeclaring renders a value of a cell's type, as
// display.Show does on a goroutine of an earlier cell or in a comm
// callback, while later cells declare types and methods: rendering must
// not touch what Execute changes, nor call into the interpreter. Run it
// with -race.
func TestRenderWhileDeclaring(t *testing.T) {
	s, _ := newDisplaySession(t)
	mustRun(t, s, `
type Card struct{ Name string; n int }
func (c Card) HTML() string { return "<b>" + c.Name + "</b>" }
c := Card{"k", 1}
`)
	s.mu.Lock()
	c := s.in.Globals()["c"].Interface()
	s.mu.Unlock()

	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan string, 1)
	for range 2 {
		wg.Go(func() {
			for !stop.Load() {
				d := s.render(c)
				if html, text := d.Data["text/html"], d.Data["text/plain"]; html != "<b>k</b>" || text != "{Name:k n:1}" {
					select {
					case errs <- fmt.Sprintf("render: html %q, text %q", html, text):
					default:
					}
					return
				}
			}
		})
	}
	for i := range 30 {
		// Each its own shape, so that Card stays the only type with its
		// runtime type.
		mustRun(t, s, fmt.Sprintf("type T%d struct{ F%d int; n string }\nfunc (x T%[1]d) HTML() string { return \"t\" }\nvar v%[1]d T%[1]d", i, i))
	}
	stop.Store(true)
	wg.Wait()
	select {
	case e := <-errs:
		t.Error(e)
	default:
	}
}

// TestShowFromGoroutineWhileDeclaring is the same through display.Show
// on a goroutine of a cell. The goroutine uses only its arguments: one
// reading a package-level variable would race, inside yaegi, with the
// later cells.
func TestShowFromGoroutineWhileDeclaring(t *testing.T) {
	s, d := newDisplaySession(t)
	mustRun(t, s, `
type Card struct{ Name string }
func (c Card) HTML() string { return "<b>" + c.Name + "</b>" }
func spin(stop, done chan struct{}) {
	defer close(done)
	for {
		select {
		case <-stop:
			return
		default:
			display.Show(Card{"k"})
		}
	}
}
stop, done := make(chan struct{}), make(chan struct{})
go spin(stop, done)
`)
	for i := range 30 {
		mustRun(t, s, fmt.Sprintf("type T%d struct{ F%d int }\nfunc (x T%[1]d) HTML() string { return \"t\" }", i, i))
	}
	mustRun(t, s, "close(stop)\n<-done")
	shown := d.take()
	if len(shown) == 0 {
		t.Fatal("nothing shown")
	}
	for _, m := range shown {
		if m.Data["text/html"] != "<b>k</b>" {
			t.Fatalf("shown %v, want Card's HTML", m.Data)
		}
	}
}

// TestRenderAfterInterrupt: yaegi stops the functions compiled before an
// interrupt, the display methods the session compiled among them; they
// are compiled again.
func TestRenderAfterInterrupt(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector does not see the session wait for the interrupted cell (see TestInterrupt)")
	}
	s, _ := newDisplaySession(t)
	mustRun(t, s, "type Card struct{ Name string }\nfunc (c Card) HTML() string { return \"<b>\" + c.Name + \"</b>\" }\nCard{\"a\"}")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if res := s.Execute(ctx, interp.ExecuteRequest{Code: "<-make(chan int)"}); res.Error == nil || res.Error.Name != interp.ErrNameInterrupted {
		t.Fatalf("error %+v, want an interrupt", res.Error)
	}
	if res := mustRun(t, s, `Card{"b"}`); res.Result.Data["text/html"] != "<b>b</b>" {
		t.Errorf("after an interrupt: %v, want Card's HTML", res.Result.Data)
	}
}
