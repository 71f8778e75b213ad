package modules

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/note"
)

func TestParseSumDB(t *testing.T) {
	_, vkey, err := note.GenerateKey(rand.Reader, "sums.example.com")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		gosumdb string
		off     bool
		name    string
		url     string
		wantErr string
	}{
		{gosumdb: "", name: "sum.golang.org"},
		{gosumdb: "sum.golang.org", name: "sum.golang.org"},
		{gosumdb: "sum.golang.google.cn", name: "sum.golang.org", url: "https://sum.golang.google.cn"},
		{gosumdb: "off", off: true},
		{gosumdb: vkey, name: "sums.example.com"},
		{gosumdb: vkey + " http://127.0.0.1:8080/", name: "sums.example.com", url: "http://127.0.0.1:8080"},
		{gosumdb: "sums.example.com", wantErr: "GOSUMDB"},
		{gosumdb: vkey + " ftp://x", wantErr: "not an http(s) URL"},
		{gosumdb: "a b c", wantErr: "want a key or a key and a URL"},
	}
	for _, tt := range tests {
		s, err := parseSumDB(tt.gosumdb, "")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseSumDB(%q) = %v, want error with %q", tt.gosumdb, err, tt.wantErr)
			}
			continue
		}
		if err != nil || s.off != tt.off || s.name != tt.name || s.url != tt.url {
			t.Errorf("parseSumDB(%q) = %+v, %v; want off %v name %q url %q", tt.gosumdb, s, err, tt.off, tt.name, tt.url)
		}
	}
	s, _ := parseSumDB("", "example.com/private,*.corp.example")
	for path, want := range map[string]bool{"example.com/private/x": false, "git.corp.example/y": false, "example.com/public": true} {
		if s.checks(path) != want {
			t.Errorf("checks(%q) = %v with GONOSUMDB set, want %v", path, !want, want)
		}
	}
}

// testSumDB serves a checksum database for the modules of a file proxy.
// With tamper set it publishes another hash for each module's zip (a
// database's log is append-only: it cannot be changed once asked).
type testSumDB struct {
	vkey    string
	url     string
	lookups atomic.Int32
}

func newTestSumDB(t *testing.T, proxyDir string, tamper bool) *testSumDB {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "sums.example.com")
	if err != nil {
		t.Fatal(err)
	}
	db := &testSumDB{vkey: vkey}
	gosum := func(path, vers string) ([]byte, error) {
		db.lookups.Add(1)
		base := filepath.Join(proxyDir, path, "@v", vers)
		zipHash, err := dirhash.HashZip(base+".zip", dirhash.Hash1)
		if err != nil {
			return nil, err
		}
		if tamper {
			zipHash = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
		}
		modHash, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) { return os.Open(base + ".mod") })
		if err != nil {
			return nil, err
		}
		return fmt.Appendf(nil, "%s %s %s\n%s %s/go.mod %s\n", path, vers, zipHash, path, vers, modHash), nil
	}
	srv := httptest.NewServer(sumdb.NewServer(sumdb.NewTestServer(skey, gosum)))
	t.Cleanup(srv.Close)
	db.url = srv.URL
	return db
}

