package lower

import (
	"go/ast"
	"go/types"
)

// typeArgs makes the type arguments of a call of a generic function explicit
// where yaegi's inference fails and go/types succeeded:
//
//   - two or more type parameters, with a function literal among the
//     arguments (yaegi infers the literal's types wrong);
//   - a variadic parameter whose type involves a type parameter;
//   - a type parameter constrained by a slice or map type over other type
//     parameters (S ~[]E), which yaegi cannot infer E from;
//   - a parameter of a generic named type or a function type over type
//     parameters (seq iter.Seq[E]), which yaegi unifies wrongly.
//
// Any other call keeps its form, because explicit instantiation trips other
// yaegi bugs.
func (r *rewriter) typeArgs(call *ast.CallExpr) {
	var id *ast.Ident
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = fun
	case *ast.SelectorExpr:
		id = fun.Sel
	default:
		return // already instantiated, or not a named function
	}
	inst, ok := r.info.Instances[id]
	if !ok {
		return
	}
	fn, ok := r.info.Uses[id].(*types.Func)
	if !ok {
		return
	}
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.TypeParams().Len() == 0 || inst.TypeArgs.Len() != sig.TypeParams().Len() {
		return
	}
	if !needsTypeArgs(sig, call) {
		return
	}
	indices := make([]ast.Expr, inst.TypeArgs.Len())
	for i := range indices {
		te, err := r.typeExpr(inst.TypeArgs.At(i))
		if err != nil {
			return // keep the call as written; yaegi may still manage
		}
		indices[i] = te
	}
	fun := ast.Unparen(call.Fun)
	if len(indices) == 1 {
		call.Fun = &ast.IndexExpr{X: fun, Index: indices[0]}
	} else {
		call.Fun = &ast.IndexListExpr{X: fun, Indices: indices}
	}
	r.changed = true
}

// needsTypeArgs reports whether yaegi v0.16.1 fails to infer the type
// arguments of call, a call of the generic function with signature sig.
func needsTypeArgs(sig *types.Signature, call *ast.CallExpr) bool {
	tparams := sig.TypeParams()
	if tparams.Len() >= 2 {
		for _, arg := range call.Args {
			if _, ok := ast.Unparen(arg).(*ast.FuncLit); ok {
				return true
			}
		}
	}
	if sig.Variadic() {
		last := sig.Params().At(sig.Params().Len() - 1).Type()
		if mentionsTypeParam(last) {
			return true
		}
	}
	for i := range sig.Params().Len() {
		switch t := sig.Params().At(i).Type().(type) {
		case *types.Named:
			if mentionsTypeParam(t) {
				return true
			}
		case *types.Signature:
			if tparams.Len() >= 1 && (mentionsTypeParam(tupleTypes(t.Params())) || mentionsTypeParam(tupleTypes(t.Results()))) {
				return true
			}
		}
	}
	for i := range tparams.Len() {
		iface, ok := tparams.At(i).Constraint().Underlying().(*types.Interface)
		if !ok {
			continue
		}
		for j := range iface.NumEmbeddeds() {
			if composite(iface.EmbeddedType(j)) {
				return true
			}
		}
	}
	return false
}

// tupleTypes returns the types of t as one type, for mentionsTypeParam.
func tupleTypes(t *types.Tuple) types.Type {
	fields := make([]*types.Var, t.Len())
	for i := range t.Len() {
		fields[i] = types.NewField(0, nil, "", types.NewSlice(t.At(i).Type()), true)
	}
	return types.NewStruct(fields, nil)
}

// composite reports whether the constraint term t is a slice or map type
// built from type parameters.
func composite(t types.Type) bool {
	if u, ok := t.(*types.Union); ok {
		for i := range u.Len() {
			if composite(u.Term(i).Type()) {
				return true
			}
		}
		return false
	}
	switch t := t.(type) {
	case *types.Slice:
		return mentionsTypeParam(t.Elem())
	case *types.Map:
		return mentionsTypeParam(t.Key()) || mentionsTypeParam(t.Elem())
	}
	return false
}

// mentionsTypeParam reports whether t is or contains a type parameter.
func mentionsTypeParam(t types.Type) bool {
	switch t := t.(type) {
	case *types.TypeParam:
		return true
	case *types.Slice:
		return mentionsTypeParam(t.Elem())
	case *types.Pointer:
		return mentionsTypeParam(t.Elem())
	case *types.Array:
		return mentionsTypeParam(t.Elem())
	case *types.Map:
		return mentionsTypeParam(t.Key()) || mentionsTypeParam(t.Elem())
	case *types.Chan:
		return mentionsTypeParam(t.Elem())
	case *types.Struct:
		for i := range t.NumFields() {
			if mentionsTypeParam(t.Field(i).Type()) {
				return true
			}
		}
	case *types.Signature:
		return mentionsTypeParam(tupleTypes(t.Params())) || mentionsTypeParam(tupleTypes(t.Results()))
	case *types.Named:
		args := t.TypeArgs()
		for i := range args.Len() {
			if mentionsTypeParam(args.At(i)) {
				return true
			}
		}
	}
	return false
}
