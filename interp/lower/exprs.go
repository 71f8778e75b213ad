package lower

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"math"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/ast/astutil"
)

// blankAssign turns `_ = x == y` and `_ = F(x)` (every operand on the left
// blank; a comparison, or a call of a generic function, on the right)
// inside a function into `var _ = …`, which means the same: yaegi v0.16.1
// stores such a value assigned to _ in a slot of another type and fails
// at run time ("reflect: call of reflect.Value.SetBool on int Value" for
// `_ = x == 1`; "interface {} is nil, not map[string]struct {}" for
// `_ = maps.Clone(m)`).
func (r *rewriter) blankAssign(c *astutil.Cursor, n *ast.AssignStmt) {
	if n.Tok != token.ASSIGN || len(r.funcs) == 0 || c.Index() < 0 {
		return
	}
	names := make([]*ast.Ident, len(n.Lhs))
	for i, e := range n.Lhs {
		id, ok := e.(*ast.Ident)
		if !ok || id.Name != "_" {
			return
		}
		names[i] = &ast.Ident{NamePos: id.NamePos, Name: "_"}
	}
	failing := false
	for _, e := range n.Rhs {
		if tv, ok := r.info.Types[e]; !ok || tv.IsNil() || tv.Value != nil {
			return // `var _ = nil` does not compile; constants are harmless
		}
		switch e := ast.Unparen(e).(type) {
		case *ast.BinaryExpr:
			switch e.Op {
			case token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ:
				failing = true
			}
		case *ast.CallExpr:
			failing = failing || r.isGenericCall(e)
		}
	}
	if !failing {
		return // the forms measured to fail
	}
	c.Replace(&ast.DeclStmt{Decl: &ast.GenDecl{TokPos: n.Pos(), Tok: token.VAR,
		Specs: []ast.Spec{&ast.ValueSpec{Names: names, Values: n.Rhs}}}})
	r.changed = true
}

// shiftOperand gives an untyped constant shifted by a non-constant count
// the type Go gives it (that of the context): yaegi v0.16.1 computes
// `1 << (1 << uint(x))` with the inner shift's value in an int where it
// reads a uint, and fails at run time.
func (r *rewriter) shiftOperand(n *ast.BinaryExpr) {
	if !r.isVarShift(n) {
		return
	}
	if tv := r.info.Types[n.X]; tv.Value != nil {
		b, ok := tv.Type.(*types.Basic)
		if ok && b.Info()&types.IsUntyped == 0 && b.Info()&types.IsInteger != 0 {
			if te, err := r.typeExpr(tv.Type); err == nil {
				n.X = &ast.CallExpr{Fun: te, Args: []ast.Expr{n.X}}
				r.changed = true
			}
		}
	}
	// A count that is itself such a shift is left untyped by go/types;
	// its value only matters as a uint.
	if y, ok := ast.Unparen(n.Y).(*ast.BinaryExpr); ok && r.isVarShift(y) {
		if tv := r.info.Types[y.X]; tv.Value != nil && isUntyped(tv.Type) {
			y.X = &ast.CallExpr{Fun: ident("uint"), Args: []ast.Expr{y.X}}
			r.changed = true
		}
	}
}

// isVarShift reports whether n is a shift whose value is not constant.
func (r *rewriter) isVarShift(n *ast.BinaryExpr) bool {
	if n.Op != token.SHL && n.Op != token.SHR {
		return false
	}
	tv, ok := r.info.Types[n]
	return ok && tv.Value == nil
}

