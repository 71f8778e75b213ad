package frontend

import (
	"bytes"
	"go/ast"
	"go/printer"
	"go/token"
	"slices"
	"strconv"
)

// Package is what the cells evaluated so far declare, as Go source the type
// checker can read: the latest definition of every package-level name, and
// the imports. The session gives it to package lower, whose rewrites need
// the types of names that earlier cells declared.
//
// Top-level statements count as declarations of what they define
// (`x, y := f()` as `var x, y = f()`), as yaegi makes those variables
// package-level. A name defined again replaces its earlier definition, as in
// the interpreter. The zero value is an empty package.
type Package struct {
	imports []*ast.ImportSpec
	decls   []pkgDecl
}

// A pkgDecl is one declaration, the keys it defines (names, and
// "Recv.Method" for methods) and, for a func, the identifiers its body
// mentions.
type pkgDecl struct {
	keys     []string
	decl     ast.Decl
	mentions map[string]bool
}

// AddImports records import specs.
func (p *Package) AddImports(specs []*ast.ImportSpec) {
	for _, spec := range specs {
		path, name := ImportPathName(spec)
		if !slices.ContainsFunc(p.imports, func(s *ast.ImportSpec) bool {
			q, n := ImportPathName(s)
			return q == path && n == name
		}) {
			p.imports = append(p.imports, spec)
		}
	}
}

// AddDecls records declarations, replacing earlier ones of the same names.
func (p *Package) AddDecls(decls []ast.Decl) {
	for _, d := range decls {
		for _, one := range split(d) {
			p.add(one)
		}
	}
}

// AddStmts records what top-level statements define. typeOf gives the
// type of a variable a := defines, as an expression, or nil; such a
// variable is recorded as `var x T`. Without a type it is recorded as `var x
// = <right side>`, unless the right side uses a name it defines (`n := n +
// 1` would be a cycle to go/types): the earlier definition then stays.
func (p *Package) AddStmts(stmts []ast.Stmt, typeOf func(name string) ast.Expr) {
	for _, s := range stmts {
		switch s := s.(type) {
		case *ast.DeclStmt:
			p.AddDecls([]ast.Decl{s.Decl})
		case *ast.AssignStmt:
			if s.Tok != token.DEFINE {
				continue
			}
			spec := &ast.ValueSpec{Values: s.Rhs}
			names := make(map[string]bool)
			var typed []*ast.ValueSpec // one per name
			allTyped := true
			for _, e := range s.Lhs {
				id, ok := e.(*ast.Ident)
				if !ok {
					spec = nil
					break
				}
				spec.Names = append(spec.Names, id)
				if id.Name == "_" {
					continue
				}
				names[id.Name] = true
				t := typeOf(id.Name)
				allTyped = allTyped && t != nil
				typed = append(typed, &ast.ValueSpec{Names: []*ast.Ident{id}, Type: t})
			}
			switch {
			case spec == nil:
			case allTyped && len(typed) > 0:
				for _, t := range typed {
					p.add(&ast.GenDecl{Tok: token.VAR, Specs: []ast.Spec{t}})
				}
			case !slices.ContainsFunc(s.Rhs, func(e ast.Expr) bool { return refersTo(e, names) }):
				p.add(&ast.GenDecl{Tok: token.VAR, Specs: []ast.Spec{spec}})
			}
		}
	}
}

