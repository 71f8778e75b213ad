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
//   - A compound statement (if, for, switch, select, block) that holds such a
//     definition, a binding type switch or a defining select case outside
//     any function literal, or a loop holding a function literal, runs inside a function literal called at once,
//     where yaegi compiles them: its variables are local to it anyway.
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
			*ast.SelectStmt, *ast.BlockStmt:
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
// definition whose variables have known types, or nil.
func (r *rewriter) commaOkDefine(s *ast.AssignStmt) []ast.Stmt {
	if s.Tok != token.DEFINE || !isCommaOk(s) {
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
// that yaegi compiles only inside a function.
func needsFunc(s ast.Stmt) bool {
	switch s.(type) {
	case *ast.ForStmt, *ast.RangeStmt:
		// The per-iteration copies of a loop whose variables a closure
		// may capture hang yaegi when the loop is at the top level.
		if hasFuncLit(s) {
			return true
		}
	}
	found := false
	ast.Inspect(s, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE && isCommaOk(n) {
				found = true
			}
		case *ast.TypeSwitchStmt:
			if _, ok := n.Assign.(*ast.AssignStmt); ok {
				found = true
			}
		case *ast.CommClause:
			if as, ok := n.Comm.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
				found = true
			}
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