// selectAssign turns a select case that assigns what it receives,
// `case v, ok = <-c:`, into one that defines temporaries and assigns them
// at the start of its body, as Go does once the case is chosen: yaegi
// v0.16.1 fails with "reflect.Select: invalid Dir" on the assigning form.
func (r *rewriter) selectAssign(cc *ast.CommClause) {
	as, ok := cc.Comm.(*ast.AssignStmt)
	if !ok || as.Tok != token.ASSIGN || len(as.Rhs) != 1 {
		return
	}
	if len(as.Lhs) == 2 && !isBlank(as.Lhs[1]) {
		// The received ok is an untyped bool, which a variable of a named
		// bool type accepts and a temporary's bool does not.
		if t := r.typeOf(as.Lhs[1]); t == nil || !types.Identical(t, types.Typ[types.Bool]) && !types.IsInterface(t) {
			return
		}
	}
	temps := make([]ast.Expr, len(as.Lhs))
	var dst, src []ast.Expr
	for i, e := range as.Lhs {
		if isBlank(e) {
			temps[i] = ident("_")
			continue
		}
		tmp := r.fresh("Recv")
		temps[i] = tmp
		dst = append(dst, e)
		src = append(src, ident(tmp.Name))
	}
	r.changed = true
	if len(dst) == 0 {
		// case _ = <-c: receives and discards.
		cc.Comm = &ast.ExprStmt{X: as.Rhs[0]}
		return
	}
	cc.Comm = &ast.AssignStmt{Lhs: temps, TokPos: as.TokPos, Tok: token.DEFINE, Rhs: as.Rhs}
	cc.Body = append([]ast.Stmt{&ast.AssignStmt{Lhs: dst, Tok: token.ASSIGN, Rhs: src}}, cc.Body...)
}

// builtinPrint returns the call of cfg.Runtime's Print that replaces call, a
// call of the builtin print or println, or nil. An operand whose static
// type is an interface is marked, as Go prints such an operand's two words.
func (r *rewriter) builtinPrint(call *ast.CallExpr) ast.Expr {
	pkg := r.cfg.Runtime
	if pkg == "" || call.Ellipsis.IsValid() {
		return nil
	}
	newline := r.isBuiltin(call.Fun, "println")
	if !newline && !r.isBuiltin(call.Fun, "print") {
		return nil
	}
	if len(call.Args) == 1 {
		if _, ok := r.typeOf(call.Args[0]).(*types.Tuple); ok {
			return nil // println(f()) of a multi-value f
		}
	}
	args := []ast.Expr{ident(strconv.FormatBool(newline))}
	for _, a := range call.Args {
		if t := r.typeOf(a); t != nil && types.IsInterface(t) && !isUntyped(t) {
			a = &ast.CallExpr{Fun: &ast.SelectorExpr{X: ident(pkg), Sel: ident("PrintIface")}, Args: []ast.Expr{a}}
		}
		args = append(args, a)
	}
	r.changed = true
	return &ast.CallExpr{Fun: &ast.SelectorExpr{X: ident(pkg), Sel: &ast.Ident{NamePos: call.Pos(), Name: "Print"}},
		Lparen: call.Lparen, Args: args, Rparen: call.Rparen}
}

// rangeAssign turns `for k, v = range x` (assigning to variables declared
// outside the loop) over an array, slice, string, map or channel into
// `for k', v' := range x { k, v = k', v'; … }`, which is what Go does: yaegi
// v0.16.1 gives such a loop a variable of its own, so a closure that
// captures k sees it stop changing (closure2.go in the Go tests).
func (r *rewriter) rangeAssign(n *ast.RangeStmt) {
	if n.Tok != token.ASSIGN || n.Key == nil {
		return
	}
	t := r.typeOf(n.X)
	if t == nil {
		return
	}
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	switch u := t.Underlying().(type) {
	case *types.Array, *types.Slice, *types.Map, *types.Chan:
	case *types.Basic:
		if u.Info()&types.IsString == 0 {
			return // range over an integer is rangeStmt's
		}
	default:
		return
	}
	var dst, src []ast.Expr
	temp := func(e ast.Expr) ast.Expr {
		if id, ok := e.(*ast.Ident); ok && id.Name == "_" {
			return e
		}
		tmp := r.fresh("Range")
		dst = append(dst, e)
		src = append(src, ident(tmp.Name))
		return tmp
	}
	n.Key = temp(n.Key)
	if n.Value != nil {
		n.Value = temp(n.Value)
	}
	n.Tok = token.DEFINE
	if len(dst) == 0 {
		if n.Value == nil || isBlank(n.Value) {
			n.Key, n.Value, n.Tok = nil, nil, token.ILLEGAL
		}
		r.changed = true
		return
	}
	n.Body.List = append([]ast.Stmt{&ast.AssignStmt{Lhs: dst, Tok: token.ASSIGN, Rhs: src}}, n.Body.List...)
	r.changed = true
}

