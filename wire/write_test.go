package wire

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
)

func validConn() *ConnectionInfo {
	return &ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", ShellPort: 9000, IOPubPort: 9001,
		StdinPort: 9002, ControlPort: 9003, HBPort: 9004, Key: "secret", SignatureScheme: SchemeHMACSHA256,
		KernelName: "gokernel"}
}

func TestWriteFileRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		conn     *ConnectionInfo
		existing string // written at path first, when not empty
	}{
		{"new file", validConn(), ""},
		{"replaces a file", validConn(), `{"stale": true}`},
		{"no key", func() *ConnectionInfo { c := validConn(); c.Key, c.SignatureScheme = "", ""; return c }(), ""},
		{"ipc", func() *ConnectionInfo { c := validConn(); c.Transport, c.IP = "ipc", "/tmp/k"; return c }(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "kernel.json")
			if tt.existing != "" {
				if err := os.WriteFile(path, []byte(tt.existing), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := tt.conn.WriteFile(path); err != nil {
				t.Fatalf("WriteFile: %v", err)
			}
			got, err := ReadConnectionFile(path)
			if err != nil {
				t.Fatalf("ReadConnectionFile: %v", err)
			}
			if !reflect.DeepEqual(got, tt.conn) {
				t.Errorf("read back %+v, want %+v", *got, *tt.conn)
			}
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
				t.Errorf("mode = %v, want 0600", info.Mode().Perm())
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				t.Errorf("directory holds %d entries, want only kernel.json (a temporary file was left?)", len(entries))
			}
		})
	}
}

func TestWriteFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := validConn()
	bad.HBPort = bad.ShellPort
	tests := []struct {
		name      string
		conn      *ConnectionInfo
		path      string
		wantField string // the ConnectionError field, when the info is at fault
		wantNoDir bool   // the error wraps fs.ErrNotExist
	}{
		{"invalid info", bad, filepath.Join(dir, "bad.json"), "hb_port", false},
		{"missing directory", validConn(), filepath.Join(dir, "nope", "k.json"), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.conn.WriteFile(tt.path)
			var ce *ConnectionError
			if !errors.As(err, &ce) {
				t.Fatalf("WriteFile error = %v, want a *ConnectionError", err)
			}
			if ce.Field != tt.wantField {
				t.Errorf("field = %q, want %q (err %v)", ce.Field, tt.wantField, err)
			}
			if tt.wantNoDir != errors.Is(err, os.ErrNotExist) {
				t.Errorf("errors.Is(err, ErrNotExist) = %v, want %v (err %v)", !tt.wantNoDir, tt.wantNoDir, err)
			}
			if _, statErr := os.Stat(tt.path); !errors.Is(statErr, os.ErrNotExist) {
				t.Errorf("a failed WriteFile left %s behind", tt.path)
			}
		})
	}
}
