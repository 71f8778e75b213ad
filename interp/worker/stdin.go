package worker

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// Stdin is the worker's standard input, [Host.Stdin]. Reads and prompts
// become input requests to the front end of the running cell.
//
// Without input allowed (allow_stdin false, as nbconvert sends) or with no
// cell running, Read and Prompt say why on stderr and return io.EOF at once.
// An interrupt ends the wait: Read and Prompt then return an error, but only
// once the interrupted cell has returned, so no statement after the read
// runs. An empty reply is the end of input for Read (the front end has no
// other way to send it), and an empty line for Prompt. When the kernel has
// no line to send (the front end failed, or the input is too large for the
// pipe protocol), Read and Prompt say why on stderr and in their error.
type Stdin struct {
	s       *server
	mu      sync.Mutex // one request at a time; guards buf
	buf     []byte
	pending atomic.Uint64 // the input request waiting for its reply
	replies chan *message // capacity 1
}

// Read reads buffered input, or asks the front end for a line when there is
// none.
func (r *Stdin) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) == 0 {
		if len(p) == 0 {
			return 0, nil
		}
		line, err := r.ask("", false)
		if err != nil {
			return 0, err
		}
		if line == "" {
			return 0, io.EOF
		}
		r.buf = []byte(line + "\n")
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// Prompt asks the front end for one line, showing prompt; with password set,
// the front end hides what is typed. The line has no trailing newline. Input
// buffered for Read is left alone.
func (r *Stdin) Prompt(prompt string, password bool) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ask(prompt, password)
}

// ask sends one input request and waits for its reply. r.mu is held.
func (r *Stdin) ask(prompt string, password bool) (string, error) {
	ctx, done, allowed := r.s.cellState()
	switch {
	case ctx == nil:
		fmt.Fprintln(r.s.stderr, "stdin: no cell is running, so there is no input to read")
		return "", io.EOF
	case !allowed:
		fmt.Fprintln(r.s.stderr, "stdin: this cell cannot read input: the front end does not allow it (allow_stdin is false)")
		return "", io.EOF
	}

	select {
	case <-r.replies: // a stale reply left over from an abandoned request
	default:
	}
	id := r.s.ids.Add(1)
	r.pending.Store(id)
	defer r.pending.Store(0)
	if err := r.s.emit(&message{Kind: evInputReq, ID: id, Prompt: prompt, Password: password}, true); err != nil {
		return "", fmt.Errorf("stdin: %w", err)
	}
	for {
		select {
		case m := <-r.replies:
			if m.ID != id {
				continue // a reply to an earlier, abandoned request
			}
			switch {
			case m.NoStdin:
				fmt.Fprintf(r.s.stderr, "stdin: %s\n", m.Err)
				return "", io.EOF
			case m.Err != "":
				// Said on stderr too: fmt.Scan's error is often ignored.
				fmt.Fprintf(r.s.stderr, "stdin: %s\n", m.Err)
				return "", fmt.Errorf("stdin: %s", m.Err)
			}
			return m.Text, nil
		case <-ctx.Done():
			// Returning now would let the statements after the read run
			// before the interpreter notices the interrupt.
			<-done
			return "", fmt.Errorf("stdin: %w", context.Cause(ctx))
		}
	}
}

// deliver hands an input reply to the request waiting for it; a reply nobody
// waits for any more is dropped.
func (r *Stdin) deliver(m *message) {
	if m.ID == 0 || r.pending.Load() != m.ID {
		return
	}
	select {
	case r.replies <- m:
	default:
	}
}
