package modules

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

// mod is a module the tests serve from a file-based GOPROXY: files maps
// names relative to the module root to contents; files["go.mod"] is its
// go.mod.
type mod struct {
	path, version string
	files         map[string]string
}

type memFile struct {
	name, data string
}

func (f memFile) Path() string                { return f.name }
func (f memFile) Lstat() (fs.FileInfo, error) { return memInfo(f), nil }
func (f memFile) Open() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader([]byte(f.data))), nil
}

type memInfo memFile

func (i memInfo) Name() string       { return filepath.Base(i.name) }
func (i memInfo) Size() int64        { return int64(len(i.data)) }
func (i memInfo) Mode() fs.FileMode  { return 0o644 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }

// writeProxy writes mods into dir in the module proxy layout and returns
// the GOPROXY value that serves them.
func writeProxy(t testing.TB, dir string, mods ...mod) string {
	t.Helper()
	lists := make(map[string][]string)
	for _, m := range mods {
		v := module.Version{Path: m.path, Version: m.version}
		base := filepath.Join(dir, m.path, "@v", m.version)
		if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, base+".info", `{"Version":"`+m.version+`"}`)
		write(t, base+".mod", m.files["go.mod"])
		var files []zip.File
		for name, data := range m.files {
			files = append(files, memFile{name, data})
		}
		var buf bytes.Buffer
		if err := zip.Create(&buf, v, files); err != nil {
			t.Fatalf("zip of %s: %v", v, err)
		}
		write(t, base+".zip", buf.String())
		lists[m.path] = append(lists[m.path], m.version)
	}
	for path, versions := range lists {
		slices.Sort(versions)
		var list string
		for _, v := range versions {
			list += v + "\n"
		}
		write(t, filepath.Join(dir, path, "@v", "list"), list)
	}
	return "file://" + filepath.ToSlash(dir)
}

func write(t testing.TB, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestParseProxy(t *testing.T) {
	tests := []struct {
		in      string
		want    []proxyEntry
		wantErr bool
	}{
		{"", []proxyEntry{{url: "https://proxy.golang.org"}, {url: "direct"}}, false},
		{"off", []proxyEntry{{url: "off"}}, false},
		{"file:///tmp/p/", []proxyEntry{{url: "file:///tmp/p"}}, false},
		{"https://a.example|https://b.example,direct", []proxyEntry{
			{url: "https://a.example", fallThrough: true}, {url: "https://b.example"}, {url: "direct"},
		}, false},
		{"ftp://x", nil, true},
		{"proxy.example", nil, true},
	}
	for _, tt := range tests {
		got, err := parseProxy(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseProxy(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("parseProxy(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestMaxVersion(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"v1.0.0", "v1.10.0", "v1.9.0"}, "v1.10.0"},
		{[]string{"v1.0.0", "v2.0.0-beta.1"}, "v1.0.0"},
		{[]string{"v2.0.0-beta.1", "v2.0.0-alpha"}, "v2.0.0-beta.1"},
		{[]string{"junk", "v1"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := maxVersion(tt.in); got != tt.want {
			t.Errorf("maxVersion(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSilentProxy checks that a proxy that never answers costs one timeout
// per Get, not one per parent path tried, and that the cache still serves
// what it has.
func TestSilentProxy(t *testing.T) {
	var hits atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first, so Close does not wait

	env := envMap{"GOPROXY": srv.URL}
	c := openConfig(t, Config{Getenv: env.get, Client: newClient(time.Second, 100*time.Millisecond)})
	// Five candidate module paths: the package path and its parents.
	_, err := c.Get(context.Background(), "example.com/someone/repo/pkg/sub")
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("Get error = %v, want ErrUnreachable", err)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the silent proxy got %d requests, want 1", n)
	}

	// With the module in the cache, "latest" still falls back to it.
	env["GOPROXY"] = writeProxy(t, t.TempDir(), wordsV1)
	if _, err := c.Get(context.Background(), "example.com/words"); err != nil {
		t.Fatal(err)
	}
	env["GOPROXY"] = srv.URL
	hits.Store(0)
	res, err := c.Get(context.Background(), "example.com/words")
	if err != nil {
		t.Fatalf("latest from the cache behind a silent proxy: %v", err)
	}
	if len(res.Notes) == 0 || !strings.Contains(res.Notes[0], "from the cache") {
		t.Errorf("Notes = %q, want one saying the cache was used", res.Notes)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the silent proxy got %d requests, want 1", n)
	}
}

// TestClientTimeouts checks that the default client gives up on a body
// that stops, but not on one that flows slowly for longer than its idle
// timeout.
func TestClientTimeouts(t *testing.T) {
	const idle = 200 * time.Millisecond
	tests := []struct {
		name    string
		chunks  int           // bytes sent, one at a time
		gap     time.Duration // between them
		stall   bool          // then stop sending, without ending the body
		wantErr error
	}{
		{"slow but flowing", 10, idle / 4, false, nil},
		{"stalled", 2, 0, true, ErrUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for range tt.chunks {
					w.Write([]byte("x"))
					w.(http.Flusher).Flush()
					time.Sleep(tt.gap)
				}
				if tt.stall {
					select {
					case <-r.Context().Done():
					case <-release:
					}
				}
			}))
			t.Cleanup(srv.Close)
			t.Cleanup(func() { close(release) })

			p := &proxy{list: []proxyEntry{{url: srv.URL}}, client: newClient(time.Second, idle)}
			data, err := p.fetch(context.Background(), "example.com/m", "example.com/m/@v/list", maxInfoFile)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("fetch error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && len(data) != tt.chunks {
				t.Errorf("fetch read %d bytes, want %d", len(data), tt.chunks)
			}
			if err != nil {
				// A proxy that stalled is not asked again during this Get.
				_, again := p.fetch(context.Background(), "example.com/m", "example.com/m/@latest", maxInfoFile)
				if again != err {
					t.Errorf("second fetch error = %v, want the first one again (%v)", again, err)
				}
			}
		})
	}
}
