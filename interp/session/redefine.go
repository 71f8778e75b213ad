package session

import (
	"context"
	"fmt"
	"go/ast"
	"go/scanner"
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"

	"github.com/gokernel/gokernel/interp/frontend"
)

// Redefinition in a later cell.
//
// yaegi lets a cell declare a func or a variable again, but code compiled
// earlier keeps using the old one; it ignores a type declared again, and
// keeps the first of two methods of the same name. A notebook user who
// edits a cell and runs it again expects the new definition to hold. So:
//
//   - a func or variable declared again (also with := at a cell's top level)
//     is what every func uses: the funcs of earlier cells that reach it are
//     compiled again after it (see [frontend.Package.Dependents]), once a
//     type check has shown they still compile (a new signature or type
//     that breaks one is refused, naming it); a method that reaches it
//     cannot be compiled again, and a warning names it;
//   - a type or method declared again with the same source (the cell was run
//     again) is skipped, so running a cell twice is harmless;
//   - a type or method declared again with different source, or a name that
//     changes kind (a func becoming a type or a variable), is an error that
//     says why and what to do, instead of being silently ignored.

// definition is what the session remembers of a type, func or method a
// cell declared: its kind and its source printed without positions.
type definition struct {
	kind string // "type", "func" or "method"
	src  string
}

// redefinition is what a step's declarations do to what earlier cells
// declared.
type redefinition struct {
	kept []ast.Decl            // the declarations to evaluate
	defs map[string]definition // what kept declares, remembered once evaluated
	// changed names the funcs declared again with a new body and the
	// variables declared again: code compiled earlier still uses the old
	// ones. declared names everything the step declares.
	changed  []string
	declared map[string]bool
	at       token.Pos // the first changed name, where errors about it go
}

// checkRedefinitions compares the declarations of a step with what earlier
// cells declared. A type or method declared again unchanged is left out of
// kept (running a cell again is harmless); one whose source changed is an
// error, and so is a name that changes kind (a func becoming a type). A
// func is kept even when unchanged: yaegi compiles it anew, which is what
// its callers need when it uses a variable the cell declares again.
func (s *Session) checkRedefinitions(fset *token.FileSet, decls []ast.Decl) (redefinition, error) {
	rd := redefinition{defs: make(map[string]definition), declared: make(map[string]bool)}
	var errs scanner.ErrorList
	changed := func(name *ast.Ident) {
		rd.changed = append(rd.changed, name.Name)
		if rd.at == token.NoPos {
			rd.at = name.Pos()
		}
	}
	// kindOK reports a name declared before as something else.
	kindOK := func(name *ast.Ident, kind string) bool {
		prev := s.index[name.Name]
		if prev == nil || prev.kind == kind || prev.kind != "func" && prev.kind != "type" && kind != "func" && kind != "type" {
			return true
		}
		errs.Add(fset.Position(name.Pos()), fmt.Sprintf(
			"%s is a %s declared by an earlier cell, and the interpreter cannot make it a %s: "+
				"use another name, or restart the kernel", name.Name, prev.kind, kind))
		return false
	}
	for _, d := range decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			key := frontend.FuncKey(d)
			if key == "" {
				rd.kept = append(rd.kept, d)
				continue
			}
			def := definition{kind: "func", src: frontend.Canonical(d)}
			if d.Recv != nil {
				def.kind = "method"
			} else if !kindOK(d.Name, "func") {
				continue
			}
			prev, ok := s.defined[key]
			switch {
			case !ok || prev.kind != def.kind:
			case def.kind == "func":
				if prev.src != def.src {
					changed(d.Name)
				}
			case prev.src == def.src:
				continue // the same method again
			default:
				errs.Add(fset.Position(d.Name.Pos()), fmt.Sprintf(
					"method %s is already defined by an earlier cell, and the interpreter cannot replace "+
						"a method of an existing type: restart the kernel to change it, or make it a func",
					key))
				continue
			}
			rd.kept = append(rd.kept, d)
			rd.defs[key] = def
			rd.declared[key] = true
		case *ast.GenDecl:
			if d.Tok != token.TYPE {
				for _, spec := range d.Specs {
					vs, ok := spec.(*ast.ValueSpec)
					if !ok {
						continue
					}
					for _, n := range vs.Names {
						if n.Name == "_" || !kindOK(n, d.Tok.String()) {
							continue
						}
						rd.declared[n.Name] = true
						// A variable or constant declared again is a new
						// one to yaegi (which builds constants into the
						// code): the funcs using the old one must be
						// compiled again.
						if sym := s.index[n.Name]; sym != nil && (sym.kind == "var" || sym.kind == "const") {
							changed(n)
						}
					}
				}
				rd.kept = append(rd.kept, d)
				continue
			}
			var specs []ast.Spec
			for _, spec := range d.Specs {
				ts := spec.(*ast.TypeSpec)
				if ts.Name.Name == "_" {
					specs = append(specs, ts) // declares nothing
					continue
				}
				if !kindOK(ts.Name, "type") {
					continue
				}
				def := definition{kind: "type", src: frontend.Canonical(ts)}
				prev, ok := s.defined[ts.Name.Name]
				switch {
				case !ok || prev.kind != "type":
					specs = append(specs, ts)
					rd.defs[ts.Name.Name] = def
					rd.declared[ts.Name.Name] = true
				case prev.src == def.src:
					// Unchanged.
				default:
					errs.Add(fset.Position(ts.Name.Pos()), fmt.Sprintf(
						"type %s is already defined by an earlier cell as %s, and the interpreter cannot change "+
							"a type that values and methods already use: restart the kernel to redefine it, "+
							"or give the new type another name", ts.Name.Name, typeSummary(prev.src)))
				}
			}
			if len(specs) > 0 {
				nd := *d
				nd.Specs = specs
				rd.kept = append(rd.kept, &nd)
			}
		default:
			rd.kept = append(rd.kept, d)
		}
	}
	return rd, errs.Err()
}

