package lower_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp/lower"
)

// TestMonomorphise checks which uses of generic code a rewrite leaves
// generic: the behaviour of the copies is tested by
// testdata/generics_mono.go.
func TestMonomorphise(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		program bool
		generic []string // generics that non-generic code still uses, sorted
	}{
		{"instances become copies", `
func Id[T any](x T) T { return x }
type Box[T any] struct{ v T }
func (b Box[T]) Get() T { return b.v }
func main() { _ = Id(1); _ = Id[string]("a"); _ = Box[int]{1}.Get() }`, true, nil},
		{"a cell stays generic", `
func Id[T any](x T) T { return x }
func use() int { return Id(1) }`, false, []string{"Id"}},
		{"a local type argument stays generic", `
func Id[T any](x T) T { return x }
func main() { type local struct{}; _ = Id(local{}); _ = Id(1) }`, true, []string{"Id"}},
		// The embedded field of a copy would change its name (B becomes
		// the copy's), so the program keeps its generic code.
		{"an embedded generic type keeps everything", `
type B[T any] struct{ v T }
type A[T any] struct{ B[T] }
func main() { a := A[int]{B: B[int]{1}}; _ = a.v }`, true, []string{"A", "B"}},
		// Each round would copy Grow for one more level of W: it does not
		// end, so the program stays generic.
		{"endless instantiation stays generic", `
type W[T any] struct{ v T }
func Grow[T any](n int, x T) int { if n == 0 { return 0 }; return Grow(n-1, W[T]{x}) }
func main() { _ = Grow(3, 1) }`, true, []string{"Grow"}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "x.go", "package main\n"+test.src, 0)
			if err != nil {
				t.Fatal(err)
			}
			generics := genericNames(f)
			if _, err := (lower.Config{Program: test.program}).Rewrite(fset, f); err != nil {
				t.Fatal(err)
			}
			out := formatNode(t, fset, f)
			if got := genericNames(f); !slices.Equal(got, generics) {
				t.Errorf("generic declarations %q, want all of %q kept\n%s", got, generics, out)
			}
			if got := usesOf(f, generics); strings.Join(got, " ") != strings.Join(test.generic, " ") {
				t.Errorf("non-generic code uses %q, want %q\n%s", got, test.generic, out)
			}
			if _, err := parser.ParseFile(token.NewFileSet(), "out.go", out, 0); err != nil {
				t.Errorf("output does not parse: %v\n%s", err, out)
			}
		})
	}
}

// genericNames returns the generic funcs and types f declares, sorted.
func genericNames(f *ast.File) []string {
	var names []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Type.TypeParams != nil {
				names = append(names, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				if ts, ok := sp.(*ast.TypeSpec); ok && ts.TypeParams != nil {
					names = append(names, ts.Name.Name)
				}
			}
		}
	}
	slices.Sort(names)
	return names
}

// usesOf returns the names among generics that f's non-generic funcs and
// types mention, sorted.
func usesOf(f *ast.File, generics []string) []string {
	var used []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Type.TypeParams != nil || d.Recv != nil && isGenericRecv(d.Recv.List[0].Type) {
				continue
			}
		case *ast.GenDecl:
			if d.Tok == token.TYPE && d.Specs[0].(*ast.TypeSpec).TypeParams != nil {
				continue
			}
		}
		ast.Inspect(d, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && slices.Contains(generics, id.Name) && !slices.Contains(used, id.Name) {
				used = append(used, id.Name)
			}
			return true
		})
	}
	slices.Sort(used)
	return used
}

func isGenericRecv(e ast.Expr) bool {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	switch e.(type) {
	case *ast.IndexExpr, *ast.IndexListExpr:
		return true
	}
	return false
}
