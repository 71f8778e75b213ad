package session

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"reflect"
	"strings"

	yaegi "github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib/generic"

	gkstdlib "github.com/gokernel/gokernel/interp/stdlib"
)

// symbolImporter gives package lower's type checker the packages cells can
// import without a Go toolchain: the packages of yaegi's symbol tables, built
// from their reflected types, and packages that exist as interpreted source
// (iter, and the generic functions of cmp, slices and maps), type-checked
// from that source. The go command's importer (which needs a toolchain, so it
// is missing on most devices) is only asked for what neither covers.
//
// The packages need only be good enough for the rewrites: names, types and
// signatures; positions and unexported details are left out.
type symbolImporter struct {
	syms     yaegi.Exports       // "path/name" → symbols
	sources  map[string][]string // import path → source files
	fallback types.Importer      // may be nil
	fset     *token.FileSet

	pkgs  map[string]*types.Package
	named map[reflect.Type]*types.Named
}

func newSymbolImporter(fallback types.Importer, sources map[string][]string, tables ...yaegi.Exports) *symbolImporter {
	syms := yaegi.Exports{}
	for _, t := range tables {
		for k, v := range t {
			if syms[k] == nil {
				syms[k] = map[string]reflect.Value{}
			}
			for name, val := range v {
				syms[k][name] = val
			}
		}
	}
	return &symbolImporter{
		syms: syms, sources: sources, fallback: fallback, fset: token.NewFileSet(),
		pkgs: map[string]*types.Package{}, named: map[reflect.Type]*types.Named{},
	}
}

// Import returns the package at path. Building one never panics into the
// caller: a type it cannot convert makes the package an error instead.
func (im *symbolImporter) Import(path string) (pkg *types.Package, err error) {
	defer func() {
		if r := recover(); r != nil {
			pkg, err = nil, fmt.Errorf("package %s: %v", path, r)
		}
	}()
	if p, ok := im.pkgs[path]; ok {
		return p, nil
	}
	if path == "unsafe" {
		return types.Unsafe, nil
	}
	if files := im.sources[path]; len(files) > 0 {
		return im.fromSource(path, files)
	}
	for key, syms := range im.syms {
		if i := strings.LastIndex(key, "/"); i > 0 && key[:i] == path {
			return im.fromSymbols(path, key[i+1:], syms), nil
		}
	}
	if im.fallback != nil {
		return im.fallback.Import(path)
	}
	return nil, fmt.Errorf("package %q is not known to the session", path)
}

// fromSource type-checks the source files of path. Type errors are ignored:
// what is declared is still typed.
func (im *symbolImporter) fromSource(path string, files []string) (*types.Package, error) {
	var asts []*ast.File
	for i, src := range files {
		f, err := parser.ParseFile(im.fset, fmt.Sprintf("%s_%d.go", path, i), src, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", path, err)
		}
		asts = append(asts, f)
	}
	conf := types.Config{Importer: im, Error: func(error) {}}
	pkg, _ := conf.Check(path, im.fset, asts, nil)
	if pkg == nil {
		return nil, fmt.Errorf("package %s: no types", path)
	}
	// A compiled half of the package (functions yaegi's tables have) joins
	// the interpreted one.
	for key, syms := range im.syms {
		if i := strings.LastIndex(key, "/"); i > 0 && key[:i] == path {
			im.addSymbols(pkg, syms)
		}
	}
	im.pkgs[path] = pkg
	return pkg, nil
}

// fromSymbols builds package path (named name) from its symbol table.
func (im *symbolImporter) fromSymbols(path, name string, syms map[string]reflect.Value) *types.Package {
	pkg := types.NewPackage(path, name)
	im.pkgs[path] = pkg // before the symbols: their types may refer back
	im.addSymbols(pkg, syms)
	pkg.MarkComplete()
	return pkg
}

var constantValue = reflect.TypeFor[constant.Value]()

