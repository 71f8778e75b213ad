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

// checkRedefinitions compares the declarations of a step with what earlier
// cells declared. It returns the declarations to evaluate (without the
// types and methods that are declared again unchanged), the names of the
// funcs declared again with a new body (changed), and of the funcs and
// variables declared again at all (redeclared), or an error for a type or
// method whose definition changed.
func (s *Session) checkRedefinitions(fset *token.FileSet, decls []ast.Decl) (kept []ast.Decl, changed, redeclared []string, err error) {
	var errs scanner.ErrorList
	for _, d := range decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			key, kind := declKey(d)
			if key == "" {
				kept = append(kept, d)
				continue
			}
			prev, ok := s.defined[key]
			switch {
			case !ok || prev.kind != kind:
				kept = append(kept, d)
			case kind == "func":
				// Compiled again even when unchanged: it may use a variable
				// the cell declares again, and its callers must then call
				// the new one.
				kept = append(kept, d)
				redeclared = append(redeclared, key)
				if prev.src == "" || prev.src != frontend.Canonical(d) {
					changed = append(changed, key)
				}
			case prev.src != "" && prev.src == frontend.Canonical(d):
				// The same method again: nothing to do.
			default:
				errs.Add(fset.Position(d.Name.Pos()), fmt.Sprintf(
					"method %s is already defined by an earlier cell, and the interpreter cannot replace "+
						"a method of an existing type: restart the kernel to change it, or make it a func",
					key))
			}
		case *ast.GenDecl:
			if d.Tok == token.VAR {
				// A variable declared again is a new variable to yaegi:
				// the funcs using the old one must be compiled again.
				for _, spec := range d.Specs {
					for _, n := range spec.(*ast.ValueSpec).Names {
						if s.isVar(n.Name) {
							redeclared = append(redeclared, n.Name)
						}
					}
				}
			}
			if d.Tok != token.TYPE {
				kept = append(kept, d)
				continue
			}
			specs := d.Specs[:0:0]
			for _, spec := range d.Specs {
				ts := spec.(*ast.TypeSpec)
				prev, ok := s.defined[ts.Name.Name]
				switch {
				case !ok || prev.kind != "type":
					specs = append(specs, ts)
				case prev.src != "" && prev.src == frontend.Canonical(ts):
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
				kept = append(kept, &nd)
			}
		default:
			kept = append(kept, d)
		}
	}
	if err := errs.Err(); err != nil {
		return nil, nil, nil, err
	}
	return kept, changed, redeclared, nil
}

// definitionsOf returns the types, funcs and methods decls declare, by key.
func definitionsOf(decls []ast.Decl) map[string]definition {
	defs := make(map[string]definition)
	for _, d := range decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if key, kind := declKey(d); key != "" {
				defs[key] = definition{kind: kind, src: frontend.Canonical(d)}
			}
		case *ast.GenDecl:
			if d.Tok != token.TYPE {
				continue
			}
			for _, spec := range d.Specs {
				ts := spec.(*ast.TypeSpec)
				defs[ts.Name.Name] = definition{kind: "type", src: frontend.Canonical(ts)}
			}
		}
	}
	return defs
}

// declKey returns the key under which a func or method is remembered
// ("f" or "T.M") and its kind; init and blank funcs have none.
func declKey(d *ast.FuncDecl) (key, kind string) {
	if d.Recv != nil && len(d.Recv.List) > 0 {
		if name := frontend.RecvTypeName(d.Recv.List[0].Type); name != "" {
			return name + "." + d.Name.Name, "method"
		}
		return "", ""
	}
	if d.Name.Name == "init" || d.Name.Name == "_" {
		return "", ""
	}
	return d.Name.Name, "func"
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

// checkDependents type-checks the earlier funcs that reach the funcs
// changed against their new definitions in decls, before anything is
// evaluated: a dependent that would no longer compile (the new func has
// another signature) makes the cell an error, as it would make a program
// one. yaegi, compiling such a dependent again, would leave it broken.
func (s *Session) checkDependents(fset *token.FileSet, decls []ast.Decl, changed []string) error {
	funcs, _ := s.pkg.Dependents(changed)
	if len(funcs) == 0 {
		return nil
	}
	files := s.pkg.Files(decls...)
	files = append(files, &ast.File{Name: ast.NewIdent("main"), Decls: decls})
	var errs []types.Error
	conf := types.Config{Importer: s.importer, FakeImportC: true, Error: func(err error) {
		if te, ok := err.(types.Error); ok && !te.Soft {
			errs = append(errs, te)
		}
	}}
	conf.Check("main", fset, files, nil)
	// The error is reported at the first func the cell redefines.
	at := token.NoPos
	for _, d := range decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && at == token.NoPos {
			if key, _ := declKey(fd); slices.Contains(changed, key) {
				at = fd.Name.Pos()
			}
		}
	}
	var list scanner.ErrorList
	for _, fd := range funcs {
		for _, te := range errs {
			if fd.Pos() <= te.Pos && te.Pos < fd.End() {
				list.Add(fset.Position(at), fmt.Sprintf(
					"%s cannot be redefined this way: %s, declared by an earlier cell, uses it and would "+
						"no longer compile (%s); redefine %s in this cell too, or restart the kernel",
					strings.Join(changed, ", "), fd.Name.Name, te.Msg, fd.Name.Name))
				return list
			}
		}
	}
	return nil
}

// recompileDependents compiles again the funcs of earlier cells that reach
// the funcs and variables declared again (redeclared), so that they use the
// new definitions, and warns about the methods that reach those in warnFor
// (the funcs with a new body, and the variables), which yaegi cannot compile
// again. A dependent that no longer compiles keeps its earlier definition,
// with a warning.
func (s *Session) recompileDependents(ctx context.Context, redeclared, warnFor []string) {
	funcs, _ := s.pkg.Dependents(redeclared)
	_, methods := s.pkg.Dependents(warnFor)
	changed := warnFor
	warn := func(format string, args ...any) {
		fmt.Fprintf(s.opts.Stderr, "warning: "+format+"\n", args...)
	}
	names := strings.Join(changed, ", ")
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
					warn("%s, declared by an earlier cell, still calls the earlier %s: compiling it again failed: %s",
						fd.Name.Name, names, ierr.Value)
				}
			}
		}
	}
	for _, m := range methods {
		warn("method %s still calls the earlier %s: the interpreter cannot compile a method of an existing type again; restart the kernel to update it",
			m, names)
	}
}
