// Package comm lets cells talk to front-end extensions over Jupyter comms.
//
// In a cell, comm.Register(target, onOpen) answers comm_open messages a front
// end sends to target, and comm.Open(target, data) opens a comm from the
// kernel's side; messages then flow both ways with Send, OnMsg, Close and
// OnClose. Each session owns a [Manager]; the session binds its Register
// and Open to the package functions cells call, so the package keeps no
// state of its own.
package comm

import (
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/gokernel/gokernel/interp"
)

// Data is the JSON object a comm message carries.
type Data = map[string]any

// Manager holds a session's comm targets and open comms. Its methods are
// safe for concurrent use.
type Manager struct {
	send func(interp.CommMessage)

	mu      sync.Mutex
	targets map[string]func(*Comm, Data)
	open    map[string]*Comm
}

// NewManager returns a Manager that sends messages to the front end with
// send.
func NewManager(send func(interp.CommMessage)) *Manager {
	return &Manager{send: send, targets: map[string]func(*Comm, Data){}, open: map[string]*Comm{}}
}

// Register makes comm_open messages for target call onOpen with the new comm
// and the message's data. A later Register of the same target replaces it.
func (m *Manager) Register(target string, onOpen func(c *Comm, data Data)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.targets[target] = onOpen
}

// Open opens a comm to the front end's target with data.
func (m *Manager) Open(target string, data Data) *Comm {
	c := &Comm{ID: uuid.NewString(), Target: target, m: m}
	m.mu.Lock()
	m.open[c.ID] = c
	m.mu.Unlock()
	m.send(interp.CommMessage{Type: "comm_open", CommID: c.ID, Target: target, Data: orEmpty(data)})
	return c
}

// Deliver handles a comm message from the front end. A comm_open for a
// target nobody registered returns an error wrapping interp.ErrNoCommTarget;
// a message for a comm that is not open is an error.
func (m *Manager) Deliver(msg interp.CommMessage) error {
	switch msg.Type {
	case "comm_open":
		m.mu.Lock()
		onOpen := m.targets[msg.Target]
		if onOpen == nil {
			m.mu.Unlock()
			return fmt.Errorf("comm: target %q: %w", msg.Target, interp.ErrNoCommTarget)
		}
		c := &Comm{ID: msg.CommID, Target: msg.Target, m: m}
		m.open[c.ID] = c
		m.mu.Unlock()
		onOpen(c, orEmpty(msg.Data))
		return nil
	case "comm_msg", "comm_close":
		m.mu.Lock()
		c := m.open[msg.CommID]
		if msg.Type == "comm_close" {
			delete(m.open, msg.CommID)
		}
		m.mu.Unlock()
		if c == nil {
			return fmt.Errorf("comm: %s for comm %s, which is not open", msg.Type, msg.CommID)
		}
		c.receive(msg.Type, orEmpty(msg.Data))
		return nil
	}
	return fmt.Errorf("comm: unknown message type %q", msg.Type)
}

// Comm is one open comm.
type Comm struct {
	ID, Target string
	m          *Manager

	mu      sync.Mutex
	onMsg   func(Data)
	onClose func(Data)
	closed  bool
}

// Send sends data to the front end's side of the comm.
func (c *Comm) Send(data Data) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if !closed {
		c.m.send(interp.CommMessage{Type: "comm_msg", CommID: c.ID, Data: orEmpty(data)})
	}
}

// Close closes the comm, sending data with the comm_close.
func (c *Comm) Close(data Data) {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.mu.Unlock()
	if already {
		return
	}
	c.m.mu.Lock()
	delete(c.m.open, c.ID)
	c.m.mu.Unlock()
	c.m.send(interp.CommMessage{Type: "comm_close", CommID: c.ID, Data: orEmpty(data)})
}

// OnMsg sets what to do with each message from the front end.
func (c *Comm) OnMsg(f func(data Data)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onMsg = f
}

// OnClose sets what to do when the front end closes the comm.
func (c *Comm) OnClose(f func(data Data)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onClose = f
}

func (c *Comm) receive(msgType string, data Data) {
	c.mu.Lock()
	f := c.onMsg
	if msgType == "comm_close" {
		f, c.closed = c.onClose, true
	}
	c.mu.Unlock()
	if f != nil {
		f(data)
	}
}

func orEmpty(d Data) Data {
	if d == nil {
		return Data{}
	}
	return d
}