// addSymbols declares the symbols of a yaegi table in pkg's scope, leaving
// names it has already.
func (im *symbolImporter) addSymbols(pkg *types.Package, syms map[string]reflect.Value) {
	scope := pkg.Scope()
	for name, v := range syms {
		if !v.IsValid() || scope.Lookup(name) != nil {
			continue
		}
		t := v.Type()
		var obj types.Object
		switch {
		case t.Kind() == reflect.Pointer && v.IsNil():
			// yaegi lists a type T as (*T)(nil).
			if tn := im.typeOf(t.Elem()); tn != nil {
				if n, ok := tn.(*types.Named); ok && n.Obj().Pkg() == pkg {
					obj = n.Obj()
				} else {
					obj = types.NewTypeName(token.NoPos, pkg, name, tn)
				}
			}
		case t.Implements(constantValue):
			if c, ok := v.Interface().(constant.Value); ok {
				obj = types.NewConst(token.NoPos, pkg, name, untyped(c), c)
			}
		case v.CanAddr():
			obj = types.NewVar(token.NoPos, pkg, name, im.typeOf(t))
		case t.Kind() == reflect.Func:
			if sig, ok := im.typeOf(t).(*types.Signature); ok {
				obj = types.NewFunc(token.NoPos, pkg, name, sig)
			}
		}
		if obj != nil {
			scope.Insert(obj)
		}
	}
}

// untyped is the untyped type of a constant value's kind.
func untyped(c constant.Value) types.Type {
	switch c.Kind() {
	case constant.Bool:
		return types.Typ[types.UntypedBool]
	case constant.String:
		return types.Typ[types.UntypedString]
	case constant.Float:
		return types.Typ[types.UntypedFloat]
	case constant.Complex:
		return types.Typ[types.UntypedComplex]
	}
	return types.Typ[types.UntypedInt]
}

var basics = map[reflect.Kind]types.BasicKind{
	reflect.Bool: types.Bool, reflect.Int: types.Int, reflect.Int8: types.Int8, reflect.Int16: types.Int16,
	reflect.Int32: types.Int32, reflect.Int64: types.Int64, reflect.Uint: types.Uint, reflect.Uint8: types.Uint8,
	reflect.Uint16: types.Uint16, reflect.Uint32: types.Uint32, reflect.Uint64: types.Uint64,
	reflect.Uintptr: types.Uintptr, reflect.Float32: types.Float32, reflect.Float64: types.Float64,
	reflect.Complex64: types.Complex64, reflect.Complex128: types.Complex128, reflect.String: types.String,
	reflect.UnsafePointer: types.UnsafePointer,
}

// typeOf converts a reflected type. A named type becomes the object of its
// package (imported through im) when that package declares it, else a new
// named type with the same underlying type and methods.
func (im *symbolImporter) typeOf(t reflect.Type) types.Type {
	if t.Name() != "" && t.PkgPath() != "" {
		return im.namedOf(t)
	}
	if t.Name() == "error" && t.PkgPath() == "" {
		return types.Universe.Lookup("error").Type()
	}
	if t.Name() == "any" || t.Kind() == reflect.Interface && t.NumMethod() == 0 && t.Name() == "" {
		return types.NewInterfaceType(nil, nil).Complete()
	}
	if k, ok := basics[t.Kind()]; ok {
		return types.Typ[k]
	}
	return im.underlying(t)
}

// underlying converts the structure of t, named or not, without its name.
func (im *symbolImporter) underlying(t reflect.Type) types.Type {
	if k, ok := basics[t.Kind()]; ok {
		return types.Typ[k]
	}
	switch t.Kind() {
	case reflect.Pointer:
		return types.NewPointer(im.typeOf(t.Elem()))
	case reflect.Slice:
		return types.NewSlice(im.typeOf(t.Elem()))
	case reflect.Array:
		return types.NewArray(im.typeOf(t.Elem()), int64(t.Len()))
	case reflect.Map:
		return types.NewMap(im.typeOf(t.Key()), im.typeOf(t.Elem()))
	case reflect.Chan:
		dir := types.SendRecv
		switch t.ChanDir() {
		case reflect.SendDir:
			dir = types.SendOnly
		case reflect.RecvDir:
			dir = types.RecvOnly
		}
		return types.NewChan(dir, im.typeOf(t.Elem()))
	case reflect.Func:
		return im.signature(nil, t, 0)
	case reflect.Struct:
		var fields []*types.Var
		for i := range t.NumField() {
			f := t.Field(i)
			fields = append(fields, types.NewField(token.NoPos, im.pkgOf(f.PkgPath), f.Name, im.typeOf(f.Type), f.Anonymous))
		}
		return types.NewStruct(fields, nil)
	case reflect.Interface:
		return im.interfaceOf(t)
	}
	return types.Typ[types.Invalid]
}

