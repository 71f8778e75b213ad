package kernel

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func TestHistoryQuery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	old, err := openHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, src := range []string{"a := 1", "1 + 2", "1 + 2"} {
		if err := old.add(i+1, src, nil); err != nil {
			t.Fatal(err)
		}
	}
	h, err := openHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	out := "3"
	for i, src := range []string{"1 + 2", "b := \"x\"\nb"} {
		if err := h.add(i+1, src, &out); err != nil {
			t.Fatal(err)
		}
	}
	n := func(i int) *int { return &i }
	tests := []struct {
		name string
		q    historyQuery
		want []string // "session:line"
	}{
		{"tail", historyQuery{HistAccessType: "tail", N: n(2)}, []string{"2:1", "2:2"}},
		{"tail all", historyQuery{HistAccessType: "tail"}, []string{"1:1", "1:2", "1:3", "2:1", "2:2"}},
		{"range current", historyQuery{HistAccessType: "range", Session: 0, Start: 1}, []string{"2:1", "2:2"}},
		{"range previous", historyQuery{HistAccessType: "range", Session: -1, Start: 2, Stop: n(3)}, []string{"1:2"}},
		{"range by number", historyQuery{HistAccessType: "range", Session: 1, Start: 1}, []string{"1:1", "1:2", "1:3"}},
		{"search", historyQuery{HistAccessType: "search", Pattern: "1 + *"}, []string{"1:2", "1:3", "2:1"}},
		{"search unique", historyQuery{HistAccessType: "search", Pattern: "1 + *", Unique: true}, []string{"2:1"}},
		{"search n", historyQuery{HistAccessType: "search", Pattern: "*", N: n(1)}, []string{"2:2"}},
		{"search across lines", historyQuery{HistAccessType: "search", Pattern: "b*b"}, []string{"2:2"}},
		{"search class", historyQuery{HistAccessType: "search", Pattern: "[ab] :=*"}, []string{"1:1", "2:2"}},
		{"search negated class", historyQuery{HistAccessType: "search", Pattern: "[^a] :=*"}, []string{"2:2"}},
		{"search class with ]", historyQuery{HistAccessType: "search", Pattern: "[]a] :=*"}, []string{"1:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.query(tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range got {
				ids = append(ids, fmt.Sprintf("%d:%d", e.Session, e.Line))
			}
			if fmt.Sprint(ids) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", ids, tt.want)
			}
		})
	}
	if _, err := h.query(historyQuery{HistAccessType: "nope"}); err == nil {
		t.Error("unknown access type: no error")
	}
}

