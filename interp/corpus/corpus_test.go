// Package corpus measures how much of the Go distribution's own test suite
// runs correctly in a gokernel session.
//
// TestCorpus runs every program under $(go env GOROOT)/test whose first line
// is "// run" through [session.Session], each in a child process (a program
// can crash or hang the interpreter), and compares its combined output with
// the program's .out file, or expects no output when there is none. As in
// Go's own harness (cmd/internal/testdir), a program runs in $GOROOT/test,
// with STDLIB_IMPORTCFG set. It prints
// the pass rate by folder and the failures by cause. It is skipped unless
// GOKERNEL_CORPUS=1, because it takes minutes:
//
//	GOKERNEL_CORPUS=1 go test -v -run TestCorpus -timeout 60m ./interp/corpus
//
// GOKERNEL_CORPUS_MATCH restricts the run to programs whose path (relative
// to $GOROOT/test) contains it; GOKERNEL_CORPUS_LIST=file writes one line per
// program with its outcome.
package corpus

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp"
	"github.com/gokernel/gokernel/interp/session"
)

// Environment variables of the parent (the measurement) and of the child
// (one program).
const (
	envEnable  = "GOKERNEL_CORPUS"
	envMatch   = "GOKERNEL_CORPUS_MATCH"
	envList    = "GOKERNEL_CORPUS_LIST"
	envTimeout = "GOKERNEL_CORPUS_TIMEOUT"
	envProgram = "GOKERNEL_CORPUS_PROGRAM" // child: the program to run
	envOutput  = "GOKERNEL_CORPUS_OUTPUT"  // child: where its output goes
	envStatus  = "GOKERNEL_CORPUS_STATUS"  // child: where its error goes
)

// defaultTimeout bounds one program; yaegi is 100× slower than compiled Go
// on call-heavy code, so a few correct programs do not finish in it.
const defaultTimeout = 10 * time.Second

// outcome is what happened to one program.
type outcome struct {
	program string // relative to $GOROOT/test
	pass    bool
	cause   string // why it failed
}

