package worker

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gokernel/gokernel/interp"
)

// maxBacklog bounds the text a stream may buffer while it waits for an
// event (its text after a marker is held until the marker's event has been
// handled), or, on stderr, while it may be a crash report. Beyond it the
// pump stops reading that stream, the pipe fills and the worker's writes
// block.
const maxBacklog = 1 << 20

// pump delivers the worker's output and its ordered events (results,
// displays, input requests) to the current Output, in order, until the
// process has exited and every pipe is drained. It is the only goroutine
// that calls the Output, and it owns pumpState.
//
// hurry[i] asks the reader of stream i to read what the pipe holds now,
// rather than after its gulpWait: the pump sends on it when an event waits
// for a marker that the stream's reader has not passed yet.
func (p *proc) pump(events <-chan *message, outc, errc <-chan chunk, hurry [2]chan struct{}) {
	s := pumpState{p: p, ctx: context.Background(), lineStart: true, hurry: hurry, interval: batchInterval}
	s.timer = time.NewTimer(batchInterval)
	s.timer.Stop()
	s.hold = time.NewTimer(reportHold)
	s.hold.Stop()
	for !s.eof[stdout] || !s.eof[stderr] || events != nil {
		in := [2]<-chan chunk{outc, errc}
		for i := range in {
			if s.eof[i] || s.backlog(i) >= maxBacklog {
				in[i] = nil
			}
		}
		select {
		case c := <-in[stdout]:
			s.chunk(c)
		case c := <-in[stderr]:
			s.chunk(c)
		case m, ok := <-events:
			if !ok {
				events, s.noEvents = nil, true
				s.flush()
				continue
			}
			s.queue = append(s.queue, m)
		case a := <-p.attachc:
			s.flush()
			s.out, s.ctx, s.cell = a.out, a.ctx, a.cell
			if a.note != "" && s.out != nil {
				s.out.Stream("stderr", a.note)
			}
		case <-s.timer.C:
			s.armed = false
			s.flush()
		case <-s.hold.C:
			switch {
			case !p.alive(): // stderr is read to its end, held or not
			case isRuntimeReport(s.held) && s.backlog(stderr) < maxBacklog:
				// The runtime is still writing (a report on a huge stack
				// takes seconds); the process exits when it is done.
				s.hold.Reset(reportHold)
			default:
				// User text that looked like a crash report, or so much
				// of it that the worker's writes block: a runtime blocked
				// so could never finish its report and exit.
				s.release()
			}
		}
		s.drainQueue()
	}
	close(p.drained)
	<-p.life.Done()
	s.noEvents = true
	s.drainQueue()
	s.finish()
	close(p.done)
}

// pumpState is the pump goroutine's own state.
type pumpState struct {
	p    *proc
	out  interp.Output
	ctx  context.Context // the running cell's
	cell uint64          // the running cell, 0 when idle

	buf      [2]streamBuf
	seen     [2]uint64  // highest marker read per stream
	eof      [2]bool    // the stream has ended
	handled  uint64     // the last marker whose event has been handled
	noEvents bool       // the event pipe has ended
	queue    []*message // ordered events, waiting for their markers

	timer     *time.Timer // flushes buf when a batch is due
	armed     bool
	interval  time.Duration // the timer's current interval
	lastFlush time.Time     // when text was last delivered
	hurry     [2]chan struct{}
	startup   []byte // stderr text from before ready, with no cell attached

	held      []byte // a possible crash report held back from stderr
	heldExtra int    // bytes dropped from held after the worker exited
	hold      *time.Timer
	lineStart bool // the next stderr byte starts a line
}

// streamBuf is text read from one stream and not yet delivered, with the
// positions of the markers in it.
type streamBuf struct {
	data  []byte
	marks []mark
}

type mark struct {
	seq uint64
	off int // in data
}

