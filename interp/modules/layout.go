package modules

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/zip"
)

// excludedPrefix renames the files that build constraints exclude. Both
// yaegi and go/build skip files whose names start with "_", and keeping
// them lets Get explain a package that is all cgo.
const excludedPrefix = "_excluded_"

// layout is layout.json: which version of each module gopath/src holds.
type layout struct {
	file    string
	Modules map[string]laidOut `json:"modules"`
}

type laidOut struct {
	Version string `json:"version"`
	// Requested is set when a user asked for this module by name, rather
	// than it being laid out as a dependency.
	Requested bool `json:"requested,omitempty"`
	// Tags are the build tags it was laid out with, comma-separated.
	Tags string `json:"tags,omitempty"`
}

func loadLayout(dir string) (*layout, error) {
	l := &layout{file: filepath.Join(dir, "layout.json"), Modules: make(map[string]laidOut)}
	data, err := os.ReadFile(l.file)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, l); err != nil {
		return nil, fmt.Errorf("%s: %w", l.file, err)
	}
	if l.Modules == nil {
		l.Modules = make(map[string]laidOut)
	}
	return l, nil
}

func (l *layout) save() error {
	data, err := json.MarshalIndent(l, "", "\t")
	if err != nil {
		return err
	}
	return writeAtomic(l.file, append(data, '\n'))
}

// isModuleRoot reports whether dir, inside the directory root of module
// mod, is the root of another module laid out (a nested module).
func (l *layout) isModuleRoot(mod, dir, root string) bool {
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == "." {
		return false
	}
	_, ok := l.Modules[mod+"/"+filepath.ToSlash(rel)]
	return ok
}

// nested lists the laid-out modules inside module path mod's directory.
func (l *layout) nested(mod string) []string {
	var list []string
	for p := range l.Modules {
		if strings.HasPrefix(p, mod+"/") {
			list = append(list, p)
		}
	}
	slices.Sort(list)
	return list
}

// lay makes sure gopath/src holds module m, or a higher version of it
// when m is only a dependency (requested is false), and returns the
// version it holds.
func (g *getter) lay(ctx context.Context, m module.Version, requested bool) (string, error) {
	if v, ok := g.laid[m.Path]; ok {
		return v, nil
	}
	dir := filepath.Join(g.c.GoPath(), "src", filepath.FromSlash(m.Path))
	cur, ok := g.layout.Modules[m.Path]
	if ok {
		if _, err := os.Stat(dir); err != nil {
			ok = false // removed by hand: lay it out again
		}
	}
	tags := strings.Join(g.ctxt.BuildTags, ",")
	if ok && cur.Tags != tags {
		// Laid out by an older gokernel with other tags: again, at the
		// version it has if that is higher and m is only a dependency.
		if !requested && semver.Compare(cur.Version, m.Version) > 0 {
			m.Version = cur.Version
		}
	} else if ok && (cur.Version == m.Version || (!requested && semver.Compare(cur.Version, m.Version) > 0)) {
		g.laid[m.Path] = cur.Version
		if requested && !cur.Requested {
			cur.Requested = true
			g.layout.Modules[m.Path] = cur
		}
		return cur.Version, nil
	}
	zipFile, err := g.zip(ctx, m)
	if err != nil {
		return "", err
	}
	if err := g.extract(m, zipFile, dir); err != nil {
		return "", err
	}
	if ok && cur.Version != m.Version {
		g.notes = append(g.notes, fmt.Sprintf("replaced %s %s with %s in %s (cells that already imported it keep %s until the kernel restarts)",
			m.Path, cur.Version, m.Version, g.c.GoPath(), cur.Version))
	}
	g.layout.Modules[m.Path] = laidOut{Version: m.Version, Requested: requested || cur.Requested, Tags: tags}
	g.laid[m.Path] = m.Version
	return m.Version, nil
}

// extract unzips m into a temporary directory beside dir, prepares it for
// yaegi, and swaps it in, carrying over the nested modules laid out inside
// the old directory.
func (g *getter) extract(m module.Version, zipFile, dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "new")
	if err := zip.Unzip(src, m, zipFile); err != nil {
		return fmt.Errorf("extracting %s: %w", m, err)
	}
	if err := prepare(src, g.ctxt); err != nil {
		return fmt.Errorf("preparing %s for the interpreter: %w", m, err)
	}
	for _, n := range g.layout.nested(m.Path) {
		rel := filepath.FromSlash(strings.TrimPrefix(n, m.Path+"/"))
		from, to := filepath.Join(dir, rel), filepath.Join(src, rel)
		if _, err := os.Stat(from); err != nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if err := os.RemoveAll(to); err != nil {
			return err
		}
		if err := os.Rename(from, to); err != nil {
			return fmt.Errorf("keeping nested module %s: %w", n, err)
		}
	}
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, filepath.Join(tmp, "old")); err != nil {
			return fmt.Errorf("replacing %s: %w", dir, err)
		}
	}
	return os.Rename(src, dir)
}

// prepare makes an extracted module tree say to yaegi what it says to
// the go command in ctxt: files that build constraints exclude are
// renamed out of the way, and the "// +build" lines of the others are
// neutralised (yaegi would evaluate them without our tags).
func prepare(root string, ctxt build.Context) error {
	return filepath.WalkDir(root, func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		pkg, _ := ctxt.ImportDir(dir, 0) // errors leave the files as they are
		if pkg == nil {
			return nil
		}
		for _, name := range pkg.IgnoredGoFiles {
			if err := os.Rename(filepath.Join(dir, name), filepath.Join(dir, excludedPrefix+name)); err != nil {
				return err
			}
		}
		for _, name := range pkg.GoFiles {
			if err := neutraliseBuildLines(filepath.Join(dir, name)); err != nil {
				return err
			}
		}
		return nil
	})
}

// neutraliseBuildLines rewrites "// +build" lines before the package
// clause so yaegi does not read them, keeping the line count.
func neutraliseBuildLines(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	changed := false
	for i, line := range lines {
		t := bytes.TrimSpace(line)
		if bytes.HasPrefix(t, []byte("package ")) {
			break
		}
		if rest, ok := bytes.CutPrefix(t, []byte("// +build")); ok {
			lines[i] = append([]byte("// build constraint applied by gokernel:"), append(rest, '\n')...)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	// Unzip makes files read-only; this one is ours to rewrite.
	if err := os.Chmod(file, 0o644); err != nil {
		return err
	}
	return os.WriteFile(file, bytes.Join(lines, nil), 0o444)
}
