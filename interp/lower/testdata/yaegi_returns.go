// Results yaegi v0.16.1 stores wrongly: a receive returned as it is, and a
// comparison or negation returned or assigned as an interface.
package main

import "fmt"

func received() int {
	ch := make(chan int, 1)
	ch <- 5
	return <-ch
}

func receivedIface() (any, error) {
	ch := make(chan error, 1)
	ch <- nil
	return <-ch, nil
}

func less(x, y float64) any { return x < y }

func not(x any) any { return !x.(bool) }

type flag bool

func notFlag(f flag) any { return !f }

func main() {
	e, err := receivedIface()
	fmt.Println(received(), e, err)
	fmt.Println(less(1, 2), not(true), notFlag(true))

	var v any = false
	v = !v.(bool)
	var i, ok any
	c := make(chan int, 1)
	c <- 3
	i, ok = <-c
	fmt.Println(v, i, ok)
	m := map[string]int{"a": 1}
	_, ok = m["b"]
	fmt.Println(ok)
	var named flag
	_, named = m["a"]
	fmt.Println(named)
	var w any
	w, named = m["a"]
	fmt.Println(w, named)
}
