package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gokernel/gokernel/interp"
)

// displays records what a session publishes.
type displays struct {
	mu   sync.Mutex
	list []interp.DisplayData
}

func (d *displays) add(x interp.DisplayData) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.list = append(d.list, x)
}

func (d *displays) take() []interp.DisplayData {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.list
	d.list = nil
	return l
}

func newDisplaySession(t testing.TB) (*Session, *displays) {
	t.Helper()
	dir := t.TempDir()
	var files []*os.File
	for _, name := range []string{"stdout", "stderr"} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		files = append(files, f)
	}
	d := &displays{}
	s, err := New(Options{Stdout: files[0], Stderr: files[1], Display: d.add})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, d
}

func mustRun(t *testing.T, s *Session, code string) interp.ExecuteResult {
	t.Helper()
	res := s.Execute(context.Background(), interp.ExecuteRequest{Code: code})
	if res.Error != nil {
		t.Fatalf("%q: %v", code, res.Error)
	}
	return res
}

func TestResultMIMETypes(t *testing.T) {
	s, _ := newDisplaySession(t)
	mustRun(t, s, `
import "image"
import "image/color"
import "errors"
type Card struct{ Name string }
func (c Card) HTML() string { return "<b>" + c.Name + "</b>" }
type Doc struct{ md string }
func (d *Doc) Markdown() string { return "# " + d.md }
type Plain struct{ X int }
type Row struct { Name string; Age int }
`)
	tests := []struct {
		code, mime, want string // want: a substring of the mime's data
		text             string
	}{
		{`display.HTML("<i>x</i>")`, "text/html", "<i>x</i>", "<i>x</i>"},
		{`display.Markdown("# T")`, "text/markdown", "# T", "# T"},
		{`display.Latex("$x^2$")`, "text/latex", "$x^2$", "$x^2$"},
		{`display.SVG("<svg/>")`, "image/svg+xml", "<svg/>", "<SVG image>"},
		{`display.JSON(map[string]int{"a": 1})`, "application/json", "map[a:1]", "{\n  \"a\": 1\n}"},
		{`display.Text("plain")`, "text/plain", "plain", "plain"},
		{`display.MIME(map[string]any{"text/csv": "a,b"}, nil)`, "text/csv", "a,b", ""},
		{`image.NewRGBA(image.Rect(0, 0, 2, 3))`, "image/png", "\x89PNG", "<image 2x3>"},
		{`errors.New("bad thing")`, "text/html", "bad thing", "bad thing"},
		{`Card{"ace"}`, "text/html", "<b>ace</b>", "ace"},
		{`&Doc{"title"}`, "text/markdown", "# title", ""},
		{`display.Table([]Row{{"ann", 3}, {"bob", 40}})`, "text/html", "<td>bob</td><td>40</td>", "Name"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			res := mustRun(t, s, tt.code)
			if res.Result == nil {
				t.Fatal("no result")
			}
			got, ok := res.Result.Data[tt.mime]
			if !ok {
				t.Fatalf("no %s in %v", tt.mime, res.Result.Data)
			}
			var str string
			switch g := got.(type) {
			case string:
				str = g
			case []byte:
				str = string(g)
			default:
				str = strings.TrimSpace(strings.ReplaceAll(fmtAny(g), "\n", ""))
			}
			if !strings.Contains(str, tt.want) {
				t.Errorf("%s = %q, want it to contain %q", tt.mime, str, tt.want)
			}
			if text, _ := res.Result.Data["text/plain"].(string); !strings.Contains(text, tt.text) {
				t.Errorf("text/plain = %q, want it to contain %q", text, tt.text)
			}
		})
	}
	// A struct without display methods, even one shaped like a struct
	// that has them, stays text.
	res := mustRun(t, s, `Plain{1}`)
	if len(res.Result.Data) != 1 {
		t.Errorf("Plain{1}: %v, want text only", res.Result.Data)
	}
}

