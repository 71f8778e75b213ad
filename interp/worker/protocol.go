package worker

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/gokernel/gokernel/interp"
)

// The pipe protocol. Each frame on fd 3 (commands, kernel → worker) and fd 4
// (events, worker → kernel) is a 4-byte big-endian length followed by that
// many bytes of one JSON-encoded [message].

// maxFrame bounds one frame. It is large enough for a cell's rich output (a
// plot as base64 PNG) and small enough that a corrupt length cannot make the
// reader allocate without bound.
const maxFrame = 64 << 20

// ErrFrameTooLarge is returned when a frame's length exceeds the maximum.
var ErrFrameTooLarge = errors.New("worker: frame too large")

// kind names a message.
type kind string

// Commands, sent by the kernel.
const (
	cmdHello     kind = "hello"     // first command: carries the sync token
	cmdExecute   kind = "execute"   // run a cell; ID names it
	cmdComplete  kind = "complete"  // ID names the request
	cmdInspect   kind = "inspect"   // ID names the request
	cmdInterrupt kind = "interrupt" // cancel the cell with ID
	cmdInput     kind = "input"     // reply to the input request with ID
	cmdShutdown  kind = "shutdown"  // stop serving and exit 0
	cmdComm      kind = "comm"      // a front end's comm message; ID names the request
)

// Events, sent by the worker.
const (
	evReady      kind = "ready"   // the evaluator is ready
	evResult     kind = "result"  // the cell with ID finished; Sync set
	evDisplay    kind = "display" // display data; Sync set
	evInputReq   kind = "input_request"
	evCompletion kind = "completion" // reply to complete ID
	evInspection kind = "inspection" // reply to inspect ID
	evLog        kind = "log"        // a log record from the worker
	evComm       kind = "cell_comm"  // a cell's comm message; Sync set
	evCommDone   kind = "comm_done"  // reply to comm ID; Err set when refused
)

// valid reports whether k is one of the kinds above.
func (k kind) valid() bool { return k.command() || k.event() }

// command reports whether k is one of the commands.
func (k kind) command() bool {
	switch k {
	case cmdHello, cmdExecute, cmdComplete, cmdInspect, cmdInterrupt, cmdInput, cmdShutdown, cmdComm:
		return true
	}
	return false
}

// event reports whether k is one of the events.
func (k kind) event() bool {
	switch k {
	case evReady, evResult, evDisplay, evInputReq, evCompletion, evInspection, evLog, evComm, evCommDone:
		return true
	}
	return false
}

// message is one frame's content. Which fields are set depends on Kind.
type message struct {
	Kind kind   `json:"kind"`
	ID   uint64 `json:"id,omitempty"`
	// Sync is the sequence number of the sync marker written to fds 1 and 2
	// just before the event was sent; 0 when the event is not ordered with
	// the output.
	Sync uint64 `json:"sync,omitempty"`

	Token string `json:"token,omitempty"` // hello

	Execute *interp.ExecuteRequest `json:"execute,omitempty"` // execute

	Code   string `json:"code,omitempty"`   // complete, inspect
	Cursor int    `json:"cursor,omitempty"` // complete, inspect
	Detail int    `json:"detail,omitempty"` // inspect

	Result     *interp.ExecuteResult `json:"result,omitempty"`     // result
	Display    *interp.DisplayData   `json:"display,omitempty"`    // display
	Completion *interp.Completion    `json:"completion,omitempty"` // completion
	Inspection *interp.Inspection    `json:"inspection,omitempty"` // inspection
	Comm       *interp.CommMessage   `json:"comm,omitempty"`       // comm (both ways)

	Prompt   string `json:"prompt,omitempty"`    // input_request
	Password bool   `json:"password,omitempty"`  // input_request
	Text     string `json:"text,omitempty"`      // input (the line), log (the record)
	Err      string `json:"err,omitempty"`       // input: why there is no line
	NoStdin  bool   `json:"no_stdin,omitempty"`  // input: the front end refused
	NoTarget bool   `json:"no_target,omitempty"` // comm_done: no such comm target
}

// encodeFrame returns m as one frame, length prefix included.
func encodeFrame(m *message) ([]byte, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("worker: encode %s: %w", m.Kind, err)
	}
	if len(body) > maxFrame {
		return nil, fmt.Errorf("%w: %s message of %d bytes (max %d)", ErrFrameTooLarge, m.Kind, len(body), maxFrame)
	}
	frame := make([]byte, 4+len(body))
	binary.BigEndian.PutUint32(frame, uint32(len(body)))
	copy(frame[4:], body)
	return frame, nil
}

