package session

import (
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp"
	"github.com/gokernel/gokernel/interp/frontend"
)

func TestRedefinition(t *testing.T) {
	tests := []struct {
		name       string
		steps      []step
		wantStderr string // stderr must contain it; "" means stderr is empty
	}{
		{
			name: "callers of a redefined func call the new one",
			steps: []step{
				{code: "func f() int { return 1 }\nfunc g() int { return f() * 10 }\nfunc h() int { return g() + 1 }"},
				{code: "h()", result: "11"},
				{code: "func f() int { return 2 }"},
				{code: "h()", result: "21"},
				{code: "f()", result: "2"},
			},
		},
		{
			name: "recursive and generic dependents",
			steps: []step{
				{code: "func base() int { return 0 }\nfunc fib(n int) int { if n < 2 { return n + base() }; return fib(n-1) + fib(n-2) }\n" +
					"func Apply[T any](x T, fn func(T) T) T { return fn(x) }\nfunc twice(n int) int { return Apply(n, func(i int) int { return i * 2 + base() }) }"},
				{code: "func base() int { return 1 }"},
				{code: "fib(5) + twice(3)", result: "20"},
			},
		},
		{
			name: "a new signature that breaks a caller is refused",
			steps: []step{
				{code: "func f() int { return 1 }\nfunc g() int { return f() * 10 }"},
				{code: `func f() string { return "s" }`, errName: ErrNameCompile,
					errVal: "1:6: f cannot be redefined this way: g, declared by an earlier cell, uses it"},
				{code: "g()", result: "10"},
				{code: "func f() string { return \"s\" }\nfunc g() string { return f() + \"!\" }"},
				{code: "g()", result: `"s!"`},
			},
		},
		{
			name: "running a cell again is harmless",
			steps: []step{
				{code: "type P struct{ X, Y int }\nfunc (p P) Sum() int { return p.X + p.Y }\nfunc mk() P { return P{1, 2} }"},
				{code: "type P struct{ X, Y int }\nfunc (p P) Sum() int { return p.X + p.Y }\nfunc mk() P { return P{1, 2} }"},
				{code: "type P struct {\n\tX, Y int // the same, laid out differently\n}"},
				{code: "mk().Sum()", result: "3"},
			},
		},
		{
			name: "running a cell again that declares a variable and its funcs",
			steps: []step{
				{code: "var open []int\nfunc keep(x int) { open = append(open, x) }"},
				{code: "func track(x int) { keep(x) }"},
				{code: "keep(1)\ntrack(2)\nlen(open)", result: "2"},
				{code: "var open []int\nfunc keep(x int) { open = append(open, x) }"},
				{code: "keep(3)\ntrack(4)\nlen(open)", result: "2"},
			},
		},
		{
			name: "a variable defined again with := reaches the funcs using it",
			steps: []step{
				{code: "x := 1\nfunc g() int { return x }"},
				{code: "x := 5"},
				{code: "g()", result: "5"},
			},
		},
		{
			name: "a variable's new type that breaks a caller is refused",
			steps: []step{
				{code: "var v = 1\nfunc g() int { return v + 1 }"},
				{code: `var v = "s"`, errName: ErrNameCompile,
					errVal: "1:5: v cannot be redefined this way: g, declared by an earlier cell, uses it"},
				{code: "g()", result: "2"},
			},
		},
		{
			name: "a name cannot change kind",
			steps: []step{
				{code: "func f() int { return 1 }"},
				{code: "type f int", errName: ErrNameCompile,
					errVal: "1:6: f is a func declared by an earlier cell, and the interpreter cannot make it a type"},
				{code: "var f = func() int { return 7 }", errName: ErrNameCompile,
					errVal: "1:5: f is a func declared by an earlier cell, and the interpreter cannot make it a var"},
				{code: "f()", result: "1"},
			},
		},
		{
			name: "types of earlier variables survive redefinitions",
			steps: []step{
				{code: `import "strconv"`},
				{code: `x, err := strconv.Atoi("3")`},
				{code: `y, err := strconv.Atoi("4")`},
				{code: "n := 3"},
				{code: "n := n + 1"},
				{code: "z := 2"},
				{code: "z := nosuch()", errName: ErrNameCompile},
				// range over int needs the types: yaegi crashes without the rewrite.
				{code: "s := 0\nfor i := range x { s += i }\nfor i := range n { s += i }\nfor i := range z { s += i }\ns + y", result: "14"},
			},
		},
		{
			name: "a declaration moves after the one it uses",
			steps: []step{
				{code: "n := 0\nfunc bump() { n++ }\nfunc twice() { bump(); bump() }\ntwice()\nn", result: "2"},
			},
		},
		{
			name: "odd cells get clear answers",
			steps: []step{
				{code: `import "v1"`, errName: ErrNameCompile},
				{code: "main := \"k\"\nm := map[string]int{main: 1}\nm[\"k\"]", result: "1"},
				{code: "x := 1\nvar _ = x"},
			},
		},
		{
			name: "a changed type is an error that says why",
			steps: []step{
				{code: "type P struct{ X int }"},
				{code: "type P struct{ X, Y int }", errName: ErrNameCompile,
					errVal: "1:6: type P is already defined by an earlier cell as struct{ X int }, and the interpreter cannot change"},
				{code: "P{1}", result: "{X:1}"},
			},
		},
		{
			name: "a changed method is an error that says why",
			steps: []step{
				{code: "type P struct{ X int }\nfunc (p P) Double() int { return 2 * p.X }"},
				{code: "func (p P) Double() int { return 3 * p.X }", errName: ErrNameCompile,
					errVal: "1:12: method P.Double is already defined by an earlier cell"},
				{code: "P{2}.Double()", result: "4"},
			},
		},
		{
			name: "a method that calls a redefined func is named",
			steps: []step{
				{code: "func f() int { return 1 }\ntype P struct{}\nfunc (P) M() int { return f() }"},
				{code: "func f() int { return 2 }"},
			},
			wantStderr: "warning: method P.M still uses the earlier f",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestSession(t)
			runSteps(t, ts, tt.steps)
			_, stderr := ts.output(t)
			if tt.wantStderr == "" && stderr != "" || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr %q, want %q", stderr, tt.wantStderr)
			}
		})
	}
}

