package exports

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/go-zeromq/zmq4"
)

func TestConstructorsAreWrapped(t *testing.T) {
	table := Symbols[zmq4Path]
	if table == nil {
		t.Fatalf("no %s table", zmq4Path)
	}
	for name := range table {
		if !strings.HasPrefix(name, "New") || name == "NewMsg" || strings.HasPrefix(name, "NewMsg") ||
			name == "NewProxy" || name == "NewQueue" {
			continue
		}
		s := table[name].Interface().(func(context.Context, ...zmq4.Option) zmq4.Socket)(context.Background())
		if got := reflect.TypeOf(s).String(); got != "*zmqcell.socket" {
			t.Errorf("%s returns a %s, want the cell wrapper", name, got)
		}
		s.Close()
	}
}
