package modules

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
