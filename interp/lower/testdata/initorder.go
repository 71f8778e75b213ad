package main

import "fmt"

var X = f()

func f() int { return tbl[1] }

var tbl = [3]int{1, 2, 3}

var a, b = g(), 5

func g() int { return b * 2 }

var (
	c = d + 1
	d = len(tbl)
)

func main() {
	fmt.Println(X, a, b, c, d)
}
