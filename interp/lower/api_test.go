package lower_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp/lower"
)

// parseStmts parses src as the statements of a function body.
func parseStmts(t *testing.T, fset *token.FileSet, src string) []ast.Stmt {
	t.Helper()
	f, err := parser.ParseFile(fset, "cell.go", "package p\nfunc _() {\n"+src+"\n}", 0)
	if err != nil {
		t.Fatal(err)
	}
	return f.Decls[0].(*ast.FuncDecl).Body.List
}

func formatStmts(t *testing.T, fset *token.FileSet, stmts []ast.Stmt) string {
	t.Helper()
	var b strings.Builder
	for _, s := range stmts {
		b.WriteString(formatNode(t, fset, s))
		b.WriteString("\n")
	}
	return b.String()
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"defer", "func f(seq func(func(int) bool)) {\n\tfor v := range seq {\n\t\tdefer println(v)\n\t}\n}",
			"x.go:5:3: lower: range over func: defer in the loop body is not supported"},
		{"goto", "func f(seq func(func(int) bool)) {\n\tfor range seq {\n\t\tgoto out\n\t}\nout:\n}",
			"x.go:5:3: lower: range over func: goto out out of the loop body is not supported"},
		{"imported type", "import \"iter\"\nfunc f(s func(func(iter.Seq[int]) bool)) {\n\tfor range s {\n\t}\n}",
			""},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "x.go", "package p\n\n"+test.src, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = lower.Rewrite(fset, f)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != test.want {
				t.Errorf("error = %q, want %q", got, test.want)
			}
		})
	}
}

// TestEarlierCells checks that declarations from earlier cells, given as
// Config.Files, and the TypeOf hook decide how a range loop is lowered.
func TestEarlierCells(t *testing.T) {
	fset := token.NewFileSet()
	earlier, err := parser.ParseFile(fset, "cell1.go", `package main
import "fmt"
var n = 3
func seq(yield func(int) bool) { yield(1) }
var _ = fmt.Sprint`, 0)
	if err != nil {
		t.Fatal(err)
	}
	const cell = "for i := range n { fmt.Println(i) }\nfor v := range seq { fmt.Println(v) }\nfor x := range m { _ = x }"
	const want = "for i, _gkN1 := 0, n; i < _gkN1; i++ {\n\tfmt.Println(i)\n}\n" +
		"seq(func(v int) bool { fmt.Println(v); return true })\n" +
		"for x, _gkN2 := 0, m; x < _gkN2; x++ {\n\t_ = x\n}\n"

	typeOf := func(e ast.Expr) types.Type {
		if id, ok := e.(*ast.Ident); ok && id.Name == "m" {
			return types.Typ[types.Int]
		}
		return nil
	}
	cfg := lower.Config{Files: []*ast.File{earlier}, TypeOf: typeOf}
	stmts, changed, err := cfg.RewriteStmts(fset, parseStmts(t, fset, cell))
	if err != nil || !changed {
		t.Fatalf("RewriteStmts: changed %v, err %v", changed, err)
	}
	if got := formatStmts(t, fset, stmts); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}

	// Without the earlier cell, nothing is known about n, seq and m.
	stmts, changed, err = lower.Config{}.RewriteStmts(fset, parseStmts(t, fset, cell))
	if err != nil || changed {
		t.Errorf("RewriteStmts without context: changed %v, err %v; got\n%s", changed, err, formatStmts(t, fset, stmts))
	}
}

func TestRewriteStmt(t *testing.T) {
	fset := token.NewFileSet()
	stmts := parseStmts(t, fset, "for i := 0; i < 3; i++ { go func() { println(i) }() }\nfor range 3 {}")
	changed, err := lower.Rewrite(fset, stmts[0])
	if err != nil || !changed {
		t.Errorf("in-place rewrite of a for statement: changed %v, err %v", changed, err)
	}
	if _, err := lower.Rewrite(fset, stmts[1]); err == nil || !strings.Contains(err.Error(), "cell.go:4:1: ") {
		t.Errorf("rewrite of a range statement on its own: err = %v, want a positioned error", err)
	}
	if _, err := lower.Rewrite(fset, &ast.Ident{Name: "x"}); err == nil {
		t.Error("rewrite of an identifier: no error")
	}
}

// TestCellTypeSwitch checks that a type switch at the top level of a cell
// runs in a function literal when it binds a variable, and only then.
func TestCellTypeSwitch(t *testing.T) {
	for src, want := range map[string]bool{
		"switch v := x.(type) { case int: println(v) }": true,
		"switch x.(type) { case int: println() }":       false,
	} {
		fset := token.NewFileSet()
		stmts, _, err := lower.Config{Cell: true}.RewriteStmts(fset, parseStmts(t, fset, "var x any = 1\n"+src))
		if err != nil {
			t.Fatal(err)
		}
		got := formatStmts(t, fset, stmts)
		if wrapped := strings.Contains(got, "func() {"); wrapped != want {
			t.Errorf("%s: wrapped in a function literal = %v, want %v; got\n%s", src, wrapped, want, got)
		}
	}
}

// TestRewriteDeclsImports gives RewriteDecls a whole cell, imports
// included, also one that an earlier cell imports too.
func TestRewriteDeclsImports(t *testing.T) {
	fset := token.NewFileSet()
	earlier, err := parser.ParseFile(fset, "earlier.go", "package main\nimport \"time\"\n", 0)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(fset, "cell.go", "package main\nimport \"time\"\nfunc f() (n int) { for range time.Duration(3) { n++ }; return }\n", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []lower.Config{{}, {Files: []*ast.File{earlier}}} {
		decls, _, err := cfg.RewriteDecls(fset, f.Decls)
		if err != nil {
			t.Fatalf("RewriteDecls with %d earlier files: %v", len(cfg.Files), err)
		}
		if len(decls) != len(f.Decls) {
			t.Errorf("got %d declarations back, want %d", len(decls), len(f.Decls))
		}
	}
}
