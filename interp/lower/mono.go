package lower

import (
	"go/ast"
	"go/token"
	"go/types"
	"reflect"

	"golang.org/x/tools/go/ast/astutil"
)

// monoRounds bounds the rounds of monomorphise: each round instantiates the
// generic code the copies of the previous round use, and a program whose
// instantiation does not end (F[T] calling F[*T]) stops there.
const monoRounds = 8

// monomorphise replaces every use of a generic function or type declared in
// f, with type arguments the file can name, by a copy of the declaration for
// those arguments (and, for a type, copies of its methods). yaegi's generics
// are where most of its compiler panics are: explicit instantiation, generic
// types inside generic functions, constraints with core types, methods of
// generic types calling each other. Copies are ordinary Go, which yaegi
// compiles well.
//
// The generic declarations stay: a notebook's later cells may use them
// (through yaegi's generics). The rewrite is all or nothing: if the copies do not type-check (a constant
// conversion that only a concrete type makes invalid, say), f is left as it
// was. Instantiation that does not end (F[T] calling F[W[T]]) stops after
// monoRounds: the last copies call the generic code, or, if the file does
// not type-check at that point, the program stays generic. It reports
// whether f changed; r.info then describes the new f.
func (r *rewriter) monomorphise(f *ast.File, before map[string]types.Error) bool {
	m := &mono{r: r, file: f, funcs: make(map[types.Object]*ast.FuncDecl),
		types: make(map[types.Object]*genericType), names: make(map[string]string)}
	if !m.collect() {
		return false
	}
	backup := make([]ast.Decl, len(f.Decls))
	for i, d := range f.Decls {
		backup[i] = copySyntax(reflect.ValueOf(d), true, nil).Interface().(ast.Decl)
	}
	changed, clean := false, true
	for range monoRounds {
		if !m.round() {
			break
		}
		// Between rounds the file may not type-check: a copy made in this
		// round still names the instances it uses generically, while
		// their other uses already name copies. The next round replaces
		// them; the checker still records them.
		changed = true
		clean = noNewErrors(r.recheck(f), before)
		m.collect()
	}
	if changed && !clean {
		// The copies do not type-check: back to the generic code.
		f.Decls = backup
		r.recheck(f)
		return false
	}
	return changed
}

// noNewErrors reports whether every error in after was in before (the
// errors of the code as written, such as an unused import).
func noNewErrors(after, before map[string]types.Error) bool {
	for k := range after {
		if _, ok := before[k]; !ok {
			return false
		}
	}
	return true
}

// A mono holds the state of one monomorphise.
type mono struct {
	r     *rewriter
	file  *ast.File
	funcs map[types.Object]*ast.FuncDecl // generic funcs declared in file
	types map[types.Object]*genericType  // generic types declared in file
	names map[string]string              // instance key → name of its copy
}

// A genericType is a generic type declaration and its methods.
type genericType struct {
	decl    *ast.GenDecl
	spec    *ast.TypeSpec
	methods []*ast.FuncDecl
}

// collect finds the generic declarations of the file and reports whether
// there are any.
func (m *mono) collect() bool {
	clear(m.funcs)
	clear(m.types)
	info := m.r.info
	for _, d := range m.file.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Type.TypeParams != nil && len(d.Type.TypeParams.List) > 0 {
				if obj := info.Defs[d.Name]; obj != nil {
					m.funcs[obj] = d
				}
			}
		case *ast.GenDecl:
			if d.Tok != token.TYPE {
				continue
			}
			for _, sp := range d.Specs {
				ts := sp.(*ast.TypeSpec)
				if ts.TypeParams == nil || len(ts.TypeParams.List) == 0 {
					continue
				}
				if obj := info.Defs[ts.Name]; obj != nil {
					m.types[obj] = &genericType{decl: d, spec: ts}
				}
			}
		}
	}
	for _, d := range m.file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv == nil || len(fd.Recv.List) != 1 {
			continue
		}
		if id := recvBase(fd.Recv.List[0]); id != nil {
			if gt := m.types[info.Uses[id]]; gt != nil {
				gt.methods = append(gt.methods, fd)
			}
		}
	}
	return len(m.funcs) > 0 || len(m.types) > 0
}

// recvType returns the slot of a receiver's type expression that holds the
// type's name, with or without type parameters: T or T[P] in T, *T[P],
// (*T[P, Q]); nil if there is none.
func recvType(f *ast.Field) *ast.Expr {
	e := &f.Type
	for {
		switch x := (*e).(type) {
		case *ast.ParenExpr:
			e = &x.X
		case *ast.StarExpr:
			e = &x.X
		case *ast.Ident, *ast.IndexExpr, *ast.IndexListExpr:
			return e
		default:
			return nil
		}
	}
}

