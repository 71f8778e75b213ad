package main

import (
	"fmt"
	"sync"
)

func main() {
	var fs []func()
	for i := 0; i < 3; i++ {
		fs = append(fs, func() { fmt.Print(i) })
	}
	for _, s := range []string{"a", "b", "c"} {
		fs = append(fs, func() { fmt.Print(s) })
	}
	for _, f := range fs {
		f()
	}
	fmt.Println()
	var ps []*int
	for i := 0; i < 3; i++ {
		ps = append(ps, &i)
	}
	fmt.Println(*ps[0], *ps[1], *ps[2])
	res := make([]int, 3)
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = i * i
		}()
	}
	wg.Wait()
	fmt.Println(res)
	fs = nil
	for i := 0; i < 8; i++ {
		fs = append(fs, func() { fmt.Print(i, " ") })
		if i%3 == 0 {
			i++
			continue
		}
		i++
	}
	for _, f := range fs {
		f()
	}
	fmt.Println()
}
