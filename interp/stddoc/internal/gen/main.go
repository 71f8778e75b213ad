// Command gen extracts the documentation of the curated packages into the
// compressed JSON file that package stddoc embeds.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gokernel/gokernel/interp/stddoc"
)

// curated are the packages whose documentation is embedded.
var curated = []string{
	"bufio", "bytes", "context", "encoding/base64", "encoding/csv", "encoding/hex", "encoding/json",
	"errors", "fmt", "image", "image/color", "image/draw", "image/png", "io", "io/fs", "log",
	"maps", "math", "math/big", "math/bits", "math/cmplx", "math/rand/v2", "net/http", "net/url",
	"os", "os/exec", "path", "path/filepath", "regexp", "slices", "sort", "strconv", "strings",
	"sync", "sync/atomic", "text/tabwriter", "text/template", "time", "unicode", "unicode/utf8",
}

func main() {
	out := flag.String("o", "docs.json.gz", "output file")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	root, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("go env GOROOT: %w", err)
	}
	src := filepath.Join(strings.TrimSpace(string(root)), "src")
	pkgs := map[string]stddoc.Package{}
	for _, p := range curated {
		pkg, err := stddoc.Extract(filepath.Join(src, filepath.FromSlash(p)))
		if err != nil {
			return err
		}
		pkgs[p] = pkg
	}
	// go generate runs in the package's directory: the display package is
	// two levels up.
	display, err := stddoc.Extract(filepath.Join("..", "..", "display"))
	if err != nil {
		return err
	}
	pkgs["github.com/gokernel/gokernel/display"] = display

	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(zw).Encode(pkgs); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(out, b.Bytes(), 0o644)
}
