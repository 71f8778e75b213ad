package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/tools/go/packages"

	"github.com/gokernel/gokernel/interp/exports/extract"
)

// The build subcommand makes a kernel binary with more packages compiled in,
// the way xcaddy makes a custom Caddy:
//
//	gokernel build --with gonum.org/v1/plot@v0.15.0 --with gonum.org/v1/plot/plotter -o gokernel-plot
//
// It needs a Go toolchain and the gokernel source (a checkout: --src, or
// the module of the current directory). It never changes that source: it
// writes a scratch module that requires gokernel (replaced by the source
// directory) and the --with modules, writes the packages' symbol tables
// there (package extract, from the compiler's export data), and builds
// cmd/gokernel with those tables laid over
// interp/exports/internal/extracted by "go build -overlay". The
// generated files register themselves in extracted.Symbols from init
// functions, as the go:generate'd ones do, so interp/exports serves them
// to cells with no further change.

const buildUsage = `Usage: gokernel build --with MODULE[@VERSION][=DIR] ... [-o FILE] [--src DIR] [-v]

Builds a gokernel binary with the packages named by --with compiled in:
cells import them as usual and run them at native speed. Needs a Go
toolchain; GOOS, GOARCH and the other go command variables apply.

--with takes a package path: the root package of a module
(gonum.org/v1/plot), a package inside one (gonum.org/v1/plot/plotter), or a
pattern (gonum.org/v1/plot/...: every package but internal ones and
commands). @VERSION pins the module's version (default: latest). =DIR uses
the module in a local directory instead of downloading it.

`

// withArg is one --with argument.
type withArg struct {
	path    string // package path or pattern
	version string // "" for latest
	dir     string // a local module directory, or ""
}

// parseWith parses MODULE[@VERSION][=DIR]. A separator with nothing after
// it is an error: "m=" with an empty directory would otherwise download
// m@latest, the opposite of what the = asked for.
func parseWith(arg string) (withArg, error) {
	var w withArg
	s, dir, hasDir := strings.Cut(arg, "=")
	path, version, hasVersion := strings.Cut(s, "@")
	switch {
	case hasDir && hasVersion:
		return w, fmt.Errorf("--with %q: give a version or a directory, not both", arg)
	case hasDir && dir == "":
		return w, fmt.Errorf("--with %q: empty directory after =", arg)
	case hasVersion && version == "":
		return w, fmt.Errorf("--with %q: empty version after @", arg)
	}
	if err := module.CheckImportPath(strings.TrimSuffix(path, "/...")); err != nil {
		return w, fmt.Errorf("--with %q: %v", arg, err)
	}
	if first, _, _ := strings.Cut(path, "/"); !strings.Contains(first, ".") {
		return w, fmt.Errorf("--with %q: a standard library package; cells have those already", arg)
	}
	return withArg{path: path, version: version, dir: dir}, nil
}

type withFlag []withArg

func (f *withFlag) String() string { return fmt.Sprint(*f) }
func (f *withFlag) Set(s string) error {
	w, err := parseWith(s)
	if err != nil {
		return err
	}
	*f = append(*f, w)
	return nil
}

