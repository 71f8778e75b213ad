// Package stddoc looks up the documentation of Go packages: the declaration
// and doc comment of a package member or method, for inspect_request.
//
// The documentation of a curated set of packages (the standard library
// packages notebooks use most, and gokernel's display package) is extracted
// from $(go env GOROOT)/src with go/doc when the package is generated (run
// go generate) and embedded compressed, so it is there on a machine without
// Go sources. Other packages are read from GOROOT/src at their first lookup,
// when it exists.
package stddoc

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

//go:generate go run ./internal/gen -o docs.json.gz

// Doc documents one package member: "Println", "Buffer", "Buffer.Write".
type Doc struct {
	Decl string `json:"decl"` // its declaration, without a function's body
	Doc  string `json:"doc"`  // its doc comment, as text
}

// Package is the documentation of one package, by member name.
type Package map[string]Doc

//go:embed docs.json.gz
var docsGz []byte

// embedded decodes the embedded documentation once; the result is never
// changed after.
var embedded = sync.OnceValue(func() map[string]Package {
	pkgs := map[string]Package{}
	zr, err := gzip.NewReader(bytes.NewReader(docsGz))
	if err != nil {
		return pkgs
	}
	if err := json.NewDecoder(zr).Decode(&pkgs); err != nil {
		return map[string]Package{}
	}
	return pkgs
})

// Lookup returns the documentation of member name ("Println", or
// "Type.Method") of the package at importPath.
func Lookup(importPath, name string) (Doc, bool) {
	if pkg, ok := embedded()[importPath]; ok {
		d, ok := pkg[name]
		return d, ok
	}
	d, ok := fromSource(importPath)[name]
	return d, ok
}

// The packages Lookup has read from GOROOT/src, by import path: a func
// that reads the package once and returns it (nil if it could not be
// read). Each is read once: parsing a package takes up to a few
// hundred milliseconds (140 for go/types), and an inspect request waits for
// it under the session's lock.
var (
	sourceMu sync.Mutex
	sources  = map[string]func() Package{}
)

// extract is Extract; a test counts its calls.
var extract = Extract

// fromSource returns the documentation of the package at importPath read
// from GOROOT/src, nil when there is none.
func fromSource(importPath string) Package {
	sourceMu.Lock()
	load, ok := sources[importPath]
	if !ok {
		// Read outside sourceMu, so that a lookup in another package does
		// not wait for this one; a lookup in the same package waits in load.
		load = sync.OnceValue(func() Package {
			root := goroot()
			if root == "" {
				return nil
			}
			pkg, err := extract(filepath.Join(root, "src", filepath.FromSlash(importPath)))
			if err != nil {
				return nil
			}
			return pkg
		})
		sources[importPath] = load
	}
	sourceMu.Unlock()
	return load()
}

// goroot finds the Go installation's root once: $GOROOT, else what the go
// command says; "" when there is none.
var goroot = sync.OnceValue(func() string {
	if root := os.Getenv("GOROOT"); root != "" {
		return root
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
})

// Embedded lists the import paths whose documentation is embedded.
func Embedded() []string {
	var paths []string
	for p := range embedded() {
		paths = append(paths, p)
	}
	return paths
}

// Extract reads the documentation of the exported members of the package
// in dir (its non-test .go files for the current platform's build tags
// ignored: every file counts).
func Extract(dir string) (Package, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("stddoc: %w", err)
	}
	var files []*ast.File
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			continue // a file of another platform may not parse alone; skip it
		}
		if f.Name.Name == "main" || f.Name.Name == "documentation" {
			continue
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("stddoc: no Go files in %s: %w", dir, fs.ErrNotExist)
	}
	p, err := doc.NewFromFiles(fset, files, "")
	if err != nil {
		return nil, fmt.Errorf("stddoc: %s: %w", dir, err)
	}
	out := Package{}
	decl := func(n any) string {
		var b bytes.Buffer
		if err := (&printer.Config{Mode: printer.UseSpaces | printer.TabIndent, Tabwidth: 8}).Fprint(&b, fset, n); err != nil {
			return ""
		}
		return b.String()
	}
	text := func(s string) string { return strings.TrimSpace(string(p.Text(s))) }
	addFunc := func(key string, f *doc.Func) {
		f.Decl.Body = nil
		out[key] = Doc{Decl: decl(f.Decl), Doc: text(f.Doc)}
	}
	addValues := func(vs []*doc.Value) {
		for _, v := range vs {
			for _, n := range v.Names {
				if ast.IsExported(n) {
					out[n] = Doc{Decl: decl(v.Decl), Doc: text(v.Doc)}
				}
			}
		}
	}
	addValues(p.Consts)
	addValues(p.Vars)
	for _, f := range p.Funcs {
		addFunc(f.Name, f)
	}
	for _, t := range p.Types {
		out[t.Name] = Doc{Decl: decl(t.Decl), Doc: text(t.Doc)}
		addValues(t.Consts)
		addValues(t.Vars)
		for _, f := range t.Funcs {
			addFunc(f.Name, f)
		}
		for _, m := range t.Methods {
			addFunc(t.Name+"."+m.Name, m)
		}
	}
	return out, nil
}
