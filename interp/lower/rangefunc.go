package lower

import (
	"go/ast"
	"go/token"
	"go/types"
)

// rangeFunc lowers a range statement over an iterator function to a call of
// the function with a yield closure whose body is the loop body:
//
//	for k, v := range seq { body }
//
// becomes
//
//	{
//		var ctl int      // how the body left the loop, if it can leave other than by break
//		var r0 T0 ...    // results of a return in the body
//		seq(func(k K, v V) bool { body'; return true })
//		if ctl == 1 { return r0, ... }
//		if ctl == 3 { break Outer }
//	}
//
// In body', break and continue of this loop become return false and return
// true; a return, and a break or continue of an outer loop, record what to do
// in ctl and stop the iteration. The block replaces a labelled loop's label.
// A defer, or a goto out of the body, cannot be lowered and is an error.
func (r *rewriter) rangeFunc(n *ast.RangeStmt, sig *types.Signature, label string) ast.Stmt {
	yield := iterYield(sig)
	if yield == nil {
		return nil // not an iterator; the type checker says why
	}
	vars := []ast.Expr{n.Key, n.Value}
	if yield.Params().Len() < 2 && n.Value != nil || yield.Params().Len() < 1 && n.Key != nil {
		return nil
	}

	// The closure's parameters are the loop variables themselves when the
	// loop declares them, which also makes them per-iteration.
	params := &ast.FieldList{}
	var prologue []ast.Stmt
	for i := range yield.Params().Len() {
		te, err := r.typeExpr(yield.Params().At(i).Type())
		if err != nil {
			r.errorf(n.Pos(), "range over func: %v", err)
			return nil
		}
		name := ident("_")
		switch v := vars[i].(type) {
		case nil:
		case *ast.Ident:
			if n.Tok == token.DEFINE {
				name = v
				break
			}
			if v.Name != "_" {
				name = r.fresh("P")
				prologue = append(prologue, assign([]ast.Expr{v}, ident(name.Name)))
			}
		default:
			name = r.fresh("P")
			prologue = append(prologue, assign([]ast.Expr{v}, ident(name.Name)))
		}
		params.List = append(params.List, &ast.Field{Names: []*ast.Ident{name}, Type: te})
	}

	x := &exits{r: r, label: label, inner: innerLabels(n.Body)}
	walkJumps(n.Body, x.r.generated, x.jump)
	if x.failed {
		return nil
	}

	body := n.Body
	body.List = append(prologue, body.List...)
	body.List = append(body.List, ret(ident("true")))
	lit := &ast.FuncLit{
		Type: &ast.FuncType{
			Params:  params,
			Results: &ast.FieldList{List: []*ast.Field{{Type: ident("bool")}}},
		},
		Body: body,
	}
	r.generated[lit] = true
	call := &ast.ExprStmt{X: &ast.CallExpr{Fun: n.X, Args: []ast.Expr{lit}}}
	r.changed = true
	if x.ctl == nil && label == "" {
		return call
	}

	out := r.block()
	if x.ctl != nil {
		out.List = append(out.List, varDecl(x.ctl, ident("int")))
	}
	for i, res := range x.results {
		out.List = append(out.List, varDecl(res, x.resultTypes[i]))
	}
	out.List = append(out.List, call)
	for code, s := range x.after {
		cond := binary(ident(x.ctl.Name), token.EQL, intLit(code+1))
		out.List = append(out.List, ifStmt(cond, s))
	}
	return out
}

// iterYield returns the signature of the yield function of the iterator
// function type sig, or nil if sig is not one.
func iterYield(sig *types.Signature) *types.Signature {
	if sig.Params().Len() != 1 || sig.Results().Len() != 0 || sig.Variadic() {
		return nil
	}
	yield, ok := sig.Params().At(0).Type().Underlying().(*types.Signature)
	if !ok || yield.Params().Len() > 2 || yield.Results().Len() != 1 || yield.Variadic() {
		return nil
	}
	if b, ok := yield.Results().At(0).Type().Underlying().(*types.Basic); !ok || b.Kind() != types.Bool {
		return nil
	}
	return yield
}

