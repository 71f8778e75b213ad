package magic

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// buffer is a bytes.Buffer safe for the race detector to watch: Run
// promises serialised writes, and the test reads only after Run returns.
type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestRunCommands(t *testing.T) {
	tests := []struct {
		name       string
		part       Part
		wantOut    string
		wantErr    string
		wantCode   int // for an *ExitError; 0: no ExitError
		wantSignal string
	}{
		{"stdout and stderr", Part{Kind: Shell, Text: "echo out; echo err >&2"}, "out\n", "err\n", 0, ""},
		{"last line without newline", Part{Kind: Shell, Text: "printf 'a\\nb'"}, "a\nb", "", 0, ""},
		{"exit status", Part{Kind: Shell, Text: "echo partial; exit 3"}, "partial\n", "", 3, ""},
		{"killed by a signal", Part{Kind: Shell, Text: "kill -TERM $$"}, "", "", -1, "terminated"},
		{"no stdin", Part{Kind: Shell, Text: "cat; echo done"}, "done\n", "", 0, ""},
		{"sh script", Part{Kind: Script, Interpreter: "sh", Text: "x=4\necho $((x * 2))\nfalse\necho after\n"}, "8\nafter\n", "", 0, ""},
		{"bash script", Part{Kind: Script, Interpreter: "bash", Text: "a=(1 2 3)\necho ${#a[@]}\n"}, "3\n", "", 0, ""},
		{"script status is its last command's", Part{Kind: Script, Interpreter: "sh", Text: "true\nexit 5\n"}, "", "", 5, ""},
		{"long line without newline", Part{Kind: Shell, Text: "printf '%5000s' x"}, strings.Repeat(" ", 4999) + "x", "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr buffer
			err := Run(context.Background(), tt.part, Streams{Stdout: &stdout, Stderr: &stderr})
			var exit *ExitError
			switch {
			case tt.wantCode == 0 && err != nil:
				t.Errorf("Run: %v", err)
			case tt.wantCode != 0 && !errors.As(err, &exit):
				t.Errorf("Run error = %v, want an *ExitError", err)
			case tt.wantCode != 0 && (exit.Code != tt.wantCode || exit.Signal != tt.wantSignal):
				t.Errorf("exit = %+v, want code %d signal %q", exit, tt.wantCode, tt.wantSignal)
			}
			if stdout.String() != tt.wantOut || stderr.String() != tt.wantErr {
				t.Errorf("stdout %q, stderr %q; want %q, %q", stdout.String(), stderr.String(), tt.wantOut, tt.wantErr)
			}
		})
	}
}

func TestExitErrorText(t *testing.T) {
	tests := []struct {
		err  *ExitError
		want string
	}{
		{&ExitError{Command: "ls /nope", Code: 2}, "ls /nope: exit status 2"},
		{&ExitError{Command: "%%sh", Code: -1, Signal: "killed"}, "%%sh: killed by signal killed"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// lineSignal passes every write on to a channel, so a test can wait for a
// command's output while the command still runs.
type lineSignal chan string

func (c lineSignal) Write(p []byte) (int, error) { c <- string(p); return len(p), nil }

func TestRunStreamsWhileRunning(t *testing.T) {
	stdin, feed := io.Pipe()
	out := make(lineSignal, 10)
	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), Part{Kind: Shell, Text: "echo first; read x; echo got $x"}, Streams{Stdout: out, Stdin: stdin})
	}()
	// The command waits for input, so "first" can only arrive by streaming.
	if got := receive(t, out); got != "first\n" {
		t.Fatalf("first output %q, want %q", got, "first\n")
	}
	io.WriteString(feed, "more\n")
	feed.Close()
	if got := receive(t, out); got != "got more\n" {
		t.Errorf("second output %q, want %q", got, "got more\n")
	}
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestRunInterruptKillsTheProcessGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(lineSignal, 10)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Part{Kind: Shell, Text: "sleep 60 & echo $!; wait"}, Streams{Stdout: out})
	}()
	pid, err := strconv.Atoi(strings.TrimSpace(receive(t, out)))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run error = %v, want one wrapping context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
	// The shell's background child is in its group, so it was killed too;
	// once orphaned it is reaped by init, which takes a moment.
	for deadline := time.Now().Add(5 * time.Second); alive(pid); {
		if time.Now().After(deadline) {
			t.Fatalf("sleep (pid %d) outlived the interrupted command", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid is a process that is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i > 0 && i+2 < len(stat) && stat[i+2] != 'Z'
}

func receive(t *testing.T, c lineSignal) string {
	t.Helper()
	select {
	case s := <-c:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no output within 10s")
	}
	return ""
}

// chunks records each write.
type chunks []string

func (c *chunks) Write(p []byte) (int, error) { *c = append(*c, string(p)); return len(p), nil }

func TestLineWriter(t *testing.T) {
	long := strings.Repeat("x", maxLine)
	tests := []struct {
		name   string
		writes []string
		want   []string // passed on before the flush at exit
		rest   string   // passed on by the flush
	}{
		{"whole lines", []string{"a\nb\n"}, []string{"a\nb\n"}, ""},
		{"a line in pieces", []string{"a", "b\nc"}, []string{"ab\n"}, "c"},
		{"progress bar", []string{"10%\r", "20%\r", "30"}, []string{"10%\r", "20%\r"}, "30"},
		{"progress bar in one write", []string{"10%\r20%\r30"}, []string{"10%\r20%\r"}, "30"},
		{"long line without an end", []string{long, "y"}, []string{long}, "y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got chunks
			lw := (&lines{stdout: &got}).writer(false)
			for _, w := range tt.writes {
				lw.Write([]byte(w))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("passed on %q while running, want %q", got, tt.want)
			}
			got = nil
			lw.flush()
			if strings.Join(got, "") != tt.rest {
				t.Errorf("flush passed on %q, want %q", got, tt.rest)
			}
		})
	}
}

func TestRunOneWriterForBothStreams(t *testing.T) {
	var both buffer
	script := "for i in 1 2 3 4 5 6 7 8 9 10; do echo out$i; echo err$i >&2; done"
	if err := Run(context.Background(), Part{Kind: Shell, Text: script}, Streams{Stdout: &both, Stderr: &both}); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(both.String(), "\n"), "\n")
	if len(got) != 20 {
		t.Fatalf("%d lines, want 20 whole lines: %q", len(got), both.String())
	}
	for _, line := range got {
		if !strings.HasPrefix(line, "out") && !strings.HasPrefix(line, "err") {
			t.Errorf("mangled line %q", line)
		}
	}
}

