package frontend

import "go/ast"

// LowerDefers replaces each top-level defer statement of c (one that is not
// inside a function literal) by a call to pkg.fn, which registers the
// deferred call to run when the cell ends. It reports whether it replaced
// any.
//
// `defer f(a, b)` becomes `pkg.fn(f, a, b)`: f and its arguments are
// evaluated where the defer stood, as Go requires. A deferred call to a
// builtin, or one with a spread argument (`f(xs...)`), becomes
// `pkg.fn(func() { f(xs...) })`, whose operands are evaluated late.
func (c *Cell) LowerDefers(pkg, fn string) bool {
	l := lowerer{pkg: pkg, fn: fn}
	l.list(c.Stmts)
	return l.changed
}

type lowerer struct {
	pkg, fn string
	changed bool
}

// builtins are the predeclared functions that cannot be used as values.
var builtins = map[string]bool{
	"append": true, "cap": true, "clear": true, "close": true, "complex": true, "copy": true,
	"delete": true, "imag": true, "len": true, "make": true, "max": true, "min": true, "new": true,
	"panic": true, "print": true, "println": true, "real": true, "recover": true,
}

func (l *lowerer) list(stmts []ast.Stmt) {
	for i := range stmts {
		stmts[i] = l.stmt(stmts[i])
	}
}

func (l *lowerer) stmt(s ast.Stmt) ast.Stmt {
	switch s := s.(type) {
	case *ast.DeferStmt:
		l.changed = true
		return l.replace(s)
	case *ast.BlockStmt:
		l.list(s.List)
	case *ast.LabeledStmt:
		s.Stmt = l.stmt(s.Stmt)
	case *ast.IfStmt:
		l.list(s.Body.List)
		if s.Else != nil {
			s.Else = l.stmt(s.Else)
		}
	case *ast.ForStmt:
		l.list(s.Body.List)
	case *ast.RangeStmt:
		l.list(s.Body.List)
	case *ast.SwitchStmt:
		l.list(s.Body.List)
	case *ast.TypeSwitchStmt:
		l.list(s.Body.List)
	case *ast.SelectStmt:
		l.list(s.Body.List)
	case *ast.CaseClause:
		l.list(s.Body)
	case *ast.CommClause:
		l.list(s.Body)
	}
	return s
}

func (l *lowerer) replace(d *ast.DeferStmt) ast.Stmt {
	call := d.Call
	register := &ast.SelectorExpr{
		X:   &ast.Ident{Name: l.pkg, NamePos: d.Defer},
		Sel: &ast.Ident{Name: l.fn, NamePos: d.Defer},
	}
	out := &ast.CallExpr{Fun: register, Lparen: call.Lparen, Rparen: call.Rparen}
	id, isIdent := ast.Unparen(call.Fun).(*ast.Ident)
	if (isIdent && builtins[id.Name]) || call.Ellipsis.IsValid() {
		body := &ast.BlockStmt{Lbrace: call.Pos(), List: []ast.Stmt{&ast.ExprStmt{X: call}}, Rbrace: call.End()}
		lit := &ast.FuncLit{Type: &ast.FuncType{Func: call.Pos(), Params: &ast.FieldList{}}, Body: body}
		out.Args = []ast.Expr{lit}
	} else {
		out.Args = append([]ast.Expr{call.Fun}, call.Args...)
	}
	return &ast.ExprStmt{X: out}
}
