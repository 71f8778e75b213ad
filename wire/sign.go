package wire

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"sync"
)

// Signer signs and verifies messages with HMAC-SHA256. A Signer with an empty
// key signs nothing and accepts only unsigned messages, as the messaging spec
// says for an empty key. A Signer is safe for concurrent use.
type Signer struct {
	key  []byte
	pool sync.Pool // of hash.Hash keyed with key; hmac.New is costly per message
}

// NewSigner returns a Signer for scheme and key. scheme must be
// "hmac-sha256", or empty together with an empty key.
func NewSigner(scheme string, key []byte) (*Signer, error) {
	if scheme != SchemeHMACSHA256 && !(scheme == "" && len(key) == 0) {
		return nil, fmt.Errorf("wire: signature scheme %q is not supported (want %s)", scheme, SchemeHMACSHA256)
	}
	s := &Signer{key: append([]byte(nil), key...)}
	s.pool.New = func() any { return hmac.New(sha256.New, s.key) }
	return s, nil
}

// Enabled reports whether messages are signed.
func (s *Signer) Enabled() bool { return len(s.key) > 0 }

// Sign returns the hex signature of the four message parts, or nil when
// signing is disabled.
func (s *Signer) Sign(header, parent, metadata, content []byte) []byte {
	if !s.Enabled() {
		return nil
	}
	mac := s.pool.Get().(hash.Hash)
	defer s.pool.Put(mac)
	mac.Reset()
	mac.Write(header)
	mac.Write(parent)
	mac.Write(metadata)
	mac.Write(content)
	sum := mac.Sum(make([]byte, 0, sha256.Size))
	out := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(out, sum)
	return out
}

// Verify reports whether sig is the signature of the four parts. It compares
// in constant time. With signing disabled, only an empty sig verifies.
func (s *Signer) Verify(sig, header, parent, metadata, content []byte) bool {
	if !s.Enabled() {
		return len(sig) == 0
	}
	want := s.Sign(header, parent, metadata, content)
	return hmac.Equal(want, sig)
}
