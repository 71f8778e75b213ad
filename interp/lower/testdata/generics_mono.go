// Generic code monomorphised: each instance a copy (lowerFile sets Program
// for files named generics_*).
package main

import (
	"fmt"
	"strconv"
)

type Number interface{ ~int | ~int64 | ~float64 }

func Sum[T Number](xs ...T) T {
	var s T
	for _, x := range xs {
		s += x
	}
	return s
}

type MyInt int

// List is recursive and its methods name the parameter differently.
type List[T any] struct {
	head *node[T]
	n    int
}

type node[T any] struct {
	v    T
	next *node[T]
}

func (l *List[T]) Push(v T) { l.head = &node[T]{v, l.head}; l.n++ }

func (l *List[U]) Slice() []U {
	var out []U
	for n := l.head; n != nil; n = n.next {
		out = append(out, n.v)
	}
	return out
}

func Map[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

// FromSlice calls other generics with its own parameter.
func FromSlice[T any](xs []T) *List[T] {
	l := new(List[T])
	for _, x := range Reverse(xs) {
		l.Push(x)
	}
	return l
}

func Reverse[T any](xs []T) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[len(xs)-1-i] = x
	}
	return out
}

// Kind's first matching case wins, also when T is int.
func Kind[T any](x any) string {
	switch x.(type) {
	case int, T:
		return "int or T"
	case string:
		return "string"
	}
	return "other"
}

// Conv converts to a pointer type parameter: (*int)(p) needs parentheses.
func Conv[P ~*E, E any](p P) *E { return (*E)(p) }

type Stringer interface{ String() string }

type ID int

func (i ID) String() string { return "id" + strconv.Itoa(int(i)) }

func Join[S Stringer](xs []S) string {
	s := ""
	for _, x := range xs {
		s += x.String() + ";"
	}
	return s
}

type Pair[K comparable, V any] struct {
	Key K
	Val V
}

func (p Pair[K, V]) String() string { return fmt.Sprint(p.Key, "=", p.Val) }

func main() {
	fmt.Println(Sum(1, 2, 3), Sum(1.5, 2), Sum[MyInt](4, 5), Sum[int64]())
	var l List[string]
	l.Push("a")
	l.Push("b")
	fmt.Println(l.Slice(), l.n)
	fmt.Println(FromSlice([]int{1, 2, 3}).Slice())
	fmt.Println(Map([]int{1, 2}, func(i int) string { return strconv.Itoa(i * 10) }))
	fmt.Println(Map[Pair[string, int], string]([]Pair[string, int]{{"x", 1}}, Pair[string, int].String))
	fmt.Println(Kind[int](1), Kind[string]("s"), Kind[float64](2.5), Kind[int]("s"))
	n := 7
	fmt.Println(*Conv(&n))
	fmt.Println(Join([]ID{1, 2}))
	f := Reverse[byte]
	fmt.Println(string(f([]byte("abc"))))
	fmt.Printf("%v\n", Pair[string, []int]{"k", []int{1}})
}
