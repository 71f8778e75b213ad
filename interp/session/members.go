package session

import (
	"fmt"
	"iter"
	"maps"
	"reflect"
	"strings"
	"sync"

	"github.com/gokernel/gokernel/interp/lower"
)

// members lists the fields and methods of the cells' variable name, by the
// type of its current value: fields of a struct (or pointer to one),
// methods of compiled types through reflection, and methods of types
// declared in cells from their declarations, since yaegi's runtime types
// carry none. It is called under s.mu.
func (s *Session) members(name string) iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		sym := s.index[name]
		if sym == nil || sym.kind != "var" && sym.kind != "const" {
			return
		}
		v, ok := s.in.Globals()[name]
		if !ok || !v.IsValid() {
			return
		}
		t := v.Type()
		for _, m := range methodNames(t) {
			if !yield(m, "method") {
				return
			}
		}
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		s.resolveTypes()
		info := s.types.lookup(t)
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Interface {
				continue
			}
			name := info.fieldName(f.Name)
			if name == "_" {
				continue // cannot be selected
			}
			if !yield(name, "field") {
				return
			}
		}
		if info == nil {
			return
		}
		for m := range info.methods {
			if !yield(m, "method") {
				return
			}
		}
	}
}

// methodNames lists the exported methods of t and, for a non-pointer type,
// of *t.
func methodNames(t reflect.Type) []string {
	var names []string
	seen := map[string]bool{}
	for _, tt := range []reflect.Type{t, reflect.PointerTo(t)} {
		for i := range tt.NumMethod() {
			if m := tt.Method(i); m.IsExported() && !seen[m.Name] {
				seen[m.Name] = true
				names = append(names, m.Name)
			}
		}
	}
	return names
}

// typeTable is what rendering knows of the struct types the cells
// declared, by yaegi's runtime type. display.Show renders on any goroutine
// of a cell, or in a comm callback, without s.mu, while Execute may be
// declaring types; so the table has a lock of its own, and holds only what
// [Session.resolveTypes] found under s.mu: rendering reads it and never
// calls into the interpreter.
type typeTable struct {
	mu     sync.RWMutex
	byType map[reflect.Type]*typeInfo // replaced, never changed
	// stale is set when declarations changed since byType was built, and
	// probe is a function compiled with the display methods in byType
	// (see [alive]). They are used under s.mu only.
	stale bool
	probe reflect.Value
}

// typeInfo is what the table knows of one runtime type; it does not change
// once built. yaegi builds struct types with reflect.StructOf, so type
// A struct{X int} and type B struct{X int} share one (as do struct{s int}
// and struct{Xs int}, yaegi renaming unexported fields): a declared type's
// methods apply only when it is the only declared type with the runtime
// type, and a field name is undone only when all of them agree.
type typeInfo struct {
	// The methods of the declared type, when it is the only one: name →
	// pointer receiver, and the display methods among them, compiled.
	methods   map[string]bool
	renderers map[string]reflect.Value // name → func(x T) any
	hidden    map[string]bool          // the unexported field names of all of them
}

// snapshot returns the table's current map, for a caller that looks up
// many types.
func (tt *typeTable) snapshot() map[reflect.Type]*typeInfo {
	tt.mu.RLock()
	defer tt.mu.RUnlock()
	return tt.byType
}

// lookup returns what the table knows of the runtime type t; a nil
// *typeInfo knows nothing.
func (tt *typeTable) lookup(t reflect.Type) *typeInfo { return tt.snapshot()[t] }

// fieldName undoes yaegi's renaming of an unexported field x to Xx.
func (info *typeInfo) fieldName(name string) string {
	if n, ok := strings.CutPrefix(name, "X"+lower.BlankField); ok && n != "" && strings.Trim(n, "0123456789") == "" {
		return "_" // one of several blank fields (lower.BlankField)
	}
	if info == nil {
		return name
	}
	if rest, ok := strings.CutPrefix(name, "X"); ok && info.hidden[rest] {
		return rest
	}
	return name
}

// resolveTypes brings the type table up to date with the cells'
// declarations: it finds the runtime type of each struct type and
// compiles the display methods of those that are the only declared type
// with theirs. It is called under s.mu, and must run only when the
// declarations it sees have been evaluated: at the start of a step, for
// the earlier steps, or outside Execute.
func (s *Session) resolveTypes() {
	if s.types.probe.IsValid() && !alive(s.types.probe) {
		// An interrupt stopped the display methods compiled before it.
		for _, sym := range s.index {
			sym.renderers = nil
		}
		s.types.probe = reflect.Value{}
		s.types.stale = true
	}
	if !s.types.stale {
		return
	}
	s.types.stale = false
	names := map[reflect.Type][]string{}
	for name, sym := range s.index {
		if sym.kind == "type" && sym.isStruct && !sym.alias {
			if t := s.runtimeType(name, sym); t != nil {
				names[t] = append(names[t], name)
			}
		}
	}
	byType := make(map[reflect.Type]*typeInfo, len(names))
	for t, list := range names {
		info := &typeInfo{hidden: maps.Clone(s.index[list[0]].hidden)}
		for _, name := range list[1:] {
			maps.DeleteFunc(info.hidden, func(f string, _ bool) bool { return !s.index[name].hidden[f] })
		}
		if len(list) == 1 {
			sym := s.index[list[0]]
			info.methods = maps.Clone(sym.methods)
			info.renderers = s.renderers(list[0], sym)
		}
		byType[t] = info
	}
	s.types.mu.Lock()
	s.types.byType = byType
	s.types.mu.Unlock()
}

// runtimeType returns the runtime type yaegi built for the cells' type
// name, remembered in its symbol; nil when it cannot be found. It is
// called under s.mu.
func (s *Session) runtimeType(name string, sym *symbol) reflect.Type {
	if !sym.resolved {
		sym.resolved = true
		rv, err := s.evalQuietly("(*" + name + ")(nil)")
		if err == nil && rv.IsValid() && rv.Kind() == reflect.Pointer {
			sym.rtype = rv.Type().Elem()
		}
	}
	return sym.rtype
}

// evalQuietly evaluates src for the session itself, under s.mu: unlike
// Eval, it turns a panic of yaegi's compiler into an error.
func (s *Session) evalQuietly(src string) (v reflect.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = reflect.Value{}, fmt.Errorf("session: evaluating %q: %v", src, r)
		}
	}()
	return s.in.Eval(src)
}
