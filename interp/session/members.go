package session

import (
	"iter"
	"reflect"
)

// members lists the fields and methods of the cells' variable name, by the
// type of its current value: fields of a struct (or pointer to one),
// methods of compiled types through reflection, and methods of types
// declared in cells from their declarations, since yaegi's runtime types
// carry none. It does not evaluate anything.
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
		if t.Kind() == reflect.Struct {
			for i := range t.NumField() {
				f := t.Field(i)
				if f.Anonymous && f.Type.Kind() == reflect.Interface {
					continue
				}
				if !yield(s.fieldName(f.Name), "field") {
					return
				}
			}
			for tname, tsym := range s.index {
				if tsym.kind == "type" && tsym.isStruct && s.runtimeType(tname, tsym) == t {
					for m := range tsym.methods {
						if !yield(m, "method") {
							return
						}
					}
				}
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

// runtimeType returns the runtime type yaegi built for the cells' type
// name, remembered in its symbol; nil when it cannot be found.
func (s *Session) runtimeType(name string, sym *symbol) reflect.Type {
	if sym.rtype == nil {
		rv, err := s.in.Eval("(*" + name + ")(nil)")
		if err == nil && rv.IsValid() && rv.Kind() == reflect.Pointer {
			sym.rtype = rv.Type().Elem()
		}
	}
	return sym.rtype
}
