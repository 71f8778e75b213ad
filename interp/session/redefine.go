package session

import (
	"context"
	"fmt"
	"go/ast"
	"go/scanner"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"github.com/gokernel/gokernel/interp/frontend"
)

// Redefinition in a later cell.
//
// yaegi lets a cell declare a func again, but code compiled earlier keeps
// calling the old body; it ignores a type declared again, and keeps the
// first of two methods of the same name. A notebook user who edits a cell
// and runs it again expects the new definition to hold. So:
//
//   - a func declared again is what every caller calls: the funcs of earlier
//     cells that reach it are compiled again after it (see
//     [frontend.Package.Dependents]); a method that reaches it cannot be, and
//     a warning names it;
//   - a type or method declared again with the same source (the cell was run
//     again) is skipped, so running a cell twice is harmless;
//   - a type or method declared again with different source is an error
//     that says why and what to do, instead of being silently ignored.

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
	// changed names the funcs declared again with a new body; redeclared
	// the funcs and variables declared again at all.
	changed, redeclared []string
	at                  token.Pos // the first changed func, where errors about it go
}

// checkRedefinitions compares the declarations of a step with what earlier
// cells declared. A type or method declared again unchanged is left out of
// kept (running a cell again is harmless); one whose source changed is an
// error. A func is kept even when unchanged: it may use a variable the cell
// declares again, and its callers must then be compiled again.
func (s *Session) checkRedefinitions(fset *token.FileSet, decls []ast.Decl) (redefinition, error) {
	rd := redefinition{defs: make(map[string]definition)}
	var errs scanner.ErrorList
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
			}
			prev, ok := s.defined[key]
			switch {
			case !ok || prev.kind != def.kind:
			case def.kind == "func":
				rd.redeclared = append(rd.redeclared, key)
				if prev.src != def.src {
					rd.changed = append(rd.changed, key)
					if rd.at == token.NoPos {
						rd.at = d.Name.Pos()
					}
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
		case *ast.GenDecl:
			if d.Tok != token.TYPE {
				if d.Tok == token.VAR {
					// A variable declared again is a new variable to
					// yaegi: the funcs using the old one must be
					// compiled again.
					for _, spec := range d.Specs {
						for _, n := range spec.(*ast.ValueSpec).Names {
							if s.isVar(n.Name) {
								rd.redeclared = append(rd.redeclared, n.Name)
							}
						}
					}
				}
				rd.kept = append(rd.kept, d)
				continue
			}
			var specs []ast.Spec
			for _, spec := range d.Specs {
				ts := spec.(*ast.TypeSpec)
				def := definition{kind: "type", src: frontend.Canonical(ts)}
				prev, ok := s.defined[ts.Name.Name]
				switch {
				case !ok || prev.kind != "type":
					specs = append(specs, ts)
					rd.defs[ts.Name.Name] = def
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

// checkDependents refuses a func declared again with a signature an
// earlier caller cannot use, before anything is evaluated, as a program
// with that caller would not compile: yaegi, compiling such a caller again,
// would leave it broken. typeErrs are the errors of the type check of the
// step against the earlier cells (package lower's).
func (s *Session) checkDependents(fset *token.FileSet, rd redefinition, typeErrs []types.Error) error {
	if len(rd.changed) == 0 || len(typeErrs) == 0 {
		return nil
	}
	funcs, _ := s.pkg.Dependents(rd.changed)
	for _, fd := range funcs {
		for _, te := range typeErrs {
			if !te.Soft && fd.Pos() <= te.Pos && te.Pos < fd.End() {
				var list scanner.ErrorList
				list.Add(fset.Position(rd.at), fmt.Sprintf(
					"%s cannot be redefined this way: %s, declared by an earlier cell, uses it and would "+
						"no longer compile (%s); redefine %s in this cell too, or restart the kernel",
					strings.Join(rd.changed, ", "), fd.Name.Name, te.Msg, fd.Name.Name))
				return list
			}
		}
	}
	return nil
}

// recompileDependents compiles again the funcs of earlier cells that reach
// the funcs and variables the step declared again, so that they use the new
// ones, and warns about the methods that reach a changed func or a variable
// declared again, which yaegi cannot compile again. A dependent that no
// longer compiles keeps its earlier definition, with a warning.
func (s *Session) recompileDependents(ctx context.Context, rd redefinition) {
	if len(rd.redeclared) == 0 {
		return
	}
	funcs, _ := s.pkg.Dependents(rd.redeclared)
	// An unchanged func does what it did: methods calling it are fine.
	changed := slices.DeleteFunc(slices.Clone(rd.redeclared), func(n string) bool {
		return s.defined[n].kind == "func" && !slices.Contains(rd.changed, n)
	})
	_, methods := s.pkg.Dependents(changed)
	warn := func(format string, args ...any) {
		fmt.Fprintf(s.opts.Stderr, "warning: "+format+"\n", args...)
	}
	if len(funcs) > 0 {
		decls := make([]ast.Decl, len(funcs))
		for i, fd := range funcs {
			decls[i] = fd
		}
		node := &ast.File{Name: ast.NewIdent("main"), Decls: decls}
		if _, ierr := s.run(ctx, "", node); ierr != nil {
			// Together they failed; one at a time, so that those that
			// still compile are updated and the others named.
			for _, fd := range funcs {
				node := &ast.File{Name: ast.NewIdent("main"), Decls: []ast.Decl{fd}}
				if _, ierr := s.run(ctx, "", node); ierr != nil {
					warn("%s, declared by an earlier cell, still uses the earlier %s: compiling it again failed: %s",
						fd.Name.Name, strings.Join(rd.redeclared, ", "), ierr.Value)
				}
			}
		}
	}
	for _, m := range methods {
		warn("method %s still calls the earlier %s: the interpreter cannot compile a method of an existing type again; restart the kernel to update it",
			m, strings.Join(changed, ", "))
	}
}
