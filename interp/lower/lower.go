// Package lower rewrites Go syntax trees so that yaegi v0.16.1 runs them with
// the semantics of Go 1.22 and later.
//
// Call [Rewrite] on a file, a declaration or a block; use a [Config] to give
// the type checker declarations from earlier notebook cells. The rewrites are:
//
//   - range over an integer becomes a three-clause loop;
//   - range over an iterator function becomes a call with a yield closure;
//   - loop variables captured by a closure or whose address is taken get a
//     per-iteration copy (with copy-back for three-clause loops);
//   - the function value, receiver and arguments of defer and go statements
//     are bound to temporaries at the statement;
//   - the min, max and clear builtins become equivalent code;
//   - type arguments that yaegi fails to infer are made explicit;
//   - a type switch becomes comma-ok assertions and a switch without a tag;
//   - a value of a program type passed to a compiled function as an
//     interface is converted to that interface first (to error, when fmt or
//     log prints it), and errors.As with a target of a program type walks
//     the chain in interpreted code;
//   - a method expression of a program type, (*T).M or I.M, becomes a
//     function literal;
//   - the package-level variables of a file are put in initialisation order;
//   - the generic code of a whole program (Config.Program) is monomorphised;
//   - `_ = x == y` and `_ = F(x)` (generic F) become `var _ = …`; an untyped
//     constant shifted by a variable count gets its type; `case v = <-c`
//     and `for k = range x` assign through temporaries;
//   - `return <-ch` is parenthesised; a comparison or negation returned or
//     assigned as an interface is converted to bool; `v, ok = <-c` into
//     interface variables goes through temporaries; a switch on an
//     interface with concrete cases compares them;
//   - a constant expression involving an integer beyond int64 becomes its
//     value; a basic-typed variable of another package is assigned through
//     its address; `type _` goes, several blank fields of a struct get
//     names, float array lengths are written as integers, and len, cap and
//     index-only range of an array pointer take the length from the type;
//   - print, println, recover, clear of a map and the unsafe functions
//     yaegi lacks call helpers of the caller's (Config.Runtime), where
//     yaegi's builtins differ from Go's.
//
// Every rewrite works around a bug measured in yaegi v0.16.1 and yields code
// that means the same in Go (renamed blank fields aside: they take part in
// == and reflection, as yaegi's single X_ field already did). It applies only where its bug can show, which
// includes code that yaegi already runs correctly (a deferred call whose
// arguments never change, say); that code stays correct, except for an
// error printed by a format that is not a constant with a verb such as %d
// (see printedErrors), and errors.As with a target of a program type, which
// does not descend into joined errors or call As methods (see errorsAs).
package lower

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/scanner"
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/ast/astutil"
)

