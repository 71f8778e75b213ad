package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const goodConn = `{"transport":"tcp","ip":"127.0.0.1","shell_port":5001,"iopub_port":5002,
"stdin_port":5003,"control_port":5004,"hb_port":5005,"key":"k","signature_scheme":"hmac-sha256",
"kernel_name":"go","extra":"ignored"}`

func TestParseConnectionInfo(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(m map[string]any)
		wantField string // "" means valid
	}{
		{"valid", func(map[string]any) {}, ""},
		{"empty key unsigned", func(m map[string]any) { m["key"] = ""; m["signature_scheme"] = "" }, ""},
		{"ipc", func(m map[string]any) { m["transport"] = "ipc"; m["ip"] = "/tmp/k" }, ""},
		{"ipv6", func(m map[string]any) { m["ip"] = "::1" }, ""},
		{"bad transport", func(m map[string]any) { m["transport"] = "udp" }, "transport"},
		{"bad scheme", func(m map[string]any) { m["signature_scheme"] = "hmac-md5" }, "signature_scheme"},
		{"missing port", func(m map[string]any) { delete(m, "hb_port") }, "hb_port"},
		{"port string", func(m map[string]any) { m["shell_port"] = "5001" }, "shell_port"},
		{"port zero", func(m map[string]any) { m["iopub_port"] = 0 }, "iopub_port"},
		{"port too big", func(m map[string]any) { m["control_port"] = 70000 }, "control_port"},
		{"duplicate port", func(m map[string]any) { m["stdin_port"] = 5001 }, "stdin_port"},
		{"bad ip", func(m map[string]any) { m["ip"] = "not an ip" }, "ip"},
		{"key not string", func(m map[string]any) { m["key"] = 12 }, "key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal([]byte(goodConn), &m); err != nil {
				t.Fatal(err)
			}
			tt.edit(m)
			data, _ := json.Marshal(m)
			ci, err := ParseConnectionInfo(data)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if ci.Port(Shell) != 5001 {
					t.Errorf("shell port = %d", ci.Port(Shell))
				}
				return
			}
			var ce *ConnectionError
			if !errors.As(err, &ce) || ce.Field != tt.wantField {
				t.Fatalf("error = %v, want one naming field %q", err, tt.wantField)
			}
			if !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("message %q does not name %q", err, tt.wantField)
			}
		})
	}
}

func TestParseConnectionInfoNotJSON(t *testing.T) {
	for _, in := range []string{"", "[]", "{", "null", `"x"`} {
		if _, err := ParseConnectionInfo([]byte(in)); err == nil {
			t.Errorf("ParseConnectionInfo(%q) succeeded", in)
		}
	}
}

func TestReadConnectionFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadConnectionFile(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want ErrNotExist", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"transport":"tcp"}`), 0o600)
	_, err := ReadConnectionFile(bad)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "shell_port") {
		t.Errorf("bad file: err = %v, want path and field", err)
	}
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(goodConn), 0o600)
	ci, err := ReadConnectionFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if got := ci.Endpoint(HB); got != "tcp://127.0.0.1:5005" {
		t.Errorf("Endpoint(hb) = %q", got)
	}
}

// HB is Heartbeat, shortened for the table below.
const HB = Heartbeat

