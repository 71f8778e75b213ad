package session

import (
	"bytes"
	"context"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/gokernel/gokernel/interp"
	"github.com/gokernel/gokernel/interp/frontend"
	"github.com/gokernel/gokernel/interp/stddoc"
)

// symbol is what the session knows of a name declared by a cell.
type symbol struct {
	kind string        // "var", "const", "type" or "func"
	decl string        // its declaration, as source
	fn   *ast.FuncType // the signature of a func
	src  string        // the source of a func (and its methods) or type

	// For a type: whether it is a struct type or an alias, its methods,
	// and what resolveTypes found for it.
	isStruct  bool
	alias     bool
	hidden    map[string]bool          // the unexported names of a struct's fields
	methods   map[string]bool          // name → pointer receiver
	sigs      map[string]*ast.FuncType // name → signature
	resolved  bool                     // whether rtype was looked for
	rtype     reflect.Type             // yaegi's runtime type for it
	renderers map[string]reflect.Value // method name → func(x T) any
}

func (s *Session) isVar(name string) bool {
	sym := s.index[name]
	return sym != nil && sym.kind == "var"
}

// indexDecls prints what decls declare, as the user wrote it, and returns
// a function that records it: called before lowering rewrites the
// declarations, the function once they were evaluated, so that a
// declaration that failed is not offered. The record is made while s.mu is
// held (rendering has its own table, see resolveTypes).
func (s *Session) indexDecls(fset *token.FileSet, decls []ast.Decl) (record func()) {
	var entries []func()
	for _, d := range decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Name.Name == "_" {
				continue // declares nothing
			}
			if d.Recv == nil {
				sym := &symbol{kind: "func", decl: nodeString(fset, &ast.FuncDecl{Name: d.Name, Type: d.Type}), fn: d.Type, src: nodeString(fset, d)}
				entries = append(entries, func() { s.index[d.Name.Name] = sym })
				continue
			}
			if len(d.Recv.List) != 1 {
				continue
			}
			name := frontend.RecvTypeName(d.Recv.List[0].Type)
			_, ptr := d.Recv.List[0].Type.(*ast.StarExpr)
			src := nodeString(fset, d)
			entries = append(entries, func() {
				if sym := s.index[name]; sym != nil && sym.kind == "type" {
					if sym.methods == nil {
						sym.methods = map[string]bool{}
						sym.sigs = map[string]*ast.FuncType{}
					}
					sym.methods[d.Name.Name] = ptr
					sym.sigs[d.Name.Name] = d.Type
					sym.src += "\n\n" + src
					delete(sym.renderers, d.Name.Name)
				}
			})
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch spec := spec.(type) {
				case *ast.TypeSpec:
					if spec.Name.Name == "_" {
						continue
					}
					sym := &symbol{kind: "type", decl: "type " + nodeString(fset, spec), alias: spec.Assign.IsValid()}
					sym.src = sym.decl
					if st, ok := spec.Type.(*ast.StructType); ok {
						sym.isStruct = true
						sym.hidden = unexportedFields(st)
					}
					entries = append(entries, func() { s.index[spec.Name.Name] = sym })
				case *ast.ValueSpec:
					decl := d.Tok.String() + " " + nodeString(fset, spec)
					for _, n := range spec.Names {
						if n.Name == "_" {
							continue
						}
						sym := &symbol{kind: strings.ToLower(d.Tok.String()), decl: decl}
						entries = append(entries, func() { s.index[n.Name] = sym })
					}
				}
			}
		}
	}
	return func() {
		s.resolveTypes()
		s.types.stale = true
		for _, e := range entries {
			e()
		}
	}
}

// unexportedFields returns the names of st's unexported fields, embedded
// ones included: yaegi renames each to X and the name.
func unexportedFields(st *ast.StructType) map[string]bool {
	names := map[string]bool{}
	for _, f := range st.Fields.List {
		idents := f.Names
		if len(idents) == 0 {
			t := f.Type
			if star, ok := t.(*ast.StarExpr); ok {
				t = star.X
			}
			if id, ok := t.(*ast.Ident); ok {
				idents = []*ast.Ident{id}
			}
		}
		for _, n := range idents {
			if !n.IsExported() {
				names[n.Name] = true
			}
		}
	}
	return names
}

