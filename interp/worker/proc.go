package worker

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/interp"
)

// Tuning knobs of the kernel side.
const (
	// Stream text is delivered in batches: batchInterval after the first
	// text of a burst, so that interactive output shows at once, then at
	// intervals that double while the output goes on, up to
	// maxBatchInterval (ipykernel's flush interval), so that a long burst
	// makes few messages. A batch goes earlier once batchMax is buffered.
	batchInterval    = 50 * time.Millisecond
	maxBatchInterval = 200 * time.Millisecond
	batchMax         = 64 << 10
	// reportHold is how long stderr text that looks like the start of a
	// crash report is held back, waiting for the worker to die.
	reportHold = 500 * time.Millisecond
	// waitDelay bounds how long, after the worker exited, its pipes may stay
	// open (held by a grandchild) before the kernel closes them.
	waitDelay = 2 * time.Second
	// eventsGrace is how long the worker may live on once its event pipe
	// has ended. A dying process closes its fds a moment before it exits;
	// one still running after that closed the pipe itself, can send no
	// result any more, and is killed.
	eventsGrace = time.Second
)

// proc is one worker process and what serves it in the kernel process: an
// event reader, two stream readers, a waiter and the pump, which alone calls
// the current Output. All of them end once the process has exited and its
// pipes are drained (or closed after waitDelay); done is closed last.
type proc struct {
	log    *slog.Logger
	cmd    *exec.Cmd
	prefix []byte // sync marker prefix

	wmu  sync.Mutex
	cmdw *os.File // commands, fd 3 in the worker

	rmu     sync.Mutex
	replies map[uint64]chan *message // by request ID

	attachc chan attachment
	ready   chan struct{} // closed by the ready event
	life    context.Context
	endLife context.CancelFunc // called once Wait has returned
	drained chan struct{}      // closed when all three readers have ended
	done    chan struct{}      // closed when everything is delivered
	killed  atomic.Bool        // ended by the supervisor, not a crash

	// gmu orders killing the process group with reaping the worker, after
	// which its pid, the group's ID, may be reused. reaping is set just
	// before the worker is reaped where awaitExit can tell of its exit, and
	// just after elsewhere.
	gmu     sync.Mutex
	reaping bool // the group must be left alone

	// Written before life ends (waitErr), before the event reader ends
	// (failure) or before done closes (report, startupText); read after.
	waitErr     error
	failure     string // why the supervisor killed a worker that broke the protocol
	report      string
	startupText string // stderr written before ready with no cell attached
}

// attachment makes out the Output of the proc's pump. cell is the ID of the
// execute about to be sent (0 for none) and ctx its context; note is written
// to out's stderr first.
type attachment struct {
	out  interp.Output
	ctx  context.Context
	cell uint64
	note string
}

