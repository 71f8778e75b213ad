package modules

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"go/version"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// Result is what a [Cache.Get] made available.
type Result struct {
	// Module is the module that provides the package asked for, at the
	// version laid out.
	Module module.Version
	// Packages are the packages cells can now import: the one asked
	// for, or every usable package of the module when a module was asked
	// for.
	Packages []string
	// Deps are the other modules laid out for them.
	Deps []module.Version
	// Notes say what a user should know: a version replaced in the
	// GOPATH, a cached version used because the proxy was unreachable,
	// packages of the module that cannot be interpreted and why.
	Notes []string
}

// ErrCompiledIn is wrapped by the error of a Get of a package compiled into
// the kernel: nothing to download, cells import it directly.
var ErrCompiledIn = errors.New("compiled into the kernel")

// getter is the state of one Get, which runs under the cache lock.
type getter struct {
	c      *Cache
	s      *settings
	sums   *sums
	ctxt   build.Context
	mods   map[module.Version]*modfile.File
	layout *layout
	build  map[string]string // module path → selected version
	laid   map[string]string // module path → version laid out during this Get
	pkgs   map[string]error  // import path → why it is unusable (nil: usable or in progress)
	notes  []string
	target string // the module path asked for
}

// Get downloads the module that provides query ("path" or "path@version",
// where path is a module or a package path and version a semantic version,
// "latest", or anything the proxy resolves, such as a branch) with what its
// packages import, verifies them and lays them out under [Cache.GoPath].
//
// A version already in the cache needs no network. When the proxy cannot
// be reached, "latest" means the highest version in the cache, and a note
// says so. A path in [Config.Std] or [Config.Compiled] is an error, before
// any network access: cells import it directly.
func (c *Cache) Get(ctx context.Context, query string) (*Result, error) {
	p, q, _ := strings.Cut(strings.TrimSpace(query), "@")
	if err := module.CheckImportPath(p); err != nil {
		return nil, fmt.Errorf("go get %s: %w", query, err)
	}
	// Every candidate module path starts with p's first element, so one
	// that cannot start a module path rules them all out.
	first, _, _ := strings.Cut(p, "/")
	if err := module.CheckPath(first); err != nil {
		if _, std := slices.BinarySearch(c.std, p); std {
			return nil, fmt.Errorf("go get %s: %s is a standard library path: import it directly", query, p)
		}
		if !strings.Contains(first, ".") {
			// unsafe, plugin, syscall/js: a standard library path without
			// a table in this kernel, or a typo.
			return nil, fmt.Errorf("go get %s: %w; nor is %s a standard library package cells can import", query, err, p)
		}
		return nil, fmt.Errorf("go get %s: %w", query, err)
	}
	// yaegi imports a compiled-in package rather than its source, so a
	// download would go unused.
	if c.compiled[p] {
		return nil, fmt.Errorf("go get %s: %s is compiled into the kernel already: import it directly (cells get the version the kernel was built with): %w", query, p, ErrCompiledIn)
	}
	s, err := c.settings()
	if err != nil {
		return nil, fmt.Errorf("go get %s: %w", query, err)
	}
	unlock, err := c.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	g := &getter{
		c: c, s: s,
		ctxt:  buildContext(c.GoPath(), false),
		mods:  make(map[module.Version]*modfile.File),
		laid:  make(map[string]string),
		pkgs:  make(map[string]error),
		build: make(map[string]string),
	}
	if g.sums, err = loadSums(filepath.Join(c.dir, "go.sum"), s.readonly); err != nil {
		return nil, fmt.Errorf("go get %s: %w", query, err)
	}
	if !s.sumdb.off {
		g.sums.verify = newSumDBVerifier(ctx, s.sumdb, s.proxy, c.dir).verify
	}
	if g.layout, err = loadLayout(c.dir); err != nil {
		return nil, fmt.Errorf("go get %s: %w", query, err)
	}
	res, err := g.get(ctx, p, q)
	if werr := g.layout.save(); err == nil && werr != nil {
		err = werr
	}
	if err != nil {
		return nil, fmt.Errorf("go get %s: %w", query, err)
	}
	return res, nil
}