// innerLabels returns the labels declared in body outside function literals.
func innerLabels(body *ast.BlockStmt) map[string]bool {
	labels := make(map[string]bool)
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.LabeledStmt:
			labels[n.Label.Name] = true
		}
		return true
	})
	return labels
}

// exits rewrites the statements that leave the body of a range-over-func
// loop, and collects what must happen after the iterator returns.
type exits struct {
	r      *rewriter
	label  string          // the loop's own label, or ""
	inner  map[string]bool // labels declared inside the body
	failed bool

	ctl         *ast.Ident     // the control variable, once needed
	after       []ast.Stmt     // after[i] runs when ctl == i+1
	codes       map[string]int // "break L" → ctl value
	results     []*ast.Ident   // temporaries for returned values
	resultTypes []ast.Expr
}

// jump is the walkJumps callback.
func (x *exits) jump(s ast.Stmt, loops, breakables int) ast.Stmt {
	switch s := s.(type) {
	case *ast.DeferStmt:
		x.r.errorf(s.Pos(), "range over func: defer in the loop body is not supported")
		x.failed = true
	case *ast.ReturnStmt:
		return x.ret(s)
	case *ast.BranchStmt:
		own := s.Label == nil || s.Label.Name == x.label
		switch {
		case s.Tok == token.GOTO:
			if !x.inner[s.Label.Name] {
				x.r.errorf(s.Pos(), "range over func: goto %s out of the loop body is not supported", s.Label.Name)
				x.failed = true
			}
		case s.Tok == token.FALLTHROUGH:
		case s.Label != nil && x.inner[s.Label.Name]:
		case s.Tok == token.BREAK && own && (s.Label != nil || breakables == 0):
			return ret(ident("false"))
		case s.Tok == token.CONTINUE && own && (s.Label != nil || loops == 0):
			return ret(ident("true"))
		case s.Label != nil:
			// A break or continue of an enclosing loop: stop iterating,
			// then branch after the iterator returns.
			return x.exit(s.Tok.String()+" "+s.Label.Name, &ast.BranchStmt{Tok: s.Tok, Label: ident(s.Label.Name)})
		}
	}
	return nil
}

// ret rewrites a return statement of the enclosing function.
func (x *exits) ret(s *ast.ReturnStmt) ast.Stmt {
	if len(s.Results) == 0 {
		return x.exit("return", ret())
	}
	if x.results == nil {
		fn := x.r.enclosingFunc()
		if fn == nil || fn.Results == nil {
			x.r.errorf(s.Pos(), "range over func: return with values outside a function")
			x.failed = true
			return nil
		}
		for _, f := range fn.Results.List {
			for range max(1, len(f.Names)) {
				x.results = append(x.results, x.r.fresh("R"))
				x.resultTypes = append(x.resultTypes, clone(f.Type))
			}
		}
	}
	names := make([]ast.Expr, len(x.results))
	for i, res := range x.results {
		names[i] = ident(res.Name)
	}
	stop := x.exit("return values", ret(names...)).(*ast.BlockStmt)
	var set []ast.Stmt
	if len(s.Results) == len(x.results) {
		// One assignment each: yaegi v0.16.1 assigns a wrong value in
		// "a, b = x, f()".
		for i, res := range x.results {
			set = append(set, assign([]ast.Expr{ident(res.Name)}, s.Results[i]))
		}
	} else {
		lhs := make([]ast.Expr, len(x.results))
		for i, res := range x.results {
			lhs[i] = ident(res.Name)
		}
		set = []ast.Stmt{assign(lhs, s.Results...)}
	}
	stop.List = append(set, stop.List...)
	return stop
}

// exit returns the statements that stop the iteration so that then runs
// after the iterator returns; key identifies then.
func (x *exits) exit(key string, then ast.Stmt) ast.Stmt {
	if x.ctl == nil {
		x.ctl = x.r.fresh("Ctl")
		x.codes = make(map[string]int)
	}
	code, ok := x.codes[key]
	if !ok {
		x.after = append(x.after, then)
		code = len(x.after)
		x.codes[key] = code
	}
	set := assign([]ast.Expr{ident(x.ctl.Name)}, intLit(code))
	return x.r.block(set, ret(ident("false")))
}
