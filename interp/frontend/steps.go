package frontend

import (
	"go/ast"
	"go/token"
)

// Step is a group of pieces compiled and run together: either declarations
// or statements.
type Step struct {
	Decls []ast.Decl
	Stmts []ast.Stmt
}

// Steps returns the order in which the session evaluates c's declarations
// and statements (imports come before all of them). Declarations come
// first, except one that refers to a name a preceding statement of the cell
// defines with :=, as in `n := 0; func bump() { n++ }`: it comes right after
// that statement, because yaegi compiles a function when it is declared.
func (c *Cell) Steps(fset *token.FileSet) []Step {
	before := func(a, b token.Pos) bool {
		pa, pb := fset.Position(a), fset.Position(b)
		return pa.Line < pb.Line || pa.Line == pb.Line && pa.Column < pb.Column
	}
	defined := make([]map[string]bool, len(c.Stmts))
	for i, s := range c.Stmts {
		defined[i] = make(map[string]bool)
		for _, n := range DefinedNames(s) {
			defined[i][n] = true
		}
	}
	after := make(map[int][]ast.Decl) // statement index → declarations; -1 is "first"
	for _, d := range c.Decls {
		at := -1
		for i, s := range c.Stmts {
			if before(s.Pos(), d.Pos()) && refersTo(d, defined[i]) {
				at = i
			}
		}
		after[at] = append(after[at], d)
	}

	var steps []Step
	if ds := after[-1]; len(ds) > 0 {
		steps = append(steps, Step{Decls: ds})
	}
	start := 0
	for i := range c.Stmts {
		if ds := after[i]; len(ds) > 0 {
			steps = append(steps, Step{Stmts: c.Stmts[start : i+1]}, Step{Decls: ds})
			start = i + 1
		}
	}
	if start < len(c.Stmts) {
		steps = append(steps, Step{Stmts: c.Stmts[start:]})
	}
	return steps
}

// refersTo reports whether n mentions one of names as an identifier.
func refersTo(n ast.Node, names map[string]bool) bool {
	if len(names) == 0 {
		return false
	}
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && names[id.Name] {
			found = true
		}
		return !found
	})
	return found
}
