// Package frontend turns a notebook cell into pieces of Go that yaegi can
// evaluate, and tells whether a cell is ready to run.
//
// A cell is notebook-shaped Go: import declarations, top-level declarations
// (type, func, var, const) and statements, in any order. yaegi v0.16.1 decides
// how to compile a snippet from its first token, so it rejects such mixed
// cells. [Parse] therefore splits a cell, with go/scanner, into top-level units
// separated by semicolons, classifies each unit by its leading tokens, and
// parses the imports, the declarations and the statements as three synthetic
// files. The unused parts of the cell are blanked out and a //line directive
// maps every position back to the cell, so error positions name the user's
// line and column (columns are byte offsets plus one, as go/token counts them).
//
// The session evaluates the imports first, then the declarations and
// statements in the order [Cell.Steps] gives: declarations first, except one
// that uses a name a preceding statement defines, which runs after it. Before that, [Cell] offers the rewrites yaegi needs:
//
//   - [Cell.DropImported] removes imports that earlier cells already made
//     (yaegi reports a second `import "fmt"` as a redeclaration) and rejects
//     an import whose name is already bound to another path.
//   - [Cell.SplitVarInits] turns `var y T = e` into `var y T` plus the
//     statement `y = e`, and `var y = e` into the statement `y := e`, when e
//     refers to a package-level variable: yaegi reports "variable definition
//     loop" for those. A function of the cell that uses y then runs after
//     that statement ([Cell.Steps]). The moved statements keep source order,
//     not Go's initialisation order.
//   - [Cell.LowerDefers] replaces each top-level defer (one outside any
//     function literal) by a call that registers the deferred function and its
//     already evaluated arguments with the session, which runs them when the
//     cell ends, once. yaegi would rerun a top-level defer after every later
//     cell. Variables declared with := stay package-level, because the cell's
//     statements are not moved into a function. A recover() inside such a
//     deferred function does not stop the cell's panic.
//
// [IsComplete] answers is_complete requests; it parses a cell the same way.
package frontend

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"slices"
	"strings"
)

// Filename is the file name positions in a parsed cell report.
const Filename = "cell"

// Cell is a cell split into the pieces that are evaluated separately. All
// nodes carry positions that a FileSet maps back to the cell.
type Cell struct {
	// Imports holds the cell's import specs, in source order.
	Imports []*ast.ImportSpec
	// Decls holds the type, const, var and func declarations, in source order.
	Decls []ast.Decl
	// Stmts holds the statements, in source order.
	Stmts []ast.Stmt
	// Last is the expression of the cell's final unit when that unit is an
	// expression statement, and nil otherwise. Its value is the cell's result.
	Last ast.Expr
	// Program is set when the cell starts with the package clause
	// "package main": it is a whole program, whose main the session runs.
	Program bool

	// stepAfter marks statements after which a new step starts.
	stepAfter map[ast.Stmt]bool
}

