package modules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"

	yaegi "github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
)

// The modules of most tests: greet imports words, which has two versions;
// greet requires the older one and a package of a nested module.
var (
	wordsV1 = mod{"example.com/words", "v1.0.0", map[string]string{
		"go.mod":   "module example.com/words\n\ngo 1.22\n",
		"words.go": "package words\n\nfunc Hello() string { return \"hello\" }\n",
	}}
	wordsV2 = mod{"example.com/words", "v1.1.0", map[string]string{
		"go.mod":   "module example.com/words\n\ngo 1.22\n",
		"words.go": "package words\n\nfunc Hello() string { return \"hi\" }\n",
	}}
	greet = mod{"example.com/greet", "v1.0.0", map[string]string{
		"go.mod": "module example.com/greet\n\ngo 1.22\n\nrequire example.com/words v1.0.0\n",
		"greet.go": `package greet

import "example.com/words"

// Greeting is set before other vars because of its name, not its place:
// it depends on a function only.
var Greeting = greeting()

func greeting() string { return words.Hello() + ", " }

func Greet(name string) string { return Greeting + name }
`,
		// Excluded by a build constraint that only //go:build states:
		// yaegi alone would load it and fail on the duplicate.
		"greet_ignored.go": "//go:build ignore\n\npackage greet\n\nfunc Greet(name string) string { return name }\n",
		"greet_test.go":    "package greet\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) {}\n",
		"sub/sub.go":       "// +build !purego\n\npackage sub\n\nfunc F() int { return 1 }\n",
		"sub/pure.go":      "//go:build purego\n// +build purego\n\npackage sub\n\nfunc F() int { return 2 }\n",
		// gonum's convention: a body-less func implemented in assembly
		// unless the noasm tag picks the Go version.
		"asm/asm_amd64.go": "//go:build !noasm\n\npackage asm\n\nfunc F() int\n",
		"asm/asm_amd64.s":  "TEXT ·F(SB),4,$0-8\n\tRET\n",
		"asm/pure.go":      "//go:build noasm || !amd64\n\npackage asm\n\nfunc F() int { return 3 }\n",
		"cmd/tool/main.go": "package main\n\nfunc main() {}\n",
	}}
)

func open(t *testing.T, env map[string]string) *Cache {
	t.Helper()
	return openConfig(t, Config{Getenv: envMap(env).get})
}

// openConfig opens a cache in a fresh directory.
func openConfig(t *testing.T, cfg Config) *Cache {
	t.Helper()
	cfg.Dir = t.TempDir()
	c, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// eval runs src in a fresh interpreter on c's GOPATH and returns what the
// last expression gives, as a string.
func eval(t *testing.T, c *Cache, imports, expr string) string {
	t.Helper()
	in := yaegi.New(yaegi.Options{GoPath: c.GoPath()})
	if err := in.Use(stdlib.Symbols); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Eval(imports); err != nil {
		t.Fatalf("eval %q: %v", imports, err)
	}
	v, err := in.Eval(expr)
	if err != nil {
		t.Fatalf("eval %q: %v", expr, err)
	}
	return fmt.Sprint(v)
}

func TestGetImportAndOffline(t *testing.T) {
	ctx := context.Background()
	proxyDir := t.TempDir()
	env := map[string]string{"GOPROXY": writeProxy(t, proxyDir, wordsV1, wordsV2, greet)}
	c := open(t, env)

	res, err := c.Get(ctx, "example.com/greet")
	if err != nil {
		t.Fatal(err)
	}
	if want := (module.Version{Path: "example.com/greet", Version: "v1.0.0"}); res.Module != want {
		t.Errorf("Module = %v, want %v", res.Module, want)
	}
	if got, want := strings.Join(res.Packages, " "), "example.com/greet example.com/greet/asm example.com/greet/sub"; got != want {
		t.Errorf("Packages = %s, want %s (not the command)", got, want)
	}
	if len(res.Deps) != 1 || res.Deps[0] != (module.Version{Path: "example.com/words", Version: "v1.0.0"}) {
		t.Errorf("Deps = %v, want example.com/words@v1.0.0 (what greet requires, not the latest)", res.Deps)
	}
	if got := eval(t, c, `import "example.com/greet"`, `greet.Greet("gopher")`); got != "hello, gopher" {
		t.Errorf("greet.Greet = %q, want %q", got, "hello, gopher")
	}
	if got := eval(t, c, `import "example.com/greet/sub"`, `sub.F()`); got != "2" {
		t.Errorf("sub.F() = %s, want 2 (the purego file)", got)
	}
	if got := eval(t, c, `import "example.com/greet/asm"`, `asm.F()`); got != "3" {
		t.Errorf("asm.F() = %s, want 3 (the noasm file)", got)
	}

	// The proxy goes away: pinned versions and "latest" come from the cache.
	if err := os.RemoveAll(proxyDir); err != nil {
		t.Fatal(err)
	}
	for _, proxy := range []string{"off", "http://127.0.0.1:1"} {
		env["GOPROXY"] = proxy
		if _, err := c.Get(ctx, "example.com/greet@v1.0.0"); err != nil {
			t.Errorf("GOPROXY=%s: pinned version from the cache: %v", proxy, err)
		}
		res, err := c.Get(ctx, "example.com/greet")
		if err != nil {
			t.Errorf("GOPROXY=%s: latest from the cache: %v", proxy, err)
			continue
		}
		if len(res.Notes) == 0 || !strings.Contains(res.Notes[0], "from the cache") {
			t.Errorf("GOPROXY=%s: notes %q do not say the cache was used", proxy, res.Notes)
		}
	}
	_, err = c.Get(ctx, "example.com/greet@v1.2.0")
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("uncached version with the proxy down: got %v, want ErrUnreachable", err)
	}
}

