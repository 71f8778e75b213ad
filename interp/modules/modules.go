// Package modules downloads third-party Go modules for cells and lays out
// their source where yaegi's importer finds it. Call [Open] to open the
// cache, put [Cache.GoPath] in the interpreter's Options.GoPath, and route
// the %go magic to [Cache.Magic]; [Cache.Get] is what "%go get" runs.
//
// Modules come from the module proxies in GOPROXY (https://, file:// or
// off; "direct" is not supported, as fetching from version control needs
// the VCS tools), never from a Go toolchain, so a kernel without one can use
// them. The cache directory (by default $XDG_CACHE_HOME/gokernel/modules or
// ~/.cache/gokernel/modules) is shared by every session and holds:
//
//	download/   .mod and .zip files in the proxy protocol's layout, so it can
//	            itself be served with GOPROXY=file://<dir>/download
//	go.sum      the h1: hashes of every .mod and .zip ever used
//	gopath/src  the extracted source, one version per module path
//	layout.json which version of which module gopath/src holds
//
// What is verified: every zip is checked by golang.org/x/mod/zip (paths,
// sizes, case collisions, nothing outside the module) and extracted with its
// checks; every .mod and .zip is hashed (the go command's h1: hash) and
// compared with go.sum. The first download of a version records its hashes
// (trust on first use); every later use, from the proxy or from the cache,
// must match them, so a proxy or cache that changes a published version is
// caught. Before a hash is first recorded it must match the one the
// checksum database (GOSUMDB, sum.golang.org by default; GONOSUMDB or
// GOPRIVATE exempt modules, GOSUMDB=off all) publishes, so a proxy cannot
// serve us other code than it serves everyone (sumdb.go).
// GOFLAGS=-mod=readonly makes a missing go.sum line an error instead of
// recording it, so a go.sum prepared elsewhere pins exactly what may be used.
//
// Versions are chosen by minimal version selection over the requirement
// graph of the module asked for, pruned as the go command prunes go ≥ 1.17
// modules. gopath/src holds one version per module path, as GOPATH does: a
// module asked for by name replaces the version there (an upgrade or a
// downgrade, as "go get m@v" would), while a module needed as a dependency
// only ever raises it. Sessions that already imported a package keep the
// version they loaded; a new import sees the replacement.
//
// Only the packages the asked-for package imports, transitively, are
// downloaded and checked. A package that uses cgo, declares functions
// implemented in assembly, or has no Go files for this GOOS/GOARCH cannot be
// interpreted; Get says so, naming the package and the file. Files excluded
// by build constraints are removed from the layout, and the "// +build"
// lines of the rest are neutralised, because yaegi v0.16 reads only
// "// +build" lines (not //go:build) and knows no tags but GOOS and GOARCH.
// The layout is built with cgo disabled and the "purego" and "noasm" tags,
// which select the pure-Go fallbacks of packages that have assembly.
package modules

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
)

// Config configures a [Cache]. The zero value is ready to use.
type Config struct {
	// Dir is the cache directory; "" means [DefaultDir].
	Dir string
	// Getenv reads GOPROXY, GONOPROXY, GOPRIVATE, GOSUMDB, GONOSUMDB and
	// GOFLAGS; nil means
	// os.Getenv. Tests set it instead of changing the environment.
	Getenv func(string) string
	// Client fetches from http(s) proxies; nil means a client that gives
	// up on a proxy that does not connect within 30 seconds or then sends
	// nothing for 60 seconds, but never cuts off a download that flows.
	Client *http.Client
	// Std and Compiled are the import paths cells get without
	// downloading: the standard library packages yaegi has and the
	// packages compiled into the kernel (session.CompiledPackages). Imports of
	// them are not looked up in modules, and "%go list" shows them.
	Std, Compiled []string
}

// Cache is the shared module cache. Its methods are safe for concurrent
// use, also by several processes: changes are made under a lock file.
type Cache struct {
	dir      string
	getenv   func(string) string
	client   *http.Client
	std      []string
	compiled map[string]bool
	mu       sync.Mutex // held with the lock file, for one process's goroutines
}

// DefaultDir is the cache directory used when Config.Dir is empty:
// gokernel/modules in the user's cache directory ($XDG_CACHE_HOME, else
// ~/.cache, on Linux).
func DefaultDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("modules: no cache directory: %w", err)
	}
	return filepath.Join(base, "gokernel", "modules"), nil
}

// Open opens the cache in cfg.Dir, creating it if needed.
func Open(cfg Config) (*Cache, error) {
	dir := cfg.Dir
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return nil, err
		}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("modules: cache directory: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "gopath", "src"), 0o755); err != nil {
		return nil, fmt.Errorf("modules: creating the cache: %w", err)
	}
	c := &Cache{
		dir:      dir,
		getenv:   cfg.Getenv,
		client:   cfg.Client,
		std:      slices.Sorted(slices.Values(cfg.Std)),
		compiled: make(map[string]bool, len(cfg.Compiled)),
	}
	if c.getenv == nil {
		c.getenv = os.Getenv
	}
	if c.client == nil {
		c.client = newClient(dialTimeout, idleTimeout)
	}
	for _, p := range cfg.Compiled {
		c.compiled[p] = true
	}
	return c, nil
}

// Dir is the cache directory.
func (c *Cache) Dir() string { return c.dir }

// GoPath is the directory to use as yaegi's Options.GoPath: downloaded
// packages are in its src directory.
func (c *Cache) GoPath() string { return filepath.Join(c.dir, "gopath") }

// settings are the environment variables that steer a Get, read once per
// call so that %env changes apply to the next %go get.
type settings struct {
	proxy    *proxy
	readonly bool // GOFLAGS=-mod=readonly: go.sum may not grow
	sumdb    sumDBSettings
}

func (c *Cache) settings() (*settings, error) {
	list, err := parseProxy(c.getenv("GOPROXY"))
	if err != nil {
		return nil, err
	}
	noProxy := c.getenv("GONOPROXY")
	if noProxy == "" {
		noProxy = c.getenv("GOPRIVATE")
	}
	s := &settings{proxy: &proxy{list: list, noProxy: noProxy, client: c.client, userAgent: userAgent()}}
	noSum := c.getenv("GONOSUMDB")
	if noSum == "" {
		noSum = c.getenv("GOPRIVATE")
	}
	if s.sumdb, err = parseSumDB(c.getenv("GOSUMDB"), noSum); err != nil {
		return nil, err
	}
	for _, f := range strings.Fields(c.getenv("GOFLAGS")) {
		mode, ok := strings.CutPrefix(strings.TrimLeft(f, "-"), "mod=")
		if !ok {
			continue
		}
		switch mode {
		case "readonly":
			s.readonly = true
		case "mod":
		case "vendor":
			return nil, errors.New("GOFLAGS=-mod=vendor: cells have no vendor directory; unset it or use -mod=mod or -mod=readonly")
		default:
			return nil, fmt.Errorf("GOFLAGS=-mod=%s: want mod or readonly", mode)
		}
	}
	return s, nil
}

func userAgent() string {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return "gokernel/" + v
}