func (g *getter) get(ctx context.Context, pkg, query string) (*Result, error) {
	target, err := g.resolve(ctx, pkg, query)
	if err != nil {
		return nil, err
	}
	g.target = target.Path
	if err := g.buildList(ctx, target); err != nil {
		return nil, err
	}
	v, err := g.lay(ctx, target, true)
	if err != nil {
		return nil, err
	}
	res := &Result{Module: module.Version{Path: target.Path, Version: v}}

	// A package asked for must work; for a module, every package that
	// works is offered and the others are noted.
	if pkg != target.Path {
		if err := g.importPkg(ctx, pkg); err != nil {
			return nil, err
		}
		res.Packages = []string{pkg}
	} else {
		all, err := g.modulePackages(target.Path)
		if err != nil {
			return nil, err
		}
		for _, p := range all {
			if err := g.importPkg(ctx, p); err != nil {
				if p == target.Path {
					return nil, err
				}
				g.notes = append(g.notes, fmt.Sprintf("not usable in cells: %v", err))
				continue
			}
			res.Packages = append(res.Packages, p)
		}
		if len(res.Packages) == 0 {
			return nil, fmt.Errorf("module %s has no package that cells can import", res.Module)
		}
	}
	for path, v := range g.laid {
		if path != target.Path {
			res.Deps = append(res.Deps, module.Version{Path: path, Version: v})
		}
	}
	module.Sort(res.Deps)
	res.Notes = g.notes
	return res, nil
}

// resolve finds the module providing pkg and its version for query, trying
// pkg and then each parent path as the module path, as "go get" does.
func (g *getter) resolve(ctx context.Context, pkg, query string) (module.Version, error) {
	var firstErr error
	for mod := pkg; mod != ""; mod = parent(mod) {
		if module.CheckPath(mod) != nil {
			continue
		}
		v, err := g.version(ctx, mod, query)
		if err == nil {
			m := module.Version{Path: mod, Version: v}
			if _, err = g.goMod(ctx, m); err == nil {
				return m, nil
			}
		}
		if !errors.Is(err, ErrNotFound) && !offline(err) {
			return module.Version{}, err
		}
		// Prefer the most telling error: "unreachable" over "not found".
		if firstErr == nil || (errors.Is(firstErr, ErrNotFound) && !errors.Is(err, ErrNotFound)) {
			firstErr = err
		}
	}
	if errors.Is(firstErr, ErrNotFound) {
		return module.Version{}, fmt.Errorf("no module provides %s: %w", pkg, firstErr)
	}
	return module.Version{}, fmt.Errorf("cannot look up the module of %s, and no version of it is in the cache: %w", pkg, firstErr)
}

// version resolves query for module mod.
func (g *getter) version(ctx context.Context, mod, query string) (string, error) {
	switch {
	case semver.IsValid(query) && semver.Canonical(query) == query:
		if err := module.Check(mod, query); err != nil {
			return "", err
		}
		return query, nil
	case query == "" || query == "latest":
		v, err := g.s.proxy.latest(ctx, mod)
		if offline(err) {
			if cached := g.c.cachedLatest(mod); cached != "" {
				g.notes = append(g.notes, fmt.Sprintf("using %s@%s from the cache: %v", mod, cached, err))
				return cached, nil
			}
		}
		return v, err
	default:
		return g.s.proxy.query(ctx, mod, query)
	}
}

func offline(err error) bool {
	return errors.Is(err, ErrUnreachable) || errors.Is(err, ErrProxyOff)
}

// cachedLatest is the highest version of mod whose zip is in the cache.
func (c *Cache) cachedLatest(mod string) string {
	dir, err := escaped(mod)
	if err != nil {
		return ""
	}
	names, _ := filepath.Glob(filepath.Join(c.downloadPath(dir), "*.zip"))
	var versions []string
	for _, n := range names {
		if v, err := module.UnescapeVersion(strings.TrimSuffix(filepath.Base(n), ".zip")); err == nil {
			versions = append(versions, v)
		}
	}
	return maxVersion(versions)
}

