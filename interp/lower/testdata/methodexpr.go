package main

import (
	"fmt"
	"io"
	"strings"
)

type I interface{ M(int) int }

type A struct{ n int }

func (a A) M(x int) int { return a.n + x }

type V interface {
	I
	Sum(xs ...int) int
}

func (a A) Sum(xs ...int) int {
	for _, x := range xs {
		a.n += x
	}
	return a.n
}

type R interface{ io.Reader }

func main() {
	// Method expressions of interface types of the program.
	fmt.Println(I.M(A{1}, 3))
	m := V.M
	fmt.Println(m(A{2}, 4), V.Sum(A{3}, 1, 2, 3))
	buf := make([]byte, 3)
	n, err := R.Read(strings.NewReader("abcdef"), buf)
	fmt.Println(n, err, string(buf))
	fs := []func(I, int) int{I.M}
	fmt.Println(fs[0](A{5}, 5))
}
