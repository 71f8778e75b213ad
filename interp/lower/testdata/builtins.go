package main

import (
	"fmt"
	"math"
)

var calls int

func next() int {
	calls++
	return calls
}

func get(m map[string]int) map[string]int { return m }

func main() {
	a, b := 3, 7
	fmt.Println(min(a, b), max(a, b), min(a, b, 1), max(b, a, 9))
	nan := math.NaN()
	fmt.Println(min(1.0, nan), max(nan, 1.0), min(2.5, 1.5))
	z := 0.0
	nz := math.Copysign(0, -1)
	fmt.Println(math.Signbit(min(z, nz)), math.Signbit(min(nz, z)), math.Signbit(max(nz, z)), math.Signbit(max(z, nz)))
	fmt.Println(min("b", "a", "c"), max("b", "a", "c"))
	fmt.Println(min(next(), next(), next()), calls)
	fmt.Println(min(1, 2.5), max(2, 'a'))
	var f float32 = max(1, 2)
	fmt.Println(f, min(a, 2))
	const c = min(4, 2)
	fmt.Println(c)
	m := map[string]int{"a": 1, "b": 2}
	clear(get(m))
	fmt.Println(len(m))
	m["c"] = 3
	clear(m)
	fmt.Println(len(m))
	s := []int{1, 2, 3}
	clear(s[1:])
	fmt.Println(s)
	ss := []string{"x", "y"}
	clear(ss)
	fmt.Printf("%q\n", ss)
}
