package lower

import (
	"go/ast"
	"go/token"
)

// cellStmts rewrites the top level of a notebook cell, which yaegi compiles
// as package-level code: there its compiler crashes on a comma-ok definition
// (`v, ok := m[k]`, `x.(T)`, `<-ch`) and on a type switch that binds a
// variable, and reports "undefined" for a variable a select case defines.
//
//   - A comma-ok definition becomes declarations of the variables with their
//     types, then an assignment, which yaegi compiles:
//     `v, ok := m[k]` → `var v V; var ok bool; v, ok = m[k]`.
//   - A compound statement (if, for, switch, select, block, or one of those
//     labelled) that declares anything outside function literals, or a loop
//     holding a function literal, runs inside a function literal called at
//     once, where yaegi compiles it right; its variables are local to it
//     anyway. At the top level yaegi makes a nested `x := v` assign the
//     package-level x instead of declaring a new one (`x := 1; { x := 2 }`
//     left x at 2), and crashes on comma-ok definitions, binding type
//     switches and defining select cases.
func (r *rewriter) cellStmts(b *ast.BlockStmt) {
	var out []ast.Stmt
	for _, s := range b.List {
		switch s := s.(type) {
		case *ast.AssignStmt:
			if decls := r.commaOkDefine(s); decls != nil {
				out = append(out, decls...)
				continue
			}
		case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt,
			*ast.SelectStmt, *ast.BlockStmt, *ast.LabeledStmt:
			if needsFunc(s) {
				r.changed = true
				lit := &ast.FuncLit{
					Type: &ast.FuncType{Func: s.Pos(), Params: &ast.FieldList{}},
					Body: &ast.BlockStmt{Lbrace: s.Pos(), List: []ast.Stmt{s}, Rbrace: s.End()},
				}
				out = append(out, &ast.ExprStmt{X: &ast.CallExpr{Fun: lit, Lparen: s.End(), Rparen: s.End()}})
				continue
			}
		}
		out = append(out, s)
	}
	b.List = out
}

// commaOkDefine returns the statements replacing s when it is a comma-ok
// definition, or a definition from a generic call, whose variables have
// known types, or nil.
func (r *rewriter) commaOkDefine(s *ast.AssignStmt) []ast.Stmt {
	if s.Tok != token.DEFINE || !isCommaOk(s) && !r.callsGeneric(s) {
		return nil
	}
	var out []ast.Stmt
	for _, e := range s.Lhs {
		id, ok := e.(*ast.Ident)
		if !ok {
			return nil
		}
		if id.Name == "_" {
			continue
		}
		obj := r.info.Defs[id]
		if obj == nil {
			continue // an existing variable, assigned
		}
		te, err := r.typeExpr(obj.Type())
		if err != nil {
			return nil
		}
		out = append(out, varDecl(&ast.Ident{Name: id.Name, NamePos: id.NamePos}, te))
	}
	r.changed = true
	return append(out, &ast.AssignStmt{Lhs: s.Lhs, TokPos: s.TokPos, Tok: token.ASSIGN, Rhs: s.Rhs})
}

// callsGeneric reports whether a right-hand side of s is a call of a generic
// function: at the top level yaegi cannot define a variable from one
// (`keys := slices.Sorted(maps.Keys(m))` gave "constant definition loop"),
// while declaring it with its type first works.
func (r *rewriter) callsGeneric(s *ast.AssignStmt) bool {
	for _, e := range s.Rhs {
		if call, ok := ast.Unparen(e).(*ast.CallExpr); ok && r.isGenericCall(call) {
			return true
		}
	}
	return false
}

// isCommaOk reports whether s assigns the two results of a map index, a type
// assertion or a receive.
func isCommaOk(s *ast.AssignStmt) bool {
	if len(s.Lhs) != 2 || len(s.Rhs) != 1 {
		return false
	}
	switch x := ast.Unparen(s.Rhs[0]).(type) {
	case *ast.IndexExpr, *ast.TypeAssertExpr:
		return true
	case *ast.UnaryExpr:
		return x.Op == token.ARROW
	}
	return false
}

// needsFunc reports whether s holds, outside function literals, a construct
// that yaegi compiles right only inside a function.
func needsFunc(s ast.Stmt) bool {
	switch s.(type) {
	case *ast.ForStmt, *ast.RangeStmt:
		// The per-iteration copies of a loop whose variables a closure
		// may capture hang yaegi when the loop is at the top level.
		if hasFuncLit(s) {
			return true
		}
	}
	return declares(s)
}

// declares reports whether s declares a name outside function literals: a
// := definition (also in a range clause, or in a type switch or a select
// case, whose definition is an *ast.AssignStmt) or a var, const or type
// declaration.
func declares(s ast.Stmt) bool {
	found := false
	ast.Inspect(s, func(n ast.Node) bool {
		if found {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.AssignStmt:
			found = n.Tok == token.DEFINE
		case *ast.RangeStmt:
			found = n.Tok == token.DEFINE
		case *ast.DeclStmt:
			found = true
		}
		return !found
	})
	return found
}

// hasFuncLit reports whether n contains a function literal.
func hasFuncLit(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			found = true
		}
		return !found
	})
	return found
}