func TestRunCd(t *testing.T) {
	t.Chdir(t.TempDir()) // restores the working directory afterwards
	home, target := t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	if err := os.Mkdir(filepath.Join(home, "sub dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, wantDir string
	}{
		{"absolute", target, target},
		{"home", "", home},
		{"under home", "~/sub dir", filepath.Join(home, "sub dir")},
		{"relative, from the last one", "..", home},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out buffer
			if err := Run(context.Background(), Part{Kind: Cd, Text: tt.dir}, Streams{Stdout: &out}); err != nil {
				t.Fatal(err)
			}
			wd, _ := os.Getwd()
			want, _ := filepath.EvalSymlinks(tt.wantDir)
			if got, _ := filepath.EvalSymlinks(wd); got != want {
				t.Errorf("working directory %s, want %s", got, want)
			}
			if out.String() != wd+"\n" {
				t.Errorf("printed %q, want the new directory %q", out.String(), wd)
			}
		})
	}
	// Commands run where %cd went.
	var out buffer
	Run(context.Background(), Part{Kind: Cd, Text: target}, Streams{})
	if err := Run(context.Background(), Part{Kind: Shell, Text: "pwd -P"}, Streams{Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.EvalSymlinks(target); out.String() != want+"\n" {
		t.Errorf("pwd printed %q, want %q", out.String(), want)
	}
	err := Run(context.Background(), Part{Kind: Cd, Text: filepath.Join(target, "missing")}, Streams{})
	if err == nil || !strings.HasPrefix(err.Error(), "%cd: ") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cd to a missing directory: %v, want a %%cd error wrapping ErrNotExist", err)
	}
}

func TestRunEnv(t *testing.T) {
	t.Setenv("MAGIC_TEST_SET", "before")
	os.Unsetenv("MAGIC_TEST_UNSET")
	tests := []struct {
		name, arg, wantOut, wantErr string
	}{
		{"set", "MAGIC_TEST_SET=a b=c", "env: MAGIC_TEST_SET=a b=c\n", ""},
		{"get", "MAGIC_TEST_SET", "a b=c\n", ""},
		{"get unset", "MAGIC_TEST_UNSET", "", "%env: MAGIC_TEST_UNSET is not set"},
		{"set empty", "MAGIC_TEST_SET=", "env: MAGIC_TEST_SET=\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out buffer
			err := Run(context.Background(), Part{Kind: Env, Text: tt.arg}, Streams{Stdout: &out})
			if (err == nil) != (tt.wantErr == "") || (err != nil && err.Error() != tt.wantErr) {
				t.Errorf("Run error = %v, want %q", err, tt.wantErr)
			}
			if out.String() != tt.wantOut {
				t.Errorf("printed %q, want %q", out.String(), tt.wantOut)
			}
		})
	}
	// Commands inherit what %env set.
	Run(context.Background(), Part{Kind: Env, Text: "MAGIC_TEST_SET=inherited"}, Streams{})
	var out buffer
	Run(context.Background(), Part{Kind: Shell, Text: "echo $MAGIC_TEST_SET"}, Streams{Stdout: &out})
	if out.String() != "inherited\n" {
		t.Errorf("command saw %q, want %q", out.String(), "inherited\n")
	}
	out = buffer{}
	Run(context.Background(), Part{Kind: Env}, Streams{Stdout: &out})
	if !strings.Contains(out.String(), "\nMAGIC_TEST_SET=inherited\n") && !strings.HasPrefix(out.String(), "MAGIC_TEST_SET=inherited\n") {
		t.Errorf("%%env listed %q, want it to include MAGIC_TEST_SET=inherited", out.String())
	}
}

func TestRunHelpListsEveryMagic(t *testing.T) {
	var out buffer
	if err := Run(context.Background(), Part{Kind: Help}, Streams{Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	for _, magic := range []string{"!CMD", "%%sh", "%%bash", "%cd", "%env", "%go get", "%go list", "%help"} {
		if !strings.Contains(out.String(), "\n  "+magic) {
			t.Errorf("%%help does not list %s:\n%s", magic, out.String())
		}
	}
}

func TestRunErrors(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no bash to be found
	tests := []struct {
		name    string
		part    Part
		wantErr string
	}{
		{"go part", Part{Kind: Go, Text: "x := 1"}, "magic: cannot run a go part"},
		{"no bash", Part{Kind: Script, Interpreter: "bash", Text: "echo"}, "%%bash: bash is not installed here; %%sh runs the script with /bin/sh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Run(context.Background(), tt.part, Streams{})
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Run error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
