// Package wire implements the Jupyter messaging protocol's wire layer:
// connection files, the multipart message format, HMAC-SHA256 signing,
// message headers and replay detection. It knows nothing of sockets.
//
// Decode turns the frames of one multipart message into a [Message], checking
// the signature; Encode does the reverse. Both work on fresh buffers, so the
// frames they return may be handed to a socket that keeps them.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// ProtocolVersion is the messaging protocol version the kernel speaks.
const ProtocolVersion = "5.3"

// Delimiter separates routing identities from the message proper.
const Delimiter = "<IDS|MSG>"

// MaxIdentities bounds the routing prefix a message may carry.
const MaxIdentities = 64

// Header is a message header.
type Header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	MsgType  string `json:"msg_type"`
	Version  string `json:"version"`
}

// Message is one decoded Jupyter message.
type Message struct {
	// Identities are the routing frames before the delimiter. Replies go
	// back to the same identities.
	Identities [][]byte
	Header     Header
	// RawHeader is the header exactly as Decode received it, used verbatim
	// as the parent_header of replies so no field is lost. When set, Encode
	// sends it instead of Header; NewMessage leaves it empty.
	RawHeader    json.RawMessage
	ParentHeader json.RawMessage // "{}" when there is none
	Metadata     json.RawMessage
	Content      json.RawMessage
	Buffers      [][]byte
	// Signature is the signature as received; empty when unsigned.
	Signature []byte
}

// Decode errors. Each error Decode returns wraps one of these.
var (
	ErrNoDelimiter  = errors.New("no <IDS|MSG> delimiter")
	ErrShortMessage = errors.New("too few frames after the delimiter")
	ErrBadSignature = errors.New("bad signature")
	ErrBadJSON      = errors.New("malformed JSON")
	ErrBadHeader    = errors.New("invalid header")
)

// DecodeError describes a message that could not be decoded.
type DecodeError struct {
	Part string // "frames", "signature", "header", "parent_header", "metadata" or "content"
	Err  error
	// Message is set when the message is signed and its header valid, but
	// a later part is not: its sender can be sent an error reply. Its
	// invalid part must not be used.
	Message *Message
}

func (e *DecodeError) Error() string { return "wire: decode " + e.Part + ": " + e.Err.Error() }
func (e *DecodeError) Unwrap() error { return e.Err }

// Decode parses frames as a Jupyter message and verifies its signature with
// s. It never panics; any malformed input gives a *DecodeError.
func Decode(frames [][]byte, s *Signer) (*Message, error) {
	delim := -1
	for i, f := range frames {
		if i > MaxIdentities {
			break
		}
		if string(f) == Delimiter {
			delim = i
			break
		}
	}
	if delim < 0 {
		return nil, &DecodeError{Part: "frames", Err: ErrNoDelimiter}
	}
	rest := frames[delim+1:]
	if len(rest) < 5 {
		return nil, &DecodeError{Part: "frames", Err: fmt.Errorf("%w: got %d, want at least 5", ErrShortMessage, len(rest))}
	}
	sig, header, parent, metadata, content := rest[0], rest[1], rest[2], rest[3], rest[4]
	if !s.Verify(sig, header, parent, metadata, content) {
		return nil, &DecodeError{Part: "signature", Err: ErrBadSignature}
	}
	m := &Message{
		Identities:   cloneFrames(frames[:delim]),
		RawHeader:    bytes.Clone(header),
		ParentHeader: bytes.Clone(parent),
		Metadata:     bytes.Clone(metadata),
		Content:      bytes.Clone(content),
		Buffers:      cloneFrames(rest[5:]),
		Signature:    bytes.Clone(sig),
	}
	if err := checkObject(m.RawHeader); err != nil {
		return nil, &DecodeError{Part: "header", Err: err}
	}
	if err := json.Unmarshal(m.RawHeader, &m.Header); err != nil {
		return nil, &DecodeError{Part: "header", Err: fmt.Errorf("%w: %v", ErrBadHeader, err)}
	}
	if m.Header.MsgType == "" {
		return nil, &DecodeError{Part: "header", Err: fmt.Errorf("%w: msg_type is empty", ErrBadHeader)}
	}
	if m.Header.MsgID == "" {
		return nil, &DecodeError{Part: "header", Err: fmt.Errorf("%w: msg_id is empty", ErrBadHeader)}
	}
	parts := []struct {
		name string
		data json.RawMessage
	}{
		{"parent_header", m.ParentHeader},
		{"metadata", m.Metadata},
		{"content", m.Content},
	}
	for _, p := range parts {
		if err := checkObject(p.data); err != nil {
			return nil, &DecodeError{Part: p.name, Err: err, Message: m}
		}
	}
	return m, nil
}

