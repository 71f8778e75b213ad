package lower

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
)

// minMax lowers a call of the min or max builtin, which yaegi lacks. A
// constant call becomes its chosen operand, converted to the call's type; any
// other becomes a function literal called with the operands, so that each is
// evaluated once and in order:
//
//	min(a, b)  →  func(_gk1, _gk2 T) T { _gk3 := _gk1; if _gk2 < _gk3 || ... { _gk3 = _gk2 }; return _gk3 }(a, b)
//
// For floating-point operands a NaN wins, and min prefers -0 to +0 (max the
// reverse). It returns nil if call is not such a call.
func (r *rewriter) minMax(call *ast.CallExpr) ast.Expr {
	var op token.Token
	name := "min"
	switch {
	case r.isBuiltin(call.Fun, "min"):
		op = token.LSS
	case r.isBuiltin(call.Fun, "max"):
		op, name = token.GTR, "max"
	default:
		return nil
	}
	tv, ok := r.info.Types[call]
	if !ok || len(call.Args) == 0 || call.Ellipsis.IsValid() {
		return nil
	}
	if tv.Value != nil {
		return r.constMinMax(call, name, op, tv)
	}
	te, err := r.typeExpr(tv.Type)
	if err != nil {
		r.errorf(call.Pos(), "%s: %v", name, err)
		return nil
	}
	r.changed = true
	if len(call.Args) == 1 {
		return &ast.ParenExpr{X: call.Args[0]}
	}
	isFloat := false
	if b, ok := tv.Type.Underlying().(*types.Basic); ok && b.Info()&types.IsFloat != 0 {
		isFloat = true
	}

	params := make([]*ast.Ident, len(call.Args))
	for i := range params {
		params[i] = r.fresh("")
	}
	m := r.fresh("")
	body := block(define([]ast.Expr{m}, ident(params[0].Name)))
	for _, p := range params[1:] {
		x := func() ast.Expr { return ident(p.Name) }
		cond := ast.Expr(binary(x(), op, ident(m.Name)))
		if isFloat {
			// x != x: x is NaN. 1/x < 0: x is -0 (for max, > 0: x is +0).
			zeros := binary(binary(x(), token.EQL, intLit(0)), token.LAND,
				binary(binary(ident(m.Name), token.EQL, intLit(0)), token.LAND,
					binary(binary(intLit(1), token.QUO, x()), op, intLit(0))))
			cond = binary(binary(cond, token.LOR, binary(x(), token.NEQ, x())), token.LOR, zeros)
		}
		body.List = append(body.List, ifStmt(cond, assign([]ast.Expr{ident(m.Name)}, x())))
	}
	body.List = append(body.List, ret(ident(m.Name)))
	lit := &ast.FuncLit{
		Type: &ast.FuncType{
			Params:  &ast.FieldList{List: []*ast.Field{{Names: params, Type: te}}},
			Results: &ast.FieldList{List: []*ast.Field{{Type: clone(te)}}},
		},
		Body: body,
	}
	r.generated[lit] = true
	return &ast.CallExpr{Fun: lit, Args: call.Args}
}

// constMinMax returns the operand of the constant call that min or max
// chooses, converted to the type of the call.
func (r *rewriter) constMinMax(call *ast.CallExpr, name string, op token.Token, tv types.TypeAndValue) ast.Expr {
	best := -1
	for i, arg := range call.Args {
		v := r.info.Types[arg].Value
		if v == nil {
			return nil
		}
		if best < 0 || constant.Compare(v, op, r.info.Types[call.Args[best]].Value) {
			best = i
		}
	}
	arg := call.Args[best]
	argType := r.info.Types[arg].Type
	r.changed = true
	if types.Identical(argType, tv.Type) {
		return arg
	}
	if b, ok := tv.Type.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
		// An untyped operand of a smaller kind: adding a zero of the
		// call's kind keeps it untyped.
		zero := &ast.BasicLit{Kind: token.FLOAT, Value: "0.0"}
		if b.Kind() == types.UntypedRune {
			zero = &ast.BasicLit{Kind: token.CHAR, Value: `'\x00'`}
		}
		return &ast.ParenExpr{X: binary(arg, token.ADD, zero)}
	}
	te, err := r.typeExpr(tv.Type)
	if err != nil {
		r.errorf(call.Pos(), "%s: %v", name, err)
		return nil
	}
	return &ast.CallExpr{Fun: te, Args: []ast.Expr{arg}}
}

