package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
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
		env        string // GOKERNEL_LOG_LEVEL
		wantStatus int
		wantOut    string // in stdout
		wantErr    string // in stderr
	}{
		{"no args", nil, "", 2, "", "Usage:"},
		{"unknown command", []string{"frobnicate"}, "", 2, "", `unknown command "frobnicate"`},
		{"help", []string{"--help"}, "", 0, "Usage:", ""},
		{"version", []string{"version"}, "", 0, "gokernel ", ""},
		{"kernel no file", []string{"kernel"}, "", 2, "", "want exactly one CONNECTION_FILE"},
		{"kernel two files", []string{"kernel", "a", "b"}, "", 2, "", "got 2 arguments"},
		{"kernel bad flag", []string{"kernel", "--nope", "x"}, "", 2, "", "flag provided but not defined"},
		{"kernel help", []string{"kernel", "--help"}, "", 0, "", "Usage: gokernel kernel"},
		{"kernel bad level", []string{"kernel", "--log-level", "loud", "x"}, "", 2, "", `gokernel kernel: --log-level "loud": want debug`},
		{"kernel bad level from the environment", []string{"kernel", "x"}, "verbose", 2, "", `gokernel kernel: GOKERNEL_LOG_LEVEL="verbose": want debug`},
		{"kernel flag overrides the environment", []string{"kernel", "--log-level", "error", filepath.Join(dir, "none.json")}, "verbose", 2, "", "no such file"},
		{"kernel bad flag, good environment", []string{"kernel", "--log-level", "", "x"}, "debug", 2, "", `--log-level "": want debug`},
		{"kernel missing file", []string{"kernel", filepath.Join(dir, "none.json")}, "", 2, "", "no such file"},
		{"kernel bad scheme", []string{"kernel", badConn}, "", 2, "", "signature_scheme"},
		{"worker with args", []string{"worker", "x"}, "", 2, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(logLevelEnv, tt.env)
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

// TestModuleConfigListsWhatCellsImport checks that the lists %go list
// shows name packages from every table the session loads.
func TestModuleConfigListsWhatCellsImport(t *testing.T) {
	cfg := moduleConfig()
	for _, tt := range []struct {
		list []string
		name string
		want []string
	}{
		{cfg.Std, "Std", []string{"fmt", "iter", "os/exec", "math/rand/v2", "syscall", "unsafe", "strings", "net/http"}},
		{cfg.Compiled, "Compiled", []string{"github.com/gokernel/gokernel/display", "github.com/gokernel/gokernel/comm", "github.com/gokernel/gokernel/input", "github.com/go-zeromq/zmq4"}},
	} {
		for _, p := range tt.want {
			if !slices.Contains(tt.list, p) {
				t.Errorf("%s lacks %s", tt.name, p)
			}
		}
		if !slices.IsSorted(tt.list) || len(slices.Compact(slices.Clone(tt.list))) != len(tt.list) {
			t.Errorf("%s is not sorted without duplicates: %v", tt.name, tt.list)
		}
		for _, p := range tt.list {
			if strings.HasPrefix(p, "github.com/traefik/yaegi") {
				t.Errorf("%s lists yaegi's own %s", tt.name, p)
			}
		}
	}
	for _, p := range cfg.Std {
		if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") {
			t.Errorf("Std lists %s, not a standard library path", p)
		}
	}
}