// startProc starts a worker process. It does not wait for it to be ready.
func startProc(cfg *Config, log *slog.Logger) (*proc, error) {
	var tok [tokenLen / 2]byte
	rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])

	var files []io.Closer // every pipe end, closed on failure
	pipe := func() (r, w *os.File, err error) {
		r, w, err = os.Pipe()
		if err == nil {
			files = append(files, r, w)
		}
		return r, w, err
	}
	streamPipe := func() (r streamReader, w *os.File, err error) {
		r, w, err = newStreamPipe()
		if err == nil {
			files = append(files, r, w)
		}
		return r, w, err
	}
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	cmdR, cmdW, err1 := pipe()
	evR, evW, err2 := pipe()
	outR, outW, err3 := streamPipe()
	errR, errW, err4 := streamPipe()
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		closeAll()
		return nil, fmt.Errorf("worker: start: %w", err)
	}

	cmd := exec.Command(cfg.Path, cfg.Args...)
	if cfg.Name != "" {
		cmd.Args[0] = cfg.Name
	}
	cmd.Env = cfg.Env
	cmd.Dir = cfg.Dir
	cmd.Stdout = outW
	cmd.Stderr = errW
	cmd.ExtraFiles = []*os.File{cmdR, evW} // fds 3 and 4
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, fmt.Errorf("worker: start: %w", err)
	}
	// The worker holds its ends now; ours must go so that EOF means it is gone.
	for _, f := range []*os.File{cmdR, evW, outW, errW} {
		f.Close()
	}

	life, endLife := context.WithCancel(context.Background())
	p := &proc{
		log:     log.With("pid", cmd.Process.Pid),
		cmd:     cmd,
		prefix:  markerPrefix(token),
		cmdw:    cmdW,
		replies: make(map[uint64]chan *message),
		attachc: make(chan attachment),
		ready:   make(chan struct{}),
		life:    life,
		endLife: endLife,
		drained: make(chan struct{}),
		done:    make(chan struct{}),
	}
	events := make(chan *message, 16)
	outc, errc := make(chan chunk, 16), make(chan chunk, 16)
	hurry := [2]chan struct{}{make(chan struct{}, 1), make(chan struct{}, 1)}
	go p.readEvents(evR, events)
	go readStream(outR, stdout, p.prefix, outc, hurry[stdout], life.Done())
	go readStream(errR, stderr, p.prefix, errc, hurry[stderr], life.Done())
	go p.wait(evR, outR, errR) // the stream readers close outR and errR
	go p.pump(events, outc, errc, hurry)

	if err := p.send(&message{Kind: cmdHello, Token: token}); err != nil {
		p.kill()
		return nil, err
	}
	p.log.Debug("worker started")
	return p, nil
}

// send writes one command to the worker. A command too large to send fails
// with an error wrapping ErrFrameTooLarge.
func (p *proc) send(m *message) error {
	frame, err := encodeFrame(m)
	if err != nil {
		return err
	}
	return p.write(m.Kind, frame)
}

// write writes one encoded command of kind k to the worker.
func (p *proc) write(k kind, frame []byte) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if _, err := p.cmdw.Write(frame); err != nil {
		return fmt.Errorf("worker: send %s: %w", k, err)
	}
	return nil
}

// call registers a reply channel for id; the caller must call p.forget(id).
func (p *proc) call(id uint64) <-chan *message {
	ch := make(chan *message, 1)
	p.rmu.Lock()
	p.replies[id] = ch
	p.rmu.Unlock()
	return ch
}

func (p *proc) forget(id uint64) {
	p.rmu.Lock()
	delete(p.replies, id)
	p.rmu.Unlock()
}

// resolve hands m to whoever waits for a reply to m.ID, if anyone.
func (p *proc) resolve(m *message) {
	p.rmu.Lock()
	ch := p.replies[m.ID]
	delete(p.replies, m.ID)
	p.rmu.Unlock()
	if ch != nil {
		ch <- m // buffered, and resolved at most once
	} else {
		p.log.Debug("reply nobody waits for", "kind", m.Kind, "id", m.ID)
	}
}

// attach makes a the pump's current Output. It fails if the pump has ended.
func (p *proc) attach(a attachment) bool {
	select {
	case p.attachc <- a:
		return true
	case <-p.done:
		return false
	}
}

// alive reports whether the process has not exited yet.
func (p *proc) alive() bool { return p.life.Err() == nil }

// kill ends the process and its process group. It does not wait.
func (p *proc) kill() {
	p.killed.Store(true)
	p.signal()
}

// fail kills a worker that broke the protocol; why is the cause the user is
// told. Only the event reader calls it.
func (p *proc) fail(why string) {
	p.log.Error("worker broke the protocol; killing it", "why", why)
	p.failure = why
	p.signal()
}

// signal kills the process and its group.
func (p *proc) signal() {
	p.gmu.Lock()
	if !p.reaping {
		killGroup(p.cmd.Process)
	}
	p.gmu.Unlock()
	// Process.Kill is safe after Wait; the group kill above is not, as the
	// pid may be reused.
	p.cmd.Process.Kill()
}

