package kernel

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
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