// Parse splits code into imports, declarations and statements, parsing them
// with fset. A syntax error is returned as a [scanner.ErrorList] whose
// positions are in the cell (file name [Filename]).
func Parse(fset *token.FileSet, code string) (*Cell, error) {
	units, err := splitUnits(code)
	if err != nil {
		return nil, err
	}
	c := new(Cell)
	var imports, decls, stmts []unit
	var errs scanner.ErrorList
	for i, u := range units {
		switch u.kind {
		case packageUnit:
			if err := packageClause(code, u, i); err != nil {
				errs = append(errs, err)
			}
			c.Program = true
		case importUnit:
			imports = append(imports, u)
		case declUnit:
			decls = append(decls, u)
		default:
			stmts = append(stmts, u)
		}
	}

	// Without parser.ParseComments, so the //line directive does not become
	// a declaration's doc comment; the scanner applies it all the same.
	const mode = parser.DeclarationErrors
	const fileHead = "package main\n//line " + Filename + ":1:1\n"
	if len(imports) > 0 {
		f, err := parser.ParseFile(fset, Filename, fileHead+blank(code, imports), mode)
		if err != nil {
			errs = appendErr(errs, err)
		} else {
			for _, d := range f.Decls {
				for _, s := range d.(*ast.GenDecl).Specs {
					c.Imports = append(c.Imports, s.(*ast.ImportSpec))
				}
			}
		}
	}
	if len(decls) > 0 {
		f, err := parser.ParseFile(fset, Filename, fileHead+blank(code, decls), mode)
		if err != nil {
			errs = appendErr(errs, err)
		} else {
			c.Decls = f.Decls
		}
	}
	if len(stmts) > 0 {
		const funcHead = "package main\nfunc main() {\n//line " + Filename + ":1:1\n"
		f, err := parser.ParseFile(fset, Filename, funcHead+blank(code, stmts)+"\n}", mode)
		if err != nil {
			errs = appendErr(errs, atEnd(code, err))
		} else {
			c.Stmts = f.Decls[0].(*ast.FuncDecl).Body.List
		}
	}
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	if len(units) > 0 && units[len(units)-1].kind == stmtUnit && len(c.Stmts) > 0 {
		if es, ok := c.Stmts[len(c.Stmts)-1].(*ast.ExprStmt); ok {
			c.Last = es.X
		}
	}
	c.renameMain()
	return c, nil
}

// packageClause checks the package clause unit u, the i-th unit of code:
// cells are package main, and the clause must come first.
func packageClause(code string, u unit, i int) *scanner.Error {
	pos := token.Position{Filename: Filename, Offset: u.start, Line: 1 + strings.Count(code[:u.start], "\n"),
		Column: u.start - strings.LastIndex(code[:u.start], "\n")}
	fields := strings.Fields(code[u.start:u.end])
	switch {
	case i > 0:
		return &scanner.Error{Pos: pos, Msg: "a package clause must come first in the cell"}
	case len(fields) != 2 || fields[1] != "main":
		return &scanner.Error{Pos: pos, Msg: fmt.Sprintf(
			"cells are package main: %q cannot be declared in a cell", code[u.start:u.end])}
	}
	return nil
}

// MainFunc is the name under which the session declares a cell's func
// main. yaegi runs a package's main after every later evaluation once one
// is declared, so the cell's main is renamed, and references to it with it;
// error messages name it main again.
const MainFunc = "gokernelMain"

// DeclaresMain reports whether the cell declares func main.
func (c *Cell) DeclaresMain() bool {
	return slices.ContainsFunc(c.Decls, func(d ast.Decl) bool {
		fd, ok := d.(*ast.FuncDecl)
		return ok && fd.Recv == nil && fd.Name.Name == MainFunc
	})
}

// renameMain renames the identifiers main of the cell to [MainFunc], except
// where main names a field, a method or a struct literal key, which are
// not the func.
func (c *Cell) renameMain() {
	keep := make(map[*ast.Ident]bool)
	visit := func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			keep[n.Sel] = true
		case *ast.StructType:
			for _, f := range n.Fields.List {
				for _, name := range f.Names {
					keep[name] = true
				}
			}
		case *ast.InterfaceType:
			for _, f := range n.Methods.List {
				for _, name := range f.Names {
					keep[name] = true
				}
			}
		case *ast.FuncDecl:
			if n.Recv != nil {
				keep[n.Name] = true
			}
		case *ast.CompositeLit:
			// Keys of a struct literal are field names; those of a map or
			// slice literal are expressions. Without a written type (an
			// element of an outer literal) it is most likely a struct.
			switch n.Type.(type) {
			case *ast.MapType, *ast.ArrayType:
				// Keys are expressions: renamed.
			default:
				for _, e := range n.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						if id, ok := kv.Key.(*ast.Ident); ok {
							keep[id] = true
						}
					}
				}
			}
		case *ast.Ident:
			if n.Name == "main" && !keep[n] {
				n.Name = MainFunc
			}
		}
		return true
	}
	for _, d := range c.Decls {
		ast.Inspect(d, visit)
	}
	for _, st := range c.Stmts {
		ast.Inspect(st, visit)
	}
}

