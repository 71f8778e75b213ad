// Package magic finds shell escapes and magics in a cell and runs them, so a
// notebook on a small device can mix Go with the shell:
//
//	!uname -m            a shell command, run with /bin/sh -c
//	%%sh                 on the first line: the whole cell is a /bin/sh script
//	%%bash               on the first line: the whole cell is a bash script
//	%cd DIR              change the working directory
//	%env [NAME[=VALUE]]  print or set environment variables
//	%help                list the magics
//	%go get MODULE       download a module for cells to import (run by the session)
//
// [Parse] splits a cell into an ordered list of [Part]s: runs of Go code,
// left for the session to evaluate, and the magic lines between them. [Run]
// runs one part that is not Go. The package keeps no state: %cd and %env
// change the working directory and environment of the calling process, which
// is what the shell commands of later cells inherit.
//
// A line is a magic only at the top level of the Go code around it: not
// inside brackets, a raw string or a block comment, and not continuing an
// expression (after an operator or a comma). So a Go line that starts with
// "!" as an expression must be written (!ok) to stay Go.
package magic

import (
	"fmt"
	"strings"
	"unicode"
)

// Kind says what a [Part] is.
type Kind int

// The kinds of part.
const (
	Go        Kind = iota // Go code, for the session to evaluate
	Shell                 // a !command line; Text is the command
	Script                // a %%sh or %%bash cell; Text is the script, Interpreter the shell
	Cd                    // %cd; Text is the directory, empty for the home directory
	Env                   // %env; Text is empty, NAME, or NAME=VALUE
	Help                  // %help
	GoCommand             // %go; Text is the arguments, for the session's module cache
)

