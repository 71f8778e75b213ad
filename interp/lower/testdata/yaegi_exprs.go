// Expressions yaegi v0.16.1 evaluates wrongly or fails on at run time.
package main

import "fmt"

type pair struct{ a, b int }

func main() {
	// A comparison assigned to _ (and the operands still evaluated).
	n := 0
	f := func() (r [2]int) { n++; return }
	_ = f() == f()
	_, _ = n == 2, f()
	fmt.Println("evaluated", n)

	// Untyped constants shifted by a variable count, also as a count.
	x := 2
	fmt.Println(1<<(1<<(1<<uint(x))), 1<<uint(x), int64(1)<<x)
	var u uint8 = 1 << x
	fmt.Println(u, ^uint(0)>>63)

	// Select cases that assign what they receive.
	c := make(chan int, 3)
	c <- 1
	c <- 2
	c <- 3
	var i any
	select {
	case i = <-c:
	}
	var p pair
	var ok bool
	select {
	case p.a, ok = <-c:
		fmt.Println("received", p.a, ok)
	}
	select {
	case _ = <-c:
		fmt.Println("discarded")
	}
	close(c)
	select {
	case p.b, ok = <-c:
		fmt.Println("closed", p.b, ok)
	}
	fmt.Println(i, p)
}

// Range loops assigning to variables declared outside them.
func init() {
	var g func() int
	var i int
	for i = range [2]int{} {
		if i == 0 {
			g = func() int { return i }
		}
	}
	var k string
	var v int
	m := map[string]int{"only": 7}
	for k, v = range m {
	}
	var r rune
	for _, r = range "héllo" {
	}
	n := 0
	for _, _ = range []int{1, 2} {
		n++
	}
	fmt.Println("range assign", g(), i, k, v, string(r), n)
}
