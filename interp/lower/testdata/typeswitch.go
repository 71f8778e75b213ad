package main

import (
	"errors"
	"fmt"
	"io"
)

type Shape interface{ Area() float64 }

type Sq struct{ s float64 }

func (q Sq) Area() float64 { return q.s * q.s }

type MyErr struct{ Code int }

func (e *MyErr) Error() string { return fmt.Sprint("code ", e.Code) }

func describe(x any) string {
	switch v := x.(type) {
	case nil:
		return "nil"
	case Sq:
		return fmt.Sprint("Sq ", v.s)
	case *MyErr:
		return fmt.Sprint("MyErr ", v.Code)
	case error:
		return "error " + v.Error()
	case int, string:
		return fmt.Sprint("int or string ", v)
	default:
		return fmt.Sprint("other ", v)
	}
}

type Getter interface{ Get() int }

type G struct{ n int }

func (g *G) Get() int { return g.n }

func get(x any) int {
	switch v := x.(type) {
	case Getter:
		return v.Get()
	}
	return -1
}

func kind(x any) string {
	switch x.(type) {
	case Shape:
		return "shape"
	case error:
		return "error"
	}
	return "none"
}

func code(err error) int {
	switch e := err.(type) {
	case *MyErr:
		return e.Code
	}
	return -1
}

func firstString(xs []any) (s string) {
Loop:
	for _, x := range xs {
		switch v := x.(type) {
		case string:
			s = v
			break Loop
		case int:
			if v < 0 {
				break
			}
			s += "int;"
		}
	}
	return s
}

// kinds runs a labelled type switch again with goto: the operand must be
// evaluated each time.
func kinds(vals []any) string {
	s, i := "", 0
L:
	switch v := vals[i].(type) {
	case int:
		s += fmt.Sprint("int ", v, ";")
	case string:
		s += "string " + v + ";"
	default:
		s += "other;"
	}
	i++
	if i < len(vals) {
		goto L
	}
	return s
}

// area returns from a case naming a program interface, and from default.
func area(x any) float64 {
	switch v := x.(type) {
	case Shape:
		return v.Area()
	default:
		return -1
	}
}

func main() {
	fmt.Println(kinds([]any{1, "s", 2.5}), area(Sq{3}), area(1))
	switch any(1).(type) {
	default:
		fmt.Println("no type cases")
	}
	shapes := []Shape{Sq{2}}
	fmt.Println(describe(nil), "|", describe(Sq{5}), "|", describe(shapes[0]), "|", describe(&MyErr{4}))
	fmt.Println(describe(io.EOF), "|", describe(3), "|", describe("s"), "|", describe(2.5))
	fmt.Println(kind(Sq{1}), kind(io.EOF), kind(3), kind(nil))
	fmt.Println(get(&G{8}), get(nil))
	var err error = &MyErr{7}
	fmt.Println(code(err), code(io.EOF), code(nil), code(errors.Unwrap(fmt.Errorf("w: %w", err))))
	fmt.Println(firstString([]any{-1, 1, "x", 2}))
	switch y := 3; v := any(y).(type) {
	case int:
		fmt.Println("init int", v+y)
	}
}
