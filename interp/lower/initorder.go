package lower

import (
	"cmp"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
)

// orderVars puts the package-level variables of f in the order Go
// initialises them: a variable after those its initialiser depends on, also
// through the bodies of the functions it calls (types.Info.InitOrder).
// yaegi initialises them in source order, so `var X = f()` before
// `func f() int { return tbl[1] }; var tbl = [3]int{1, 2, 3}` left X at 0.
// `var a, b = f(), 5` is split, as b may have to come first. The variables
// follow the other declarations, whose order does not matter to yaegi.
func (r *rewriter) orderVars(f *ast.File) {
	var specs []*ast.ValueSpec
	var rest []ast.Decl
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			rest = append(rest, d)
			continue
		}
		for _, sp := range gd.Specs {
			vs := sp.(*ast.ValueSpec)
			if len(vs.Names) > 1 && len(vs.Values) == len(vs.Names) {
				for i, n := range vs.Names {
					specs = append(specs, &ast.ValueSpec{Names: []*ast.Ident{n}, Type: vs.Type, Values: []ast.Expr{vs.Values[i]}})
				}
				continue
			}
			specs = append(specs, vs)
		}
	}
	if len(specs) < 2 {
		return // nothing to order (InitOrder spans every earlier cell)
	}
	rank := make(map[types.Object]int, len(r.info.InitOrder))
	for i, in := range r.info.InitOrder {
		for _, v := range in.Lhs {
			rank[v] = i + 1
		}
	}
	// A spec's rank is its earliest variable's; uninitialised ones (rank 0)
	// come first.
	order := func(vs *ast.ValueSpec) int {
		k := 0
		for _, n := range vs.Names {
			if j := rank[r.info.Defs[n]]; j > 0 && (k == 0 || j < k) {
				k = j
			}
		}
		return k
	}
	if slices.IsSortedFunc(specs, func(a, b *ast.ValueSpec) int { return cmp.Compare(order(a), order(b)) }) {
		return
	}
	slices.SortStableFunc(specs, func(a, b *ast.ValueSpec) int { return cmp.Compare(order(a), order(b)) })
	for _, vs := range specs {
		rest = append(rest, &ast.GenDecl{TokPos: vs.Pos(), Tok: token.VAR, Specs: []ast.Spec{vs}})
	}
	f.Decls = rest
	r.changed = true
}
