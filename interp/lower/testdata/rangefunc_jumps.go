package main

import "fmt"

func seq(n int) func(func(int) bool) {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

func find(target int) (int, string) {
	for i := range seq(10) {
		for j := range seq(10) {
			if i*j == target {
				return i, fmt.Sprint(j)
			}
		}
	}
	return -1, "none"
}

func named() (n int, err error) {
	for i := range seq(5) {
		n = i
		if i == 3 {
			return
		}
	}
	return 99, nil
}

func main() {
	fmt.Println(find(12))
	fmt.Println(find(1000))
	fmt.Println(named())
outer:
	for i := range 4 {
		for j := range seq(4) {
			if j == 2 {
				continue outer
			}
			if i == 3 {
				break outer
			}
			fmt.Print(i, j, " ")
		}
	}
	fmt.Println()
inner:
	for i := range seq(3) {
		for j := 0; j < 3; j++ {
			if j == 1 {
				continue inner
			}
			fmt.Print(i, j, " ")
		}
	}
	fmt.Println()
}
