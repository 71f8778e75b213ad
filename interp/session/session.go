// Package session evaluates notebook cells with the yaegi interpreter. It runs
// inside the worker process, where nothing a cell does can harm the kernel.
//
// Call [New] to create a session, then [Session.Execute] for each cell. A cell
// is split by [frontend.Parse] into imports, declarations and statements,
// rewritten for yaegi (the notebook-level rewrites of package frontend, then
// package lower's modern-Go rewrites), and evaluated in the order
// [frontend.Cell.Steps] gives.
//
// Each piece is printed back to source (positions yaegi reports in it are
// mapped back to the cell by pairing the printed and original trees) and
// evaluated with yaegi's EvalWithContext, which
// recovers yaegi's own panics, so a panic inside yaegi's compiler becomes an
// "InternalError" and the session stays usable, and cancelling the context
// interrupts the cell. The
// value of a cell's final expression becomes the result; errors carry the
// line and column in the cell.
//
// After an interrupt, yaegi's evaluating goroutine may still be unwinding
// when EvalWithContext returns (it stops at its next interpreted node, or when
// a blocking library call returns). Execute waits a bounded time for it to
// finish, so the next cell does not run concurrently with it; a cell stuck in
// a library call is the worker's to handle (it replaces the process when an
// interrupt does not take).
//
// New redirects the standard library's default logger through a filter that
// drops the messages yaegi's compiler logs just before it panics ("nil
// type"); the panic itself is reported as an InternalError. User code's log
// output is unaffected: yaegi gives the log package its own logger.
package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	"io"
	"maps"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/comm"
	"github.com/gokernel/gokernel/interp"
	"github.com/gokernel/gokernel/interp/exports"
	"github.com/gokernel/gokernel/interp/frontend"
	"github.com/gokernel/gokernel/interp/lower"
	gkstdlib "github.com/gokernel/gokernel/interp/stdlib"
	"github.com/gokernel/gokernel/interp/symbols"
	yaegi "github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
	"github.com/traefik/yaegi/stdlib/syscall"
	"github.com/traefik/yaegi/stdlib/unrestricted"
	"github.com/traefik/yaegi/stdlib/unsafe"
)

// Options configure a [Session].
type Options struct {
	// Stdin is what fmt.Scan* and os.Stdin read. nil reads as empty (io.EOF).
	Stdin io.Reader
	// Stdout and Stderr are the worker's fds 1 and 2. They must be files:
	// yaegi maps os.Stdout and os.Stderr to them only then.
	Stdout, Stderr *os.File
	// Display publishes display data while a cell runs; it may be nil.
	Display func(interp.DisplayData)
	// GoPath is where yaegi looks for source packages ($GoPath/src/…).
	GoPath string
	// Comm sends a cell's comm message to the front end; nil drops them.
	Comm func(interp.CommMessage)
	// GoCommand runs the %go magic (e.g. "get MODULE", "list"), writing
	// what it does to out; nil means %go is not available.
	GoCommand func(ctx context.Context, args []string, out io.Writer) error
}

// Session is one yaegi interpreter and what the kernel knows about the
// cells evaluated in it. Its methods are safe for concurrent use; calls into
// the interpreter are serialised.
type Session struct {
	opts   Options
	stderr *stderrFilter
	types  typeTable // the cells' struct types as rendering sees them; it has a lock of its own

	mu       sync.Mutex // guards everything below and every call into in
	in       *yaegi.Interpreter
	imported map[string]string // package name → import path
	// failedImports are the source packages yaegi failed to load
	// (failedimport.go); failedNames the names cells imported them under.
	failedImports map[string]string // path → why it failed
	failedNames   map[string]string
	index         map[string]*symbol
	defined       map[string]definition // types, funcs and methods ("T.M") declared so far
	defers        []deferred            // top-level defers of the running cell
	// pkg is what the cells declare, for the type checker of package
	// lower; importer is its importer, kept so that each package is
	// loaded once.
	pkg      frontend.Package
	importer types.Importer
	comms    *comm.Manager // the cells' comms
	// goexited is set when the cell's own goroutine calls runtime.Goexit:
	// yaegi then returns from the evaluation as if the cell had finished.
	goexited atomic.Bool
	// toCell maps a position in the source being evaluated to the cell;
	// nil outside run, where positions are the cell's already.
	toCell func(line, col int) (int, int)
}