func TestEndpoint(t *testing.T) {
	tests := []struct {
		ci   ConnectionInfo
		ch   Channel
		want string
	}{
		{ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", ShellPort: 1}, Shell, "tcp://127.0.0.1:1"},
		{ConnectionInfo{Transport: "tcp", IP: "::1", IOPubPort: 2}, IOPub, "tcp://[::1]:2"},
		{ConnectionInfo{Transport: "ipc", IP: "/run/k", ControlPort: 3}, Control, "ipc:///run/k-3"},
	}
	for _, tt := range tests {
		if got := tt.ci.Endpoint(tt.ch); got != tt.want {
			t.Errorf("Endpoint(%v) = %q, want %q", tt.ch, got, tt.want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for ip, want := range map[string]bool{"127.0.0.1": true, "::1": true, "localhost": true, "0.0.0.0": false, "10.1.2.3": false} {
		ci := ConnectionInfo{Transport: "tcp", IP: ip}
		if got := ci.IsLoopback(); got != want {
			t.Errorf("IsLoopback(%s) = %v, want %v", ip, got, want)
		}
	}
}

func TestSignKnownVector(t *testing.T) {
	// Computed independently with Python's hmac module, as jupyter_client signs.
	s, err := NewSigner(SchemeHMACSHA256, []byte("secret-key"))
	if err != nil {
		t.Fatal(err)
	}
	header := []byte(`{"msg_id":"1","msg_type":"kernel_info_request"}`)
	got := s.Sign(header, []byte("{}"), []byte("{}"), []byte("{}"))
	const want = "d24613c901272087168eb7a17b371d2f54d14044dca08737846f4baf86191b6a"
	if string(got) != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if !s.Verify([]byte(want), header, []byte("{}"), []byte("{}"), []byte("{}")) {
		t.Error("Verify rejected the right signature")
	}
	if s.Verify([]byte(strings.Repeat("0", 64)), header, []byte("{}"), []byte("{}"), []byte("{}")) {
		t.Error("Verify accepted a wrong signature")
	}
}

func TestNewSigner(t *testing.T) {
	if _, err := NewSigner("hmac-md5", []byte("k")); err == nil {
		t.Error("hmac-md5 accepted")
	}
	s, err := NewSigner("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Enabled() || s.Sign(nil, nil, nil, nil) != nil {
		t.Error("empty key signs")
	}
	if !s.Verify(nil, nil, nil, nil, nil) || s.Verify([]byte("ab"), nil, nil, nil, nil) {
		t.Error("unsigned verification wrong")
	}
}

func TestRoundTrip(t *testing.T) {
	s, _ := NewSigner(SchemeHMACSHA256, []byte("key"))
	parent := &Message{Identities: [][]byte{[]byte("client-1")}, RawHeader: json.RawMessage(`{"msg_id":"p","msg_type":"execute_request","extra":1}`)}
	m, err := NewMessage("execute_reply", "sess", parent, map[string]any{"status": "ok"})
	if err != nil {
		t.Fatal(err)
	}
	m.Buffers = [][]byte{[]byte("buf")}
	frames, err := Encode(m, s)
	if err != nil {
		t.Fatal(err)
	}
	if string(frames[0]) != "client-1" || string(frames[1]) != Delimiter {
		t.Fatalf("frames start %q", frames[:2])
	}
	got, err := Decode(frames, s)
	if err != nil {
		t.Fatal(err)
	}
	if got.Header.MsgType != "execute_reply" || got.Header.Version != ProtocolVersion || got.Header.Session != "sess" {
		t.Errorf("header = %+v", got.Header)
	}
	if _, err := time.Parse(time.RFC3339Nano, got.Header.Date); err != nil {
		t.Errorf("date %q is not ISO 8601: %v", got.Header.Date, err)
	}
	if !bytes.Equal(got.ParentHeader, parent.RawHeader) {
		t.Errorf("parent = %s, want the request header verbatim", got.ParentHeader)
	}
	if len(got.Buffers) != 1 || string(got.Buffers[0]) != "buf" {
		t.Errorf("buffers = %q", got.Buffers)
	}
	// The frames must not alias the message: a socket may keep them.
	frames[len(frames)-1][0] = 'X'
	if string(m.Buffers[0]) != "buf" {
		t.Error("Encode reused the caller's buffer")
	}
}

func TestDecodeErrors(t *testing.T) {
	s, _ := NewSigner(SchemeHMACSHA256, []byte("key"))
	valid := func() [][]byte {
		m, _ := NewMessage("kernel_info_request", "s", nil, map[string]any{})
		f, _ := Encode(m, s)
		return append([][]byte{[]byte("id")}, f...)
	}
	sign := func(f [][]byte) [][]byte { // re-sign after an edit, so only the edit is wrong
		f[2] = s.Sign(f[3], f[4], f[5], f[6])
		return f
	}
	tests := []struct {
		name   string
		frames [][]byte
		want   error
	}{
		{"empty", nil, ErrNoDelimiter},
		{"no delimiter", [][]byte{[]byte("a"), []byte("b")}, ErrNoDelimiter},
		{"short", valid()[:5], ErrShortMessage},
		{"bad signature", func() [][]byte { f := valid(); f[2] = []byte("00"); return f }(), ErrBadSignature},
		{"tampered content", func() [][]byte { f := valid(); f[6] = []byte(`{"x":1}`); return f }(), ErrBadSignature},
		{"malformed JSON", sign(func() [][]byte { f := valid(); f[6] = []byte(`{"x":`); return f }()), ErrBadJSON},
		{"content not object", sign(func() [][]byte { f := valid(); f[6] = []byte(`[1]`); return f }()), ErrBadJSON},
		{"not UTF-8", sign(func() [][]byte { f := valid(); f[6] = []byte("{\"x\":\"\xff\"}"); return f }()), ErrBadJSON},
		{"no msg_type", sign(func() [][]byte { f := valid(); f[3] = []byte(`{"msg_id":"1"}`); return f }()), ErrBadHeader},
		{"header wrong type", sign(func() [][]byte { f := valid(); f[3] = []byte(`{"msg_id":1,"msg_type":"x"}`); return f }()), ErrBadHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.frames, s)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode error = %v, want %v", err, tt.want)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Errorf("error %T is not a *DecodeError", err)
			}
		})
	}
	if _, err := Decode(valid(), s); err != nil {
		t.Fatalf("valid message rejected: %v", err)
	}
}

func TestReplayGuard(t *testing.T) {
	g := NewReplayGuard(2)
	for _, step := range []struct {
		sig  string
		want bool
	}{{"a", true}, {"a", false}, {"b", true}, {"c", true}, {"a", true}, {"c", false}, {"", true}, {"", true}} {
		if got := g.Check([]byte(step.sig)); got != step.want {
			t.Errorf("Check(%q) = %v, want %v", step.sig, got, step.want)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	s, _ := NewSigner(SchemeHMACSHA256, []byte("a-32-byte-key-of-the-usual-sizes"))
	m, _ := NewMessage("execute_request", "session", nil, map[string]any{"code": "fmt.Println(1)", "silent": false})
	frames, _ := Encode(m, s)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(frames, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	s, _ := NewSigner(SchemeHMACSHA256, []byte("a-32-byte-key-of-the-usual-sizes"))
	m, _ := NewMessage("stream", "session", nil, map[string]any{"name": "stdout", "text": "hello\n"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(m, s); err != nil {
			b.Fatal(err)
		}
	}
}
