package main

import (
	"fmt"
	"sync"
)

type C struct{ n int }

func (c C) Show()   { fmt.Println("C", c.n) }
func (c *C) PShow() { fmt.Println("*C", c.n) }
func show(x int, done chan bool) {
	fmt.Println("go", x)
	done <- true
}

func d1() {
	x := 5
	defer fmt.Println(x)
	x = 6
}

func d2() {
	for i := 0; i < 3; i++ {
		defer fmt.Print(i, " ")
	}
}

func d3() {
	for i := 0; i < 3; i++ {
		defer func(n int) { fmt.Print(n, " ") }(i)
	}
}

func d4() {
	c := C{1}
	defer c.Show()
	defer c.PShow()
	p := &C{1}
	defer p.PShow()
	p = &C{2}
	c.n = 2
	var mu sync.Mutex
	mu.Lock()
	defer mu.Unlock()
}

func main() {
	d1()
	d2()
	fmt.Println()
	d3()
	fmt.Println()
	d4()
	x := 5
	done := make(chan bool)
	go show(x, done)
	x = 6
	<-done
	fmt.Println(x)
}
