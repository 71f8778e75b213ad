// Package exports gives cells the packages compiled into the kernel:
// [Symbols] is a yaegi symbol table that the session loads with
// Interpreter.Use, so a cell's import of one of these packages runs compiled
// code instead of interpreting its source.
//
// The tables are generated into package internal/extracted by `go generate`;
// to add a package, add a go:generate line there. Symbols is those tables,
// with zmq4's socket constructors replaced by the cell-friendly ones of
// package [zmqcell] (interruptible calls, endpoints that can be bound again
// when a cell is re-run, TCP listeners behind the guard transport).
//
// The zmq4 sockets of all cells of the process share one [zmqcell.Registry].
// The session tells it which cell runs with [EnterCell]; without that,
// sockets work but an interrupt does not stop a blocked Recv.
package exports

import (
	"context"
	"maps"
	"os"

	"github.com/gokernel/gokernel/interp/exports/internal/extracted"
	"github.com/gokernel/gokernel/interp/exports/zmqcell"
	yaegi "github.com/traefik/yaegi/interp"
)

// zmq4Path is the key of zmq4's table in Symbols.
const zmq4Path = "github.com/go-zeromq/zmq4/zmq4"

// Sockets tracks the zmq4 sockets that cells open. There is one per process,
// as there is one symbol table: a worker process serves one session.
var Sockets = zmqcell.New(os.Stderr)

// Symbols is the symbol table of every package compiled into the kernel for
// cells. It is built once, when the package is initialised, and must not be
// modified.
var Symbols = build()

// EnterCell tells the compiled-in packages that a cell with context ctx
// starts; cancelling ctx before exit is called interrupts their blocked
// calls. The session calls it around each cell:
//
//	defer exports.EnterCell(ctx)()
func EnterCell(ctx context.Context) (exit func()) {
	return Sockets.Enter(ctx)
}

func build() yaegi.Exports {
	syms := make(yaegi.Exports, len(extracted.Symbols))
	for path, table := range extracted.Symbols {
		syms[path] = maps.Clone(table)
	}
	for name, v := range Sockets.Constructors() {
		syms[zmq4Path][name] = v
	}
	return syms
}