// interfaceOf converts an interface type's method set.
func (im *symbolImporter) interfaceOf(t reflect.Type) *types.Interface {
	var methods []*types.Func
	for i := range t.NumMethod() {
		m := t.Method(i)
		methods = append(methods, types.NewFunc(token.NoPos, nil, m.Name, im.signature(nil, m.Type, 0)))
	}
	return types.NewInterfaceType(methods, nil).Complete()
}

// namedOf converts a named type, with its methods.
func (im *symbolImporter) namedOf(t reflect.Type) types.Type {
	if n, ok := im.named[t]; ok {
		return n
	}
	if pkg, err := im.Import(t.PkgPath()); err == nil && pkg != nil {
		if obj, ok := pkg.Scope().Lookup(t.Name()).(*types.TypeName); ok {
			return obj.Type()
		}
	}
	pkg := im.pkgOf(t.PkgPath())
	n := types.NewNamed(types.NewTypeName(token.NoPos, pkg, t.Name(), nil), nil, nil)
	im.named[t] = n // before the underlying type and methods: they may refer to it
	n.SetUnderlying(im.underlying(t).Underlying())
	if t.Kind() != reflect.Interface {
		for _, rt := range []reflect.Type{t, reflect.PointerTo(t)} {
			for i := range rt.NumMethod() {
				m := rt.Method(i)
				recv := types.NewVar(token.NoPos, pkg, "", n)
				if rt.Kind() == reflect.Pointer {
					recv = types.NewVar(token.NoPos, pkg, "", types.NewPointer(n))
				}
				n.AddMethod(types.NewFunc(token.NoPos, pkg, m.Name, im.signature(recv, m.Type, 1)))
			}
		}
	}
	return n
}

// signature converts a func type, skipping its first skip parameters (a
// method's receiver).
func (im *symbolImporter) signature(recv *types.Var, t reflect.Type, skip int) *types.Signature {
	var params, results []*types.Var
	for i := skip; i < t.NumIn(); i++ {
		params = append(params, types.NewParam(token.NoPos, nil, "", im.typeOf(t.In(i))))
	}
	for i := range t.NumOut() {
		results = append(results, types.NewParam(token.NoPos, nil, "", im.typeOf(t.Out(i))))
	}
	return types.NewSignatureType(recv, nil, nil, types.NewTuple(params...), types.NewTuple(results...), t.IsVariadic())
}

// pkgOf returns the package at path for naming a type or field; an empty
// path is the universe.
func (im *symbolImporter) pkgOf(path string) *types.Package {
	if path == "" {
		return nil
	}
	if p, ok := im.pkgs[path]; ok {
		return p
	}
	name := path[strings.LastIndex(path, "/")+1:]
	return types.NewPackage(path, name)
}

// typeSources maps import paths to the interpreted sources the session
// compiles (yaegi's generic cmp, maps and slices, and ours), for the type
// checker. Our slices supplement uses cmp through the import of yaegi's
// file (yaegi's imports are per package); go/types wants it per file.
func typeSources() map[string][]string {
	out := map[string][]string{}
	for _, src := range append(generic.Sources[:], gkstdlib.Sources...) {
		f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.PackageClauseOnly)
		if err != nil {
			continue
		}
		name := f.Name.Name
		if strings.Contains(src, "cmp.") && !strings.Contains(src, `"cmp"`) {
			src = strings.Replace(src, "package "+name+"\n", "package "+name+"\n\nimport \"cmp\"\n", 1)
		}
		out[name] = append(out[name], src)
	}
	return out
}
