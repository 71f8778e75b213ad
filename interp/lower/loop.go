package lower

import (
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/ast/astutil"
)

// rangeStmt lowers a range statement over an integer or an iterator
// function, and gives the variables of any other range loop per-iteration
// copies when they need them.
func (r *rewriter) rangeStmt(c *astutil.Cursor, n *ast.RangeStmt) {
	label := ""
	if l, ok := c.Parent().(*ast.LabeledStmt); ok {
		label = l.Label.Name
	}
	t := r.typeOf(n.X)
	if t == nil {
		// Most likely a slice, map, string or channel declared where the
		// type checker could not see it; yaegi ranges over those correctly.
		r.rangeLoopVars(n)
		return
	}
	if isInteger(t) {
		if f := r.rangeInt(n, t); f != nil {
			r.forStmt(f, label)
			c.Replace(f)
		}
		return
	}
	if sig, ok := t.Underlying().(*types.Signature); ok {
		if s := r.rangeFunc(n, sig, label); s != nil {
			r.replace(c, s)
		}
		return
	}
	r.rangeLoopVars(n)
}

// isInteger reports whether t is an integer type, or a type parameter whose
// type set holds integer types only (whose Underlying is its constraint, an
// interface).
func isInteger(t types.Type) bool {
	if tp, ok := t.(*types.TypeParam); ok {
		return integerTerms(tp.Constraint())
	}
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsInteger != 0
}

// integerTerms reports whether every type in the type set of the constraint
// t is an integer type. The type set of an interface is the intersection of
// those of its embedded elements, so one element of integers suffices; that
// of a union is the union of its terms'. (go/types breaks an invalid cycle
// of embedded interfaces with an invalid type.)
func integerTerms(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return u.Info()&types.IsInteger != 0
	case *types.Interface:
		for i := range u.NumEmbeddeds() {
			if integerTerms(u.EmbeddedType(i)) {
				return true
			}
		}
	case *types.Union:
		for i := range u.Len() {
			if !integerTerms(u.Term(i).Type()) {
				return false
			}
		}
		return u.Len() > 0
	}
	return false
}

// rangeInt lowers "for i := range n" to a three-clause loop over a counter of
// the type of the iteration values. n is evaluated once, before the loop. The
// counter is hidden when the body could change i (Go gives each iteration a
// fresh i from the counter), when i is an existing variable (which must end
// at n-1, not n) and when there is no i.
func (r *rewriter) rangeInt(n *ast.RangeStmt, t types.Type) *ast.ForStmt {
	tv := r.info.Types[n.X]
	key := n.Key
	if id, ok := key.(*ast.Ident); ok && id.Name == "_" {
		key = nil
	}
	// The type of the iteration values: that of n, unless n is an untyped
	// constant, which takes the type of an existing variable or its default.
	iterType := t
	if b, ok := t.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
		iterType = types.Default(t)
		if key != nil && n.Tok == token.ASSIGN {
			iterType = r.typeOf(key)
		}
	}
	if iterType == nil {
		return nil
	}
	zero := ast.Expr(intLit(0))
	if !types.Identical(iterType, types.Typ[types.Int]) {
		te, err := r.typeExpr(iterType)
		if err != nil {
			r.errorf(n.Pos(), "range over int: %v", err)
			return nil
		}
		zero = &ast.CallExpr{Fun: te, Args: []ast.Expr{zero}}
		if _, ok := iterType.(*types.TypeParam); ok {
			// yaegi fails on T(0) in a definition ("too many arguments").
			zero = &ast.StarExpr{X: &ast.CallExpr{Fun: ident("new"), Args: []ast.Expr{te}}}
		}
	}

	var counter *ast.Ident
	var prologue ast.Stmt
	switch {
	case key == nil:
		counter = r.fresh("I")
	case n.Tok == token.ASSIGN:
		counter = r.fresh("I")
		prologue = assign([]ast.Expr{key}, counter)
	default:
		id, ok := key.(*ast.Ident)
		if !ok {
			return nil // a syntax error, such as for !x := range 3
		}
		if !modified(n.Body, id.Name) {
			counter = id
			break
		}
		counter = r.fresh("I")
		prologue = define([]ast.Expr{id}, ident(counter.Name))
	}

	f := &ast.ForStmt{
		For:  n.For,
		Init: define([]ast.Expr{counter}, zero),
		Cond: binary(ident(counter.Name), token.LSS, n.X),
		Post: &ast.IncDecStmt{X: ident(counter.Name), Tok: token.INC},
		Body: n.Body,
	}
	if tv.Value == nil {
		// Evaluate a non-constant n once, as range does.
		bound := r.fresh("N")
		f.Init = define([]ast.Expr{counter, bound}, zero, n.X)
		f.Cond.(*ast.BinaryExpr).Y = ident(bound.Name)
	}
	if prologue != nil {
		f.Body.List = append([]ast.Stmt{prologue}, f.Body.List...)
	}
	r.changed = true
	return f
}

