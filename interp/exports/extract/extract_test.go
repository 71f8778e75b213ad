package extract

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

// checkPackages type-checks in-memory packages, in order: each may import
// the ones before it and the standard library.
func checkPackages(t *testing.T, srcs map[string]string, order ...string) map[string]*types.Package {
	t.Helper()
	fset := token.NewFileSet()
	std := importer.Default()
	done := map[string]*types.Package{}
	for _, path := range order {
		f, err := parser.ParseFile(fset, path+".go", srcs[path], 0)
		if err != nil {
			t.Fatal(err)
		}
		conf := types.Config{Importer: importerFunc(func(p string) (*types.Package, error) {
			if pkg, ok := done[p]; ok {
				return pkg, nil
			}
			return std.Import(p)
		})}
		pkg, err := conf.Check(path, fset, []*ast.File{f}, nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		done[path] = pkg
	}
	return done
}

type importerFunc func(string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// symbolKeys parses a generated file and returns the package key of its
// Symbols assignment and the keys of the map.
func symbolKeys(t *testing.T, src []byte) (string, []string) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "gen.go", src, 0)
	if err != nil {
		t.Fatalf("generated file does not parse: %v\n%s", err, src)
	}
	var pkgKey string
	var keys []string
	ast.Inspect(f, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok {
			return true
		}
		idx := as.Lhs[0].(*ast.IndexExpr)
		pkgKey = idx.Index.(*ast.BasicLit).Value
		for _, e := range as.Rhs[0].(*ast.CompositeLit).Elts {
			keys = append(keys, strings.Trim(e.(*ast.KeyValueExpr).Key.(*ast.BasicLit).Value, `"`))
		}
		return false
	})
	slices.Sort(keys)
	return strings.Trim(pkgKey, `"`), keys
}

const internalSrc = `package hidden

type Secret struct{ N int }
`

const apiSrc = `package api

import (
	"io"

	"example.com/m/internal/hidden"
)

const (
	Big       = 1 << 70
	Third     = 1.0 / 3
	Name      = "api"
	Yes       = true
	Letter    = 'x'
	Typed int = 7
)

var Default = io.Discard

func Plain(n int) int              { return n }
func Map[T, U any](xs []T, f func(T) U) []U { return nil }

type List[T any] struct{ items []T }
type Ints = List[int]
type Point struct{ X, Y int }
type Number interface{ ~int | ~float64 }

// Shape can be implemented by cells.
type Shape interface {
	Area() float64
	Scale(_ float64, W ...int) (Shape, error)
	String() string
	io.Writer
}

type private interface{ m() }

// Sealed has an unexported method: no wrapper.
type Sealed interface {
	Exported()
	sealed()
}

// Leaky names a type of an internal package: no wrapper.
type Leaky interface{ Get() hidden.Secret }

// Local names an unexported type: no wrapper.
type Local interface{ Get() private }

func MakeSecret() hidden.Secret { return hidden.Secret{} }
`

func TestFileTable(t *testing.T) {
	pkgs := checkPackages(t, map[string]string{
		"example.com/m/internal/hidden": internalSrc,
		"example.com/m/api":             apiSrc,
	}, "example.com/m/internal/hidden", "example.com/m/api")
	src, skipped, err := File("extracted", pkgs["example.com/m/api"])
	if err != nil {
		t.Fatal(err)
	}
	pkgKey, keys := symbolKeys(t, src)
	if pkgKey != "example.com/m/api/api" {
		t.Errorf("package key %q, want example.com/m/api/api", pkgKey)
	}
	want := []string{"Big", "Default", "Ints", "Leaky", "Letter", "Local", "MakeSecret", "Name", "Plain",
		"Point", "Sealed", "Shape", "Third", "Typed", "Yes", "_Shape"}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("keys:\n got %v\nwant %v", keys, want)
	}

	reasons := map[string]string{}
	for _, s := range skipped {
		reasons[s.Name] = s.Reason
	}
	for name, part := range map[string]string{
		"Map":    "generic function",
		"List":   "generic type",
		"Number": "constraint interface",
		"Sealed": "unexported method sealed",
		"Leaky":  "internal package example.com/m/internal/hidden",
		"Local":  "unexported type api.private",
	} {
		if !strings.Contains(reasons[name], part) {
			t.Errorf("%s skipped for %q, want it to say %q", name, reasons[name], part)
		}
	}
	if len(reasons) != 6 {
		t.Errorf("skipped %v, want the 6 above", slices.Sorted(maps.Keys(reasons)))
	}

	for _, part := range []string{
		// Untyped constants keep their exact values.
		`constant.MakeFromLiteral("1180591620717411303424", token.INT, 0)`,
		`constant.MakeFromLiteral("0.333333333333333333333333333333`, // 512 bits
		`constant.MakeFromLiteral("\"api\"", token.STRING, 0)`,
		`reflect.ValueOf(api.Typed)`,
		`reflect.ValueOf(api.Yes)`,
		`reflect.ValueOf(&api.Default).Elem()`,
		// Parameters are renamed ("_" and "W" would not compile), the
		// variadic one is passed on with ..., embedded methods are there.
		"func (W _example_com_m_api_Shape) Scale(p0 float64, p1 ...int) (api.Shape, error) {\n\treturn W.WScale(p0, p1...)\n}",
		"func (W _example_com_m_api_Shape) Write(p0 []byte) (int, error) {",
		"if W.WString == nil {\n\t\treturn \"\"\n\t}",
	} {
		if !strings.Contains(string(src), part) {
			t.Errorf("generated file lacks %s\n%s", part, src)
		}
	}
}

