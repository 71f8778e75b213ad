package session

import (
	"cmp"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
)

// initOrder returns decls with their var declarations in the order Go
// initialises package-level variables: a variable after those its
// initialiser depends on, also through the bodies of functions it calls.
// yaegi initialises them in source order, so `var X = f()` before
// `func f() int { return tbl[1] }; var tbl = [3]int{1, 2, 3}` left X at 0.
// Other declarations keep their place before the vars; their order does not
// matter to yaegi.
func (s *Session) initOrder(fset *token.FileSet, decls []ast.Decl) []ast.Decl {
	var specs []*ast.ValueSpec
	var rest []ast.Decl
	initialised := 0
	for _, d := range decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			rest = append(rest, d)
			continue
		}
		for _, sp := range gd.Specs {
			vs := sp.(*ast.ValueSpec)
			if len(vs.Names) > 1 && len(vs.Values) == len(vs.Names) {
				// var a, b = f(), 5: b may have to come first.
				for i, n := range vs.Names {
					specs = append(specs, &ast.ValueSpec{Names: []*ast.Ident{n}, Type: vs.Type, Values: []ast.Expr{vs.Values[i]}})
					initialised++
				}
				continue
			}
			specs = append(specs, vs)
			if len(vs.Values) > 0 {
				initialised++
			}
		}
	}
	if initialised < 2 {
		return decls
	}
	files := append(s.pkg.Files(decls...), &ast.File{Name: ast.NewIdent("main"), Decls: decls})
	info := &types.Info{Defs: make(map[*ast.Ident]types.Object)}
	conf := types.Config{Importer: s.importer, FakeImportC: true, Error: func(error) {}}
	conf.Check("main", fset, files, info)
	rank := make(map[types.Object]int)
	for i, in := range info.InitOrder {
		for _, v := range in.Lhs {
			rank[v] = i + 1
		}
	}
	order := func(vs *ast.ValueSpec) int {
		r := 0
		for _, n := range vs.Names {
			if k := rank[info.Defs[n]]; k > 0 && (r == 0 || k < r) {
				r = k
			}
		}
		return r
	}
	sorted := slices.Clone(specs)
	slices.SortStableFunc(sorted, func(a, b *ast.ValueSpec) int { return cmp.Compare(order(a), order(b)) })
	if slices.Equal(sorted, specs) {
		return decls
	}
	for _, vs := range sorted {
		rest = append(rest, &ast.GenDecl{TokPos: vs.Pos(), Tok: token.VAR, Specs: []ast.Spec{vs}})
	}
	return rest
}