func TestChecksumMismatch(t *testing.T) {
	ctx := context.Background()
	proxyDir := t.TempDir()
	env := map[string]string{"GOPROXY": writeProxy(t, proxyDir, wordsV1)}
	c := open(t, env)
	if _, err := c.Get(ctx, "example.com/words@v1.0.0"); err != nil {
		t.Fatal(err)
	}
	cached := filepath.Join(c.Dir(), "download", "example.com", "words", "@v", "v1.0.0.zip")

	// The same version, republished with other content.
	changed := wordsV1
	changed.files = map[string]string{"go.mod": wordsV1.files["go.mod"], "words.go": "package words\n\nfunc Hello() string { return \"pwned\" }\n"}
	writeProxy(t, proxyDir, changed)
	for _, f := range []string{cached, filepath.Join(c.GoPath(), "src", "example.com", "words")} {
		if err := os.RemoveAll(f); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.Get(ctx, "example.com/words@v1.0.0")
	var ce *ChecksumError
	if !errors.As(err, &ce) || !ce.FromProxy {
		t.Fatalf("changed zip from the proxy: got %v, want a ChecksumError from the proxy", err)
	}
	if _, statErr := os.Stat(cached); statErr == nil {
		t.Error("the rejected zip was kept in the cache")
	}

	// A cache changed behind our back is caught too (the zip is checked
	// whenever it is laid out).
	writeProxy(t, proxyDir, wordsV1)
	if _, err := c.Get(ctx, "example.com/words@v1.0.0"); err != nil {
		t.Fatalf("original zip again: %v", err)
	}
	if err := os.RemoveAll(filepath.Join(c.GoPath(), "src", "example.com", "words")); err != nil {
		t.Fatal(err)
	}
	changedZip := filepath.Join(t.TempDir(), "p")
	writeProxy(t, changedZip, changed)
	evil, err := os.ReadFile(filepath.Join(changedZip, "example.com", "words", "@v", "v1.0.0.zip"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, cached, string(evil))
	_, err = c.Get(ctx, "example.com/words@v1.0.0")
	if !errors.As(err, &ce) || ce.FromProxy {
		t.Fatalf("changed zip in the cache: got %v, want a ChecksumError about the cache", err)
	}
}

func TestGetErrors(t *testing.T) {
	cgo := mod{"example.com/cgo", "v1.0.0", map[string]string{
		"go.mod": "module example.com/cgo\n\ngo 1.22\n",
		"c.go":   "package cgo\n\n// int two(void) { return 2; }\nimport \"C\"\n\nfunc Two() int { return int(C.two()) }\n",
	}}
	asm := mod{"example.com/asm", "v1.0.0", map[string]string{
		"go.mod":   "module example.com/asm\n\ngo 1.22\n",
		"add.go":   "package asm\n\nfunc Add(a, b int) int\n",
		"add.s":    "TEXT ·Add(SB),4,$0\n\tRET\n",
		"other.go": "package asm\n",
	}}
	usesCgo := mod{"example.com/usescgo", "v1.0.0", map[string]string{
		"go.mod": "module example.com/usescgo\n\ngo 1.22\n\nrequire example.com/cgo v1.0.0\n",
		"u.go":   "package usescgo\n\nimport \"example.com/cgo\"\n\nvar X = cgo.Two()\n",
	}}
	// A cgo package with a pure-Go fallback is fine.
	fallback := mod{"example.com/fallback", "v1.0.0", map[string]string{
		"go.mod":  "module example.com/fallback\n\ngo 1.22\n",
		"c.go":    "package fallback\n\nimport \"C\"\n\nfunc F() int { return 1 }\n",
		"pure.go": "//go:build !cgo\n\npackage fallback\n\nfunc F() int { return 2 }\n",
	}}
	missingDep := mod{"example.com/missing", "v1.0.0", map[string]string{
		"go.mod": "module example.com/missing\n\ngo 1.22\n",
		"m.go":   "package missing\n\nimport _ \"example.com/nowhere/pkg\"\n",
	}}
	badPath := mod{"example.com/liar", "v1.0.0", map[string]string{
		"go.mod": "module example.com/someoneelse\n\ngo 1.22\n",
		"l.go":   "package liar\n",
	}}
	proxyDir := t.TempDir()
	goproxy := writeProxy(t, proxyDir, cgo, asm, usesCgo, fallback, missingDep, wordsV1)
	write(t, filepath.Join(proxyDir, "example.com", "liar", "@v", "list"), "v1.0.0\n")
	write(t, filepath.Join(proxyDir, "example.com", "liar", "@v", "v1.0.0.mod"), badPath.files["go.mod"])
	write(t, filepath.Join(proxyDir, "example.com", "badzip", "@v", "list"), "v1.0.0\n")
	write(t, filepath.Join(proxyDir, "example.com", "badzip", "@v", "v1.0.0.mod"), "module example.com/badzip\n")
	write(t, filepath.Join(proxyDir, "example.com", "badzip", "@v", "v1.0.0.zip"), "this is not a zip")

	tests := []struct {
		name, query string
		env         map[string]string
		want        string
		is          error
	}{
		{"unknown module", "example.com/nope@v1.0.0", nil, "no module provides example.com/nope", ErrNotFound},
		{"unknown version", "example.com/words@v1.9.9", nil, "no module provides example.com/words", ErrNotFound},
		{"cgo", "example.com/cgo", nil, `package example.com/cgo uses cgo (import "C" in c.go)`, nil},
		{"cgo dependency", "example.com/usescgo", nil, `package example.com/usescgo imports example.com/cgo: uses cgo`, nil},
		{"assembly", "example.com/asm", nil, "declares Add without a body at add.go:3, implemented in assembly", nil},
		{"import outside the requirements", "example.com/missing", nil, "package example.com/missing imports example.com/nowhere/pkg: no module in the requirements of example.com/missing provides it", nil},
		{"module path mismatch", "example.com/liar@v1.0.0", nil, "go.mod of example.com/liar@v1.0.0 says module example.com/someoneelse", nil},
		{"bad zip", "example.com/badzip@v1.0.0", nil, "zip of example.com/badzip@v1.0.0 is not a valid module zip", nil},
		{"standard library", "encoding/json", nil, "go get encoding/json: encoding/json is a standard library path: import it directly", nil},
		{"no dot, not in the standard library", "mylib/sub", nil, `go get mylib/sub: malformed module path "mylib": missing dot in first path element; nor is mylib/sub a standard library package cells can import`, nil},
		{"bad first element", "Example.com/x", nil, `malformed module path "Example.com": invalid char 'E' in first path element`, nil},
		{"bad path", "example.com/a b", nil, "go get example.com/a b: malformed import path", nil},
		{"compiled in", "github.com/go-zeromq/zmq4", nil, "github.com/go-zeromq/zmq4 is compiled into the kernel already", ErrCompiledIn},
		{"compiled in, at a version", "github.com/go-zeromq/zmq4@v0.16.0", nil, "github.com/go-zeromq/zmq4 is compiled into the kernel already", ErrCompiledIn},
		{"proxy off, empty cache", "example.com/words", map[string]string{"GOPROXY": "off"}, "no version of it is in the cache", ErrProxyOff},
		{"direct only", "example.com/words", map[string]string{"GOPROXY": "direct"}, "not from version control", nil},
		{"GONOPROXY", "example.com/words", map[string]string{"GONOPROXY": "example.com"}, "matches GONOPROXY/GOPRIVATE", nil},
		{"readonly go.sum", "example.com/words@v1.0.0", map[string]string{"GOFLAGS": "-mod=readonly"}, "missing go.sum entry for example.com/words@v1.0.0/go.mod", nil},
		{"vendor", "example.com/words", map[string]string{"GOFLAGS": "-mod=vendor"}, "GOFLAGS=-mod=vendor", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"GOPROXY": goproxy}
			for k, v := range tt.env {
				env[k] = v
			}
			c := openConfig(t, Config{
				Getenv:   envMap(env).get,
				Std:      []string{"encoding/json", "fmt"},
				Compiled: []string{"github.com/go-zeromq/zmq4"},
			})
			_, err := c.Get(context.Background(), tt.query)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Get(%q) error = %v, want one containing %q", tt.query, err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("Get(%q) error = %v, want it to wrap %v", tt.query, err, tt.is)
			}
		})
	}

	t.Run("cgo with a pure-Go fallback", func(t *testing.T) {
		c := open(t, map[string]string{"GOPROXY": goproxy})
		if _, err := c.Get(context.Background(), "example.com/fallback"); err != nil {
			t.Fatal(err)
		}
		if got := eval(t, c, `import "example.com/fallback"`, `fallback.F()`); got != "2" {
			t.Errorf("fallback.F() = %s, want 2", got)
		}
	})
}