// typeSummary shortens a type's source for an error message: "struct{…}"
// rather than every field.
func typeSummary(src string) string {
	_, def, _ := strings.Cut(src, " ")
	if i := strings.IndexAny(def, "{\n"); i >= 0 && len(def) > 40 {
		def = def[:i] + "{…}"
	}
	return strings.TrimSpace(def)
}

// dependents is what code of earlier cells uses names a step declares
// again: the funcs to compile again after it, and the methods that keep the
// old definitions.
type dependents struct {
	funcs   []*ast.FuncDecl
	methods []string
	names   []string // the names declared again
}

// dependentsOf finds the earlier funcs and methods that reach names, which
// a step declares again; the funcs the step declares itself are compiled
// anew anyway and left out.
func (s *Session) dependentsOf(names []string, declared map[string]bool) dependents {
	funcs, methods := s.pkg.Dependents(names)
	funcs = slices.DeleteFunc(funcs, func(fd *ast.FuncDecl) bool { return declared[fd.Name.Name] })
	methods = slices.DeleteFunc(methods, func(m string) bool { return declared[m] })
	return dependents{funcs: funcs, methods: methods, names: names}
}

// has reports whether fd is one of the funcs to compile again; the type
// check of the step keeps their bodies.
func (d dependents) has(fd *ast.FuncDecl) bool { return slices.Contains(d.funcs, fd) }

// checkDependents refuses a new definition (a func's signature, a
// variable's type) that an earlier caller cannot use, before anything is
// evaluated, as a program with that caller would not compile: yaegi,
// compiling the caller again, would leave it broken. typeErrs are the errors
// of the type check of the step with the earlier cells (package lower's).
func checkDependents(fset *token.FileSet, rd redefinition, deps dependents, typeErrs []types.Error) error {
	for _, fd := range deps.funcs {
		for _, te := range typeErrs {
			if !te.Soft && fd.Pos() <= te.Pos && te.Pos < fd.End() {
				var list scanner.ErrorList
				list.Add(fset.Position(rd.at), fmt.Sprintf(
					"%s cannot be redefined this way: %s, declared by an earlier cell, uses it and would "+
						"no longer compile (%s); redefine %s in this cell too, or restart the kernel",
					strings.Join(deps.names, ", "), fd.Name.Name, te.Msg, fd.Name.Name))
				return list
			}
		}
	}
	return nil
}

// recompile compiles again the earlier funcs that use what a step declared
// again, so that they use the new definitions, and warns about the methods
// that do, which yaegi cannot compile again. A func that no longer compiles
// (a := gave a variable another type) is left broken by yaegi: it becomes
// one with the same signature that panics saying so, and a warning names it.
func (s *Session) recompile(ctx context.Context, deps dependents) {
	warn := func(format string, args ...any) {
		fmt.Fprintf(s.opts.Stderr, "warning: "+format+"\n", args...)
	}
	names := strings.Join(deps.names, ", ")
	if len(deps.funcs) > 0 {
		decls := make([]ast.Decl, len(deps.funcs))
		for i, fd := range deps.funcs {
			decls[i] = fd
		}
		node := &ast.File{Name: ast.NewIdent("main"), Decls: decls}
		if _, ierr := s.run(ctx, "", node); ierr != nil {
			// Together they failed; one at a time, so that those that
			// still compile are updated and the others named.
			for _, fd := range deps.funcs {
				node := &ast.File{Name: ast.NewIdent("main"), Decls: []ast.Decl{fd}}
				if _, ierr := s.run(ctx, "", node); ierr != nil {
					_, _, why := splitPos(ierr.Value) // a position in the recompiled source, not a cell
					msg := fmt.Sprintf("%s, declared by an earlier cell, no longer compiles now that %s changed (%s): "+
						"declare it again, or restart the kernel", fd.Name.Name, names, why)
					warn("%s", msg)
					s.run(ctx, "", &ast.File{Name: ast.NewIdent("main"), Decls: []ast.Decl{panicking(fd, msg)}})
				}
			}
		}
	}
	for _, m := range deps.methods {
		warn("method %s still uses the earlier %s: the interpreter cannot compile a method of an existing type again; restart the kernel to update it",
			m, names)
	}
}

// panicking returns a func with fd's name and signature whose body panics
// with msg: what stands for a func that no longer compiles, where yaegi
// would leave one that fails with an unrelated error when called.
func panicking(fd *ast.FuncDecl, msg string) *ast.FuncDecl {
	call := &ast.CallExpr{Fun: ast.NewIdent("panic"), Args: []ast.Expr{&ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(msg)}}}
	return &ast.FuncDecl{Name: ast.NewIdent(fd.Name.Name), Type: fd.Type, Body: &ast.BlockStmt{List: []ast.Stmt{&ast.ExprStmt{X: call}}}}
}
