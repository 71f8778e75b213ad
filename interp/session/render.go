package session

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"go/ast"
	"go/scanner"
	"log"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/gokernel/gokernel/interp"
	"github.com/gokernel/gokernel/interp/frontend"
	yaegi "github.com/traefik/yaegi/interp"
)

// Error names beyond those of package interp.
const (
	ErrNameCompile  = "CompileError"
	ErrNamePanic    = "Panic"
	ErrNameRuntime  = "RuntimeError"
	ErrNameInternal = "InternalError"
)

// cellPos matches a position at the start of a yaegi message: in the cell,
// or in the source being evaluated ("_.go:" is yaegi's default file name,
// which it often trims).
var cellPos = regexp.MustCompile(`^(?:` + frontend.Filename + `:|_\.go:)?(\d+):(\d+): `)

// compileError renders a syntax or type error.
func (s *Session) compileError(code string, err error) *interp.Error {
	var el scanner.ErrorList
	if errors.As(err, &el) && len(el) > 0 {
		e := el[0]
		msg := e.Msg
		if len(el) > 1 {
			msg += fmt.Sprintf(" (and %d more errors)", len(el)-1)
		}
		line, col := s.cellPosition(e.Pos.Line, e.Pos.Column)
		return newError(ErrNameCompile, code, line, col, msg)
	}
	line, col, msg := splitPos(err.Error())
	line, col = s.cellPosition(line, col)
	return newError(ErrNameCompile, code, line, col, msg)
}

// toError classifies an error returned by yaegi.
func (s *Session) toError(code string, err error) *interp.Error {
	var ip internalPanic
	if errors.As(err, &ip) {
		line, col, msg := splitPos(ip.Error())
		line, col = s.cellPosition(line, col)
		return newError(ErrNameInternal, code, line, col, fmt.Sprintf(
			"the interpreter could not handle this code (yaegi panicked: %s); "+
				"the session is intact: rewriting the construct, or moving it into a func, "+
				"often avoids this", msg))
	}
	var p yaegi.Panic
	if !errors.As(err, &p) {
		return s.compileError(code, err)
	}
	line, col := s.cellPosition(s.stderr.lastPanic())
	if rv, ok := p.Value.(reflect.Value); ok {
		// A panic raised by the cell's own panic call.
		return newError(ErrNamePanic, code, line, col, s.panicValue(rv))
	}
	msg := fmt.Sprint(p.Value)
	if l, c, m := splitPos(msg); l > 0 {
		line, col = s.cellPosition(l, c)
		msg = m
	}
	if e, ok := recovered(msg).(runtimeError); ok {
		msg = e.Error() // reflect's words for a run-time error, as Go's
	}
	return newError(ErrNameRuntime, code, line, col, msg)
}

// cellPosition maps a position yaegi reported to the cell (0, 0 stays
// unknown).
func (s *Session) cellPosition(line, col int) (int, int) {
	if line <= 0 || s.toCell == nil {
		return line, col
	}
	return s.toCell(line, col)
}

func (s *Session) panicValue(rv reflect.Value) string {
	if !rv.IsValid() {
		return "nil"
	}
	if rv.CanInterface() {
		switch v := rv.Interface().(type) {
		case error:
			return v.Error()
		case string:
			return v
		case fmt.Stringer:
			return v.String()
		}
	}
	return s.format(rv)
}

// splitPos takes a leading "cell:line:col: " off msg.
func splitPos(msg string) (line, col int, rest string) {
	m := cellPos.FindStringSubmatch(msg)
	if m == nil {
		return 0, 0, msg
	}
	line, _ = strconv.Atoi(m[1])
	col, _ = strconv.Atoi(m[2])
	return line, col, msg[len(m[0]):]
}

// newError builds an error whose value starts with "line:col: " and whose
// traceback shows the cell's line with a caret under the column. col counts
// bytes; the user sees characters, so it is converted.
func newError(name, code string, line, col int, msg string) *interp.Error {
	msg = strings.ReplaceAll(msg, frontend.MainFunc, "main")
	tb := []string{red(name) + ": " + msg}
	value := msg
	lines := strings.Split(code, "\n")
	if line > len(lines) {
		// An error at the end of input: point just past the last line.
		line, col = len(lines), len(lines[len(lines)-1])+1
	}
	if line >= 1 && line <= len(lines) {
		src := lines[line-1]
		if col >= 1 && col-1 <= len(src) {
			col = utf8.RuneCountInString(src[:col-1]) + 1
		} else {
			col = 0
		}
		where := fmt.Sprintf("line %d", line)
		value = fmt.Sprintf("%d: %s", line, msg)
		if col > 0 {
			where += fmt.Sprintf(", column %d", col)
			value = fmt.Sprintf("%d:%d: %s", line, col, msg)
		}
		tb = append(tb, "  at "+where+" of the cell:")
		gutter := fmt.Sprintf("%4d | ", line)
		tb = append(tb, gutter+strings.ReplaceAll(src, "\t", "    "))
		if col > 0 {
			// Tabs widen to four columns in the echo above.
			prefix := []rune(src)[:col-1]
			width := 0
			for _, r := range prefix {
				if r == '\t' {
					width += 4
				} else {
					width++
				}
			}
			tb = append(tb, strings.Repeat(" ", len(gutter)-2)+"| "+strings.Repeat(" ", width)+green("^"))
		}
	}
	return &interp.Error{Name: name, Value: value, Traceback: tb}
}

