package session

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp"
)

// TestLoweringWithoutToolchain runs the rewrites that need package types
// with the symbol importer alone, as on a device without Go installed: the
// go command's importer is never asked.
func TestLoweringWithoutToolchain(t *testing.T) {
	ts := newTestSession(t)
	ts.importer = &cachingImporter{
		imp:    newSymbolImporter(nil, typeSources(), compiledTables()...),
		failed: make(map[string]error),
	}
	cells := []struct{ code, want string }{
		{"import (\n\"fmt\"\n\"iter\"\n\"maps\"\n\"slices\"\n\"strings\"\n)", ""},
		{"m := map[string]int{\"b\": 2, \"a\": 1}\nkeys := slices.Sorted(maps.Keys(m))\nfmt.Println(keys)", "[a b]\n"},
		{"for part := range strings.SplitSeq(\"x,y\", \",\") {\n\tfmt.Print(part, \";\")\n}\nfmt.Println()", "x;y;\n"},
		{"func count(n int) iter.Seq[int] {\n\treturn func(yield func(int) bool) {\n\t\tfor i := range n {\n\t\t\tif !yield(i) {\n\t\t\t\treturn\n\t\t\t}\n\t\t}\n\t}\n}\nseq := count(3)", ""},
		{"for v := range seq {\n\tfmt.Print(v)\n}\nfmt.Println()", "012\n"},
		{"var b strings.Builder\nb.WriteString(\"hi\")\nfmt.Println(b.Len(), slices.Max([]int{3, 9, 1}))", "2 9\n"},
	}
	for _, c := range cells {
		before := ts.stdoutLen(t)
		if res := ts.Execute(context.Background(), interp.ExecuteRequest{Code: c.code}); res.Error != nil {
			t.Fatalf("%q: %s: %s", c.code, res.Error.Name, res.Error.Value)
		}
		if got := ts.stdoutSince(t, before); got != c.want {
			t.Errorf("%q printed %q, want %q", c.code, got, c.want)
		}
	}
}

func (ts *testSession) stdoutLen(t *testing.T) int64 {
	t.Helper()
	st, err := ts.stdout.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func (ts *testSession) stdoutSince(t *testing.T, off int64) string {
	t.Helper()
	data, err := os.ReadFile(ts.stdout.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(data[off:])
}

// TestSymbolImporterCoversEveryPackage builds a go/types package for every
// package of the symbol tables: none may fail (a struct embedding a type with
// methods once panicked inside reflect.StructOf).
func TestSymbolImporterCoversEveryPackage(t *testing.T) {
	tables := compiledTables()
	im := newSymbolImporter(nil, typeSources(), tables...)
	seen := map[string]bool{}
	for _, table := range tables {
		for key := range table {
			i := strings.LastIndex(key, "/")
			if i < 0 {
				continue // not "path/name"
			}
			path := key[:i]
			if seen[path] {
				continue
			}
			seen[path] = true
			// Packages whose API is all generic (weak, unique) have empty
			// tables, and so empty packages here.
			if _, err := im.Import(path); err != nil {
				t.Errorf("Import(%q): %v", path, err)
			}
		}
	}
	if len(seen) < 150 {
		t.Errorf("only %d packages in the tables", len(seen))
	}
}
