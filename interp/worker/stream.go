package worker

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// chunk is what a stream reader hands to the pump: text read from the
// worker's stdout or stderr, with sync markers removed. When synced is set,
// every byte the worker wrote before marker seq is in this chunk or an
// earlier one. eof marks the last chunk of the stream.
type chunk struct {
	stream int // stdout or stderr
	data   []byte
	seq    uint64
	synced bool
	eof    bool
}

const (
	stdout = iota
	stderr
)

var streamNames = [...]string{stdout: "stdout", stderr: "stderr"}

// Reading in gulps. A cell that prints line by line makes one write per
// line; a reader that read each as it came would wake up, and make the
// kernel process switch tasks, as often, for a few bytes each time. After a
// read that found little and no marker, the reader lets the pipe fill for
// gulpWait before it reads again. Nothing waits on it meanwhile: text is
// delivered in batches anyway (see batchInterval), and when the pump needs
// the text up to a marker, to deliver the event that follows it, it sends on
// the reader's hurry channel, which ends the wait at once. A 64 KiB pipe
// holds what a cell prints in gulpWait unless it prints more than 13 MB/s,
// and a writer that fast fills reads beyond smallRead, which are not
// followed by a wait.
const (
	gulpWait  = 5 * time.Millisecond
	smallRead = 16 << 10
)

// streamReader is the kernel's end of the pipe for the worker's stdout or
// stderr (see newStreamPipe).
type streamReader interface {
	io.ReadCloser
	// Stop makes a blocked Read, and later ones, return an error, even if
	// another process still holds the write end. Any goroutine may call
	// it, any number of times.
	Stop()
}

// readStream reads f until EOF or error and sends its text, markers
// stripped, to ch. It sends a final chunk with eof set, closes f and
// returns.
// A receive from hurry or exited (closed when the worker has exited) ends
// a wait between reads; either may be nil.
func readStream(f streamReader, stream int, prefix []byte, ch chan<- chunk, hurry, exited <-chan struct{}) {
	defer f.Close()
	buf := make([]byte, 32<<10)
	var pending []byte // a possible marker cut by the end of a read
	wait := time.NewTimer(gulpWait)
	wait.Stop()
	for {
		n, err := f.Read(buf)
		synced := false
		if n > 0 {
			data := append(pending, buf[:n]...)
			pending = nil
			for len(data) > 0 {
				text, seq, rest, found, partial := cutMarker(data, prefix)
				if found {
					ch <- chunk{stream: stream, data: text, seq: seq, synced: true}
					data, synced = rest, true
					continue
				}
				if len(text) > 0 {
					ch <- chunk{stream: stream, data: text}
				}
				pending = bytes.Clone(partial)
				break
			}
		}
		if err != nil {
			// A marker prefix cut by the end of the stream was text after all.
			ch <- chunk{stream: stream, data: pending, eof: true}
			return
		}
		if n < smallRead && !synced {
			wait.Reset(gulpWait)
			select {
			case <-wait.C:
			case <-hurry:
				wait.Stop()
			case <-exited:
				wait.Stop()
			}
		}
	}
}

// cutMarker finds the first complete marker in data. If there is one, it
// returns the text before it, its seq, the bytes after it and found = true.
// Otherwise it returns the text that certainly is not part of a marker and,
// as partial, the tail of data that may be the start of one. text is a copy.
func cutMarker(data, prefix []byte) (text []byte, seq uint64, rest []byte, found bool, partial []byte) {
	full := len(prefix) + seqLen + 1
	from := 0
	for {
		i := bytes.Index(data[from:], prefix)
		if i < 0 {
			break
		}
		i += from
		if len(data)-i < full {
			return bytes.Clone(data[:i]), 0, nil, false, data[i:]
		}
		if n, ok := parseSeq(data[i+len(prefix) : i+full-1]); ok && data[i+full-1] == markerEnd {
			return bytes.Clone(data[:i]), n, data[i+full:], true, nil
		}
		from = i + 1 // the token followed by garbage: plain text
	}
	// Keep back the longest tail of data that is a proper prefix of prefix.
	k := min(len(prefix)-1, len(data))
	for ; k > 0; k-- {
		if bytes.HasPrefix(prefix, data[len(data)-k:]) {
			break
		}
	}
	return bytes.Clone(data[:len(data)-k]), 0, nil, false, data[len(data)-k:]
}