func red(s string) string   { return "\x1b[0;31m" + s + "\x1b[0m" }
func green(s string) string { return "\x1b[0;32m" + s + "\x1b[0m" }

// hasValue reports whether the final expression last, evaluated to v, has a
// value to show: a call of a function without exactly one result has none.
func (s *Session) hasValue(last ast.Expr, v reflect.Value) bool {
	if !v.IsValid() {
		return false
	}
	call, ok := ast.Unparen(last).(*ast.CallExpr)
	if !ok {
		return true
	}
	if n := s.results(call); n >= 0 {
		return n == 1
	}
	// yaegi returns a *interface{} for a call that produced no value.
	return v.Type() != reflect.TypeFor[*any]()
}

// results returns how many results call produces, or -1 when unknown.
func (s *Session) results(call *ast.CallExpr) int {
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		if sym := s.index[fun.Name]; sym != nil && sym.fn != nil {
			return sym.fn.Results.NumFields()
		}
		switch fun.Name {
		case "print", "println", "panic", "close", "delete", "clear":
			return 0
		}
	case *ast.SelectorExpr:
		x, ok := fun.X.(*ast.Ident)
		if !ok {
			return -1
		}
		if path, ok := s.imported[x.Name]; ok {
			if v, ok := s.packageSymbols(path)[fun.Sel.Name]; ok && v.Kind() == reflect.Func {
				return v.Type().NumOut()
			}
			return -1
		}
		return s.methodResults(x.Name, fun.Sel.Name)
	}
	return -1
}

// methodResults counts the results of method m of the cells' variable name,
// or returns -1 when it cannot tell. Without this, a cell ending in a call
// like mu.Unlock() would show a stale value: yaegi returns the last value it
// computed.
func (s *Session) methodResults(name, m string) int {
	if sym := s.index[name]; sym == nil || sym.kind != "var" {
		return -1
	}
	v, ok := s.in.Globals()[name]
	if !ok || !v.IsValid() {
		return -1
	}
	t := v.Type()
	// Compiled types: reflection sees their methods (through a pointer, the
	// pointer-receiver ones too).
	for _, tt := range []reflect.Type{t, reflect.PointerTo(t)} {
		if meth, ok := tt.MethodByName(m); ok {
			return meth.Type.NumOut()
		}
	}
	// Types declared in cells: their runtime types carry no methods, so
	// take the signature from the declaration. Several declared types may
	// share t (see [typeInfo]); the call compiled, so the variable's type
	// is one of those with a method m, and the count holds when they all
	// agree on it.
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	n := -1
	for tname, tsym := range s.index {
		if tsym.kind != "type" || tsym.sigs[m] == nil || s.runtimeType(tname, tsym) != t {
			continue
		}
		switch k := tsym.sigs[m].Results.NumFields(); {
		case n < 0:
			n = k
		case n != k:
			return -1
		}
	}
	return n
}

// limits bound the text of a formatted value: unlike fmt's output, a
// notebook result must stay small enough to show, and quick to build.
// Lists stop at either limit, and a long text is cut at the byte limit.
type limits struct {
	elems int // of each slice, array or map
	bytes int // of the whole text, give or take the notes of what was left out
}

var (
	resultLimits  = limits{elems: 1000, bytes: 64 << 10}
	inspectLimits = limits{elems: 100, bytes: 4 << 10}
)

// format renders v the way a Go user expects: strings quoted, structs with
// field names (without yaegi's X prefix on unexported fields), nil as nil,
// errors by message and byte slices as text when they are. Long values are
// cut short (see [limits]).
func (s *Session) format(v reflect.Value) string { return s.formatWithin(v, resultLimits) }

// formatWithin is format within lim.
func (s *Session) formatWithin(v reflect.Value, lim limits) string {
	for v.IsValid() {
		inner, ok := yaegiInterface(v)
		if !ok {
			break
		}
		v = inner
	}
	if !v.IsValid() {
		return "nil"
	}
	if v.CanInterface() {
		switch x := v.Interface().(type) {
		case error:
			if x == nil || (v.Kind() == reflect.Pointer && v.IsNil()) {
				return "nil"
			}
			head, more := cut(x.Error(), lim.bytes)
			return head + more
		case string:
			head, more := cut(x, lim.bytes)
			return strconv.Quote(head) + more
		case []byte:
			if utf8.Valid(x) {
				head, more := cut(string(x), lim.bytes)
				return fmt.Sprintf("[]byte(%q)", head) + more
			}
		}
	}
	f := formatter{types: s.types.snapshot(), limits: lim}
	f.write(v, 0)
	return f.b.String()
}

