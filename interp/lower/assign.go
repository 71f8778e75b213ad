package lower

import (
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/ast/astutil"
)

// parallelAssign lowers an assignment of several values of which one is a
// call: yaegi assigns the zero value instead of each operand that is not a
// call (`a, b = i, f()` sets a to 0). A definition (:=) is not affected, so
// the values go through temporaries first:
//
//	a, b = i, f()  →  _gk1, _gk2 := T(i), f(); a, b = _gk1, _gk2
//
// where T, the type of a, is spelled out only for an untyped constant
// operand, which would otherwise get its default type. Only an assignment
// in a statement list is lowered (not one in a for statement's post).
func (r *rewriter) parallelAssign(c *astutil.Cursor, n *ast.AssignStmt) {
	if n.Tok != token.ASSIGN || len(n.Lhs) < 2 || len(n.Lhs) != len(n.Rhs) || c.Index() < 0 {
		return
	}
	hasCall := false
	for _, e := range n.Rhs {
		if _, ok := ast.Unparen(e).(*ast.CallExpr); ok {
			hasCall = true
		}
	}
	if !hasCall {
		return
	}
	temps := make([]ast.Expr, len(n.Lhs))
	values := make([]ast.Expr, len(n.Rhs))
	for i, e := range n.Rhs {
		values[i] = e
		if tv, ok := r.info.Types[e]; ok && tv.Value != nil && isUntyped(tv.Type) || tv.IsNil() {
			t := r.typeOf(n.Lhs[i])
			if t == nil {
				return // cannot keep the constant's type right
			}
			te, err := r.typeExpr(t)
			if err != nil {
				return
			}
			values[i] = &ast.CallExpr{Fun: &ast.ParenExpr{X: te}, Args: []ast.Expr{e}}
		}
		if id, ok := n.Lhs[i].(*ast.Ident); ok && id.Name == "_" {
			temps[i] = ident("_")
			continue
		}
		temps[i] = r.fresh("V")
	}
	var lhs, rhs []ast.Expr
	for i, t := range temps {
		if name := t.(*ast.Ident).Name; name != "_" {
			lhs, rhs = append(lhs, n.Lhs[i]), append(rhs, ident(name))
		}
	}
	if len(lhs) == 0 {
		return
	}
	r.changed = true
	r.replace(c, r.block(define(temps, values...), &ast.AssignStmt{Lhs: lhs, TokPos: n.TokPos, Tok: token.ASSIGN, Rhs: rhs}))
}

func isUntyped(t types.Type) bool {
	b, ok := t.(*types.Basic)
	return ok && b.Info()&types.IsUntyped != 0
}
