package session

import (
	"context"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp"
)

// TestGoexit: runtime.Goexit on the cell's own goroutine is an error (yaegi
// would report the cell as finished); in a goroutine the cell started it
// just ends that goroutine.
func TestGoexit(t *testing.T) {
	ts := newTestSession(t)
	for _, tt := range []struct {
		code, errName, result string
	}{
		{"import \"runtime\"\nruntime.Goexit()", ErrNameRuntime, ""},
		{"1 + 1", "", "2"},
		{"import \"sync\"\nvar wg sync.WaitGroup\nwg.Add(1)\ngo func() { defer wg.Done(); runtime.Goexit() }()\nwg.Wait()\n3", "", "3"},
	} {
		r := ts.Execute(context.Background(), interp.ExecuteRequest{Code: tt.code})
		switch {
		case tt.errName != "":
			if r.Error == nil || r.Error.Name != tt.errName || !strings.Contains(r.Error.Value, "Goexit") {
				t.Errorf("%q: error %+v, want %s naming Goexit", tt.code, r.Error, tt.errName)
			}
		case r.Error != nil || r.Result == nil || r.Result.Data["text/plain"] != tt.result:
			t.Errorf("%q: result %+v, error %+v, want %s", tt.code, r.Result, r.Error, tt.result)
		}
	}
}
