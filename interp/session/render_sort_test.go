package session

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

// TestFormatSortsLikeFmt: map keys come out in fmt's order, for keys of
// every comparable kind fmt orders by value.
func TestFormatSortsLikeFmt(t *testing.T) {
	ts := newTestSession(t)
	type point struct {
		X, y int
		s    string
	}
	for _, m := range []any{
		map[int]string{-3: "a", 10: "b", 2: "c", 0: "d", -20: "e"},
		map[string]int{"b": 1, "a": 2, "B": 3, "": 4, "ab": 5},
		map[float64]int{2.5: 1, -1: 2, math.Inf(1): 3, 0: 4, math.Inf(-1): 5},
		map[uint8]bool{200: true, 3: false, 30: true},
		map[bool]int{true: 1, false: 0},
		map[any]int{10: 1, 2: 2, -1: 3},
		map[[2]int]int{{1, 10}: 1, {1, 2}: 2, {0, 30}: 3},
		map[point]int{{1, 10, "b"}: 1, {1, 2, "z"}: 2, {1, 2, "a"}: 3, {0, 30, ""}: 4},
		map[complex128]int{2i: 1, 1 + 3i: 2, 1: 3},
	} {
		// format writes structs as %+v does.
		if got, want := ts.format(reflect.ValueOf(m)), fmt.Sprintf("%+v", m); got != want {
			t.Errorf("format = %s, want %s", got, want)
		}
	}
}

// TestFormatIsBounded: a large value is formatted quickly and cut short;
// the test would take minutes with a quadratic sort.
func TestFormatIsBounded(t *testing.T) {
	ts := newTestSession(t)
	runSteps(t, ts, []step{{code: `
import "strings"
type key struct{ a, b int }
ints := map[int]int{}
keys := map[key]int{}
for i := range 40000 {
	ints[i] = i
	keys[key{i % 7, i}] = i
}
grid := make([][]int, 2000)
for i := range grid {
	grid[i] = make([]int, 2000)
}
long := strings.Repeat("ab", 1<<20)
`}})
	for _, tt := range []struct {
		code, prefix, more string
	}{
		{"ints", "map[0:0 1:1 2:2 ", " … (39000 more)]"},
		{"keys", "map[{a:0 b:0}:0 {a:0 b:7}:7 ", " … (39000 more)]"},
		{"grid", "[[0 0 0 ", "more)]"},
		{"long", `"ababab`, "more bytes)"},
	} {
		res := ts.Execute(t.Context(), req(tt.code))
		if res.Error != nil || res.Result == nil {
			t.Fatalf("%s: %+v", tt.code, res)
		}
		text := res.Result.Data["text/plain"].(string)
		if !strings.HasPrefix(text, tt.prefix) || !strings.HasSuffix(text, tt.more) || len(text) > resultLimits.bytes+100 {
			t.Errorf("%s: %d bytes: %.60s…%s, want %q…%q", tt.code, len(text), text, text[max(0, len(text)-30):], tt.prefix, tt.more)
		}
		insp := ts.Inspect(tt.code, len(tt.code), 0)
		if text, _ := insp.Data["text/plain"].(string); !strings.Contains(text, "more") || len(text) > inspectLimits.bytes+200 {
			t.Errorf("Inspect(%s): %d bytes, want it cut short", tt.code, len(text))
		}
	}
}