// TestFileImports: only the imports the table uses are written (an
// unused one does not compile), also when a wrapper that would have used
// one is left out.
func TestFileImports(t *testing.T) {
	pkgs := checkPackages(t, map[string]string{
		"example.com/m/consts": `package consts

import "io"

const Version = "1.2.3"
const Max = 1 << 70

type Number interface{ ~int | ~float64 }

func Sum[T Number](xs ...T) T { var s T; return s }

// Clash cannot have a wrapper (field WRead and method WRead); its
// first method would have imported io.
type Clash interface {
	Read(p []byte) (int, error)
	WRead(w io.Writer)
}
`,
	}, "example.com/m/consts")
	src, skipped, err := File("extracted", pkgs["example.com/m/consts"])
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "gen.go", src, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var imports []string
	for _, imp := range f.Imports {
		imports = append(imports, imp.Path.Value)
	}
	// consts is used by the Clash type entry; io by nothing.
	if want := []string{`"example.com/m/consts"`, `"go/constant"`, `"go/token"`, `"reflect"`}; !slices.Equal(imports, want) {
		t.Errorf("imports %v, want %v\n%s", imports, want, src)
	}
	var reasons []string
	for _, s := range skipped {
		reasons = append(reasons, s.Name+": "+s.Reason)
	}
	if !slices.ContainsFunc(reasons, func(r string) bool {
		return strings.Contains(r, "Clash: no wrapper, cells cannot implement it: method Read clashes")
	}) {
		t.Errorf("skipped %q, want Clash's wrapper left out for the name clash", reasons)
	}

	// A table of untyped constants only does not import the package.
	pkgs = checkPackages(t, map[string]string{"example.com/m/only": "package only\n\nconst A, B = 1, \"b\"\n"}, "example.com/m/only")
	src, _, err = File("extracted", pkgs["example.com/m/only"])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(src), `"example.com/m/only"`) {
		t.Errorf("the unused package is imported:\n%s", src)
	}
}

func TestImportNames(t *testing.T) {
	s := newImportSet()
	for _, tc := range []struct{ path, want, got string }{
		{"reflect", "reflect", "reflect"},
		{"example.com/reflect", "reflect", "reflect2"},
		{"example.com/other/reflect", "reflect", "reflect3"},
		{"reflect", "reflect", "reflect"}, // the same path keeps its name
		{"example.com/w", "W", "W2"},      // the receiver's name
		{"example.com/len", "len", "len2"},
		{"example.com/v2", "mod", "mod"},
	} {
		if got := s.add(tc.path, tc.want); got != tc.got {
			t.Errorf("add(%q, %q) = %q, want %q", tc.path, tc.want, got, tc.got)
		}
	}
}

// TestSameTableAsYaegi generates the table of zmq4 from export data and
// compares it with the one yaegi's extractor wrote (committed in
// interp/exports/internal/extracted): the same symbols, and it compiles
// in its place.
func TestSameTableAsYaegi(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	const zmq4 = "github.com/go-zeromq/zmq4"
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedTypes}, zmq4)
	if err != nil {
		t.Fatal(err)
	}
	if packages.PrintErrors(pkgs) > 0 {
		t.Fatal("loading zmq4 failed")
	}
	src, skipped, err := File("extracted", pkgs[0].Types)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 0 {
		t.Errorf("skipped %v; yaegi's table has all of zmq4", skipped)
	}
	committed := filepath.Join("..", "internal", "extracted", "github_com-go-zeromq-zmq4.go")
	old, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	oldKey, oldKeys := symbolKeys(t, old)
	newKey, newKeys := symbolKeys(t, src)
	if oldKey != newKey || !slices.Equal(oldKeys, newKeys) {
		t.Errorf("table differs from yaegi's:\n yaegi %s %v\n  ours %s %v", oldKey, oldKeys, newKey, newKeys)
	}

	dir := t.TempDir()
	gen := filepath.Join(dir, "zmq4.go")
	if err := os.WriteFile(gen, src, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(committed)
	if err != nil {
		t.Fatal(err)
	}
	overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{abs: gen}})
	overlayFile := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "build", "-overlay", overlayFile, "../internal/extracted").CombinedOutput()
	if err != nil {
		t.Fatalf("the generated table does not compile: %v\n%s\n%s", err, out, numbered(src))
	}
}

func numbered(src []byte) string {
	var b strings.Builder
	for i, l := range strings.Split(string(src), "\n") {
		fmt.Fprintf(&b, "%4d %s\n", i+1, l)
	}
	return b.String()
}

// TestOddInputs checks inputs whose table would not have compiled: a path
// with a rune other than / - . ~ (module paths allow +), and a complex
// constant beyond complex128.
func TestOddInputs(t *testing.T) {
	pkgs := checkPackages(t, map[string]string{
		"example.com/m/gtk+": "package gtk\n\ntype W interface{ Show() }\n\nconst Huge = 1e400i\nconst Small = 2i\n",
	}, "example.com/m/gtk+")
	src, skipped, err := File("extracted", pkgs["example.com/m/gtk+"])
	if err != nil {
		t.Fatalf("File: %v", err)
	}
	if _, keys := symbolKeys(t, src); !slices.Contains(keys, "Small") || slices.Contains(keys, "Huge") {
		t.Errorf("keys %q, want Small and not Huge", keys)
	}
	if !slices.Contains(skipped, Skipped{Name: "Huge", Reason: "complex constant beyond complex128"}) {
		t.Errorf("skipped %v, want Huge", skipped)
	}
}
