package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/gokernel/gokernel/wire"
)

// TestMain lets the test binary stand in for gokernel when the kernel
// starts it as its worker ("gokernel worker"), so serve runs real cells.
func TestMain(m *testing.M) {
	if len(os.Args) == 2 && os.Args[1] == "worker" {
		os.Exit(runWorker(nil))
	}
	os.Exit(m.Run())
}

func TestServeUsageErrors(t *testing.T) {
	dir := t.TempDir()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port

	tests := []struct {
		name       string
		args       []string
		env        string // GOKERNEL_LOG_LEVEL
		wantStatus int
		wantErr    string // in stderr
	}{
		{"help", []string{"--help"}, "", 0, "usage: gokernel serve"},
		{"unknown flag", []string{"--port", "9000"}, "", 2, "flag provided but not defined: -port"},
		{"argument", []string{"extra"}, "", 2, `unexpected argument "extra"`},
		{"bad ip", []string{"--ip", "raspberrypi.local"}, "", 2, `--ip "raspberrypi.local": not an IP address`},
		{"ports not a range", []string{"--ports", "9000"}, "", 2, `--ports "9000": want FIRST-LAST`},
		{"four ports", []string{"--ports", "9000-9003"}, "", 2, "want five ports (shell, iopub, stdin, control, hb), got 4"},
		{"reversed ports", []string{"--ports", "9004-9000"}, "", 2, "want five ports"},
		{"port zero", []string{"--ports", "0-4"}, "", 2, "ports must be 1 to 65535"},
		{"ports beyond 65535", []string{"--ports", "65534-65538"}, "", 2, "ports must be 1 to 65535"},
		{"port base too high", []string{"--port-base", "65532"}, "", 2, "--port-base 65532: want 1 to 65531"},
		{"port base zero", []string{"--port-base", "0"}, "", 2, "--port-base 0"},
		{"both port flags", []string{"--ports", "9000-9004", "--port-base", "9000"}, "", 2, "--ports and --port-base both set"},
		{"bad log level", []string{"--log-level", "loud"}, "", 2, `--log-level "loud": want debug`},
		{"bad log level from the environment", nil, "verbose", 2, `GOKERNEL_LOG_LEVEL="verbose": want debug`},
		{"flag overrides the environment", []string{"--log-level", "error", "--port-base", strconv.Itoa(busyPort)}, "verbose", 2, "cannot listen on 127.0.0.1 port " + strconv.Itoa(busyPort)},
		{"empty connection file", []string{"--connection-file", ""}, "", 2, "--connection-file: empty path"},
		{"port in use", []string{"--port-base", strconv.Itoa(busyPort)}, "", 2, "cannot listen on 127.0.0.1 port " + strconv.Itoa(busyPort)},
		{"connection file in a missing directory", []string{"--connection-file", filepath.Join(dir, "no", "k.json")}, "", 2, "cannot write the connection file"},
		{"connection file is a directory", []string{"--connection-file", dir}, "", 2, "cannot write the connection file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(logLevelEnv, tt.env)
			var stdout, stderr bytes.Buffer
			status := runServe(tt.args, &stdout, &stderr)
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d (stderr: %s)", status, tt.wantStatus, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr %q, want it to contain %q", stderr.String(), tt.wantErr)
			}
			if tt.wantStatus == 2 && !strings.HasPrefix(stderr.String(), "gokernel serve: ") {
				t.Errorf("stderr %q, want a one-line error first", stderr.String())
			}
		})
	}
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in   string
		want []int
	}{
		{"9000-9004", []int{9000, 9001, 9002, 9003, 9004}},
		{"1-5", []int{1, 2, 3, 4, 5}},
		{"65531-65535", []int{65531, 65532, 65533, 65534, 65535}},
		{"9000-9005", nil},
		{"9000", nil},
		{"a-b", nil},
		{"-1-3", nil},
	}
	for _, tt := range tests {
		got, err := parsePortRange(tt.in)
		if (err == nil) != (tt.want != nil) || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parsePortRange(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestJupyterRuntimeDir(t *testing.T) {
	tests := []struct {
		name string
		goos string
		env  map[string]string
		home string
		want string
	}{
		{"runtime dir set", "linux", map[string]string{"JUPYTER_RUNTIME_DIR": "/run/j", "JUPYTER_DATA_DIR": "/d"}, "/home/pi", "/run/j"},
		{"data dir set", "linux", map[string]string{"JUPYTER_DATA_DIR": "/d"}, "/home/pi", "/d/runtime"},
		{"linux default", "linux", nil, "/home/pi", "/home/pi/.local/share/jupyter/runtime"},
		{"xdg", "linux", map[string]string{"XDG_DATA_HOME": "/x"}, "/home/pi", "/x/jupyter/runtime"},
		{"macOS", "darwin", nil, "/Users/me", "/Users/me/Library/Jupyter/runtime"},
		{"no home", "linux", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jupyterRuntimeDir(tt.goos, func(k string) string { return tt.env[k] }, tt.home)
			if tt.want == "" {
				if err == nil || !strings.Contains(err.Error(), "JUPYTER_RUNTIME_DIR") {
					t.Errorf("got %q, %v; want an error naming JUPYTER_RUNTIME_DIR", got, err)
				}
				return
			}
			if err != nil || got != filepath.FromSlash(tt.want) {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// syncBuffer collects output written by serve while the test reads it.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // signalled after every write
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{written: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.written <- struct{}{}:
	default:
	}
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor waits until the buffer holds want.
func (b *syncBuffer) waitFor(t *testing.T, want string) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for !strings.Contains(b.String(), want) {
		select {
		case <-b.written:
		case <-timeout:
			t.Fatalf("no %q within 30s; got:\n%s", want, b.String())
		}
	}
	return b.String()
}

// startServe runs serve with args until the test ends, and returns its
// stdout and stderr and its exit status once it stops.
func startServe(t *testing.T, args ...string) (stdout, stderr *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = newSyncBuffer(), newSyncBuffer()
	status := make(chan int, 1)
	go func() { status <- serve(ctx, args, stdout, stderr) }()
	var once sync.Once
	var code int
	stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-status:
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not stop within 30s of its context ending")
			}
		})
		return code
	}
	t.Cleanup(func() { stop() })
	return stdout, stderr, stop
}

func TestServeAnswersAndCleansUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kernel.json")
	stdout, stderr, stop := startServe(t, "--connection-file", path)
	out := stdout.waitFor(t, "kill ")

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("connection file mode %v, want 0600", info.Mode().Perm())
	}
	conn, err := wire.ReadConnectionFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if conn.IP != "127.0.0.1" || len(conn.Key) < 26 || conn.SignatureScheme != wire.SchemeHMACSHA256 {
		t.Errorf("connection info %+v: want loopback, a long key, hmac-sha256", conn)
	}
	for _, want := range []string{
		"Connection file: " + path,
		"jupyter console --existing " + path,
		"jupyter console --existing ./kernel.json --ssh ",
		"scp ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(stderr.String(), "warning") {
		t.Errorf("a loopback kernel warned: %s", stderr.String())
	}

	// Two clients one after the other: the kernel outlives the first.
	for i := range 2 {
		reply := kernelInfo(t, conn)
		if reply["implementation"] != "gokernel" {
			t.Errorf("client %d: kernel_info_reply %v", i+1, reply)
		}
	}

	if status := stop(); status != 0 {
		t.Errorf("exit status %d after the context ended, want 0; stderr:\n%s", status, stderr.String())
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("connection file still there after stopping (stat: %v)", err)
	}
}

