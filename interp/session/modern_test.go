package session

import (
	"context"
	"go/printer"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp"
	"github.com/gokernel/gokernel/interp/frontend"
)

// modernTests are notebooks (cells run in order) and what they print. Each
// is also run as a program with go run (TestModernGoAgainstGoRun), so the
// expected output is what Go itself prints. Functions only refer to
// variables declared with var, so that the cells also form a valid program.
var modernTests = []struct {
	name  string
	cells []string
	want  string
}{
	{"comma-ok map", []string{`var m = map[string]int{"a": 1}`, `v, ok := m["a"]`, `fmt.Println(v, ok)`}, "1 true\n"},
	{"comma-ok assertion", []string{`var x any = 2.5`, "q, ok := x.(float64)\nfmt.Println(q, ok)"}, "2.5 true\n"},
	{"comma-ok receive", []string{"ch := make(chan int, 1)\nch <- 4\nclose(ch)", "w, ok := <-ch\nfmt.Println(w, ok)\nw, ok = <-ch\nfmt.Println(w, ok)"}, "4 true\n0 false\n"},
	{"if comma-ok", []string{`var m = map[string]int{"a": 1}`, `if v, ok := m["b"]; !ok { fmt.Println("missing", v) }`}, "missing 0\n"},
	{"var comma-ok", []string{`var m = map[string]int{"a": 1}`, "var mv, ok = m[\"a\"]\nfmt.Println(mv+1, ok)"}, "2 true\n"},
	{"type switch", []string{`var x any = "s"`, "switch y := x.(type) {\ncase int:\n\tfmt.Println(\"int\", y)\ncase string:\n\tfmt.Println(\"string\", y)\n}"}, "string s\n"},
	{"select case defines", []string{"ch := make(chan int, 1)\nch <- 3", "select {\ncase v, ok := <-ch:\n\tfmt.Println(v, ok)\n}"}, "3 true\n"},
	{"parallel assignment with a call", []string{"a, c := 0, \"\"\ni := 7", "a, c = i, fmt.Sprint(8)\nfmt.Println(a, c)"}, "7 8\n"},
	{"range over int", []string{"for i := range 3 { fmt.Print(i, \" \") }\nfmt.Println()"}, "0 1 2 \n"},
	{"range over func from an earlier cell", []string{
		"func count(n int) iter.Seq[int] {\n\treturn func(yield func(int) bool) {\n\t\tfor i := range n {\n\t\t\tif !yield(i) {\n\t\t\t\treturn\n\t\t\t}\n\t\t}\n\t}\n}",
		"seq := count(5)", "for v := range seq {\n\tif v == 3 {\n\t\tbreak\n\t}\n\tfmt.Print(v, \" \")\n}\nfmt.Println()"}, "0 1 2 \n"},
	{"loop variables per iteration", []string{"var fs []func() int\nfor i := 0; i < 3; i++ { fs = append(fs, func() int { return i }) }", "for _, f := range fs { fmt.Print(f()) }\nfmt.Println()"}, "012\n"},
	{"nested block shadows", []string{"x := 1\n{\n\tx := 2\n\t_ = x\n}\nfmt.Println(x)"}, "1\n"},
	{"if init shadows", []string{"v := 5\nif v := 7; v > 0 {\n\tfmt.Println(v)\n}\nfmt.Println(v)"}, "7\n5\n"},
	{"func literal passed to a library in a loop", []string{
		"func squares(n int) []int {\n\tout := make([]int, n)\n\tvar fs []func()\n\tfor i := 0; i < n; i++ {\n\t\tfs = append(fs, sync.OnceFunc(func() { out[i] = i * i }))\n\t}\n\tfor _, f := range fs {\n\t\tf()\n\t}\n\treturn out\n}",
		"fmt.Println(squares(4))"}, "[0 1 4 9]\n"},
	{"define from a generic call", []string{"m := map[string]int{\"b\": 2, \"a\": 1}",
		"keys := slices.Sorted(maps.Keys(m))\nbig := slices.Max(keys)\nfmt.Println(keys, big)"}, "[a b] b\n"},
	{"min max clear", []string{"m := map[int]int{1: 1}\nclear(m)\nfmt.Println(min(3, 1, 2), max(2.5, 1), len(m))"}, "1 2.5 0\n"},
	{"defer arguments", []string{"func d1() { x := 5; defer fmt.Println(x); x = 6 }", "d1()"}, "5\n"},
	{"generic inference", []string{
		"func Map[T, U any](xs []T, f func(T) U) []U {\n\tvar out []U\n\tfor _, x := range xs {\n\t\tout = append(out, f(x))\n\t}\n\treturn out\n}",
		`fmt.Println(Map([]int{1, 2}, func(i int) string { return strings.Repeat("*", i) }))`}, "[* **]\n"},
	{"post-1.22 library", []string{
		`for part := range strings.SplitSeq("a,b", ",") { fmt.Print(part, ";") }`,
		`m := map[string]int{"b": 2, "a": 1}` + "\nfmt.Println(slices.Sorted(maps.Keys(m)))",
		"xs := []int{3, 1, 2}\nslices.Sort(xs)\nfmt.Println(xs, slices.Max(xs), slices.Collect(slices.Values(xs)))"}, "a;b;[a b]\n[1 2 3] 3 [1 2 3]\n"},
	{"type switch on values of cell types", []string{
		"type Shape interface{ Area() float64 }\ntype Sq struct{ s float64 }\nfunc (q Sq) Area() float64 { return q.s * q.s }",
		"func describe(x any) string {\n\tswitch v := x.(type) {\n\tcase nil:\n\t\treturn \"nil\"\n\tcase Sq:\n\t\treturn fmt.Sprint(\"Sq \", v.s)\n\tcase error:\n\t\treturn \"error \" + v.Error()\n\tdefault:\n\t\treturn fmt.Sprintf(\"other %v\", v)\n\t}\n}",
		"var shapes = []Shape{Sq{2}}\nfmt.Println(describe(shapes[0]), describe(Sq{5}), describe(io.EOF), describe(nil), describe(1))"},
		"Sq 2 Sq 5 error EOF nil other 1\n"},
	{"errors of cell types through fmt and errors", []string{
		"type MyErr struct{ Code int }\nfunc (e *MyErr) Error() string { return fmt.Sprint(\"code \", e.Code) }\ntype E struct{}\nfunc (E) Error() string { return \"E!\" }",
		"var w = fmt.Errorf(\"wrapped: %w\", &MyErr{404})\nfmt.Println(w, E{})\nfmt.Println(errors.Join(errors.New(\"nf\"), &MyErr{500}))",
		"var me *MyErr\nfmt.Println(errors.As(w, &me), me.Code)"},
		"wrapped: code 404 E!\nnf\ncode 500\ntrue 404\n"},
	{"method expressions", []string{
		"type C struct{ n int }\nfunc (c *C) Inc() { c.n++ }\nfunc (c C) Get() int { return c.n }",
		"var c = &C{}\ninc := (*C).Inc\ninc(c)\nfmt.Println(C.Get(*c))"},
		"1\n"},
	{"package-level initialisation order", []string{
		"var X = f()\nfunc f() int { return tbl[1] }\nvar tbl = [3]int{1, 2, 3}\nvar a, b = g(), 5\nfunc g() int { return b * 2 }",
		"fmt.Println(X, a, b)"},
		"2 10 5\n"},
}

