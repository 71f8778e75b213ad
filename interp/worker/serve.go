package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/interp"
)

// Evaluator is the Go session, as the worker process serves it.
//
// Execute is called for one cell at a time. Complete and Inspect may be
// called while a cell runs, from other goroutines: the session does its own
// locking.
type Evaluator interface {
	// Execute runs a cell. ctx is cancelled when the kernel interrupts it;
	// Execute must then return even if the cell's code is blocked, as
	// yaegi's ExecuteWithContext does. A Host.Stdin read interrupted so
	// returns its error only after Execute has returned, so that no more of
	// the cell runs.
	Execute(ctx context.Context, req interp.ExecuteRequest) interp.ExecuteResult
	Complete(code string, cursor int) interp.Completion
	Inspect(code string, cursor, detail int) interp.Inspection
}

// Host is what the worker process gives the session.
type Host struct {
	// Stdout and Stderr are fds 1 and 2, pipes read by the kernel. Whatever
	// is written to them reaches the front end, in order with results and
	// displays.
	Stdout, Stderr *os.File
	// Stdin is standard input: fmt.Scan and os.Stdin should read it. It
	// asks the front end for a line whenever a Read finds no buffered data,
	// and its Prompt method asks for one line with a prompt, or a password.
	Stdin *Stdin
	// Display publishes display data after the output written before it.
	Display func(interp.DisplayData)
	// Comm sends a cell's comm message to the front end, after the output
	// written before it.
	Comm func(interp.CommMessage)
	// Logger sends log records to the kernel's log.
	Logger *slog.Logger
}

// maxStack bounds a goroutine's stack in the worker. Runaway recursion in a
// cell then ends in "fatal error: stack overflow" after about 2 s instead of
// the 10 s it takes to fill Go's default 1 GB; an interpreted call needs a
// few hundred bytes, so 256 MB still allows recursion several 100,000 deep.
const maxStack = 256 << 20

// workerNice is the worker's scheduling niceness (0 is the default, 19 the
// lowest priority).
const workerNice = 10

// stopGrace is how long Main lets a running cell react to cancellation when
// the kernel goes away, before it returns anyway.
const stopGrace = 2 * time.Second

// Main serves the kernel that started this process and returns the exit code.
// The hidden worker subcommand calls it and exits with its result:
//
//	os.Exit(worker.Main(session.New))
//
// The process must have been started by a [Supervisor]: commands on fd 3,
// events on fd 4. Main ignores SIGINT: interrupts arrive as commands. It
// bounds goroutine stacks to maxStack and runs at a lower priority than the
// kernel.
func Main(newEvaluator func(Host) (Evaluator, error)) int {
	signal.Ignore(os.Interrupt)
	debug.SetMaxStack(maxStack)
	if err := lowerPriority(); err != nil {
		fmt.Fprintf(os.Stderr, "gokernel worker: cannot lower my priority: %v\n", err)
	}
	cmds, events := os.NewFile(3, "commands"), os.NewFile(4, "events")
	for i, f := range []*os.File{cmds, events} {
		if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			fmt.Fprintf(os.Stderr, "gokernel worker: fd %d is not the kernel's %s pipe: the worker is started by the kernel, not by hand\n", 3+i, f.Name())
			return 2
		}
		closeOnExec(3 + i)
	}
	s := &server{
		cmds:   bufio.NewReader(cmds),
		events: events,
		stdout: os.Stdout,
		stderr: os.Stderr,
		cells:  make(map[uint64]context.CancelCauseFunc),
	}
	return s.serve(newEvaluator)
}

// server is the worker side of the protocol.
type server struct {
	cmds           *bufio.Reader
	stdout, stderr *os.File
	log            *slog.Logger
	stdin          *Stdin
	ids            atomic.Uint64 // input request IDs

	emu    sync.Mutex // serialises events, and markers with them
	events *os.File
	prefix []byte
	seq    uint64

	mu         sync.Mutex                         // guards the cells' state
	cells      map[uint64]context.CancelCauseFunc // read and not yet returned, by ID
	cellCtx    context.Context                    // the running cell's
	cellDone   chan struct{}                      // closed when the running cell has returned
	allowStdin bool
}

