package session

import (
	"reflect"

	yaegi "github.com/traefik/yaegi/interp"

	"github.com/gokernel/gokernel/comm"
	"github.com/gokernel/gokernel/interp"
)

// commPath is the import path of the comm package cells use.
const commPath = "github.com/gokernel/gokernel/comm"

// commSymbols gives cells the comm package, its Register and Open bound to
// this session's manager.
func commSymbols(m *comm.Manager) yaegi.Exports {
	return yaegi.Exports{commPath + "/comm": {
		"Register": reflect.ValueOf(m.Register),
		"Open":     reflect.ValueOf(m.Open),
		"Comm":     reflect.ValueOf((*comm.Comm)(nil)),
		"Data":     reflect.ValueOf((*comm.Data)(nil)),
	}}
}

// Comm handles a front end's comm message: it calls what cells registered.
// It does not wait for a running cell: like a goroutine, a comm callback
// runs beside it.
func (s *Session) Comm(m interp.CommMessage) error {
	return s.comms.Deliver(m)
}