// rtPackage is the name under which cells see the session's runtime helpers.
// The rewrites of package frontend emit calls to it.
const (
	rtPath    = "github.com/gokernel/gokernel/interp/session/rt"
	rtPackage = "gokernel_rt"
)

// compiledTables are the symbol tables of the compiled packages cells can
// import, the tables of the Go that built gokernel first: what completion,
// inspection and the type checker look packages up in.
func compiledTables() []yaegi.Exports {
	return []yaegi.Exports{gkstdlib.Symbols, stdlib.Symbols, unrestricted.Symbols, syscall.Symbols, exports.Symbols, symbols.Symbols}
}

// New starts an interpreter with the standard library of the Go release
// that built gokernel (package stdlib, and yaegi's unrestricted, syscall and
// unsafe symbol tables).
func New(opts Options) (*Session, error) {
	if opts.Stdout == nil || opts.Stderr == nil {
		return nil, errors.New("session: Options.Stdout and Options.Stderr must be set")
	}
	stdin := opts.Stdin
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	quietYaegiLog()
	s := &Session{
		opts:          opts,
		stderr:        &stderrFilter{w: opts.Stderr},
		imported:      make(map[string]string),
		failedImports: make(map[string]string),
		failedNames:   make(map[string]string),
		index:         make(map[string]*symbol),
		defined:       make(map[string]definition),
		importer: &cachingImporter{imp: newSymbolImporter(importer.Default(), typeSources(), compiledTables()...),
			failed: make(map[string]error)},
	}
	send := opts.Comm
	if send == nil {
		send = func(interp.CommMessage) {}
	}
	s.comms = comm.NewManager(send)
	s.in = yaegi.New(yaegi.Options{
		Stdin:        stdin,
		Stdout:       opts.Stdout,
		Stderr:       s.stderr,
		GoPath:       opts.GoPath,
		Unrestricted: true,
		Args:         []string{"gokernel"},
	})
	stdout, stderr := opts.Stdout, opts.Stderr
	for _, syms := range []yaegi.Exports{
		// The tables for the Go that built gokernel first: yaegi's own,
		// loaded next, replace the symbols both have, so that yaegi's
		// redirection of fmt's output stays in place.
		gkstdlib.Symbols,
		stdlib.Symbols, unrestricted.Symbols, syscall.Symbols, unsafe.Symbols, exports.Symbols,
		// (compiledTables lists the same packages, newest first, for
		// completion and the type checker; unsafe is go/types' own.)
		// yaegi maps os.Stderr only when its Stderr is a file; ours is a
		// filter, so map both streams here. os.Stdin becomes the session's
		// reader (an io.Reader, so os.Stdin.Fd() does not compile in
		// cells): reads on a pipe could not ask the front end for input.
		{"os/os": {
			"Stdin":  reflect.ValueOf(&stdin).Elem(),
			"Stdout": reflect.ValueOf(&stdout).Elem(),
			"Stderr": reflect.ValueOf(&stderr).Elem(),
		}},
		{rtPath + "/" + rtPackage: {
			"Defer": reflect.ValueOf(s.addDefer),
			// Package lower's Config.Runtime.
			"Print":            reflect.ValueOf(func(newline bool, args ...any) { builtinPrint(stderr, newline, args) }),
			"PrintIface":       reflect.ValueOf(printIface),
			"ClearMap":         reflect.ValueOf(clearMap),
			"Recovered":        reflect.ValueOf(recovered),
			"UnsafeSlice":      reflect.ValueOf(unsafeSlice),
			"UnsafeSliceData":  reflect.ValueOf(unsafeSliceData),
			"UnsafeString":     reflect.ValueOf(unsafeString),
			"UnsafeStringData": reflect.ValueOf(unsafeStringData),
		}},
		inputSymbols(stdin),
		{"runtime/runtime": {"Goexit": reflect.ValueOf(s.goexit)}},
		commSymbols(s.comms),
	} {
		if err := s.in.Use(syms); err != nil {
			return nil, fmt.Errorf("session: loading symbols: %w", err)
		}
	}
	for _, src := range gkstdlib.Sources {
		if _, err := s.in.Compile(src); err != nil {
			return nil, fmt.Errorf("session: compiling the standard library supplement: %w", err)
		}
	}
	if _, err := s.execute(context.Background(), fmt.Sprintf("import %s %q", rtPackage, rtPath)); err != nil {
		return nil, fmt.Errorf("session: importing the runtime helpers: %w", err)
	}
	if err := s.loadDisplay(); err != nil {
		return nil, err
	}
	return s, nil
}

