package session

import (
	"math"
	"strings"
	"testing"
)

func TestBuiltinPrint(t *testing.T) {
	var nilMap map[string]int
	var nilPtr *int
	tests := []struct {
		newline bool
		args    []any
		want    string
	}{
		{true, []any{42, true, false, 1.5, "world", byte(255)}, "42 true false 1.5 world 255\n"},
		{false, []any{"abc", "xyz", -3}, "abcxyz-3"},
		{true, []any{nilMap, nilPtr, []int(nil), (func())(nil), (chan int)(nil)}, "0x0 0x0 [0/0]0x0 0x0 0x0\n"},
		{true, []any{printIface(nil), printIface(error(nil))}, "(0x0,0x0) (0x0,0x0)\n"},
		{true, []any{0.0, math.Copysign(0, -1), 100.0, 1e-7, 123456789.0, 1e21, float32(0.1)},
			"0 -0 100 1e-07 1.23456789e+08 1e+21 0.1\n"},
		{true, []any{math.NaN(), math.Inf(1), math.Inf(-1), complex(5, -6), complex64(complex(0.1, 1))},
			"NaN +Inf -Inf (5-6i) (0.1+1i)\n"},
		{true, []any{int64(math.MinInt64), uint64(math.MaxUint64)}, "-9223372036854775808 18446744073709551615\n"},
		{true, nil, "\n"},
	}
	for _, test := range tests {
		var b strings.Builder
		builtinPrint(&b, test.newline, test.args)
		if b.String() != test.want {
			t.Errorf("print(%v) = %q, want %q", test.args, b.String(), test.want)
		}
	}
}

// TestPrintBuiltins checks that cells' print and println write what Go's
// runtime writes, on stderr, also from a deferred call and from a program.
func TestPrintBuiltins(t *testing.T) {
	ts := newTestSession(t)
	runSteps(t, ts, []step{
		{code: `var e error; println("x", 1.5, e, []int(nil)); print("a", "b", 2, "\n")`},
		{code: "func f() { defer println(\"deferred\", 0.25) }\nf()"},
		{code: "package main\n\nfunc main() { var m map[int]int; println(m == nil, m) }"},
	})
	out, errOut := ts.output(t)
	if out != "" {
		t.Errorf("stdout = %q, want nothing", out)
	}
	want := "x 1.5 (0x0,0x0) [0/0]0x0\nab2\ndeferred 0.25\ntrue 0x0\n"
	if errOut != want {
		t.Errorf("stderr = %q, want %q", errOut, want)
	}
}

// TestClearMap checks clear of a map with NaN keys, which no delete finds.
func TestClearMap(t *testing.T) {
	ts := newTestSession(t)
	runSteps(t, ts, []step{
		{code: `import "math"`},
		{code: "m := map[float64]int{1: 1, math.NaN(): 2, math.NaN(): 3}\nclear(m)\nlen(m)", result: "0"},
		{code: "func f(m map[float64]bool) int { clear(m); return len(m) }\nf(map[float64]bool{math.NaN(): true})", result: "0"},
	})
}

// TestBlankGenericCall checks `_ = F(x)` of a generic F, which yaegi
// failed at run time (package lower makes it `var _ = F(x)`).
func TestBlankGenericCall(t *testing.T) {
	ts := newTestSession(t)
	runSteps(t, ts, []step{
		{code: `import "maps"`},
		{code: "func clone() int { m := map[string]struct{}{\"a\": {}}; _ = maps.Clone(m); return len(m) }\nclone()", result: "1"},
	})
}

// TestRuntimeErrors checks that run-time errors yaegi raises through
// package reflect are recovered as Go's runtime.Error, and reported so.
func TestRuntimeErrors(t *testing.T) {
	ts := newTestSession(t)
	runSteps(t, ts, []step{
		{code: `import "runtime"`},
		{code: `func try(f func()) (msg string) {
	defer func() { e, _ := recover().(runtime.Error); msg = e.Error() }()
	f()
	return ""
}
n := -1`},
		{code: "try(func() { _ = make([]int, n) })", result: `"runtime error: makeslice: len out of range"`},
		{code: "try(func() { _ = make(chan int, n) })", result: `"runtime error: makechan: size out of range"`},
		{code: "func own() (v any) { defer func() { v = recover() }(); panic(\"reflect: slice index out of range?\") }\nown()",
			result: `reflect: slice index out of range?`},
		{code: "[]int{1}[n+2]", errName: ErrNameRuntime, errVal: "1:1: runtime error: index out of range"},
	})
}

// TestUnsafeFunctions checks unsafe.Slice, SliceData, String and
// StringData, which yaegi lacks (package lower calls the session's helpers),
// on interpreted types too, and the runtime's checks of their operands.
func TestUnsafeFunctions(t *testing.T) {
	ts := newTestSession(t)
	runSteps(t, ts, []step{
		{code: `import ("fmt"; "runtime"; "unsafe")`},
		{code: `type point struct{ x, y int }
pts := []point{{1, 2}, {3, 4}, {5, 6}}
s := unsafe.Slice(&pts[1], 2)
s[0].x = 30
fmt.Sprint(pts, len(s), cap(s), unsafe.SliceData(s) == &pts[1])`, result: `"[{1 2} {30 4} {5 6}] 2 2 true"`},
		{code: `b := []byte("hello")
var n uint64 = 4
unsafe.String(unsafe.SliceData(b), n) + unsafe.String(unsafe.StringData("!?"), 1.0)`, result: `"hell!"`},
		{code: `unsafe.Slice((*int)(nil), 0) == nil && unsafe.SliceData([]int(nil)) == nil && unsafe.String(nil, 0) == ""`, result: "true"},
		{code: `func try(f func()) (msg string) {
	defer func() { e, _ := recover().(runtime.Error); msg = e.Error() }()
	f()
	return ""
}
var big uint64 = 1 << 63
try(func() { _ = unsafe.Slice(new(byte), big) }) + "; " + try(func() { _ = unsafe.String(nil, 1) })`,
			result: `"runtime error: unsafe.Slice: len out of range; runtime error: unsafe.String: ptr is nil and len is not zero"`},
	})
}
