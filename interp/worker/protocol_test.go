package worker

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp"
)

func TestFrameRoundTrip(t *testing.T) {
	msgs := []*message{
		{Kind: cmdHello, Token: strings.Repeat("a1", tokenLen/2)},
		{Kind: cmdExecute, ID: 7, Execute: &interp.ExecuteRequest{Code: "x := 1", AllowStdin: true}},
		{Kind: evResult, ID: 7, Sync: 3, Result: &interp.ExecuteResult{Error: &interp.Error{Name: "E", Value: "v", Traceback: []string{"a"}}}},
		{Kind: evDisplay, Sync: 4, Display: &interp.DisplayData{MIMEBundle: interp.MIMEBundle{Data: map[string]any{"text/plain": "x"}}, Update: true}},
		{Kind: cmdInput, ID: 2, Text: "line\n"},
		{Kind: cmdShutdown},
	}
	var stream bytes.Buffer
	for _, m := range msgs {
		f, err := encodeFrame(m)
		if err != nil {
			t.Fatal(err)
		}
		stream.Write(f)
	}
	for _, want := range msgs {
		got, err := readMessage(&stream)
		if err != nil {
			t.Fatalf("%s: %v", want.Kind, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	}
	if _, err := readMessage(&stream); err != io.EOF {
		t.Errorf("at the end: %v, want io.EOF", err)
	}
}

func TestReadMessageErrors(t *testing.T) {
	frame := func(body string) []byte {
		return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"too large", binary.BigEndian.AppendUint32(nil, maxFrame+1), "frame too large"},
		{"short header", []byte{0, 0}, "unexpected EOF"},
		{"short body", binary.BigEndian.AppendUint32(nil, 10), "unexpected EOF"},
		{"not json", frame("{oops"), "decode frame"},
		{"unknown kind", frame(`{"kind":"dance"}`), `unknown kind "dance"`},
		{"execute without request", frame(`{"kind":"execute","id":1}`), "execute without a request"},
		{"result without result", frame(`{"kind":"result","id":1}`), "result without a result"},
		{"bad token", frame(`{"kind":"hello","token":"xyz"}`), "bad token"},
		{"cut json", frame(`{"kind":"display","display":{`), "decode frame: unexpected end"},
		{"empty body", frame(""), "decode frame: unexpected end"},
		{"trailing data", frame(`{"kind":"shutdown"} {}`), "decode frame"},
		{"comm number beyond float64", frame(`{"kind":"comm","comm":{"type":"comm_msg","comm_id":"c","data":{"x":1e400}}}`), "number 1e400"},
	}
	for _, tt := range tests {
		_, err := readMessage(bytes.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
	// A frame cut inside its JSON is corrupt, not the end of the stream.
	if _, err := readMessage(bytes.NewReader(frame(`{"kind":`))); errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("cut json: %v reads as the end of the stream", err)
	}
	if _, err := readMessage(bytes.NewReader(binary.BigEndian.AppendUint32(nil, maxFrame+1))); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("too large: %v is not ErrFrameTooLarge", err)
	}
}

// TestDecodeNumbers: an event's numbers reach the kernel as sent, so that
// it encodes them again unchanged; a command's comm data reaches the cell
// with float64 numbers, as encoding/json gives them.
func TestDecodeNumbers(t *testing.T) {
	const big = "9007199254740993" // 2^53 + 1: no float64 holds it
	tests := []struct {
		name string
		body string
		num  func(*message) any // the number in body
		want any
	}{
		{
			"display",
			`{"kind":"display","display":{"data":{"application/json":{"id":` + big + `}},"metadata":{}}}`,
			func(m *message) any { return m.Display.Data["application/json"].(map[string]any)["id"] },
			json.Number(big),
		},
		{
			"result",
			`{"kind":"result","id":1,"result":{"Result":{"data":{"application/json":[` + big + `]},"metadata":{}}}}`,
			func(m *message) any { return m.Result.Result.Data["application/json"].([]any)[0] },
			json.Number(big),
		},
		{
			"cell comm",
			`{"kind":"cell_comm","comm":{"type":"comm_msg","comm_id":"c","data":{"id":` + big + `}}}`,
			func(m *message) any { return m.Comm.Data["id"] },
			json.Number(big),
		},
		{
			"front end comm",
			`{"kind":"comm","id":1,"comm":{"type":"comm_msg","comm_id":"c","data":{"id":1.5}}}`,
			func(m *message) any { return m.Comm.Data["id"] },
			1.5,
		},
		{
			"front end comm, nested",
			`{"kind":"comm","id":1,"comm":{"type":"comm_msg","comm_id":"c","data":{"a":[{"b":2}]},"metadata":{"m":[3]}}}`,
			func(m *message) any {
				return [2]any{m.Comm.Data["a"].([]any)[0].(map[string]any)["b"], m.Comm.Metadata["m"].([]any)[0]}
			},
			[2]any{2.0, 3.0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := decodeMessage([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.num(m); got != tt.want {
				t.Fatalf("number = %#v, want %#v", got, tt.want)
			}
			if tt.want != json.Number(big) {
				return
			}
			// The kernel encodes the data again for the front end.
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(b, []byte(big)) {
				t.Errorf("encoded again: %s, want %s in it", b, big)
			}
		})
	}
}

// FuzzReadMessage: no input makes the decoder panic or allocate beyond the
// frame limit, and every message it accepts encodes and decodes to itself.
func FuzzReadMessage(f *testing.F) {
	for _, m := range []*message{
		{Kind: cmdExecute, ID: 1, Execute: &interp.ExecuteRequest{Code: "1"}},
		{Kind: evCompletion, ID: 2, Completion: &interp.Completion{Matches: []string{"a"}}},
		{Kind: evInputReq, ID: 3, Sync: 9, Prompt: "?"},
	} {
		b, err := encodeFrame(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := readMessage(bytes.NewReader(in))
		if err != nil {
			return
		}
		b, err := encodeFrame(m)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", m, err)
		}
		m2, err := readMessage(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("decode re-encoded %q: %v", b, err)
		}
		b2, _ := encodeFrame(m2)
		if !bytes.Equal(b, b2) {
			t.Fatalf("round trip changed the frame:\n%q\n%q", b, b2)
		}
	})
}

func TestReadStream(t *testing.T) {
	prefix := markerPrefix(strings.Repeat("0f", tokenLen/2))
	m := func(seq uint64) string { return string(marker(prefix, seq)) }
	tests := []struct {
		name   string
		writes []string // each written, then read separately when possible
		want   string   // the text, with markers shown as |seq|
	}{
		{"plain", []string{"hello\n"}, "hello\n"},
		{"marker", []string{"a" + m(1) + "b"}, "a|1|b"},
		{"two markers", []string{m(1) + m(2) + "x"}, "|1||2|x"},
		{"split marker", []string{"a" + m(3)[:5], m(3)[5:] + "b"}, "a|3|b"},
		{"split prefix at every byte", splitEvery("x"+m(4)+"y", 1), "x|4|y"},
		{"prefix then not a marker", []string{string(prefix[:4]), "zz"}, string(prefix[:4]) + "zz"},
		{"prefix with a bad seq", []string{string(prefix) + "nothexnothexnoth\x00!"}, string(prefix) + "nothexnothexnoth\x00!"},
		{"cut at the end", []string{"end" + m(5)[:7]}, "end" + m(5)[:7]},
	}
	for _, tt := range tests {
		r, w, err := newStreamPipe()
		if err != nil {
			t.Fatal(err)
		}
		ch := make(chan chunk, 1000)
		go readStream(r, stdout, prefix, ch, nil, nil)
		for _, s := range tt.writes {
			w.WriteString(s)
		}
		w.Close()
		var got strings.Builder
		for c := range ch {
			got.Write(c.data)
			if c.synced {
				got.WriteString("|" + string(rune('0'+c.seq)) + "|")
			}
			if c.eof {
				break
			}
		}
		if got.String() != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got.String(), tt.want)
		}
	}
}

