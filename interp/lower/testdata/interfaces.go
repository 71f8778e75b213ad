package main

import (
	"errors"
	"fmt"
)

type MyErr struct{ Code int }

func (e *MyErr) Error() string { return fmt.Sprint("code ", e.Code) }

type E struct{}

func (E) Error() string { return "E!" }

type T struct{ n int }

func (t T) String() string { return fmt.Sprintf("T%d", t.n) }

type C struct{ n int }

func (c *C) Inc()    { c.n++ }
func (c C) Get() int { return c.n }
func (c *C) Add(xs ...int) int {
	for _, x := range xs {
		c.n += x
	}
	return c.n
}
func code(err error) int {
	var m *MyErr
	if errors.As(err, &m) {
		return m.Code
	}
	return 0
}

func main() {
	// Values of the program's types passed to fmt and errors as interfaces.
	fmt.Println(E{}, T{3}, &MyErr{1})
	w := fmt.Errorf("wrapped: %w", &MyErr{404})
	fmt.Println(w, errors.Unwrap(w))
	fmt.Println(errors.Join(errors.New("nf"), &MyErr{500}))
	fmt.Println(fmt.Sprint(E{}), fmt.Sprintf("%v|%s", E{}, T{4}))

	// errors.As with a target of a program type.
	var me *MyErr
	fmt.Println(errors.As(w, &me), me, code(w), code(errors.New("plain")), code(nil))
	fmt.Println(code(fmt.Errorf("a: %w", fmt.Errorf("b: %w", &MyErr{7}))))

	// Method expressions.
	c := &C{}
	inc := (*C).Inc
	inc(c)
	get := C.Get
	fmt.Println(get(*c), (*C).Add(c, 1, 2), C.Get(*c))
}