// recvBase returns the name of a receiver's type, or nil.
func recvBase(f *ast.Field) *ast.Ident {
	slot := recvType(f)
	if slot == nil {
		return nil
	}
	switch x := (*slot).(type) {
	case *ast.IndexExpr:
		id, _ := x.X.(*ast.Ident)
		return id
	case *ast.IndexListExpr:
		id, _ := x.X.(*ast.Ident)
		return id
	}
	id, _ := (*slot).(*ast.Ident)
	return id
}

// A pendingCopy is an instance found in a round, whose copy is made at the
// end of the round.
type pendingCopy struct {
	obj  types.Object
	args []ast.Expr
	name string
}

// round replaces the instances the file uses by the names of their copies,
// making the copies not made yet, and reports whether anything changed.
func (m *mono) round() bool {
	var pending []pendingCopy
	changed := false
	name := func(id *ast.Ident) string {
		n, p := m.instance(id)
		if p != nil {
			pending = append(pending, *p)
		}
		return n
	}
	astutil.Apply(m.file, nil, func(c *astutil.Cursor) bool {
		var id *ast.Ident
		switch n := c.Node().(type) {
		case *ast.IndexExpr:
			id, _ = n.X.(*ast.Ident)
		case *ast.IndexListExpr:
			id, _ = n.X.(*ast.Ident)
		case *ast.Ident:
			switch c.Parent().(type) {
			case *ast.IndexExpr, *ast.IndexListExpr:
				if c.Name() == "X" {
					return true // the parent is replaced whole
				}
			}
			id = n
		}
		if id == nil {
			return true
		}
		if n := name(id); n != "" {
			c.Replace(&ast.Ident{NamePos: id.NamePos, Name: n})
			changed = true
		}
		return true
	})
	for _, p := range pending {
		m.instantiate(p)
	}
	return changed
}

// instance returns the name of the copy for the instance id denotes, or ""
// if id denotes none that can be copied; the copy to make, if it is new.
func (m *mono) instance(id *ast.Ident) (string, *pendingCopy) {
	info := m.r.info
	inst, ok := info.Instances[id]
	if !ok {
		return "", nil
	}
	obj := info.Uses[id]
	if obj == nil || (m.funcs[obj] == nil && m.types[obj] == nil) {
		return "", nil
	}
	if inst.TypeArgs == nil || inst.TypeArgs.Len() == 0 {
		return "", nil
	}
	key := obj.Name() + "["
	args := make([]ast.Expr, inst.TypeArgs.Len())
	for i := range inst.TypeArgs.Len() {
		t := inst.TypeArgs.At(i)
		if !m.nameable(t) {
			return "", nil
		}
		e, err := m.r.typeExpr(t)
		if err != nil {
			return "", nil
		}
		args[i] = e
		if i > 0 {
			key += ", "
		}
		key += types.TypeString(t, func(p *types.Package) string { return p.Path() })
	}
	key += "]"
	if n, ok := m.names[key]; ok {
		return n, nil
	}
	n := m.r.fresh(obj.Name()).Name
	m.names[key] = n
	return n, &pendingCopy{obj: obj, args: args, name: n}
}

// nameable reports whether t can be written at package level: it mentions
// no type parameter and no type declared inside a function.
func (m *mono) nameable(t types.Type) bool {
	ok := true
	seen := make(map[types.Type]bool)
	var walk func(types.Type)
	walk = func(t types.Type) {
		if !ok || t == nil || seen[t] {
			return
		}
		seen[t] = true
		switch t := t.(type) {
		case *types.TypeParam:
			ok = false
		case *types.Named:
			obj := t.Obj()
			if obj.Pkg() != nil && obj.Parent() != obj.Pkg().Scope() {
				ok = false
				return
			}
			if args := t.TypeArgs(); args != nil {
				for i := range args.Len() {
					walk(args.At(i))
				}
			}
		case *types.Alias:
			obj := t.Obj()
			if obj.Pkg() != nil && obj.Parent() != obj.Pkg().Scope() {
				ok = false
			}
		case *types.Pointer:
			walk(t.Elem())
		case *types.Slice:
			walk(t.Elem())
		case *types.Array:
			walk(t.Elem())
		case *types.Map:
			walk(t.Key())
			walk(t.Elem())
		case *types.Chan:
			walk(t.Elem())
		case *types.Signature:
			for _, tup := range []*types.Tuple{t.Params(), t.Results()} {
				for i := range tup.Len() {
					walk(tup.At(i).Type())
				}
			}
		case *types.Struct:
			for i := range t.NumFields() {
				walk(t.Field(i).Type())
			}
		case *types.Interface:
			for i := range t.NumExplicitMethods() {
				walk(t.ExplicitMethod(i).Type())
			}
			for i := range t.NumEmbeddeds() {
				walk(t.EmbeddedType(i))
			}
		}
	}
	walk(t)
	return ok
}