// cause says why the worker ended, for the user, with the traceback of the
// runtime's crash report if it crashed. Call it once done is closed.
func (p *proc) cause() (string, []string) {
	// A failure is the cause only if the kill is what ended the worker: one
	// whose pipes closed as it exited on its own, but was slow to be reaped,
	// died of what its report or exit status says.
	if p.failure != "" && p.cmd.ProcessState != nil && p.cmd.ProcessState.ExitCode() == -1 {
		return p.failure, nil
	}
	return crashSummary(p.report, p.waitErr)
}

// waitReady waits for the worker's ready event. If the worker ends first,
// the error gives the cause and what the worker wrote to stderr.
func (p *proc) waitReady(ctx context.Context) error {
	select {
	case <-p.ready: // even if it has died since: that is a crash, not this
		return nil
	default:
	}
	select {
	case <-p.ready:
		return nil
	case <-p.done:
		select {
		case <-p.ready: // ready, then died before done was checked
			return nil
		default:
		}
		cause, _ := p.cause()
		msg := fmt.Sprintf("worker: the Go session could not start (%s)", cause)
		if said := strings.TrimSpace(p.startupText); said != "" {
			msg += ": " + said
		}
		return errors.New(msg)
	case <-ctx.Done():
		return fmt.Errorf("worker: waiting for the Go session to start: %w", context.Cause(ctx))
	}
}

// wait reaps the process, then closes the event pipe once the readers are
// done with it, or after waitDelay if a grandchild keeps the pipes open,
// and then stops the stream readers too.
//
// What a cell started dies with the worker, even when the worker exits on
// its own: its process group is killed once it has exited and before it is
// reaped, while its pid cannot be reused yet. Where the system cannot tell
// of the exit without reaping, the group is left alone then.
func (p *proc) wait(events *os.File, streams ...streamReader) {
	if awaitExit(p.cmd.Process.Pid) {
		p.gmu.Lock()
		killGroup(p.cmd.Process)
		p.reaping = true
		p.gmu.Unlock()
	}
	p.waitErr = p.cmd.Wait()
	p.gmu.Lock()
	p.reaping = true
	p.gmu.Unlock()
	p.endLife()
	p.log.Debug("worker exited", "status", exitDescription(p.waitErr))
	t := time.NewTimer(waitDelay)
	select {
	case <-p.drained:
		t.Stop()
	case <-t.C:
		p.log.Warn("worker output still open after it exited; closing it")
	}
	events.Close()
	for _, r := range streams {
		r.Stop()
	}
	p.cmdw.Close()
}

// readEvents decodes events from r. Replies and logs are handled here; events
// ordered with the output go to the pump. A broken frame means the protocol
// is out of step, and a worker that lives on without its event pipe cannot
// send a result: either way the worker is killed.
func (p *proc) readEvents(r *os.File, events chan<- *message) {
	defer close(events)
	br := bufio.NewReader(r)
	for {
		m, err := readMessage(br)
		if err != nil {
			switch {
			case !isEOF(err):
				p.fail(fmt.Sprintf("it sent a broken event: %v", err))
			case !errors.Is(err, os.ErrClosed): // closed by wait: it has exited
				p.eventsEnded()
			}
			return
		}
		switch m.Kind {
		case evReady:
			select {
			case <-p.ready:
			default:
				close(p.ready)
			}
		case evLog:
			p.log.Info("worker log", "record", m.Text)
		case evCompletion, evInspection, evCommDone:
			p.resolve(m)
		case evResult, evDisplay, evInputReq, evComm:
			events <- m
		default:
			p.log.Warn("unexpected event from worker", "kind", m.Kind)
		}
	}
}

// eventsEnded kills the worker if it is still running eventsGrace after its
// event pipe ended.
func (p *proc) eventsEnded() {
	t := time.NewTimer(eventsGrace)
	defer t.Stop()
	select {
	case <-p.life.Done():
	case <-t.C:
		p.fail("it closed its event pipe (fd 4), so it could not send results")
	}
}

func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrClosed)
}
