package wire

import (
	"bytes"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"
)

// splitFrames turns fuzz input into frames, so the fuzzer explores frame
// counts and contents at once.
func splitFrames(data []byte) [][]byte {
	if len(data) == 0 {
		return nil
	}
	return bytes.Split(data, []byte{0})
}

func FuzzDecode(f *testing.F) {
	s, _ := NewSigner(SchemeHMACSHA256, []byte("fuzz-key"))
	unsigned, _ := NewSigner("", nil)
	m, _ := NewMessage("execute_request", "s", nil, map[string]any{"code": "1"})
	m.Identities = [][]byte{[]byte("id")}
	for _, signer := range []*Signer{s, unsigned} {
		frames, _ := Encode(m, signer)
		f.Add(bytes.Join(frames, []byte{0}))
	}
	f.Add([]byte("<IDS|MSG>"))
	f.Add([]byte("<IDS|MSG>\x00\x00{}\x00{}\x00{}\x00{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, signer := range []*Signer{s, unsigned} {
			msg, err := Decode(splitFrames(data), signer)
			if err != nil {
				continue
			}
			// What decodes must encode and decode again to the same message.
			frames, err := Encode(msg, signer)
			if err != nil {
				t.Fatalf("Encode of a decoded message: %v", err)
			}
			again, err := Decode(frames, signer)
			if err != nil {
				t.Fatalf("Decode of re-encoded message: %v", err)
			}
			if again.Header != msg.Header || !bytes.Equal(again.Content, msg.Content) {
				t.Fatalf("round trip changed the message: %+v vs %+v", again.Header, msg.Header)
			}
		}
	})
}

func FuzzParseConnectionInfo(f *testing.F) {
	f.Add([]byte(goodConn))
	f.Add([]byte(`{"transport":"ipc","ip":"/tmp/x","shell_port":1,"iopub_port":2,"stdin_port":3,"control_port":4,"hb_port":5}`))
	f.Add([]byte(`{"ip":"::1","shell_port":1,"iopub_port":2,"stdin_port":3,"control_port":4,"hb_port":65535,"key":"k","signature_scheme":"hmac-sha256"}`))
	f.Add([]byte(`{"ip":"*","shell_port":1,"iopub_port":2,"stdin_port":3,"control_port":4,"hb_port":5,"kernel_name":"go"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ci, err := ParseConnectionInfo(data)
		if err != nil {
			return
		}
		// What parses must write out (as the kernel's launcher would) and
		// parse again to the same info.
		out, err := json.Marshal(ci)
		if err != nil {
			t.Fatalf("Marshal of parsed info: %v", err)
		}
		again, err := ParseConnectionInfo(out)
		if err != nil {
			t.Fatalf("parse of %s: %v", out, err)
		}
		if *again != *ci {
			t.Fatalf("round trip changed the info: %+v, was %+v", *again, *ci)
		}
		if ci.Transport != "tcp" {
			return
		}
		// A tcp endpoint must split back into the host and the port.
		for _, ch := range Channels {
			ep := ci.Endpoint(ch)
			host, port, err := net.SplitHostPort(strings.TrimPrefix(ep, "tcp://"))
			if err != nil {
				t.Fatalf("%s endpoint %q: %v", ch, ep, err)
			}
			if host != ci.IP || port != strconv.Itoa(ci.Port(ch)) {
				t.Fatalf("%s endpoint %q: host %q port %s, want %q and %d", ch, ep, host, port, ci.IP, ci.Port(ch))
			}
		}
	})
}