// Config controls a rewrite. The zero value is ready to use and type-checks
// the node on its own.
type Config struct {
	// Files holds earlier declarations (for example, one file per notebook
	// cell) that are type-checked together with the node as one package, so
	// that names declared in earlier cells have types. Their imports are made
	// visible to the node. They are never modified.
	Files []*ast.File

	// Importer imports packages for the type checker. If nil, a new
	// importer.Default() is created for each call; a long-lived caller should
	// set one so that imported packages are loaded only once.
	Importer types.Importer

	// TypeOf, if non-nil, is asked for the type of an expression that the
	// type checker could not determine (for example a name whose declaration
	// is not in Files). It may return nil for "unknown".
	TypeOf func(ast.Expr) types.Type

	// Cell marks the statements given to RewriteStmts as the top level of a
	// notebook cell, which yaegi compiles as package-level code; constructs
	// it cannot compile there are rewritten (see cellStmts).
	Cell bool

	// Defined, if non-nil, is told, for each variable that the top-level
	// := statements of a cell (Cell) define, its name and its type written
	// as an expression the cell's file can use, or nil when the type has
	// none. A notebook records the variable as declared with that type.
	Defined func(name string, typ ast.Expr)

	// Program marks a file given to Rewrite or RewriteDecls as a whole
	// program, run as it is: the uses of its generic functions and types
	// become copies for their type arguments (see monomorphise). It is
	// not for a notebook cell's declarations, which a later cell may
	// redefine: the callers' copies would not follow.
	Program bool

	// Runtime, if set, names a package (as the rewritten code refers to
	// it) of helpers the rewritten code may call, where yaegi's builtins
	// fall short:
	//
	//	Print(newline bool, args ...any)  // print and println, as Go's runtime prints
	//	PrintIface(v any) any            // marks an interface operand of print
	//	ClearMap(m any)                   // clear of a map, NaN keys included
	//	Recovered(v any) any              // recover()'s value, run-time errors as Go's
	//	UnsafeSlice(p, n any) any         // unsafe.Slice; the call asserts []T
	//	UnsafeSliceData(s any) any        // unsafe.SliceData; the call asserts *T
	//	UnsafeString(p *byte, n any) string
	//	UnsafeStringData(s any) *byte
	//
	// Without it, print and println are left to yaegi (fmt's %v, on
	// stdout), clear of a map deletes key by key and the unsafe functions
	// stay undefined.
	Runtime string

	// TypeError, if non-nil, receives the errors of the type check the
	// rewrite starts with (which it otherwise ignores: notebook code is
	// often incomplete), so a caller needs no type check of its own.
	TypeError func(types.Error)
}

// Rewrite rewrites node in place so yaegi v0.16.1 runs it with Go 1.22+
// semantics. node is an *ast.File, an ast.Decl, an ast.Stmt or an
// *ast.BlockStmt. It reports whether anything changed.
//
// It is shorthand for Config{}.Rewrite(fset, node).
func Rewrite(fset *token.FileSet, node ast.Node) (changed bool, err error) {
	return Config{}.Rewrite(fset, node)
}

// Rewrite rewrites node in place; see the package-level [Rewrite].
//
// A statement that must be replaced by a statement of another kind (a range
// statement or a defer) cannot be rewritten in place: pass its enclosing block,
// or use [Config.RewriteStmts]. The error for a construct that cannot be
// lowered is a [scanner.ErrorList] whose entries carry positions.
func (c Config) Rewrite(fset *token.FileSet, node ast.Node) (changed bool, err error) {
	switch n := node.(type) {
	case *ast.File:
		return c.rewrite(fset, n, n)
	case ast.Decl:
		return c.rewrite(fset, c.wrapDecls(n), n)
	case *ast.BlockStmt:
		return c.rewrite(fset, c.wrapStmts(n), n)
	case ast.Stmt:
		block := &ast.BlockStmt{List: []ast.Stmt{n}}
		changed, err := c.rewrite(fset, c.wrapStmts(block), block)
		if err == nil && (len(block.List) != 1 || block.List[0] != n) {
			var list scanner.ErrorList
			list.Add(fset.Position(n.Pos()), "lower: statement must be rewritten within its block")
			return changed, list.Err()
		}
		return changed, err
	case nil:
		return false, nil
	}
	return false, fmt.Errorf("lower: cannot rewrite a %T", node)
}

// RewriteStmts rewrites a list of statements, such as the statements of a
// notebook cell, and returns the new list.
func (c Config) RewriteStmts(fset *token.FileSet, stmts []ast.Stmt) ([]ast.Stmt, bool, error) {
	block := &ast.BlockStmt{List: stmts}
	changed, err := c.rewrite(fset, c.wrapStmts(block), block)
	return block.List, changed, err
}

// RewriteDecls rewrites package-level declarations, such as those of a
// notebook cell, in a file that sees the imports of c.Files, and returns the
// new list. Besides the rewrites of [Rewrite], their variables are put in
// the order Go initialises them (see orderVars).
func (c Config) RewriteDecls(fset *token.FileSet, decls []ast.Decl) ([]ast.Decl, bool, error) {
	file := c.wrapDecls(decls...)
	imports := len(file.Decls) - len(decls)
	changed, err := c.rewrite(fset, file, file)
	if err != nil {
		return nil, changed, err
	}
	return file.Decls[imports:], changed, nil
}

