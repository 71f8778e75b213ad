package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunUsageErrors(t *testing.T) {
	dir := t.TempDir()
	badConn := filepath.Join(dir, "bad.json")
	os.WriteFile(badConn, []byte(`{"transport":"tcp","ip":"127.0.0.1","shell_port":1,"iopub_port":2,"stdin_port":3,"control_port":4,"hb_port":5,"key":"k","signature_scheme":"hmac-md5"}`), 0o600)
	tests := []struct {
		name       string
		args       []string
		wantStatus int
		wantOut    string // in stdout
		wantErr    string // in stderr
	}{
		{"no args", nil, 2, "", "Usage:"},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"help", []string{"--help"}, 0, "Usage:", ""},
		{"version", []string{"version"}, 0, "gokernel ", ""},
		{"kernel no file", []string{"kernel"}, 2, "", "want exactly one CONNECTION_FILE"},
		{"kernel two files", []string{"kernel", "a", "b"}, 2, "", "got 2 arguments"},
		{"kernel bad flag", []string{"kernel", "--nope", "x"}, 2, "", "flag provided but not defined"},
		{"kernel help", []string{"kernel", "--help"}, 0, "", "Usage: gokernel kernel"},
		{"kernel bad level", []string{"kernel", "--log-level", "loud", "x"}, 2, "", "--log-level"},
		{"kernel missing file", []string{"kernel", filepath.Join(dir, "none.json")}, 2, "", "no such file"},
		{"kernel bad scheme", []string{"kernel", badConn}, 2, "", "signature_scheme"},
		{"worker with args", []string{"worker", "x"}, 2, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(tt.args, &stdout, &stderr)
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d (stderr: %s)", status, tt.wantStatus, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout = %q, want it to contain %q", stdout.String(), tt.wantOut)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantErr)
			}
		})
	}
}
