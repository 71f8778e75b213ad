package lower

import (
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strconv"

	"golang.org/x/tools/go/ast/astutil"
)

// typeSwitch rewrites a type switch into comma-ok assertions and a switch
// without a tag. yaegi's type switch gives wrong answers that its comma-ok
// assertion does not: with a binding, a case naming a struct type does not
// match a value of that type held in an `any` (the default case runs, and
// %T shows interp.valueInterface); `case error:` does not match io.EOF;
// a `case T:` on an error variable holding a *T does not match. Its
// assertion on a nil interface panics, so the assertions are made only on
// a non-nil value:
//
//	switch v := x.(type) {        {
//	case nil:                          _gkX1 := x
//		A                              var _gkOk2, _gkOk3 bool
//	case *T:                           if _gkX1 != nil {
//		B                      →           _, _gkOk2 = _gkX1.(*T)
//	case int, error:                       _, _gkOk3 = _gkX1.(int) …
//		C                              }
//	default:                           switch {
//		D                              case _gkX1 == nil: v := _gkX1; _ = v; A
//	}                                  case _gkOk2: v := _gkX1.(*T); _ = v; B
//	                                   case _gkOk3 || _gkOk4: v := _gkX1; _ = v; C
//	                                   default: v := _gkX1; _ = v; D
//	                                   }
//	                               }
//
// A one-type case naming an interface the program declares binds its
// variable with a type switch of its own, which yaegi gets right there.
//
// A labelled type switch becomes `L: switch { default: … }` holding all of
// it, so that `break L` leaves it and `goto L` runs it again. When the type
// switch has an init statement, its variables stay in a block of their own.
func (r *rewriter) typeSwitch(c *astutil.Cursor, ts *ast.TypeSwitchStmt, label *ast.Ident) {
	var bound *ast.Ident
	var x ast.Expr
	switch a := ts.Assign.(type) {
	case *ast.AssignStmt:
		if len(a.Lhs) != 1 || len(a.Rhs) != 1 {
			return
		}
		bound, _ = a.Lhs[0].(*ast.Ident)
		x = a.Rhs[0]
	case *ast.ExprStmt:
		x = a.X
	}
	ta, ok := ast.Unparen(x).(*ast.TypeAssertExpr)
	if !ok || ta.Type != nil {
		return
	}
	if !slices.ContainsFunc(ts.Body.List, func(s ast.Stmt) bool { return len(s.(*ast.CaseClause).List) > 0 }) {
		return // no case names a type: nothing for yaegi to get wrong
	}
	pos := ts.Pos()
	val := r.fresh("X")
	val.NamePos = pos
	out := []ast.Stmt{&ast.AssignStmt{Lhs: []ast.Expr{val}, Tok: token.DEFINE, TokPos: pos, Rhs: []ast.Expr{ta.X}}}

	// One flag per type named by a case, set by an assertion on a non-nil
	// value.
	var flags []ast.Expr
	var asserts []ast.Stmt
	var clauses []ast.Stmt
	for _, s := range ts.Body.List {
		cc := s.(*ast.CaseClause)
		var conds []ast.Expr
		var single ast.Expr // the type of the bound variable, for a one-type case
		for _, t := range cc.List {
			if id, ok := t.(*ast.Ident); ok && id.Name == "nil" && r.isNil(id) {
				conds = append(conds, &ast.BinaryExpr{X: ast.NewIdent(val.Name), Op: token.EQL, Y: ast.NewIdent("nil")})
				continue
			}
			flag := r.fresh("Ok")
			flags = append(flags, flag)
			asserts = append(asserts, &ast.AssignStmt{
				Lhs: []ast.Expr{ast.NewIdent("_"), ast.NewIdent(flag.Name)},
				Tok: token.ASSIGN,
				Rhs: []ast.Expr{&ast.TypeAssertExpr{X: ast.NewIdent(val.Name), Type: t}},
			})
			conds = append(conds, ast.NewIdent(flag.Name))
			single = t
		}
		var body []ast.Stmt
		if bound != nil && single != nil && len(cc.List) == 1 && r.isProgramIface(single) {
			// yaegi cannot bind a value asserted to an interface the
			// program declares (reflect.Set panics), but its own type
			// switch can, and matches right for such a case.
			inner := &ast.CaseClause{Case: cc.Case, List: []ast.Expr{single}, Colon: cc.Colon,
				Body: append([]ast.Stmt{&ast.AssignStmt{Lhs: []ast.Expr{ast.NewIdent("_")}, Tok: token.ASSIGN,
					Rhs: []ast.Expr{ast.NewIdent(bound.Name)}}}, cc.Body...)}
			body = []ast.Stmt{&ast.TypeSwitchStmt{
				Switch: cc.Case,
				Assign: &ast.AssignStmt{Lhs: []ast.Expr{ast.NewIdent(bound.Name)}, Tok: token.DEFINE,
					Rhs: []ast.Expr{&ast.TypeAssertExpr{X: ast.NewIdent(val.Name)}}},
				// Reached only when yaegi's switch misses what its
				// assertion matched (measured with an interface embedding
				// another): an error then, not a case silently skipped.
				// It also keeps a clause that ended in a return terminating.
				Body: &ast.BlockStmt{List: []ast.Stmt{inner, &ast.CaseClause{Body: []ast.Stmt{
					&ast.ExprStmt{X: &ast.CallExpr{Fun: ident("panic"), Args: []ast.Expr{&ast.BasicLit{Kind: token.STRING,
						Value: strconv.Quote("the interpreter's type switch missed a case its type assertion matches (a yaegi bug): " +
							"use v, ok := x.(" + types.ExprString(single) + ") instead")}}}},
				}}}},
			}}
			clauses = append(clauses, &ast.CaseClause{Case: cc.Case, List: []ast.Expr{conds[0]}, Colon: cc.Colon, Body: body})
			continue
		}
		if bound != nil {
			// v, _ := x.(T): yaegi fails on the one-value assertion to an
			// interface type ("reflect.Set: … not assignable").
			def := &ast.AssignStmt{Lhs: []ast.Expr{ast.NewIdent(bound.Name)}, Tok: token.DEFINE, TokPos: cc.Colon,
				Rhs: []ast.Expr{ast.NewIdent(val.Name)}}
			if len(cc.List) == 1 && single != nil {
				def.Lhs = append(def.Lhs, ast.NewIdent("_"))
				def.Rhs[0] = &ast.TypeAssertExpr{X: ast.NewIdent(val.Name), Type: single}
			}
			body = append(body,
				def,
				&ast.AssignStmt{Lhs: []ast.Expr{ast.NewIdent("_")}, Tok: token.ASSIGN, Rhs: []ast.Expr{ast.NewIdent(bound.Name)}})
		}
		body = append(body, cc.Body...)
		var list []ast.Expr
		if cc.List != nil {
			cond := conds[0]
			for _, e := range conds[1:] {
				cond = &ast.BinaryExpr{X: cond, Op: token.LOR, Y: e}
			}
			list = []ast.Expr{cond}
		}
		clauses = append(clauses, &ast.CaseClause{Case: cc.Case, List: list, Colon: cc.Colon, Body: body})
	}
	if len(flags) > 0 {
		names := make([]*ast.Ident, len(flags))
		for i, f := range flags {
			names[i] = ast.NewIdent(f.(*ast.Ident).Name)
		}
		out = append(out,
			&ast.DeclStmt{Decl: &ast.GenDecl{Tok: token.VAR, Specs: []ast.Spec{
				&ast.ValueSpec{Names: names, Type: ast.NewIdent("bool")}}}},
			&ast.IfStmt{
				Cond: &ast.BinaryExpr{X: ast.NewIdent(val.Name), Op: token.NEQ, Y: ast.NewIdent("nil")},
				Body: &ast.BlockStmt{List: asserts},
			})
	}
	out = append(out, &ast.SwitchStmt{Switch: ts.Switch, Body: &ast.BlockStmt{Lbrace: ts.Body.Lbrace, List: clauses, Rbrace: ts.Body.Rbrace}})
	if ts.Init != nil {
		out = append([]ast.Stmt{ts.Init}, out...)
	}
	r.changed = true
	if label != nil {
		// The label stays on one statement that does all of it, so that
		// `goto L` evaluates the operand again and `break L` leaves.
		r.replace(c, &ast.LabeledStmt{Label: label, Colon: label.End(), Stmt: &ast.SwitchStmt{Switch: pos,
			Body: &ast.BlockStmt{Lbrace: pos, List: []ast.Stmt{&ast.CaseClause{Case: pos, Body: out}}, Rbrace: ts.End()}}})
		return
	}
	block := &ast.BlockStmt{Lbrace: pos, List: out, Rbrace: ts.End()}
	if ts.Init == nil {
		r.generated[block] = true
	}
	r.replace(c, block)
}

// isNil reports whether id denotes the predeclared nil.
func (r *rewriter) isNil(id *ast.Ident) bool {
	obj := r.info.Uses[id]
	_, isNil := obj.(*types.Nil)
	return obj == nil || isNil
}

// isProgramIface reports whether the type expression e denotes an interface
// type the program declares.
func (r *rewriter) isProgramIface(e ast.Expr) bool {
	t := r.typeOf(e)
	if t == nil {
		return false
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil || !types.IsInterface(n) {
		return false
	}
	return n.Obj().Pkg() == r.pkg || n.Obj().Pkg().Path() == "main"
}