// Execute runs one cell. Cancelling ctx interrupts it; the result then
// carries an error named [interp.ErrNameInterrupted].
func (s *Session) Execute(ctx context.Context, req interp.ExecuteRequest) interp.ExecuteResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Compiled-in sockets blocked in Recv return when this cell is
	// interrupted; yaegi alone stops only interpreted code.
	defer exports.EnterCell(ctx)()
	var res interp.ExecuteResult
	result, err := s.executeCell(ctx, req.Code)
	switch {
	case err != nil:
		res.Error = err
	case !req.Silent:
		res.Result = result
	}
	if len(req.UserExpressions) > 0 {
		res.UserExpressions = make(map[string]any, len(req.UserExpressions))
		for name, expr := range req.UserExpressions {
			res.UserExpressions[name] = s.userExpression(ctx, expr)
		}
	}
	return res
}

// execute runs code and returns the rendered value of its final expression,
// if it has one.
func (s *Session) execute(ctx context.Context, code string) (*interp.MIMEBundle, *interp.Error) {
	fset := s.in.FileSet()
	cell, err := frontend.Parse(fset, code)
	if err != nil {
		return nil, s.compileError(code, err)
	}
	imported := maps.Clone(s.imported)
	if err := cell.DropImported(fset, imported); err != nil {
		return nil, s.compileError(code, err)
	}
	if err := s.checkFailedImports(fset, cell.Imports); err != nil {
		return nil, s.compileError(code, err)
	}
	cell.SplitVarInits(fset, s.isVar)
	cell.SplitSelfDefines()
	hasDefers := cell.LowerDefers(rtPackage, "Defer")

	main := ast.NewIdent("main")
	if len(cell.Imports) > 0 {
		specs := make([]ast.Spec, len(cell.Imports))
		for i, spec := range cell.Imports {
			specs[i] = spec
		}
		file := &ast.File{Package: specs[0].Pos(), Name: main, Decls: []ast.Decl{&ast.GenDecl{Tok: token.IMPORT, Specs: specs}}}
		if _, err := s.run(ctx, code, file); err != nil {
			s.noteFailedImports(cell.Imports, err.Value)
			if hint := importHint(err.Value); hint != "" {
				err.Value += "; " + hint
				err.Traceback = append(err.Traceback, hint)
			}
			return nil, err
		}
	}
	s.imported = imported
	s.pkg.AddImports(cell.Imports)

	var v reflect.Value
	var ierr *interp.Error
	s.defers = nil
	for _, step := range cell.Steps(fset) {
		if err := s.checkFailedNames(fset, stepNodes(step)); err != nil {
			ierr = s.compileError(code, err)
			break
		}
		if len(step.Decls) > 0 {
			rd, err := s.checkRedefinitions(fset, step.Decls)
			if err != nil {
				ierr = s.compileError(code, err)
				break
			}
			if len(rd.kept) == 0 {
				continue
			}
			record := s.indexDecls(fset, rd.kept) // before lowering rewrites them
			deps := s.dependentsOf(rd.changed, rd.declared)
			var typeErrs []types.Error
			decls, err := s.lowerDecls(rd.kept, deps.has, cell.Program, func(te types.Error) { typeErrs = append(typeErrs, te) })
			if err == nil {
				err = checkDependents(fset, rd, deps, typeErrs)
			}
			if err != nil {
				ierr = s.compileError(code, err)
				break
			}
			if len(decls) == 0 {
				continue // only blank types, which lowering drops
			}
			node := &ast.File{Package: decls[0].Pos(), Name: main, Decls: decls}
			if _, ierr = s.run(ctx, code, node); ierr != nil {
				break
			}
			record()
			s.pkg.AddDecls(decls)
			maps.Copy(s.defined, rd.defs)
			s.recompile(ctx, deps)
			s.resolveTypes() // for displays from other goroutines, at once
			continue
		}
		cfg := s.lowerConfig(nil, nil)
		defined := make(map[string]ast.Expr)
		cfg.Defined = func(name string, typ ast.Expr) { defined[name] = typ }
		stmts, _, err := cfg.RewriteStmts(fset, step.Stmts)
		if err != nil {
			ierr = s.compileError(code, err)
			break
		}
		// A variable defined again with := is a new variable to yaegi.
		var redefined []string
		for _, st := range stmts {
			redefined = append(redefined, slices.DeleteFunc(frontend.DefinedNames(st), func(n string) bool { return !s.isVar(n) })...)
		}
		s.indexStmts(stmts)
		block := &ast.BlockStmt{Lbrace: step.Stmts[0].Pos(), List: stmts}
		v, ierr = s.run(ctx, code, block)
		if ierr != nil && ierr.Name == ErrNameCompile {
			break // nothing was defined
		}
		s.pkg.AddStmts(stmts, func(name string) ast.Expr { return defined[name] })
		if ierr != nil {
			break
		}
		if len(redefined) > 0 {
			s.recompile(ctx, s.dependentsOf(redefined, nil))
		}
	}
	if ierr == nil && cell.Program && cell.DeclaresMain() {
		// A whole program runs, as with go run.
		call := &ast.ExprStmt{X: &ast.CallExpr{Fun: ast.NewIdent(frontend.MainFunc)}}
		_, ierr = s.run(ctx, code, &ast.BlockStmt{List: []ast.Stmt{call}})
	}
	// Render the value before the deferred calls run: v may alias a
	// variable they change.
	var result *interp.MIMEBundle
	if ierr == nil && cell.Last != nil && s.hasValue(cell.Last, v) {
		result = s.bundle(v)
	}
	if hasDefers {
		if derr := s.runDefers(ctx, code); ierr == nil {
			ierr = derr
		}
	}
	if ierr != nil {
		return nil, ierr
	}
	return result, nil
}

