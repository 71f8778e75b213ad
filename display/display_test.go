package display

import (
	"errors"
	"image"
	"strings"
	"testing"
)

type card struct{ name string }

func (c card) HTML() string { return "<b>" + c.name + "</b>" }

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		v    any
		ok   bool
		mime string
	}{
		{"data", HTML("x"), true, MIMEHTML},
		{"pointer to data", &Data{Data: map[string]any{"a/b": 1}}, true, "a/b"},
		{"image", image.NewGray(image.Rect(0, 0, 1, 1)), true, MIMEPNG},
		{"nil image", (*image.Gray)(nil), false, ""},
		{"HTMLer", card{"c"}, true, MIMEHTML},
		{"error has no rich form", errors.New("e"), false, ""},
		{"int", 3, false, ""},
		{"nil", nil, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := Render(tt.v)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if _, has := d.Data[tt.mime]; ok && !has {
				t.Errorf("no %s in %v", tt.mime, d.Data)
			}
		})
	}
}

func TestTable(t *testing.T) {
	type row struct {
		Name   string
		Age    int
		hidden bool
	}
	tests := []struct {
		name   string
		rows   any
		html   []string
		noHTML bool
	}{
		{"structs", []row{{"a<b", 1, true}, {"c", 2, false}}, []string{"<th>Name</th><th>Age</th></tr>", "<td>a&lt;b</td><td>1</td>"}, false},
		{"pointers", []*row{{"p", 3, false}, nil}, []string{"<td>p</td><td>3</td>", "<tr><td></td><td></td></tr>"}, false},
		{"maps", []map[string]int{{"x": 1}, {"y": 2}}, []string{"<th>x</th><th>y</th>", "<td></td><td>2</td>"}, false},
		{"not a table", 42, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Table(tt.rows)
			h, has := d.Data[MIMEHTML].(string)
			if has == tt.noHTML {
				t.Fatalf("html present = %v: %v", has, d.Data)
			}
			for _, w := range tt.html {
				if !strings.Contains(h, w) {
					t.Errorf("html %q lacks %q", h, w)
				}
			}
		})
	}
}

func TestHandle(t *testing.T) {
	var got []Message
	d := New(func(m Message) { got = append(got, m) }, func(v any) Data { return Text(v.(string)) })
	h := d.NewHandle("a")
	h.Update("b")
	d.Clear(true)
	if len(got) != 3 || got[0].DisplayID == "" || got[1].DisplayID != got[0].DisplayID || !got[1].Update ||
		!got[2].Clear || !got[2].Wait || got[1].Data.Data[MIMEText] != "b" {
		t.Errorf("messages: %+v", got)
	}
}
