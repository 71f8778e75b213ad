package display

import "crypto/rand"

// Message is one display message for the front end: display_data,
// update_display_data (Update set, DisplayID naming the output to replace)
// or clear_output (Clear set; the bundle is then empty).
type Message struct {
	Data      Data
	DisplayID string // "" for output that cannot be updated
	Update    bool
	Clear     bool
	Wait      bool // with Clear: clear when the next output arrives
}

// Display publishes display messages to one front end. Its methods are safe
// for concurrent use when publish is.
type Display struct {
	publish func(Message)
	render  func(any) Data
}

// New returns a Display that renders values with render and sends the
// result with publish. render must handle every value, falling back to
// text; publish must not block for long, as cells call it mid-run.
func New(publish func(Message), render func(any) Data) *Display {
	return &Display{publish: publish, render: render}
}

// Show publishes each value as display_data.
func (d *Display) Show(vs ...any) {
	for _, v := range vs {
		d.publish(Message{Data: d.render(v)})
	}
}

// Clear publishes clear_output.
func (d *Display) Clear(wait bool) {
	d.publish(Message{Data: MIME(nil, nil), Clear: true, Wait: wait})
}

// NewHandle shows v with a new display_id and returns the [Handle] that
// updates it.
func (d *Display) NewHandle(v any) *Handle {
	h := &Handle{d: d, id: newID()}
	d.publish(Message{Data: d.render(v), DisplayID: h.id})
	return h
}

// Handle is an output shown by [NewHandle], which Update replaces in place
// (update_display_data), wherever in the notebook it is.
type Handle struct {
	d  *Display
	id string
}

// ID returns the handle's display_id.
func (h *Handle) ID() string { return h.id }

// Update replaces the handle's output with v.
func (h *Handle) Update(v any) {
	h.d.publish(Message{Data: h.d.render(v), DisplayID: h.id, Update: true})
}

// Show publishes v again as a new output sharing the handle's display_id;
// an Update then changes every output of the handle.
func (h *Handle) Show(v any) {
	h.d.publish(Message{Data: h.d.render(v), DisplayID: h.id})
}

// newID returns a random display_id.
func newID() string {
	return rand.Text()
}