// Files returns the package as files for go/types, leaving out the earlier
// definitions of the names that decls define (so that a cell redefining a
// name is not checked against its old definition). Only the signatures of
// funcs are given, except for those keepBody accepts (it may be nil): a
// step needs the types of earlier names, not their bodies, and checking
// every earlier body for every step would grow with the notebook.
func (p *Package) Files(keepBody func(*ast.FuncDecl) bool, decls ...ast.Decl) []*ast.File {
	redefined := make(map[string]bool)
	for _, d := range decls {
		for _, one := range split(d) {
			for _, k := range keys(one) {
				redefined[k] = true
			}
		}
	}
	f := &ast.File{Name: ast.NewIdent("main"), Imports: p.imports}
	if len(p.imports) > 0 {
		specs := make([]ast.Spec, len(p.imports))
		for i, s := range p.imports {
			specs[i] = s
		}
		f.Decls = append(f.Decls, &ast.GenDecl{Tok: token.IMPORT, Specs: specs})
	}
	for _, d := range p.decls {
		if slices.ContainsFunc(d.keys, func(k string) bool { return redefined[k] }) {
			continue
		}
		decl := d.decl
		if fd, ok := decl.(*ast.FuncDecl); ok && fd.Body != nil && (keepBody == nil || !keepBody(fd)) {
			sig := *fd
			sig.Body = nil
			decl = &sig
		}
		f.Decls = append(f.Decls, decl)
	}
	return []*ast.File{f}
}

// add records d, replacing what it redefines. An earlier `var x, err = f()`
// of which d redefines only err keeps x: err becomes blank in it.
func (p *Package) add(d ast.Decl) {
	ks := keys(d)
	if len(ks) == 0 {
		return
	}
	kept := p.decls[:0]
	for _, old := range p.decls {
		if !slices.ContainsFunc(old.keys, func(k string) bool { return slices.Contains(ks, k) }) {
			kept = append(kept, old)
			continue
		}
		if rest := withoutNames(old, ks); rest != nil {
			kept = append(kept, *rest)
		}
	}
	p.decls = append(kept, newPkgDecl(ks, d))
}

func newPkgDecl(ks []string, d ast.Decl) pkgDecl {
	pd := pkgDecl{keys: ks, decl: d}
	if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
		pd.mentions = freeNames(fd)
	}
	return pd
}

// freeNames returns the names fd's body uses that it does not declare
// itself: a local err or a parameter n is not the package-level one, while
// a name used before a local of the same name shadows it still counts. It
// follows the parser's resolution (ast.Ident.Obj): a name resolved to a
// declaration inside fd is local; an unresolved one, or one made by a
// rewrite (which has no Obj), counts as free, the safe side: the cost of a
// name wrongly free is a func compiled again.
func freeNames(fd *ast.FuncDecl) map[string]bool {
	free := make(map[string]bool)
	local := func(id *ast.Ident) bool {
		if id.Obj == nil {
			return false
		}
		d, ok := id.Obj.Decl.(ast.Node)
		return ok && d.Pos().IsValid() && fd.Pos() <= d.Pos() && d.Pos() < fd.End()
	}
	var visit func(ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			ast.Inspect(n.X, visit)
			return false // the selected name is a field or method
		case *ast.Ident:
			if !local(n) {
				free[n.Name] = true
			}
		}
		return true
	}
	ast.Inspect(fd.Body, visit)
	return free
}

// withoutNames returns old, a one-spec var declaration defining several
// names, with the names in ks made blank, or nil when nothing of it is left
// or it is not such a declaration.
func withoutNames(old pkgDecl, ks []string) *pkgDecl {
	gd, ok := old.decl.(*ast.GenDecl)
	if !ok || gd.Tok != token.VAR || len(gd.Specs) != 1 {
		return nil
	}
	vs := gd.Specs[0].(*ast.ValueSpec)
	var left []string
	names := make([]*ast.Ident, len(vs.Names))
	for i, n := range vs.Names {
		names[i] = n
		if slices.Contains(ks, n.Name) {
			names[i] = &ast.Ident{NamePos: n.NamePos, Name: "_"}
		} else if n.Name != "_" {
			left = append(left, n.Name)
		}
	}
	if len(left) == 0 {
		return nil
	}
	spec := *vs
	spec.Names = names
	decl := *gd
	decl.Specs = []ast.Spec{&spec}
	return &pkgDecl{keys: left, decl: &decl}
}