func (s *pumpState) chunk(c chunk) {
	b := &s.buf[c.stream]
	if c.stream == stderr {
		s.stderrText(c.data)
		if c.synced {
			s.release() // the worker wrote a marker after it: it lives
		}
	} else {
		b.data = append(b.data, c.data...)
	}
	if c.synced {
		b.marks = append(b.marks, mark{c.seq, len(b.data)})
		s.seen[c.stream] = c.seq
	}
	if c.eof {
		s.eof[c.stream] = true
		s.seen[c.stream] = math.MaxUint64
	}
	switch {
	case len(b.data) >= batchMax || c.eof:
		s.flush()
	case !s.armed && len(b.data) > 0:
		s.arm()
	}
}

// arm starts the timer for the next batch. Text that arrives within one
// interval of the last delivery continues a burst, and the interval
// doubles, up to maxBatchInterval; after a pause it starts again at
// batchInterval.
func (s *pumpState) arm() {
	if time.Since(s.lastFlush) <= s.interval {
		s.interval = min(2*s.interval, maxBatchInterval)
	} else {
		s.interval = batchInterval
	}
	s.armed = true
	s.timer.Reset(s.interval)
}

// stderrText buffers stderr text, holding back what may be a crash report.
func (s *pumpState) stderrText(b []byte) {
	if len(b) == 0 {
		return
	}
	start := s.lineStart
	s.lineStart = b[len(b)-1] == '\n'
	if s.held == nil {
		i := reportStart(b, start)
		if i < 0 {
			s.buf[stderr].data = append(s.buf[stderr].data, b...)
			return
		}
		s.buf[stderr].data = append(s.buf[stderr].data, b[:i]...)
		b = b[i:]
		s.held = []byte{}
		s.hold.Reset(reportHold)
	}
	// All of it while the worker lives: it may be the user's output, and
	// the backlog bounds it. Once the worker has exited, nothing bounds
	// what a child still holding the pipe writes: keep maxReport, count
	// the rest.
	if !s.p.alive() {
		if room := max(maxReport-len(s.held), 0); len(b) > room {
			s.heldExtra += len(b) - room
			b = b[:room]
		}
	}
	s.held = append(s.held, b...)
}

// backlog returns how much text of stream i waits in the pump. Held stderr
// counts while the worker lives; once it has exited, stderr must be read to
// its end.
func (s *pumpState) backlog(i int) int {
	n := len(s.buf[i].data)
	if i == stderr && s.p.alive() {
		n += len(s.held)
	}
	return n
}

// release turns held text back into ordinary stderr output.
func (s *pumpState) release() {
	if s.held == nil {
		return
	}
	s.hold.Stop()
	s.buf[stderr].data = append(s.buf[stderr].data, s.held...)
	if s.heldExtra > 0 {
		s.buf[stderr].data = fmt.Appendf(s.buf[stderr].data, "\n... (%d more bytes)\n", s.heldExtra)
	}
	s.held, s.heldExtra = nil, 0
	if !s.armed {
		s.arm()
	}
}

// flush delivers the buffered text that precedes the first marker whose
// event has not been handled yet, never cutting a UTF-8 sequence unless the
// stream has ended.
func (s *pumpState) flush() {
	for i := range s.buf {
		b := &s.buf[i]
		limit := len(b.data)
		if !s.noEvents {
			for _, m := range b.marks {
				if m.seq > s.handled {
					limit = m.off
					break
				}
			}
		}
		n := limit
		if !s.eof[i] || limit < len(b.data) {
			n = completeUTF8(b.data[:limit])
		}
		if n > 0 {
			if s.out != nil {
				s.out.Stream(streamNames[i], string(b.data[:n]))
			} else {
				s.unattached(i, b.data[:n])
			}
			b.data = append(b.data[:0], b.data[n:]...)
			s.lastFlush = time.Now()
		}
		marks := b.marks[:0]
		for _, m := range b.marks {
			if m.seq > s.handled {
				m.off -= n
				marks = append(marks, m)
			}
		}
		b.marks = marks
	}
	if s.armed && len(s.buf[stdout].data) == 0 && len(s.buf[stderr].data) == 0 {
		s.timer.Stop()
		s.armed = false
	}
}

// maxStartupText bounds the start-up stderr kept for the error that says
// why a worker could not start.
const maxStartupText = 4 << 10

