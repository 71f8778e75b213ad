package session

import (
	"reflect"

	"github.com/gokernel/gokernel/interp"
)

// bundle renders the value of a cell's final expression as the data of its
// execute_result.
func (s *Session) bundle(v reflect.Value) *interp.MIMEBundle {
	return &interp.MIMEBundle{Data: map[string]any{"text/plain": s.format(v)}, Metadata: map[string]any{}}
}
