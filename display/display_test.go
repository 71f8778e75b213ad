package display

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"reflect"
	"strings"
	"testing"
)

type card struct{ name string }

func (c card) HTML() string { return "<b>" + c.name + "</b>" }

// note has display methods on its pointer, which dereference it.
type note struct{ text string }

func (n *note) Markdown() string { return "*" + n.text + "*" }

// both has two display methods: Render tries HTML first.
type both struct{}

func (both) HTML() string     { return "<p>both</p>" }
func (both) Markdown() string { return "both" }

// own builds its own bundle, text included.
type own struct{}

func (own) Render() Data { return MIME(map[string]any{"a/b": 1, MIMEText: "mine"}, nil) }

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
		{"nil data", (*Data)(nil), false, ""},
		{"HTMLer", card{"c"}, true, MIMEHTML},
		{"pointer to HTMLer", &card{"c"}, true, MIMEHTML},
		{"nil pointer to HTMLer", (*card)(nil), false, ""},
		{"pointer method", &note{"n"}, true, MIMEMarkdown},
		{"nil pointer, pointer method", (*note)(nil), false, ""},
		{"HTML before Markdown", both{}, true, MIMEHTML},
		{"Renderer", own{}, true, "a/b"},
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

func TestRenderText(t *testing.T) {
	tests := []struct {
		name string
		v    any
		text string
	}{
		{"a method's value shows its fmt form", card{"c"}, "{c}"},
		{"a Renderer keeps its own", own{}, "mine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d, _ := Render(tt.v); d.Data[MIMEText] != tt.text {
				t.Errorf("text/plain = %q, want %q", d.Data[MIMEText], tt.text)
			}
		})
	}
}

func TestFromMethod(t *testing.T) {
	want := []string{"Render", "HTML", "SVG", "PNG", "JPEG", "Markdown", "Latex"}
	if got := MethodNames(); !reflect.DeepEqual(got, want) {
		t.Errorf("MethodNames() = %q, want %q", got, want)
	}
	tests := []struct {
		name   string
		result any
		ok     bool
		mime   string
	}{
		{"Render", HTML("x"), true, MIMEHTML},
		{"HTML", "<i>x</i>", true, MIMEHTML},
		{"SVG", "<svg/>", true, MIMESVG},
		{"PNG", []byte("not a png"), true, MIMEPNG},
		{"JPEG", []byte{}, true, MIMEJPEG},
		{"Markdown", "# x", true, MIMEMarkdown},
		{"Latex", "$x$", true, MIMELatex},
		{"HTML", 42, false, ""},
		{"String", "x", false, ""},
	}
	for _, tt := range tests {
		d, ok := FromMethod(tt.name, tt.result)
		if ok != tt.ok {
			t.Errorf("FromMethod(%q, %#v): ok = %v, want %v", tt.name, tt.result, ok, tt.ok)
			continue
		}
		if _, has := d.Data[tt.mime]; ok && !has {
			t.Errorf("FromMethod(%q, %#v) = %v, want %s", tt.name, tt.result, d.Data, tt.mime)
		}
	}
}

func TestImageSize(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 3, 2))
	var p, j bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&j, img, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		d    Data
		mime string
	}{
		{"PNG", PNG(p.Bytes()), MIMEPNG},
		{"JPEG", JPEG(j.Bytes()), MIMEJPEG},
		{"Image", Image(img), MIMEPNG},
	}
	want := map[string]any{"width": 3, "height": 2}
	for _, tt := range tests {
		if got := tt.d.Metadata[tt.mime]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: metadata[%s] = %v, want %v", tt.name, tt.mime, got, want)
		}
	}
	if m := PNG([]byte("not a png")).Metadata; len(m) != 0 {
		t.Errorf("undecodable PNG: metadata %v, want none", m)
	}
}

func TestJSON(t *testing.T) {
	type point struct {
		Y, X int
	}
	tests := []struct {
		name string
		v    any
		json string // the application/json data, encoded again
		text string
	}{
		{"past 2^53", map[string]any{"id": int64(1<<53 + 1)}, `{"id":9007199254740993}`, "{\n  \"id\": 9007199254740993\n}"},
		{"uint64", []uint64{math.MaxUint64}, `[18446744073709551615]`, "[\n  18446744073709551615\n]"},
		{"float", 0.1, `0.1`, "0.1"},
		{"struct order", point{1, 2}, `{"X":2,"Y":1}`, "{\n  \"Y\": 1,\n  \"X\": 2\n}"},
		{"html escaped", "<b>", `"\u003cb\u003e"`, `"\u003cb\u003e"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := JSON(tt.v)
			b, err := json.Marshal(d.Data[MIMEJSON])
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.json {
				t.Errorf("application/json = %s, want %s", b, tt.json)
			}
			if d.Data[MIMEText] != tt.text {
				t.Errorf("text/plain = %q, want %q", d.Data[MIMEText], tt.text)
			}
		})
	}
	if d := JSON(make(chan int)); !strings.HasPrefix(d.Data[MIMEText].(string), "display.JSON: ") || len(d.Data) != 1 {
		t.Errorf("unmarshallable value: %v, want the error as text", d.Data)
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
		{"map pointers", []*map[string]int{{"x": 1}, nil}, []string{"<th>x</th>", "<td>1</td>", "<tr><td></td></tr>"}, false},
		{"nil map pointer only", []*map[string]int{nil}, []string{"<tbody>\n<tr></tr>"}, false},
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
