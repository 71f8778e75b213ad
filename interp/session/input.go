package session

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"runtime"

	yaegi "github.com/traefik/yaegi/interp"
)

// inputPath is the import path of the input package cells use to prompt the
// user, with a password variant whose typing the front end hides.
const inputPath = "github.com/gokernel/gokernel/input"

// prompter is what the worker's stdin reader offers beyond io.Reader: one
// input_request with a prompt.
type prompter interface {
	Prompt(prompt string, password bool) (string, error)
}

// inputSymbols binds the input package to stdin. Without a prompter (a plain
// reader), Line reads one line from it and Password fails.
func inputSymbols(stdin io.Reader) yaegi.Exports {
	p, ok := stdin.(prompter)
	ask := func(prompt string, password bool) (string, error) {
		if ok {
			return p.Prompt(prompt, password)
		}
		if password {
			return "", errors.New("input: no front end to ask for a password")
		}
		return readLine(stdin)
	}
	return yaegi.Exports{inputPath + "/input": {
		"Line":     reflect.ValueOf(func(prompt string) (string, error) { return ask(prompt, false) }),
		"Password": reflect.ValueOf(func(prompt string) (string, error) { return ask(prompt, true) }),
	}}
}

// readLine reads up to a newline, which it drops, one byte at a time so
// nothing after the line is consumed.
func readLine(r io.Reader) (string, error) {
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := r.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				return string(line), nil
			}
			line = append(line, b[0])
		}
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				return string(line), nil
			}
			return string(line), err
		}
	}
}

// goexit is runtime.Goexit for cells. When the cell's own goroutine (the one
// yaegi's EvalWithContext evaluates it on) calls it, the evaluation returns
// as if the cell had finished; recording the call lets run report it. A
// goroutine the cell started may call it freely.
func (s *Session) goexit() {
	buf := make([]byte, 64<<10)
	buf = buf[:runtime.Stack(buf, false)]
	if bytes.Contains(buf, []byte("(*Interpreter).EvalWithContext")) {
		s.goexited.Store(true)
	}
	runtime.Goexit()
}
