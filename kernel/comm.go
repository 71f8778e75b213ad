package kernel

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gokernel/gokernel/interp"
	"github.com/gokernel/gokernel/wire"
)

// commTimeout bounds how long a comm message waits for the session.
const commTimeout = 10 * time.Second

// comms records the comms open between front ends and the session (comm_id
// → target name), for comm_info_request. The zero value is ready to use.
type comms struct {
	mu   sync.Mutex
	open map[string]string
}

func (c *comms) add(id, target string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open == nil {
		c.open = map[string]string{}
	}
	c.open[id] = target
}

func (c *comms) remove(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.open, id)
}

// list returns the open comms of target ("" for all) as comm_info_reply's
// comms field.
func (c *comms) list(target string) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]any{}
	for id, t := range c.open {
		if target == "" || t == target {
			out[id] = map[string]any{"target_name": t}
		}
	}
	return out
}

// reset forgets every comm: a restarted session has none.
func (c *comms) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.open = nil
}

// commContent is the content of comm_open, comm_msg and comm_close.
type commContent struct {
	CommID     string         `json:"comm_id"`
	TargetName string         `json:"target_name"`
	Data       map[string]any `json:"data"`
	Metadata   map[string]any `json:"metadata"`
}

func (k *Kernel) commInfoRequest(req inbound) error {
	var c struct {
		TargetName string `json:"target_name"`
	}
	if err := decodeContent(req, &c); err != nil {
		k.replyError(req, "comm_info_reply", "BadRequest", err)
		return err
	}
	k.reply(req, "comm_info_reply", map[string]any{"status": "ok", "comms": k.comms.list(c.TargetName)})
	return nil
}

// commOpen hands a front end's comm_open to the session; a target no cell
// registered is answered with comm_close, as the spec asks.
func (k *Kernel) commOpen(req inbound) error {
	m, err := k.commMessage(req, "comm_open")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), commTimeout)
	defer cancel()
	if err := k.exec.Comm(ctx, m); err != nil {
		k.publish("comm_close", req.msg, map[string]any{"comm_id": m.CommID, "data": map[string]any{}})
		if errors.Is(err, interp.ErrNoCommTarget) {
			return errors.New("comm_open: no comm target " + m.Target)
		}
		return err
	}
	k.comms.add(m.CommID, m.Target)
	return nil
}

func (k *Kernel) commMsg(req inbound) error {
	m, err := k.commMessage(req, "comm_msg")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), commTimeout)
	defer cancel()
	return k.exec.Comm(ctx, m)
}

func (k *Kernel) commClose(req inbound) error {
	m, err := k.commMessage(req, "comm_close")
	if err != nil {
		return err
	}
	k.comms.remove(m.CommID)
	ctx, cancel := context.WithTimeout(context.Background(), commTimeout)
	defer cancel()
	return k.exec.Comm(ctx, m)
}

// commMessage decodes a comm request's content.
func (k *Kernel) commMessage(req inbound, msgType string) (interp.CommMessage, error) {
	var c commContent
	if err := decodeContent(req, &c); err != nil {
		return interp.CommMessage{}, err
	}
	if c.CommID == "" {
		return interp.CommMessage{}, errors.New(msgType + ": no comm_id")
	}
	return interp.CommMessage{Type: msgType, CommID: c.CommID, Target: c.TargetName, Data: orEmptyMap(c.Data), Metadata: c.Metadata}, nil
}

// publishComm publishes a comm message a cell sent, with parent as parent.
func (k *Kernel) publishComm(parent *wire.Message, m interp.CommMessage) {
	content := map[string]any{"comm_id": m.CommID, "data": orEmptyMap(m.Data), "metadata": orEmptyMap(m.Metadata)}
	switch m.Type {
	case "comm_open":
		content["target_name"] = m.Target
		k.comms.add(m.CommID, m.Target)
	case "comm_close":
		k.comms.remove(m.CommID)
	case "comm_msg":
	default:
		k.log.Warn("session sent an unknown comm message type: dropped", "type", m.Type)
		return
	}
	k.publish(m.Type, parent, content)
}