func TestVersionConflict(t *testing.T) {
	ctx := context.Background()
	c := open(t, map[string]string{"GOPROXY": writeProxy(t, t.TempDir(), wordsV1, wordsV2, greet)})
	// Asked for by name: v1.1.0. greet needs only v1.0.0, which does not
	// downgrade it.
	if _, err := c.Get(ctx, "example.com/words@v1.1.0"); err != nil {
		t.Fatal(err)
	}
	res, err := c.Get(ctx, "example.com/greet")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Deps) != 1 || res.Deps[0].Version != "v1.1.0" {
		t.Errorf("Deps = %v, want words kept at v1.1.0", res.Deps)
	}
	// Asked for by name again, lower: that replaces it, with a note.
	res, err = c.Get(ctx, "example.com/words@v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "replaced example.com/words v1.1.0 with v1.0.0") {
		t.Errorf("Notes = %q, want one about the replacement", res.Notes)
	}
	if got := eval(t, c, `import "example.com/greet"`, `greet.Greet("x")`); got != "hello, x" {
		t.Errorf("after the downgrade greet.Greet = %q", got)
	}
	mods, err := c.Downloaded()
	if err != nil {
		t.Fatal(err)
	}
	want := []Module{
		{module.Version{Path: "example.com/greet", Version: "v1.0.0"}, true},
		{module.Version{Path: "example.com/words", Version: "v1.0.0"}, true},
	}
	if len(mods) != len(want) || mods[0] != want[0] || mods[1] != want[1] {
		t.Errorf("Downloaded() = %v, want %v", mods, want)
	}
}