// lowerConfig returns the configuration for package lower's rewrites of
// a step that declares decls: the earlier cells are the package it is
// checked with, with the bodies of the funcs keepBody accepts (nil: none).
func (s *Session) lowerConfig(keepBody func(*ast.FuncDecl) bool, decls []ast.Decl) lower.Config {
	return lower.Config{Files: s.pkg.Files(keepBody, decls...), Importer: s.importer, Cell: true, Runtime: rtPackage}
}

// lowerDecls rewrites declarations with package lower, which type-checks
// them with the earlier cells and reports the type errors to typeErr. The
// declarations of a whole program (a cell starting with package main) have
// their generic code monomorphised.
func (s *Session) lowerDecls(decls []ast.Decl, keepBody func(*ast.FuncDecl) bool, program bool, typeErr func(types.Error)) ([]ast.Decl, error) {
	cfg := s.lowerConfig(keepBody, decls)
	cfg.TypeError = typeErr
	cfg.Program = program
	decls, _, err := cfg.RewriteDecls(s.in.FileSet(), decls)
	return decls, err
}

// cachingImporter remembers the packages it could not import: the session
// asks again for every cell, and each failed attempt runs the go command.
type cachingImporter struct {
	imp    types.Importer
	failed map[string]error
}

func (c *cachingImporter) Import(path string) (*types.Package, error) {
	if err, ok := c.failed[path]; ok {
		return nil, err
	}
	p, err := c.imp.Import(path)
	if err != nil {
		c.failed[path] = err
	}
	return p, err
}

