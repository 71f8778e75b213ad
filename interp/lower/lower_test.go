package lower_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp/lower"
)

// rewriteTests hold declarations: orig is rewritten and must format as want.
var rewriteTests = []struct {
	name       string
	orig, want string
}{
	{
		name: "rangeint",
		orig: `func f() { for i := range 3 { println(i) } }
`,
		want: `func f() {
	for i := 0; i < 3; i++ {
		println(i)
	}
}
`,
	},
	{
		name: "rangeint-expr-typed",
		orig: `func f(n int64) { for i := range n { println(i) } }
`,
		want: `func f(n int64) {
	for i, _gkN1 := int64(0), n; i < _gkN1; i++ {
		println(i)
	}
}
`,
	},
	{
		name: "rangeint-modified",
		orig: `func f() { for i := range 3 { i++ } }
`,
		want: `func f() {
	for _gkI1 := 0; _gkI1 < 3; _gkI1++ {
		i := _gkI1
		i++
	}
}
`,
	},
	{
		name: "rangeint-blank",
		orig: `func f() { for range 2 { println() } }
`,
		want: `func f() {
	for _gkI1 := 0; _gkI1 < 2; _gkI1++ {
		println()
	}
}
`,
	},
	{
		name: "rangeint-typeparam",
		orig: `func f[T ~uint8](n T) { for i := range n { println(i) } }
`,
		want: `func f[T ~uint8](n T) {
	for i, _gkN1 := *new(T), n; i < _gkN1; i++ {
		println(i)
	}
}
`,
	},
	{
		name: "rangeint-bad-key",
		orig: `func f() {
	for !x := range 3 {
	}
}
`,
		want: `func f() {
	for !x := range 3 {
	}
}
`,
	},
	{
		name: "rangefunc",
		orig: `func f(seq func(func(int) bool)) { for v := range seq { if v > 1 { break }; println(v) } }
`,
		want: `func f(seq func(func(int) bool)) {
	seq(func(v int) bool {
		if v > 1 {
			return false
		}
		println(v)
		return true
	})
}
`,
	},
	{
		name: "rangefunc-return",
		orig: `func f(seq func(func(string, int) bool)) int { for k, v := range seq { if k == "x" { return v } }; return 0 }
`,
		want: `func f(seq func(func(string, int) bool)) int {
	var _gkCtl2 int
	var _gkR1 int
	seq(func(k string, v int) bool {
		if k == "x" {
			_gkR1 = v
			_gkCtl2 = 1
			return false
		}
		return true
	})
	if _gkCtl2 == 1 {
		return _gkR1
	}
	return 0
}
`,
	},
	{
		name: "rangefunc-outer",
		orig: `func f(seq func(func(int) bool)) {
L:
	for i := 0; i < 2; i++ {
		for v := range seq {
			if v == i { continue L }
		}
	}
}
`,
		want: `func f(seq func(func(int) bool)) {
L:
	for i := 0; i < 2; i++ {
		var _gkCtl1 int
		seq(func(v int) bool {
			if v == i {
				_gkCtl1 = 1
				return false
			}
			return true
		})
		if _gkCtl1 == 1 {
			continue L
		}
	}
}
`,
	},
	{
		name: "loopvar-for",
		orig: `func f() { var fs []func(); for i := 0; i < 3; i++ { fs = append(fs, func() { println(i) }) } }
`,
		want: `func f() {
	var fs []func()
	for i := 0; i < 3; i++ {
		i := i
		fs = append(fs, func() { println(i) })
	}
}
`,
	},
	{
		name: "loopvar-copyback",
		orig: `func f() { for i := 0; i < 3; i++ { defer func() { println(i) }(); if i == 1 { i++; continue } } }
`,
		want: `func f() {
	for _gkV1 := 0; _gkV1 < 3; _gkV1++ {
		i := _gkV1
		defer func() { println(i) }()
		if i == 1 {
			i++
			_gkV1 = i
			continue
		}
		_gkV1 = i
	}
}
`,
	},
	{
		name: "loopvar-range-addr",
		orig: `func f(xs []int) []*int { var ps []*int; for _, x := range xs { ps = append(ps, &x) }; return ps }
`,
		want: `func f(xs []int) []*int {
	var ps []*int
	for _, x := range xs {
		x := x
		ps = append(ps, &x)
	}
	return ps
}
`,
	},
	{
		name: "loopvar-none",
		orig: `func f(xs []int) { for i, x := range xs { println(i, x) } }
`,
		want: `func f(xs []int) {
	for i, x := range xs {
		println(i, x)
	}
}
`,
	},
	{
		name: "defer-args",
		orig: `func f(x int) { defer println(x, 1); go g(x + 1) }
func g(n int) {}
`,
		want: `func f(x int) { _gk1 := x; defer println(_gk1, 1); _gk2 := x + 1; go g(_gk2) }
func g(n int) {}
`,
	},
	{
		name: "defer-recv",
		orig: `type T struct{}
func (T) M(n int) {}
func (*T) P() {}
func f(t T, p *T) { defer t.M(1); defer p.P(); defer t.P() }
`,
		want: `type T struct{}

func (T) M(n int) {}
func (*T) P()     {}
func f(t T, p *T) { _gk1 := t; defer _gk1.M(1); _gk2 := p; defer _gk2.P(); defer t.P() }
`,
	},
	{
		name: "unnamed-params",
		orig: `func g(int, string) {}
func f() { h := func([]int) {}; h(nil) }
`,
		want: `func g(_gkp1 int, _gkp2 string) {}
func f()                        { h := func(_gkp3 []int) {}; h(nil) }
`,
	},
	{
		name: "defer-none",
		orig: `func f() { defer func() {}(); defer recover() }
`,
		want: `func f() { defer func() {}(); defer recover() }
`,
	},
	{
		name: "min-int",
		orig: `func f(a, b int) int { return min(a, b) }
`,
		want: `func f(a, b int) int {
	return func(_gk1, _gk2 int) int {
		_gk3 := _gk1
		if _gk2 < _gk3 {
			_gk3 = _gk2
		}
		return _gk3
	}(a, b)
}
`,
	},
	{
		name: "max-float",
		orig: `func f(a, b, c float64) float64 { return max(a, b, c) }
`,
		want: `func f(a, b, c float64) float64 {
	return func(_gk1, _gk2, _gk3 float64) float64 {
		_gk4 := _gk1
		if _gk2 > _gk4 || _gk2 != _gk2 || _gk2 == 0 && (_gk4 == 0 && 1/_gk2 > 0) {
			_gk4 = _gk2
		}
		if _gk3 > _gk4 || _gk3 != _gk3 || _gk3 == 0 && (_gk4 == 0 && 1/_gk3 > 0) {
			_gk4 = _gk3
		}
		return _gk4
	}(a, b, c)
}
`,
	},
	{
		name: "min-const",
		orig: `func f() float64 { return min(1, 2.5) }
`,
		want: `func f() float64 { return float64(1) }
`,
	},
	{
		name: "min-shadowed",
		orig: `func min(a, b int) int { return a }
func f() int { return min(1, 2) }
`,
		want: `func min(a, b int) int { return a }
func f() int           { return min(1, 2) }
`,
	},
	{
		name: "clear-map",
		orig: `func f(m map[string]int) { clear(m) }
`,
		want: `func f(m map[string]int) {
	for _gk1 := range m {
		delete(m, _gk1)
	}
}
`,
	},
	{
		name: "clear-slice",
		orig: `func f(s []string) { clear(s[1:]) }
`,
		want: `func f(s []string) {
	_gk1 := s[1:]
	var _gk3 string
	for _gk2 := range _gk1 {
		_gk1[_gk2] = _gk3
	}
}
`,
	},
	{
		name: "methodexpr-iface",
		orig: `type I interface{ M(int) int }
var f = I.M
`,
		want: `type I interface{ M(int) int }

var f = func(_gkP01 I, _gkP12 int) int { return _gkP01.M(_gkP12) }
`,
	},
	{
		name: "ifacearg-printf",
		orig: `import ("encoding/json"; "fmt")
type E struct{}
func (E) Error() string { return "E" }
func f() { fmt.Printf("%d %v\n", E{}, E{}); json.Marshal(E{}) }
`,
		want: `import (
	"encoding/json"
	"fmt"
)

type E struct{}

func (E) Error() string { return "E" }
func f() {
	fmt.Printf("%d %v\n", E{}, func(_gkV1 error) error { return _gkV1 }(E{}))
	json.Marshal(E{})
}
`,
	},
	{
		name: "typeargs-funclit",
		orig: `func Map[T, U any](s []T, f func(T) U) []U { return nil }
func f() []string { return Map([]int{1}, func(i int) string { return "" }) }
`,
		want: `func Map[T, U any](s []T, f func(T) U) []U { return nil }
func f() []string                          { return Map[int, string]([]int{1}, func(i int) string { return "" }) }
`,
	},
	{
		name: "typeargs-variadic",
		orig: `func Sum[T int | float64](xs ...T) T { return xs[0] }
func f() float64 { return Sum(1.5, 2) }
`,
		want: `func Sum[T int | float64](xs ...T) T { return xs[0] }
func f() float64                     { return Sum[float64](1.5, 2) }
`,
	},
	{
		name: "typeargs-core",
		orig: `func Rev[S ~[]E, E any](s S) {}
func f() { Rev([]int{1}) }
`,
		want: `func Rev[S ~[]E, E any](s S) {}
func f()                     { Rev[[]int, int]([]int{1}) }
`,
	},
	{
		name: "typeargs-keep",
		orig: `func Id[T any](x T) T { return x }
func f() int { return Id(1) }
`,
		want: `func Id[T any](x T) T { return x }
func f() int          { return Id(1) }
`,
	},
}

func TestRewrite(t *testing.T) {
	for _, test := range rewriteTests {
		t.Run(test.name, func(t *testing.T) {
			fset := token.NewFileSet()
			parse := func() *ast.File {
				f, err := parser.ParseFile(fset, test.name+".go", "package p\n\n"+test.orig, 0)
				if err != nil {
					t.Fatal(err)
				}
				return f
			}
			unchanged := strings.TrimPrefix(formatNode(t, fset, parse()), "package p\n\n")
			f := parse()
			changed, err := lower.Rewrite(fset, f)
			if err != nil {
				t.Fatalf("Rewrite: %v", err)
			}
			got := strings.TrimPrefix(formatNode(t, fset, f), "package p\n\n")
			if got != test.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, test.want)
			}
			if want := unchanged != test.want; changed != want {
				t.Errorf("changed = %v, want %v", changed, want)
			}
		})
	}
}