func runBuild(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gokernel build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var with withFlag
	fs.Var(&with, "with", "a package to compile in, `MODULE[@VERSION][=DIR]` (repeatable)")
	out := fs.String("o", "gokernel", "the binary to write")
	src := fs.String("src", "", "the gokernel source `DIR` (default: the module of the current directory)")
	verbose := fs.Bool("v", false, "print the go commands run")
	fs.Usage = func() {
		fmt.Fprint(stderr, buildUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 || len(with) == 0 {
		fmt.Fprintln(stderr, "gokernel build: want at least one --with and no other arguments")
		fs.Usage()
		return 2
	}
	b := &builder{with: with, stdout: stdout, stderr: stderr, verbose: *verbose}
	start := time.Now()
	if err := b.run(context.Background(), *src, *out); err != nil {
		fmt.Fprintf(stderr, "gokernel build: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "gokernel build: wrote %s with %s compiled in (%s)\n", *out, strings.Join(b.extracted, ", "), time.Since(start).Round(time.Second))
	return 0
}

// builder is one run of gokernel build.
type builder struct {
	with           []withArg
	stdout, stderr io.Writer
	verbose        bool

	goTool    string
	src, work string
	extracted []string // the packages compiled in by this build
}

func (b *builder) run(ctx context.Context, srcFlag, out string) error {
	var err error
	if b.goTool, err = exec.LookPath("go"); err != nil {
		return errors.New("needs a Go toolchain, and go is not in PATH: install one from https://go.dev/dl (only the machine that builds needs it)")
	}
	if b.src, err = findSource(srcFlag); err != nil {
		return err
	}
	if out, err = filepath.Abs(out); err != nil {
		return err
	}
	if b.work, err = os.MkdirTemp("", "gokernel-build-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.work)

	if err := b.writeModule(); err != nil {
		return err
	}
	for _, w := range b.with {
		if w.dir != "" {
			continue
		}
		v := w.version
		if v == "" {
			v = "latest"
		}
		if _, err := b.goCmd(ctx, b.work, nil, "get", w.path+"@"+v); err != nil {
			return fmt.Errorf("--with %s@%s: %w", w.path, v, err)
		}
	}
	pkgs, err := b.packages(ctx)
	if err != nil {
		return err
	}
	have := compiledIn(filepath.Join(b.src, extractedDir))
	var want []string
	for _, p := range pkgs {
		if have[p] {
			fmt.Fprintf(b.stderr, "gokernel build: %s is compiled in already\n", p)
			continue
		}
		want = append(want, p)
	}
	if len(want) == 0 {
		return errors.New("nothing to compile in that the kernel does not have")
	}
	overlay, err := b.extract(ctx, want)
	if err != nil {
		return err
	}
	_, err = b.goCmd(ctx, b.work, nil, "build", "-overlay", overlay, "-o", out, gokernelModule+"/cmd/gokernel")
	return err
}

const (
	gokernelModule = "github.com/gokernel/gokernel"
	extractedDir   = "interp/exports/internal/extracted"
)

// findSource returns the gokernel source directory: dir if given, else the
// module root above the current directory, which must be gokernel's.
func findSource(dir string) (string, error) {
	hint := "run gokernel build in a gokernel checkout (git clone https://github.com/gokernel/gokernel) or pass --src DIR"
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = d
				break
			}
			if filepath.Dir(d) == d {
				return "", fmt.Errorf("no go.mod above %s: %s", wd, hint)
			}
		}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("gokernel source: %w; %s", err, hint)
	}
	if p := modfile.ModulePath(data); p != gokernelModule {
		return "", fmt.Errorf("%s is module %q, not %s: %s", dir, p, gokernelModule, hint)
	}
	return dir, nil
}

// writeModule writes the scratch module: it requires gokernel, replaced
// by the source directory, and the local --with modules; the source's
// go.sum saves looking up what the kernel already uses.
func (b *builder) writeModule() error {
	f := new(modfile.File)
	f.AddModuleStmt("gokernel.build/custom")
	if err := f.AddGoStmt("1.26"); err != nil {
		return err
	}
	pseudo := "v0.0.0-00010101000000-000000000000"
	f.AddNewRequire(gokernelModule, pseudo, false)
	if err := f.AddReplace(gokernelModule, "", b.src, ""); err != nil {
		return err
	}
	for _, w := range b.with {
		if w.dir == "" {
			continue
		}
		dir, err := filepath.Abs(w.dir)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err != nil {
			return fmt.Errorf("--with %s=%s: %w", w.path, w.dir, err)
		}
		mod := modfile.ModulePath(data)
		if mod == "" || (w.path != mod && !strings.HasPrefix(w.path, mod+"/")) {
			return fmt.Errorf("--with %s=%s: the go.mod there is module %q, which does not contain %s", w.path, w.dir, mod, w.path)
		}
		f.AddNewRequire(mod, pseudo, false)
		if err := f.AddReplace(mod, "", dir, ""); err != nil {
			return err
		}
	}
	data, err := f.Format()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(b.work, "go.mod"), data, 0o644); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(b.src, "go.sum"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.WriteFile(filepath.Join(b.work, "go.sum"), sum, 0o644)
}

// packages expands the --with patterns into package paths and makes the
// scratch module's requirements and go.sum complete for them.
func (b *builder) packages(ctx context.Context) ([]string, error) {
	var pkgs []string
	for _, w := range b.with {
		if !strings.HasSuffix(w.path, "/...") {
			pkgs = append(pkgs, w.path)
			continue
		}
		out, err := b.goCmd(ctx, b.work, nil, "list", "-e", "-f", "{{if and (ne .Name \"main\") (not .Error)}}{{.ImportPath}}{{end}}", w.path)
		if err != nil {
			return nil, fmt.Errorf("--with %s: %w", w.path, err)
		}
		n := len(pkgs)
		for line := range strings.Lines(string(out)) {
			p := strings.TrimSpace(line)
			if p != "" && !slices.Contains(strings.Split(p, "/"), "internal") {
				pkgs = append(pkgs, p)
			}
		}
		if len(pkgs) == n {
			return nil, fmt.Errorf("--with %s: matches no importable package", w.path)
		}
	}
	slices.Sort(pkgs)
	pkgs = slices.Compact(pkgs)

	// A build-tagged file that imports everything lets go mod tidy fill in
	// requirements and go.sum for exactly what the build needs.
	var tools bytes.Buffer
	tools.WriteString("//go:build tools\n\npackage tools\n\nimport (\n")
	for _, p := range append([]string{gokernelModule + "/cmd/gokernel"}, pkgs...) {
		fmt.Fprintf(&tools, "\t_ %q\n", p)
	}
	tools.WriteString(")\n")
	if err := os.WriteFile(filepath.Join(b.work, "tools.go"), tools.Bytes(), 0o644); err != nil {
		return nil, err
	}
	if _, err := b.goCmd(ctx, b.work, nil, "mod", "tidy"); err != nil {
		return nil, err
	}
	return pkgs, nil
}

// extract writes the symbol tables of pkgs and returns the overlay file
// that puts them into the extracted package. The packages' types come
// from the compiler's export data (go list -export), for the target
// GOOS/GOARCH of the environment; the packages compiled for it are in the
// build cache when the kernel is built next.
func (b *builder) extract(ctx context.Context, pkgs []string) (string, error) {
	if b.verbose {
		fmt.Fprintf(b.stderr, "+ go list -export -deps %s\n", strings.Join(pkgs, " "))
	}
	loaded, err := packages.Load(&packages.Config{
		Mode:    packages.NeedName | packages.NeedTypes,
		Context: ctx,
		Dir:     b.work,
	}, pkgs...)
	if err != nil {
		return "", fmt.Errorf("loading %s: %w", strings.Join(pkgs, " "), err)
	}
	gen := filepath.Join(b.work, "gen")
	if err := os.Mkdir(gen, 0o755); err != nil {
		return "", err
	}
	names := strings.NewReplacer("/", "-", ".", "_", "~", "_")
	overlay := map[string]string{}
	for _, p := range loaded {
		if len(p.Errors) > 0 {
			var msgs []string
			for _, e := range p.Errors {
				msgs = append(msgs, e.Error())
			}
			return "", fmt.Errorf("package %s: %s", p.PkgPath, strings.Join(msgs, "\n"))
		}
		if p.Name == "main" {
			return "", fmt.Errorf("package %s is a command, not a package cells can import", p.PkgPath)
		}
		src, skipped, err := extract.File("extracted", p.Types)
		if err != nil {
			return "", err
		}
		switch {
		case len(skipped) > 0 && b.verbose:
			fmt.Fprintf(b.stderr, "gokernel build: %s: %d exported names left out:\n", p.PkgPath, len(skipped))
			for _, s := range skipped {
				fmt.Fprintf(b.stderr, "\t%s: %s\n", s.Name, s.Reason)
			}
		case len(skipped) > 0:
			fmt.Fprintf(b.stderr, "gokernel build: %s: %d exported names left out (generic, or interfaces cells cannot implement; -v lists them)\n", p.PkgPath, len(skipped))
		}
		file := filepath.Join(gen, names.Replace(p.PkgPath)+".go")
		if _, err := os.Stat(file); err == nil {
			// a/b-c and a/b/c, or a.b and a_b, would share a file and
			// one package's table would silently replace the other's.
			file = filepath.Join(gen, fmt.Sprintf("%s_%d.go", names.Replace(p.PkgPath), len(overlay)))
		}
		if err := os.WriteFile(file, src, 0o644); err != nil {
			return "", err
		}
		overlay[filepath.Join(b.src, extractedDir, "zz_build_"+filepath.Base(file))] = file
		b.extracted = append(b.extracted, p.PkgPath)
	}
	slices.Sort(b.extracted)
	data, err := json.Marshal(map[string]any{"Replace": overlay})
	if err != nil {
		return "", err
	}
	name := filepath.Join(b.work, "overlay.json")
	return name, os.WriteFile(name, data, 0o644)
}

// compiledIn lists the packages whose generated tables are in dir, from
// the "Code generated by 'yaegi extract PATH'" line they start with.
func compiledIn(dir string) map[string]bool {
	have := make(map[string]bool)
	names, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		if sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "// Code generated by 'yaegi extract "); ok {
				have[strings.TrimSuffix(rest, "'. DO NOT EDIT.")] = true
			}
		}
		f.Close()
	}
	return have
}

// goCmd runs the go command in dir with extra environment settings and
// returns its standard output; a failure carries its standard error.
func (b *builder) goCmd(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, b.goTool, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if b.verbose {
		fmt.Fprintf(b.stderr, "+ go %s\n", strings.Join(args, " "))
		cmd.Stderr = io.MultiWriter(&stderr, b.stderr)
	}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}