// split returns d with one spec per declaration, so that each can be
// replaced on its own.
func split(d ast.Decl) []ast.Decl {
	gd, ok := d.(*ast.GenDecl)
	if !ok || len(gd.Specs) <= 1 || gd.Tok == token.CONST {
		// A const group stays whole: iota and implicit repetition
		// depend on the specs before.
		return []ast.Decl{d}
	}
	out := make([]ast.Decl, len(gd.Specs))
	for i, s := range gd.Specs {
		out[i] = &ast.GenDecl{TokPos: gd.TokPos, Tok: gd.Tok, Specs: []ast.Spec{s}}
	}
	return out
}

// keys returns what d defines.
func keys(d ast.Decl) []string {
	var ks []string
	switch d := d.(type) {
	case *ast.FuncDecl:
		if k := FuncKey(d); k != "" {
			return []string{k}
		}
		return nil
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				ks = append(ks, s.Name.Name)
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if n.Name != "_" {
						ks = append(ks, n.Name)
					}
				}
			}
		}
	}
	if len(ks) == 0 {
		// Only blank names: keep it, under a key of its own.
		return []string{"_" + strconv.Itoa(int(d.Pos()))}
	}
	return ks
}

// FuncKey returns what a func declaration defines: "f" for a func, "T.M"
// for a method of T, and "" for init, a blank func or method, or a method
// whose receiver type has no name.
func FuncKey(d *ast.FuncDecl) string {
	if d.Name.Name == "_" {
		return "" // declares nothing, with a receiver or not
	}
	if d.Recv == nil || len(d.Recv.List) == 0 {
		if d.Name.Name == "init" {
			return ""
		}
		return d.Name.Name
	}
	if t := RecvTypeName(d.Recv.List[0].Type); t != "" {
		return t + "." + d.Name.Name
	}
	return ""
}

// RecvTypeName returns the name of a receiver's base type: T for T, *T,
// T[E] and *T[E].
func RecvTypeName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// Dependents returns the funcs of p whose bodies mention, directly or
// through other funcs of p, one of the names changed, in the order they
// were declared, and the keys ("T.M") of the methods that do. When a cell
// declares a func or a variable again, yaegi keeps the earlier one in code
// already compiled against it: these are what must be compiled again.
//
// Any identifier of the name counts (a local variable or a field of the
// same name too): compiling a func again is harmless.
func (p *Package) Dependents(changed []string) (funcs []*ast.FuncDecl, methods []string) {
	if len(changed) == 0 {
		return nil, nil
	}
	reached := make(map[string]bool, len(changed))
	queue := slices.Clone(changed)
	for _, n := range changed {
		reached[n] = true
	}
	dependent := make(map[int]bool)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		for i, d := range p.decls {
			fd, ok := d.decl.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || dependent[i] || reached[fd.Name.Name] || !d.mentions[name] {
				continue
			}
			dependent[i], reached[fd.Name.Name] = true, true
			queue = append(queue, fd.Name.Name)
		}
	}
	for i, d := range p.decls {
		fd, ok := d.decl.(*ast.FuncDecl)
		switch {
		case !ok:
		case dependent[i]:
			funcs = append(funcs, fd)
		case fd.Recv != nil && mentionsAny(d.mentions, reached):
			methods = append(methods, d.keys[0])
		}
	}
	return funcs, methods
}

func mentionsAny(mentions, names map[string]bool) bool {
	for n := range mentions {
		if names[n] {
			return true
		}
	}
	return false
}

// Canonical returns node printed without its positions, so that two
// declarations that differ only in layout or comments print the same.
func Canonical(node ast.Node) string {
	var buf bytes.Buffer
	// An empty FileSet knows none of the positions: the printer then lays
	// the code out by itself.
	if err := printer.Fprint(&buf, token.NewFileSet(), node); err != nil {
		return ""
	}
	return buf.String()
}
