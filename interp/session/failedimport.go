package session

import (
	"fmt"
	"go/ast"
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/gokernel/gokernel/interp/frontend"
)

// A source package that yaegi fails to load stays half-loaded in the
// interpreter: importing it again fails with "import cycle not allowed",
// and a use of the name it was imported under can crash yaegi's compiler.
// The session remembers such packages and answers for them with an error
// that says what happened, before yaegi sees the cell.

// importErrorPath finds the packages in yaegi's "import "P" error: …"
// chain (a package, the package it imports, and so on).
var importErrorPath = regexp.MustCompile(`import "([^"]+)" error`)

// noteFailedImports records the packages a failed import left
// half-loaded, and the names specs gave them in the cell. A package that
// was not found is not recorded: yaegi gives up on it before loading.
func (s *Session) noteFailedImports(specs []*ast.ImportSpec, msg string) {
	if s.opts.GoPath == "" {
		return
	}
	reason := msg
	if i := strings.LastIndex(msg, " error: "); i >= 0 {
		reason = msg[i+len(" error: "):]
	}
	for _, m := range importErrorPath.FindAllStringSubmatch(msg, -1) {
		path := m[1]
		if fi, err := os.Stat(filepath.Join(s.opts.GoPath, "src", filepath.FromSlash(path))); err != nil || !fi.IsDir() {
			continue
		}
		s.failedImports[path] = reason
	}
	for _, spec := range specs {
		path, name := frontend.ImportPathName(spec)
		if _, ok := s.failedImports[path]; ok {
			s.failedNames[name] = path
		}
	}
}

// checkFailedImports returns an error for a cell import of a package
// whose load failed earlier.
func (s *Session) checkFailedImports(fset *token.FileSet, specs []*ast.ImportSpec) error {
	for _, spec := range specs {
		path, _ := strconv.Unquote(spec.Path.Value)
		if reason, ok := s.failedImports[path]; ok {
			return scanner.ErrorList{{Pos: fset.Position(spec.Pos()), Msg: fmt.Sprintf(
				"import %q: loading it failed earlier in this session (%s); the interpreter keeps a package that "+
					"failed to load half-loaded, so restart the kernel to import it again", path, reason)}}
		}
	}
	return nil
}

// checkFailedNames returns an error for a use, in nodes, of the name of
// a failed import (pkg.Name) that nothing has given another meaning since:
// not the cell (the parser resolved the name to a declaration of the
// cell, such as a parameter, when id.Obj is set), not an earlier cell.
func (s *Session) checkFailedNames(fset *token.FileSet, nodes []ast.Node) error {
	if len(s.failedNames) == 0 {
		return nil
	}
	var found *ast.Ident
	for _, n := range nodes {
		ast.Inspect(n, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok || found != nil {
				return found == nil
			}
			if id, ok := sel.X.(*ast.Ident); ok {
				if _, failed := s.failedNames[id.Name]; failed && id.Obj == nil && s.imported[id.Name] == "" && !s.isVar(id.Name) && !s.isDefined(id.Name) {
					found = id
				}
			}
			return true
		})
	}
	if found == nil {
		return nil
	}
	path := s.failedNames[found.Name]
	return scanner.ErrorList{{Pos: fset.Position(found.Pos()), Msg: fmt.Sprintf(
		"undefined: %s (the import of %q failed: %s)", found.Name, path, s.failedImports[path])}}
}

func (s *Session) isDefined(name string) bool {
	_, ok := s.defined[name]
	return ok
}

// undefinedBuiltin matches yaegi's error for a Go 1.21 builtin it lacks.
var undefinedBuiltin = regexp.MustCompile(`undefined: (min|max|clear)\b`)

// importHint says what to do about a source package yaegi could not load,
// where the reason is a known one, or returns "".
func importHint(msg string) string {
	switch {
	case strings.Contains(msg, ": missing function body"):
		return "a func without a body is written in assembly (or linked in): with no pure-Go fallback " +
			"(build tags purego, noasm), the package must be compiled into the kernel: gokernel build --with PACKAGE"
	case undefinedBuiltin.MatchString(msg):
		return "the interpreter lacks the min, max and clear builtins in imported packages (cells have them): " +
			"compile the package into the kernel with gokernel build --with PACKAGE"
	}
	return ""
}

func stepNodes(step frontend.Step) []ast.Node {
	nodes := make([]ast.Node, 0, len(step.Decls)+len(step.Stmts))
	for _, d := range step.Decls {
		nodes = append(nodes, d)
	}
	for _, st := range step.Stmts {
		nodes = append(nodes, st)
	}
	return nodes
}
