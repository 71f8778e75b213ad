// Package worker runs Go cells in a separate worker process, so that nothing
// a cell does (a panic in a goroutine, os.Exit, a fatal runtime error, a loop
// that ignores interrupts) can take the kernel down.
//
// In the kernel process, call [New] to start a worker; the [Supervisor] it
// returns implements [interp.Executor]. In the worker process, the hidden
// worker subcommand calls [Main] with a constructor for the session.
//
// The two processes talk over two pipes, fd 3 for commands and fd 4 for
// events, in length-prefixed JSON frames. The worker's stdout and stderr are
// pipes read by the kernel, so a dying worker's last words still arrive. Sync
// markers written to both keep output in order with results and displays.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/interp"
	"github.com/gokernel/gokernel/interp/frontend"
)

// Config describes how to start a worker process.
type Config struct {
	// Path is the executable to start: gokernel's own (/proc/self/exe on
	// Linux, so that a replaced binary does not change its workers).
	Path string
	// Name is the worker's argv[0], what ps shows; empty means Path.
	Name string
	// Args are the arguments after the program name, such as the hidden
	// subcommand: []string{"worker"}.
	Args []string
	// Env is the worker's environment. If nil, it inherits the kernel's.
	Env []string
	// Dir is the worker's working directory; empty means the kernel's.
	Dir string
	// Logger receives the supervisor's logs and the worker's. If nil,
	// slog.Default() is used.
	Logger *slog.Logger
	// InterruptGrace is how long a cell may ignore an interrupt before the
	// worker is killed and replaced. Zero means 2s.
	InterruptGrace time.Duration
}

// ErrClosed is returned by a Supervisor's methods after Close.
var ErrClosed = errors.New("worker: supervisor closed")

// Supervisor runs cells in a worker process and replaces the worker when it
// dies, is restarted, or ignores an interrupt. From the first cell on, it
// keeps a second worker started and ready, so a replacement is quick.
// Create one with [New].
type Supervisor struct {
	cfg Config
	log *slog.Logger
	ids atomic.Uint64 // request IDs, unique across workers

	run   sync.Mutex     // held by Execute and Restart: one at a time
	procs sync.WaitGroup // one per started worker, done when it is reaped

	mu     sync.Mutex // guards the fields below
	cur    *proc      // the session; nil only after a failed start
	spare  *proc      // started, ready or getting ready; may be nil
	closed bool
}

// Interface guard.
var _ interp.Executor = (*Supervisor)(nil)

