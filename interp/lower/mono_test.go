package lower_test

import (
	"go/parser"
	"go/token"
	"regexp"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp/lower"
)

// TestMonomorphise checks which generic declarations a program keeps: the
// behaviour of the copies is tested by testdata/generics_mono.go.
func TestMonomorphise(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		program bool
		generic []string // generic declarations left, in order
	}{
		{"instances become copies", `
func Id[T any](x T) T { return x }
type Box[T any] struct{ v T }
func (b Box[T]) Get() T { return b.v }
func main() { _ = Id(1); _ = Id[string]("a"); _ = Box[int]{1}.Get() }`, true, nil},
		{"a cell keeps its generics", `
func Id[T any](x T) T { return x }
func use() int { return Id(1) }`, false, []string{"func Id[T any]"}},
		{"uninstantiated generics go", `
func Unused[T any](x T) T { return x }
func main() {}`, true, nil},
		{"a local type argument stays generic", `
func Id[T any](x T) T { return x }
func main() { type local struct{}; _ = Id(local{}); _ = Id(1) }`, true, []string{"func Id[T any]"}},
		// The embedded field of a copy would change its name (B becomes
		// the copy's), so the program keeps its generic code.
		{"an embedded generic type keeps everything", `
type B[T any] struct{ v T }
type A[T any] struct{ B[T] }
func main() { a := A[int]{B: B[int]{1}}; _ = a.v }`, true, []string{"type B[T any]", "type A[T any]"}},
		{"endless instantiation stops", `
type W[T any] struct{ v T }
func Grow[T any](n int, x T) int { if n == 0 { return 0 }; return Grow(n-1, W[T]{x}) }
func main() { _ = Grow(3, 1) }`, true, []string{"type W[T any]", "func Grow[T any]"}},
	}
	decl := regexp.MustCompile(`(?m)^(func \w+\[[^\]]*\]|type \w+\[[^\]]*\])`)
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "x.go", "package main\n"+test.src, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := (lower.Config{Program: test.program}).Rewrite(fset, f); err != nil {
				t.Fatal(err)
			}
			out := formatNode(t, fset, f)
			got := decl.FindAllString(out, -1)
			if strings.Join(got, "; ") != strings.Join(test.generic, "; ") {
				t.Errorf("generic declarations %q, want %q\n%s", got, test.generic, out)
			}
			if _, err := parser.ParseFile(token.NewFileSet(), "out.go", out, 0); err != nil {
				t.Errorf("output does not parse: %v\n%s", err, out)
			}
		})
	}
}