// run evaluates node (parsed with the interpreter's FileSet).
//
// The node is printed back to source and evaluated with EvalWithContext:
// yaegi's ExecuteWithContext, which would take the AST directly, writes its
// results from two goroutines when the context is cancelled (a data race in
// yaegi). Positions yaegi reports in the printed source are mapped back to
// the cell, so errors still name the user's line and column.
func (s *Session) run(ctx context.Context, code string, node ast.Node) (reflect.Value, *interp.Error) {
	src, toCell, err := s.source(node)
	if err != nil {
		return reflect.Value{}, s.toError(code, err)
	}
	s.toCell = toCell
	defer func() { s.toCell = nil }()
	s.stderr.reset()
	before := runtime.NumGoroutine()
	s.goexited.Store(false)
	v, err := s.in.EvalWithContext(ctx, src)
	if err == nil && s.goexited.Load() {
		return reflect.Value{}, newError(ErrNameRuntime, code, 0, 0,
			"runtime.Goexit ended the cell before it finished (Go would report a deadlock or exit here)")
	}
	if err != nil {
		if ctx.Err() != nil {
			settle(before)
			return reflect.Value{}, interrupted()
		}
		var p yaegi.Panic
		if errors.As(err, &p) && bytes.Contains(p.Stack, []byte(").compileSrc(")) {
			// yaegi's compiler panicked: not the cell's fault.
			err = internalPanic{p.Value}
		}
		return reflect.Value{}, s.toError(code, err)
	}
	return v, nil
}

// settleTimeout bounds how long settle waits; a goroutine blocked in a
// library call (time.Sleep) unwinds only when the call returns.
const settleTimeout = 500 * time.Millisecond

