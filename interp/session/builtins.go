package session

import (
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unsafe"
)

// The builtins print, println and clear (of a map) reach the session
// through package lower (Config.Runtime). yaegi prints print's and
// println's operands with fmt's %v, on stdout; Go's runtime writes to
// stderr, with no spaces between print's operands, floats in their
// shortest form (strconv's 'g': -0, 1e+21), pointers,
// maps, channels and funcs as addresses, slices
// as [len/cap]address and interfaces as a (type, data) pair, and programs
// and tests compare that output.

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
	case reflect.Float32:
		return strconv.FormatFloat(v.Float(), 'g', -1, 32)
	case reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case reflect.Complex64:
		return strconv.FormatComplex(v.Complex(), 'g', -1, 64)
	case reflect.Complex128:
		return strconv.FormatComplex(v.Complex(), 'g', -1, 128)
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

// clearMap empties the map m holds, as the builtin clear does: deleting
// key by key, as yaegi would have to, leaves the NaN keys no lookup finds.
func clearMap(m any) {
	if v := reflect.ValueOf(m); v.Kind() == reflect.Map {
		v.Clear()
	}
}

// A runtimeError is a run-time panic of interpreted code as Go reports it:
// yaegi runs slice, map and channel operations through package reflect,
// whose panics are strings ("reflect: slice index out of range") where Go
// panics with a runtime.Error ("runtime error: index out of range"), and
// programs assert recover()'s value to error or runtime.Error.
type runtimeError string

func (e runtimeError) Error() string { return "runtime error: " + string(e) }

// RuntimeError marks runtimeError as a runtime.Error.
func (runtimeError) RuntimeError() {}

// reflectPanics maps the messages of package reflect's panics that stand
// for a run-time error of the interpreted code to the runtime's message
// (without the index values Go adds, which reflect does not report).
var reflectPanics = map[string]string{
	"reflect.MakeSlice: negative len":                       "makeslice: len out of range",
	"reflect.MakeSlice: negative cap":                       "makeslice: cap out of range",
	"reflect.MakeSlice: len > cap":                          "makeslice: cap out of range",
	"reflect.MakeChan: negative buffer size":                "makechan: size out of range",
	"reflect: slice index out of range":                     "index out of range",
	"reflect: array index out of range":                     "index out of range",
	"reflect: string index out of range":                    "index out of range",
	"reflect.Value.Slice: slice index out of bounds":        "slice bounds out of range",
	"reflect.Value.Slice: string slice index out of bounds": "slice bounds out of range",
	"reflect.Value.Slice3: slice index out of bounds":       "slice bounds out of range",
}

// recovered is what recover() returns in cells (package lower's
// Config.Runtime): a reflect panic standing for a run-time error becomes
// that runtime.Error; any other value is returned as it is.
func recovered(v any) any {
	if s, ok := v.(string); ok {
		if msg, ok := reflectPanics[s]; ok {
			return runtimeError(msg)
		}
	}
	return v
}

// The unsafe functions yaegi lacks (package lower's Config.Runtime). The
// operands reach them as interfaces: unsafe.Slice and unsafe.SliceData are
// generic in the element type, and the rewritten call asserts the result's
// type. The runtime checks the lengths and pointers, and panics with its own
// runtime.Error ("unsafe.Slice: len out of range") as a compiled program
// would.

// unsafeSlice is unsafe.Slice(p, n); p is a pointer.
func unsafeSlice(p, n any) any {
	v := reflect.ValueOf(p)
	return reflect.SliceAt(v.Type().Elem(), v.UnsafePointer(), unsafeLen(n)).Interface()
}

// unsafeSliceData is unsafe.SliceData(s); s is a slice.
func unsafeSliceData(s any) any {
	v := reflect.ValueOf(s)
	return reflect.NewAt(v.Type().Elem(), v.UnsafePointer()).Interface()
}

// unsafeString is unsafe.String(p, n).
func unsafeString(p *byte, n any) string { return unsafe.String(p, unsafeLen(n)) }

// unsafeStringData is unsafe.StringData(s).
func unsafeStringData(s string) *byte { return unsafe.StringData(s) }

// unsafeLen returns n, an integer of any type, as an int, or -1 (out of
// range for the runtime's checks) if an int cannot hold it. An untyped
// constant such as 2.0 (an integer to go/types) reaches it as a float64.
func unsafeLen(n any) int {
	v := reflect.ValueOf(n)
	switch {
	case v.CanFloat():
		if f := v.Float(); f == math.Trunc(f) && f >= math.MinInt64 && f < math.MaxInt64 {
			return int(f)
		}
	case v.CanComplex():
		if c := v.Complex(); imag(c) == 0 && real(c) == math.Trunc(real(c)) && real(c) >= math.MinInt64 && real(c) < math.MaxInt64 {
			return int(real(c))
		}
	case v.CanInt():
		if i := v.Int(); i == int64(int(i)) {
			return int(i)
		}
	case v.CanUint():
		if u := v.Uint(); u <= math.MaxInt {
			return int(u)
		}
	}
	return -1
}
