package frontend

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp"
)

// render prints nodes one per line, for comparing pieces as text.
func render(t *testing.T, fset *token.FileSet, nodes ...any) string {
	t.Helper()
	var parts []string
	for _, n := range nodes {
		var b bytes.Buffer
		if err := format.Node(&b, fset, n); err != nil {
			t.Fatalf("format: %v", err)
		}
		parts = append(parts, b.String())
	}
	return strings.Join(parts, " | ")
}

func pieces(t *testing.T, fset *token.FileSet, c *Cell) (imports, decls, stmts string) {
	var is, ds, ss []any
	for _, s := range c.Imports {
		is = append(is, s)
	}
	for _, d := range c.Decls {
		ds = append(ds, d)
	}
	for _, s := range c.Stmts {
		ss = append(ss, s)
	}
	return render(t, fset, is...), render(t, fset, ds...), render(t, fset, ss...)
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, code           string
		imports, decls, stmt string
		last                 bool
	}{
		{"empty", "", "", "", "", false},
		{"import and call", "import \"fmt\"\nfmt.Println(\"hi\")", `"fmt"`, "", `fmt.Println("hi")`, true},
		{"type then stmt on one line", "type T struct{X int}; t := T{1}", "", "type T struct{ X int }", "t := T{1}", false},
		{"func then call", "func f() int {return 1}; f()", "", "func f() int { return 1 }", "f()", true},
		{"method decl", "func (t T) M() {}\nx := 1", "", "func (t T) M() {}", "x := 1", false},
		{"func literal call is a statement", "func(a int) int { return a }(2)", "", "", "func(a int) int { return a }(2)", true},
		{"var and stmt", "var a = 1; fmt.Println(a)", "", "var a = 1", "fmt.Println(a)", true},
		{"ends in decl", "x := 1\nfunc g() {}", "", "func g() {}", "x := 1", false},
		{"import after stmt", "x := 1\nimport \"strings\"\nstrings.ToUpper(\"a\")", `"strings"`, "", `x := 1 | strings.ToUpper("a")`, true},
		{"two stmts one line", "a := 1; b := 2", "", "", "a := 1 | b := 2", false},
		{"if else", "if true {\n} else {\n}", "", "", "if true {\n} else {\n}", false},
		{"grouped import", "import (\n\t\"fmt\"\n\tm \"math\"\n)", `"fmt" | m "math"`, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset := token.NewFileSet()
			c, err := Parse(fset, tt.code)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			is, ds, ss := pieces(t, fset, c)
			if is != tt.imports || ds != tt.decls || ss != tt.stmt {
				t.Errorf("got imports %q decls %q stmts %q\nwant imports %q decls %q stmts %q", is, ds, ss, tt.imports, tt.decls, tt.stmt)
			}
			if (c.Last != nil) != tt.last {
				t.Errorf("Last = %v, want set: %v", c.Last, tt.last)
			}
		})
	}
}

func TestParsePositions(t *testing.T) {
	tests := []struct {
		name, code, want string
	}{
		{"syntax error in stmt", "x := 1\ny := (2", "cell:2:8"},
		{"syntax error in decl", "x := 1\n\nfunc f( {}", "cell:3:9"},
		{"bad token", "a := 1\n  b := 'ab'", "cell:2:8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(token.NewFileSet(), tt.code)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v, want prefix %s", err, tt.want)
			}
		})
	}

	// Node positions map back to the cell.
	fset := token.NewFileSet()
	c, err := Parse(fset, "import \"fmt\"\nvar v = 1\n\tfmt.Println(v)")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		node      ast.Node
		line, col int
	}{{c.Imports[0], 1, 8}, {c.Decls[0], 2, 1}, {c.Stmts[0], 3, 2}} {
		p := fset.Position(tc.node.Pos())
		if p.Filename != Filename || p.Line != tc.line || p.Column != tc.col {
			t.Errorf("%T at %v, want %d:%d", tc.node, p, tc.line, tc.col)
		}
	}
}