// settle waits, for at most settleTimeout, until the goroutines of an
// interrupted evaluation have unwound: EvalWithContext returns as soon as it
// is cancelled while yaegi's evaluating goroutine stops only at its next
// interpreted step, and a cell started meanwhile would run concurrently with
// it inside the interpreter. yaegi offers no way to join that goroutine, so
// the goroutine count is the signal.
func settle(before int) {
	deadline := time.Now().Add(settleTimeout)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// source prints node as the Go source yaegi's Eval gets, and returns a
// function mapping a position yaegi reports in that source to the cell.
//
// Declarations are printed after a newline (yaegi prefixes "package main;"),
// statements after an empty statement, so yaegi wraps them in its main
// function even when the first one is a var declaration.
func (s *Session) source(node ast.Node) (string, func(line, col int) (int, int), error) {
	var orig []ast.Node
	var prefix, wrapped string
	switch n := node.(type) {
	case *ast.File:
		for _, d := range n.Decls {
			orig = append(orig, d)
		}
		prefix, wrapped = "\n", "package main;%s"
	case *ast.BlockStmt:
		for _, st := range n.List {
			orig = append(orig, st)
		}
		prefix, wrapped = ";\n", "package main; func main() {%s\n}" // as yaegi wraps statements
	default:
		return "", nil, fmt.Errorf("session: cannot evaluate a %T", node)
	}
	fset := s.in.FileSet()
	var buf bytes.Buffer
	buf.WriteString(prefix)
	for _, n := range orig {
		if err := printer.Fprint(&buf, fset, n); err != nil {
			return "", nil, fmt.Errorf("session: print: %w", err)
		}
		buf.WriteString("\n")
	}
	src := buf.String()
	// The map is needed only for an error: build it then.
	toCell := sync.OnceValue(func() func(line, col int) (int, int) {
		return positionMap(fset, orig, fmt.Sprintf(wrapped, src))
	})
	return src, func(line, col int) (int, int) {
		if m := toCell(); m != nil {
			return m(line, col)
		}
		return 0, 0
	}, nil
}

// positionMap maps positions in printed (the text yaegi parses) to the cell
// positions of the nodes orig were printed from. Printing and parsing again
// gives a tree of the same shape, so walking both in the same order pairs
// each printed node with its original.
func positionMap(fset *token.FileSet, orig []ast.Node, printed string) func(line, col int) (int, int) {
	pfset := token.NewFileSet()
	f, err := parser.ParseFile(pfset, "", printed, 0)
	if err != nil {
		return nil
	}
	var again []ast.Node
	if fn, ok := f.Decls[len(f.Decls)-1].(*ast.FuncDecl); ok && fn.Name.Name == "main" && len(f.Decls) == 1 {
		for _, st := range fn.Body.List[1:] { // [0] is the leading empty statement
			again = append(again, st)
		}
	} else {
		for _, d := range f.Decls {
			again = append(again, d)
		}
	}
	type pair struct{ from, to token.Position }
	var pairs []pair
	for i := range min(len(orig), len(again)) {
		a, b := preorder(orig[i]), preorder(again[i])
		for j := range min(len(a), len(b)) {
			if to := fset.Position(a[j].Pos()); to.IsValid() {
				pairs = append(pairs, pair{pfset.Position(b[j].Pos()), to})
			}
		}
	}
	return func(line, col int) (int, int) {
		// The node starting at the position, else the last one before it.
		best := -1
		for i, p := range pairs {
			if p.from.Line < line || p.from.Line == line && p.from.Column <= col {
				if best < 0 || p.from.Line > pairs[best].from.Line ||
					p.from.Line == pairs[best].from.Line && p.from.Column >= pairs[best].from.Column {
					best = i
				}
			}
		}
		if best < 0 {
			return 0, 0
		}
		p := pairs[best]
		if p.from.Line == line {
			return p.to.Line, p.to.Column + col - p.from.Column
		}
		return p.to.Line, p.to.Column
	}
}

// preorder lists the nodes of n in the order ast.Inspect visits them.
func preorder(n ast.Node) []ast.Node {
	var list []ast.Node
	ast.Inspect(n, func(n ast.Node) bool {
		if n != nil {
			list = append(list, n)
		}
		return true
	})
	return list
}

// internalPanic is a panic raised by yaegi's compiler.
type internalPanic struct{ value any }

func (p internalPanic) Error() string { return fmt.Sprint(p.value) }

// deferred is a call registered by a lowered top-level defer.
type deferred struct {
	fn   reflect.Value
	args []reflect.Value
}

// addDefer is gokernel_rt.Defer: it records fn(args...) to run at the end of
// the cell. It is called from interpreted code while s.mu is held by
// Execute, so it must not lock.
func (s *Session) addDefer(fn any, args ...any) {
	fv := reflect.ValueOf(fn)
	if fv.Kind() != reflect.Func {
		panic(fmt.Sprintf("defer of a non-function value %T", fn))
	}
	t := fv.Type()
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		if a != nil {
			in[i] = reflect.ValueOf(a)
			continue
		}
		pt := t.In(min(i, t.NumIn()-1))
		if t.IsVariadic() && i >= t.NumIn()-1 {
			pt = pt.Elem()
		}
		in[i] = reflect.Zero(pt)
	}
	s.defers = append(s.defers, deferred{fn: fv, args: in})
}

// runDefers runs the cell's deferred calls, last first. Every call runs even
// when an earlier one panics, and the first panic is reported; an interrupt
// stops them.
func (s *Session) runDefers(ctx context.Context, code string) *interp.Error {
	calls := s.defers
	s.defers = nil
	var first *interp.Error
	for i := len(calls) - 1; i >= 0; i-- {
		c := calls[i]
		before := runtime.NumGoroutine()
		err := callDeferred(ctx, func() { c.fn.Call(c.args) })
		if ctx.Err() != nil {
			// The call goes on until its next interpreted step; the next
			// cell must not run beside it, and later defers do not run.
			settle(before)
			return interrupted()
		}
		if err != nil && first == nil {
			first = s.toError(code, err)
		}
	}
	return first
}

// callDeferred calls f on a goroutine of its own, so that an interrupt does
// not wait for it, and turns a panic in it into an error.
func callDeferred(ctx context.Context, f func()) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- yaegi.Panic{Value: r}
				return
			}
			done <- nil
		}()
		f()
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// interrupted is the error of a cell stopped by an interrupt.
func interrupted() *interp.Error {
	return &interp.Error{
		Name:      interp.ErrNameInterrupted,
		Value:     "the cell was interrupted",
		Traceback: []string{red(interp.ErrNameInterrupted) + ": the cell was interrupted"},
	}
}
