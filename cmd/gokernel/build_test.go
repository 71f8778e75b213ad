package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseWith(t *testing.T) {
	tests := []struct {
		in      string
		want    withArg
		wantErr string
	}{
		{"gonum.org/v1/plot", withArg{path: "gonum.org/v1/plot"}, ""},
		{"gonum.org/v1/plot/plotter@v0.15.0", withArg{path: "gonum.org/v1/plot/plotter", version: "v0.15.0"}, ""},
		{"example.com/m/...", withArg{path: "example.com/m/..."}, ""},
		{"example.com/m=../m", withArg{path: "example.com/m", dir: "../m"}, ""},
		{"example.com/m@v1.0.0=../m", withArg{}, `--with "example.com/m@v1.0.0=../m": give a version or a directory, not both`},
		{"example.com/m@=../m", withArg{}, `--with "example.com/m@=../m": give a version or a directory, not both`},
		{"example.com/m=", withArg{}, `--with "example.com/m=": empty directory`},
		{"example.com/m@", withArg{}, `--with "example.com/m@": empty version`},
		{"example.com/m@v1.0.0", withArg{path: "example.com/m", version: "v1.0.0"}, ""},
		{"=../m", withArg{}, "malformed import path"},
		{"@v1.0.0", withArg{}, "malformed import path"},
		{"strings", withArg{}, "standard library"},
		{"example.com/a b", withArg{}, "malformed import path"},
	}
	for _, tt := range tests {
		got, err := parseWith(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseWith(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseWith(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// writeGreet writes a small local module and returns its directory.
func writeGreet(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{
		"go.mod":   "module example.com/greet\n\ngo 1.22\n",
		"greet.go": "package greet\n\n// Hello greets.\nfunc Hello(name string) string { return \"hello, \" + name }\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBuildErrors(t *testing.T) {
	greet := writeGreet(t)
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		path     string // PATH for the run; "" keeps it
		wantCode int
		want     string
	}{
		{"no --with", nil, "", 2, "want at least one --with"},
		{"extra argument", []string{"--with", "example.com/x", "junk"}, "", 2, "want at least one --with"},
		{"bad --with", []string{"--with", "fmt"}, "", 2, "standard library"},
		{"no toolchain", []string{"--with", "example.com/greet=" + greet}, t.TempDir(), 1, "needs a Go toolchain, and go is not in PATH"},
		{"source is another module", []string{"--src", other, "--with", "example.com/greet=" + greet}, "", 1, `is module "example.com/other", not github.com/gokernel/gokernel`},
		{"local dir of another module", []string{"--with", "example.com/hello=" + greet}, "", 1, `is module "example.com/greet", which does not contain example.com/hello`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.path != "" {
				t.Setenv("PATH", tt.path)
			}
			var stdout, stderr bytes.Buffer
			code := runBuild(tt.args, &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("gokernel build %q = %d, stderr %q; want %d and %q", tt.args, code, stderr.String(), tt.wantCode, tt.want)
			}
		})
	}
}

// TestBuildUnknownModule asks a local, empty module proxy for a module.
func TestBuildUnknownModule(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	t.Setenv("GOPROXY", "file://"+filepath.ToSlash(t.TempDir()))
	t.Setenv("GOFLAGS", "-mod=mod")
	var stdout, stderr bytes.Buffer
	code := runBuild([]string{"--with", "example.com/nosuchmodule@v1.0.0", "-o", filepath.Join(t.TempDir(), "k")}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "--with example.com/nosuchmodule@v1.0.0: go get") {
		t.Errorf("exit %d, stderr %q; want 1 and an error naming the module", code, stderr.String())
	}
}

// TestBuildWithLocalModule builds a whole kernel; the e2e test
// test_modules.py runs a cell in such a binary.
func TestBuildWithLocalModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a kernel binary")
	}
	bin := filepath.Join(t.TempDir(), "gokernel-greet")
	var stdout, stderr bytes.Buffer
	code := runBuild([]string{"--with", "example.com/greet=" + writeGreet(t), "-o", bin}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("gokernel build = %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "with example.com/greet compiled in") {
		t.Errorf("stdout %q does not say what was compiled in", stdout.String())
	}
	// The symbol table refers to greet.Hello, so the linker kept it.
	nm, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(nm, []byte("example.com/greet.Hello")) {
		t.Error("the binary has no example.com/greet.Hello")
	}
	if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil {
		t.Errorf("%s version: %v\n%s", bin, err, out)
	}
	// The source is untouched: the tables were laid over it.
	if files, _ := filepath.Glob(filepath.Join("..", "..", extractedDir, "zz_build_*")); len(files) != 0 {
		t.Errorf("gokernel build left %v in the source", files)
	}
}

// TestBuildGonumPlot builds the kernel of notebooks/plots.ipynb. It
// downloads gonum/plot and its dependencies, so it runs only when
// GOKERNEL_TEST_GONUM=1; it logs how long the build took.
func TestBuildGonumPlot(t *testing.T) {
	if os.Getenv("GOKERNEL_TEST_GONUM") != "1" {
		t.Skip("set GOKERNEL_TEST_GONUM=1 to build a kernel with gonum.org/v1/plot (needs the module proxy)")
	}
	bin := filepath.Join(t.TempDir(), "gokernel-plot")
	start := time.Now()
	var stdout, stderr bytes.Buffer
	code := runBuild(append(plotArgs(), "-o", bin), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("gokernel build = %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	t.Logf("built in %s: %s", time.Since(start).Round(time.Second), stdout.String())
}

// plotArgs are the --with flags of notebooks/plots.ipynb's kernel.
func plotArgs() []string {
	var args []string
	for _, p := range []string{"gonum.org/v1/plot", "gonum.org/v1/plot/plotter", "gonum.org/v1/plot/vg", "gonum.org/v1/plot/vg/draw", "gonum.org/v1/plot/plotutil"} {
		args = append(args, "--with", p)
	}
	return args
}
