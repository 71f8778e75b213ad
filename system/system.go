// Package system reads a machine's vital signs — uptime, load, memory, disks,
// network counters, temperatures and per-process CPU and memory — from the
// files Linux exposes under /proc and /sys, without cgo.
//
// Every reader is a method of [FS], whose fields name the roots to read
// from, so tests and cells can point it at a copy of /proc. The zero FS reads
// the live system. Where a file does not exist (another operating system, a
// container without /sys, a board without thermal sensors), the error wraps
// [ErrUnavailable].
package system

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrUnavailable is wrapped by the errors of readers whose source does not
// exist on this system.
var ErrUnavailable = errors.New("unavailable on this system")

// FS names the roots the readers read from. The zero value reads the live
// system: /proc and /sys.
type FS struct {
	Proc string // procfs root; empty means "/proc"
	Sys  string // sysfs root; empty means "/sys"
}

func (f FS) proc(elem ...string) string {
	root := f.Proc
	if root == "" {
		root = "/proc"
	}
	return filepath.Join(append([]string{root}, elem...)...)
}

func (f FS) sys(elem ...string) string {
	root := f.Sys
	if root == "" {
		root = "/sys"
	}
	return filepath.Join(append([]string{root}, elem...)...)
}

// readFile reads path for the reader named what, wrapping ErrUnavailable
// when the file does not exist.
func readFile(what, path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, wrapErr(what, err)
	}
	return data, nil
}

func wrapErr(what string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("system: %s: %w (%w)", what, ErrUnavailable, err)
	}
	return fmt.Errorf("system: %s: %w", what, err)
}

// parseError reports a file whose contents are not what Linux writes.
func parseError(what, path, detail string) error {
	return fmt.Errorf("system: %s: %s: unexpected format: %s", what, path, detail)
}

// uintFields parses every field of fields as an unsigned decimal integer.
func uintFields(fields []string) ([]uint64, error) {
	out := make([]uint64, len(fields))
	for i, f := range fields {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("field %d: %q is not a number", i+1, f)
		}
		out[i] = v
	}
	return out, nil
}

// firstLine is the first line of data, without its newline.
func firstLine(data []byte) string {
	line, _, _ := strings.Cut(string(data), "\n")
	return line
}