// indexStmts records the package-level names that top-level statements
// define. It is called at the start of a step, and resolves the types of
// the earlier ones, so that the step can show their values.
func (s *Session) indexStmts(stmts []ast.Stmt) {
	s.resolveTypes()
	for _, st := range stmts {
		for _, n := range frontend.DefinedNames(st) {
			if strings.HasPrefix(n, "_gk") {
				continue // the rewrites' temporaries: not the user's, not offered
			}
			if _, ok := s.index[n]; !ok || s.index[n].kind == "func" {
				s.index[n] = &symbol{kind: "var"}
			}
		}
	}
}

func nodeString(fset *token.FileSet, n any) string {
	var b bytes.Buffer
	if err := format.Node(&b, fset, n); err != nil {
		return ""
	}
	return b.String()
}

// packageSymbols returns the symbols of the compiled package at
// importPath: standard library, compiled in, or gokernel's own.
func (s *Session) packageSymbols(importPath string) map[string]reflect.Value {
	key := importPath + "/" + path.Base(importPath)
	for _, table := range compiledTables() {
		if syms, ok := table[key]; ok {
			return syms
		}
	}
	return nil
}

// findPackage resolves a package name: an imported one, or a standard
// library package with that name (so members complete before the import).
func (s *Session) findPackage(name string) (map[string]reflect.Value, string) {
	if p, ok := s.imported[name]; ok {
		return s.packageSymbols(p), p
	}
	var best string
	for _, table := range compiledTables() {
		for key := range table {
			p := path.Dir(key)
			if path.Base(key) == name && (best == "" || len(p) < len(best)) {
				best = p
			}
		}
	}
	if best == "" {
		return nil, ""
	}
	return s.packageSymbols(best), best
}

var keywords = []string{
	"break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough", "for",
	"func", "go", "goto", "if", "import", "interface", "map", "package", "range", "return", "select",
	"struct", "switch", "type", "var",
}

var predeclared = []string{
	"any", "append", "bool", "byte", "cap", "close", "complex", "complex128", "complex64", "copy",
	"delete", "error", "false", "float32", "float64", "imag", "int", "int16", "int32", "int64", "int8",
	"iota", "len", "make", "new", "nil", "panic", "print", "println", "real", "recover", "rune",
	"string", "true", "uint", "uint16", "uint32", "uint64", "uint8", "uintptr",
}

// Complete lists the names that can replace the identifier before cursor (a
// position in Unicode code points): after "pkg." the package's members,
// otherwise the cells' names, imported packages, keywords and builtins.
func (s *Session) Complete(code string, cursor int) interp.Completion {
	s.mu.Lock()
	defer s.mu.Unlock()
	runes := []rune(code)
	cursor = max(0, min(cursor, len(runes)))
	start := identStart(runes, cursor)
	prefix := string(runes[start:cursor])

	type match struct{ text, kind string }
	var matches []match
	if start > 0 && runes[start-1] == '.' {
		pstart := identStart(runes, start-1)
		x := string(runes[pstart : start-1])
		if _, isVar := s.index[x]; !isVar {
			if syms, _ := s.findPackage(x); syms != nil {
				for name, v := range syms {
					if strings.HasPrefix(name, prefix) && !strings.HasPrefix(name, "_") {
						matches = append(matches, match{name, kindOf(v)})
					}
				}
			}
		}
		for name, kind := range s.members(x) {
			if strings.HasPrefix(name, prefix) {
				matches = append(matches, match{name, kind})
			}
		}
	} else {
		add := func(name, kind string) {
			if strings.HasPrefix(name, prefix) {
				matches = append(matches, match{name, kind})
			}
		}
		for name, sym := range s.index {
			if !strings.HasPrefix(name, "gokernel_") {
				add(name, sym.kind)
			}
		}
		for name := range s.imported {
			if name != rtPackage {
				add(name, "module")
			}
		}
		for _, k := range keywords {
			add(k, "keyword")
		}
		for _, p := range predeclared {
			add(p, "builtin")
		}
	}
	sort.Slice(matches, func(i, j int) bool { return matches[i].text < matches[j].text })
	matches = slices.CompactFunc(matches, func(a, b match) bool { return a.text == b.text })

	out := interp.Completion{Matches: []string{}, CursorStart: start, CursorEnd: cursor, Metadata: map[string]any{}}
	types := make([]map[string]any, 0, len(matches))
	for _, m := range matches {
		out.Matches = append(out.Matches, m.text)
		types = append(types, map[string]any{"start": start, "end": cursor, "text": m.text, "type": m.kind})
	}
	out.Metadata["_jupyter_types_experimental"] = types
	return out
}