func TestGetPackagePath(t *testing.T) {
	c := open(t, map[string]string{"GOPROXY": writeProxy(t, t.TempDir(), wordsV1, greet)})
	res, err := c.Get(context.Background(), "example.com/greet/sub")
	if err != nil {
		t.Fatal(err)
	}
	if res.Module.Path != "example.com/greet" || len(res.Packages) != 1 || res.Packages[0] != "example.com/greet/sub" {
		t.Errorf("Get(example.com/greet/sub) = %+v, want the sub package of module example.com/greet", res)
	}
}

// TestGoVersionPruning checks that the requirements of a target at go ≥
// 1.17 are taken from its go.mod alone: their go.mod files (here, of a
// module no proxy has) are not loaded.
func TestGoVersionPruning(t *testing.T) {
	tests := []struct {
		goVersion string
		pruned    bool
	}{
		{"1.16", false},
		{"1.17", true},
		{"1.21rc1", true},
		{"1.22.3", true},
	}
	for _, tt := range tests {
		t.Run(tt.goVersion, func(t *testing.T) {
			target := mod{"example.com/pruned", "v1.0.0", map[string]string{
				"go.mod": "module example.com/pruned\n\ngo " + tt.goVersion + "\n\nrequire example.com/gone v1.0.0\n",
				"p.go":   "package pruned\n",
			}}
			c := open(t, map[string]string{"GOPROXY": writeProxy(t, t.TempDir(), target)})
			_, err := c.Get(context.Background(), "example.com/pruned")
			switch {
			case tt.pruned && err != nil:
				t.Errorf("go %s: Get loaded the requirements' go.mod files: %v", tt.goVersion, err)
			case !tt.pruned && !errors.Is(err, ErrNotFound):
				t.Errorf("go %s: Get error = %v, want the missing go.mod of example.com/gone (a graph below go 1.17 is not pruned)", tt.goVersion, err)
			}
		})
	}
}

