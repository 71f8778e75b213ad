package session

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp"
)

func TestCompleteMembers(t *testing.T) {
	s, _ := newDisplaySession(t)
	mustRun(t, s, `
import "strings"
type Point struct{ X, Y int; label string }
func (p Point) Norm() int { return p.X*p.X + p.Y*p.Y }
p := Point{1, 2, "a"}
var sb strings.Builder
héllo := 1
`)
	tests := []struct {
		code       string
		want       []string // all must be among the matches
		start, end int      // in code points
	}{
		{"strings.ToU", []string{"ToUpper"}, 8, 11},
		{"bytes.Buf", []string{"Buffer"}, 6, 9}, // not imported yet
		{"display.HT", []string{"HTML", "HTMLer"}, 8, 10},
		{"p.", []string{"X", "Y", "label", "Norm"}, 2, 2},
		{"sb.Wr", []string{"WriteString", "WriteByte"}, 3, 5},
		{"x := hé", []string{"héllo"}, 5, 7},
		{"fo", []string{"for"}, 0, 2},
	}
	for _, tt := range tests {
		got := s.Complete(tt.code, len([]rune(tt.code)))
		for _, w := range tt.want {
			if !slices.Contains(got.Matches, w) {
				t.Errorf("Complete(%q): %v lacks %q", tt.code, got.Matches, w)
			}
		}
		if got.CursorStart != tt.start || got.CursorEnd != tt.end {
			t.Errorf("Complete(%q): cursor [%d,%d], want [%d,%d]", tt.code, got.CursorStart, got.CursorEnd, tt.start, tt.end)
		}
		types, _ := got.Metadata["_jupyter_types_experimental"].([]map[string]any)
		if len(types) != len(got.Matches) {
			t.Errorf("Complete(%q): %d types for %d matches", tt.code, len(types), len(got.Matches))
		}
	}
}

func TestInspectDocs(t *testing.T) {
	s, _ := newDisplaySession(t)
	mustRun(t, s, "import \"fmt\"\nn := 3\nfunc twice(x int) int {\n\treturn 2 * x\n}")
	tests := []struct {
		code   string
		detail int
		want   []string
	}{
		{"fmt.Println", 0, []string{"func Println(a ...any) (n int, err error)", "Println formats"}},
		{"strings.Builder", 0, []string{"type Builder struct", "A Builder is used"}},
		{"display.Table", 0, []string{"func Table(rows any) Data"}},
		{"n", 0, []string{"type: int", "value: 3"}},
		{"twice", 0, []string{"func twice(x int) int"}},
		{"twice", 1, []string{"return 2 * x"}},
	}
	for _, tt := range tests {
		got := s.Inspect(tt.code, len(tt.code), tt.detail)
		text, _ := got.Data["text/plain"].(string)
		for _, w := range tt.want {
			if !got.Found || !strings.Contains(text, w) {
				t.Errorf("Inspect(%q, %d) = %q, want it to contain %q", tt.code, tt.detail, text, w)
			}
		}
	}
}

// BenchmarkCompleteInspect measures completion and inspection in a session
// of 200 cells; each must answer well under 20 ms.
func BenchmarkCompleteInspect(b *testing.B) {
	s, _ := newDisplaySession(b)
	for i := range 200 {
		code := "type T" + itoa(i) + " struct{ A, B int }\nv" + itoa(i) + " := T" + itoa(i) + "{1, 2}\nfunc f" + itoa(i) + "(x int) int { return x + " + itoa(i) + " }"
		if res := s.Execute(b.Context(), req(code)); res.Error != nil {
			b.Fatal(res.Error)
		}
	}
	for _, tc := range []struct{ name, code string }{
		{"complete/ident", "v1"}, {"complete/member", "v199."}, {"complete/package", "strings."},
		{"inspect/stdlib", "fmt.Println"}, {"inspect/var", "v150"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			inspect := strings.HasPrefix(tc.name, "inspect")
			for b.Loop() {
				if inspect {
					s.Inspect(tc.code, len(tc.code), 0)
				} else {
					s.Complete(tc.code, len(tc.code))
				}
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func req(code string) interp.ExecuteRequest { return interp.ExecuteRequest{Code: code} }

// TestCompleteCompiledPackages: members of compiled-in packages and of the
// standard library of the Go that built gokernel complete too.
func TestCompleteCompiledPackages(t *testing.T) {
	ts := newTestSession(t)
	for _, tt := range []struct{ code, want string }{
		{"strings.SplitS", "strings.SplitSeq"},
		{"system.Disk", "system.DiskUsage"},
	} {
		c := ts.Complete(tt.code, len([]rune(tt.code)))
		if !slices.Contains(c.Matches, tt.want) && !slices.Contains(c.Matches, tt.want[strings.Index(tt.want, ".")+1:]) {
			t.Errorf("Complete(%q) = %v, want %s among them", tt.code, c.Matches, tt.want)
		}
	}
}

// TestUserExpressionThatIsADeclaration: text ParseExpr accepts but a cell
// reads as a declaration is an error reply, not a panic.
func TestUserExpressionThatIsADeclaration(t *testing.T) {
	ts := newTestSession(t)
	r := ts.userExpression(context.Background(), "func(a int) b (c)")
	if r["status"] != "error" {
		t.Fatalf("reply = %v", r)
	}
}

// TestSameShapeMembers: a variable's methods come from its type's
// declaration only when no other declared type shares its runtime type
// (see TestSameShapeTypes), and a call's results are counted only when the
// types that could be its receiver agree.
func TestSameShapeMembers(t *testing.T) {
	ts := newTestSession(t)
	code := "type N struct{ X int }\nfunc (N) M() {}\nfunc (N) Only() {}\nvar n N\nvar u struct{ U, V int }\n"
	for i := range 10 {
		// Enough same-shaped types for map order to pick one of them.
		code += fmt.Sprintf("type A%d struct{ X int }\nfunc (A%[1]d) M() int { return 7 }\n", i)
	}
	runSteps(t, ts, []step{
		{code: code},
		{code: "u.U = 7\nn.M()"},
		{code: "n.Only()"},
	})
	if c := ts.Complete("n.", 2); slices.Contains(c.Matches, "M") || !slices.Contains(c.Matches, "X") {
		t.Errorf(`Complete("n.") = %v, want X and not M`, c.Matches)
	}
}