// cut returns the first n bytes of text, ending at a character boundary,
// and a note of how many it left out ("" when none).
func cut(text string, n int) (head, more string) {
	if len(text) <= n {
		return text, ""
	}
	for n > 0 && !utf8.RuneStart(text[n]) {
		n--
	}
	return text[:n], fmt.Sprintf("… (%d more bytes)", len(text)-n)
}

// formatter writes a value for format.
type formatter struct {
	b     bytes.Buffer
	types map[reflect.Type]*typeInfo // a snapshot of s.types, for field names
	limits
}

// text writes text, cut at the byte limit.
func (f *formatter) text(text string) {
	head, more := cut(text, max(f.bytes-f.b.Len(), 0))
	f.b.WriteString(head)
	f.b.WriteString(more)
}

// stop reports whether the element at index i of a list of n is past the
// limits, and if so writes how many are left out.
func (f *formatter) stop(i, n int) bool {
	if i < f.elems && f.b.Len() < f.bytes {
		return false
	}
	fmt.Fprintf(&f.b, "… (%d more)", n-i)
	return true
}

func (f *formatter) write(v reflect.Value, depth int) {
	b := &f.b
	if !v.IsValid() {
		b.WriteString("nil")
		return
	}
	if depth > 8 {
		b.WriteString("…")
		return
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		f.write(v.Elem(), depth) // a holder, not a level of nesting
	case reflect.Pointer:
		switch {
		case v.IsNil():
			b.WriteString("nil")
		case v.Elem().Kind() == reflect.Struct && depth == 0:
			b.WriteByte('&')
			f.write(v.Elem(), depth+1)
		default:
			fmt.Fprintf(b, "%#x", v.Pointer())
		}
	case reflect.Struct:
		if inner, ok := yaegiInterface(v); ok {
			f.write(inner, depth) // as an interface
			return
		}
		if v.CanInterface() && v.Type().PkgPath() != "" {
			// A compiled type (time.Time…): its own formatting knows best.
			f.text(fmt.Sprintf("%+v", v.Interface()))
			return
		}
		info := f.types[v.Type()]
		b.WriteByte('{')
		for i := range v.NumField() {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(info.fieldName(v.Type().Field(i).Name))
			b.WriteByte(':')
			f.write(v.Field(i), depth+1)
		}
		b.WriteByte('}')
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				b.WriteByte(' ')
			}
			if f.stop(i, v.Len()) {
				break
			}
			f.write(v.Index(i), depth+1)
		}
		b.WriteByte(']')
	case reflect.Map:
		b.WriteString("map[")
		keys := v.MapKeys()
		sortValues(keys)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(' ')
			}
			if f.stop(i, len(keys)) {
				break
			}
			f.write(k, depth+1)
			b.WriteByte(':')
			f.write(v.MapIndex(k), depth+1)
		}
		b.WriteByte(']')
	default:
		if v.CanInterface() {
			f.text(fmt.Sprint(v.Interface()))
		} else {
			f.text(fmt.Sprint(v))
		}
	}
}

// sortValues orders map keys as fmt does: by value, structs and arrays
// field by field, keys of an interface type by their dynamic values when
// those all have one type. Other keys (interfaces of several types, structs
// holding them) are ordered by their text, formatted once each.
func sortValues(keys []reflect.Value) {
	if len(keys) < 2 {
		return
	}
	if c := compareFunc(keys[0].Type()); c != nil {
		slices.SortFunc(keys, c)
		return
	}
	if keys[0].Kind() == reflect.Interface {
		var t reflect.Type
		for _, k := range keys {
			if k.IsNil() || t != nil && k.Elem().Type() != t {
				t = nil
				break
			}
			t = k.Elem().Type()
		}
		if c := compareFunc(t); c != nil {
			slices.SortFunc(keys, func(a, b reflect.Value) int { return c(a.Elem(), b.Elem()) })
			return
		}
	}
	type keyText struct {
		key  reflect.Value
		text string
	}
	kt := make([]keyText, len(keys))
	for i, k := range keys {
		kt[i] = keyText{k, fmt.Sprint(k)}
	}
	slices.SortFunc(kt, func(a, b keyText) int { return strings.Compare(a.text, b.text) })
	for i := range kt {
		keys[i] = kt[i].key
	}
}