func kindOf(v reflect.Value) string {
	switch {
	case v.Kind() == reflect.Func:
		return "function"
	case v.Kind() == reflect.Pointer && v.IsNil():
		return "class" // a type is exported as a nil pointer to it
	case v.Type().String() == "constant.Value" || strings.Contains(v.Type().String(), "constant"):
		return "constant"
	}
	return "instance"
}

func isIdentRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

func identStart(runes []rune, i int) int {
	for i > 0 && isIdentRune(runes[i-1]) {
		i--
	}
	return i
}

// Inspect describes the name at cursor: the declaration and current value of
// a cell's variable, the signature of a cell's func, or the type of a
// standard library member.
func (s *Session) Inspect(code string, cursor, detail int) interp.Inspection {
	s.mu.Lock()
	defer s.mu.Unlock()
	notFound := interp.Inspection{Data: map[string]any{}, Metadata: map[string]any{}}
	runes := []rune(code)
	cursor = max(0, min(cursor, len(runes)))
	start, end := identStart(runes, cursor), cursor
	for end < len(runes) && isIdentRune(runes[end]) {
		end++
	}
	if start == end {
		return notFound
	}
	name := string(runes[start:end])
	var text string
	if start > 0 && runes[start-1] == '.' {
		pstart := identStart(runes, start-1)
		syms, p := s.findPackage(string(runes[pstart : start-1]))
		v, ok := syms[name]
		if !ok {
			return notFound
		}
		if d, ok := stddoc.Lookup(p, name); ok {
			text = strings.TrimSpace(d.Decl) + "\n\n" + d.Doc
			if !strings.HasPrefix(d.Decl, "func") {
				text = "package " + p + "\n\n" + text
			}
		} else {
			text = p + "." + name + " " + v.Type().String()
			if v.Kind() == reflect.Pointer && v.IsNil() {
				text = "type " + p + "." + name + " " + v.Type().Elem().Kind().String()
			}
		}
	} else {
		sym, ok := s.index[name]
		if !ok {
			return notFound
		}
		text = sym.decl
		if sym.kind == "var" || sym.kind == "const" {
			if v, ok := s.in.Globals()[name]; ok {
				if text == "" {
					text = sym.kind + " " + name
				}
				if v.IsValid() {
					s.resolveTypes()
					text += "\ntype: " + v.Type().String()
					text += "\nvalue: " + s.formatWithin(v, inspectLimits)
				}
			}
		}
		if detail > 0 && sym.src != "" {
			text += "\n\nsource:\n" + sym.src
		}
	}
	if text == "" {
		return notFound
	}
	return interp.Inspection{Found: true, Data: map[string]any{"text/plain": text}, Metadata: map[string]any{}}
}

// userExpression evaluates one of an execute request's user_expressions.
// Only expressions are accepted, and the result is not shown as output.
func (s *Session) userExpression(ctx context.Context, expr string) map[string]any {
	errReply := func(e *interp.Error) map[string]any {
		return map[string]any{"status": "error", "ename": e.Name, "evalue": e.Value, "traceback": e.Traceback}
	}
	if _, err := parser.ParseExpr(expr); err != nil {
		return errReply(&interp.Error{Name: ErrNameCompile, Value: "not an expression: " + err.Error(),
			Traceback: []string{red(ErrNameCompile) + ": not an expression: " + err.Error()}})
	}
	cell, err := frontend.Parse(s.in.FileSet(), expr)
	if err != nil {
		return errReply(s.compileError(expr, err))
	}
	if len(cell.Stmts) == 0 || cell.Last == nil {
		// ParseExpr accepts text a cell reads as a declaration, such as
		// func(a int) b (c).
		msg := "not an expression"
		return errReply(&interp.Error{Name: ErrNameCompile, Value: msg, Traceback: []string{red(ErrNameCompile) + ": " + msg}})
	}
	v, ierr := s.run(ctx, expr, &ast.BlockStmt{Lbrace: cell.Stmts[0].Pos(), List: cell.Stmts})
	if ierr != nil {
		return errReply(ierr)
	}
	text := "nil"
	if s.hasValue(cell.Last, v) {
		text = s.format(v)
	}
	return map[string]any{"status": "ok", "data": map[string]any{"text/plain": text}, "metadata": map[string]any{}}
}
