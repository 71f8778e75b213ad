package main

import "fmt"

func count(n int) func(func(int) bool) {
	return func(yield func(int) bool) {
		for i := 0; i < n; i++ {
			if !yield(i) {
				fmt.Println("stopped at", i)
				return
			}
		}
	}
}

func pairs(yield func(string, int) bool) {
	_ = yield("a", 1) && yield("b", 2) && yield("c", 3)
}

func main() {
	for v := range count(10) {
		if v%2 == 0 {
			continue
		}
		if v > 6 {
			break
		}
		fmt.Println("v", v)
	}
	for k, v := range pairs {
		fmt.Println(k, v)
	}
	for k := range pairs {
		fmt.Println(k)
	}
	n := 0
	for range count(3) {
		n++
	}
	fmt.Println(n)
	var k string
	var v int
	for k, v = range pairs {
	}
	fmt.Println(k, v)
	for _, v := range pairs {
		switch v {
		case 2:
			continue
		case 3:
			break
		}
		fmt.Println("sw", v)
	}
}
