package session

import (
	"reflect"

	"github.com/gokernel/gokernel/display"
	"github.com/gokernel/gokernel/interp"
)

// bundle renders the value of a cell's final expression as the data of its
// execute_result: its rich form (see [Session.rich]) when it has one, with
// text/plain always present, since every front end can show it.
func (s *Session) bundle(v reflect.Value) *interp.MIMEBundle {
	if d, ok := s.rich(v); ok {
		if d.Data == nil {
			d.Data = map[string]any{}
		}
		if _, ok := d.Data[display.MIMEText]; !ok {
			d.Data[display.MIMEText] = s.format(v)
		}
		if d.Metadata == nil {
			d.Metadata = map[string]any{}
		}
		return &interp.MIMEBundle{Data: d.Data, Metadata: d.Metadata}
	}
	return &interp.MIMEBundle{Data: map[string]any{"text/plain": s.format(v)}, Metadata: map[string]any{}}
}
