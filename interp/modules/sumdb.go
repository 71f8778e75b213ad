package modules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"
)

// The checksum database, as the go command uses it (go help module-auth):
// the first time a module version's hash is recorded in the cache's go.sum,
// it must match the hash the database (GOSUMDB, sum.golang.org by default)
// has published, so a proxy cannot serve different code to us than to
// everyone else. GOSUMDB=off turns this off; GONOSUMDB (default GOPRIVATE)
// lists module path patterns it does not apply to.

// knownSumDBKeys are the verifier keys of the databases GOSUMDB may name
// by host alone: the go command's list (cmd/go/internal/modfetch/key.go).
var knownSumDBKeys = map[string]string{
	"sum.golang.org": "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
}

// sumDBSettings is what GOSUMDB and GONOSUMDB say.
type sumDBSettings struct {
	off   bool
	key   string // verifier key, "name+hash+keydata"
	name  string // the database's name, a host[/path]
	url   string // base URL to use instead of the proxy or https://name; "" to find one
	noSum string // GONOSUMDB patterns
}

func parseSumDB(gosumdb, nosumdb string) (sumDBSettings, error) {
	s := sumDBSettings{noSum: nosumdb}
	gosumdb = strings.TrimSpace(gosumdb)
	switch gosumdb {
	case "":
		gosumdb = "sum.golang.org"
	case "off":
		s.off = true
		return s, nil
	case "sum.golang.google.cn":
		gosumdb = "sum.golang.org https://sum.golang.google.cn"
	}
	f := strings.Fields(gosumdb)
	if len(f) > 2 {
		return s, fmt.Errorf("GOSUMDB=%q: want a key or a key and a URL", gosumdb)
	}
	s.key = f[0]
	if k, ok := knownSumDBKeys[s.key]; ok {
		s.key = k
	}
	v, err := note.NewVerifier(s.key)
	if err != nil {
		return s, fmt.Errorf("GOSUMDB=%q: %v", gosumdb, err)
	}
	s.name = v.Name()
	if u, err := url.Parse("https://" + s.name); err != nil || u.Host == "" || strings.HasSuffix(s.name, "/") {
		return s, fmt.Errorf("GOSUMDB=%q: the database name %q is not host[/path]", gosumdb, s.name)
	}
	if len(f) == 2 {
		u, err := url.Parse(f[1])
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			return s, fmt.Errorf("GOSUMDB=%q: %q is not an http(s) URL", gosumdb, f[1])
		}
		s.url = strings.TrimRight(f[1], "/")
	}
	return s, nil
}

// checks reports whether the hashes of module path are checked.
func (s sumDBSettings) checks(path string) bool {
	return !s.off && !module.MatchPrefixPatterns(s.noSum, path)
}

// sumDBOps gives a sumdb.Client the network (through the proxy's HTTP
// client) and a cache directory for the tree it last saw and the tiles.
type sumDBOps struct {
	ctx      context.Context
	settings sumDBSettings
	proxy    *proxy
	dir      string // <cache>/sumdb

	mu       sync.Mutex
	base     string // where the database is read, once found
	baseErr  error  // why it cannot be read
	security string // the database's misbehaviour, if any
}

// baseURL returns the URL the database is read from, found as the go
// command finds it: GOSUMDB's URL if it has one; else the GOPROXY entries
// in order, each asked whether it serves the database (GET
// <proxy>/sumdb/<name>/supported). The first that says yes is used;
// "not found" (or any error after a "|") moves on to the next; another
// error is the database being unavailable. An explicit "direct" or "off",
// or the end of the list, means https://<name>.
func (o *sumDBOps) baseURL() (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.base != "" || o.baseErr != nil {
		return o.base, o.baseErr
	}
	o.base = o.settings.url
	if o.base != "" {
		return o.base, nil
	}
	for _, e := range o.proxy.list {
		if e.url == "direct" || e.url == "off" {
			break
		}
		_, err := o.proxy.get(o.ctx, e.url+"/sumdb/"+o.settings.name+"/supported", 1<<10)
		if err == nil {
			o.base = e.url + "/sumdb/" + o.settings.name
			return o.base, nil
		}
		if !errors.Is(err, ErrNotFound) && !e.fallThrough {
			o.baseErr = fmt.Errorf("asking %s whether it serves the checksum database: %w", e.url, err)
			return "", o.baseErr
		}
	}
	o.base = "https://" + o.settings.name
	return o.base, nil
}