func TestMagic(t *testing.T) {
	c, err := Open(Config{
		Dir:      t.TempDir(),
		Getenv:   envMap{"GOPROXY": writeProxy(t, t.TempDir(), wordsV1, greet)}.get,
		Std:      []string{"fmt", "strings"},
		Compiled: []string{"github.com/go-zeromq/zmq4"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var out bytes.Buffer
	if err := c.Magic(ctx, []string{"get", "example.com/greet@v1.0.0"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"go: got example.com/greet v1.0.0", `import "example.com/greet"`, "example.com/words@v1.0.0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("%%go get printed %q, want it to contain %q", out.String(), want)
		}
	}
	out.Reset()
	// A compiled-in module is a note, not an error: notebooks written for
	// other kernels get it.
	if err := c.Magic(ctx, []string{"get", "github.com/go-zeromq/zmq4@v0.17.0"}, &out); err != nil {
		t.Errorf("%%go get of a compiled-in module: %v", err)
	}
	if want := "go: github.com/go-zeromq/zmq4 is compiled into this kernel: import it directly (at the version"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("%%go get of a compiled-in module printed %q, want %q…", out.String(), want)
	}
	out.Reset()
	if err := c.Magic(ctx, []string{"list"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"example.com/greet v1.0.0\n", "example.com/words v1.0.0  (dependency)", "github.com/go-zeromq/zmq4", "Standard library: 2 packages"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("%%go list printed %q, want it to contain %q", out.String(), want)
		}
	}
	for _, args := range [][]string{nil, {"get"}, {"build"}, {"list", "all"}, {"get", "-u", "x"}} {
		if err := c.Magic(ctx, args, &out); err == nil {
			t.Errorf("Magic(%q) = nil, want a usage error", args)
		}
	}
}

type envMap map[string]string

// get reads the map. GOSUMDB is off unless a test sets it: the test
// modules are made up, so the real checksum database does not know them
// (sumdb_test.go runs a database of its own).
func (m envMap) get(k string) string {
	if v, ok := m[k]; ok || k != "GOSUMDB" {
		return v
	}
	return "off"
}

// TestGetLaysOutAgainWithNewTags: a module laid out with other build tags
// (by an older gokernel) is laid out again by the next Get, at its version.
func TestGetLaysOutAgainWithNewTags(t *testing.T) {
	ctx := context.Background()
	c := open(t, map[string]string{"GOPROXY": writeProxy(t, t.TempDir(), wordsV1, wordsV2, greet)})
	if _, err := c.Get(ctx, "example.com/greet@v1.0.0"); err != nil {
		t.Fatal(err)
	}
	l, err := loadLayout(filepath.Dir(c.GoPath()))
	if err != nil {
		t.Fatal(err)
	}
	for path, m := range l.Modules {
		m.Tags = "purego"
		l.Modules[path] = m
	}
	if err := l.save(); err != nil {
		t.Fatal(err)
	}
	pure := filepath.Join(c.GoPath(), "src", "example.com", "greet", "asm", "pure.go")
	if err := os.Remove(pure); err != nil {
		t.Fatal(err)
	}
	res, err := c.Get(ctx, "example.com/greet@v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pure); err != nil {
		t.Errorf("greet was not laid out again: %v", err)
	}
	for _, n := range res.Notes {
		if strings.Contains(n, "replaced") {
			t.Errorf("note %q; the version did not change", n)
		}
	}
	if l, _ = loadLayout(filepath.Dir(c.GoPath())); l.Modules["example.com/words"].Version != "v1.0.0" || l.Modules["example.com/greet"].Tags != "noasm,purego" {
		t.Errorf("layout after: %+v", l.Modules)
	}
}