// cellFunc names the function that wraps statements for type checking only;
// it never appears in the output.
const cellFunc = "_gkCell"

// wrapDecls returns a file holding decls after the imports of c.Files that
// decls does not import itself (a whole cell given to RewriteDecls may).
func (c Config) wrapDecls(decls ...ast.Decl) *ast.File {
	f := &ast.File{Name: ast.NewIdent("main")}
	own := make(map[string]bool)
	for _, d := range decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			for _, spec := range gd.Specs {
				f.Imports = append(f.Imports, spec.(*ast.ImportSpec))
				own[importKey(spec.(*ast.ImportSpec))] = true
			}
		}
	}
	if imp := c.imports(); imp != nil {
		imp.Specs = slices.DeleteFunc(imp.Specs, func(spec ast.Spec) bool { return own[importKey(spec.(*ast.ImportSpec))] })
		if len(imp.Specs) > 0 {
			for _, spec := range imp.Specs {
				f.Imports = append(f.Imports, spec.(*ast.ImportSpec))
			}
			f.Decls = append(f.Decls, imp)
		}
	}
	f.Decls = append(f.Decls, decls...)
	return f
}

// wrapStmts returns a file holding block as the body of a function.
func (c Config) wrapStmts(block *ast.BlockStmt) *ast.File {
	fn := &ast.FuncDecl{
		Name: ast.NewIdent(cellFunc),
		Type: &ast.FuncType{Params: &ast.FieldList{}},
		Body: block,
	}
	return c.wrapDecls(fn)
}

// imports returns the import declaration of c.Files, or nil, so that a
// separate file sees the packages that earlier cells imported.
func (c Config) imports() *ast.GenDecl {
	var specs []ast.Spec
	seen := make(map[string]bool)
	for _, f := range c.Files {
		for _, imp := range f.Imports {
			if key := importKey(imp); !seen[key] {
				seen[key] = true
				specs = append(specs, imp)
			}
		}
	}
	if len(specs) == 0 {
		return nil
	}
	return &ast.GenDecl{Tok: token.IMPORT, Specs: specs}
}

// importKey identifies an import spec: its name, if any, and path.
func importKey(imp *ast.ImportSpec) string {
	if imp.Name != nil {
		return imp.Name.Name + " " + imp.Path.Value
	}
	return imp.Path.Value
}

// rewrite type-checks file and then rewrites root, which file contains.
func (c Config) rewrite(fset *token.FileSet, file *ast.File, root ast.Node) (bool, error) {
	r := &rewriter{
		fset:      fset,
		cfg:       c,
		info:      newInfo(),
		used:      make(map[string]bool),
		imports:   make(map[string]string),
		generated: make(map[ast.Node]bool),
	}
	errs := r.check(file, c.TypeError)
	for _, f := range append([]*ast.File{file}, c.Files...) {
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				r.used[id.Name] = true
			}
			return true
		})
	}
	if f, ok := root.(*ast.File); ok {
		// Only code that type-checks is monomorphised: the copies are
		// made from what the checker found.
		if c.Program && onlyBenign(errs) && r.monomorphise(f, errs) {
			r.changed = true
		}
		r.orderVars(f)
	}
	if b, ok := root.(*ast.BlockStmt); ok && c.Cell {
		if c.Defined != nil {
			r.reportDefined(b)
		}
		r.cellStmts(b)
	}
	r.apply(root)
	return r.changed, r.errs.Err()
}

// reportDefined tells cfg.Defined the types of the variables the top-level
// := statements of b define.
func (r *rewriter) reportDefined(b *ast.BlockStmt) {
	for _, st := range b.List {
		as, ok := st.(*ast.AssignStmt)
		if !ok || as.Tok != token.DEFINE {
			continue
		}
		for _, e := range as.Lhs {
			id, ok := e.(*ast.Ident)
			if !ok || id.Name == "_" {
				continue
			}
			var te ast.Expr
			if obj := r.info.Defs[id]; obj != nil && obj.Type() != nil && obj.Type() != types.Typ[types.Invalid] {
				te, _ = r.typeExpr(obj.Type())
			}
			r.cfg.Defined(id.Name, te)
		}
	}
}