func TestShowUpdateClear(t *testing.T) {
	s, d := newDisplaySession(t)
	mustRun(t, s, `
import "fmt"
type Card struct{ Name string }
func (c Card) HTML() string { return "<b>" + c.Name + "</b>" }
display.Show(display.HTML("<p>1</p>"), Card{"k"})
h := display.NewHandle(display.Text("0%"))
for i := 1; i <= 2; i++ {
	h.Update(display.Text(fmt.Sprint(i*50, "%")))
}
display.Clear(true)
`)
	got := d.take()
	type want struct {
		update, clear bool
		id            bool
		text          string
	}
	wants := []want{
		{text: "<p>1</p>"}, {text: "{Name:k}"}, {id: true, text: "0%"},
		{update: true, id: true, text: "50%"}, {update: true, id: true, text: "100%"}, {clear: true},
	}
	if len(got) != len(wants) {
		t.Fatalf("got %d displays, want %d: %+v", len(got), len(wants), got)
	}
	var id any
	for i, w := range wants {
		g := got[i]
		if g.Update != w.update || g.Clear != w.clear {
			t.Errorf("display %d: update %v clear %v, want %v %v", i, g.Update, g.Clear, w.update, w.clear)
		}
		if w.clear {
			if !g.Wait {
				t.Errorf("display %d: clear without wait", i)
			}
			continue
		}
		if text := g.Data["text/plain"]; text != w.text {
			t.Errorf("display %d: text %q, want %q", i, text, w.text)
		}
		gotID := g.Transient["display_id"]
		if (gotID != nil) != w.id {
			t.Errorf("display %d: display_id %v, want one: %v", i, gotID, w.id)
		}
		if w.id {
			if id == nil {
				id = gotID
			} else if gotID != id {
				t.Errorf("display %d: display_id %v, want %v", i, gotID, id)
			}
		}
	}
	if html := got[1].Data["text/html"]; html != "<b>k</b>" {
		t.Errorf("Show of a cell type with HTML(): text/html %q", html)
	}
}

// TestDisplayImportable checks that the package also imports by its path,
// and that sessions do not share a display.
func TestDisplayImportable(t *testing.T) {
	s1, d1 := newDisplaySession(t)
	s2, d2 := newDisplaySession(t)
	mustRun(t, s1, `import d "github.com/gokernel/gokernel/display"`+"\n"+`d.Show("one")`)
	mustRun(t, s2, `display.Show("two")`)
	if g1, g2 := d1.take(), d2.take(); len(g1) != 1 || len(g2) != 1 ||
		g1[0].Data["text/plain"] != `"one"` || g2[0].Data["text/plain"] != `"two"` {
		t.Errorf("session 1 got %v, session 2 got %v", g1, g2)
	}
}

func fmtAny(v any) string { return strings.TrimSpace(fmt.Sprint(v)) }

// TestSameShapeTypes: yaegi gives struct types of the same shape one
// runtime type, so a value of one must not render through another's
// display method, nor its fields be named by another's declaration.
func TestSameShapeTypes(t *testing.T) {
	s, _ := newDisplaySession(t)
	mustRun(t, s, `
type A struct{ X int }
func (a A) HTML() string { return "<b>A</b>" }
type B struct{ X int }
type Secret struct{ s int }
type Open struct{ Xs int; Y int }
type Twin struct{ s, t int }
type Twin2 struct{ Xs int; t int }
`)
	for _, tt := range []struct{ code, text string }{
		{"B{1}", "{X:1}"},
		{"A{1}", "{X:1}"}, // which of A and B it is cannot be told
		{"Secret{1}", "{s:1}"},
		{"Open{Xs: 1}", "{Xs:1 Y:0}"},
		{"Twin{1, 2}", "{Xs:1 t:2}"}, // s or Xs cannot be told, t can
	} {
		res := mustRun(t, s, tt.code)
		if text := res.Result.Data["text/plain"]; text != tt.text || len(res.Result.Data) != 1 {
			t.Errorf("%s: %v, want only text %q", tt.code, res.Result.Data, tt.text)
		}
	}
}

// TestInterfaceResult shows a value held by a variable of an interface
// type declared in a cell: yaegi wraps it in a struct of its own, which
// must not show.
func TestInterfaceResult(t *testing.T) {
	ts := newTestSession(t)
	runSteps(t, ts, []step{
		{code: "type I interface{ M() int }\ntype Q struct{ v int }\nfunc (q Q) M() int { return q.v }"},
		{code: "var i I = Q{3}\ni", result: "{v:3}"},
		{code: "[]I{Q{1}, Q{2}}", result: "[{v:1} {v:2}]"},
		{code: "var k I = &Q{4}\nk", result: "&{v:4}"},
		{code: "var n I\nn", result: "nil"},
		{code: "type S string\nfunc (s S) M() int { return len(s) }\nvar st I = S(\"hi\")\nst", result: `"hi"`},
		{code: "import \"errors\"\ntype Er interface{ error }\nvar x Er = errors.New(\"boom\")\nx", result: "boom"},
	})
}
