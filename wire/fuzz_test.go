package wire

import (
	"bytes"
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
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ci, err := ParseConnectionInfo(data)
		if err != nil {
			return
		}
		if err := ci.Validate(); err != nil {
			t.Fatalf("parsed info fails validation: %v", err)
		}
		for _, ch := range Channels {
			if ci.Endpoint(ch) == "" {
				t.Fatal("empty endpoint")
			}
		}
	})
}
