package kernel

import (
	"context"
	"fmt"
	"time"

	"github.com/gokernel/gokernel/interp"
	"github.com/gokernel/gokernel/wire"
)

// executeContent is an execute_request's content. Pointers tell a missing
// field (default true) from false.
type executeContent struct {
	Code            string            `json:"code"`
	Silent          bool              `json:"silent"`
	StoreHistory    *bool             `json:"store_history"`
	UserExpressions map[string]string `json:"user_expressions"`
	AllowStdin      *bool             `json:"allow_stdin"`
	StopOnError     *bool             `json:"stop_on_error"`
}

func orTrue(b *bool) bool { return b == nil || *b }

// executeRequest runs a cell: execute_input, the cell's output, its result or
// error, then execute_reply.
func (k *Kernel) executeRequest(req inbound) error {
	var c executeContent
	if err := decodeContent(req, &c); err != nil {
		k.replyError(req, "execute_reply", "BadRequest", err)
		return err
	}
	storeHistory := orTrue(c.StoreHistory) && !c.Silent

	k.mu.Lock()
	if req.received.Before(k.abortBefore) {
		// An earlier cell failed with stop_on_error: requests queued behind
		// it are not run.
		count := k.execCount
		k.mu.Unlock()
		k.reply(req, "execute_reply", map[string]any{"status": "aborted", "execution_count": count})
		return nil
	}
	if storeHistory {
		k.execCount++
	}
	count := k.execCount
	ctx, cancel := context.WithCancel(context.Background())
	k.cancelCell = cancel
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		k.cancelCell = nil
		k.mu.Unlock()
		cancel()
	}()

	if !c.Silent {
		k.publish("execute_input", req.msg, map[string]any{"code": c.Code, "execution_count": count})
	}
	out := &cellOutput{k: k, parent: req.msg, silent: c.Silent, allowStdin: orTrue(c.AllowStdin)}
	var res interp.ExecuteResult
	if name, ok := pagerName(c.Code); ok {
		res = k.page(ctx, name, out)
	} else {
		res = k.exec.Execute(ctx, interp.ExecuteRequest{
			Code:            c.Code,
			Silent:          c.Silent,
			StoreHistory:    storeHistory,
			AllowStdin:      out.allowStdin,
			UserExpressions: c.UserExpressions,
		}, out)
	}
	if storeHistory {
		var output *string
		if r := res.Result; r != nil {
			if text, ok := r.Data["text/plain"].(string); ok {
				output = &text
			}
		}
		if err := k.hist.add(count, c.Code, output); err != nil {
			k.log.Warn("history", "err", err)
		}
	}

	userExprs := res.UserExpressions
	if userExprs == nil {
		userExprs = map[string]any{}
	}
	payload := res.Payload
	if payload == nil {
		payload = []map[string]any{}
	}
	if e := res.Error; e != nil {
		if e.Traceback == nil {
			e.Traceback = []string{}
		}
		if !c.Silent {
			k.publish("error", req.msg, e)
		}
		if orTrue(c.StopOnError) {
			k.mu.Lock()
			k.abortBefore = time.Now()
			k.mu.Unlock()
		}
		k.reply(req, "execute_reply", map[string]any{
			"status": "error", "execution_count": count, "ename": e.Name, "evalue": e.Value,
			"traceback": e.Traceback, "user_expressions": userExprs, "payload": payload,
		})
		return nil
	}
	if r := res.Result; r != nil && !c.Silent {
		if r.Metadata == nil {
			r.Metadata = map[string]any{}
		}
		k.publish("execute_result", req.msg, map[string]any{
			"execution_count": count, "data": r.Data, "metadata": r.Metadata,
		})
	}
	k.reply(req, "execute_reply", map[string]any{
		"status": "ok", "execution_count": count, "user_expressions": userExprs, "payload": payload,
	})
	return nil
}

// cellOutput publishes what a cell produces with the cell's request as
// parent. It keeps working after the cell ends, for output of goroutines that
// outlive it.
type cellOutput struct {
	k          *Kernel
	parent     *wire.Message
	silent     bool
	allowStdin bool
}

var _ interp.Output = (*cellOutput)(nil)

func (o *cellOutput) Stream(name, text string) {
	if o.silent || text == "" {
		return
	}
	o.k.iopub.publishStream(o.parent, name, text)
}

func (o *cellOutput) Display(d interp.DisplayData) {
	if o.silent {
		return
	}
	if d.Clear {
		o.ClearOutput(d.Wait)
		return
	}
	msgType := "display_data"
	if d.Update {
		msgType = "update_display_data"
	}
	content := map[string]any{"data": d.Data, "metadata": orEmptyMap(d.Metadata)}
	content["transient"] = orEmptyMap(d.Transient)
	o.k.publish(msgType, o.parent, content)
}

func (o *cellOutput) ClearOutput(wait bool) {
	if o.silent {
		return
	}
	o.k.publish("clear_output", o.parent, map[string]any{"wait": wait})
}

func (o *cellOutput) Comm(m interp.CommMessage) { o.k.publishComm(o.parent, m) }

func (o *cellOutput) Input(ctx context.Context, prompt string, password bool) (string, error) {
	if !o.allowStdin {
		return "", interp.ErrNoStdin
	}
	return o.k.askInput(ctx, o.parent, prompt, password)
}

// askInput sends input_request on stdin to the identities of the request
// parent and waits for the input_reply.
func (k *Kernel) askInput(ctx context.Context, parent *wire.Message, prompt string, password bool) (string, error) {
	// Forget a reply nobody waited for (a front end answering late).
	select {
	case <-k.inputReplies:
	default:
	}
	k.sendTo(k.stdin, parent, "input_request", map[string]any{"prompt": prompt, "password": password})
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case <-k.shutdownCh:
		return "", fmt.Errorf("kernel: shutting down")
	case reply := <-k.inputReplies:
		var c struct {
			Value string `json:"value"`
		}
		if err := decodeContent(reply, &c); err != nil {
			return "", fmt.Errorf("kernel: %w", err)
		}
		return c.Value, nil
	}
}

// serveStdin passes input_reply messages to askInput until stdin closes.
func (k *Kernel) serveStdin() {
	for req := range k.stdin.in {
		if req.msg.Header.MsgType != "input_reply" {
			k.log.Warn("unexpected message on stdin: dropped", "msg_type", req.msg.Header.MsgType)
			continue
		}
		select {
		case k.inputReplies <- req:
		default:
			k.log.Warn("input_reply nobody asked for: dropped")
		}
	}
}

func orEmptyMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
