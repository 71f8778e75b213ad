package main

import "fmt"

type Small interface{ ~int8 }

type Count uint8

func (c Count) String() string { return fmt.Sprint("#", uint8(c)) }

type Number interface {
	~int | ~int16 | ~uint8 | ~float64
}

// Range over a value whose type is a type parameter with integer types only.
func sum[T ~int](n T) T {
	var s T // not s := T(0), on which yaegi fails
	for i := range n {
		s += i
	}
	return s
}

func list[T interface{ Small }](n T) []T {
	var out []T
	for i := range n {
		out = append(out, i)
	}
	return out
}

func count[T interface {
	~uint8
	String() string
}](n T) string {
	s := ""
	for i := range n {
		s += i.String()
	}
	for range n {
		s += "."
	}
	return s
}

// The type set of T is that of ~int16, the intersection of the two.
func both[T interface {
	Number
	~int16
}](n T) (s T) {
	for i := range n {
		s += i
	}
	return s
}

func main() {
	fmt.Println(sum(5), sum(0))
	fmt.Println(list(int8(3)), list[int8](0))
	fmt.Println(count(Count(3)))
	fmt.Println(both(int16(4)))
}
