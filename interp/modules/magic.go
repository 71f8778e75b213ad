package modules

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"golang.org/x/mod/module"
)

// Magic runs the %go magic; args are the words after "%go". "get" runs
// [Cache.Get] for each argument and prints what became importable; "list"
// prints the downloaded modules and the compiled-in packages, and with
// "std" the standard library too.
func (c *Cache) Magic(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("%go: want %go get MODULE[@VERSION] or %go list")
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "get":
		if len(rest) == 0 {
			return errors.New("%go get: name a module or package, as in %go get github.com/google/uuid@v1.6.0")
		}
		for _, q := range rest {
			if strings.HasPrefix(q, "-") {
				return fmt.Errorf("%%go get: flag %s is not supported", q)
			}
			res, err := c.Get(ctx, q)
			if errors.Is(err, ErrCompiledIn) {
				// A notebook written for another kernel may get a module
				// this one has compiled in: that is no failure, there is
				// just nothing to download.
				path, version, _ := strings.Cut(strings.TrimSpace(q), "@")
				fmt.Fprintf(out, "go: %s is compiled into this kernel: import it directly", path)
				if version != "" {
					fmt.Fprintf(out, " (at the version the kernel was built with, not necessarily %s)", version)
				}
				fmt.Fprintln(out)
				continue
			}
			if err != nil {
				return err
			}
			printResult(out, res)
		}
		return nil
	case "list":
		switch {
		case len(rest) == 0:
			return c.list(out, false)
		case len(rest) == 1 && rest[0] == "std":
			return c.list(out, true)
		}
		return fmt.Errorf("%%go list: want no arguments or \"std\", got %q", strings.Join(rest, " "))
	}
	return fmt.Errorf("%%go %s: unknown command; want get or list", args[0])
}

func printResult(out io.Writer, res *Result) {
	fmt.Fprintf(out, "go: got %s %s\n", res.Module.Path, res.Module.Version)
	for _, p := range res.Packages {
		fmt.Fprintf(out, "\timport %q\n", p)
	}
	if len(res.Deps) > 0 {
		fmt.Fprintf(out, "  with %d dependencies:", len(res.Deps))
		for _, d := range res.Deps {
			fmt.Fprintf(out, " %s@%s", d.Path, d.Version)
		}
		fmt.Fprintln(out)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(out, "note: %s\n", n)
	}
}

// Downloaded lists the modules laid out in [Cache.GoPath], sorted by path;
// Requested says which a user asked for by name.
func (c *Cache) Downloaded() ([]Module, error) {
	l, err := loadLayout(c.dir)
	if err != nil {
		return nil, err
	}
	var list []Module
	for path, m := range l.Modules {
		list = append(list, Module{Version: module.Version{Path: path, Version: m.Version}, Requested: m.Requested})
	}
	slices.SortFunc(list, func(a, b Module) int { return strings.Compare(a.Path, b.Path) })
	return list, nil
}

// Module is a module laid out in the cache's GOPATH.
type Module struct {
	module.Version
	Requested bool // asked for by name, not only a dependency
}

func (c *Cache) list(out io.Writer, std bool) error {
	mods, err := c.Downloaded()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Downloaded (interpreted from source in %s):\n", c.GoPath())
	if len(mods) == 0 {
		io.WriteString(out, "  none yet: run %go get MODULE[@VERSION]\n")
	}
	for _, m := range mods {
		dep := ""
		if !m.Requested {
			dep = "  (dependency)"
		}
		fmt.Fprintf(out, "  %s %s%s\n", m.Path, m.Version.Version, dep)
	}
	fmt.Fprintln(out, "Compiled into the kernel (native speed; add more with gokernel build --with):")
	compiled := make([]string, 0, len(c.compiled))
	for p := range c.compiled {
		compiled = append(compiled, p)
	}
	slices.Sort(compiled)
	if len(compiled) == 0 {
		fmt.Fprintln(out, "  none")
	}
	for _, p := range compiled {
		fmt.Fprintf(out, "  %s\n", p)
	}
	if !std {
		fmt.Fprintf(out, "Standard library: %d packages (%%go list std lists them)\n", len(c.std))
		return nil
	}
	fmt.Fprintln(out, "Standard library:")
	for _, p := range c.std {
		fmt.Fprintf(out, "  %s\n", p)
	}
	return nil
}
