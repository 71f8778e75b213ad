package kernel

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// History is the kernel's input history, as history_request reads it: the
// cells run with store_history, numbered by session (one per kernel start or
// restart) and line (the execution count), with the text/plain form of
// their results.
//
// It is kept in a per-user file of JSON lines, shared by every gokernel of
// the user, so the up arrow of jupyter console finds the cells of earlier
// kernels. Each change takes an exclusive lock on a lock file beside it and
// opens the file anew, so two kernels appending at once neither interleave
// nor lose lines, even while one of them compacts it. The file stays under
// historyMaxBytes: when an append makes it larger, the oldest entries are
// dropped, keeping about half. The entries held in memory are bounded the
// same way, and each entry is cut to historyMaxEntry.
type history struct {
	path string // "" keeps the history in memory only

	mu      sync.Mutex
	session int
	entries []histEntry // earlier sessions (as read at start) and this one
	size    int         // the sum of the entries' sizes
}

// histEntry is one line of the history file. Line 0 marks the start of a
// session, which reserves its number.
type histEntry struct {
	Session int     `json:"session"`
	Line    int     `json:"line"`
	Source  string  `json:"source,omitempty"`
	Output  *string `json:"output,omitempty"`

	size int // the length of its line in the file, newline included
}

const (
	// historyMaxBytes bounds the history file and the entries in memory.
	historyMaxBytes = 2 << 20
	// historyMaxEntry bounds one line of the file. It is well under half of
	// historyMaxBytes, so a compaction always keeps the newest entries.
	historyMaxEntry = 512 << 10
	// A cell's source and output are cut to these before they are stored
	// (less if JSON escapes would make the line longer than historyMaxEntry).
	// A source is kept whole up to a size no one types; an output is kept
	// as far as anyone would read it back.
	historyMaxSource = 256 << 10
	historyMaxOutput = 64 << 10
)

// historyFile is where the history lives: $XDG_DATA_HOME/gokernel, or
// ~/.local/share/gokernel.
func historyFile() (string, error) {
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("history: %w", err)
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "gokernel", "history.jsonl"), nil
}

// openHistory reads the history at path and starts a new session in it. On
// an error the history works in memory, and the error says why.
func openHistory(path string) (*history, error) {
	h := &history{path: path}
	if path == "" {
		h.session = 1
		return h, nil
	}
	err := h.locked(func() error {
		entries, err := readHistory(path)
		if err != nil {
			return err
		}
		for _, e := range entries {
			h.session = max(h.session, e.Session)
			h.remember(e)
		}
		h.session++
		return h.appendLocked(histEntry{Session: h.session})
	})
	if err != nil {
		h.path = ""
		if h.session == 0 {
			h.session = 1
		}
		return h, fmt.Errorf("history: %s: %w (keeping this session's history in memory)", path, err)
	}
	return h, nil
}

// newSession starts the next session, as a restart does.
func (h *history) newSession() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.session++
	if h.path == "" {
		return nil
	}
	return h.locked(func() error {
		// Another kernel may have started sessions meanwhile.
		entries, err := readHistory(h.path)
		if err != nil {
			return err
		}
		for _, e := range entries {
			h.session = max(h.session, e.Session+1)
		}
		return h.appendLocked(histEntry{Session: h.session})
	})
}

// add records a cell. output is the text/plain form of its result, or nil.
// A source or output longer than the history keeps is cut, with a note of
// how much is missing.
func (h *history) add(line int, source string, output *string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, b, err := encodeEntry(histEntry{Session: h.session, Line: line, Source: source, Output: output})
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	h.remember(e)
	if h.path == "" {
		return nil
	}
	return h.locked(func() error { return h.writeLocked(b) })
}

// remember appends e to the entries in memory and, when they grow past
// historyMaxBytes, drops the oldest down to half, as compactHistory does to
// the file.
func (h *history) remember(e histEntry) {
	h.entries = append(h.entries, e)
	h.size += e.size
	if h.size <= historyMaxBytes {
		return
	}
	i := 0
	for ; i < len(h.entries) && h.size > historyMaxBytes/2; i++ {
		h.size -= h.entries[i].size
	}
	// A copy, so the dropped entries' strings are not kept alive.
	h.entries = slices.Clone(h.entries[i:])
}

