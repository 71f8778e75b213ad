package modules

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// Errors a fetch can end with; test for them with errors.Is.
var (
	// ErrNotFound: no proxy in GOPROXY knows the module or version.
	ErrNotFound = errors.New("not found")
	// ErrUnreachable: a proxy could not be reached (no network, DNS,
	// refused connection). Get falls back to the cache on this error.
	ErrUnreachable = errors.New("module proxy unreachable")
	// ErrProxyOff: GOPROXY=off forbids downloads. Get still serves
	// modules that are in the cache.
	ErrProxyOff = errors.New("module downloads disabled by GOPROXY=off")
)

// maxInfoFile bounds a list or .info file from a proxy, as zip.MaxGoMod
// and zip.MaxZipFile bound .mod and .zip files, so a broken or hostile
// proxy cannot fill the memory or the disk.
const maxInfoFile = 1 << 20

// Timeouts of the default client. A proxy must connect within dialTimeout
// and then never keep us waiting longer than idleTimeout, for the response
// headers or for more of the body. There is no bound on a whole request,
// which would cut off a large download that is still flowing.
const (
	dialTimeout = 30 * time.Second
	idleTimeout = 60 * time.Second
)

// newClient is the default client, with the timeouts described above.
func newClient(dial, idle time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}).DialContext
	t.ResponseHeaderTimeout = idle
	return &http.Client{Transport: &idleBodies{rt: t, idle: idle}}
}

// idleBodies ends a response whose body stops flowing for idle: the
// transport's ResponseHeaderTimeout covers only the wait for the headers.
type idleBodies struct {
	rt   http.RoundTripper
	idle time.Duration
}

func (t *idleBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	resp, err := t.rt.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel(nil)
		return nil, err
	}
	stalled := fmt.Errorf("%w: nothing received for %v", ErrUnreachable, t.idle)
	resp.Body = &idleBody{
		ReadCloser: resp.Body,
		ctx:        ctx,
		cancel:     cancel,
		idle:       t.idle,
		timer:      time.AfterFunc(t.idle, func() { cancel(stalled) }),
	}
	return resp, nil
}

type idleBody struct {
	io.ReadCloser
	ctx    context.Context
	cancel context.CancelCauseFunc
	idle   time.Duration
	timer  *time.Timer
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.timer.Reset(b.idle)
	}
	if err != nil && err != io.EOF {
		// The transport reports a cancelled request, not why it was.
		if cause := context.Cause(b.ctx); errors.Is(cause, ErrUnreachable) {
			err = cause
		}
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	b.cancel(nil)
	return b.ReadCloser.Close()
}

// proxyEntry is one element of GOPROXY.
type proxyEntry struct {
	url string // "off", "direct", or a base URL without a trailing slash
	// fallThrough is true when the separator after this entry is "|":
	// the next entry is tried after any error, not only after "not found".
	fallThrough bool
}

// parseProxy parses a GOPROXY value as 'go help goproxy' documents it:
// URLs, "direct" and "off" separated by "," (try the next one only when
// this one says not found) or "|" (try the next one after any error).
func parseProxy(s string) ([]proxyEntry, error) {
	if strings.TrimSpace(s) == "" {
		s = "https://proxy.golang.org,direct"
	}
	var list []proxyEntry
	for s != "" {
		i := strings.IndexAny(s, ",|")
		elem, sep := s, byte(0)
		if i >= 0 {
			elem, sep, s = s[:i], s[i], s[i+1:]
		} else {
			s = ""
		}
		elem = strings.TrimSpace(elem)
		if elem == "" {
			continue
		}
		switch elem {
		case "off", "direct":
		default:
			u, err := url.Parse(elem)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "file") {
				return nil, fmt.Errorf("GOPROXY entry %q: want an http(s):// or file:// URL, \"direct\" or \"off\"", elem)
			}
			elem = strings.TrimRight(elem, "/")
		}
		list = append(list, proxyEntry{url: elem, fallThrough: sep == '|'})
	}
	return list, nil
}

// proxy fetches files of the module proxy protocol
// (https://go.dev/ref/mod#goproxy-protocol) through the GOPROXY list.
//
// A proxy serves one Get, whose requests are made one at a time.
type proxy struct {
	list      []proxyEntry
	noProxy   string // GONOPROXY (or GOPRIVATE): modules that must not go through a proxy
	client    *http.Client
	userAgent string
	// down holds why a proxy base URL was unreachable. Later requests to it
	// fail at once with that error instead of waiting for the same
	// timeout again: resolving a package path tries every parent path.
	down map[string]error
}

