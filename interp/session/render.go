package session

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/scanner"
	"log"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

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
	// take the signature from the declaration.
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for tname, tsym := range s.index {
		if tsym.kind == "type" && tsym.sigs[m] != nil && s.runtimeType(tname, tsym) == t {
			return tsym.sigs[m].Results.NumFields()
		}
	}
	return -1
}

// format renders v the way a Go user expects: strings quoted, structs with
// field names (without yaegi's X prefix on unexported fields), nil as nil,
// errors by message and byte slices as text when they are.
func (s *Session) format(v reflect.Value) string {
	if !v.IsValid() {
		return "nil"
	}
	if v.CanInterface() {
		switch x := v.Interface().(type) {
		case error:
			if x == nil || (v.Kind() == reflect.Pointer && v.IsNil()) {
				return "nil"
			}
			return x.Error()
		case string:
			return strconv.Quote(x)
		case []byte:
			if utf8.Valid(x) {
				return fmt.Sprintf("[]byte(%q)", x)
			}
		}
	}
	var b bytes.Buffer
	s.write(&b, v, 0)
	return b.String()
}

func (s *Session) write(b *bytes.Buffer, v reflect.Value, depth int) {
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
		s.write(b, v.Elem(), depth+1)
	case reflect.Pointer:
		switch {
		case v.IsNil():
			b.WriteString("nil")
		case v.Elem().Kind() == reflect.Struct && depth == 0:
			b.WriteByte('&')
			s.write(b, v.Elem(), depth+1)
		default:
			fmt.Fprintf(b, "%#x", v.Pointer())
		}
	case reflect.Struct:
		if v.CanInterface() && v.Type().PkgPath() != "" {
			// A compiled type (time.Time…): its own formatting knows best.
			fmt.Fprintf(b, "%+v", v.Interface())
			return
		}
		b.WriteByte('{')
		for i := range v.NumField() {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s.fieldName(v.Type().Field(i).Name))
			b.WriteByte(':')
			s.write(b, v.Field(i), depth+1)
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
			s.write(b, v.Index(i), depth+1)
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
			s.write(b, k, depth+1)
			b.WriteByte(':')
			s.write(b, v.MapIndex(k), depth+1)
		}
		b.WriteByte(']')
	default:
		if v.CanInterface() {
			fmt.Fprintf(b, "%v", v.Interface())
		} else {
			fmt.Fprintf(b, "%v", v)
		}
	}
}

// fieldName undoes yaegi's renaming of an unexported field x to Xx, for the
// fields the cells' struct types declare.
func (s *Session) fieldName(name string) string {
	if rest, ok := strings.CutPrefix(name, "X"); ok && s.hidden[rest] {
		return rest
	}
	return name
}

// sortValues orders map keys as fmt does for the common kinds.
func sortValues(keys []reflect.Value) {
	less := func(a, b reflect.Value) bool {
		switch a.Kind() {
		case reflect.String:
			return a.String() < b.String()
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return a.Int() < b.Int()
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			return a.Uint() < b.Uint()
		case reflect.Float32, reflect.Float64:
			return a.Float() < b.Float()
		}
		return fmt.Sprint(a) < fmt.Sprint(b)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && less(keys[j], keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
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