// encodeEntry cuts e's source and output to what the history keeps and
// returns the cut entry with its line. JSON escapes can make a line six
// times its text, so the limits halve until the line fits historyMaxEntry.
func encodeEntry(e histEntry) (histEntry, []byte, error) {
	maxSource, maxOutput := historyMaxSource, historyMaxOutput
	for {
		c := e
		c.Source = truncate(e.Source, maxSource)
		if e.Output != nil {
			out := truncate(*e.Output, maxOutput)
			c.Output = &out
		}
		b, err := json.Marshal(c)
		if err != nil {
			return histEntry{}, nil, err
		}
		b = append(b, '\n')
		if len(b) <= historyMaxEntry {
			c.size = len(b)
			return c, b, nil
		}
		maxSource, maxOutput = maxSource/2, maxOutput/2
	}
}

// truncate cuts s to at most n bytes, at a character boundary, and notes
// how many bytes are missing.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return fmt.Sprintf("%s\n… (%d more bytes not kept in the history)", s[:n], len(s)-n)
}

// locked runs f holding the lock file's exclusive lock.
func (h *history) locked(f func() error) error {
	if err := os.MkdirAll(filepath.Dir(h.path), 0o700); err != nil {
		return err
	}
	lock, err := os.OpenFile(h.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := lockFile(lock); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	return f() // closing the file releases the lock
}

// appendLocked appends e, a session marker, to the file. The caller holds
// the lock.
func (h *history) appendLocked(e histEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return h.writeLocked(append(b, '\n'))
}

// writeLocked appends line to the file and compacts the file when it has
// grown too large. The caller holds the lock.
func (h *history) writeLocked(line []byte) error {
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(line)
	st, serr := f.Stat()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil || serr != nil || st.Size() <= historyMaxBytes {
		return errors.Join(err, serr)
	}
	return compactHistory(h.path)
}

// compactHistory rewrites the file with its newest entries, at most half
// of historyMaxBytes, replacing it atomically. A line longer than
// historyMaxEntry (written by an older kernel) is dropped on its own, so it
// cannot take the entries before it along. A marker of the highest session
// in the file goes first, so session numbers are never reused even when the
// kept entries are all of an older session.
func compactHistory(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	top := 0
	var lines [][]byte
	for line := range bytes.Lines(data) {
		var e histEntry
		if json.Unmarshal(line, &e) == nil {
			top = max(top, e.Session)
		}
		lines = append(lines, line)
	}
	// Walk back from the newest line to find where the kept lines start.
	start, size := len(lines), 0
	for i := len(lines) - 1; i >= 0; i-- {
		n := len(lines[i])
		if n > historyMaxEntry {
			lines[i] = nil
			continue
		}
		if size+n > historyMaxBytes/2 {
			break
		}
		start, size = i, size+n
	}
	var keep []byte
	if top > 0 {
		marker, err := json.Marshal(histEntry{Session: top})
		if err != nil {
			return err
		}
		keep = append(marker, '\n')
	}
	for _, line := range lines[start:] {
		keep = append(keep, line...)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, keep, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// readHistory reads the entries of the file at path; a missing file is an
// empty history. A line that does not decode (a torn write) is skipped, and
// so is a line longer than historyMaxEntry, which this kernel would not have
// written.
func readHistory(path string) ([]histEntry, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		entries []histEntry
		line    []byte
		long    bool // line is over historyMaxEntry: skip to its end
	)
	r := bufio.NewReaderSize(f, 64<<10)
	for {
		chunk, err := r.ReadSlice('\n')
		if !long {
			if len(line)+len(chunk) > historyMaxEntry {
				long, line = true, line[:0]
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		var e histEntry
		if !long && json.Unmarshal(line, &e) == nil && e.Session > 0 {
			e.size = len(line)
			entries = append(entries, e)
		}
		line, long = line[:0], false
		if errors.Is(err, io.EOF) {
			return entries, nil
		}
		if err != nil {
			return entries, err
		}
	}
}

// historyQuery is a history_request's content.
type historyQuery struct {
	Output         bool   `json:"output"`
	Raw            bool   `json:"raw"`
	HistAccessType string `json:"hist_access_type"`
	Session        int    `json:"session"`
	Start          int    `json:"start"`
	Stop           *int   `json:"stop"`
	N              *int   `json:"n"`
	Pattern        string `json:"pattern"`
	Unique         bool   `json:"unique"`
}

// query answers q with the entries it selects, as ipykernel does:
//
//   - tail: the last n cells;
//   - range: the cells of one session (0: this one; negative: counted back
//     from this one) with start <= line < stop (all when stop is missing);
//   - search: the cells whose source matches the glob pattern (*, ?, [..]
//     as sqlite's GLOB: * matches newlines too), the last n of them, each
//     source once when unique.
func (h *history) query(q historyQuery) ([]histEntry, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []histEntry
	cells := func(yield func(histEntry) bool) {
		for _, e := range h.entries {
			if e.Line > 0 && !yield(e) {
				return
			}
		}
	}
	switch q.HistAccessType {
	case "tail":
		for e := range cells {
			out = append(out, e)
		}
		out = last(out, q.N)
	case "range":
		session := q.Session
		if session <= 0 {
			session += h.session
		}
		for e := range cells {
			if e.Session == session && e.Line >= q.Start && (q.Stop == nil || e.Line < *q.Stop) {
				out = append(out, e)
			}
		}
	case "search":
		re, err := globRegexp(q.Pattern)
		if err != nil {
			return nil, err
		}
		for e := range cells {
			if re.MatchString(e.Source) {
				out = append(out, e)
			}
		}
		if q.Unique {
			// Keep the latest of each source, in order.
			seen := map[string]bool{}
			var uniq []histEntry
			for i := len(out) - 1; i >= 0; i-- {
				if !seen[out[i].Source] {
					seen[out[i].Source] = true
					uniq = append(uniq, out[i])
				}
			}
			out = out[:0]
			for i := len(uniq) - 1; i >= 0; i-- {
				out = append(out, uniq[i])
			}
		}
		out = last(out, q.N)
	default:
		return nil, fmt.Errorf("history: unknown hist_access_type %q", q.HistAccessType)
	}
	return out, nil
}

// last returns the last n entries, all when n is nil or not positive.
func last(es []histEntry, n *int) []histEntry {
	if n != nil && *n > 0 && len(es) > *n {
		return es[len(es)-*n:]
	}
	return es
}

// globRegexp compiles a sqlite GLOB pattern, which matches the whole text.
// An empty pattern matches everything, as "*" does.
func globRegexp(pattern string) (*regexp.Regexp, error) {
	if pattern == "" {
		pattern = "*"
	}
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for i := 0; i < len(pattern); {
		r, n := utf8.DecodeRuneInString(pattern[i:])
		i += n
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			class, n, ok := globClass(pattern[i:])
			if !ok {
				// sqlite matches nothing when a class is left open.
				b.WriteString(matchNothing)
				i = len(pattern)
				continue
			}
			b.WriteString(class)
			i += n
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("history: bad pattern %q: %w", pattern, err)
	}
	return re, nil
}

// matchNothing is a regexp class no character is in.
const matchNothing = `[^\x00-\x{10FFFF}]`

// globClass translates the GLOB class that p starts just after its '[', as
// sqlite reads one: a leading ^ negates it, a ] first (after any ^) is
// literal, and - makes a range except first or last; there are no escapes.
// It returns the regexp and the length of the class in p, ] included, or
// false when the class is not closed.
func globClass(p string) (string, int, bool) {
	var b strings.Builder
	i, negate := 0, false
	if strings.HasPrefix(p, "^") {
		i, negate = 1, true
	}
	if strings.HasPrefix(p[i:], "]") {
		b.WriteString(`\]`)
		i++
	}
	prev := rune(-1) // the last single character, which may start a range
	for i < len(p) && p[i] != ']' {
		r, n := utf8.DecodeRuneInString(p[i:])
		i += n
		if r == '-' && prev >= 0 && i < len(p) && p[i] != ']' {
			hi, n := utf8.DecodeRuneInString(p[i:])
			i += n
			if prev <= hi { // sqlite's z-a holds nothing; regexp rejects it
				fmt.Fprintf(&b, `\x{%x}-\x{%x}`, prev, hi)
			}
			prev = -1
			continue
		}
		fmt.Fprintf(&b, `\x{%x}`, r)
		prev = r
	}
	if i >= len(p) {
		return "", 0, false
	}
	switch {
	case b.Len() == 0 && negate:
		return ".", i + 1, true
	case b.Len() == 0:
		return matchNothing, i + 1, true
	case negate:
		return "[^" + b.String() + "]", i + 1, true
	}
	return "[" + b.String() + "]", i + 1, true
}

// historyRequest answers history_request.
func (k *Kernel) historyRequest(req inbound) error {
	var q historyQuery
	if err := decodeContent(req, &q); err != nil {
		k.replyError(req, "history_reply", "BadRequest", err)
		return err
	}
	entries, err := k.hist.query(q)
	if err != nil {
		k.replyError(req, "history_reply", "BadRequest", err)
		return err
	}
	list := make([]any, 0, len(entries))
	for _, e := range entries {
		if q.Output {
			var out any
			if e.Output != nil {
				out = *e.Output
			}
			list = append(list, []any{e.Session, e.Line, []any{e.Source, out}})
		} else {
			list = append(list, []any{e.Session, e.Line, e.Source})
		}
	}
	k.reply(req, "history_reply", map[string]any{"status": "ok", "history": list})
	return nil
}
