package lower_test

import (
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
	f.Fuzz(func(t *testing.T, src string) {
		fset := token.NewFileSet()
		file, _ := parser.ParseFile(fset, "fuzz.go", src, parser.SkipObjectResolution)
		if file == nil {
			return
		}
		_, _ = lower.Rewrite(fset, file)
	})
}
