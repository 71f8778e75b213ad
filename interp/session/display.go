package session

import (
	"context"
	"fmt"
	"html"
	"reflect"

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

// publish sends a display message through Options.Display. Cells call it
// on any goroutine, and from comm callbacks, while Execute may hold s.mu: it
// must not lock.
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
// It runs on any goroutine of a cell, or in a comm callback, without s.mu:
// it reads the cells' types only from s.types.
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
// with reflect.StructOf, without methods, so the type is found in s.types
// by the value's runtime type, and only when no other declared type has
// that runtime type; the method is called through a function value that
// [Session.resolveTypes] compiled. Only struct types qualify: yaegi gives a
// defined non-struct type (type C float64) the runtime type of its
// underlying type, which every other float64 shares.
func (s *Session) userRich(v reflect.Value) (display.Data, bool) {
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.Name() != "" {
		return display.Data{}, false
	}
	info := s.types.lookup(t)
	if info == nil {
		return display.Data{}, false
	}
	for _, m := range display.MethodNames() {
		fn, ok := info.renderers[m]
		ptr := info.methods[m]
		if !ok || ptr && v.Kind() != reflect.Pointer {
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
	return display.Data{}, false
}

// renderers returns the display methods of the cell type name, compiled
// (see [Session.methodFunc]). It is called under s.mu.
func (s *Session) renderers(name string, sym *symbol) map[string]reflect.Value {
	var fns map[string]reflect.Value
	for _, m := range display.MethodNames() {
		ptr, ok := sym.methods[m]
		if !ok {
			continue
		}
		if !s.types.probe.IsValid() {
			s.types.probe = s.compileFunc("gokernel_render_probe", "func() bool { return true }")
		}
		if fn := s.methodFunc(name, sym, m, ptr); fn.IsValid() {
			if fns == nil {
				fns = map[string]reflect.Value{}
			}
			fns[m] = fn
		}
	}
	return fns
}

// methodFunc returns a function value calling method m of the cell type
// name: func(x T) any { return x.m() }, or with x *T when ptr, compiled
// once and remembered in the type's symbol; the zero Value if it does not
// compile. It is called under s.mu.
func (s *Session) methodFunc(name string, sym *symbol, m string, ptr bool) reflect.Value {
	if fn, ok := sym.renderers[m]; ok {
		return fn
	}
	recv := name
	if ptr {
		recv = "*" + name
	}
	fn := s.compileFunc("gokernel_render_"+name+"_"+m,
		fmt.Sprintf("func(gokernel_x %s) any { return gokernel_x.%s() }", recv, m))
	if sym.renderers == nil {
		sym.renderers = map[string]reflect.Value{}
	}
	sym.renderers[m] = fn // an invalid value remembers the failure
	return fn
}

// compileFunc evaluates the function literal lit and returns its value,
// or the zero Value if it does not compile. The function is stored in the
// variable global, as yaegi returns no usable value for a function literal
// evaluated on its own. It is called under s.mu.
func (s *Session) compileFunc(global, lit string) reflect.Value {
	if _, err := s.evalQuietly("var " + global + " = " + lit); err != nil {
		return reflect.Value{}
	}
	fn := s.in.Globals()[global]
	for fn.IsValid() && (fn.Kind() == reflect.Pointer || fn.Kind() == reflect.Interface) {
		fn = fn.Elem()
	}
	if fn.Kind() != reflect.Func {
		return reflect.Value{}
	}
	return fn
}

// alive reports whether the functions compiled with probe still run:
// yaegi stops those compiled before an interrupt (their calls return zero
// values at once).
func alive(probe reflect.Value) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	out := probe.Call(nil)
	return len(out) == 1 && out[0].Kind() == reflect.Bool && out[0].Bool()
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