// A rewriter holds the state of one call to Rewrite.
type rewriter struct {
	fset *token.FileSet
	cfg  Config
	info *types.Info
	pkg  *types.Package

	used      map[string]bool   // identifiers in the input, and names generated so far
	next      int               // suffix of the next generated name
	imports   map[string]string // import path → name in the file
	funcs     []*ast.FuncType   // enclosing functions, innermost last
	generated map[ast.Node]bool // func literals and blocks made by the rewriter
	constRoot ast.Node          // the constant expression apply is within, if any

	changed bool
	errs    scanner.ErrorList
}

func newInfo() *types.Info {
	return &types.Info{
		Types:      make(map[ast.Expr]types.TypeAndValue),
		Defs:       make(map[*ast.Ident]types.Object),
		Uses:       make(map[*ast.Ident]types.Object),
		Selections: make(map[*ast.SelectorExpr]*types.Selection),
		Instances:  make(map[*ast.Ident]types.Instance),
	}
}

// check type-checks file with c.Files, tells typeErr (if non-nil) the
// errors, and returns them (as "position: message"). Type errors are otherwise
// ignored: code from a notebook is often incomplete, and whatever types were
// found are still useful; yaegi reports the real errors.
func (r *rewriter) check(file *ast.File, typeErr func(types.Error)) map[string]types.Error {
	imp := r.cfg.Importer
	if imp == nil {
		imp = importer.Default()
		r.cfg.Importer = imp // a recheck reuses it
	}
	files := []*ast.File{file}
	for _, f := range r.cfg.Files {
		if f != file {
			files = append(files, f)
		}
	}
	errs := make(map[string]types.Error)
	conf := types.Config{Importer: imp, FakeImportC: true, Error: func(err error) {
		if te, ok := err.(types.Error); ok {
			errs[te.Error()] = te
			if typeErr != nil {
				typeErr(te)
			}
		}
	}}
	r.pkg, _ = conf.Check("main", r.fset, files, r.info)
	for _, imp := range file.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		switch {
		case imp.Name == nil:
			if pkg := r.importedPkg(path); pkg != nil {
				r.imports[path] = pkg.Name()
			}
		case imp.Name.Name != "_" && imp.Name.Name != ".":
			r.imports[path] = imp.Name.Name
		}
	}
	return errs
}

// onlyBenign reports whether errs holds only errors that leave the types
// of the code sound: unused imports and variables, and packages the type
// checker cannot load (the session's own helpers, which yaegi provides).
func onlyBenign(errs map[string]types.Error) bool {
	for _, e := range errs {
		if !e.Soft && !strings.Contains(e.Msg, "could not import") {
			return false
		}
	}
	return true
}

// recheck type-checks file again after a rewrite changed it, so that
// r.info describes the new syntax, and returns its errors.
func (r *rewriter) recheck(file *ast.File) map[string]types.Error {
	r.info = newInfo()
	return r.check(file, nil)
}

// importedPkg returns the package with the given path among those the
// checked package imports, or nil.
func (r *rewriter) importedPkg(path string) *types.Package {
	if r.pkg == nil {
		return nil
	}
	for _, p := range r.pkg.Imports() {
		if p.Path() == path {
			return p
		}
	}
	return nil
}

// errorf records an error at pos.
func (r *rewriter) errorf(pos token.Pos, format string, args ...any) {
	r.errs.Add(r.fset.Position(pos), "lower: "+fmt.Sprintf(format, args...))
}

// fresh returns a new identifier that collides with no name in the input and
// no name generated before.
func (r *rewriter) fresh(hint string) *ast.Ident {
	for {
		r.next++
		name := "_gk" + hint + strconv.Itoa(r.next)
		if !r.used[name] {
			r.used[name] = true
			return ast.NewIdent(name)
		}
	}
}

