package lower_test

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/format"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/lower"
	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
)

// TestBehaviour runs each program in testdata with the Go toolchain and,
// after lowering, with yaegi, and compares what they print.
func TestBehaviour(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no Go toolchain:", err)
	}
	files, err := filepath.Glob("testdata/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test programs: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".go"), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if raceEnabled && startsGoroutines(t, src) {
				// yaegi writes a closure's frame from one goroutine while
				// another reads it (interp.getFunc): a race inside yaegi
				// that the detector reports, now and then, whenever
				// interpreted goroutines run. The program runs without -race.
				t.Skip("starts interpreted goroutines, in which yaegi races with itself")
			}
			want := goRun(t, goBin, src)
			lowered := lowerFile(t, file, src)
			// The rewrites make Go, not only code yaegi accepts.
			fset := token.NewFileSet()
			lf, err := parser.ParseFile(fset, "lowered.go", lowered, 0)
			if err == nil {
				_, err = (&types.Config{Importer: importer.Default()}).Check("main", fset, []*ast.File{lf}, nil)
			}
			if err != nil {
				t.Errorf("the lowered program is not valid Go: %v\n%s", err, lowered)
			}
			got, err := yaegiRun(lowered)
			if err != nil {
				t.Fatalf("yaegi: %v\nlowered program:\n%s", err, lowered)
			}
			if got != want {
				t.Errorf("yaegi printed\n%s\ngo run printed\n%s\nlowered program:\n%s", got, want, lowered)
			}
		})
	}
}

// goRun runs src with the Go toolchain and returns its standard output.
func goRun(t *testing.T, goBin string, src []byte) string {
	t.Helper()
	dir := t.TempDir()
	main := filepath.Join(dir, "main.go")
	if err := os.WriteFile(main, src, 0o666); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goBin, "run", main)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GO111MODULE=off", "GOFLAGS=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run: %v\n%s", err, stderr.Bytes())
	}
	return string(out)
}

// lowerFile parses src, lowers it and returns the formatted result.
func lowerFile(t *testing.T, name string, src []byte) string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	cfg := lower.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	// The generics_ programs test monomorphisation; the others keep their
	// generic code, as a notebook cell's declarations do.
	cfg.Program = strings.HasPrefix(filepath.Base(name), "generics_")
	if _, err := cfg.Rewrite(fset, f); err != nil {
		t.Fatalf("Rewrite: %v", err)
	}
	return formatNode(t, fset, f)
}

func formatNode(t *testing.T, fset *token.FileSet, n ast.Node) string {
	t.Helper()
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, n); err != nil {
		t.Fatalf("format: %v", err)
	}
	return buf.String()
}

// yaegiRun evaluates src with yaegi and returns what it printed. A panic,
// even one that escapes yaegi, becomes an error.
func yaegiRun(src string) (out string, err error) {
	var stdout bytes.Buffer
	i := interp.New(interp.Options{Stdout: &stdout, Stderr: &stdout})
	if err := i.Use(stdlib.Symbols); err != nil {
		return "", err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = i.EvalWithContext(ctx, src)
	return stdout.String(), err
}

// startsGoroutines reports whether the program src has a go statement.
func startsGoroutines(t *testing.T, src []byte) bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		if _, ok := n.(*ast.GoStmt); ok {
			found = true
		}
		return !found
	})
	return found
}
