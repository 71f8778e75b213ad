package lower

import (
	"go/ast"
	"go/token"
	"go/types"
)

// bindCall makes the defer or go statement stmt, which calls call, evaluate
// its function value, receiver and arguments where it stands, as Go does
// (yaegi evaluates them only when the call runs):
//
//	defer f.Close(x+1)
//
// becomes
//
//	{
//		_gk1, _gk2 := f, x+1
//		defer _gk1.Close(_gk2)
//	}
//
// Constants, function literals, functions and package members need no
// temporary, and neither does &v for a variable v, whose address is fixed.
// It returns the block, or nil if nothing needs binding.
func (r *rewriter) bindCall(call *ast.CallExpr, stmt ast.Stmt) ast.Stmt {
	var lhs, rhs []ast.Expr
	bind := func(e ast.Expr) ast.Expr {
		tmp := r.fresh("")
		lhs = append(lhs, tmp)
		rhs = append(rhs, e)
		return ident(tmp.Name)
	}

	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		if _, ok := r.info.Uses[fun].(*types.Var); ok {
			call.Fun = bind(fun)
		}
	case *ast.SelectorExpr:
		if recv := r.receiver(fun); recv != nil {
			fun.X = bind(recv)
		} else if s, ok := r.info.Selections[fun]; ok && s.Kind() == types.FieldVal {
			call.Fun = bind(fun)
		}
	case *ast.FuncLit, *ast.IndexExpr, *ast.IndexListExpr:
		// A closure or an instantiated generic function.
	default:
		call.Fun = bind(fun)
	}
	if r.isBuiltin(call.Fun, "recover") {
		return nil
	}
	for i, arg := range call.Args {
		if r.needsBinding(arg) {
			call.Args[i] = bind(arg)
		}
	}
	if len(lhs) == 0 {
		return nil
	}
	r.changed = true
	return r.block(define(lhs, rhs...), stmt)
}

// receiver returns the expression to bind for the receiver of the method
// call sel, or nil if it needs none. A method with a pointer receiver called
// on an addressable variable uses the variable's address, which cannot
// change; a value receiver is copied.
func (r *rewriter) receiver(sel *ast.SelectorExpr) ast.Expr {
	s, ok := r.info.Selections[sel]
	if !ok || s.Kind() != types.MethodVal {
		return nil
	}
	if !r.isPtrMethodValue(sel) {
		if !r.needsBinding(sel.X) {
			return nil
		}
		return sel.X
	}
	// The method takes the address of its operand.
	if _, ok := ast.Unparen(sel.X).(*ast.Ident); ok {
		return nil
	}
	return &ast.UnaryExpr{Op: token.AND, X: sel.X}
}

// needsBinding reports whether the value of e may differ between the defer
// or go statement and the call.
func (r *rewriter) needsBinding(e ast.Expr) bool {
	if tv, ok := r.info.Types[e]; ok && (tv.Value != nil || tv.IsNil() || tv.IsType()) {
		return false
	}
	switch e := ast.Unparen(e).(type) {
	case *ast.BasicLit, *ast.FuncLit:
		return false
	case *ast.Ident:
		switch r.info.Uses[e].(type) {
		case *types.Func, *types.Const, *types.Nil, *types.TypeName, *types.PkgName:
			return false
		}
		return e.Name != "nil" && e.Name != "true" && e.Name != "false"
	case *ast.SelectorExpr:
		// A package member: only a variable can change.
		if id, ok := e.X.(*ast.Ident); ok {
			if _, ok := r.info.Uses[id].(*types.PkgName); ok {
				_, isVar := r.info.Uses[e.Sel].(*types.Var)
				return isVar
			}
		}
	case *ast.UnaryExpr:
		if e.Op == token.AND {
			if _, ok := ast.Unparen(e.X).(*ast.Ident); ok {
				return false
			}
		}
	}
	return true
}