func TestServeFixedPortsBeyondLoopbackWarns(t *testing.T) {
	ports := freeTestPorts(t)
	path := filepath.Join(t.TempDir(), "k.json")
	stdout, stderr, stop := startServe(t, "--ip", "0.0.0.0", "--port-base", strconv.Itoa(ports), "--connection-file", path)
	out := stdout.waitFor(t, "kill ")
	if !strings.Contains(stderr.String(), "gokernel serve: warning: listening on 0.0.0.0") {
		t.Errorf("no warning on stderr: %q", stderr.String())
	}
	if !strings.Contains(out, `set its "ip" to an address of this machine`) {
		t.Errorf("stdout does not say to set the ip:\n%s", out)
	}
	conn, err := wire.ReadConnectionFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if conn.ShellPort != ports || conn.HBPort != ports+4 {
		t.Errorf("ports %+v, want %d to %d", conn, ports, ports+4)
	}
	conn.IP = "127.0.0.1" // 0.0.0.0 is reachable through loopback
	if reply := kernelInfo(t, conn); reply["status"] != "ok" {
		t.Errorf("kernel_info_reply %v", reply)
	}
	if status := stop(); status != 0 {
		t.Errorf("exit status %d, want 0", status)
	}
}

// freeTestPorts finds five consecutive free loopback ports and returns the
// first.
func freeTestPorts(t *testing.T) int {
	t.Helper()
	for base := 20000 + os.Getpid()%20000; base < 65000; base += 5 {
		if checkPortsFree("0.0.0.0", []int{base, base + 1, base + 2, base + 3, base + 4}) == nil {
			return base
		}
	}
	t.Fatal("no five consecutive free ports")
	return 0
}

