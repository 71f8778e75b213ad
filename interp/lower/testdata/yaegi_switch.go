// Expression switches on an interface with cases of concrete types, which
// yaegi v0.16.1 converts the tag to.
package main

import "fmt"

func kind(v any) string {
	switch v {
	case 1, 2:
		return "small"
	case "a":
		return "a"
	case nil:
		return "nil"
	case 1 + 2:
		return "three"
	}
	return "other"
}

var calls int

var tag any

func changeTag(x int) int {
	tag = 2
	return x + 5
}

func next(v any) any {
	calls++
	return v
}

func main() {
	fmt.Println(kind(1), kind(2), kind("a"), kind(nil), kind(3), kind(2.5), kind(int8(1)))
	switch next(float64(1)) {
	case int(1):
		fmt.Println("int")
	case float64(1):
		fmt.Println("float64")
		fallthrough
	default:
		fmt.Println("then default")
	}
	switch i := any(true); i {
	case false:
		fmt.Println("false")
	case true:
		fmt.Println("true")
	}
	switch i := any(true); {
	case false:
		fmt.Println("no")
	case i:
		fmt.Println("i is true")
	}
	// A case that changes the tag's variable does not change what the
	// switch compares.
	tag = 1
	switch x := 0; tag {
	case changeTag(x):
		fmt.Println("five")
	case 2:
		fmt.Println("two")
	case 1:
		fmt.Println("one")
	}
	var err error
	switch err {
	case nil:
		fmt.Println("no error")
	}
	fmt.Println("calls", calls)
}