// fetch returns the file at rel ("<escaped path>/@v/list", …) for module
// mod, trying the GOPROXY entries in order. limit bounds its size.
func (p *proxy) fetch(ctx context.Context, mod, rel string, limit int64) ([]byte, error) {
	if p.noProxy != "" && module.MatchPrefixPatterns(p.noProxy, mod) {
		return nil, fmt.Errorf("module %s matches GONOPROXY/GOPRIVATE, so the go command would fetch it from version control, which gokernel does not do; fetch it with the go command and serve it with GOPROXY=file://…", mod)
	}
	var firstErr error
	for i, e := range p.list {
		var data []byte
		var err error
		switch e.url {
		case "off":
			err = ErrProxyOff
		case "direct":
			if firstErr != nil {
				// An earlier proxy has answered; report that answer
				// rather than our lack of version-control support.
				return nil, firstErr
			}
			err = fmt.Errorf("GOPROXY=direct: gokernel downloads modules only from a module proxy, not from version control; set GOPROXY to a proxy (the default is https://proxy.golang.org)")
		default:
			if err = p.down[e.url]; err == nil {
				data, err = p.get(ctx, e.url+"/"+rel, limit)
				if errors.Is(err, ErrUnreachable) {
					if p.down == nil {
						p.down = make(map[string]error)
					}
					p.down[e.url] = err
				}
			}
		}
		if err == nil {
			return data, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		last := i == len(p.list)-1
		if last || (!errors.Is(err, ErrNotFound) && !e.fallThrough) {
			return nil, err
		}
	}
	if firstErr == nil {
		firstErr = errors.New("GOPROXY lists no proxy")
	}
	return nil, firstErr
}

// get reads one URL, file:// or http(s)://.
func (p *proxy) get(ctx context.Context, rawURL string, limit int64) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "file" {
		name := filepath.FromSlash(u.Path)
		f, err := os.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", rawURL, ErrNotFound)
		}
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return readLimited(f, limit, rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", p.userAgent)
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
		return readLimited(resp.Body, limit, rawURL)
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		// Proxies explain a 404 in the body ("not found: unknown
		// revision v9.9.9"): pass the first line on.
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		line, _, _ := strings.Cut(strings.TrimSpace(string(msg)), "\n")
		if line != "" {
			return nil, fmt.Errorf("%s: %w: %s", rawURL, ErrNotFound, line)
		}
		return nil, fmt.Errorf("%s: %w", rawURL, ErrNotFound)
	default:
		return nil, fmt.Errorf("%s: %s", rawURL, resp.Status)
	}
}

func readLimited(r io.Reader, limit int64, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, limit)
	}
	return data, nil
}

// escaped returns the proxy-protocol path prefix of mod, "<escaped>/@v/".
func escaped(mod string) (string, error) {
	e, err := module.EscapePath(mod)
	if err != nil {
		return "", err
	}
	return e + "/@v/", nil
}

// fileOf is the proxy-protocol file of m with suffix ".info", ".mod" or
// ".zip".
func fileOf(m module.Version, suffix string) (string, error) {
	dir, err := escaped(m.Path)
	if err != nil {
		return "", err
	}
	v, err := module.EscapeVersion(m.Version)
	if err != nil {
		return "", err
	}
	return dir + v + suffix, nil
}

// latest resolves the "latest" query as the go command does: the highest
// release in @v/list, else the highest pre-release, else @latest (which a
// proxy answers with a pseudo-version for modules without tags).
func (p *proxy) latest(ctx context.Context, mod string) (string, error) {
	e, err := module.EscapePath(mod)
	if err != nil {
		return "", err
	}
	data, err := p.fetch(ctx, mod, e+"/@v/list", maxInfoFile)
	if err != nil {
		return "", err
	}
	if v := maxVersion(strings.Fields(string(data))); v != "" {
		return v, nil
	}
	data, err = p.fetch(ctx, mod, e+"/@latest", maxInfoFile)
	if err != nil {
		return "", err
	}
	return parseInfo(mod, data)
}

// query resolves a version query other than "latest" (a branch, a commit
// or a non-canonical version) with the proxy's .info file.
func (p *proxy) query(ctx context.Context, mod, q string) (string, error) {
	name, err := fileOf(module.Version{Path: mod, Version: q}, ".info")
	if err != nil {
		return "", err
	}
	data, err := p.fetch(ctx, mod, name, maxInfoFile)
	if err != nil {
		return "", err
	}
	return parseInfo(mod, data)
}

func parseInfo(mod string, data []byte) (string, error) {
	var info struct{ Version string }
	if err := json.Unmarshal(bytes.TrimSpace(data), &info); err != nil {
		return "", fmt.Errorf("module %s: bad .info from the proxy: %v", mod, err)
	}
	if !semver.IsValid(info.Version) || semver.Canonical(info.Version) != info.Version {
		return "", fmt.Errorf("module %s: the proxy answered with version %q, which is not a canonical semantic version", mod, info.Version)
	}
	return info.Version, nil
}

// maxVersion is the highest release among versions, else the highest
// pre-release; "" if there are neither.
func maxVersion(versions []string) string {
	var rel, pre string
	for _, v := range versions {
		if !semver.IsValid(v) || semver.Canonical(v) != v {
			continue
		}
		if semver.Prerelease(v) == "" {
			if rel == "" || semver.Compare(v, rel) > 0 {
				rel = v
			}
		} else if pre == "" || semver.Compare(v, pre) > 0 {
			pre = v
		}
	}
	if rel != "" {
		return rel
	}
	return pre
}