// kernelInfo asks the kernel of conn for kernel_info on a new shell
// connection, as a fresh client would, and closes it.
func kernelInfo(t *testing.T, conn *wire.ConnectionInfo) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sock := zmq4.NewDealer(ctx)
	defer sock.Close()
	if err := sock.Dial(conn.Endpoint(wire.Shell)); err != nil {
		t.Fatal(err)
	}
	signer, err := wire.NewSigner(conn.SignatureScheme, []byte(conn.Key))
	if err != nil {
		t.Fatal(err)
	}
	req, err := wire.NewMessage("kernel_info_request", "test-session", nil, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	frames, err := wire.Encode(req, signer)
	if err != nil {
		t.Fatal(err)
	}
	if err := sock.Send(zmq4.NewMsgFrom(frames...)); err != nil {
		t.Fatal(err)
	}
	msg, err := sock.Recv()
	if err != nil {
		t.Fatalf("no kernel_info_reply: %v", err)
	}
	rep, err := wire.Decode(msg.Frames, signer)
	if err != nil {
		t.Fatal(err)
	}
	var content map[string]any
	if err := json.Unmarshal(rep.Content, &content); err != nil {
		t.Fatal(err)
	}
	return content
}

// TestServeKernelChecksConfigFirst gives serveKernel a configuration the
// kernel refuses and a context that has ended, on which worker.New fails:
// the kernel's error, not the worker's, shows that no worker was started
// for a kernel that could not run.
func TestServeKernelChecksConfigFirst(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir()) // the kernel's history file
	conn := &wire.ConnectionInfo{
		Transport: "tcp", IP: "0.0.0.0",
		ShellPort: 9000, IOPubPort: 9001, StdinPort: 9002, ControlPort: 9003, HBPort: 9004,
		SignatureScheme: wire.SchemeHMACSHA256, KernelName: "gokernel",
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stderr bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&stderr, nil))
	status := serveKernel(ctx, "gokernel kernel", conn, logger, false, &stderr)
	if status != 2 || !strings.Contains(stderr.String(), "without a key") || !strings.Contains(stderr.String(), "--allow-unsigned") {
		t.Errorf("status %d, stderr %q; want 2 and the refusal of an empty key, naming --allow-unsigned", status, stderr.String())
	}
}

// TestServeLogsWorkerComponentOnce checks that the worker's log records
// say component=worker once, not once per layer that adds it.
func TestServeLogsWorkerComponentOnce(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir()) // the kernel's history file
	stdout, stderr, stop := startServe(t, "--log-level", "debug", "--connection-file", filepath.Join(t.TempDir(), "k.json"))
	stdout.waitFor(t, "kill ")
	stderr.waitFor(t, "worker started")
	stop()
	started := 0
	for line := range strings.Lines(stderr.String()) {
		if strings.Count(line, "component=worker") > 1 {
			t.Errorf("component=worker twice in %q", line)
		}
		if strings.Contains(line, "worker started") {
			started++
			if !strings.Contains(line, "component=worker") {
				t.Errorf("no component=worker in %q", line)
			}
		}
	}
	if started == 0 {
		t.Error("no worker started record")
	}
}

// TestWorkerPathAfterBinaryRemoved runs a copy of the test binary that
// removes itself, as install.sh's rename does to a running kernel's binary,
// and then starts a process from workerPath, as the kernel starts workers.
func TestWorkerPathAfterBinaryRemoved(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/self/exe is Linux's")
	}
	if os.Getenv("GOKERNEL_TEST_REMOVE_SELF") == "1" {
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(self); err != nil {
			t.Fatal(err)
		}
		path, err := workerPath()
		if err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(path, "-test.run=^$").CombinedOutput(); err != nil {
			t.Fatalf("starting %s after removing %s: %v\n%s", path, self, err, out)
		}
		return
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "gokernel.test")
	if err := os.WriteFile(cp, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cp, "-test.run=^TestWorkerPathAfterBinaryRemoved$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GOKERNEL_TEST_REMOVE_SELF=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("the copy could not start a worker once its binary was removed: %v\n%s", err, out)
	}
}