// buildList selects a version of every module in target's requirement
// graph by minimal version selection. The graph is pruned as the go
// command prunes it for a go ≥ 1.17 main module that requires target: the
// requirements of a go ≥ 1.17 module are taken from its go.mod without
// loading theirs (its go.mod lists everything its packages need), while
// a module below go 1.17 brings in its whole requirement graph.
func (g *getter) buildList(ctx context.Context, target module.Version) error {
	visited := make(map[module.Version]bool)
	var visit func(m module.Version, unpruned bool) error
	visit = func(m module.Version, unpruned bool) error {
		if visited[m] {
			return nil
		}
		visited[m] = true
		f, err := g.goMod(ctx, m)
		if err != nil {
			return err
		}
		for _, r := range f.Require {
			if semver.Compare(r.Mod.Version, g.build[r.Mod.Path]) > 0 {
				g.build[r.Mod.Path] = r.Mod.Version
			}
		}
		// go/version, not semver: "1.21rc1" is no semantic version.
		if !unpruned && f.Go != nil && version.Compare("go"+f.Go.Version, "go1.17") >= 0 {
			return nil
		}
		for _, r := range f.Require {
			if err := visit(r.Mod, true); err != nil {
				return fmt.Errorf("%s requires %s: %w", m, r.Mod, err)
			}
		}
		return nil
	}
	if err := visit(target, false); err != nil {
		return err
	}
	// The version asked for wins, as with "go get m@v".
	g.build[target.Path] = target.Version
	return nil
}

// importPkg makes sure package p and everything it imports is laid out
// and interpretable.
func (g *getter) importPkg(ctx context.Context, p string) error {
	if isStd(p) || g.c.compiled[p] {
		return nil
	}
	if err, ok := g.pkgs[p]; ok {
		return err // nil also while p is being checked: an import cycle
	}
	g.pkgs[p] = nil
	err := g.checkPkg(ctx, p)
	g.pkgs[p] = err
	return err
}

func (g *getter) checkPkg(ctx context.Context, p string) error {
	mod := ""
	for m := p; m != ""; m = parent(m) {
		if _, ok := g.build[m]; ok {
			mod = m
			break
		}
	}
	if mod == "" {
		return fmt.Errorf("package %s: no module in the requirements of %s provides it", p, g.target)
	}
	if _, err := g.lay(ctx, module.Version{Path: mod, Version: g.build[mod]}, false); err != nil {
		return err
	}
	dir := filepath.Join(g.c.GoPath(), "src", filepath.FromSlash(p))
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("package %s: module %s@%s has no such directory", p, mod, g.build[mod])
	}
	pkg, err := g.ctxt.ImportDir(dir, 0)
	var noGo *build.NoGoError
	switch {
	case errors.As(err, &noGo):
		if file := cgoFile(dir); file != "" {
			return fmt.Errorf("package %s uses cgo (import \"C\" in %s) and has no pure-Go version: yaegi cannot interpret it; compile it into the kernel with gokernel build --with", p, file)
		}
		return fmt.Errorf("package %s has no Go files for %s/%s", p, g.ctxt.GOOS, g.ctxt.GOARCH)
	case err != nil:
		return fmt.Errorf("package %s: %w", p, err)
	case pkg.Name == "main":
		return fmt.Errorf("package %s is a command (package main), not a library", p)
	}
	if err := checkBodies(dir, pkg); err != nil {
		return fmt.Errorf("package %s %w: yaegi cannot interpret it; compile it into the kernel with gokernel build --with", p, err)
	}
	for _, imp := range pkg.Imports {
		if err := g.importPkg(ctx, imp); err != nil {
			return fmt.Errorf("package %s imports %s: %w", p, imp, trimPrefix(err, "package "+imp))
		}
	}
	return nil
}

