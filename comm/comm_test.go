package comm

import (
	"errors"
	"sync"
	"testing"

	"github.com/gokernel/gokernel/interp"
)

func TestManager(t *testing.T) {
	var mu sync.Mutex
	var sent []interp.CommMessage
	m := NewManager(func(c interp.CommMessage) { mu.Lock(); sent = append(sent, c); mu.Unlock() })

	if err := m.Deliver(interp.CommMessage{Type: "comm_open", CommID: "a", Target: "nobody"}); !errors.Is(err, interp.ErrNoCommTarget) {
		t.Fatalf("open of an unknown target: %v", err)
	}
	var got []any
	m.Register("echo", func(c *Comm, data Data) {
		c.Send(Data{"hello": data["name"]})
		c.OnMsg(func(d Data) { got = append(got, d["x"]); c.Send(Data{"echo": d["x"]}) })
		c.OnClose(func(Data) { got = append(got, "closed") })
	})
	for _, msg := range []interp.CommMessage{
		{Type: "comm_open", CommID: "b", Target: "echo", Data: Data{"name": "go"}},
		{Type: "comm_msg", CommID: "b", Data: Data{"x": 1.0}},
		{Type: "comm_close", CommID: "b"},
	} {
		if err := m.Deliver(msg); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Deliver(interp.CommMessage{Type: "comm_msg", CommID: "b"}); err == nil {
		t.Error("message for a closed comm accepted")
	}
	if len(got) != 2 || got[0] != 1.0 || got[1] != "closed" {
		t.Errorf("callbacks saw %v", got)
	}

	c := m.Open("front", Data{"v": 1})
	c.Send(Data{"w": 2})
	c.Close(nil)
	c.Send(Data{"after": true}) // dropped: the comm is closed
	var kinds []string
	for _, s := range sent {
		kinds = append(kinds, s.Type)
	}
	want := []string{"comm_msg", "comm_msg", "comm_open", "comm_msg", "comm_close"}
	if len(kinds) != len(want) {
		t.Fatalf("sent %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("sent %v, want %v", kinds, want)
		}
	}
}
