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
		{true, []any{42, true, false, 1.5, "world", byte(255)}, "42 true false +1.500000e+000 world 255\n"},
		{false, []any{"abc", "xyz", -3}, "abcxyz-3"},
		{true, []any{nilMap, nilPtr, []int(nil), (func())(nil), (chan int)(nil)}, "0x0 0x0 [0/0]0x0 0x0 0x0\n"},
		{true, []any{printIface(nil), printIface(error(nil))}, "(0x0,0x0) (0x0,0x0)\n"},
		{true, []any{0.0, math.Copysign(0, -1), 100.0, 1e-7, 123456789.0, float32(0.1)},
			"+0.000000e+000 -0.000000e+000 +1.000000e+002 +1.000000e-007 +1.234568e+008 +1.000000e-001\n"},
		{true, []any{math.NaN(), math.Inf(1), math.Inf(-1), complex(1, -2)}, "NaN +Inf -Inf (+1.000000e+000-2.000000e+000i)\n"},
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
	want := "x +1.500000e+000 (0x0,0x0) [0/0]0x0\nab2\ndeferred +2.500000e-001\ntrue 0x0\n"
	if errOut != want {
		t.Errorf("stderr = %q, want %q", errOut, want)
	}
}