func (o *sumDBOps) ReadRemote(path string) ([]byte, error) {
	base, err := o.baseURL()
	if err != nil {
		return nil, err
	}
	return o.proxy.get(o.ctx, base+path, 10<<20)
}

func (o *sumDBOps) ReadConfig(file string) ([]byte, error) {
	if file == "key" {
		return []byte(o.settings.key), nil
	}
	data, err := os.ReadFile(o.configPath(file))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // no tree seen yet: start from the empty one
	}
	return data, err
}

// WriteConfig replaces the last tree seen, if it is still old. Calls are
// made under the cache lock, so comparing and writing is enough.
func (o *sumDBOps) WriteConfig(file string, old, new []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	name := o.configPath(file)
	cur, err := os.ReadFile(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if !bytes.Equal(cur, old) {
		return sumdb.ErrWriteConflict
	}
	return writeAtomic(name, new)
}

func (o *sumDBOps) configPath(file string) string {
	return filepath.Join(o.dir, "config", filepath.FromSlash(file))
}

func (o *sumDBOps) ReadCache(file string) ([]byte, error) {
	return os.ReadFile(filepath.Join(o.dir, "cache", filepath.FromSlash(file)))
}

func (o *sumDBOps) WriteCache(file string, data []byte) {
	_ = writeAtomic(filepath.Join(o.dir, "cache", filepath.FromSlash(file)), data) // a cache: losing it costs a fetch
}

func (o *sumDBOps) Log(string) {}

func (o *sumDBOps) SecurityError(msg string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.security = msg
}

// sumDBVerifier checks hashes against the checksum database for one Get.
type sumDBVerifier struct {
	ops    *sumDBOps
	client *sumdb.Client
}

func newSumDBVerifier(ctx context.Context, s sumDBSettings, p *proxy, cacheDir string) *sumDBVerifier {
	ops := &sumDBOps{ctx: ctx, settings: s, proxy: p, dir: filepath.Join(cacheDir, "sumdb")}
	// GONOSUMDB is applied by verify (settings.checks), before a lookup.
	return &sumDBVerifier{ops: ops, client: sumdb.NewClient(ops)}
}

// verify checks hash h of m (its go.mod when goMod is set) with the
// database, unless GONOSUMDB exempts m.
func (v *sumDBVerifier) verify(m module.Version, goMod bool, h string) error {
	if !v.ops.settings.checks(m.Path) {
		return nil
	}
	vers := m.Version
	if goMod {
		vers += "/go.mod"
	}
	lines, err := v.client.Lookup(m.Path, vers)
	if err != nil {
		v.ops.mu.Lock()
		security := v.ops.security
		v.ops.mu.Unlock()
		if security != "" {
			return fmt.Errorf("verifying %s@%s: SECURITY ERROR: the checksum database %s is misbehaving:\n%s", m.Path, vers, v.ops.settings.name, security)
		}
		return fmt.Errorf("verifying %s@%s with the checksum database %s: %v\n"+
			"(to skip the check: GONOSUMDB=%s, or GOSUMDB=off for every module, as with the go command)", m.Path, vers, v.ops.settings.name, err, m.Path)
	}
	want := m.Path + " " + vers + " " + h
	for _, l := range lines {
		if l == want {
			return nil
		}
	}
	published := "no hash"
	if len(lines) > 0 {
		published = strings.Join(lines, "; ")
	}
	return fmt.Errorf("verifying %s@%s: checksum mismatch\n\tdownloaded: %s\n\t%s: %s\n"+
		"SECURITY ERROR: this content (from the module proxy, or found in the module cache without a go.sum line) "+
		"differs from what the checksum database published for everyone; nothing was extracted", m.Path, vers, h, v.ops.settings.name, published)
}