func isBlank(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "_"
}

// isGenericCall reports whether call calls an instance of a generic
// function.
func (r *rewriter) isGenericCall(call *ast.CallExpr) bool {
	fun := ast.Unparen(call.Fun)
	switch f := fun.(type) {
	case *ast.IndexExpr:
		fun = f.X
	case *ast.IndexListExpr:
		fun = f.X
	}
	var id *ast.Ident
	switch f := fun.(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
	default:
		return false
	}
	_, ok := r.info.Instances[id]
	return ok
}

// recoverCall returns the call of cfg.Runtime's Recovered that wraps call,
// a call of the builtin recover, or nil: yaegi's run-time errors are
// package reflect's panics, strings where Go recovers a runtime.Error.
// recover is still called by the deferred function itself, as it must be.
func (r *rewriter) recoverCall(call *ast.CallExpr) ast.Expr {
	if r.cfg.Runtime == "" || !r.isBuiltin(call.Fun, "recover") {
		return nil
	}
	r.changed = true
	return &ast.CallExpr{Fun: &ast.SelectorExpr{X: ident(r.cfg.Runtime), Sel: &ast.Ident{NamePos: call.Pos(), Name: "Recovered"}},
		Args: []ast.Expr{call}}
}

// bigConst returns the value of e, a constant expression that involves an
// integer constant beyond int64, converted to e's type if e is typed; or
// nil. yaegi v0.16.1 computes such expressions in an int64: `var x uint64 =
// 1 << 63` fails ("constant 9223372036854775808 overflows int64") and
// `chuge > 5`, chuge being 1 << 100, is false. A literal it reads right.
func (r *rewriter) bigConst(e ast.Expr) ast.Expr {
	switch e.(type) {
	case *ast.BinaryExpr, *ast.UnaryExpr, *ast.ParenExpr, *ast.Ident, *ast.CallExpr:
	default:
		return nil
	}
	tv, ok := r.info.Types[e]
	if !ok || tv.Value == nil || !r.beyondInt64(e) {
		return nil
	}
	var lit ast.Expr
	switch v := tv.Value; v.Kind() {
	case constant.Bool:
		if !r.universal(e.Pos(), "true") {
			return nil
		}
		lit = ident(strconv.FormatBool(constant.BoolVal(v)))
	case constant.Int:
		s := v.ExactString()
		lit = &ast.BasicLit{ValuePos: e.Pos(), Kind: token.INT, Value: strings.TrimPrefix(s, "-")}
		if s[0] == '-' {
			lit = &ast.UnaryExpr{OpPos: e.Pos(), Op: token.SUB, X: lit}
		}
	case constant.String:
		// string(1 << 100)
		lit = &ast.BasicLit{ValuePos: e.Pos(), Kind: token.STRING, Value: strconv.Quote(constant.StringVal(v))}
	case constant.Float:
		// Only a value a float64 holds exactly, written exactly (in
		// hexadecimal): a decimal literal converted to float32 could round
		// differently from the value.
		f, exact := constant.Float64Val(v)
		if !exact || isUntyped(tv.Type) || math.IsInf(f, 0) {
			return nil
		}
		s := strconv.FormatFloat(math.Abs(f), 'x', -1, 64)
		lit = &ast.BasicLit{ValuePos: e.Pos(), Kind: token.FLOAT, Value: s}
		if math.Signbit(f) {
			lit = &ast.UnaryExpr{OpPos: e.Pos(), Op: token.SUB, X: lit}
		}
	default:
		return nil
	}
	var out ast.Expr
	switch t := tv.Type.(type) {
	case *types.TypeParam:
		// T(c) gives c T's default type first, and yaegi fails on the
		// untyped literal as on the expression.
		return nil
	case *types.Basic:
		if t.Info()&types.IsUntyped == 0 {
			break
		}
		switch t.Kind() {
		case types.UntypedRune:
			// Adding a zero rune keeps the kind (see constMinMax).
			lit = binary(lit, token.ADD, &ast.BasicLit{Kind: token.CHAR, Value: `'\x00'`})
		case types.UntypedInt, types.UntypedBool, types.UntypedString:
		default:
			return nil
		}
		out = &ast.ParenExpr{Lparen: e.Pos(), X: lit, Rparen: e.End() - 1}
	}
	if out == nil {
		te, err := r.typeExpr(tv.Type)
		if err != nil {
			return nil
		}
		out = &ast.CallExpr{Fun: te, Lparen: e.Pos(), Args: []ast.Expr{lit}, Rparen: e.End() - 1}
	}
	r.info.Types[out] = tv // for the rewrites that read the operands of its parent
	r.changed = true
	return out
}

