package wire

import "sync"

// ReplayGuard remembers the signatures of recent messages so a captured
// message sent again is rejected, as jupyter_client's Session does. It keeps
// at most a fixed number of signatures, forgetting the oldest first. The zero
// value is not usable; call [NewReplayGuard]. It is safe for concurrent use.
type ReplayGuard struct {
	mu   sync.Mutex
	size int
	seen map[string]struct{}
	ring []string // insertion order; ring[next] is the oldest once full
	next int
}

// NewReplayGuard returns a guard remembering up to size signatures. Its
// memory grows with the signatures seen, up to size, so a kernel that serves
// few messages stays small.
func NewReplayGuard(size int) *ReplayGuard {
	if size < 1 {
		size = 1
	}
	return &ReplayGuard{size: size, seen: make(map[string]struct{})}
}

// Check records sig and reports whether it is new. Empty signatures (unsigned
// messages) are always new: without a key there is nothing to replay against.
func (g *ReplayGuard) Check(sig []byte) bool {
	if len(sig) == 0 {
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	key := string(sig)
	if _, dup := g.seen[key]; dup {
		return false
	}
	if len(g.ring) < g.size {
		g.ring = append(g.ring, key)
	} else {
		delete(g.seen, g.ring[g.next])
		g.ring[g.next] = key
		g.next = (g.next + 1) % len(g.ring)
	}
	g.seen[key] = struct{}{}
	return true
}