func TestFuncMain(t *testing.T) {
	ts := newTestSession(t)
	runSteps(t, ts, []step{
		{code: "import \"fmt\"\nvar calls int\nfunc main() { calls++; fmt.Println(\"main\", calls) }"},
		// Declaring main does not run it, and later cells do not either
		// (yaegi alone runs a declared main after every evaluation).
		{code: "calls", result: "0"},
		{code: "type Q struct{}"},
		{code: "main()"},
		{code: "calls", result: "1"},
		// A cell with a package clause is a program: its main runs once.
		{code: "package main\n\nimport \"fmt\"\n\nfunc main() { calls += 10; fmt.Println(\"program\", calls) }"},
		{code: "calls", result: "11"},
		{code: "package other", errName: ErrNameCompile, errVal: `1:1: cells are package main: "package other" cannot be declared in a cell`},
		{code: "x := 1\npackage main", errName: ErrNameCompile, errVal: "2:1: a package clause must come first"},
		// Errors name main, not the name it is declared under.
		{code: "main(1)", errName: ErrNameCompile, errVal: "1:"},
		// A field, method or key named main is not the func.
		{code: "type H struct{ main int }\ntype J struct{}\nfunc (J) main() int { return 7 }\nh := H{main: 3}\nh.main + J{}.main()", result: "10"},
	})
	if out, _ := ts.output(t); out != "main 1\nprogram 11\n" {
		t.Errorf("stdout %q", out)
	}
	res := ts.Execute(t.Context(), interp.ExecuteRequest{Code: "main(1)"})
	if res.Error == nil || strings.Contains(res.Error.Value, frontend.MainFunc) {
		t.Errorf("error %+v names %s", res.Error, frontend.MainFunc)
	}
}