// typeOf returns the type of e, or nil if it is unknown.
func (r *rewriter) typeOf(e ast.Expr) types.Type {
	if tv, ok := r.info.Types[e]; ok && tv.Type != nil && tv.Type != types.Typ[types.Invalid] {
		return tv.Type
	}
	if id, ok := e.(*ast.Ident); ok {
		if obj := r.info.ObjectOf(id); obj != nil && obj.Type() != nil && obj.Type() != types.Typ[types.Invalid] {
			return obj.Type()
		}
	}
	if r.cfg.TypeOf != nil {
		return r.cfg.TypeOf(e)
	}
	return nil
}

// typeExpr returns an expression denoting t in the rewritten file, or an
// error if t names a package the file does not import.
func (r *rewriter) typeExpr(t types.Type) (ast.Expr, error) {
	var missing string
	qual := func(p *types.Package) string {
		if p == r.pkg || p.Path() == "main" {
			return ""
		}
		if name, ok := r.imports[p.Path()]; ok {
			return name
		}
		if missing == "" {
			missing = p.Path()
		}
		return p.Name()
	}
	s := types.TypeString(t, qual)
	if missing != "" {
		return nil, fmt.Errorf("type %s needs package %q, which is not imported", s, missing)
	}
	if strings.Contains(s, "untyped ") {
		return nil, fmt.Errorf("type %s has no name in Go source", s)
	}
	e, err := parseExpr(s)
	if err != nil {
		return nil, fmt.Errorf("type %s: %v", s, err)
	}
	return e, nil
}

// isBuiltin reports whether e denotes the predeclared function name, so
// that a user's own min or max is left alone.
func (r *rewriter) isBuiltin(e ast.Expr, name string) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok || id.Name != name {
		return false
	}
	_, ok = r.info.Uses[id].(*types.Builtin)
	return ok
}

