package lower_test

import (
	"go/importer"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"testing"

	"github.com/gokernel/gokernel/interp/lower"
)

// FuzzRewrite checks that no input, however broken, makes Rewrite panic.
func FuzzRewrite(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.go")
	for _, file := range files {
		if src, err := os.ReadFile(file); err == nil {
			f.Add(string(src))
		}
	}
	f.Add("package main\nfunc f() { defer x; for i := range { }; _ = (min)(1.5, g()); clear(); clear(1); for x := range 1.5 {} }")
	f.Add("package main\nfunc f() { for !x := range 3 {}; for *p = range 3 {} }")
	f.Add("package main\ntype I interface{ I }\nfunc f[T I](n T) { for range n {} }")
	f.Add("package main\nimport \"fmt\"\ntype E struct{}\nfunc (E) Error() string { return \"\" }\n" +
		"func f() { fmt.Printf(\"%[3]*.[2]*[1]d %-#v %[ %[0]v %[9]v %\", E{}, 1, 2, E{}) }")
	// One importer for all inputs: a new one per call decodes the standard
	// library's export data again, which makes each call several times slower.
	imp := importer.Default()
	f.Add("package main\ntype L[T any] struct{ next *L[T]; v T }\nfunc (l *L[U]) Push(v U) *L[U] { return &L[U]{l, v} }\n" +
		"func G[T any](n int, x T) int { if n == 0 { return 0 }; return G(n-1, &x) }\n" +
		"func main() { var l *L[int]; l.Push(1); _ = G(2, 1); println(1.5); clear(map[int]int{}); _ = recover() }")
	f.Fuzz(func(t *testing.T, src string) {
		// As a notebook's code, and as a whole program with the session's
		// helpers (monomorphisation, print, recover, clear).
		for _, cfg := range []lower.Config{{Importer: imp}, {Importer: imp, Program: true, Runtime: "rt"}} {
			fset := token.NewFileSet()
			file, _ := parser.ParseFile(fset, "fuzz.go", src, parser.SkipObjectResolution)
			if file == nil {
				return
			}
			_, _ = cfg.Rewrite(fset, file)
		}
	})
}