func splitEvery(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

func TestCompleteUTF8(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"aé", 3},
		{"a\xc3", 1},         // é cut after its first byte
		{"a\xe4\xb8", 1},     // 世 cut
		{"a\xf0\x9f\x98", 1}, // 😀 cut
		{"a\xf0\x9f\x98\x80", 5},
		{"a\xff", 2}, // invalid: passed on, not held
		{"\x80\x80\x80\x80", 4},
	}
	for _, tt := range tests {
		if got := completeUTF8([]byte(tt.in)); got != tt.want {
			t.Errorf("completeUTF8(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestReportStart(t *testing.T) {
	tests := []struct {
		in        string
		lineStart bool
		want      int
	}{
		{"panic: boom\n", true, 0},
		{"panic: boom\n", false, -1},
		{"out\npanic: boom\n", false, 4},
		{"a panic: inside a line\n", true, -1},
		{"x\nfatal error: concurrent map writes\n", true, 2},
		{"runtime: goroutine stack exceeds 1000-byte limit\n", true, 0},
	}
	for _, tt := range tests {
		if got := reportStart([]byte(tt.in), tt.lineStart); got != tt.want {
			t.Errorf("reportStart(%q, %v) = %d, want %d", tt.in, tt.lineStart, got, tt.want)
		}
	}
}

func TestCrashSummary(t *testing.T) {
	report := strings.Join([]string{
		"panic: boom [recovered]",
		"\tpanic: boom again",
		"",
		"goroutine 7 [running]:",
		"main.f()",
		"\t/x.go:3 +0x1",
		"",
		"goroutine 1 [chan receive]:",
		"main.main()",
	}, "\n")
	cause, tb := crashSummary(report, nil)
	if cause != "panic: boom [recovered]" {
		t.Errorf("cause %q", cause)
	}
	want := []string{"panic: boom [recovered]", "\tpanic: boom again", "", "goroutine 7 [running]:", "main.f()", "\t/x.go:3 +0x1"}
	if !reflect.DeepEqual(tb, want) {
		t.Errorf("traceback %q, want %q", tb, want)
	}

	long := "fatal error: x\n\ngoroutine 1 [running]:\n" + strings.Repeat("f()\n", 500)
	if _, tb := crashSummary(long, nil); len(tb) != maxTraceLines+1 || !strings.Contains(tb[maxTraceLines], "more lines") {
		t.Errorf("long traceback: %d lines, last %q", len(tb), tb[len(tb)-1])
	}
	if cause, tb := crashSummary("", errors.New("signal: killed")); cause != "signal: killed" || len(tb) != 0 {
		t.Errorf("no report: %q, %q", cause, tb)
	}
}