// beyondInt64 reports whether e or an operand within it is a constant
// with an integer value an int64 cannot hold.
func (r *rewriter) beyondInt64(e ast.Expr) bool {
	found, iota := false, false
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Name == "iota" {
			// A constant spec repeated implicitly is checked again for
			// each iota, and the types recorded are the last one's.
			if obj, ok := r.info.Uses[id].(*types.Const); ok && obj.Parent() == types.Universe {
				iota = true
			}
		}
		if x, ok := n.(ast.Expr); ok && !found {
			if v := r.info.Types[x].Value; v != nil {
				// A float constant with an integer value: `1 << 100`
				// where a float64 is wanted.
				if v = constant.ToInt(v); v.Kind() == constant.Int {
					_, exact := constant.Int64Val(v)
					found = !exact
				}
			}
		}
		return !iota
	})
	return found && !iota
}

// universal reports whether name, at pos, denotes the predeclared object.
func (r *rewriter) universal(pos token.Pos, name string) bool {
	if r.pkg == nil {
		return false
	}
	scope := r.pkg.Scope().Innermost(pos)
	if scope == nil {
		return false
	}
	_, obj := scope.LookupParent(name, pos)
	return obj != nil && obj.Parent() == types.Universe
}

// pkgVarTarget returns `*&pkg.V` for e, the target of an assignment, if it
// names a variable of basic type of an imported package, or nil: yaegi
// v0.16.1 takes such a variable for a constant and refuses
// `runtime.MemProfileRate = 0` ("cannot assign to 524288 (int constant)").
func (r *rewriter) pkgVarTarget(e ast.Expr) ast.Expr {
	sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	x, ok := sel.X.(*ast.Ident)
	if !ok {
		return nil
	}
	if _, ok := r.info.Uses[x].(*types.PkgName); !ok {
		return nil
	}
	v, ok := r.info.Uses[sel.Sel].(*types.Var)
	if !ok {
		return nil
	}
	if _, ok := v.Type().Underlying().(*types.Basic); !ok {
		return nil
	}
	r.changed = true
	return &ast.StarExpr{Star: e.Pos(), X: &ast.UnaryExpr{OpPos: e.Pos(), Op: token.AND, X: e}}
}

// blankTypes drops the type declarations named _ from d, which declare
// nothing and which yaegi v0.16.1 refuses ("cannot use _ as value"). It
// reports whether d declares nothing now.
func (r *rewriter) blankTypes(d *ast.GenDecl) (empty bool) {
	if d.Tok != token.TYPE {
		return false
	}
	specs := slices.DeleteFunc(slices.Clone(d.Specs), func(s ast.Spec) bool {
		ts, ok := s.(*ast.TypeSpec)
		return ok && ts.Name.Name == "_"
	})
	if len(specs) == len(d.Specs) {
		return false
	}
	r.changed = true
	d.Specs = specs
	if len(specs) == 0 && !d.Lparen.IsValid() {
		// `type ()` where it cannot be deleted.
		d.Lparen, d.Rparen = d.TokPos, d.TokPos
	}
	return len(specs) == 0
}

// lenCall returns what replaces call, a call of len or cap of an array or
// of a pointer to one (see arrayLenOf), or nil.
func (r *rewriter) lenCall(call *ast.CallExpr) ast.Expr {
	if len(call.Args) != 1 || !r.isBuiltin(call.Fun, "len") && !r.isBuiltin(call.Fun, "cap") {
		return nil
	}
	return r.arrayLenOf(call.Args[0], r.info.Types[call].Value != nil)
}