// rangeLoopVars gives the variables declared by a range clause a copy per
// iteration when the body captures them.
func (r *rewriter) rangeLoopVars(n *ast.RangeStmt) {
	if n.Tok != token.DEFINE {
		return
	}
	var names []*ast.Ident
	for _, e := range []ast.Expr{n.Key, n.Value} {
		if id, ok := e.(*ast.Ident); ok && id.Name != "_" && r.captured(n.Body, id.Name) {
			names = append(names, id)
		}
	}
	if len(names) == 0 {
		return
	}
	lhs := make([]ast.Expr, len(names))
	rhs := make([]ast.Expr, len(names))
	for i, id := range names {
		lhs[i], rhs[i] = ident(id.Name), ident(id.Name)
	}
	n.Body.List = append([]ast.Stmt{define(lhs, rhs...)}, n.Body.List...)
	r.changed = true
}

// forStmt gives the variables declared by the init statement of a
// three-clause loop a copy per iteration when the body captures them. When
// the body may also change a variable, the loop runs on a hidden variable
// that each iteration copies in at its start and back at its end (also before
// a continue), which is the copy-back of the Go 1.22 semantics.
func (r *rewriter) forStmt(n *ast.ForStmt, label string) {
	init, ok := n.Init.(*ast.AssignStmt)
	if !ok || init.Tok != token.DEFINE {
		return
	}
	var lhs, rhs []ast.Expr
	var back []ast.Stmt // copy-back assignments
	for i, e := range init.Lhs {
		id, ok := e.(*ast.Ident)
		if !ok || id.Name == "_" || !r.captured(n.Body, id.Name) {
			continue
		}
		lhs = append(lhs, ident(id.Name))
		if !modified(n.Body, id.Name) {
			rhs = append(rhs, ident(id.Name))
			continue
		}
		hidden := r.fresh("V")
		r.renameIn(n, id, hidden.Name)
		init.Lhs[i] = hidden
		rhs = append(rhs, ident(hidden.Name))
		back = append(back, assign([]ast.Expr{ident(hidden.Name)}, ident(id.Name)))
	}
	if len(lhs) == 0 {
		return
	}
	if len(back) > 0 {
		walkJumps(n.Body, r.generated, func(s ast.Stmt, loops, _ int) ast.Stmt {
			b, ok := s.(*ast.BranchStmt)
			if !ok || b.Tok != token.CONTINUE {
				return nil
			}
			if (b.Label == nil && loops == 0) || (b.Label != nil && b.Label.Name == label) {
				return r.block(append(cloneStmts(back), b)...)
			}
			return nil
		})
		n.Body.List = append(n.Body.List, back...)
	}
	n.Body.List = append([]ast.Stmt{define(lhs, rhs...)}, n.Body.List...)
	r.changed = true
}

func cloneStmts(list []ast.Stmt) []ast.Stmt {
	out := make([]ast.Stmt, len(list))
	for i, s := range list {
		out[i] = clone(s)
	}
	return out
}

// renameIn renames the loop variable id to name in the condition and post
// statement of n. With type information only uses of id's object are
// renamed; without it, every use of the name.
func (r *rewriter) renameIn(n *ast.ForStmt, id *ast.Ident, name string) {
	obj := r.info.Defs[id]
	rename := func(c *astutil.Cursor) bool {
		use, ok := c.Node().(*ast.Ident)
		if !ok || use.Name != id.Name {
			return true
		}
		if sel, ok := c.Parent().(*ast.SelectorExpr); ok && sel.Sel == use {
			return true
		}
		if o := r.info.Uses[use]; obj == nil || o == nil || o == obj {
			c.Replace(ident(name))
		}
		return true
	}
	if n.Cond != nil {
		n.Cond = astutil.Apply(n.Cond, rename, nil).(ast.Expr)
	}
	if n.Post != nil {
		n.Post = astutil.Apply(n.Post, rename, nil).(ast.Stmt)
	}
}

