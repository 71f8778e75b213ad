package kernel

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
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
// dropped, keeping about half.
type history struct {
	path string // "" keeps the history in memory only

	mu      sync.Mutex
	session int
	entries []histEntry // earlier sessions (as read at start) and this one
}

// histEntry is one line of the history file. Line 0 marks the start of a
// session, which reserves its number.
type histEntry struct {
	Session int     `json:"session"`
	Line    int     `json:"line"`
	Source  string  `json:"source,omitempty"`
	Output  *string `json:"output,omitempty"`
}

// historyMaxBytes bounds the history file.
const historyMaxBytes = 2 << 20

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
		h.entries = entries
		for _, e := range entries {
			h.session = max(h.session, e.Session)
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
func (h *history) add(line int, source string, output *string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := histEntry{Session: h.session, Line: line, Source: source, Output: output}
	h.entries = append(h.entries, e)
	if h.path == "" {
		return nil
	}
	return h.locked(func() error { return h.appendLocked(e) })
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

// appendLocked appends e to the file and compacts the file when it has
// grown too large. The caller holds the lock.
func (h *history) appendLocked(e histEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	st, serr := f.Stat()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil || serr != nil || st.Size() <= historyMaxBytes {
		return errors.Join(err, serr)
	}
	return compactHistory(h.path)
}

// compactHistory rewrites the file with its newest entries, about half of
// historyMaxBytes, replacing it atomically. A marker of the highest session
// in the file goes first, so session numbers are never reused even when the
// kept entries are all of an older session.
func compactHistory(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	top := 0
	for line := range bytes.Lines(data) {
		var e histEntry
		if json.Unmarshal(line, &e) == nil {
			top = max(top, e.Session)
		}
	}
	keep := data
	for len(keep) > historyMaxBytes/2 {
		i := bytes.IndexByte(keep, '\n')
		if i < 0 {
			keep = nil
			break
		}
		keep = keep[i+1:]
	}
	if top > 0 {
		marker, err := json.Marshal(histEntry{Session: top})
		if err != nil {
			return err
		}
		keep = append(append(marker, '\n'), keep...)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, keep, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// readHistory reads the entries of the file at path; a missing file is an
// empty history, a line that does not decode (a torn write) is skipped.
func readHistory(path string) ([]histEntry, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var entries []histEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), historyMaxBytes)
	for sc.Scan() {
		var e histEntry
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Session > 0 {
			entries = append(entries, e)
		}
	}
	return entries, sc.Err()
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
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := strings.IndexByte(pattern[i+1:], ']')
			if j < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := pattern[i+1 : i+1+j]
			if strings.HasPrefix(class, "^") {
				class = `\^` + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("history: bad pattern %q: %w", pattern, err)
	}
	return re, nil
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