// clearStmt lowers a call of the clear builtin, which yaegi lacks, to a
// loop that deletes every key of a map or zeroes every element of a slice.
// The operand is evaluated once. (A NaN key cannot be deleted this way.)
// It returns nil if stmt is not such a call.
func (r *rewriter) clearStmt(stmt *ast.ExprStmt) ast.Stmt {
	call, ok := stmt.X.(*ast.CallExpr)
	if !ok || !r.isBuiltin(call.Fun, "clear") || len(call.Args) != 1 {
		return nil
	}
	arg := call.Args[0]
	t := r.typeOf(arg)
	if t == nil {
		r.errorf(call.Pos(), "clear: the type of the operand is unknown")
		return nil
	}
	if _, ok := t.Underlying().(*types.Map); ok && r.cfg.Runtime != "" {
		// Deleting key by key leaves NaN keys, which no lookup finds.
		r.changed = true
		return &ast.ExprStmt{X: &ast.CallExpr{Fun: &ast.SelectorExpr{X: ident(r.cfg.Runtime), Sel: ident("ClearMap")},
			Lparen: call.Lparen, Args: []ast.Expr{arg}, Rparen: call.Rparen}}
	}
	out := r.block()
	target := ast.Expr(arg)
	if _, ok := ast.Unparen(arg).(*ast.Ident); !ok {
		tmp := r.fresh("")
		out.List = append(out.List, define([]ast.Expr{tmp}, arg))
		target = tmp
	}
	x := func() ast.Expr { return clone(target) }
	key := r.fresh("")
	loop := &ast.RangeStmt{Key: key, Tok: token.DEFINE, X: x(), Body: block()}
	switch u := t.Underlying().(type) {
	case *types.Map:
		loop.Body.List = append(loop.Body.List, &ast.ExprStmt{X: &ast.CallExpr{
			Fun:  ident("delete"),
			Args: []ast.Expr{x(), ident(key.Name)},
		}})
	case *types.Slice:
		te, err := r.typeExpr(u.Elem())
		if err != nil {
			r.errorf(call.Pos(), "clear: %v", err)
			return nil
		}
		zero := r.fresh("")
		out.List = append(out.List, varDecl(zero, te))
		loop.Body.List = append(loop.Body.List, assign(
			[]ast.Expr{&ast.IndexExpr{X: x(), Index: ident(key.Name)}}, ident(zero.Name)))
	default:
		r.errorf(call.Pos(), "clear: cannot lower clear of %s", t)
		return nil
	}
	r.changed = true
	if len(out.List) == 0 {
		return loop
	}
	out.List = append(out.List, loop)
	return out
}

// unsafeCall returns the call of cfg.Runtime's helper that replaces call, a
// call of unsafe.Slice, unsafe.SliceData, unsafe.String or
// unsafe.StringData (which yaegi v0.16.1 lacks), or nil. The helpers work
// through package reflect and return an interface where the builtin's
// result depends on its operand's type, so the call asserts that type:
//
//	unsafe.Slice(p, n)  →  rt.UnsafeSlice(p, n).([]T)
func (r *rewriter) unsafeCall(call *ast.CallExpr) ast.Expr {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || r.cfg.Runtime == "" || call.Ellipsis.IsValid() {
		return nil
	}
	b, ok := r.info.Uses[sel.Sel].(*types.Builtin)
	if !ok {
		return nil
	}
	var helper string
	assert := false
	switch b.Name() {
	case "Slice":
		helper, assert = "UnsafeSlice", true
	case "SliceData":
		helper, assert = "UnsafeSliceData", true
	case "String":
		helper = "UnsafeString"
	case "StringData":
		helper = "UnsafeStringData"
	default:
		return nil // Add, Sizeof and the others yaegi has
	}
	out := ast.Expr(&ast.CallExpr{
		Fun:    &ast.SelectorExpr{X: ident(r.cfg.Runtime), Sel: &ast.Ident{NamePos: call.Pos(), Name: helper}},
		Lparen: call.Lparen, Args: call.Args, Rparen: call.Rparen,
	})
	if assert {
		t := r.typeOf(call)
		if t == nil {
			return nil
		}
		te, err := r.typeExpr(t)
		if err != nil {
			r.errorf(call.Pos(), "unsafe.%s: %v", b.Name(), err)
			return nil
		}
		out = &ast.TypeAssertExpr{X: out, Type: te}
	}
	r.changed = true
	return out
}
