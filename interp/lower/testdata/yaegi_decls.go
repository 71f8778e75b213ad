// Constants, assignments and declarations yaegi v0.16.1 refuses or
// evaluates wrongly.
package main

import (
	"fmt"
	"math"
	"runtime"
)

const (
	huge              = 1 << 100
	hugeLess          = huge - 1
	small             = huge >> 98
	fhuge     float64 = 1 << 100
	fhugeLess float64 = huge - 1
)

// Blank types declare nothing.
type _ int

type (
	_[T any] struct{ t T }
	named    int
	_        string
)

func bigger() bool { return huge > hugeLess }

func main() {
	// Integer constants beyond int64, in typed and untyped contexts.
	var x, y uint64 = 0, 1 << 63
	z := -(1 << 63)
	fmt.Println(x, y, z, small, bigger(), huge > 5, hugeLess < huge)
	fmt.Println(fhuge, fhugeLess, fhuge == fhugeLess, uint64(1<<64-1))

	// A variable of basic type of a compiled package.
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 4096
	runtime.MemProfileRate++
	runtime.MemProfileRate += 2
	fmt.Println(runtime.MemProfileRate)
	runtime.MemProfileRate = old

	type _ struct{}
	var n named = 3
	fmt.Println(n)
}

// Constants repeated implicitly take the values of their own iota.
const (
	p62 uint64 = 1 << (62 + iota)
	p63
	fromHuge = huge >> (98 - iota)
	fromHuge2
)

func init() { fmt.Println(p62, p63, fromHuge, fromHuge2) }

// Float constants from integers beyond int64 round once, to their type.
const (
	two128 = 1 << 128
	ulp32  = two128 / (1 << 24)
	max32  = two128 - ulp32
)

func init() {
	fmt.Printf("%#x %#x\n", math.Float32bits(float32(max32-ulp32-ulp32/2)), math.Float32bits(float32(max32-ulp32/2)))
}

// The length of an array through a nil pointer comes from its type.
var nilArray *[4]int

func arrayPtr() *[3]string {
	fmt.Println("arrayPtr called")
	return nil
}

func init() {
	n := 0
	for i := range nilArray {
		n += i
	}
	for range arrayPtr() {
		n++
	}
	for i, _ := range nilArray {
		n += i
	}
	for range *nilArray {
		n++
	}
	fmt.Println(n, len(nilArray), cap(nilArray), len(arrayPtr()), len(*nilArray))
}

// Array lengths written as floats; structs with several blank fields.
var floatLen [1e1]int

type padded struct {
	_, _ int
	x    int
	_    [2]byte
}

type paddedToo struct {
	_, _ int
	x    int
	_    [2]byte
}

func init() {
	p := padded{x: 7}
	fmt.Println(len(floatLen), len([2e0]string{}), p.x, paddedToo(p).x)
}

// A rune constant stays a rune.
const runeFromHuge = huge>>100 + 'a'

func init() {
	fmt.Printf("%T %v %v\n", runeFromHuge, runeFromHuge, min(huge, 2e30) > 1)
}

// A string converted from an integer beyond int64.
const replacement = string(rune(1<<100>>90)) + string(1<<100)

func init() { fmt.Printf("%q\n", replacement) }
