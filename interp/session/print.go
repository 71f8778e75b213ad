package session

import (
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// The builtins print and println reach the session through package lower,
// which rewrites their calls into calls of builtinPrint: yaegi prints them
// with fmt's %v, on stdout. Go's runtime writes to stderr, with no spaces
// between print's operands, floats as +1.500000e+000, pointers, maps,
// channels and funcs as addresses, slices as [len/cap]address and
// interfaces as a (type, data) pair; tests and programs compare that
// output.

// A printedIface is an operand of print whose static type is an interface:
// Go prints the interface's two words, not the value.
type printedIface struct{ v any }

// printIface marks an interface operand of print (see printedIface).
func printIface(v any) any { return printedIface{v} }

// builtinPrint writes args to w as the runtime's print (newline false) or
// println does.
func builtinPrint(w io.Writer, newline bool, args []any) {
	var b strings.Builder
	for i, a := range args {
		if newline && i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(printOperand(a))
	}
	if newline {
		b.WriteByte('\n')
	}
	io.WriteString(w, b.String())
}

// printOperand formats one operand of print.
func printOperand(a any) string {
	if p, ok := a.(printedIface); ok {
		if p.v == nil {
			return "(0x0,0x0)"
		}
		// The type word has no meaning to a program outside the
		// runtime; the data word is the value's address when it has one.
		return fmt.Sprintf("(%#x,%#x)", typeWord(p.v), dataWord(p.v))
	}
	if a == nil {
		return "nil"
	}
	v := reflect.ValueOf(a)
	switch v.Kind() {
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return printFloat(v.Float())
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		return "(" + printFloat(real(c)) + printFloat(imag(c)) + "i)"
	case reflect.String:
		return v.String()
	case reflect.Pointer, reflect.Chan, reflect.Map, reflect.Func, reflect.UnsafePointer:
		return fmt.Sprintf("%#x", v.Pointer())
	case reflect.Slice:
		return fmt.Sprintf("[%d/%d]%#x", v.Len(), v.Cap(), v.Pointer())
	}
	return fmt.Sprintf("(%v)", a)
}

// typeWord stands for an interface's type word: nonzero, stable per type.
func typeWord(v any) uintptr {
	return uintptr(reflect.ValueOf(reflect.TypeOf(v)).Pointer())
}

// dataWord stands for an interface's data word: the value's address where
// it is a pointer-shaped value, else nonzero.
func dataWord(v any) uintptr {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Chan, reflect.Map, reflect.Func, reflect.UnsafePointer:
		return rv.Pointer()
	}
	return 1
}

// printFloat formats f as the runtime's print does: a sign, seven
// significant digits and a three-digit exponent (+1.500000e+000).
func printFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	const digits = 7
	sign := byte('+')
	if f < 0 || (f == 0 && math.Signbit(f)) {
		sign = '-'
		f = -f
	}
	exp := 0
	if f != 0 {
		for f >= 10 {
			exp++
			f /= 10
		}
		for f < 1 {
			exp--
			f *= 10
		}
		// Round at the last digit printed.
		half := 5.0
		for range digits {
			half /= 10
		}
		f += half
		if f >= 10 {
			exp++
			f /= 10
		}
	}
	var mant [digits]byte
	for i := range mant {
		d := int(f)
		mant[i] = byte(d) + '0'
		f = (f - float64(d)) * 10
	}
	esign := byte('+')
	if exp < 0 {
		esign = '-'
		exp = -exp
	}
	return fmt.Sprintf("%c%c.%se%c%03d", sign, mant[0], mant[1:], esign, exp)
}
