package kernel

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/gokernel/gokernel/wire"
)

// handler serves one request. Content is decoded by the handler itself, so a
// malformed content is that handler's clear error, not a crash.
type handler func(k *Kernel, req inbound) error

// The dispatch tables: msg_type → handler, one per channel. A type missing
// from a table is logged and dropped.
var (
	shellHandlers = map[string]handler{
		"kernel_info_request": (*Kernel).kernelInfoRequest,
		"execute_request":     (*Kernel).executeRequest,
		"is_complete_request": (*Kernel).isCompleteRequest,
		"complete_request":    (*Kernel).completeRequest,
		"inspect_request":     (*Kernel).inspectRequest,
		"history_request":     (*Kernel).historyRequest,
		"comm_info_request":   (*Kernel).commInfoRequest,
		"comm_open":           (*Kernel).commOpen,
		"comm_msg":            (*Kernel).commMsg,
		"comm_close":          (*Kernel).commClose,
		// Deprecated on shell since protocol 5.4, still sent by old clients.
		"shutdown_request": (*Kernel).shutdownRequest,
	}
	controlHandlers = map[string]handler{
		"kernel_info_request": (*Kernel).kernelInfoRequest,
		"shutdown_request":    (*Kernel).shutdownRequest,
		"interrupt_request":   (*Kernel).interruptRequest,
		"is_complete_request": (*Kernel).isCompleteRequest,
		"usage_request":       (*Kernel).usageRequest,
	}
)

// serve handles the requests of one channel, one at a time, until in closes.
func (k *Kernel) serve(in <-chan inbound, table map[string]handler) {
	for req := range in {
		k.dispatch(req, table)
	}
}

// dispatch runs one request's handler between busy and idle statuses. A
// handler that panics is a bug in the kernel: it is logged with its stack
// and the kernel goes on.
func (k *Kernel) dispatch(req inbound, table map[string]handler) {
	msgType := req.msg.Header.MsgType
	log := k.log.With("channel", req.via.ch.String(), "msg_type", msgType, "msg_id", req.msg.Header.MsgID)
	h, ok := table[msgType]
	if !ok {
		log.Warn("unknown message type: dropped")
		return
	}
	k.publish("status", req.msg, map[string]any{"execution_state": "busy"})
	defer k.publish("status", req.msg, map[string]any{"execution_state": "idle"})
	if req.bad != nil {
		if name, ok := strings.CutSuffix(msgType, "_request"); ok {
			k.replyError(req, name+"_reply", "BadRequest", req.bad)
		}
		return
	}
	defer func() {
		if r := recover(); r != nil {
			log.Error("handler panicked", "panic", r, "stack", string(debug.Stack()))
			// A request still gets its reply, or the front end waits forever.
			// (A panic after the handler replied sends a second one; that is
			// a bug either way, and a visible one.)
			if name, ok := strings.CutSuffix(msgType, "_request"); ok {
				k.replyError(req, name+"_reply", "KernelError", fmt.Errorf("the kernel failed on this request: %v", r))
			}
		}
	}()
	if err := h(k, req); err != nil {
		log.Warn("request failed", "err", err)
	}
}

// decodeContent unmarshals req's content into v, naming the request type in
// the error.
func decodeContent(req inbound, v any) error {
	if req.bad != nil {
		// A part of it is malformed: none of it is used.
		return fmt.Errorf("%s: %w", req.msg.Header.MsgType, req.bad)
	}
	if err := json.Unmarshal(req.msg.Content, v); err != nil {
		return fmt.Errorf("%s content: %w", req.msg.Header.MsgType, err)
	}
	return nil
}

// kernelInfo is the constant part of kernel_info_reply.
func kernelInfo(version string) map[string]any {
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	return map[string]any{
		"status":                 "ok",
		"protocol_version":       wire.ProtocolVersion,
		"implementation":         "gokernel",
		"implementation_version": version,
		"language_info": map[string]any{
			"name":               "go",
			"version":            goVersion,
			"mimetype":           "text/x-go",
			"file_extension":     ".go",
			"pygments_lexer":     "go",
			"codemirror_mode":    "go",
			"nbconvert_exporter": "script",
		},
		"banner": fmt.Sprintf("gokernel %s: Go %s in an interpreter (yaegi); state lives on from cell to cell", version, goVersion),
		"help_links": []map[string]string{
			{"text": "Go documentation", "url": "https://go.dev/doc/"},
			{"text": "Go standard library", "url": "https://pkg.go.dev/std"},
			{"text": "Effective Go", "url": "https://go.dev/doc/effective_go"},
		},
		"debugger": false,
		// Protocol 5.5's optional features; none of them (subshells, the
		// debugger) is implemented. See docs/display.md for why the
		// protocol version stays 5.3.
		"supported_features": []string{},
	}
}