func TestDropImported(t *testing.T) {
	tests := []struct {
		name, code string
		before     map[string]string
		kept       string
		wantErr    string
	}{
		{"new", `import "fmt"`, map[string]string{}, `"fmt"`, ""},
		{"again", `import "fmt"`, map[string]string{"fmt": "fmt"}, "", ""},
		{"partly", "import (\n\"fmt\"\n\"strings\"\n)", map[string]string{"fmt": "fmt"}, `"strings"`, ""},
		{"alias again", `import str "strings"`, map[string]string{"str": "strings"}, "", ""},
		{"clash with earlier cell", `import "crypto/rand"`, map[string]string{"rand": "math/rand"}, "", `cell:1:8: rand already refers to "math/rand"`},
		{"clash in cell", "import \"math/rand\"\nimport \"crypto/rand\"", map[string]string{}, `"math/rand"`, `cell:2:8: rand already refers`},
		{"blank import kept", `import _ "image/png"`, map[string]string{"_": "x"}, `_ "image/png"`, ""},
		{"major version", `import "example.com/mod/v2"`, map[string]string{"mod": "example.com/mod/v2"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset := token.NewFileSet()
			c, err := Parse(fset, tt.code)
			if err != nil {
				t.Fatal(err)
			}
			imported := maps.Clone(tt.before)
			err = c.DropImported(fset, imported)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			is, _, _ := pieces(t, fset, c)
			if is != tt.kept {
				t.Errorf("kept %q, want %q", is, tt.kept)
			}
		})
	}
}

func TestSplitVarInits(t *testing.T) {
	globals := map[string]bool{"x": true}
	tests := []struct {
		name, code, decls, stmts string
	}{
		{"literal stays", "var y = 1", "var y = 1", ""},
		{"earlier global, no type", "var y = x + 1", "", "y := x + 1"},
		{"earlier global, typed", "var y int = x", "var y int", "y = x"},
		{"same cell define", "a := 2\nvar b = a\nfmt.Println(b)", "", "a := 2 | b := a | fmt.Println(b)"},
		{"selector on package is not a var", "var s = strings.ToUpper(\"a\")", `var s = strings.ToUpper("a")`, ""},
		{"grouped mix", "var (\n\tp = 1\n\tq = x\n)", "var (\n\tp = 1\n)", "q := x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset := token.NewFileSet()
			c, err := Parse(fset, tt.code)
			if err != nil {
				t.Fatal(err)
			}
			c.SplitVarInits(fset, func(n string) bool { return globals[n] })
			_, ds, ss := pieces(t, fset, c)
			if ds != tt.decls || ss != tt.stmts {
				t.Errorf("decls %q stmts %q, want %q %q", ds, ss, tt.decls, tt.stmts)
			}
		})
	}
}

func TestLowerDefers(t *testing.T) {
	tests := []struct {
		name, code, want string
		changed          bool
	}{
		{"none", "x := 1", "x := 1", false},
		{"plain", "defer fmt.Println(\"a\", x)", `rt.Defer(fmt.Println, "a", x)`, true},
		{"method value", "defer f.Close()", "rt.Defer(f.Close)", true},
		{"builtin", "defer close(ch)", "rt.Defer(func() { close(ch) })", true},
		{"spread", "defer f(xs...)", "rt.Defer(func() { f(xs...) })", true},
		{"nested in if", "if ok {\n\tdefer g()\n}", "if ok {\n\trt.Defer(g)\n}", true},
		{"func literal untouched", "h := func() { defer g() }", "h := func() { defer g() }", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset := token.NewFileSet()
			c, err := Parse(fset, tt.code)
			if err != nil {
				t.Fatal(err)
			}
			changed := c.LowerDefers("rt", "Defer")
			_, _, ss := pieces(t, fset, c)
			if ss != tt.want || changed != tt.changed {
				t.Errorf("got %q (changed %v), want %q (%v)", ss, changed, tt.want, tt.changed)
			}
		})
	}
}

