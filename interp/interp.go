// Package interp defines what the kernel asks of a Go session: the [Executor]
// interface and the plain data types that cross it.
//
// The package holds no implementation and imports neither yaegi nor ZeroMQ, so
// the kernel can depend on it without learning how Go code is evaluated. The
// executor used in production lives in [github.com/gokernel/gokernel/interp/worker]:
// it runs user code in a separate worker process.
package interp

import (
	"context"
	"errors"
)

// Executor evaluates cells for the kernel.
//
// Execute, Complete and Inspect may be called concurrently with each other;
// an implementation serialises what must be serialised. Cancelling the context
// passed to Execute interrupts the running cell: Execute then returns promptly
// with an error result named [ErrNameInterrupted].
type Executor interface {
	// Execute runs one cell. Output produced while it runs (and output of
	// goroutines that outlive it, until the next Execute) is delivered to out.
	// Execute returns when the cell has finished and all of its output has
	// been delivered to out.
	Execute(ctx context.Context, req ExecuteRequest, out Output) ExecuteResult

	// Complete answers a complete_request for code with the cursor at
	// cursor, a position counted in Unicode code points.
	Complete(ctx context.Context, code string, cursor int) (Completion, error)

	// Inspect answers an inspect_request. detail is 0 or 1.
	Inspect(ctx context.Context, code string, cursor, detail int) (Inspection, error)

	// IsComplete tells whether code is ready to run, as is_complete_request
	// asks. It does not run anything.
	IsComplete(code string) Completeness

	// Comm delivers a front end's comm_open, comm_msg or comm_close to the
	// session. For a comm_open whose target no cell registered it returns
	// an error wrapping [ErrNoCommTarget].
	Comm(ctx context.Context, m CommMessage) error

	// Restart discards the session's state and starts a fresh one.
	Restart(ctx context.Context) error

	// Close stops the session and releases everything it holds (processes,
	// pipes, files). Close is safe to call more than once.
	Close() error
}

// Output receives what a cell produces. The kernel implements it by publishing
// on iopub (and asking on stdin) with the cell's request as the parent.
//
// An executor calls the methods of one Output from one goroutine at a time.
type Output interface {
	// Stream delivers text written to stdout or stderr; name is "stdout" or
	// "stderr".
	Stream(name, text string)

	// Display publishes display_data, or update_display_data when d.Update.
	Display(d DisplayData)

	// ClearOutput publishes clear_output.
	ClearOutput(wait bool)

	// Comm publishes a comm message a cell sent (comm_open, comm_msg or
	// comm_close).
	Comm(m CommMessage)

	// Input asks the front end for a line of input (input_request on stdin)
	// and returns the reply. It returns an error wrapping [ErrNoStdin] when
	// the request did not allow stdin, and ctx.Err() when ctx ends first.
	Input(ctx context.Context, prompt string, password bool) (string, error)
}

// ExecuteRequest is the part of an execute_request the session needs.
type ExecuteRequest struct {
	Code            string
	Silent          bool
	StoreHistory    bool
	AllowStdin      bool
	UserExpressions map[string]string
}

// ExecuteResult is the outcome of one cell.
type ExecuteResult struct {
	// Result is the value of the cell's last expression, rendered, or nil
	// when the cell has no value.
	Result *MIMEBundle

	// Error is set when the cell failed. Result is then nil.
	Error *Error

	// UserExpressions holds one entry per requested user expression, each
	// either {"status":"ok","data":…,"metadata":…} or an error object as
	// the messaging spec describes.
	UserExpressions map[string]any

	// Payload is the execute_reply payload list (for example a pager page).
	Payload []map[string]any
}

// MIMEBundle is the data/metadata pair of execute_result and display_data.
type MIMEBundle struct {
	Data      map[string]any `json:"data"`
	Metadata  map[string]any `json:"metadata"`
	Transient map[string]any `json:"transient,omitempty"`
}

// DisplayData is one display_data, update_display_data or clear_output
// message.
type DisplayData struct {
	MIMEBundle
	// Update makes it an update_display_data message; Transient must then
	// carry the display_id to update.
	Update bool `json:"update,omitempty"`
	// Clear makes it a clear_output message instead, waiting for the next
	// output before clearing when Wait is set; the bundle is ignored.
	Clear bool `json:"clear,omitempty"`
	Wait  bool `json:"wait,omitempty"`
}

// Error names and describes a failed cell, as the error message and the
// error execute_reply carry it.
type Error struct {
	Name      string   `json:"ename"`
	Value     string   `json:"evalue"`
	Traceback []string `json:"traceback"`
}

func (e *Error) Error() string { return e.Name + ": " + e.Value }

// Well-known error names.
const (
	// ErrNameInterrupted names the error of a cell stopped by an interrupt.
	ErrNameInterrupted = "Interrupted"
	// ErrNameSessionLost names the error of a cell whose worker died; the
	// session was restarted and earlier state is gone.
	ErrNameSessionLost = "SessionRestarted"
)

// Completion is a complete_reply's content.
type Completion struct {
	Matches     []string       `json:"matches"`
	CursorStart int            `json:"cursor_start"`
	CursorEnd   int            `json:"cursor_end"`
	Metadata    map[string]any `json:"metadata"`
}

// Inspection is an inspect_reply's content.
type Inspection struct {
	Found    bool           `json:"found"`
	Data     map[string]any `json:"data"`
	Metadata map[string]any `json:"metadata"`
}

// Completeness is an is_complete_reply's content.
type Completeness struct {
	// Status is one of "complete", "incomplete", "invalid" or "unknown".
	Status string `json:"status"`
	// Indent is set when Status is "incomplete".
	Indent string `json:"indent,omitempty"`
}

// CommMessage is the content of a comm_open, comm_msg or comm_close, in
// either direction.
type CommMessage struct {
	Type     string         `json:"type"` // "comm_open", "comm_msg" or "comm_close"
	CommID   string         `json:"comm_id"`
	Target   string         `json:"target_name,omitempty"` // comm_open only
	Data     map[string]any `json:"data"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

// ErrNoCommTarget is returned by [Executor.Comm] for a comm_open whose
// target no cell registered.
var ErrNoCommTarget = errors.New("no such comm target")

// ErrNoStdin is returned by [Output.Input] when the front end does not accept
// input requests.
var ErrNoStdin = errNoStdin{}

type errNoStdin struct{}

func (errNoStdin) Error() string { return "the front end does not accept input (allow_stdin is false)" }
