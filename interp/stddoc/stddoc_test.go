package stddoc

import (
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		path, name     string
		decl, docStart string
	}{
		{"fmt", "Println", "func Println(a ...any) (n int, err error)", "Println formats"},
		{"strings", "Builder.WriteString", "func (b *Builder) WriteString(s string) (int, error)", "WriteString appends"},
		{"math", "Pi", "Pi", ""},
		{"bytes", "Buffer", "type Buffer struct", "A Buffer is"},
		{"github.com/gokernel/gokernel/display", "HTML", "func HTML(s string) Data", "HTML returns"},
	}
	for _, tt := range tests {
		t.Run(tt.path+"."+tt.name, func(t *testing.T) {
			d, ok := Lookup(tt.path, tt.name)
			if !ok {
				t.Fatal("not found")
			}
			if !strings.Contains(d.Decl, tt.decl) || !strings.HasPrefix(d.Doc, tt.docStart) {
				t.Errorf("got %q / %q", d.Decl, d.Doc)
			}
		})
	}
	if _, ok := Lookup("fmt", "NoSuchThing"); ok {
		t.Error("found fmt.NoSuchThing")
	}
}

// TestLookupCache: a package read from GOROOT/src is read once, and so is
// one that cannot be read.
func TestLookupCache(t *testing.T) {
	if goroot() == "" {
		t.Skip("no GOROOT")
	}
	if _, ok := embedded()["container/ring"]; ok {
		t.Fatal("container/ring is embedded: the test needs a package that is not")
	}
	reads := map[string]int{}
	extract = func(dir string) (Package, error) {
		reads[dir]++
		return Extract(dir)
	}
	t.Cleanup(func() { extract = Extract })
	sourceMu.Lock()
	clear(sources)
	sourceMu.Unlock()

	tests := []struct {
		path, name string
		found      bool
	}{
		{"container/ring", "Ring.Len", true},
		{"container/ring", "New", true},
		{"container/ring", "NoSuchThing", false},
		{"no/such/package", "X", false},
		{"no/such/package", "Y", false},
	}
	for _, tt := range tests {
		d, ok := Lookup(tt.path, tt.name)
		if ok != tt.found {
			t.Errorf("Lookup(%q, %q) found = %v, want %v", tt.path, tt.name, ok, tt.found)
		}
		if again, _ := Lookup(tt.path, tt.name); again != d {
			t.Errorf("Lookup(%q, %q) again = %+v, want %+v", tt.path, tt.name, again, d)
		}
	}
	if len(reads) != 2 {
		t.Errorf("read %v, want the two packages", reads)
	}
	for dir, n := range reads {
		if n != 1 {
			t.Errorf("%s read %d times, want once", dir, n)
		}
	}
}
