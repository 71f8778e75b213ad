package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFailedImport: a source package yaegi fails to load is half-loaded
// for good; later uses and imports of it get an error that says so, not
// yaegi's "import cycle not allowed" or a crash, and the session goes on.
func TestFailedImport(t *testing.T) {
	gopath := t.TempDir()
	dir := filepath.Join(gopath, "src", "example.com", "asm")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "asm.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("package asm\n\ntype T struct{ N int }\n\nfunc F() int\n")
	ts := newTestSession(t)
	s, err := New(Options{Stdout: ts.stdout, Stderr: ts.stderr, GoPath: gopath})
	if err != nil {
		t.Fatal(err)
	}
	ts.Session = s

	runSteps(t, ts, []step{
		{code: `import "example.com/asm"`, errName: ErrNameCompile, errVal: `1:8: import "example.com/asm" error: ` + dir},
		{code: "var v asm.T", errName: ErrNameCompile, errVal: `1:7: undefined: asm (the import of "example.com/asm" failed: ` + dir},
		{code: "x := 1\ny := asm.F()", errName: ErrNameCompile, errVal: "2:6: undefined: asm"},
		{code: "x := 2\nx", result: "2"},
		// A parameter of the cell named like the failed import is no use of it.
		{code: "type box struct{ N int }\nfunc get(asm box) int { return asm.N }\nget(box{3})", result: "3"},
		// A name of the cell's own shadows the failed import.
		{code: "type asmT struct{ N int }\nvar asm = asmT{5}\nasm.N", result: "5"},
	})
	write("package asm\n\nfunc F() int { return 7 }\n")
	runSteps(t, ts, []step{
		{code: `import "example.com/asm"`, errName: ErrNameCompile, errVal: `1:8: import "example.com/asm": loading it failed earlier in this session`},
		// A package that was not found is not half-loaded: once it
		// exists, it imports.
		{code: `import "example.com/later"`, errName: ErrNameCompile},
	})
	later := filepath.Join(gopath, "src", "example.com", "later")
	if err := os.MkdirAll(later, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(later, "later.go"), []byte("package later\n\nfunc F() int { return 8 }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runSteps(t, ts, []step{
		{code: "import \"example.com/later\"\nlater.F()", result: "8"},
	})
}

func TestImportHint(t *testing.T) {
	for _, tc := range []struct{ msg, want string }{
		{`import "x" error: /p/x/f.go:5:1: missing function body`, "written in assembly"},
		{`import "x" error: /p/x/f.go:47:12: undefined: max`, "min, max and clear"},
		{`import "x" error: /p/x/f.go:47:12: undefined: minute`, ""},
		{`import "x" error: unable to find source related to: "x"`, ""},
	} {
		got := importHint(tc.msg)
		if (tc.want == "") != (got == "") || (tc.want != "" && !strings.Contains(got, tc.want)) {
			t.Errorf("importHint(%q) = %q, want it to say %q", tc.msg, got, tc.want)
		}
	}
}