// TestHistoryConcurrentKernels appends from two histories sharing a file,
// past the size bound, and checks that sessions are distinct and that
// every line read back is whole.
func TestHistoryConcurrentKernels(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	a, err := openHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := openHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	if a.session == b.session {
		t.Fatalf("both kernels got session %d", a.session)
	}
	big := string(make([]byte, 4<<10))
	const lines = 400 // 2 × 400 × 4 KiB: over historyMaxBytes, so it compacts
	var wg sync.WaitGroup
	for _, h := range []*history{a, b} {
		wg.Go(func() {
			for i := range lines {
				if err := h.add(i+1, big, nil); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	entries, err := readHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 || len(entries) >= 2*lines {
		t.Fatalf("%d entries after compaction", len(entries))
	}
	for _, e := range entries {
		if e.Line > 0 && len(e.Source) != len(big) {
			t.Fatalf("torn entry %d:%d (%d bytes)", e.Session, e.Line, len(e.Source))
		}
	}
	if c, err := openHistory(path); err != nil || c.session != max(a.session, b.session)+1 {
		t.Errorf("next session %d (%v), want %d", c.session, err, max(a.session, b.session)+1)
	}
}

// TestGlobRegexp checks the translation against sqlite's GLOB: a class
// starting with ^ is negated, a ] first in a class is literal, - is literal
// first or last, and a class left open matches nothing.
func TestGlobRegexp(t *testing.T) {
	tests := []struct {
		pattern, text string
		want          bool
	}{
		{"", "anything", true},
		{"*", "", true},
		{"*", "a\nb", true},
		{"?", "", false},
		{"?", "é", true},
		{"a.b", "axb", false},
		{`a\b`, `a\b`, true},
		{"[ab]", "b", true},
		{"[ab]", "c", false},
		{"[^a]", "a", false},
		{"[^a]", "^", true},
		{"[^a]", "b", true},
		{"[^a]", "\n", true},
		{"[a^]", "^", true},
		{"[]a]", "]", true},
		{"[]a]", "a", true},
		{"[]a]", "b", false},
		{"[^]a]", "]", false},
		{"[^]a]", "b", true},
		{"[]-a]", "-", true},
		{"[a-c]", "b", true},
		{"[a-c]", "-", false},
		{"[c-a]", "b", false},
		{"[^c-a]", "b", true},
		{"[-a]", "-", true},
		{"[a-]", "-", true},
		{"[a-]", "b", false},
		{"[.]", "x", false},
		{`[\]`, `\`, true},
		{"[é]", "é", true},
		{"[^é]", "é", false},
		{"x[*]", "x*", true},
		{"*[b]", "ab", true},
		{"abc[", "abc[", false},
		{"[", "[", false},
		{"*[a", "[a", false},
	}
	for _, tt := range tests {
		re, err := globRegexp(tt.pattern)
		if err != nil {
			t.Errorf("globRegexp(%q): %v", tt.pattern, err)
			continue
		}
		if got := re.MatchString(tt.text); got != tt.want {
			t.Errorf("%q GLOB %q = %v, want %v (regexp %s)", tt.text, tt.pattern, got, tt.want, re)
		}
	}
}

// TestHistoryOversized runs 100 small cells and then something far larger
// than the history keeps, and checks that the earlier cells survive, on
// disk, in memory and for the next kernel.
func TestHistoryOversized(t *testing.T) {
	str := func(s string) *string { return &s }
	huge := strings.Repeat("y", 2<<20)
	tests := []struct {
		name string
		run  func(t *testing.T, h *history, path string)
	}{
		{"output", func(t *testing.T, h *history, path string) {
			if err := h.add(101, "x", &huge); err != nil {
				t.Fatal(err)
			}
		}},
		{"source", func(t *testing.T, h *history, path string) {
			if err := h.add(101, huge, nil); err != nil {
				t.Fatal(err)
			}
		}},
		{"output of escapes", func(t *testing.T, h *history, path string) {
			// Each byte takes six in JSON.
			if err := h.add(101, "x", str(strings.Repeat("\x01", 1<<20))); err != nil {
				t.Fatal(err)
			}
		}},
		{"line written elsewhere", func(t *testing.T, h *history, path string) {
			// As a kernel without the limits would write it; the next
			// append compacts the file.
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = fmt.Fprintf(f, `{"session":%d,"line":101,"source":"x","output":"%s"}`+"\n", h.session, huge)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := h.add(102, "after", nil); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "history.jsonl")
			h, err := openHistory(path)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= 100; i++ {
				if err := h.add(i, fmt.Sprintf("cell %d", i), str("out")); err != nil {
					t.Fatal(err)
				}
			}
			tt.run(t, h, path)

			// cells checks that es holds the 100 small cells and no entry
			// over the per-entry limit.
			cells := func(where string, es []histEntry) {
				t.Helper()
				n := 0
				for _, e := range es {
					if e.Session == h.session && e.Line >= 1 && e.Line <= 100 && e.Source == fmt.Sprintf("cell %d", e.Line) {
						n++
					}
					out := ""
					if e.Output != nil {
						out = *e.Output
					}
					if len(e.Source) > 2*historyMaxSource || len(out) > 2*historyMaxOutput {
						t.Errorf("%s: entry %d:%d kept %d bytes of source and %d of output", where, e.Session, e.Line, len(e.Source), len(out))
					}
				}
				if n != 100 {
					t.Errorf("%s: %d of the 100 earlier cells left", where, n)
				}
			}
			onDisk, err := readHistory(path)
			if err != nil {
				t.Fatal(err)
			}
			cells("file", onDisk)
			cells("memory", h.entries)
			next, err := openHistory(path)
			if err != nil {
				t.Fatal(err)
			}
			cells("next kernel", next.entries)
			if next.session != h.session+1 {
				t.Errorf("next session %d, want %d", next.session, h.session+1)
			}
		})
	}
}

// TestHistoryTruncate checks what an oversized cell leaves: the start of
// its source and output, with a marker saying how much is missing.
func TestHistoryTruncate(t *testing.T) {
	h, err := openHistory("")
	if err != nil {
		t.Fatal(err)
	}
	src, out := strings.Repeat("s", historyMaxSource+10), strings.Repeat("é", historyMaxOutput)
	if err := h.add(1, src, &out); err != nil {
		t.Fatal(err)
	}
	e := h.entries[len(h.entries)-1]
	if !strings.HasPrefix(e.Source, src[:historyMaxSource]) || !strings.Contains(e.Source, "10 more bytes") {
		t.Errorf("source kept as %q…%q", e.Source[:10], e.Source[historyMaxSource:])
	}
	if e.Output == nil || !strings.HasPrefix(*e.Output, out[:historyMaxOutput]) || !strings.Contains(*e.Output, "more bytes") {
		t.Fatalf("output kept as %v", e.Output)
	}
	if kept := *e.Output; !utf8.ValidString(kept) {
		t.Error("output cut inside a character")
	}
}

// TestHistoryMemoryBound checks that the entries a kernel holds stay within
// the budget of the file, with or without one.
func TestHistoryMemoryBound(t *testing.T) {
	for _, path := range []string{"", filepath.Join(t.TempDir(), "history.jsonl")} {
		h, err := openHistory(path)
		if err != nil {
			t.Fatal(err)
		}
		src := strings.Repeat("s", 4<<10)
		const n = 1000 // about 4 MiB in all
		for i := 1; i <= n; i++ {
			if err := h.add(i, src, nil); err != nil {
				t.Fatal(err)
			}
		}
		size := 0
		for _, e := range h.entries {
			size += len(e.Source) + 32
		}
		if size > historyMaxBytes {
			t.Errorf("path %q: %d entries of about %d bytes in memory, over %d", path, len(h.entries), size, historyMaxBytes)
		}
		if last := h.entries[len(h.entries)-1]; last.Line != n {
			t.Errorf("path %q: last entry is line %d, want %d", path, last.Line, n)
		}
	}
}
