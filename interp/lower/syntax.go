package lower

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strconv"
)

// parseExpr parses s and clears its positions, which belong to a file set
// of the parser's own.
func parseExpr(s string) (ast.Expr, error) {
	e, err := parser.ParseExpr(s)
	if err != nil {
		return nil, err
	}
	return clone(e), nil
}

var (
	posType  = reflect.TypeFor[token.Pos]()
	nodeType = reflect.TypeFor[ast.Node]()
	exprType = reflect.TypeFor[ast.Expr]()
)

// clone returns a deep copy of the syntax tree n with all positions cleared,
// so that a copy placed elsewhere in a tree does not disturb the printer's
// layout.
func clone[N ast.Node](n N) N {
	out, _ := copySyntax(reflect.ValueOf(n), false, nil).Interface().(N)
	return out
}

// copySyntax deep-copies the syntax v holds, clearing positions unless
// keepPos, and puts subst's replacement (if subst and it are non-nil) in
// place of an identifier held in a field of type ast.Expr.
func copySyntax(v reflect.Value, keepPos bool, subst func(*ast.Ident) ast.Expr) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		// Pointers to anything but syntax (the resolver's objects and
		// scopes) are dropped: the copy is not resolved.
		if v.IsNil() || !v.Type().Implements(nodeType) {
			return reflect.Zero(v.Type())
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(copySyntax(v.Elem(), keepPos, subst))
		return p
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type()).Elem()
		if id, ok := v.Interface().(*ast.Ident); ok && subst != nil && v.Type() == exprType {
			if e := subst(id); e != nil {
				out.Set(reflect.ValueOf(e))
				return out
			}
		}
		out.Set(copySyntax(v.Elem(), keepPos, subst))
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			s.Index(i).Set(copySyntax(v.Index(i), keepPos, subst))
		}
		return s
	case reflect.Struct:
		s := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			if !keepPos && v.Type().Field(i).Type == posType {
				continue
			}
			s.Field(i).Set(copySyntax(v.Field(i), keepPos, subst))
		}
		return s
	}
	return v
}

// Helpers building syntax, so the rewrites read closer to the code they make.

func ident(name string) *ast.Ident { return ast.NewIdent(name) }

func intLit(n int) *ast.BasicLit {
	return &ast.BasicLit{Kind: token.INT, Value: strconv.Itoa(n)}
}

func define(lhs []ast.Expr, rhs ...ast.Expr) *ast.AssignStmt {
	return &ast.AssignStmt{Lhs: lhs, Tok: token.DEFINE, Rhs: rhs}
}

func assign(lhs []ast.Expr, rhs ...ast.Expr) *ast.AssignStmt {
	return &ast.AssignStmt{Lhs: lhs, Tok: token.ASSIGN, Rhs: rhs}
}

func ret(results ...ast.Expr) *ast.ReturnStmt { return &ast.ReturnStmt{Results: results} }

func block(list ...ast.Stmt) *ast.BlockStmt { return &ast.BlockStmt{List: list} }

// block returns a block that replace may splice into its enclosing list.
func (r *rewriter) block(list ...ast.Stmt) *ast.BlockStmt {
	b := block(list...)
	r.generated[b] = true
	return b
}

func varDecl(name *ast.Ident, typ ast.Expr) *ast.DeclStmt {
	return &ast.DeclStmt{Decl: &ast.GenDecl{
		Tok:   token.VAR,
		Specs: []ast.Spec{&ast.ValueSpec{Names: []*ast.Ident{name}, Type: typ}},
	}}
}

func binary(x ast.Expr, op token.Token, y ast.Expr) *ast.BinaryExpr {
	return &ast.BinaryExpr{X: x, Op: op, Y: y}
}

func ifStmt(cond ast.Expr, body ...ast.Stmt) *ast.IfStmt {
	return &ast.IfStmt{Cond: cond, Body: block(body...)}
}