// readMessage reads and decodes one frame from r. At a clean end of stream it
// returns io.EOF; a stream that ends inside a frame gives io.ErrUnexpectedEOF.
func readMessage(r io.Reader) (*message, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > maxFrame {
		return nil, fmt.Errorf("%w: length %d (max %d)", ErrFrameTooLarge, n, maxFrame)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("worker: read frame body: %w", err)
	}
	return decodeMessage(body)
}

// decodeMessage decodes and validates one frame body.
//
// The numbers in an event's untyped data (display data, results, a cell's
// comm messages) decode as json.Number: the kernel only passes them on, and
// json.Number encodes again exactly as it was sent, where a float64 would
// round an integer past 2^53. A command's comm data reaches the cell with
// float64 numbers, as encoding/json decodes them everywhere else: they are
// converted after the one decode (a second decode of every command would
// double the cost of each cell's source and input line).
func decodeMessage(body []byte) (*message, error) {
	m := new(message)
	if err := unmarshalNumbers(body, m); err != nil {
		return nil, fmt.Errorf("worker: decode frame: %w", err)
	}
	if !m.Kind.valid() {
		return nil, fmt.Errorf("worker: decode frame: unknown kind %q", m.Kind)
	}
	if m.Kind == cmdComm && m.Comm != nil {
		for _, tree := range []map[string]any{m.Comm.Data, m.Comm.Metadata} {
			if err := floatNumbers(tree); err != nil {
				return nil, fmt.Errorf("worker: decode frame: %w", err)
			}
		}
	}
	switch {
	case m.Kind == cmdExecute && m.Execute == nil:
		return nil, errors.New("worker: decode frame: execute without a request")
	case m.Kind == evResult && m.Result == nil:
		return nil, errors.New("worker: decode frame: result without a result")
	case m.Kind == evDisplay && m.Display == nil:
		return nil, errors.New("worker: decode frame: display without data")
	case m.Kind == evCompletion && m.Completion == nil:
		return nil, errors.New("worker: decode frame: completion without a reply")
	case m.Kind == evInspection && m.Inspection == nil:
		return nil, errors.New("worker: decode frame: inspection without a reply")
	case (m.Kind == cmdComm || m.Kind == evComm) && m.Comm == nil:
		return nil, errors.New("worker: decode frame: comm without a message")
	case m.Kind == cmdHello && !validToken(m.Token):
		return nil, fmt.Errorf("worker: decode frame: hello with bad token %q", m.Token)
	}
	return m, nil
}

// unmarshalNumbers is json.Unmarshal with json.Number for the numbers in
// interface values.
func unmarshalNumbers(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	err := d.Decode(v)
	if err == nil {
		if _, err := d.Token(); err != io.EOF {
			return errors.New("data after the JSON value")
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		// A body cut short is a corrupt frame, not the end of the stream,
		// which is what readMessage's callers take io.EOF to mean.
		return errors.New("unexpected end of JSON input")
	}
	return err
}

// Sync markers. Before an event that must follow the output written so far,
// the worker writes marker(token, seq) to fds 1 and 2, each in one write so
// that it is atomic on a pipe, and sends the event with Sync = seq.
const (
	tokenLen  = 32 // hex digits
	seqLen    = 16 // hex digits
	markerEnd = '\x00'
)

// markerPrefix is the fixed start of every marker of one worker.
func markerPrefix(token string) []byte { return []byte("\x00gokernel-sync:" + token + ":") }

// marker returns the complete marker for seq.
func marker(prefix []byte, seq uint64) []byte {
	b := append([]byte(nil), prefix...)
	b = fmt.Appendf(b, "%0*x", seqLen, seq)
	return append(b, markerEnd)
}

// parseSeq parses the seqLen hex digits that follow a marker prefix.
func parseSeq(b []byte) (uint64, bool) {
	if len(b) != seqLen {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b), 16, 64)
	return n, err == nil
}

func validToken(s string) bool {
	if len(s) != tokenLen {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// floatNumbers replaces, in place, the json.Number values in v (a decoded
// JSON object or array, or a value in one) by float64, as json.Unmarshal
// would have decoded them; a number beyond float64 is an error, as there.
func floatNumbers(v any) error {
	set := func(x any, put func(any)) error {
		if n, ok := x.(json.Number); ok {
			f, err := strconv.ParseFloat(string(n), 64)
			if err != nil {
				return fmt.Errorf("number %s: %w", n, err)
			}
			put(f)
			return nil
		}
		return floatNumbers(x)
	}
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if err := set(x, func(f any) { v[k] = f }); err != nil {
				return err
			}
		}
	case []any:
		for i, x := range v {
			if err := set(x, func(f any) { v[i] = f }); err != nil {
				return err
			}
		}
	}
	return nil
}