// compareFunc returns fmt's comparison of map keys of type t, or nil when
// t holds interfaces (or t is nil).
func compareFunc(t reflect.Type) func(a, b reflect.Value) int {
	if t == nil {
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		return func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(a, b reflect.Value) int { return cmp.Compare(a.Int(), b.Int()) }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(a, b reflect.Value) int { return cmp.Compare(a.Uint(), b.Uint()) }
	case reflect.Float32, reflect.Float64:
		return func(a, b reflect.Value) int { return cmp.Compare(a.Float(), b.Float()) }
	case reflect.Bool:
		return func(a, b reflect.Value) int {
			switch {
			case a.Bool() == b.Bool():
				return 0
			case b.Bool():
				return -1
			}
			return 1
		}
	case reflect.Complex64, reflect.Complex128:
		return func(a, b reflect.Value) int {
			x, y := a.Complex(), b.Complex()
			return cmp.Or(cmp.Compare(real(x), real(y)), cmp.Compare(imag(x), imag(y)))
		}
	case reflect.Pointer, reflect.UnsafePointer, reflect.Chan:
		return func(a, b reflect.Value) int { return cmp.Compare(a.Pointer(), b.Pointer()) }
	case reflect.Array:
		c := compareFunc(t.Elem())
		if c == nil {
			return nil
		}
		return func(a, b reflect.Value) int {
			for i := range a.Len() {
				if r := c(a.Index(i), b.Index(i)); r != 0 {
					return r
				}
			}
			return 0
		}
	case reflect.Struct:
		fields := make([]func(a, b reflect.Value) int, t.NumField())
		for i := range fields {
			if fields[i] = compareFunc(t.Field(i).Type); fields[i] == nil {
				return nil
			}
		}
		return func(a, b reflect.Value) int {
			for i, c := range fields {
				if r := c(a.Field(i), b.Field(i)); r != 0 {
					return r
				}
			}
			return 0
		}
	}
	return nil
}

// stderrFilter is yaegi's Stderr. yaegi reports an uncaught panic by
// writing "cell:L:C: panic: main(...)" there before returning the panic as
// an error; the filter keeps the position for the error and drops the line.
type stderrFilter struct {
	w  interface{ Write([]byte) (int, error) }
	mu sync.Mutex
	// line and col are the position of the outermost panic report since
	// the last reset.
	line, col int
}

var panicReport = regexp.MustCompile(`^(?:[^\s:]*:)?(\d+):(\d+): panic: [^\s]*\(\.\.\.\)\n$`)

func (f *stderrFilter) Write(p []byte) (int, error) {
	if m := panicReport.FindSubmatch(p); m != nil {
		f.mu.Lock()
		f.line, _ = strconv.Atoi(string(m[1]))
		f.col, _ = strconv.Atoi(string(m[2]))
		f.mu.Unlock()
		return len(p), nil
	}
	return f.w.Write(p)
}

func (f *stderrFilter) reset() {
	f.mu.Lock()
	f.line, f.col = 0, 0
	f.mu.Unlock()
}

func (f *stderrFilter) lastPanic() (line, col int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.line, f.col
}

// logFilter drops the messages yaegi's compiler writes through the standard
// logger just before it panics.
type logFilter struct {
	w interface{ Write([]byte) (int, error) }
}

func (f logFilter) Write(p []byte) (int, error) {
	msg := strings.TrimSuffix(string(p), "\n")
	if strings.HasSuffix(msg, " nil type") || strings.HasSuffix(msg, " nil reflect type") ||
		strings.Contains(msg, "compositeGenerator not implemented") {
		return len(p), nil
	}
	return f.w.Write(p)
}

// quietYaegiLog installs logFilter on the standard logger, once per process
// (the check makes repeated calls harmless).
func quietYaegiLog() {
	if _, ok := log.Writer().(logFilter); !ok {
		log.SetOutput(logFilter{w: log.Writer()})
	}
}

// yaegiInterface returns the value that v holds, if v is how yaegi
// represents a value of an interface type declared in a cell: a struct of
// the node that made it and the value (interp.valueInterface, which
// formatted as it is shows yaegi's internals).
func yaegiInterface(v reflect.Value) (reflect.Value, bool) {
	t := v.Type()
	if v.Kind() != reflect.Struct || t.Name() != "valueInterface" || t.PkgPath() != "github.com/traefik/yaegi/interp" ||
		t.NumField() != 2 || t.Field(1).Type != reflect.TypeFor[reflect.Value]() {
		return reflect.Value{}, false
	}
	// The field is unexported: it is read through its address, in a copy
	// where v has none.
	if !v.CanAddr() {
		if !v.CanInterface() {
			return reflect.Value{}, false
		}
		c := reflect.New(t).Elem()
		c.Set(v)
		v = c
	}
	return *(*reflect.Value)(unsafe.Pointer(v.Field(1).UnsafeAddr())), true
}
