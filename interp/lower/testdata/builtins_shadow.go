package main

import "fmt"

func min(a, b int) int { return 42 }

func main() {
	fmt.Println(min(1, 2))
}
