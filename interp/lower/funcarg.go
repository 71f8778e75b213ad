package lower

import (
	"go/ast"
	"go/token"
)

// hoistFuncArgs gives every function literal passed as a call argument in
// the loop body body (outside nested function literals) a name of its own,
// declared just before its statement. yaegi hands a literal passed straight
// to a compiled function a closure that sees the loop's last iteration:
// `for i := 0; i < n; i++ { wg.Go(func() { out[i] = i * i }) }` wrote only
// out[n-1], while `f := func() {…}; wg.Go(f)` is right.
func (r *rewriter) hoistFuncArgs(body *ast.BlockStmt) {
	if body == nil {
		return
	}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.BlockStmt:
			n.List = r.hoistList(n.List)
		case *ast.CaseClause:
			n.Body = r.hoistList(n.Body)
		case *ast.CommClause:
			n.Body = r.hoistList(n.Body)
		}
		return true
	})
}

// hoistList returns list with the function literal arguments of its
// expression, assignment and return statements named before them.
func (r *rewriter) hoistList(list []ast.Stmt) []ast.Stmt {
	var out []ast.Stmt
	for _, s := range list {
		switch s.(type) {
		case *ast.ExprStmt, *ast.AssignStmt, *ast.ReturnStmt:
			out = append(out, r.nameFuncArgs(s)...)
		}
		out = append(out, s)
	}
	return out
}

// nameFuncArgs replaces the function literal arguments of the calls in s by
// fresh names and returns their declarations.
func (r *rewriter) nameFuncArgs(s ast.Stmt) []ast.Stmt {
	var decls []ast.Stmt
	ast.Inspect(s, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.CallExpr:
			if tv, ok := r.info.Types[n.Fun]; ok && tv.IsBuiltin() {
				return true // append(fs, func(){…}) is fine
			}
			for i, arg := range n.Args {
				lit, ok := arg.(*ast.FuncLit)
				if !ok || r.generated[lit] {
					continue
				}
				name := r.fresh("f")
				decls = append(decls, &ast.AssignStmt{
					Lhs: []ast.Expr{name}, Tok: token.DEFINE, TokPos: lit.Pos(), Rhs: []ast.Expr{lit},
				})
				n.Args[i] = &ast.Ident{Name: name.Name, NamePos: lit.Pos()}
				r.changed = true
			}
		}
		return true
	})
	return decls
}

// nameParams gives the parameters of ft names when they have none. yaegi
// puts the arguments of an unnamed parameter list in the wrong frame slots
// when compiled code calls the function back: c.OnClose(func(comm.Data) {
// fmt.Println("x") }) failed with "reflect.Set: value of type map[string]
// interface {} is not assignable to type func(...interface {})".
func (r *rewriter) nameParams(ft *ast.FuncType) {
	if ft == nil || ft.Params == nil || len(ft.Params.List) == 0 {
		return
	}
	for _, f := range ft.Params.List {
		if len(f.Names) > 0 {
			return // Go names all parameters or none
		}
	}
	for _, f := range ft.Params.List {
		f.Names = []*ast.Ident{r.fresh("p")}
	}
	r.changed = true
}