// completeUTF8 returns the length of the longest prefix of b that does not
// end inside a UTF-8 sequence. Invalid bytes count as complete: only a
// valid but unfinished sequence at the very end is held back.
func completeUTF8(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return len(b)
}

// Crash reports. When the Go runtime kills a process it writes a report to
// fd 2: "panic: …" or "fatal error: …" (after some "runtime: …" lines for a
// stack overflow), then goroutine traces. The pump holds such text back
// from the user's stderr until it knows whether the worker died.

// reportStart returns the offset in b of the first line that starts a
// runtime crash report, or -1. atLineStart tells whether b[0] starts a line.
func reportStart(b []byte, atLineStart bool) int {
	for i := 0; i < len(b); {
		if i > 0 || atLineStart {
			line := b[i:]
			for _, p := range reportPrefixes {
				if bytes.HasPrefix(line, []byte(p)) {
					return i
				}
			}
		}
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j + 1
	}
	return -1
}

var reportPrefixes = [...]string{"panic: ", "fatal error: ", "runtime: goroutine stack exceeds", "SIGSEGV: ", "SIGBUS: "}

// goroutineHeader matches the first line of a goroutine's trace in a crash
// report: "goroutine 7 [running]:", or with GOTRACEBACK=system and for fatal
// errors, "goroutine 7 gp=0xc000 m=3 mp=0xc000 [running]:".
var goroutineHeader = regexp.MustCompile(`(?m)^goroutine \d+ (?:gp=\S+ m=\S+ (?:mp=\S+ )?)?\[[^\]\n]*\]:$`)

// isRuntimeReport reports whether held text, which starts like a crash
// report, already has a goroutine trace: then it is the runtime's own, not
// user output that happens to start with "panic: ". A marker written after
// it (see pumpState.chunk) still proves the process alive.
func isRuntimeReport(held []byte) bool { return goroutineHeader.Match(held) }

// maxReport bounds the crash report kept in memory; the rest is counted.
const maxReport = 256 << 10

// maxTraceLines bounds the traceback shown to the user.
const maxTraceLines = 60

// crashSummary turns a runtime report and the process's exit into the
// one-line cause shown as an error's value, and a short traceback: the
// report's header (up to its first blank line) and the trace of the first
// goroutine, which for a panic or a fatal error is the one that failed.
// Stacks of the runtime itself and of other goroutines are left out.
func crashSummary(report string, waitErr error) (cause string, traceback []string) {
	var lines []string
	if report != "" {
		lines = strings.Split(strings.TrimRight(report, "\n"), "\n")
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") ||
			strings.HasPrefix(l, "SIGSEGV: ") || strings.HasPrefix(l, "SIGBUS: ") {
			cause = l
			break
		}
	}
	if cause == "" {
		cause = exitDescription(waitErr)
	}

	header := true
	inGoroutine := false
	for _, l := range lines {
		switch {
		case header && l == "":
			header = false
			traceback = append(traceback, l)
		case header:
			traceback = append(traceback, l)
		case !inGoroutine && strings.HasPrefix(l, "goroutine ") && strings.HasSuffix(l, ":"):
			inGoroutine = true
			traceback = append(traceback, l)
		case inGoroutine && l == "":
			return cause, capLines(traceback)
		case inGoroutine:
			traceback = append(traceback, l)
		}
	}
	return cause, capLines(traceback)
}

func capLines(lines []string) []string {
	if len(lines) <= maxTraceLines {
		return lines
	}
	n := len(lines) - maxTraceLines
	return append(lines[:maxTraceLines:maxTraceLines], fmt.Sprintf("... (%d more lines)", n))
}

// exitDescription says how a process ended, for a user.
func exitDescription(err error) string {
	var ee interface{ ExitCode() int }
	switch {
	case err == nil:
		return "the worker process exited"
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return fmt.Sprintf("exit status %d", ee.ExitCode())
	case errors.Is(err, io.EOF):
		return "the worker process closed its pipes"
	}
	return err.Error() // e.g. "signal: killed"
}
