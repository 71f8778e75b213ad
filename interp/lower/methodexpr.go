package lower

import (
	"go/ast"
	"go/types"
	"strconv"
)

// methodExpr replaces a method expression of a program type, (*T).M or
// T.M, by an equivalent function literal, func(r *T, a A…) R { return
// r.M(a…) }: yaegi panics calling the method expression itself ("reflect:
// Call with too many input arguments"), or, for an interface type I.M,
// takes the receiver for the first argument of M ("cannot use type main.A
// as type int"). It returns the literal, or nil.
func (r *rewriter) methodExpr(sel *ast.SelectorExpr) ast.Expr {
	s, ok := r.info.Selections[sel]
	if !ok || s.Kind() != types.MethodExpr {
		return nil
	}
	recv := s.Recv()
	if p, ok := recv.(*types.Pointer); ok {
		recv = p.Elem()
	}
	if !r.declared(recv) {
		return nil
	}
	// The receiver is the first parameter of the method expression's type.
	sig, ok := r.typeOf(sel).(*types.Signature)
	if !ok {
		return nil
	}
	var params []*ast.Field
	var args []ast.Expr
	for i := range sig.Params().Len() {
		pt := sig.Params().At(i).Type()
		if sig.Variadic() && i == sig.Params().Len()-1 {
			pt = pt.(*types.Slice).Elem()
		}
		te, err := r.typeExpr(pt)
		if err != nil {
			return nil
		}
		if sig.Variadic() && i == sig.Params().Len()-1 {
			te = &ast.Ellipsis{Elt: te}
		}
		name := r.fresh("P" + strconv.Itoa(i))
		params = append(params, &ast.Field{Names: []*ast.Ident{name}, Type: te})
		if i > 0 {
			args = append(args, ast.NewIdent(name.Name))
		}
	}
	var results []*ast.Field
	for i := range sig.Results().Len() {
		te, err := r.typeExpr(sig.Results().At(i).Type())
		if err != nil {
			return nil
		}
		results = append(results, &ast.Field{Type: te})
	}
	call := &ast.CallExpr{
		Fun:  &ast.SelectorExpr{X: ast.NewIdent(params[0].Names[0].Name), Sel: ast.NewIdent(sel.Sel.Name)},
		Args: args,
	}
	if sig.Variadic() {
		call.Ellipsis = sel.End() // the last argument is spread
	}
	var body ast.Stmt = &ast.ExprStmt{X: call}
	if len(results) > 0 {
		body = &ast.ReturnStmt{Results: []ast.Expr{call}}
	}
	lit := &ast.FuncLit{
		Type: &ast.FuncType{Func: sel.Pos(), Params: &ast.FieldList{List: params}, Results: &ast.FieldList{List: results}},
		Body: &ast.BlockStmt{List: []ast.Stmt{body}},
	}
	r.generated[lit] = true
	r.changed = true
	return lit
}
