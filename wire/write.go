package wire

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile validates ci and writes it to path as a connection file, readable
// and writable by the owner only (mode 0600): the key in it lets anyone who
// reads it run code in the kernel.
//
// The file is written to a temporary file in the same directory and renamed
// into place, so a client never reads half a file, and a file already at path
// is replaced whole. The directory must exist.
func (ci *ConnectionInfo) WriteFile(path string) (err error) {
	if err := ci.Validate(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(ci, "", "  ")
	if err != nil {
		return &ConnectionError{Path: path, Err: err}
	}
	data = append(data, '\n')

	// CreateTemp makes the file with mode 0600, so the key is never
	// readable by others, not even for a moment.
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return &ConnectionError{Path: path, Err: fmt.Errorf("create: %w", err)}
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return &ConnectionError{Path: path, Err: fmt.Errorf("write: %w", err)}
	}
	// An explicit Chmod, because CreateTemp's mode is an implementation
	// detail and the umask cannot widen it, but a future change could.
	if err := tmp.Chmod(0o600); err != nil {
		return &ConnectionError{Path: path, Err: fmt.Errorf("chmod: %w", err)}
	}
	if err := tmp.Sync(); err != nil {
		return &ConnectionError{Path: path, Err: fmt.Errorf("sync: %w", err)}
	}
	if err := tmp.Close(); err != nil {
		return &ConnectionError{Path: path, Err: fmt.Errorf("close: %w", err)}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return &ConnectionError{Path: path, Err: fmt.Errorf("rename: %w", err)}
	}
	return nil
}
