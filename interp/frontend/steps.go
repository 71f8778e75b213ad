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
	// at[j] is the statement declaration j comes right after; -1 is "first".
	at := make([]int, len(c.Decls))
	for j, d := range c.Decls {
		at[j] = -1
		for i, s := range c.Stmts {
			if before(s.Pos(), d.Pos()) && refersTo(d, defined[i]) {
				at[j] = i
			}
		}
	}
	// A declaration that uses one that moved moves with it:
	// `n := 0; func bump() { n++ }; func twice() { bump() }`.
	names := make([]map[string]bool, len(c.Decls))
	for j, d := range c.Decls {
		names[j] = make(map[string]bool)
		for _, one := range split(d) {
			for _, k := range keys(one) {
				names[j][k] = true
			}
		}
	}
	for moved := true; moved; {
		moved = false
		for j, d := range c.Decls {
			for k := range c.Decls {
				if at[k] > at[j] && refersTo(d, names[k]) {
					at[j], moved = at[k], true
				}
			}
		}
	}
	after := make(map[int][]ast.Decl) // statement index → declarations
	for j, d := range c.Decls {
		after[at[j]] = append(after[at[j]], d)
	}

	var steps []Step
	if ds := after[-1]; len(ds) > 0 {
		steps = append(steps, Step{Decls: ds})
	}
	start := 0
	for i, st := range c.Stmts {
		if c.stepAfter[st] && i+1 > start {
			steps = append(steps, Step{Stmts: c.Stmts[start : i+1]})
			start = i + 1
		}
		if ds := after[i]; len(ds) > 0 {
			if i+1 > start {
				steps = append(steps, Step{Stmts: c.Stmts[start : i+1]})
			}
			steps = append(steps, Step{Decls: ds})
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
	return mentions(n, func(name string) bool { return names[name] })
}

// mentions reports whether n has an identifier for which match is true,
// other than the selected name of x.f (a field, method or package member).
func mentions(n ast.Node, match func(string) bool) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if found {
			return false
		}
		switch n := n.(type) {
		case *ast.SelectorExpr:
			found = mentions(n.X, match)
			return false
		case *ast.Ident:
			found = match(n.Name)
		}
		return !found
	})
	return found
}