// arrayLenOf returns what len(x) or cap(x) becomes, x being an array or a
// pointer to one, or nil. Go takes the length from the type, and p in
// len(p) or len(*p) may be nil; yaegi v0.16.1 dereferences it ("reflect:
// call of reflect.Value.Len on zero Value"). Where the length is not a
// constant (x holds a call or a receive), x is still evaluated, as in Go:
//
//	len(p), len(*p)  →  int(4)
//	len(f())         →  func(interface{}) int { return 4 }(f())
func (r *rewriter) arrayLenOf(x ast.Expr, isConst bool) ast.Expr {
	t := r.typeOf(x)
	if t == nil || !r.universal(x.Pos(), "int") {
		return nil
	}
	var a *types.Array
	switch u := t.Underlying().(type) {
	case *types.Array:
		if !isConst {
			return nil // evaluated, as Go does: *f() may panic
		}
		a = u
	case *types.Pointer:
		if a, _ = u.Elem().Underlying().(*types.Array); a == nil {
			return nil
		}
	default:
		return nil
	}
	if isConst && containsCall(x) {
		// len((*[4]int)(s)): dropping the conversion could leave s
		// unused, which Go refuses; yaegi evaluates it.
		return nil
	}
	lit := &ast.BasicLit{ValuePos: x.Pos(), Kind: token.INT, Value: strconv.FormatInt(a.Len(), 10)}
	tv := types.TypeAndValue{Type: types.Typ[types.Int], Value: constant.MakeInt64(a.Len())}
	e := ast.Expr(&ast.CallExpr{Fun: ident("int"), Args: []ast.Expr{lit}})
	if !isConst {
		// The parameter's type is an empty interface, which no
		// declaration can shadow.
		fn := &ast.FuncLit{
			Type: &ast.FuncType{
				Params:  &ast.FieldList{List: []*ast.Field{{Type: &ast.InterfaceType{Methods: &ast.FieldList{}}}}},
				Results: &ast.FieldList{List: []*ast.Field{{Type: ident("int")}}},
			},
			Body: block(ret(lit)),
		}
		r.generated[fn] = true
		e = &ast.CallExpr{Fun: fn, Args: []ast.Expr{x}}
		tv.Value = nil
	}
	r.info.Types[e] = tv
	r.changed = true
	return e
}

// containsCall reports whether e holds a call or a conversion.
func containsCall(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		_, found = n.(*ast.CallExpr)
		return !found
	})
	return found
}

// hasEffects reports whether evaluating e could do more than read
// variables: whether it holds a call that is neither a conversion nor a
// constant (len of an array), or a receive. It is the test that makes
// len(x) of an array x a constant.
func (r *rewriter) hasEffects(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if r.info.Types[n].Value != nil {
				return false
			}
			if tv, ok := r.info.Types[n.Fun]; ok && tv.IsType() {
				return true // a conversion: its operand may have effects
			}
			found = true
		case *ast.UnaryExpr:
			found = found || n.Op == token.ARROW
		}
		return !found
	})
	return found
}

// returnResults parenthesises a receive returned as it is, which yaegi
// v0.16.1 stores in the result with Set ("reflect: reflect.Value.Set using
// unaddressable value" for `return <-ch`), and converts comparisons and
// negations returned as an interface to their type (see boxedBool).
func (r *rewriter) returnResults(n *ast.ReturnStmt) {
	boolean := false
	for i, e := range n.Results {
		if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.ARROW {
			n.Results[i] = &ast.ParenExpr{Lparen: u.Pos(), X: u, Rparen: u.End() - 1}
			r.changed = true
		}
		boolean = boolean || isBoolOp(e)
	}
	ft := r.enclosingFunc()
	if !boolean || ft == nil || ft.Results == nil {
		return
	}
	var results []types.Type
	for _, f := range ft.Results.List {
		t := r.typeOf(f.Type)
		for range max(1, len(f.Names)) {
			results = append(results, t)
		}
	}
	if len(results) != len(n.Results) {
		return // return f() of a multi-value f
	}
	for i, e := range n.Results {
		n.Results[i] = r.boxedBool(e, results[i])
	}
}