// checkObject reports whether data is valid UTF-8 JSON whose top level is an
// object.
func checkObject(data []byte) error {
	if !utf8.Valid(data) {
		return fmt.Errorf("%w: not valid UTF-8", ErrBadJSON)
	}
	if !json.Valid(data) {
		return fmt.Errorf("%w: not valid JSON", ErrBadJSON)
	}
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return fmt.Errorf("%w: not a JSON object", ErrBadJSON)
	}
	return nil
}

// Encode returns the frames of m signed with s. The frames are freshly
// allocated. If m.RawHeader is empty, m.Header is marshalled; a nil
// ParentHeader, Metadata or Content is sent as {}.
func Encode(m *Message, s *Signer) ([][]byte, error) {
	header := []byte(m.RawHeader)
	if len(header) == 0 {
		var err error
		if header, err = json.Marshal(m.Header); err != nil {
			return nil, fmt.Errorf("wire: encode header: %w", err)
		}
	}
	parent, metadata, content := orEmpty(m.ParentHeader), orEmpty(m.Metadata), orEmpty(m.Content)
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, cloneFrames(m.Identities)...)
	frames = append(frames, []byte(Delimiter), s.Sign(header, parent, metadata, content))
	if frames[len(frames)-1] == nil {
		frames[len(frames)-1] = []byte{}
	}
	frames = append(frames, bytes.Clone(header), bytes.Clone(parent), bytes.Clone(metadata), bytes.Clone(content))
	frames = append(frames, cloneFrames(m.Buffers)...)
	return frames, nil
}

// NewHeader returns a header for a new message of msgType in session, with a
// fresh msg_id and the current time.
func NewHeader(msgType, session string) Header {
	return Header{
		MsgID:    uuid.NewString(),
		Session:  session,
		Username: "kernel",
		Date:     time.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00"),
		MsgType:  msgType,
		Version:  ProtocolVersion,
	}
}

// NewMessage returns a message of msgType in session whose parent is parent
// (nil for none) and whose content is content marshalled to JSON. Replies go
// to the parent's identities.
func NewMessage(msgType, session string, parent *Message, content any) (*Message, error) {
	body, err := json.Marshal(content)
	if err != nil {
		return nil, fmt.Errorf("wire: encode %s content: %w", msgType, err)
	}
	m := &Message{
		Header:       NewHeader(msgType, session),
		ParentHeader: json.RawMessage("{}"),
		Metadata:     json.RawMessage("{}"),
		Content:      body,
	}
	if parent != nil {
		m.ParentHeader = parent.RawHeader
		m.Identities = parent.Identities
	}
	return m, nil
}

func orEmpty(b json.RawMessage) []byte {
	if len(b) == 0 {
		return []byte("{}")
	}
	return b
}

func cloneFrames(frames [][]byte) [][]byte {
	if len(frames) == 0 {
		return nil
	}
	out := make([][]byte, len(frames))
	for i, f := range frames {
		out[i] = bytes.Clone(f)
		if out[i] == nil {
			out[i] = []byte{}
		}
	}
	return out
}