func TestIsComplete(t *testing.T) {
	tests := []struct {
		name, code string
		want       interp.Completeness
	}{
		{"empty", "", interp.Completeness{Status: "complete"}},
		{"blank lines", "\n  \n", interp.Completeness{Status: "complete"}},
		{"statement", "x := 1", interp.Completeness{Status: "complete"}},
		{"mixed cell", "import \"fmt\"\nfmt.Println(1)", interp.Completeness{Status: "complete"}},
		{"open brace", "func f() {", interp.Completeness{Status: "incomplete", Indent: "\t"}},
		{"nested open brace", "func f() {\n\tif x {", interp.Completeness{Status: "incomplete", Indent: "\t\t"}},
		{"inside block", "func f() {\n\tx := 1", interp.Completeness{Status: "incomplete", Indent: "\t"}},
		{"open paren", "fmt.Println(1,", interp.Completeness{Status: "incomplete", Indent: ""}},
		{"open bracket", "xs := []int{\n    1,", interp.Completeness{Status: "incomplete", Indent: "    "}},
		{"trailing operator", "x := 1 +", interp.Completeness{Status: "incomplete"}},
		{"trailing operator newline", "x := 1 +\n", interp.Completeness{Status: "incomplete"}},
		{"trailing dot", "strings.", interp.Completeness{Status: "incomplete"}},
		{"raw string", "s := `abc", interp.Completeness{Status: "incomplete"}},
		{"block comment", "/* abc", interp.Completeness{Status: "incomplete"}},
		{"stray closer", "x := 1)", interp.Completeness{Status: "invalid"}},
		{"mismatched", "f(]", interp.Completeness{Status: "invalid"}},
		{"syntax error", "x := := 1", interp.Completeness{Status: "invalid"}},
		{"bad char literal", "c := 'ab'", interp.Completeness{Status: "invalid"}},
		{"increment", "x++", interp.Completeness{Status: "complete"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsComplete(tt.code); got != tt.want {
				t.Errorf("IsComplete(%q) = %+v, want %+v", tt.code, got, tt.want)
			}
		})
	}
}