// isBoolOp reports whether e is a comparison or a negation.
func isBoolOp(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.BinaryExpr:
		switch x.Op {
		case token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ:
			return true
		}
	case *ast.UnaryExpr:
		return x.Op == token.NOT
	}
	return false
}

// assignStores rewrites the stores of an assignment yaegi gets wrong: a
// comparison or negation assigned to an interface (see boxedBool), and a
// variable of basic type of another package assigned to (see pkgVarTarget).
func (r *rewriter) assignStores(_ *astutil.Cursor, n *ast.AssignStmt) {
	if n.Tok == token.DEFINE {
		return
	}
	if n.Tok == token.ASSIGN && len(n.Lhs) == len(n.Rhs) {
		for i, e := range n.Rhs {
			n.Rhs[i] = r.boxedBool(e, r.typeOf(n.Lhs[i]))
		}
	}
	for i, e := range n.Lhs {
		if t := r.pkgVarTarget(e); t != nil {
			n.Lhs[i] = t
		}
	}
}

// boxedBool returns e, a comparison or negation stored as a value of type
// target, converted to its type if target is an interface: yaegi v0.16.1
// stores the result of `x == y` or `!ok` returned or assigned where an
// interface goes with SetBool ("reflect: call of reflect.Value.SetBool on interface Value"),
// and boxes bool(x == y). Any other e is returned as it is.
func (r *rewriter) boxedBool(e ast.Expr, target types.Type) ast.Expr {
	if target == nil || !types.IsInterface(target) || !isBoolOp(e) {
		return e
	}
	t := r.typeOf(e)
	if t == nil {
		return e
	}
	var te ast.Expr
	if isUntyped(t) || types.Identical(t, types.Typ[types.Bool]) {
		if !r.universal(e.Pos(), "bool") {
			return e
		}
		te = ident("bool")
	} else {
		var err error
		if te, err = r.typeExpr(t); err != nil {
			return e
		}
	}
	r.changed = true
	return &ast.CallExpr{Fun: te, Lparen: e.Pos(), Args: []ast.Expr{e}, Rparen: e.End() - 1}
}

// commaOkAssign turns `v, ok = <-c` (or m[k], or x.(T)) whose targets are
// not of the operation's types (ok an interface, say) into a definition of
// temporaries of those types, then the assignment: yaegi v0.16.1 stores
// the operation's results in the targets as they are ("reflect: call of
// reflect.Value.SetBool on interface Value").
func (r *rewriter) commaOkAssign(c *astutil.Cursor, n *ast.AssignStmt) {
	if n.Tok != token.ASSIGN || len(n.Lhs) != 2 || len(n.Rhs) != 1 || c.Index() < 0 {
		return
	}
	// The checker records the comma-ok form's type as a pair.
	tuple, ok := r.typeOf(n.Rhs[0]).(*types.Tuple)
	if !ok || tuple.Len() != 2 {
		return
	}
	iface := false
	for i, e := range n.Lhs {
		if isBlank(e) {
			continue
		}
		if _, ok := e.(*ast.Ident); !ok {
			// The operands of a[i] or p.f are evaluated before the
			// right side; after it, through a temporary.
			return
		}
		t, vt := r.typeOf(e), tuple.At(i).Type()
		if i == 1 {
			vt = types.Typ[types.Bool] // the checker records ok with its target's type
		}
		switch {
		case t == nil:
			return
		case types.IsInterface(t):
			iface = true
		case !types.Identical(t, vt):
			return // ok of a named bool type: a bool temporary would not do
		}
	}
	if !iface {
		return
	}
	var temps, dst, src []ast.Expr
	for _, e := range n.Lhs {
		if isBlank(e) {
			temps = append(temps, ident("_"))
			continue
		}
		tmp := r.fresh("")
		temps = append(temps, tmp)
		dst = append(dst, e)
		src = append(src, ident(tmp.Name))
	}
	r.changed = true
	r.replace(c, r.block(define(temps, n.Rhs...), assign(dst, src...)))
}