// New starts a worker and returns without waiting for it to be ready: the
// session loads in the background while the kernel binds its sockets, and
// Execute, Complete, Inspect and Restart wait for it. New fails at once if
// the executable cannot be started; a worker that starts but cannot set up
// its session is reported by the first Execute. New returns ctx's cause if
// ctx has already ended; otherwise the workers' lifetimes are not bound to
// ctx: call Close.
//
// The spare worker is started after the first cell, not here: a kernel that
// is opened and never used holds one worker, and the spare's start-up does
// not compete for the CPU with the first worker's.
func New(ctx context.Context, cfg Config) (*Supervisor, error) {
	if cfg.Path == "" {
		return nil, errors.New("worker: Config.Path is empty")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("worker: start: %w", context.Cause(ctx))
	}
	if cfg.Env == nil {
		cfg.Env = os.Environ()
	}
	if cfg.InterruptGrace <= 0 {
		cfg.InterruptGrace = 2 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Supervisor{cfg: cfg, log: log.With("component", "worker")}
	p, err := s.start()
	if err != nil {
		return nil, err
	}
	s.cur = p
	return s, nil
}

// Execute runs a cell in the worker. If ctx ends first, the cell is
// interrupted; if it does not stop within Config.InterruptGrace, the worker
// is killed and replaced. If the worker dies, Execute returns an error named
// [interp.ErrNameSessionLost] that says why, and a fresh worker takes over.
// A cell too large for the pipe protocol fails without reaching the worker.
func (s *Supervisor) Execute(ctx context.Context, req interp.ExecuteRequest, out interp.Output) interp.ExecuteResult {
	s.run.Lock()
	defer s.run.Unlock()
	defer s.ensureSpare()
	// Encoded first: a cell that cannot be sent is the cell's error, not
	// the session's, and nothing needs undoing.
	id := s.ids.Add(1)
	frame, err := encodeFrame(&message{Kind: cmdExecute, ID: id, Execute: &req})
	switch {
	case errors.Is(err, ErrFrameTooLarge):
		msg := fmt.Sprintf("the cell cannot be sent to the Go session, which takes at most %d MiB in one message: %v", maxFrame>>20, err)
		return errorResult("CellTooLarge", msg, nil)
	case err != nil:
		return errorResult("InternalError", err.Error(), nil)
	}
	p, note, err := s.current(ctx)
	switch {
	case err != nil && ctx.Err() != nil && !errors.Is(err, ErrClosed):
		return errorResult(interp.ErrNameInterrupted, "the cell was interrupted while the Go session was starting", nil)
	case err != nil:
		return errorResult(interp.ErrNameSessionLost, err.Error(), nil)
	}
	if !p.attach(attachment{out: out, ctx: ctx, cell: id, note: note}) {
		return s.lost(p, nil)
	}
	replies := p.call(id)
	defer p.forget(id)
	if err := p.write(cmdExecute, frame); err != nil {
		s.log.Debug("execute not sent", "err", err)
		return s.lost(p, replies)
	}

	select {
	case m := <-replies:
		return cellResult(ctx, m)
	case <-p.done:
		return s.lost(p, replies)
	case <-ctx.Done():
	}

	if err := p.send(&message{Kind: cmdInterrupt, ID: id}); err != nil {
		s.log.Debug("interrupt not sent", "err", err)
	}
	t := time.NewTimer(s.cfg.InterruptGrace)
	defer t.Stop()
	select {
	case m := <-replies:
		return cellResult(ctx, m)
	case <-p.done:
		return s.lost(p, replies)
	case <-t.C:
	}

	s.log.Info("cell ignored the interrupt; restarting the worker", "grace", s.cfg.InterruptGrace)
	p.kill()
	<-p.done // its last output goes to out before we return
	msg := fmt.Sprintf("the cell did not stop within %v of the interrupt, so the Go session was restarted; variables from earlier cells are gone", s.cfg.InterruptGrace)
	if _, err := s.replace(p); err != nil {
		msg += fmt.Sprintf(" (and a new one could not be started: %v)", err)
	}
	return errorResult(interp.ErrNameInterrupted, msg, nil)
}

// Complete asks the worker for completions. It may run while a cell does.
func (s *Supervisor) Complete(ctx context.Context, code string, cursor int) (interp.Completion, error) {
	m, err := s.ask(ctx, &message{Kind: cmdComplete, Code: code, Cursor: cursor}, evCompletion)
	if err != nil {
		return interp.Completion{}, err
	}
	return *m.Completion, nil
}

// Inspect asks the worker about the name at the cursor. It may run while a
// cell does.
func (s *Supervisor) Inspect(ctx context.Context, code string, cursor, detail int) (interp.Inspection, error) {
	m, err := s.ask(ctx, &message{Kind: cmdInspect, Code: code, Cursor: cursor, Detail: detail}, evInspection)
	if err != nil {
		return interp.Inspection{}, err
	}
	return *m.Inspection, nil
}

// Comm delivers a front end's comm message to the session. A callback that
// panics makes it fail; the panic is also written to the cell's stderr.
func (s *Supervisor) Comm(ctx context.Context, c interp.CommMessage) error {
	m, err := s.ask(ctx, &message{Kind: cmdComm, Comm: &c}, evCommDone)
	if err != nil {
		return err
	}
	switch {
	case m.NoTarget:
		return fmt.Errorf("worker: %s: %w", m.Err, interp.ErrNoCommTarget)
	case m.Err != "":
		return fmt.Errorf("worker: comm: %s", m.Err)
	}
	return nil
}

// IsComplete tells whether code is ready to run. It runs in the kernel
// process and never touches the worker.
func (s *Supervisor) IsComplete(code string) interp.Completeness {
	return frontend.IsComplete(code)
}

// Restart replaces the worker with a fresh one and waits until it is ready.
func (s *Supervisor) Restart(ctx context.Context) error {
	s.run.Lock()
	defer s.run.Unlock()
	defer s.ensureSpare()
	s.mu.Lock()
	old := s.cur
	s.mu.Unlock()
	p, err := s.replace(old)
	if err != nil {
		return err
	}
	if old != nil {
		select {
		case <-old.done:
		case <-ctx.Done():
			return fmt.Errorf("worker: restart: %w", context.Cause(ctx))
		}
	}
	return p.waitReady(ctx)
}

// Close kills the workers, waits until they are reaped and their output is
// delivered, and releases the pipes. It is safe to call more than once;
// afterwards Execute returns an error result and the other methods ErrClosed.
func (s *Supervisor) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		for _, p := range []*proc{s.cur, s.spare} {
			if p != nil {
				p.kill()
			}
		}
		s.cur, s.spare = nil, nil
	}
	s.mu.Unlock()
	s.procs.Wait()
	return nil
}

// start starts a worker process and counts it in s.procs until it is reaped.
func (s *Supervisor) start() (*proc, error) {
	p, err := startProc(&s.cfg, s.log)
	if err != nil {
		return nil, err
	}
	s.procs.Add(1)
	go func() { // ends when the process is reaped and drained
		<-p.done
		s.procs.Done()
	}()
	return p, nil
}