func TestSteps(t *testing.T) {
	tests := []struct {
		name, code string
		want       []string // each step rendered; decl steps prefixed "D:"
	}{
		{"decls first", "f()\nfunc f() {}", []string{"D:func f() {}", "f()"}},
		{"decl after its variable", "n := 0\nfunc bump() { n++ }\nbump()", []string{"n := 0", "D:func bump() { n++ }", "bump()"}},
		{"independent decl stays first", "n := 0\ntype T int\nfunc g() { n++ }\ng()", []string{"D:type T int", "n := 0", "D:func g() { n++ }", "g()"}},
		{"statements only", "a := 1\nb := a", []string{"a := 1 | b := a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset := token.NewFileSet()
			c, err := Parse(fset, tt.code)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, st := range c.Steps(fset) {
				if st.Decls != nil {
					var ds []any
					for _, d := range st.Decls {
						ds = append(ds, d)
					}
					got = append(got, "D:"+render(t, fset, ds...))
					continue
				}
				var ss []any
				for _, s := range st.Stmts {
					ss = append(ss, s)
				}
				got = append(got, render(t, fset, ss...))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("steps\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestDependents(t *testing.T) {
	fset := token.NewFileSet()
	cell, err := Parse(fset, `
func f() int { return 1 }
func g() int { return f() }
func h() int { return g() + len(s.f) }
func k() int { f := 2; return f }
func l(f int) int { return f }
func unrelated() int { return 0 }
type T struct{}
func (T) M() int { return h() }
func (T) N() int { return 0 }
var s struct{ f string }`)
	if err != nil {
		t.Fatal(err)
	}
	var p Package
	p.AddDecls(cell.Decls)
	funcs, methods := p.Dependents([]string{"f"})
	var names []string
	for _, fd := range funcs {
		names = append(names, fd.Name.Name)
	}
	// k and l only have a local f: not the package-level one.
	if want := []string{"g", "h"}; !slices.Equal(names, want) {
		t.Errorf("funcs %v, want %v", names, want)
	}
	if want := []string{"T.M"}; !slices.Equal(methods, want) {
		t.Errorf("methods %v, want %v", methods, want)
	}
}

func TestCanonical(t *testing.T) {
	fset := token.NewFileSet()
	a, err := Parse(fset, "type P struct{ X, Y int }")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(fset, "type P struct {\n\tX, Y int // layout and comments do not count\n}")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(fset, "type P struct{ X, Z int }")
	if err != nil {
		t.Fatal(err)
	}
	if Canonical(a.Decls[0]) != Canonical(b.Decls[0]) {
		t.Errorf("%q != %q", Canonical(a.Decls[0]), Canonical(b.Decls[0]))
	}
	if Canonical(a.Decls[0]) == Canonical(c.Decls[0]) {
		t.Errorf("different types print the same: %q", Canonical(a.Decls[0]))
	}
}

func TestPackageClauseAndMain(t *testing.T) {
	fset := token.NewFileSet()
	cell, err := Parse(fset, "package main\n\nfunc main() { main := 1; _ = main }\nx := T{main: 1}.main")
	if err != nil {
		t.Fatal(err)
	}
	if !cell.Program || !cell.DeclaresMain() {
		t.Errorf("Program %v, DeclaresMain %v", cell.Program, cell.DeclaresMain())
	}
	var b strings.Builder
	for _, d := range cell.Decls {
		b.WriteString(Canonical(d))
	}
	for _, s := range cell.Stmts {
		b.WriteString(Canonical(s))
	}
	if got, want := b.String(), "func "+MainFunc+"() {\n\t"+MainFunc+" := 1\n\t_ = "+MainFunc+"\n}x := T{main: 1}.main"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, code := range []string{"package lib", "x := 1\npackage main"} {
		if _, err := Parse(fset, code); err == nil {
			t.Errorf("%q: no error", code)
		}
	}
}

func TestPackageKeepsWhatIsNotRedefined(t *testing.T) {
	fset := token.NewFileSet()
	var p Package
	for _, code := range []string{
		"x, err := f()",
		"y, err := f()", // err only: x stays, as `var x, _ = f()`
		"func g() int { return 1 }",
	} {
		cell, err := Parse(fset, code)
		if err != nil {
			t.Fatal(err)
		}
		p.AddDecls(cell.Decls)
		p.AddStmts(cell.Stmts, func(string) ast.Expr { return nil })
	}
	var b strings.Builder
	for _, d := range p.Files(nil)[0].Decls {
		b.WriteString(Canonical(d) + "\n")
	}
	// Bodies are left out unless asked for.
	want := "var x, _ = f()\nvar y, err = f()\nfunc g() int\n"
	if b.String() != want {
		t.Errorf("files:\n%s\nwant:\n%s", b.String(), want)
	}
	withBody := Canonical(p.Files(func(*ast.FuncDecl) bool { return true })[0].Decls[2])
	if !strings.Contains(withBody, "return 1") {
		t.Errorf("keepBody: %q", withBody)
	}
}

func TestMentions(t *testing.T) {
	is := func(name string) func(string) bool { return func(n string) bool { return n == name } }
	for _, tt := range []struct {
		expr, name string
		want       bool
	}{
		{"a.b + c", "c", true},
		{"c + a.b", "c", true}, // a later selector must not undo the find
		{"a.c", "c", false},    // a field, method or package member
		{"c.a", "c", true},
		{"f(x.y, z)", "z", true},
	} {
		e, err := parser.ParseExpr(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := mentions(e, is(tt.name)); got != tt.want {
			t.Errorf("mentions(%q, %s) = %v, want %v", tt.expr, tt.name, got, tt.want)
		}
	}
}