// switchTag turns an expression switch on an interface with cases that are
// not interfaces (`switch v { case 1: … case "a": … }`) into a switch on
// true comparing them, as Go does: yaegi v0.16.1 converts the tag to each
// case's type ("reflect.Value.Convert: value of type interface {} cannot
// be converted to type int").
func (r *rewriter) switchTag(n *ast.SwitchStmt) {
	if n.Tag == nil {
		r.ifaceCases(n)
		return
	}
	t := r.typeOf(n.Tag)
	if t == nil || !types.IsInterface(t) || isUntyped(t) {
		return
	}
	concrete := false
	for _, s := range n.Body.List {
		for _, e := range s.(*ast.CaseClause).List {
			if et := r.typeOf(e); et == nil {
				return
			} else if !types.IsInterface(et) || isUntyped(et) {
				concrete = true
			}
		}
	}
	if !concrete {
		return
	}
	tag := r.fresh("")
	for _, s := range n.Body.List {
		cc := s.(*ast.CaseClause)
		var cond ast.Expr
		for _, e := range cc.List {
			if b, ok := e.(*ast.BinaryExpr); ok {
				e = &ast.ParenExpr{X: b}
			}
			eq := binary(clone(tag), token.EQL, e)
			if cond == nil {
				cond = eq
			} else {
				cond = binary(cond, token.LOR, eq)
			}
		}
		if cond != nil {
			cc.List = []ast.Expr{cond}
		}
	}
	// The tag is evaluated once, before the cases, into a temporary
	// defined by the switch; where its init statement is taken, by a
	// switch within (break and fallthrough keep their meaning):
	//
	//	switch x := f(); v { … }  →  switch x := f(); { default: switch _gk1 := v; { … } }
	if n.Init == nil {
		n.Init = define([]ast.Expr{tag}, n.Tag)
	} else {
		inner := &ast.SwitchStmt{Switch: n.Switch, Init: define([]ast.Expr{tag}, n.Tag), Body: n.Body}
		n.Body = block(&ast.CaseClause{Body: []ast.Stmt{inner}})
	}
	n.Tag = nil
	r.changed = true
}

// ifaceCases compares the cases of interface type of a switch without a tag
// (`switch { case i: … }`, i holding a bool) with true, as Go does; yaegi
// v0.16.1 reads them as a bool ("reflect: call of reflect.Value.Bool on
// interface Value").
func (r *rewriter) ifaceCases(n *ast.SwitchStmt) {
	for _, s := range n.Body.List {
		cc := s.(*ast.CaseClause)
		for i, e := range cc.List {
			if t := r.typeOf(e); t != nil && types.IsInterface(t) && r.universal(n.Pos(), "true") {
				cc.List[i] = binary(e, token.EQL, ident("true"))
				r.changed = true
			}
		}
	}
}

// arrayLen writes an array length given as a floating-point constant
// (`[1e6]byte`) as an integer: yaegi v0.16.1 panics ("1e+06 not an Int").
func (r *rewriter) arrayLen(n *ast.ArrayType) {
	if n.Len == nil {
		return
	}
	if _, ok := n.Len.(*ast.Ellipsis); ok {
		return
	}
	v := r.info.Types[n.Len].Value
	if v == nil || v.Kind() != constant.Float {
		return
	}
	if v = constant.ToInt(v); v.Kind() != constant.Int {
		return
	}
	n.Len = &ast.BasicLit{ValuePos: n.Len.Pos(), Kind: token.INT, Value: v.ExactString()}
	r.changed = true
}

// BlankField starts the names blankFields gives blank fields: the
// field after it is a number.
const BlankField = "_gkBlank"

// blankFields names the blank fields of a struct type that has more than
// one (BlankField and their rank among them): yaegi v0.16.1 builds each
// type with reflect.StructOf, which panics on two fields of one name
// ("reflect.StructOf: duplicate field X_"). The names follow from the
// field's place, so two identical struct types stay identical.
func (r *rewriter) blankFields(n *ast.StructType) {
	var blanks []*ast.Ident
	for _, f := range n.Fields.List {
		for _, name := range f.Names {
			if name.Name == "_" {
				blanks = append(blanks, name)
			}
		}
	}
	if len(blanks) < 2 {
		return
	}
	for i, name := range blanks {
		name.Name = BlankField + strconv.Itoa(i+1)
	}
	r.changed = true
}