// TestGetChecksumDatabase: a first download must match what the checksum
// database publishes; GONOSUMDB and GOSUMDB=off skip the check; a hash
// already in go.sum is not looked up again.
func TestGetChecksumDatabase(t *testing.T) {
	ctx := context.Background()
	proxyDir := t.TempDir()
	proxy := writeProxy(t, proxyDir, wordsV1, greet)
	db := newTestSumDB(t, proxyDir, false)

	t.Run("published hashes match", func(t *testing.T) {
		env := map[string]string{"GOPROXY": proxy, "GOSUMDB": db.vkey + " " + db.url}
		c := open(t, env)
		if _, err := c.Get(ctx, "example.com/greet@v1.0.0"); err != nil {
			t.Fatal(err)
		}
		if db.lookups.Load() == 0 {
			t.Fatal("the checksum database was not asked")
		}
		if _, err := os.Stat(filepath.Join(c.dir, "sumdb", "config", "sums.example.com", "latest")); err != nil {
			t.Errorf("the tree seen was not kept: %v", err)
		}
		// Recorded in go.sum: the database is not needed again.
		env["GOSUMDB"] = db.vkey + " http://127.0.0.1:1"
		if _, err := c.Get(ctx, "example.com/greet@v1.0.0"); err != nil {
			t.Errorf("a second Get asked the database: %v", err)
		}
	})

	t.Run("proxy differs from the database", func(t *testing.T) {
		bad := newTestSumDB(t, proxyDir, true)
		c := open(t, map[string]string{"GOPROXY": proxy, "GOSUMDB": bad.vkey + " " + bad.url})
		_, err := c.Get(ctx, "example.com/greet@v1.0.0")
		if err == nil || !strings.Contains(err.Error(), "SECURITY ERROR") || !strings.Contains(err.Error(), "checksum mismatch") {
			t.Fatalf("Get = %v, want a checksum mismatch with the database", err)
		}
		if _, serr := os.Stat(filepath.Join(c.GoPath(), "src", "example.com", "greet")); serr == nil {
			t.Error("the module was laid out anyway")
		}
		if data, _ := os.ReadFile(filepath.Join(c.dir, "go.sum")); strings.Contains(string(data), "example.com/greet v1.0.0 h1:") {
			t.Errorf("the rejected hash was recorded:\n%s", data)
		}
	})
	t.Run("GONOSUMDB skips the check", func(t *testing.T) {
		bad := newTestSumDB(t, proxyDir, true)
		c := open(t, map[string]string{"GOPROXY": proxy, "GOSUMDB": bad.vkey + " " + bad.url, "GONOSUMDB": "example.com"})
		if _, err := c.Get(ctx, "example.com/greet@v1.0.0"); err != nil {
			t.Error(err)
		}
	})
	t.Run("GOSUMDB=off skips the check", func(t *testing.T) {
		c := open(t, map[string]string{"GOPROXY": proxy, "GOSUMDB": "off"})
		if _, err := c.Get(ctx, "example.com/greet@v1.0.0"); err != nil {
			t.Error(err)
		}
	})
	t.Run("database unreachable", func(t *testing.T) {
		c := open(t, map[string]string{"GOPROXY": proxy, "GOSUMDB": db.vkey + " http://127.0.0.1:1"})
		_, err := c.Get(ctx, "example.com/greet@v1.0.0")
		if err == nil || !strings.Contains(err.Error(), "GONOSUMDB=example.com/") {
			t.Errorf("Get = %v, want an error that says how to skip the check", err)
		}
	})
}

// TestSumDBBase: where the database is read, chosen as the go command
// chooses it from GOPROXY.
func TestSumDBBase(t *testing.T) {
	serve := func(status int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/sumdb/sum.golang.org/supported" {
				t.Errorf("asked for %s", r.URL.Path)
			}
			w.WriteHeader(status)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	ok, missing, broken := serve(http.StatusOK), serve(http.StatusNotFound), serve(http.StatusServiceUnavailable)
	tests := []struct {
		goproxy string
		want    string // "" for an error
	}{
		{ok, ok + "/sumdb/sum.golang.org"},
		{missing + "," + ok, ok + "/sumdb/sum.golang.org"},
		{missing, "https://sum.golang.org"},
		{missing + ",direct," + ok, "https://sum.golang.org"},
		{"off", "https://sum.golang.org"},
		{broken + "," + ok, ""},
		{broken + "|" + ok, ok + "/sumdb/sum.golang.org"},
	}
	for _, tt := range tests {
		list, err := parseProxy(tt.goproxy)
		if err != nil {
			t.Fatal(err)
		}
		settings, _ := parseSumDB("", "")
		ops := &sumDBOps{ctx: context.Background(), settings: settings, proxy: &proxy{list: list, client: http.DefaultClient}}
		got, err := ops.baseURL()
		if tt.want == "" {
			if err == nil {
				t.Errorf("GOPROXY=%s: base %q, want an error", tt.goproxy, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("GOPROXY=%s: base %q, %v; want %q", tt.goproxy, got, err, tt.want)
		}
	}
}