// queuedCell is an execute command with the context the cell will run
// under. The context is made when the command is read, not when the cell
// starts, so that an interrupt that arrives in between is not lost.
type queuedCell struct {
	m      *message
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// errInterrupted is the cause of a cell context cancelled by an interrupt.
var errInterrupted = errors.New("interrupted")

func (s *server) serve(newEvaluator func(Host) (Evaluator, error)) int {
	hello, err := readMessage(s.cmds)
	if err == nil && hello.Kind != cmdHello {
		err = fmt.Errorf("first command is %s, not hello", hello.Kind)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gokernel worker: %v\n", err)
		return 2
	}
	s.prefix = markerPrefix(hello.Token)
	s.log = slog.New(slog.NewTextHandler(logWriter{s}, nil))
	s.stdin = &Stdin{s: s, replies: make(chan *message, 1)}

	ev, err := newEvaluator(Host{
		Stdout:  s.stdout,
		Stderr:  s.stderr,
		Stdin:   s.stdin,
		Display: s.display,
		Comm:    s.comm,
		Logger:  s.log,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "gokernel worker: start the session: %v\n", err)
		return 1
	}
	if err := s.emit(&message{Kind: evReady}, false); err != nil {
		fmt.Fprintf(os.Stderr, "gokernel worker: %v\n", err)
		return 1
	}

	// Cells run on their own goroutine, so that commands (an interrupt above
	// all) are read while one runs. It ends when execs is closed and the
	// last cell has returned.
	execs := make(chan queuedCell, 16)
	evalDone := make(chan struct{})
	go func() {
		defer close(evalDone)
		for c := range execs {
			s.execute(ev, c)
		}
	}()

	code := s.readCommands(ev, execs)
	close(execs)
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-evalDone:
	case <-t.C:
		s.log.Warn("the running cell ignores cancellation; exiting anyway")
	}
	return code
}

// readCommands handles commands until the kernel closes fd 3 or asks to shut
// down. Then it cancels the running and queued cells and returns the exit
// code.
func (s *server) readCommands(ev Evaluator, execs chan<- queuedCell) int {
	defer s.interrupt(0)
	for {
		m, err := readMessage(s.cmds)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0 // the kernel is gone or closed us
			}
			s.log.Error("bad command", "err", err)
			fmt.Fprintf(os.Stderr, "gokernel worker: %v\n", err)
			return 2
		}
		switch m.Kind {
		case cmdExecute:
			ctx, cancel := context.WithCancelCause(context.Background())
			s.mu.Lock()
			s.cells[m.ID] = cancel
			s.mu.Unlock()
			execs <- queuedCell{m: m, ctx: ctx, cancel: cancel}
		case cmdInterrupt:
			s.interrupt(m.ID)
		case cmdComplete:
			go s.complete(ev, m) // ends when the session answers
		case cmdInspect:
			go s.inspect(ev, m) // ends when the session answers
		case cmdComm:
			go s.deliverComm(ev, m) // ends when the session has handled it
		case cmdInput:
			s.stdin.deliver(m)
		case cmdShutdown:
			return 0
		default:
			s.log.Warn("unexpected command", "kind", m.Kind)
		}
	}
}

// interrupt cancels the cell with the given ID, running or queued, or every
// cell if id is 0.
func (s *server) interrupt(id uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for cell, cancel := range s.cells {
		if id == 0 || id == cell {
			cancel(errInterrupted)
		}
	}
}

func (s *server) execute(ev Evaluator, c queuedCell) {
	m, ctx := c.m, c.ctx
	defer c.cancel(nil)
	done := make(chan struct{})
	s.mu.Lock()
	s.cellCtx, s.cellDone, s.allowStdin = ctx, done, m.Execute.AllowStdin
	s.mu.Unlock()

	var res interp.ExecuteResult
	if ctx.Err() != nil {
		// Interrupted before it started: none of it may run.
		res = errorResult(interp.ErrNameInterrupted, "the cell was interrupted before it started", nil)
	} else {
		res = safeExecute(ctx, ev, *m.Execute)
	}

	s.mu.Lock()
	delete(s.cells, m.ID)
	s.cellCtx, s.cellDone, s.allowStdin = nil, nil, false
	s.mu.Unlock()
	close(done)
	if ctx.Err() != nil && res.Error != nil {
		res.Error.Name = interp.ErrNameInterrupted
	}
	err := s.emit(&message{Kind: evResult, ID: m.ID, Result: &res}, true)
	if errors.Is(err, ErrFrameTooLarge) {
		res = errorResult("ResultTooLarge", fmt.Sprintf("the cell's result cannot be shown: %v", err), nil)
		err = s.emit(&message{Kind: evResult, ID: m.ID, Result: &res}, true)
	}
	if err != nil {
		s.log.Error("result not sent", "err", err)
	}
}

// safeExecute runs a cell, turning a panic in the session itself (not in
// user code, which the session handles) into an error result rather than a
// lost session.
func safeExecute(ctx context.Context, ev Evaluator, req interp.ExecuteRequest) (res interp.ExecuteResult) {
	defer func() {
		if v := recover(); v != nil {
			res = errorResult("InternalError", fmt.Sprintf("the Go session failed: %v", v), []string{string(debug.Stack())})
		}
	}()
	return ev.Execute(ctx, req)
}