// captured reports whether body may let the variable called name outlive
// an iteration: a function literal, or a go or defer statement, refers to
// it, or its address is taken (explicitly, or by a method value with a
// pointer receiver). Matching by name errs on the side of copying.
// Function literals made by the rewriter run in place, so they do not count.
func (r *rewriter) captured(body *ast.BlockStmt, name string) bool {
	found := false
	var visit func(n ast.Node, inLit bool) bool
	visit = func(n ast.Node, inLit bool) bool {
		ast.Inspect(n, func(n ast.Node) bool {
			if found {
				return false
			}
			switch n := n.(type) {
			case *ast.FuncLit:
				if !inLit && !r.generated[n] {
					visit(n.Body, true)
					return false
				}
			case *ast.GoStmt:
				visit(n.Call, true)
				return false
			case *ast.DeferStmt:
				visit(n.Call, true)
				return false
			case *ast.Ident:
				if inLit && n.Name == name {
					found = true
				}
			case *ast.UnaryExpr:
				if n.Op == token.AND && rootName(n.X) == name {
					found = true
				}
			case *ast.SelectorExpr:
				if rootName(n.X) == name && r.isPtrMethodValue(n) {
					found = true
				}
			}
			return true
		})
		return found
	}
	return visit(body, false)
}

// isPtrMethodValue reports whether sel is a method value or call whose
// method has a pointer receiver, which takes the address of its operand.
func (r *rewriter) isPtrMethodValue(sel *ast.SelectorExpr) bool {
	s, ok := r.info.Selections[sel]
	if !ok || s.Kind() != types.MethodVal {
		return false
	}
	sig, ok := s.Obj().Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return false
	}
	_, ptrRecv := sig.Recv().Type().(*types.Pointer)
	_, ptrOperand := s.Recv().Underlying().(*types.Pointer)
	return ptrRecv && !ptrOperand
}

// modified reports whether body may assign to the variable called name,
// directly, through a closure or through its address.
func modified(body *ast.BlockStmt, name string) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n.Tok != token.DEFINE {
				for _, e := range n.Lhs {
					if rootName(e) == name {
						found = true
					}
				}
			}
		case *ast.IncDecStmt:
			if rootName(n.X) == name {
				found = true
			}
		case *ast.RangeStmt:
			if n.Tok == token.ASSIGN && (rootName(n.Key) == name || rootName(n.Value) == name) {
				found = true
			}
		case *ast.UnaryExpr:
			if n.Op == token.AND && rootName(n.X) == name {
				found = true
			}
		}
		return !found
	})
	return found
}

// rootName returns the name of the variable that e selects from or indexes
// into (v in v, v.f, v[i].g, (v)), or "".
func rootName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.Ident:
			return x.Name
		case *ast.ParenExpr:
			e = x.X
		case *ast.SelectorExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		default:
			return ""
		}
	}
}

// walkJumps calls f for each break, continue, goto, return and defer
// statement in body outside function literals, with the number of loops, and
// of loops, switches and selects, inside body that enclose it. A non-nil
// result replaces the statement (see rewriter.replace).
func walkJumps(body *ast.BlockStmt, generated map[ast.Node]bool, f func(s ast.Stmt, loops, breakables int) ast.Stmt) {
	loops, breakables := 0, 0
	pre := func(c *astutil.Cursor) bool {
		switch n := c.Node().(type) {
		case *ast.FuncLit:
			return false
		case *ast.ForStmt, *ast.RangeStmt:
			loops++
			breakables++
		case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
			breakables++
		case *ast.BranchStmt, *ast.ReturnStmt, *ast.DeferStmt:
			if s := f(n.(ast.Stmt), loops, breakables); s != nil {
				replaceStmt(c, s, generated)
			}
			return false
		}
		return true
	}
	post := func(c *astutil.Cursor) bool {
		switch c.Node().(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			loops--
			breakables--
		case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
			breakables--
		}
		return true
	}
	astutil.Apply(body, pre, post)
}