func TestCorpus(t *testing.T) {
	if os.Getenv(envEnable) != "1" {
		t.Skipf("set %s=1 to run the Go test corpus (takes minutes)", envEnable)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("no go toolchain: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(goroot)), "test")
	programs, err := runPrograms(dir, os.Getenv(envMatch))
	if err != nil {
		t.Fatal(err)
	}
	timeout := defaultTimeout
	if v := os.Getenv(envTimeout); v != "" {
		if timeout, err = time.ParseDuration(v); err != nil {
			t.Fatalf("%s: %v", envTimeout, err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// Programs that build others (linkobj.go) read the standard
	// library's import configuration from STDLIB_IMPORTCFG, which Go's
	// harness provides.
	importcfg, err := exec.Command("go", "list", "-export", "-f",
		"{{if .Export}}packagefile {{.ImportPath}}={{.Export}}{{end}}", "std").Output()
	if err != nil {
		t.Fatalf("go list -export std: %v", err)
	}
	cfgFile := filepath.Join(t.TempDir(), "importcfg")
	if err := os.WriteFile(cfgFile, importcfg, 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PWD="+dir, "GOENV=off", "GOFLAGS=", "STDLIB_IMPORTCFG="+cfgFile, envEnable+"=")

	outcomes := make([]outcome, len(programs))
	work := make(chan int)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for i := range work {
				outcomes[i] = runOne(t, self, dir, programs[i], env, timeout)
			}
		})
	}
	for i := range programs {
		work <- i
	}
	close(work)
	wg.Wait()

	report(t, outcomes)
	if path := os.Getenv(envList); path != "" {
		var b strings.Builder
		for _, o := range outcomes {
			status := "PASS"
			if !o.pass {
				status = "FAIL " + o.cause
			}
			fmt.Fprintf(&b, "%s\t%s\n", o.program, status)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// runPrograms lists the "// run" programs under dir (relative paths) that
// build on this platform and whose path contains match.
func runPrograms(dir, match string) ([]string, error) {
	var list []string
	ctx := build.Default
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			// testdata holds inputs; *.dir holds multi-file programs.
			if d.Name() == "testdata" || strings.HasSuffix(d.Name(), ".dir") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		if !strings.Contains(rel, match) {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		first, _ := bufio.NewReader(f).ReadString('\n')
		f.Close()
		if strings.TrimRight(first, "\r\n") != "// run" {
			return nil
		}
		if ok, err := ctx.MatchFile(filepath.Dir(path), d.Name()); err != nil || !ok {
			return nil
		}
		list = append(list, rel)
		return nil
	})
	return list, err
}

// status is what a child reports when its program fails in the session.
type status struct {
	Stage string // "program"
	Name  string // the error's name
	Value string
}

// runOne runs one program in a child process and judges its output.
func runOne(t *testing.T, self, dir, program string, env []string, timeout time.Duration) outcome {
	tmp := t.TempDir()
	output, statusFile := filepath.Join(tmp, "output"), filepath.Join(tmp, "status")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, self, "-test.run=^TestCorpusChild$")
	// As Go's own harness (cmd/internal/testdir) runs a "run" test: in
	// $GOROOT/test, whose paths some programs use (fixedbugs/bug369.dir).
	cmd.Dir = dir
	cmd.Env = append(slices.Clip(env),
		envProgram+"="+filepath.Join(dir, program), envOutput+"="+output, envStatus+"="+statusFile)
	cmd.WaitDelay = time.Second
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	err := cmd.Run()
	o := outcome{program: program}
	got, _ := os.ReadFile(output)
	switch {
	case ctx.Err() != nil:
		o.cause = "timeout"
		return o
	case err != nil:
		var st status
		if data, rerr := os.ReadFile(statusFile); rerr == nil && json.Unmarshal(data, &st) == nil {
			o.cause = causeOf(st)
			return o
		}
		o.cause = "crash: " + lastLine(got, stderr.Bytes())
		return o
	}
	want, err := os.ReadFile(strings.TrimSuffix(filepath.Join(dir, program), ".go") + ".out")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Error(err)
	}
	if bytes.Equal(got, want) {
		o.pass = true
	} else {
		o.cause = "wrong output"
	}
	return o
}

var (
	numbers = regexp.MustCompile(`\d+`)
	quoted  = regexp.MustCompile("\"[^\"]*\"|`[^`]*`|'[^']*'")
	// afterColon keeps the kind of a message ("undefined: x" → "undefined").
	afterColon = regexp.MustCompile(`^([^:]{3,60}): .*$`)
)

// causeOf names the cause of a failure reported by a child, with the
// program-specific parts of the message removed so that causes group.
func causeOf(st status) string {
	msg := st.Value
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.TrimLeft(msg, "0123456789:")
	msg = strings.TrimSpace(msg)
	msg = quoted.ReplaceAllString(msg, "…")
	msg = afterColon.ReplaceAllString(msg, "$1")
	msg = numbers.ReplaceAllString(msg, "N")
	if len(msg) > 70 {
		msg = msg[:70] + "…"
	}
	return st.Name + ": " + msg
}

// lastLine returns the most telling line a crashed child left: the first
// line of a Go panic or fatal error, else its last line of output.
func lastLine(outputs ...[]byte) string {
	for _, out := range outputs {
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
				return strings.TrimSpace(numbers.ReplaceAllString(quoted.ReplaceAllString(l, "…"), "N"))
			}
		}
	}
	return "exit without a report"
}

// report logs the pass rate by folder and the failures by cause.
func report(t *testing.T, outcomes []outcome) {
	type tally struct{ pass, total int }
	byFolder := make(map[string]*tally)
	causes := make(map[string][]string)
	var all tally
	for _, o := range outcomes {
		folder := filepath.Dir(o.program)
		if byFolder[folder] == nil {
			byFolder[folder] = new(tally)
		}
		byFolder[folder].total++
		all.total++
		if o.pass {
			byFolder[folder].pass++
			all.pass++
			continue
		}
		causes[o.cause] = append(causes[o.cause], o.program)
	}
	var b strings.Builder
	pct := func(t tally) string { return strconv.Itoa(100*t.pass/max(t.total, 1)) + "%" }
	fmt.Fprintf(&b, "\ncorpus: %d of %d programs pass (%s)\n\nby folder:\n", all.pass, all.total, pct(all))
	for _, f := range slices.Sorted(maps.Keys(byFolder)) {
		fmt.Fprintf(&b, "  %-22s %4d / %4d  %s\n", f, byFolder[f].pass, byFolder[f].total, pct(*byFolder[f]))
	}
	b.WriteString("\nfailures by cause:\n")
	names := slices.Collect(maps.Keys(causes))
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(len(causes[b])-len(causes[a]), strings.Compare(a, b))
	})
	for _, c := range names {
		ps := causes[c]
		fmt.Fprintf(&b, "  %4d  %s  (%s)\n", len(ps), c, strings.Join(ps[:min(len(ps), 3)], ", "))
	}
	t.Log(b.String())
}

// TestCorpusChild runs the program named by GOKERNEL_CORPUS_PROGRAM in a
// session, as one cell: the session runs a cell with a package clause as
// a program. It is the child process of TestCorpus, and skipped otherwise.
func TestCorpusChild(t *testing.T) {
	program := os.Getenv(envProgram)
	if program == "" {
		t.Skip("run by TestCorpus")
	}
	src, err := os.ReadFile(program)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(os.Getenv(envOutput))
	if err != nil {
		t.Fatal(err)
	}
	s, err := session.New(session.Options{Stdout: out, Stderr: out})
	if err != nil {
		t.Fatal(err)
	}
	fail := func(stage string, e *interp.Error) {
		data, _ := json.Marshal(status{Stage: stage, Name: e.Name, Value: e.Value})
		if err := os.WriteFile(os.Getenv(envStatus), data, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Exit(1)
	}
	// The program is one cell; its package clause makes the session run
	// its main, as go run does.
	res := s.Execute(context.Background(), interp.ExecuteRequest{Code: string(src)})
	if res.Error != nil {
		fail("program", res.Error)
	}
	out.Close()
	// Goroutines the program left behind must not hold the child up.
	os.Exit(0)
}
