package main

import (
	"fmt"
	"time"
)

const N int64 = 2

func main() {
	for i := range 3 {
		fmt.Print(i, " ")
	}
	for range 2 {
		fmt.Print("x ")
	}
	n := 3
	for i := range n {
		n = 10
		fmt.Print(i, n, " ")
	}
	for i := range N {
		fmt.Print(i+N, " ")
	}
	for d := range time.Duration(3) {
		fmt.Print(d, " ")
	}
	for i := range 5 {
		fmt.Print(i)
		i += 2
		fmt.Print(i, " ")
	}
	var j int
	for j = range 3 {
	}
	fmt.Println(j)
	func() {
		for i := range 3 {
			_ = i
		}
	}()
}
