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

// A pkgDecl is one declaration and the keys it defines: names, and
// "Recv.Method" for methods.
type pkgDecl struct {
	keys []string
	decl ast.Decl
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

// AddStmts records what top-level statements define.
func (p *Package) AddStmts(stmts []ast.Stmt) {
	for _, s := range stmts {
		switch s := s.(type) {
		case *ast.DeclStmt:
			p.AddDecls([]ast.Decl{s.Decl})
		case *ast.AssignStmt:
			if s.Tok != token.DEFINE {
				continue
			}
			spec := &ast.ValueSpec{Values: s.Rhs}
			for _, e := range s.Lhs {
				id, ok := e.(*ast.Ident)
				if !ok {
					spec = nil
					break
				}
				spec.Names = append(spec.Names, id)
			}
			if spec != nil {
				p.add(&ast.GenDecl{Tok: token.VAR, Specs: []ast.Spec{spec}})
			}
		}
	}
}

// Files returns the package as files for go/types, leaving out the earlier
// definitions of the names that decls define (so that a cell redefining a
// name is not checked against its old definition).
func (p *Package) Files(decls ...ast.Decl) []*ast.File {
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
		if !slices.ContainsFunc(d.keys, func(k string) bool { return redefined[k] }) {
			f.Decls = append(f.Decls, d.decl)
		}
	}
	return []*ast.File{f}
}

func (p *Package) add(d ast.Decl) {
	ks := keys(d)
	if len(ks) == 0 {
		return
	}
	p.decls = slices.DeleteFunc(p.decls, func(old pkgDecl) bool {
		return slices.ContainsFunc(old.keys, func(k string) bool { return slices.Contains(ks, k) })
	})
	p.decls = append(p.decls, pkgDecl{keys: ks, decl: d})
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
// for a method of T, and "" for init, a blank func, or a method whose
// receiver type has no name.
func FuncKey(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		if d.Name.Name == "init" || d.Name.Name == "_" {
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

// Dependents returns the funcs of p whose bodies refer, directly or through
// other funcs of p, to one of the names changed, in the order they were
// declared, and the keys ("T.M") of the methods that do. When a cell
// declares a func or a variable again, yaegi keeps the earlier one in code
// already compiled against it: these are what must be compiled again.
//
// Any identifier of the name counts (a local variable or a field of the
// same name too): compiling a func again is harmless.
func (p *Package) Dependents(changed []string) (funcs []*ast.FuncDecl, methods []string) {
	reached := make(map[string]bool, len(changed))
	for _, n := range changed {
		reached[n] = true
	}
	dependent := make(map[*ast.FuncDecl]bool)
	for grew := true; grew; {
		grew = false
		for _, d := range p.decls {
			fd, ok := d.decl.(*ast.FuncDecl)
			if ok && fd.Body != nil && fd.Recv == nil && !dependent[fd] && !reached[fd.Name.Name] && refersTo(fd.Body, reached) {
				dependent[fd], reached[fd.Name.Name], grew = true, true, true
			}
		}
	}
	for _, d := range p.decls {
		fd, ok := d.decl.(*ast.FuncDecl)
		switch {
		case !ok || fd.Body == nil:
		case dependent[fd]:
			funcs = append(funcs, fd)
		case fd.Recv != nil && refersTo(fd.Body, reached):
			methods = append(methods, d.keys[0])
		}
	}
	return funcs, methods
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
