package modules

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/zip"
)

// ChecksumError reports a .mod or .zip whose hash differs from the one
// go.sum recorded when that version was first used.
type ChecksumError struct {
	Module    module.Version
	File      string // the .mod or .zip file that was hashed
	Got, Want string // h1: hashes
	GoSum     string // the go.sum holding Want
	FromProxy bool   // the file was just downloaded, not read from the cache
}

func (e *ChecksumError) Error() string {
	where := "cached file " + e.File
	if e.FromProxy {
		where = "file from the module proxy"
	}
	return fmt.Sprintf("verifying %s: checksum mismatch\n\tdownloaded: %s\n\t%s: %s\n"+
		"The %s is not what was recorded when this version was first used: the proxy or the cache "+
		"has been changed or corrupted. Nothing was extracted.", e.Module, e.Got, e.GoSum, e.Want, where)
}

// sums is the cache's go.sum. It is read and appended to under the cache
// lock.
type sums struct {
	file     string
	readonly bool
	hashes   map[string]string // "path version" or "path version/go.mod" → h1:…
	// verify, if set, checks a hash before it is first recorded: the
	// checksum database (sumdb.go).
	verify func(m module.Version, goMod bool, h string) error
}

func loadSums(file string, readonly bool) (*sums, error) {
	s := &sums{file: file, readonly: readonly, hashes: make(map[string]string)}
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("%s:%d: malformed line (want \"module version hash\")", file, n)
		}
		s.hashes[f[0]+" "+f[1]] = f[2]
	}
	return s, nil
}

// check compares the hash h of file (the .mod when goMod is set, else the
// .zip) of m with go.sum, recording it if go.sum has no line for it.
func (s *sums) check(m module.Version, goMod bool, h, file string, fromProxy bool) error {
	key := m.Path + " " + m.Version
	if goMod {
		key += "/go.mod"
	}
	want, ok := s.hashes[key]
	switch {
	case ok && want != h:
		return &ChecksumError{Module: m, File: file, Got: h, Want: want, GoSum: s.file, FromProxy: fromProxy}
	case ok:
		return nil
	case s.readonly:
		what := m.String()
		if goMod {
			what += "/go.mod"
		}
		return fmt.Errorf("missing go.sum entry for %s in %s (GOFLAGS=-mod=readonly forbids recording it)", what, s.file)
	}
	if s.verify != nil {
		if err := s.verify(m, goMod, h); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(s.file, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s %s\n", key, h)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("recording %s in %s: %w", key, s.file, err)
	}
	s.hashes[key] = h
	return nil
}

// downloadPath is where the cache keeps file (a proxy-protocol path).
func (c *Cache) downloadPath(file string) string {
	return filepath.Join(c.dir, "download", filepath.FromSlash(file))
}

// goMod returns the verified go.mod of m, from the cache or the proxy.
func (g *getter) goMod(ctx context.Context, m module.Version) (*modfile.File, error) {
	if f, ok := g.mods[m]; ok {
		return f, nil
	}
	rel, err := fileOf(m, ".mod")
	if err != nil {
		return nil, err
	}
	file := g.c.downloadPath(rel)
	data, err := os.ReadFile(file)
	fromProxy := false
	if errors.Is(err, fs.ErrNotExist) {
		fromProxy = true
		data, err = g.s.proxy.fetch(ctx, m.Path, rel, zip.MaxGoMod)
	}
	if err != nil {
		return nil, fmt.Errorf("go.mod of %s: %w", m, err)
	}
	h, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	if err != nil {
		return nil, err
	}
	f, err := modfile.ParseLax(file, data, nil)
	if err != nil {
		return nil, fmt.Errorf("go.mod of %s: %w", m, err)
	}
	if f.Module == nil || f.Module.Mod.Path != m.Path {
		got := "no module line"
		if f.Module != nil {
			got = "module " + f.Module.Mod.Path
		}
		return nil, fmt.Errorf("go.mod of %s says %s: the module path does not match", m, got)
	}
	if err := g.sums.check(m, true, h, file, fromProxy); err != nil {
		return nil, err
	}
	if fromProxy {
		if err := writeAtomic(file, data); err != nil {
			return nil, err
		}
	}
	g.mods[m] = f
	return f, nil
}

// zip returns the name of the verified zip of m in the cache, downloading
// it if needed.
func (g *getter) zip(ctx context.Context, m module.Version) (string, error) {
	rel, err := fileOf(m, ".zip")
	if err != nil {
		return "", err
	}
	file := g.c.downloadPath(rel)
	if _, err := os.Stat(file); err == nil {
		return file, g.verifyZip(m, file, false)
	}
	data, err := g.s.proxy.fetch(ctx, m.Path, rel, zip.MaxZipFile)
	if err != nil {
		return "", fmt.Errorf("zip of %s: %w", m, err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".tmp-*.zip")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if err := g.verifyZip(m, tmp.Name(), true); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return "", err
	}
	return file, nil
}

// verifyZip checks the structure of a module zip and its hash.
func (g *getter) verifyZip(m module.Version, file string, fromProxy bool) error {
	cf, err := zip.CheckZip(m, file)
	if err != nil {
		return fmt.Errorf("zip of %s is not a valid module zip: %w", m, err)
	}
	if err := cf.Err(); err != nil {
		return fmt.Errorf("zip of %s is not a valid module zip: %w", m, err)
	}
	h, err := dirhash.HashZip(file, dirhash.Hash1)
	if err != nil {
		return fmt.Errorf("hashing the zip of %s: %w", m, err)
	}
	return g.sums.check(m, false, h, file, fromProxy)
}

// writeAtomic writes data to file through a temporary file and a rename,
// so a reader in another process never sees half a file.
func writeAtomic(file string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}