// modernImports are the packages the cells of modernTests use.
var modernImports = []string{"errors", "fmt", "io", "iter", "maps", "slices", "strings", "sync"}

func TestModernGo(t *testing.T) {
	for _, tt := range modernTests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestSession(t)
			cells := append([]string{"import (\n\"" + strings.Join(modernImports, "\"\n\"") + "\"\n)"}, tt.cells...)
			for i, c := range cells {
				res := ts.Execute(context.Background(), interp.ExecuteRequest{Code: c})
				if res.Error != nil {
					t.Fatalf("cell %d %q: %s: %s", i, c, res.Error.Name, res.Error.Value)
				}
			}
			if out, _ := ts.output(t); out != tt.want {
				t.Errorf("output %q, want %q", out, tt.want)
			}
		})
	}
}

// TestModernGoAgainstGoRun checks that the expected outputs of modernTests
// are what go run prints for the same cells as a program.
func TestModernGoAgainstGoRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain")
	}
	for _, tt := range modernTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := program(t, tt.cells)
			dir := t.TempDir()
			file := filepath.Join(dir, "main.go")
			if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(goCmd, "run", file).CombinedOutput()
			if err != nil {
				t.Fatalf("go run: %v\n%s\n%s", err, out, src)
			}
			if string(out) != tt.want {
				t.Errorf("go run prints %q, the test wants %q", out, tt.want)
			}
		})
	}
}

// program turns cells into a Go program: declarations at package level,
// statements in main, in cell order.
func program(t *testing.T, cells []string) string {
	fset := token.NewFileSet()
	var decls, body strings.Builder
	for _, c := range cells {
		cell, err := frontend.Parse(fset, c)
		if err != nil {
			t.Fatalf("%q: %v", c, err)
		}
		for _, d := range cell.Decls {
			printer.Fprint(&decls, fset, d)
			decls.WriteString("\n")
		}
		for _, s := range cell.Stmts {
			printer.Fprint(&body, fset, s)
			body.WriteString("\n")
		}
	}
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n")
	for _, p := range modernImports {
		b.WriteString("\t\"" + p + "\"\n")
	}
	b.WriteString(")\n\n" + decls.String() + "\nfunc main() {\n" + body.String())
	// Every import and variable counts as used.
	for _, p := range modernImports {
		name := p[strings.LastIndex(p, "/")+1:]
		switch name {
		case "iter":
			b.WriteString("var _ iter.Seq[int]\n")
		default:
			b.WriteString("_ = " + name + "." + map[string]string{"errors": "New", "io": "EOF", "fmt": "Sprint", "maps": "Clone[map[int]int]", "slices": "Clone[[]int]", "strings": "ToUpper", "sync": "NewCond"}[name] + "\n")
		}
	}
	b.WriteString("}\n")
	return b.String()
}