// TestProgramGenericsAgain runs a program whose generic code is
// monomorphised twice, then changed, and uses its generics from a later
// cell, as a notebook user does after pasting a program.
func TestProgramGenericsAgain(t *testing.T) {
	prog := func(body string) string {
		return "package main\n\nimport \"fmt\"\n\ntype Box[T any] struct{ v T }\n\nfunc (b Box[T]) Get() T { return b.v }\n\n" +
			"func Twice[T any](x T) []T { return []T{x, x} }\n\nfunc main() { " + body + " }\n"
	}
	ts := newTestSession(t)
	runSteps(t, ts, []step{
		{code: prog(`fmt.Println(Twice(Box[int]{1}.Get()))`)},
		{code: prog(`fmt.Println(Twice(Box[int]{1}.Get()))`)},
		{code: prog(`fmt.Println(Twice(Box[string]{"s"}.Get()))`)},
		{code: `len(Twice(Box[int]{2}.Get()))`, result: "2"},
	})
	out, _ := ts.output(t)
	if want := "[1 1]\n[1 1]\n[s s]\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

// TestRedefineFromReview covers redefinitions a review found wrong: a
// func that shadows the redefined name later in its body, a constant
// declared again, and a := that gives a variable another type, which
// leaves an earlier func that no longer compiles.
func TestRedefineFromReview(t *testing.T) {
	ts := newTestSession(t)
	runSteps(t, ts, []step{
		{code: "func g() int { return 1 }\nfunc h() int { x := g(); if x > 5 { g := 2; x = g }; return x }"},
		{code: "func g() int { return 7 }"},
		{code: "h()", result: "2"}, // g is 7 now, so the shadowing branch runs
		{code: "const N = 10\nfunc f() int { return N }"},
		{code: "const N = 20"},
		{code: "f()", result: "20"},
		{code: "x := 1\nfunc inc() int { return x + 1 }"},
		{code: `x := "s"`},
		{code: "inc()", errName: ErrNamePanic, errVal: "1:1: inc, declared by an earlier cell, no longer compiles now that x changed (invalid operation"},
	})
}

// TestSelfDefineAgain runs n := n + 1 many times: each run reads the old n,
// and the temporaries it needs neither pile up nor show in completion.
func TestSelfDefineAgain(t *testing.T) {
	ts := newTestSession(t)
	runSteps(t, ts, []step{{code: "n := 1"}})
	for range 3 {
		runSteps(t, ts, []step{{code: "n := n + 1"}})
	}
	runSteps(t, ts, []step{{code: "n", result: "4"}})
	if got := ts.Complete("_gk", 3).Matches; len(got) > 0 {
		t.Errorf("completion of _gk offers %q", got)
	}
	prev := 0
	for name := range ts.index {
		if strings.HasPrefix(name, "_gk") {
			prev++
		}
	}
	if prev > 0 {
		t.Errorf("%d rewrite temporaries indexed", prev)
	}
}

// TestBlankNames declares _ as a func, a type and a variable, cell after
// cell: it declares nothing, so it is never a redefinition, and completion
// does not offer it.
func TestBlankNames(t *testing.T) {
	ts := newTestSession(t)
	runSteps(t, ts, []step{
		{code: "var _ = 1\nfunc _() {}"},
		{code: "type _ int\ntype _[T any] struct{ t T }"},
		{code: "type _ string\nvar _, _ = 2, 3\n4", result: "4"},
		{code: "type _ int\ntype T1 struct{ _, _ int; A int }\nfunc (T1) _() {}"},
		{code: "type _ string\nfunc (T1) _() { println(2) }\nT1{A: 1}", result: "{_:0 _:0 A:1}"},
		{code: "struct{ _ int; _ string; B int }{B: 2}", result: `{_:0 _: B:2}`},
	})
	for name := range ts.index {
		if name == "_" {
			t.Errorf("_ is in the completion index: %+v", ts.index[name])
		}
	}
	if sym := ts.index["T1"]; sym == nil || len(sym.methods) != 0 {
		t.Errorf("T1's methods in the index: %+v, want none", sym)
	}
}
