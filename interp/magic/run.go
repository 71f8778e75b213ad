package magic

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Streams are where [Run] sends what a part prints, and what its commands
// read.
type Streams struct {
	// Stdout and Stderr receive the output of commands, a line at a time
	// as they print it (a line ends at \n, or at the \r of a progress
	// bar), and what %cd, %env and %help print. Run writes whole lines and
	// never two at once, so both may be one writer.
	Stdout, Stderr io.Writer
	// Stdin is the commands' standard input; nil means none (the null
	// device), so a command that reads input ends instead of hanging.
	Stdin io.Reader
}

// ExitError reports a command that ran and failed. A cell goes on after a
// failed command that is not its last part, as a shell script without
// set -e does; see docs/remote.md.
type ExitError struct {
	Command string // the command line, or "%%sh" / "%%bash" for a script
	Code    int    // the exit status; -1 when a signal ended it
	Signal  string // the signal that ended it, if one did
}

func (e *ExitError) Error() string {
	if e.Signal != "" {
		return fmt.Sprintf("%s: killed by signal %s", e.Command, e.Signal)
	}
	return fmt.Sprintf("%s: exit status %d", e.Command, e.Code)
}

// waitDelay is how long Run waits, after a command exits, for output from
// the processes it left running in the background (which hold its output
// open), and after an interrupt, for the killed processes' last output.
const waitDelay = 500 * time.Millisecond

// Run runs p, which must be neither a Go part nor a GoCommand (the session
// runs those).
//
// A Shell part runs with /bin/sh -c, a Script with /bin/sh or bash, in the
// process's working directory and environment; output streams to env line
// by line while it runs. When ctx ends, the command and every process it
// started (its process group) are killed and Run returns an error wrapping
// ctx.Err(). A command that exits with a non-zero status gives an
// [*ExitError]; one that cannot be started, another error.
//
// Cd changes the process's working directory and prints the new one. Env
// prints all variables, prints one, or sets one in the process's
// environment. Help prints the list of magics.
func Run(ctx context.Context, p Part, env Streams) error {
	out := &lines{stdout: env.Stdout, stderr: env.Stderr}
	switch p.Kind {
	case Shell:
		return runCommand(ctx, "/bin/sh", []string{"-c", p.Text}, p.Text, env.Stdin, out)
	case Script:
		shell := "/bin/sh"
		if p.Interpreter == "bash" {
			path, err := exec.LookPath("bash")
			if err != nil {
				return errors.New("%%bash: bash is not installed here; %%sh runs the script with /bin/sh")
			}
			shell = path
		}
		return runCommand(ctx, shell, []string{"-c", p.Text}, "%%"+p.Interpreter, env.Stdin, out)
	case Cd:
		return cd(p.Text, out)
	case Env:
		return setOrPrintEnv(p.Text, out)
	case Help:
		out.print(help)
		return nil
	}
	return fmt.Errorf("magic: cannot run a %s part", p.Kind)
}

const help = `Magics (at the start of a line, outside Go brackets):
  !CMD ARGS          run a shell command with /bin/sh -c; its output streams into the cell
  %%sh               as the first line: run the rest of the cell as a /bin/sh script
  %%bash             as the first line: run the rest of the cell as a bash script
  %cd [DIR]          change the working directory (no DIR: the home directory)
  %env               list the environment variables
  %env NAME          print one environment variable
  %env NAME=VALUE    set an environment variable for the session and its commands
  %go get MODULE[@VERSION]...
                     download modules (and what they import) for cells to import
  %go list [std]     list the packages cells can import: downloaded, compiled in (and std)
  %help              this list
A failed command fails the cell only when it is the cell's last part.
`

func runCommand(ctx context.Context, shell string, args []string, name string, stdin io.Reader, out *lines) error {
	cmd := exec.CommandContext(ctx, shell, args...)
	cmd.Stdin = stdin
	stdout, stderr := out.writer(false), out.writer(true)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = waitDelay
	killGroupOnCancel(cmd)
	err := cmd.Run()
	stdout.flush()
	stderr.flush()
	if ctx.Err() != nil {
		return fmt.Errorf("%s: interrupted: %w", name, ctx.Err())
	}
	var exit *exec.ExitError
	switch {
	case err == nil, errors.Is(err, exec.ErrWaitDelay):
		// ErrWaitDelay: the command succeeded but left a background
		// process holding its output; that output is not shown.
		return nil
	case errors.As(err, &exit):
		e := &ExitError{Command: name, Code: exit.ExitCode()}
		e.Signal = signalOf(exit)
		return e
	}
	return fmt.Errorf("%s: %w", name, err)
}

func cd(dir string, out *lines) error {
	if dir == "" || dir == "~" || strings.HasPrefix(dir, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return fmt.Errorf("%%cd: %w", err)
		}
		dir = filepath.Join(home, strings.TrimPrefix(dir, "~"))
	}
	if err := os.Chdir(dir); err != nil {
		return fmt.Errorf("%%cd: %w", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("%%cd: %w", err)
	}
	out.print(wd + "\n")
	return nil
}

func setOrPrintEnv(arg string, out *lines) error {
	switch name, value, set := strings.Cut(arg, "="); {
	case arg == "":
		vars := os.Environ()
		slices.Sort(vars)
		out.print(strings.Join(vars, "\n") + "\n")
	case set:
		if err := os.Setenv(name, value); err != nil {
			return fmt.Errorf("%%env %s: %w", name, err)
		}
		out.print("env: " + name + "=" + value + "\n")
	default:
		v, ok := os.LookupEnv(name)
		if !ok {
			return fmt.Errorf("%%env: %s is not set", name)
		}
		out.print(v + "\n")
	}
	return nil
}

// lines serialises writes to stdout and stderr, a whole line at a time.
type lines struct {
	mu             sync.Mutex
	stdout, stderr io.Writer
}

// print writes text to stdout.
func (l *lines) print(text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stdout != nil {
		io.WriteString(l.stdout, text)
	}
}

func (l *lines) writer(stderr bool) *lineWriter {
	w := l.stdout
	if stderr {
		w = l.stderr
	}
	return &lineWriter{l: l, w: w}
}

// maxLine is the longest partial line held back waiting for its newline;
// longer output is passed on without one.
const maxLine = 4096

// lineWriter passes complete lines to w as they are written. A line ends
// at \n, or at \r, so that a progress bar redrawn with \r shows as it
// goes. exec.Cmd copies one stream into it from one goroutine.
type lineWriter struct {
	l       *lines
	w       io.Writer
	pending []byte
}

func (lw *lineWriter) Write(p []byte) (int, error) {
	lw.pending = append(lw.pending, p...)
	end := bytes.LastIndexAny(lw.pending, "\r\n") + 1
	if end == 0 && len(lw.pending) >= maxLine {
		end = len(lw.pending)
	}
	if end > 0 {
		lw.emit(lw.pending[:end])
		lw.pending = append(lw.pending[:0], lw.pending[end:]...)
	}
	return len(p), nil
}

// flush passes on a last line that has no newline.
func (lw *lineWriter) flush() {
	if len(lw.pending) > 0 {
		lw.emit(lw.pending)
		lw.pending = nil
	}
}

func (lw *lineWriter) emit(b []byte) {
	lw.l.mu.Lock()
	defer lw.l.mu.Unlock()
	if lw.w != nil {
		lw.w.Write(b)
	}
}
