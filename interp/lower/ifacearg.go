package lower

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ifaceArgs converts, in a call of a compiled function (one of an imported
// package, or a method of one of its types), each argument whose type is a
// type of the program (or a pointer to one) to the interface the function
// sees it as:
//
//   - to the parameter's interface type when that is not empty:
//     errors.Join(errors.New("a"), &MyErr{}) panics in yaegi with "cannot
//     use *struct as type error";
//   - to error when the parameter is an empty interface, the type is an
//     error and the function prints the argument by its Error method (see
//     printedErrors): fmt.Println(E{}) prints {} instead of E's Error(),
//     and fmt.Errorf("%w", &MyErr{}) prints %!w(…), unless the value
//     reaches fmt as an error. (yaegi passes a value with a String method
//     as a fmt.Stringer already.) Anywhere else the wrapper would show:
//     json.Marshal(E{}) would fail with "unsupported type: func() string",
//     and fmt.Printf("%d", E{}) print the wrapper's fields.
//
// yaegi hands a compiled function an interpreted value as a plain struct
// without methods, unless the value comes out of an interpreted function
// as an interface, for which it makes a wrapper that has them. So the
// argument x becomes func(v I) I { return v }(x).
func (r *rewriter) ifaceArgs(call *ast.CallExpr) {
	fn := r.compiledCallee(call.Fun)
	if fn == nil {
		return
	}
	sig, ok := r.typeOf(call.Fun).(*types.Signature)
	if !ok || call.Ellipsis.IsValid() {
		return
	}
	asError := r.printedErrors(fn, sig, call)
	for i, arg := range call.Args {
		at := r.typeOf(arg)
		if at == nil || !r.isProgramType(at) {
			continue
		}
		pt := paramType(sig, i)
		if pt == nil {
			continue
		}
		iface, ok := pt.Underlying().(*types.Interface)
		if !ok {
			continue
		}
		var target ast.Expr
		switch {
		case !iface.Empty():
			switch pt.(type) {
			case *types.Named, *types.Alias:
			default:
				continue // an interface literal: written out, it may need imports
			}
			te, err := r.typeExpr(pt)
			if err != nil {
				continue
			}
			target = te
		case asError(i) && types.Implements(at, errorType()):
			target = ast.NewIdent("error")
		default:
			continue
		}
		// A conversion I(x), or assigning x to a variable of type I, does
		// not give the value its methods on the compiled side; passing it
		// through a function's parameter of type I does.
		v := r.fresh("V")
		through := &ast.FuncLit{
			Type: &ast.FuncType{
				Func:    arg.Pos(),
				Params:  &ast.FieldList{List: []*ast.Field{{Names: []*ast.Ident{v}, Type: target}}},
				Results: &ast.FieldList{List: []*ast.Field{{Type: target}}},
			},
			Body: &ast.BlockStmt{List: []ast.Stmt{&ast.ReturnStmt{Results: []ast.Expr{ast.NewIdent(v.Name)}}}},
		}
		r.generated[through] = true
		call.Args[i] = &ast.CallExpr{Fun: through, Lparen: arg.Pos(), Args: []ast.Expr{arg}, Rparen: arg.End()}
		r.changed = true
	}
}

// compiledCallee returns the function or method of an imported package,
// which yaegi runs compiled, that fun denotes, or nil.
func (r *rewriter) compiledCallee(fun ast.Expr) *types.Func {
	sel, ok := ast.Unparen(fun).(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	var obj types.Object
	if s, ok := r.info.Selections[sel]; ok {
		obj = s.Obj()
	} else {
		obj = r.info.Uses[sel.Sel]
	}
	fn, ok := obj.(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg() == r.pkg || fn.Pkg().Path() == "main" {
		return nil
	}
	return fn
}

// printedErrors returns whether the compiled function fn, called by call
// with signature sig, prints its argument i with the Error method when that
// argument is an error: the operands of the printing functions of fmt and
// log (and of the methods of *log.Logger) are, except those a format
// prints with a verb other than %v, %s, %q, %x, %X and %w, or with %#v.
func (r *rewriter) printedErrors(fn *types.Func, sig *types.Signature, call *ast.CallExpr) func(i int) bool {
	never := func(int) bool { return false }
	name, recv := fn.Name(), fn.Signature().Recv()
	prints := false
	switch fn.Pkg().Path() {
	case "fmt":
		prints = recv == nil && (hasPrefix(name, "Print", "Sprint", "Fprint", "Append") || name == "Errorf")
	case "log":
		prints = (recv == nil || isNamed(recv.Type(), "log", "Logger")) && hasPrefix(name, "Print", "Fatal", "Panic")
	}
	if !prints || !sig.Variadic() {
		return never
	}
	if !strings.HasSuffix(name, "f") {
		return func(int) bool { return true }
	}
	// The format is the parameter before the operands. One that is not a
	// constant most likely prints errors with %v or %s.
	n := sig.Params().Len() - 2
	if n < 0 || n >= len(call.Args) {
		return never
	}
	tv := r.info.Types[call.Args[n]]
	if tv.Value == nil || tv.Value.Kind() != constant.String {
		return func(int) bool { return true }
	}
	printed := errorOperands(constant.StringVal(tv.Value))
	return func(i int) bool { return printed[i-n-1] }
}

func hasPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// errorOperands returns the operands (counted from 0) that format prints
// with their Error method if they are errors, following the parsing of
// fmt's doPrintf: each verb takes the next operand, or the one an explicit
// index [n] names, and a * width or precision takes one too.
func errorOperands(format string) map[int]bool {
	printed := make(map[int]bool)
	arg := 0
	index := func(i int) int {
		if i < len(format) && format[i] == '[' {
			if j := strings.IndexByte(format[i:], ']'); j > 0 {
				if n, err := strconv.Atoi(format[i+1 : i+j]); err == nil && n > 0 {
					arg = n - 1
				}
				return i + j + 1
			}
		}
		return i
	}
	// number skips a width or precision, which * takes from an operand.
	number := func(i int) int {
		if i < len(format) && format[i] == '*' {
			arg++
			return i + 1
		}
		for i < len(format) && '0' <= format[i] && format[i] <= '9' {
			i++
		}
		return i
	}
	for i := 0; i < len(format); {
		if format[i] != '%' {
			i++
			continue
		}
		i++
		sharp := false
		for ; i < len(format) && strings.IndexByte("#0+- ", format[i]) >= 0; i++ {
			sharp = sharp || format[i] == '#'
		}
		i = number(index(i))
		if i < len(format) && format[i] == '.' {
			i = number(index(i + 1))
		}
		i = index(i)
		if i >= len(format) {
			break
		}
		verb, size := utf8.DecodeRuneInString(format[i:])
		i += size
		if verb == '%' {
			continue
		}
		if strings.ContainsRune("vsqxXw", verb) && !(sharp && verb == 'v') {
			printed[arg] = true
		}
		arg++
	}
	return printed
}

// isNamed reports whether t is the type name declared in the package with
// the given path, or a pointer to it.
func isNamed(t types.Type, path, name string) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Name() == name && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == path
}

// isProgramType reports whether t is a defined type of the program being
// rewritten, other than an interface, or a pointer to one: a type yaegi
// interprets.
func (r *rewriter) isProgramType(t types.Type) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if _, isIface := t.Underlying().(*types.Interface); isIface {
		return false
	}
	return r.declared(t)
}

// declared reports whether t is a defined type of the program being
// rewritten.
func (r *rewriter) declared(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && (n.Obj().Pkg() == r.pkg || n.Obj().Pkg().Path() == "main")
}

// paramType returns the type of the parameter that argument i of a call
// of sig is passed to, or nil.
func paramType(sig *types.Signature, i int) types.Type {
	n := sig.Params().Len()
	switch {
	case sig.Variadic() && i >= n-1:
		if s, ok := sig.Params().At(n - 1).Type().(*types.Slice); ok {
			return s.Elem()
		}
		return nil
	case i < n:
		return sig.Params().At(i).Type()
	}
	return nil
}

func errorType() *types.Interface {
	return types.Universe.Lookup("error").Type().Underlying().(*types.Interface)
}

// errorsAs replaces errors.As(err, target), when target points to a type
// of the program, by a function literal that walks the chain of err with
// errors.Unwrap and a comma-ok assertion: the compiled errors.As panics
// with "*target must be interface or implement error", as the type it sees
// has no methods. It returns the replacement, or nil. Unlike errors.As, the
// walk does not descend into errors joined with errors.Join or wrapped by
// several %w (yaegi cannot assert a compiled value to the interface with
// Unwrap() []error), nor call an As method: docs/modern-go.md lists both.
func (r *rewriter) errorsAs(call *ast.CallExpr) ast.Expr {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "As" || len(call.Args) != 2 {
		return nil
	}
	if fn, ok := r.info.Uses[sel.Sel].(*types.Func); !ok || fn.Pkg() == nil || fn.Pkg().Path() != "errors" {
		return nil
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok {
		return nil
	}
	ptr, ok := r.typeOf(call.Args[1]).(*types.Pointer)
	if !ok || !r.isProgramType(ptr.Elem()) {
		return nil
	}
	if !types.IsInterface(ptr.Elem()) && !types.Implements(ptr.Elem(), errorType()) {
		return nil // errors.As panics on such a target, as in Go
	}
	te, err := r.typeExpr(ptr.Elem())
	if err != nil {
		return nil
	}
	errV, target, v, ok2 := r.fresh("Err"), r.fresh("Target"), r.fresh("V"), r.fresh("Ok")
	id := func(x *ast.Ident) *ast.Ident { return ast.NewIdent(x.Name) }
	body := []ast.Stmt{
		&ast.ForStmt{
			Cond: &ast.BinaryExpr{X: id(errV), Op: token.NEQ, Y: ast.NewIdent("nil")},
			Body: &ast.BlockStmt{List: []ast.Stmt{
				&ast.IfStmt{
					Init: &ast.AssignStmt{Lhs: []ast.Expr{id(v), id(ok2)}, Tok: token.DEFINE,
						Rhs: []ast.Expr{&ast.TypeAssertExpr{X: id(errV), Type: te}}},
					Cond: id(ok2),
					Body: &ast.BlockStmt{List: []ast.Stmt{
						&ast.AssignStmt{Lhs: []ast.Expr{&ast.StarExpr{X: id(target)}}, Tok: token.ASSIGN, Rhs: []ast.Expr{id(v)}},
						&ast.ReturnStmt{Results: []ast.Expr{ast.NewIdent("true")}},
					}},
				},
				&ast.AssignStmt{Lhs: []ast.Expr{id(errV)}, Tok: token.ASSIGN, Rhs: []ast.Expr{&ast.CallExpr{
					Fun: &ast.SelectorExpr{X: ast.NewIdent(pkg.Name), Sel: ast.NewIdent("Unwrap")}, Args: []ast.Expr{id(errV)}}}},
			}},
		},
		&ast.ReturnStmt{Results: []ast.Expr{ast.NewIdent("false")}},
	}
	lit := &ast.FuncLit{
		Type: &ast.FuncType{
			Func: call.Pos(),
			Params: &ast.FieldList{List: []*ast.Field{
				{Names: []*ast.Ident{errV}, Type: ast.NewIdent("error")},
				{Names: []*ast.Ident{target}, Type: &ast.StarExpr{X: te}},
			}},
			Results: &ast.FieldList{List: []*ast.Field{{Type: ast.NewIdent("bool")}}},
		},
		Body: &ast.BlockStmt{List: body},
	}
	r.generated[lit] = true
	r.changed = true
	return &ast.CallExpr{Fun: lit, Lparen: call.Lparen, Args: call.Args, Rparen: call.Rparen}
}