// DropImported removes from c the imports already made by earlier cells.
// imported maps a local package name to its import path; the new imports are
// added to it. An import whose name is bound to another path, by an earlier
// cell or by this one, is an error: yaegi cannot rebind a package name.
func (c *Cell) DropImported(fset *token.FileSet, imported map[string]string) error {
	var errs scanner.ErrorList
	kept := c.Imports[:0]
	for _, spec := range c.Imports {
		path, name := ImportPathName(spec)
		if name == "_" || name == "." {
			kept = append(kept, spec)
			continue
		}
		prev, seen := imported[name]
		switch {
		case !seen:
			imported[name] = path
			kept = append(kept, spec)
		case prev != path:
			errs.Add(fset.Position(spec.Pos()), fmt.Sprintf(
				"%s already refers to %q; import %q under another name, for example: import %s %q",
				name, prev, path, "my"+name, path))
		}
	}
	c.Imports = kept
	return errs.Err()
}

// ImportPathName returns the import path of spec and the name it binds: the
// explicit name, or the last element of the path.
func ImportPathName(spec *ast.ImportSpec) (path, name string) {
	path = strings.Trim(spec.Path.Value, "\"`")
	if spec.Name != nil {
		return path, spec.Name.Name
	}
	name = path[strings.LastIndex(path, "/")+1:]
	// By convention gopkg.in/yaml.v3 and example.com/foo/v2 are named
	// yaml and foo.
	if i := strings.Index(name, ".v"); i > 0 && strings.HasPrefix(path, "gopkg.in/") {
		name = name[:i]
	}
	if len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" && len(path) > len(name) {
		if j := strings.LastIndex(path[:len(path)-len(name)-1], "/"); j >= 0 {
			name = path[j+1 : len(path)-len(name)-1]
		}
	}
	return path, name
}

// SplitVarInits rewrites var declarations whose initial values refer to a
// package-level variable (isVar reports whether a name is one) into a
// declaration plus an assignment statement, or into a := statement when the
// declaration has no type. Variables declared by the cell itself count as
// package-level. The new statements are placed among c.Stmts in source order.
func (c *Cell) SplitVarInits(fset *token.FileSet, isVar func(name string) bool) {
	local := c.declaredVars()
	refersToVar := func(e ast.Expr) bool {
		return mentions(e, func(name string) bool { return local[name] || isVar(name) })
	}

	var moved []ast.Stmt
	decls := c.Decls[:0]
	for _, d := range c.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			decls = append(decls, d)
			continue
		}
		specs := gd.Specs[:0]
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			if len(vs.Values) == 0 || !slices.ContainsFunc(vs.Values, refersToVar) {
				specs = append(specs, vs)
				continue
			}
			lhs := make([]ast.Expr, len(vs.Names))
			for i, n := range vs.Names {
				lhs[i] = ast.NewIdent(n.Name)
				lhs[i].(*ast.Ident).NamePos = n.NamePos
			}
			as := &ast.AssignStmt{Lhs: lhs, TokPos: vs.Names[0].End(), Tok: token.DEFINE, Rhs: vs.Values}
			if !slices.ContainsFunc(vs.Names, func(n *ast.Ident) bool { return n.Name != "_" }) {
				as.Tok = token.ASSIGN // var _ = x: nothing to define
			}
			if vs.Type != nil {
				as.Tok = token.ASSIGN
				vs.Values = nil
				specs = append(specs, vs)
			}
			moved = append(moved, as)
		}
		gd.Specs = specs
		if len(specs) > 0 {
			decls = append(decls, gd)
		}
	}
	c.Decls = decls
	if len(moved) == 0 {
		return
	}
	c.Stmts = append(c.Stmts, moved...)
	// The statements come from two parsed files, so compare their positions
	// in the cell, not their token.Pos values.
	slices.SortStableFunc(c.Stmts, func(a, b ast.Stmt) int {
		pa, pb := fset.Position(a.Pos()), fset.Position(b.Pos())
		if pa.Line != pb.Line {
			return pa.Line - pb.Line
		}
		return pa.Column - pb.Column
	})
}

