package frontend

import (
	"errors"
	"go/scanner"
	"go/token"
	"strings"

	"github.com/gokernel/gokernel/interp"
)

// IsComplete tells whether code is ready to run: "complete", "incomplete"
// (more lines can finish it; Indent is then the indentation for the next
// line) or "invalid" (a syntax error that more lines cannot fix). An empty
// cell is complete.
func IsComplete(code string) interp.Completeness {
	if strings.TrimSpace(code) == "" {
		return interp.Completeness{Status: "complete"}
	}
	toks, err := scanCell(code)
	if err != nil {
		var el scanner.ErrorList
		if errors.As(err, &el) && len(el) > 0 && unterminatedAtEOF(el[len(el)-1].Msg) {
			return incomplete(code, 0)
		}
		return interp.Completeness{Status: "invalid"}
	}

	var stack []token.Token
	for _, t := range toks {
		switch t.tok {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			stack = append(stack, t.tok)
		case token.RPAREN, token.RBRACK, token.RBRACE:
			if len(stack) == 0 || closer(stack[len(stack)-1]) != t.tok {
				return interp.Completeness{Status: "invalid"}
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		extra := 0
		if stack[len(stack)-1] == token.LBRACE && endsWith(toks, token.LBRACE) {
			extra = 1
		}
		return incomplete(code, extra)
	}
	if n := len(toks); n > 0 {
		last := toks[n-1]
		// The scanner inserts a semicolon at the final newline or at EOF;
		// what matters is the token before it.
		if last.tok == token.SEMICOLON && last.lit != ";" && n > 1 {
			last = toks[n-2]
		}
		if continues(last.tok) {
			return incomplete(code, 0)
		}
	}
	if _, err := Parse(token.NewFileSet(), code); err != nil {
		return interp.Completeness{Status: "invalid"}
	}
	return interp.Completeness{Status: "complete"}
}

func incomplete(code string, extraTabs int) interp.Completeness {
	return interp.Completeness{Status: "incomplete", Indent: lastIndent(code) + strings.Repeat("\t", extraTabs)}
}

// lastIndent returns the leading white space of the last non-blank line.
func lastIndent(code string) string {
	lines := strings.Split(code, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.TrimSpace(lines[i]) != "" {
			l := lines[i]
			return l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		}
	}
	return ""
}

func endsWith(toks []tok, t token.Token) bool {
	for i := len(toks) - 1; i >= 0; i-- {
		if toks[i].tok == token.SEMICOLON && toks[i].lit != ";" {
			continue
		}
		return toks[i].tok == t
	}
	return false
}

func closer(open token.Token) token.Token {
	switch open {
	case token.LPAREN:
		return token.RPAREN
	case token.LBRACK:
		return token.RBRACK
	}
	return token.RBRACE
}

// continues reports whether a line ending in t needs another line: binary
// operators, commas, dots and assignment operators do.
func continues(t token.Token) bool {
	switch {
	case t.IsOperator() && t != token.RPAREN && t != token.RBRACK && t != token.RBRACE &&
		t != token.SEMICOLON && t != token.INC && t != token.DEC && t != token.ELLIPSIS:
		return true
	}
	return false
}

// unterminatedAtEOF reports whether a scanner error message is one that more
// input can fix: an unterminated raw string or comment.
func unterminatedAtEOF(msg string) bool {
	return msg == "raw string literal not terminated" || msg == "comment not terminated"
}