// trimPrefix drops the "package X " that an error about X starts with
// when the caller already names X, so chains read "A imports B: uses cgo".
func trimPrefix(err error, prefix string) error {
	if s, ok := strings.CutPrefix(err.Error(), prefix); ok && (strings.HasPrefix(s, " ") || strings.HasPrefix(s, ": ")) {
		return &prefixedError{msg: strings.TrimPrefix(strings.TrimPrefix(s, ":"), " "), err: err}
	}
	return err
}

type prefixedError struct {
	msg string
	err error
}

func (e *prefixedError) Error() string { return e.msg }
func (e *prefixedError) Unwrap() error { return e.err }

// checkBodies reports a function declared without a body: it is
// implemented in assembly (or pulled in with go:linkname), neither of which
// an interpreter can run.
func checkBodies(dir string, pkg *build.Package) error {
	fset := token.NewFileSet()
	for _, name := range pkg.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body == nil {
				how := "in assembly"
				if len(pkg.SFiles) == 0 {
					how = "elsewhere (go:linkname)"
				}
				pos := fset.Position(fd.Pos())
				return fmt.Errorf("declares %s without a body at %s:%d, implemented %s", fd.Name.Name, name, pos.Line, how)
			}
		}
	}
	return nil
}

// cgoFile is an excluded file of dir that imports "C", if there is one.
func cgoFile(dir string) string {
	names, _ := filepath.Glob(filepath.Join(dir, excludedPrefix+"*.go"))
	fset := token.NewFileSet()
	for _, n := range names {
		f, err := parser.ParseFile(fset, n, nil, parser.ImportsOnly)
		if err != nil {
			continue
		}
		for _, imp := range f.Imports {
			if v, _ := strconv.Unquote(imp.Path.Value); v == "C" {
				return strings.TrimPrefix(filepath.Base(n), excludedPrefix)
			}
		}
	}
	return ""
}

// modulePackages lists the packages of module mod as laid out: every
// directory with Go files, except testdata and directories the go command
// ignores.
func (g *getter) modulePackages(mod string) ([]string, error) {
	root := filepath.Join(g.c.GoPath(), "src", filepath.FromSlash(mod))
	var pkgs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if p != root && (name == "testdata" || strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") || g.layout.isModuleRoot(mod, p, root)) {
			return filepath.SkipDir
		}
		if hasGoFiles(p) {
			rel, _ := filepath.Rel(root, p)
			pkgs = append(pkgs, path.Join(mod, filepath.ToSlash(rel)))
		}
		return nil
	})
	slices.Sort(pkgs)
	return pkgs, err
}

func hasGoFiles(dir string) bool {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		// Excluded files count: a package that is all cgo is still one
		// that Get should explain.
		n := strings.TrimPrefix(e.Name(), excludedPrefix)
		if !e.IsDir() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") && !strings.HasPrefix(n, "_") {
			return true
		}
	}
	return false
}

// layoutTags are the build tags of the layout: the two conventions for
// "no assembly" (purego, the Go project's; noasm, gonum's and others'), so
// packages with assembly use their pure-Go fallbacks where they have one.
// A module laid out with other tags is laid out again by the next Get that
// needs it.
var layoutTags = []string{"noasm", "purego"}

// buildContext is the build context of the layout: this process's GOOS
// and GOARCH, cgo off and the layout tags.
func buildContext(gopath string, cgo bool) build.Context {
	ctxt := build.Default
	ctxt.GOOS, ctxt.GOARCH = runtime.GOOS, runtime.GOARCH
	ctxt.GOPATH = gopath
	ctxt.CgoEnabled = cgo
	ctxt.BuildTags = slices.Clone(layoutTags)
	return ctxt
}

// isStd reports whether an import path is in the standard library: its
// first element has no dot, as the go command decides. It classifies the
// imports of downloaded packages; a path asked for by name is called
// standard only if it is in the [Config.Std] list.
func isStd(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".")
}

// parent is the path without its last element, "" for a single element.
func parent(p string) string {
	if i := strings.LastIndex(p, "/"); i > 0 {
		return p[:i]
	}
	return ""
}
