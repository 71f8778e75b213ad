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