func (s *server) complete(ev Evaluator, m *message) {
	var c interp.Completion
	func() {
		defer s.recoverLog("complete")
		c = ev.Complete(m.Code, m.Cursor)
	}()
	if err := s.emit(&message{Kind: evCompletion, ID: m.ID, Completion: &c}, false); err != nil {
		s.log.Error("completion not sent", "err", err)
	}
}

func (s *server) inspect(ev Evaluator, m *message) {
	var in interp.Inspection
	func() {
		defer s.recoverLog("inspect")
		in = ev.Inspect(m.Code, m.Cursor, m.Detail)
	}()
	if err := s.emit(&message{Kind: evInspection, ID: m.ID, Inspection: &in}, false); err != nil {
		s.log.Error("inspection not sent", "err", err)
	}
}

// Commer is an Evaluator that takes comm messages from the front end. Comm
// returns an error wrapping interp.ErrNoCommTarget for a comm_open of a
// target nobody registered.
type Commer interface {
	Comm(m interp.CommMessage) error
}

// deliverComm hands a front end's comm message to the session and reports
// the outcome to the kernel.
func (s *server) deliverComm(ev Evaluator, m *message) {
	reply := &message{Kind: evCommDone, ID: m.ID}
	func() {
		// The callback is the user's code: they see its panic on stderr, as
		// they would a goroutine's, and the kernel gets an error.
		defer func() {
			if v := recover(); v != nil {
				stack := debug.Stack()
				s.log.Error("comm callback panicked", "panic", v, "stack", string(stack))
				fmt.Fprintf(s.stderr, "comm: a %s callback panicked: %v\n\n%s\n", m.Comm.Type, v, stack)
				reply.Err = fmt.Sprintf("the %s callback panicked: %v", m.Comm.Type, v)
			}
		}()
		c, ok := ev.(Commer)
		if !ok {
			reply.NoTarget, reply.Err = true, "the session takes no comms"
			return
		}
		if err := c.Comm(*m.Comm); err != nil {
			reply.NoTarget, reply.Err = errors.Is(err, interp.ErrNoCommTarget), err.Error()
		}
	}()
	if err := s.emit(reply, false); err != nil {
		s.log.Error("comm reply not sent", "err", err)
	}
}

// comm sends a cell's comm message, ordered with the output before it.
func (s *server) comm(m interp.CommMessage) {
	if err := s.emit(&message{Kind: evComm, Comm: &m}, true); err != nil {
		s.log.Error("comm not sent", "err", err)
		fmt.Fprintf(s.stderr, "comm: %v\n", err)
	}
}

func (s *server) recoverLog(what string) {
	if v := recover(); v != nil {
		s.log.Error("session panicked", "in", what, "panic", v, "stack", string(debug.Stack()))
	}
}

// display is Host.Display.
func (s *server) display(d interp.DisplayData) {
	if err := s.emit(&message{Kind: evDisplay, Display: &d}, true); err != nil {
		fmt.Fprintf(s.stderr, "display: %v\n", err)
	}
}

// emit sends an event. If synced, it first writes a sync marker to fds 1
// and 2, so the kernel handles the event after the output written before.
// An event too large to send gets no marker: the kernel would hold the
// output after it until the next event.
func (s *server) emit(m *message, synced bool) error {
	s.emu.Lock()
	defer s.emu.Unlock()
	if synced {
		m.Sync = s.seq + 1
	}
	frame, err := encodeFrame(m)
	if errors.Is(err, ErrFrameTooLarge) {
		return fmt.Errorf("%w; the kernel takes at most %d MiB in one message", err, maxFrame>>20)
	}
	if err != nil {
		return err
	}
	if synced {
		s.seq++
		mk := marker(s.prefix, s.seq)
		// A failed write means the user closed the fd; the kernel then sees
		// EOF on that pipe, which passes every marker.
		s.stdout.Write(mk)
		s.stderr.Write(mk)
	}
	if _, err := s.events.Write(frame); err != nil {
		return fmt.Errorf("worker: send %s: %w", m.Kind, err)
	}
	return nil
}

// cellState returns the running cell's context, a channel closed once it
// has returned, and whether it may read stdin; ctx is nil when no cell runs.
func (s *server) cellState() (ctx context.Context, done <-chan struct{}, allowStdin bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cellCtx, s.cellDone, s.allowStdin
}

// logWriter sends each write, one slog record, as a log event.
type logWriter struct{ s *server }

func (w logWriter) Write(p []byte) (int, error) {
	if err := w.s.emit(&message{Kind: evLog, Text: string(p)}, false); err != nil {
		return 0, err
	}
	return len(p), nil
}