// SplitSelfDefines rewrites a top-level := whose right side uses a name it
// defines, as in `n := n + 1`, into temporaries holding the right side and,
// in a step of its own, a := of the names from them. At a cell's top level
// yaegi makes the new variable before it evaluates the right side, which
// then reads the new, zero n (so n became 1, not 4).
func (c *Cell) SplitSelfDefines() {
	var out []ast.Stmt
	for _, st := range c.Stmts {
		as, ok := st.(*ast.AssignStmt)
		if !ok || as.Tok != token.DEFINE {
			out = append(out, st)
			continue
		}
		names := make(map[string]bool)
		for _, e := range as.Lhs {
			if id, ok := e.(*ast.Ident); ok && id.Name != "_" {
				names[id.Name] = true
			}
		}
		if !slices.ContainsFunc(as.Rhs, func(e ast.Expr) bool { return refersTo(e, names) }) {
			out = append(out, st)
			continue
		}
		// The same names in every cell: each use defines them again, so
		// running `n := n + 1` over and over adds no variables.
		temps := make([]ast.Expr, len(as.Lhs))
		for i := range temps {
			temps[i] = &ast.Ident{NamePos: as.TokPos, Name: fmt.Sprintf("_gkPrev%d", i)}
		}
		// yaegi compiles a step's top-level := definitions before running
		// any of it, so the temporaries are evaluated in a step of their own.
		keep := &ast.AssignStmt{Lhs: temps, TokPos: as.TokPos, Tok: token.DEFINE, Rhs: as.Rhs}
		if c.stepAfter == nil {
			c.stepAfter = make(map[ast.Stmt]bool)
		}
		c.stepAfter[keep] = true
		out = append(out, keep, &ast.AssignStmt{Lhs: as.Lhs, TokPos: as.TokPos, Tok: token.DEFINE, Rhs: slices.Clone(temps)})
	}
	c.Stmts = out
}

// declaredVars returns the names of the package-level variables the cell
// declares, with var declarations or top-level := statements.
func (c *Cell) declaredVars() map[string]bool {
	names := make(map[string]bool)
	for _, d := range c.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.VAR {
			for _, s := range gd.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					names[n.Name] = true
				}
			}
		}
	}
	for _, s := range c.Stmts {
		for _, n := range DefinedNames(s) {
			names[n] = true
		}
	}
	return names
}

// DefinedNames returns the package-level names a top-level statement
// defines: the left side of :=, and the names of var, const and type
// declarations.
func DefinedNames(s ast.Stmt) []string {
	var names []string
	switch s := s.(type) {
	case *ast.AssignStmt:
		if s.Tok == token.DEFINE {
			for _, e := range s.Lhs {
				if id, ok := e.(*ast.Ident); ok && id.Name != "_" {
					names = append(names, id.Name)
				}
			}
		}
	case *ast.DeclStmt:
		for _, spec := range s.Decl.(*ast.GenDecl).Specs {
			switch spec := spec.(type) {
			case *ast.ValueSpec:
				for _, n := range spec.Names {
					names = append(names, n.Name)
				}
			case *ast.TypeSpec:
				names = append(names, spec.Name.Name)
			}
		}
	}
	return names
}

// atEnd moves errors found at the closing brace the statements are wrapped
// in to the end of the cell, and says so.
func atEnd(code string, err error) error {
	var el scanner.ErrorList
	if !errors.As(err, &el) {
		return err
	}
	lines := strings.Count(code, "\n") + 1
	for _, e := range el {
		if e.Pos.Line > lines {
			e.Pos.Line = lines
			e.Pos.Column = len(code) - strings.LastIndex(code, "\n")
			e.Msg = strings.Replace(e.Msg, "found '}'", "found end of cell", 1)
		}
	}
	return el
}

func appendErr(list scanner.ErrorList, err error) scanner.ErrorList {
	var el scanner.ErrorList
	if errors.As(err, &el) {
		return append(list, el...)
	}
	return append(list, &scanner.Error{Pos: token.Position{Filename: Filename}, Msg: err.Error()})
}
