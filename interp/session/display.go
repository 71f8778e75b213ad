package session

import (
	"context"
	"fmt"
	"html"
	"reflect"
	"slices"

	"github.com/gokernel/gokernel/display"
	"github.com/gokernel/gokernel/interp"
	"github.com/gokernel/gokernel/interp/symbols"
)

// displayPath is the import path of the display package; cells see it
// imported under its name, display, without an import of their own.
const displayPath = "github.com/gokernel/gokernel/display"

// loadDisplay makes the display package available to cells.
//
// The generated symbol table describes the compiled package, whose Show,
// Clear and NewHandle print to stdout. On top of it, those three are bound
// to a [display.Display] of this session, which renders with s.render (so
// types declared in cells show through their HTML() and similar methods) and
// publishes through Options.Display. The binding lives only in this
// interpreter's symbol table: the display package holds no state.
func (s *Session) loadDisplay() error {
	d := display.New(s.publish, s.render)
	key := displayPath + "/display"
	for _, syms := range []map[string]map[string]reflect.Value{
		symbols.Symbols,
		{key: {
			"Show":      reflect.ValueOf(d.Show),
			"Clear":     reflect.ValueOf(d.Clear),
			"NewHandle": reflect.ValueOf(d.NewHandle),
		}},
	} {
		if err := s.in.Use(syms); err != nil {
			return fmt.Errorf("session: loading the display package: %w", err)
		}
	}
	if _, err := s.execute(context.Background(), fmt.Sprintf("import %q", displayPath)); err != nil {
		return fmt.Errorf("session: importing the display package: %w", err)
	}
	return nil
}

// publish sends a display message through Options.Display. It is called
// from interpreted code while Execute holds s.mu, so it must not lock.
func (s *Session) publish(m display.Message) {
	if s.opts.Display == nil {
		return
	}
	d := interp.DisplayData{
		MIMEBundle: interp.MIMEBundle{Data: m.Data.Data, Metadata: m.Data.Metadata},
		Update:     m.Update,
		Clear:      m.Clear,
		Wait:       m.Wait,
	}
	if d.Data == nil {
		d.Data = map[string]any{}
	}
	if d.Metadata == nil {
		d.Metadata = map[string]any{}
	}
	if m.DisplayID != "" {
		d.Transient = map[string]any{"display_id": m.DisplayID}
	}
	s.opts.Display(d)
}

// render is how display.Show renders a value: as a cell's result would be.
func (s *Session) render(v any) display.Data {
	b := s.bundle(reflect.ValueOf(v))
	return display.MIME(b.Data, b.Metadata)
}

// rich returns the rich form of v, when it has one: see [display.Render],
// plus errors, and types declared in cells with the methods Render looks
// for.
func (s *Session) rich(v reflect.Value) (display.Data, bool) {
	if !v.IsValid() {
		return display.Data{}, false
	}
	if v.CanInterface() {
		x := v.Interface()
		if d, ok := display.Render(x); ok {
			return d, true
		}
		if err, ok := x.(error); ok && err != nil && !(v.Kind() == reflect.Pointer && v.IsNil()) {
			text := s.format(v)
			d := display.HTML(`<pre style="color: var(--jp-error-color1, #c00)">` + html.EscapeString(text) + `</pre>`)
			d.Data[display.MIMEText] = text
			return d, true
		}
	}
	return s.userRich(v)
}

// userRich renders a value of a struct type declared in a cell through the
// type's display method (HTML, Markdown, PNG…). yaegi builds such types
// with reflect.StructOf, without methods, so the method is found by
// matching the value's runtime type with each declared type that has one,
// and called through a function value compiled by the interpreter, cached
// in the type's symbol. Only struct types qualify: yaegi gives a defined
// non-struct type (type C float64) the runtime type of its underlying type,
// which every other float64 shares.
func (s *Session) userRich(v reflect.Value) (display.Data, bool) {
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.Name() != "" {
		return display.Data{}, false
	}
	names := make([]string, 0, len(s.index))
	for name, sym := range s.index {
		if sym.kind == "type" && sym.isStruct && len(sym.methods) > 0 {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		sym := s.index[name]
		if s.runtimeType(name, sym) != t {
			continue
		}
		for _, m := range display.MethodNames() {
			ptr, ok := sym.methods[m]
			if !ok || ptr && v.Kind() != reflect.Pointer {
				continue
			}
			fn, ok := s.methodFunc(name, sym, m, ptr)
			if !ok {
				continue
			}
			arg := v
			if !ptr && v.Kind() == reflect.Pointer {
				if v.IsNil() {
					continue
				}
				arg = v.Elem()
			}
			d, ok := callRender(fn, arg, m)
			if !ok {
				continue
			}
			d.Data[display.MIMEText] = s.format(v)
			return d, true
		}
	}
	return display.Data{}, false
}

// methodFunc returns a function value calling method m of the cell type
// name: func(x T) R { return x.m() }, or with x *T when ptr.
func (s *Session) methodFunc(name string, sym *symbol, m string, ptr bool) (reflect.Value, bool) {
	if fn, ok := sym.renderers[m]; ok {
		return fn, fn.IsValid()
	}
	recv := name
	if ptr {
		recv = "*" + name
	}
	// The function is stored in a variable, as yaegi returns no usable
	// value for a function literal evaluated on its own.
	global := "gokernel_render_" + name + "_" + m
	src := fmt.Sprintf("var %s = func(gokernel_x %s) any { return gokernel_x.%s() }", global, recv, m)
	var fn reflect.Value
	_, err := s.in.Eval(src)
	if err == nil {
		fn = s.in.Globals()[global]
		for fn.IsValid() && (fn.Kind() == reflect.Pointer || fn.Kind() == reflect.Interface) {
			fn = fn.Elem()
		}
		if fn.Kind() != reflect.Func {
			fn = reflect.Value{}
		}
	}
	if sym.renderers == nil {
		sym.renderers = map[string]reflect.Value{}
	}
	sym.renderers[m] = fn // an invalid value remembers the failure
	return fn, fn.IsValid()
}

// callRender calls a display method through fn; a panic in it means no
// rich form.
func callRender(fn, arg reflect.Value, m string) (d display.Data, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	out := fn.Call([]reflect.Value{arg})
	if len(out) != 1 {
		return display.Data{}, false
	}
	r := out[0]
	for r.Kind() == reflect.Interface && !r.IsNil() {
		r = r.Elem()
	}
	if !r.IsValid() || !r.CanInterface() {
		return display.Data{}, false
	}
	return display.FromMethod(m, r.Interface())
}