// unattached handles text that no cell is there to show. A worker that has
// not sent its ready event yet has no cell: its stderr is kept, as it says
// why the worker fails to start, if it does.
func (s *pumpState) unattached(stream int, text []byte) {
	select {
	case <-s.p.ready:
	default:
		if stream == stderr {
			n := min(len(text), maxStartupText-len(s.startup))
			s.startup = append(s.startup, text[:n]...)
		}
	}
	s.p.log.Debug("output with no cell to show it", "stream", streamNames[stream], "bytes", len(text))
}

// drainQueue handles the queued events whose preceding output has arrived:
// it delivers that output, then the event. While the first event waits for
// its marker, the readers that have not passed it are hurried.
func (s *pumpState) drainQueue() {
	for len(s.queue) > 0 {
		m := s.queue[0]
		if m.Sync != 0 {
			if s.seen[stdout] < m.Sync || s.seen[stderr] < m.Sync {
				for i, seen := range s.seen {
					if seen < m.Sync {
						select {
						case s.hurry[i] <- struct{}{}:
						default: // already asked
						}
					}
				}
				return
			}
			s.handled = m.Sync - 1
			s.flush()
			s.handled = m.Sync
		} else {
			s.flush()
		}
		s.queue = s.queue[1:]
		s.event(m)
	}
}

func (s *pumpState) event(m *message) {
	switch m.Kind {
	case evResult:
		if m.ID == s.cell {
			s.cell = 0
		}
		s.p.resolve(m)
	case evDisplay:
		if s.out != nil {
			s.out.Display(*m.Display)
		}
	case evComm:
		if s.out != nil {
			s.out.Comm(*m.Comm)
		}
	case evInputReq:
		reply := s.input(m)
		if reply == nil {
			return
		}
		err := s.p.send(reply)
		if errors.Is(err, ErrFrameTooLarge) {
			// The worker waits for a reply: tell it why there is no line.
			reply = &message{Kind: cmdInput, ID: m.ID, Err: fmt.Sprintf(
				"the input is %d bytes, over the %d MiB the Go session takes in one message", len(reply.Text), maxFrame>>20)}
			err = s.p.send(reply)
		}
		if err != nil {
			s.p.log.Debug("input reply not sent", "err", err)
		}
	}
}

// input asks the front end for the line the worker waits for. It ends early
// if the cell is interrupted or the worker dies, and then returns nil: no
// reply, as the worker's request ends with the cell (see Stdin). A reply
// could reach the worker before the interrupt and let the cell run on.
func (s *pumpState) input(m *message) *message {
	reply := &message{Kind: cmdInput, ID: m.ID}
	if s.out == nil || s.cell == 0 {
		reply.Err = "no cell is running"
		return reply
	}
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	stop := context.AfterFunc(s.p.life, cancel)
	defer stop()
	line, err := s.out.Input(ctx, m.Prompt, m.Password)
	switch {
	case ctx.Err() != nil:
		return nil
	case errors.Is(err, interp.ErrNoStdin):
		reply.NoStdin, reply.Err = true, err.Error()
	case err != nil:
		reply.Err = err.Error()
	default:
		reply.Text = line
	}
	return reply
}

// finish runs once the process has exited and its pipes are drained. It
// keeps the crash report for the supervisor and, when no cell was running
// to report the crash, writes it to the last cell's stderr.
func (s *pumpState) finish() {
	s.hold.Stop()
	s.timer.Stop()
	if s.p.killed.Load() {
		s.release()
	} else if s.held != nil {
		n := min(len(s.held), maxReport)
		s.p.report = string(s.held[:n])
		if extra := len(s.held) - n + s.heldExtra; extra > 0 {
			s.p.report += fmt.Sprintf("\n... (%d more bytes)\n", extra)
		}
	}
	s.flush()
	s.p.startupText = string(s.startup)
	if s.p.killed.Load() || s.cell != 0 || s.out == nil {
		return
	}
	cause, tb := s.p.cause()
	msg := fmt.Sprintf("\nThe Go session stopped between cells (%s).\n", cause)
	for _, l := range tb {
		msg += l + "\n"
	}
	msg += "It will be restarted; variables from earlier cells are gone.\n"
	s.out.Stream("stderr", msg)
}