// instantiate adds the copy p describes after its generic declaration.
func (m *mono) instantiate(p pendingCopy) {
	var added []ast.Decl
	var after ast.Decl
	if fd := m.funcs[p.obj]; fd != nil {
		cp := m.substitute(fd, p.args).(*ast.FuncDecl)
		cp.Name = &ast.Ident{NamePos: fd.Name.NamePos, Name: p.name}
		cp.Type.TypeParams = nil
		added, after = []ast.Decl{cp}, fd
	} else {
		gt := m.types[p.obj]
		ts := m.substitute(gt.spec, p.args).(*ast.TypeSpec)
		ts.Name = &ast.Ident{NamePos: gt.spec.Name.NamePos, Name: p.name}
		ts.TypeParams = nil
		added = []ast.Decl{&ast.GenDecl{TokPos: gt.decl.TokPos, Tok: token.TYPE, Specs: []ast.Spec{ts}}}
		for _, md := range gt.methods {
			cp := m.substitute(md, p.args).(*ast.FuncDecl)
			if slot := recvType(cp.Recv.List[0]); slot != nil {
				*slot = &ast.Ident{NamePos: (*slot).Pos(), Name: p.name}
			}
			added = append(added, cp)
		}
		after = gt.decl
		if len(gt.methods) > 0 {
			after = gt.methods[len(gt.methods)-1]
		}
	}
	for i, d := range m.file.Decls {
		if d == after {
			m.file.Decls = append(m.file.Decls[:i+1], append(added, m.file.Decls[i+1:]...)...)
			return
		}
	}
	m.file.Decls = append(m.file.Decls, added...)
}

// substitute returns a copy of the generic declaration n with each use of
// its type parameters replaced by the type argument at the parameter's
// index. Within one declaration every type parameter is the declaration's
// own (a method's are its receiver's), so the index identifies it.
// Positions are kept, so that errors in a copy point at the code written.
func (m *mono) substitute(n ast.Node, args []ast.Expr) ast.Node {
	info := m.r.info
	substituted := make(map[ast.Expr]bool)
	replacement := func(id *ast.Ident) ast.Expr {
		obj := info.Uses[id]
		if obj == nil {
			obj = info.Defs[id]
		}
		tn, ok := obj.(*types.TypeName)
		if !ok {
			return nil
		}
		tp, ok := tn.Type().(*types.TypeParam)
		if !ok || tp.Index() >= len(args) {
			return nil
		}
		e := clone(args[tp.Index()])
		setPos(reflect.ValueOf(e), id.Pos())
		substituted[e] = true
		return e
	}
	cp := copySyntax(reflect.ValueOf(n), true, replacement).Interface().(ast.Node)
	// A type written in place of a parameter needs parentheses where it
	// is the operand of a conversion or selector: (*T)(x), (*T).M.
	astutil.Apply(cp, nil, func(c *astutil.Cursor) bool {
		switch n := c.Node().(type) {
		case *ast.CallExpr:
			if substituted[n.Fun] {
				n.Fun = parenType(n.Fun)
			}
		case *ast.SelectorExpr:
			if substituted[n.X] {
				n.X = parenType(n.X)
			}
		case *ast.TypeSwitchStmt:
			dedupeCases(n)
		}
		return true
	})
	return cp
}

// parenType parenthesises e unless it is a name, a selector or an
// instance, which need none as an operand.
func parenType(e ast.Expr) ast.Expr {
	switch e.(type) {
	case *ast.StarExpr, *ast.FuncType, *ast.ChanType, *ast.ArrayType, *ast.MapType, *ast.InterfaceType, *ast.StructType:
		return &ast.ParenExpr{Lparen: e.Pos(), X: e, Rparen: e.End()}
	}
	return e
}

// dedupeCases removes from a copied type switch the case types that an
// earlier case already lists: with type parameters replaced, `case int,
// T:` may name int twice, which Go rejects outside generic code. The first
// matching case is the one a generic type switch takes, so the later
// duplicates are dead.
func dedupeCases(ts *ast.TypeSwitchStmt) {
	seen := make(map[string]bool)
	var list []ast.Stmt
	for _, s := range ts.Body.List {
		cc := s.(*ast.CaseClause)
		if cc.List == nil {
			list = append(list, cc) // default
			continue
		}
		var kept []ast.Expr
		for _, e := range cc.List {
			k := types.ExprString(e)
			if seen[k] {
				continue
			}
			seen[k] = true
			kept = append(kept, e)
		}
		if len(kept) == 0 {
			continue
		}
		cc.List = kept
		list = append(list, cc)
	}
	ts.Body.List = list
}

// setPos sets every position in the syntax v holds to pos, so that the
// printer lays out a type written in place of a parameter as it did the
// parameter.
func setPos(v reflect.Value, pos token.Pos) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			setPos(v.Elem(), pos)
		}
	case reflect.Slice:
		for i := range v.Len() {
			setPos(v.Index(i), pos)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Field(i)
			if f.Type() == posType {
				f.SetInt(int64(pos))
				continue
			}
			setPos(f, pos)
		}
	}
}