func (k *Kernel) kernelInfoRequest(req inbound) error {
	k.reply(req, "kernel_info_reply", k.info)
	return nil
}

func (k *Kernel) isCompleteRequest(req inbound) error {
	var c struct {
		Code string `json:"code"`
	}
	if err := decodeContent(req, &c); err != nil {
		k.reply(req, "is_complete_reply", map[string]any{"status": "unknown"})
		return err
	}
	k.reply(req, "is_complete_reply", k.exec.IsComplete(c.Code))
	return nil
}

func (k *Kernel) completeRequest(req inbound) error {
	var c struct {
		Code      string `json:"code"`
		CursorPos int    `json:"cursor_pos"`
	}
	if err := decodeContent(req, &c); err != nil {
		k.replyError(req, "complete_reply", "BadRequest", err)
		return err
	}
	res, err := k.exec.Complete(context.Background(), c.Code, c.CursorPos)
	if err != nil {
		k.replyError(req, "complete_reply", "CompletionError", err)
		return err
	}
	if res.Matches == nil {
		res.Matches = []string{}
	}
	if res.Metadata == nil {
		res.Metadata = map[string]any{}
	}
	k.reply(req, "complete_reply", map[string]any{
		"status": "ok", "matches": res.Matches, "cursor_start": res.CursorStart,
		"cursor_end": res.CursorEnd, "metadata": res.Metadata,
	})
	return nil
}

func (k *Kernel) inspectRequest(req inbound) error {
	var c struct {
		Code        string `json:"code"`
		CursorPos   int    `json:"cursor_pos"`
		DetailLevel int    `json:"detail_level"`
	}
	if err := decodeContent(req, &c); err != nil {
		k.replyError(req, "inspect_reply", "BadRequest", err)
		return err
	}
	res, err := k.exec.Inspect(context.Background(), c.Code, c.CursorPos, c.DetailLevel)
	if err != nil {
		k.replyError(req, "inspect_reply", "InspectionError", err)
		return err
	}
	if res.Data == nil {
		res.Data = map[string]any{}
	}
	if res.Metadata == nil {
		res.Metadata = map[string]any{}
	}
	k.reply(req, "inspect_reply", map[string]any{
		"status": "ok", "found": res.Found, "data": res.Data, "metadata": res.Metadata,
	})
	return nil
}

func (k *Kernel) interruptRequest(req inbound) error {
	k.Interrupt()
	k.reply(req, "interrupt_reply", map[string]any{"status": "ok"})
	return nil
}

func (k *Kernel) shutdownRequest(req inbound) error {
	var c struct {
		Restart bool `json:"restart"`
	}
	if err := decodeContent(req, &c); err != nil {
		k.replyError(req, "shutdown_reply", "BadRequest", err)
		return err
	}
	content := map[string]any{"status": "ok", "restart": c.Restart}
	if c.Restart {
		k.Interrupt()
		if err := k.exec.Restart(context.Background()); err != nil {
			k.replyError(req, "shutdown_reply", "RestartFailed", err)
			return err
		}
		k.mu.Lock()
		k.execCount = 0
		k.comms.reset()
		k.mu.Unlock()
		if err := k.hist.newSession(); err != nil {
			k.log.Warn("history", "err", err)
		}
		k.reply(req, "shutdown_reply", content)
		k.publish("shutdown_reply", req.msg, content)
		return nil
	}
	k.reply(req, "shutdown_reply", content)
	k.publish("shutdown_reply", req.msg, content)
	k.requestShutdown()
	return nil
}

// replyError sends an error reply of msgType for req.
func (k *Kernel) replyError(req inbound, msgType, ename string, err error) {
	k.reply(req, msgType, map[string]any{
		"status": "error", "ename": ename, "evalue": err.Error(), "traceback": []string{err.Error()},
	})
}