// apply runs every rewrite over root, innermost nodes first.
func (r *rewriter) apply(root ast.Node) {
	pre := func(c *astutil.Cursor) bool {
		switch n := c.Node().(type) {
		case *ast.FuncDecl:
			r.funcs = append(r.funcs, n.Type)
		case *ast.FuncLit:
			r.funcs = append(r.funcs, n.Type)
		case ast.Expr:
			if r.constRoot != nil {
				break // within a constant expression bigConst let be
			}
			if e := r.bigConst(n); e != nil {
				c.Replace(e)
				return false
			}
			if r.info.Types[n].Value != nil {
				r.constRoot = n
			}
		}
		return true
	}
	post := func(c *astutil.Cursor) bool {
		if c.Node() == r.constRoot {
			r.constRoot = nil
		}
		switch n := c.Node().(type) {
		case *ast.FuncDecl:
			r.funcs = r.funcs[:len(r.funcs)-1]
			r.nameParams(n.Type)
		case *ast.FuncLit:
			r.funcs = r.funcs[:len(r.funcs)-1]
			r.nameParams(n.Type)
		case *ast.RangeStmt:
			r.hoistFuncArgs(n.Body)
			if n.Value == nil || isBlank(n.Value) {
				// Over a pointer to an array, only the indices: a range
				// over its length, which the pointer may be nil for.
				if x := r.arrayLenOf(n.X, !r.hasEffects(n.X)); x != nil {
					n.X, n.Value = x, nil
				}
			}
			r.rangeStmt(c, n)
			if c.Node() == n {
				r.rangeAssign(n)
			}
		case *ast.ForStmt:
			r.hoistFuncArgs(n.Body)
			label := ""
			if l, ok := c.Parent().(*ast.LabeledStmt); ok {
				label = l.Label.Name
			}
			r.forStmt(n, label)
		case *ast.TypeSwitchStmt:
			if _, labelled := c.Parent().(*ast.LabeledStmt); !labelled {
				r.typeSwitch(c, n, nil)
			}
		case *ast.LabeledStmt:
			if ts, ok := n.Stmt.(*ast.TypeSwitchStmt); ok {
				r.typeSwitch(c, ts, n.Label)
				break
			}
			// A range-over-func loop became a block; its label, now unused,
			// must go.
			if b, ok := n.Stmt.(*ast.BlockStmt); ok && r.generated[b] {
				r.replace(c, b)
			}
		case *ast.DeferStmt:
			if n.Call == nil {
				break // a syntax error
			}
			if s := r.bindCall(n.Call, n); s != nil {
				r.replace(c, s)
			}
		case *ast.GoStmt:
			if n.Call == nil {
				break
			}
			if s := r.bindCall(n.Call, n); s != nil {
				r.replace(c, s)
			}
		case *ast.AssignStmt:
			// Each rewrite sees what the one before left, until the
			// statement is one of another kind.
			for _, rewrite := range [...]func(*astutil.Cursor, *ast.AssignStmt){
				r.parallelAssign, r.blankAssign, r.commaOkAssign, r.assignStores,
			} {
				as, ok := c.Node().(*ast.AssignStmt)
				if !ok {
					break
				}
				rewrite(c, as)
			}
		case *ast.IncDecStmt:
			if t := r.pkgVarTarget(n.X); t != nil {
				n.X = t
			}
		case *ast.GenDecl:
			if r.blankTypes(n) && c.Index() >= 0 {
				c.Delete()
			}
		case *ast.ArrayType:
			r.arrayLen(n)
		case *ast.StructType:
			r.blankFields(n)
		case *ast.SwitchStmt:
			r.switchTag(n)
		case *ast.ReturnStmt:
			r.returnResults(n)
		case *ast.CommClause:
			r.selectAssign(n)
		case *ast.BinaryExpr:
			r.shiftOperand(n)
		case *ast.ExprStmt:
			if s := r.clearStmt(n); s != nil {
				r.replace(c, s)
			}
		case *ast.SelectorExpr:
			if e := r.methodExpr(n); e != nil {
				c.Replace(e)
			}
		case *ast.CallExpr:
			if e := r.callReplacement(n); e != nil {
				c.Replace(e)
				break
			}
			r.typeArgs(n)
			r.ifaceArgs(n)
		}
		return true
	}
	astutil.Apply(root, pre, post)
}

// callReplacement returns what replaces call, a call of a builtin yaegi
// lacks or gets wrong (or of errors.As), or nil.
func (r *rewriter) callReplacement(call *ast.CallExpr) ast.Expr {
	for _, rewrite := range [...]func(*ast.CallExpr) ast.Expr{
		r.minMax, r.recoverCall, r.builtinPrint, r.lenCall, r.unsafeCall, r.errorsAs,
	} {
		if e := rewrite(call); e != nil {
			return e
		}
	}
	return nil
}

// replace replaces the statement at c by s. A block made by the rewriter is
// spliced into the enclosing statement list, if there is one: besides reading
// better, this keeps its temporaries out of sibling blocks, whose variables
// yaegi may store in the same frame slot (a deferred call would then see
// another block's value).
func (r *rewriter) replace(c *astutil.Cursor, s ast.Stmt) {
	replaceStmt(c, s, r.generated)
}

func replaceStmt(c *astutil.Cursor, s ast.Stmt, generated map[ast.Node]bool) {
	b, ok := s.(*ast.BlockStmt)
	if !ok || !generated[b] || c.Index() < 0 || len(b.List) == 0 {
		c.Replace(s)
		return
	}
	for _, s := range b.List[:len(b.List)-1] {
		c.InsertBefore(s)
	}
	c.Replace(b.List[len(b.List)-1])
}

// enclosingFunc returns the type of the innermost enclosing function, or nil.
func (r *rewriter) enclosingFunc() *ast.FuncType {
	if len(r.funcs) == 0 {
		return nil
	}
	return r.funcs[len(r.funcs)-1]
}