// current returns the worker for the next cell, once it is ready. If the
// worker died between cells, it is replaced, and note says so to the user.
// If it could not start, the error says why, and the next call tries a new
// one. If ctx ends first, current returns an error wrapping its cause.
func (s *Supervisor) current(ctx context.Context) (p *proc, note string, err error) {
	s.mu.Lock()
	p, closed := s.cur, s.closed
	s.mu.Unlock()
	switch {
	case closed:
		return nil, "", ErrClosed
	case p == nil: // an earlier start failed; the user was told then
		if p, err = s.replace(nil); err != nil {
			return nil, "", err
		}
	}
	if err := p.waitReady(ctx); err != nil {
		if ctx.Err() == nil { // it died starting: forget it
			s.mu.Lock()
			if s.cur == p {
				s.cur = nil
			}
			s.mu.Unlock()
		}
		return nil, "", err
	}
	if p.alive() {
		return p, "", nil
	}
	<-p.done // its report is complete once it is drained
	cause, _ := p.cause()
	if p, err = s.replace(p); err != nil {
		return nil, "", err
	}
	if err := p.waitReady(ctx); err != nil {
		return nil, "", err
	}
	return p, fmt.Sprintf("The Go session had stopped (%s) and was restarted; variables from earlier cells are gone.\n", cause), nil
}

// replace kills old (if it has not died already) and makes the spare, or a
// new worker, the current one. It does not wait for it to be ready, and
// leaves starting a new spare to ensureSpare.
func (s *Supervisor) replace(old *proc) (*proc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old != nil {
		old.kill()
	}
	if s.closed {
		return nil, ErrClosed
	}
	next := s.spare
	s.spare = nil
	if next == nil || !next.alive() {
		if next != nil {
			next.kill()
		}
		var err error
		if next, err = s.start(); err != nil {
			s.cur = nil
			return nil, err
		}
	}
	s.cur = next
	return next, nil
}

// ensureSpare starts a spare worker if there is none. Execute and Restart
// call it when they are done, so that the spare's start-up follows the
// current worker's instead of competing with it, and is over by the time
// the spare is needed, unless cells crash in quick succession.
func (s *Supervisor) ensureSpare() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.spare != nil && s.spare.alive() {
		return
	}
	spare, err := s.start()
	if err != nil {
		s.log.Warn("no spare worker", "err", err)
	}
	s.spare = spare
}

// lost reports the death of p while it ran a cell, and replaces it. A result
// that arrived before the death still wins.
func (s *Supervisor) lost(p *proc, replies <-chan *message) interp.ExecuteResult {
	<-p.done
	select {
	case m := <-replies: // nil replies never yields
		s.replace(p)
		return *m.Result
	default:
	}
	cause, tb := p.cause()
	s.log.Info("worker died during a cell", "cause", cause)
	msg := fmt.Sprintf("the Go session died (%s); it was restarted, and variables from earlier cells are gone", cause)
	if _, err := s.replace(p); err != nil {
		msg += fmt.Sprintf(" (but a new one could not be started: %v)", err)
	}
	return errorResult(interp.ErrNameSessionLost, msg, tb)
}

// ask sends a request that gets one reply, of kind want.
func (s *Supervisor) ask(ctx context.Context, m *message, want kind) (*message, error) {
	s.mu.Lock()
	p, closed := s.cur, s.closed
	s.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if p == nil {
		return nil, fmt.Errorf("worker: %s: the Go session is not running", m.Kind)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("worker: %s: %w", m.Kind, context.Cause(ctx))
	}
	if err := p.waitReady(ctx); err != nil {
		return nil, err // it says what it waited for
	}
	if !p.alive() {
		return nil, fmt.Errorf("worker: %s: the Go session is not running", m.Kind)
	}
	m.ID = s.ids.Add(1)
	replies := p.call(m.ID)
	defer p.forget(m.ID)
	if err := p.send(m); err != nil {
		return nil, err
	}
	select {
	case r := <-replies:
		if r.Kind != want {
			return nil, fmt.Errorf("worker: %s: got a %s reply", m.Kind, r.Kind)
		}
		return r, nil
	case <-p.done:
		return nil, fmt.Errorf("worker: %s: the Go session died", m.Kind)
	case <-ctx.Done():
		return nil, fmt.Errorf("worker: %s: %w", m.Kind, context.Cause(ctx))
	}
}

// cellResult returns the result the worker sent. A cell that failed after
// its context ended failed because of the interrupt, whatever the error says
// (the front end may have been asked for input, and said "cancelled").
func cellResult(ctx context.Context, m *message) interp.ExecuteResult {
	res := *m.Result
	if ctx.Err() != nil && res.Error != nil {
		res.Error.Name = interp.ErrNameInterrupted
	}
	return res
}

func errorResult(name, value string, traceback []string) interp.ExecuteResult {
	if traceback == nil {
		traceback = []string{}
	}
	return interp.ExecuteResult{Error: &interp.Error{Name: name, Value: value, Traceback: traceback}}
}