func (k Kind) String() string {
	switch k {
	case Go:
		return "go"
	case Shell:
		return "shell"
	case Script:
		return "script"
	case Cd:
		return "cd"
	case Env:
		return "env"
	case Help:
		return "help"
	case GoCommand:
		return "go"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Part is one piece of a cell.
type Part struct {
	Kind Kind
	// Text is the Go code (whole lines, with their newlines), the command,
	// the script, or the magic's argument, as Kind says.
	Text string
	// Interpreter is "sh" or "bash" for a Script.
	Interpreter string
	// Line is the cell line the part starts on, counting from 1, so errors
	// in a later Go part can point at the right line of the cell.
	Line int
}

// Error is a cell that cannot be split: an unknown magic, or one used
// wrongly. Nothing of a cell that has one should run.
type Error struct {
	Line int // the cell line at fault, counting from 1
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Parse splits cell into its parts, in order. Go code between magic lines
// becomes one Go part per run of lines; runs of blank lines are dropped. A
// cell without magics is a single Go part (or none, if it is blank).
func Parse(cell string) ([]Part, error) {
	lines := strings.SplitAfter(cell, "\n")
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			continue
		}
		if strings.HasPrefix(trimmed, "%%") {
			return parseCellMagic(trimmed, strings.Join(lines[i+1:], ""), i+1)
		}
		break
	}

	var (
		parts  []Part
		code   strings.Builder
		start  int // the line the Go run in code starts on
		syntax goState
	)
	flush := func() {
		if strings.TrimSpace(code.String()) != "" {
			parts = append(parts, Part{Kind: Go, Text: code.String(), Line: start})
		}
		code.Reset()
	}
	for i, line := range lines {
		n := i + 1
		trimmed := strings.TrimSpace(line)
		if syntax.topLevel() && (strings.HasPrefix(trimmed, "!") || strings.HasPrefix(trimmed, "%")) {
			p, err := parseLineMagic(trimmed, n)
			if err != nil {
				return nil, err
			}
			flush()
			parts = append(parts, p)
			continue
		}
		if code.Len() == 0 {
			start = n
		}
		code.WriteString(line)
		syntax.feed(line)
	}
	flush()
	return parts, nil
}

// parseCellMagic parses a cell whose first line, number n, is a %% magic.
func parseCellMagic(first, body string, n int) ([]Part, error) {
	name, args := cutName(strings.TrimPrefix(first, "%%"))
	switch name {
	case "sh", "bash":
		if strings.TrimSpace(args) != "" {
			return nil, &Error{n, fmt.Sprintf("%%%%%s takes no arguments; put the script on the lines below it", name)}
		}
		return []Part{{Kind: Script, Text: body, Interpreter: name, Line: n}}, nil
	}
	return nil, &Error{n, fmt.Sprintf("unknown cell magic %%%%%s: %%help lists the magics", name)}
}

// parseLineMagic parses a trimmed line, number n, that starts with ! or %.
func parseLineMagic(line string, n int) (Part, error) {
	if cmd, ok := strings.CutPrefix(line, "!"); ok {
		cmd = strings.TrimSpace(cmd)
		if cmd == "" {
			return Part{}, &Error{n, "! needs a shell command after it, as in !ls -l"}
		}
		return Part{Kind: Shell, Text: cmd, Line: n}, nil
	}
	name, arg := cutName(strings.TrimPrefix(line, "%"))
	arg = strings.TrimSpace(arg)
	switch name {
	case "cd":
		return Part{Kind: Cd, Text: unquote(arg), Line: n}, nil
	case "env":
		if key, _, _ := strings.Cut(arg, "="); strings.ContainsAny(key, " \t") || (key == "" && arg != "") {
			return Part{}, &Error{n, fmt.Sprintf("%%env %s: want %%env, %%env NAME or %%env NAME=VALUE", arg)}
		}
		return Part{Kind: Env, Text: arg, Line: n}, nil
	case "help":
		if arg != "" {
			return Part{}, &Error{n, "%help takes no arguments"}
		}
		return Part{Kind: Help, Line: n}, nil
	case "go":
		if arg == "" {
			return Part{}, &Error{n, "%go needs a command: %go get MODULE[@VERSION] or %go list"}
		}
		return Part{Kind: GoCommand, Text: arg, Line: n}, nil
	}
	if strings.HasPrefix(name, "%") {
		return Part{}, &Error{n, fmt.Sprintf("cell magic %%%s must be the first line of the cell", name)}
	}
	return Part{}, &Error{n, fmt.Sprintf("unknown magic %%%s: %%help lists the magics", name)}
}

// cutName splits what follows a % or %% into the magic's name and the
// rest, at the first white space: a tab separates them as a space does.
func cutName(s string) (name, rest string) {
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// unquote removes one pair of matching quotes around s, so %cd "My Files"
// works as in a shell.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// goState follows just enough of Go's lexical structure, line by line, to
// tell whether the next line starts a new statement at the top level.
type goState struct {
	depth   int  // open (, [ and { not yet closed
	inRaw   bool // inside a `raw string`
	inBlock bool // inside a /* block comment */
	cont    bool // the last token was an operator or a comma: the expression goes on
}

// topLevel reports whether a line fed next starts a top-level statement.
func (s *goState) topLevel() bool { return s.depth <= 0 && !s.inRaw && !s.inBlock && !s.cont }

// feed moves the state past line.
func (s *goState) feed(line string) {
	for i := 0; i < len(line); i++ {
		c := line[i]
		next := byte(0)
		if i+1 < len(line) {
			next = line[i+1]
		}
		switch {
		case s.inRaw:
			if c == '`' {
				s.inRaw = false
			}
			continue
		case s.inBlock:
			if c == '*' && next == '/' {
				s.inBlock = false
				i++
			}
			continue
		}
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case c == '`':
			s.inRaw, s.cont = true, false
		case c == '"' || c == '\'':
			i = skipQuoted(line, i)
			s.cont = false
		case c == '/' && next == '/':
			return
		case c == '/' && next == '*':
			s.inBlock = true
			i++
		case c == '(' || c == '[' || c == '{':
			s.depth++
			s.cont = false
		case c == ')' || c == ']' || c == '}':
			s.depth--
			s.cont = false
		case (c == '+' || c == '-') && next == c: // ++ and -- end a statement
			i++
			s.cont = false
		case strings.IndexByte("+-*/%&|^<>=!,.:~", c) >= 0:
			s.cont = true
		default: // identifiers, keywords, numbers
			s.cont = false
		}
	}
}

// skipQuoted returns the index of the quote closing the string or rune
// literal that opens at line[i], or the last index of the line if it is not
// closed there (a syntax error the Go compiler will report).
func skipQuoted(line string, i int) int {
	quote := line[i]
	for j := i + 1; j < len(line); j++ {
		switch line[j] {
		case '\\':
			j++
		case quote:
			return j
		}
	}
	return len(line) - 1
}
