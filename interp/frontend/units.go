package frontend

import (
	"go/scanner"
	"go/token"
)

type unitKind int

const (
	stmtUnit unitKind = iota
	importUnit
	declUnit
	packageUnit
)

// A unit is one top-level piece of a cell: the bytes code[start:end] between
// two top-level semicolons (explicit or inserted at a newline).
type unit struct {
	kind       unitKind
	start, end int
}

type tok struct {
	tok token.Token
	off int
	lit string
}

// scanCell returns the tokens of code, or the scanner's errors.
func scanCell(code string) ([]tok, error) {
	fset := token.NewFileSet()
	file := fset.AddFile(Filename, -1, len(code))
	var errs scanner.ErrorList
	var s scanner.Scanner
	s.Init(file, []byte(code), func(pos token.Position, msg string) { errs.Add(pos, msg) }, 0)
	var toks []tok
	for {
		pos, t, lit := s.Scan()
		if t == token.EOF {
			break
		}
		toks = append(toks, tok{t, file.Offset(pos), lit})
	}
	return toks, errs.Err()
}

// splitUnits splits code into its top-level units.
func splitUnits(code string) ([]unit, error) {
	toks, err := scanCell(code)
	if err != nil {
		return nil, err
	}
	var units []unit
	depth, first := 0, -1
	for i, t := range toks {
		switch t.tok {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
		}
		if t.tok == token.SEMICOLON && depth <= 0 {
			if first >= 0 {
				units = append(units, makeUnit(code, toks[first:i]))
			}
			first = -1
			continue
		}
		if first < 0 {
			first = i
		}
	}
	if first >= 0 {
		units = append(units, makeUnit(code, toks[first:]))
	}
	return units, nil
}

func makeUnit(code string, toks []tok) unit {
	last := toks[len(toks)-1]
	end := last.off + len(last.tok.String())
	if last.lit != "" {
		end = last.off + len(last.lit)
	}
	// A semicolon inserted at the end of the input lies past it.
	end = min(end, len(code))
	return unit{kind: classify(toks), start: toks[0].off, end: end}
}

// classify tells a unit's kind from its leading tokens.
func classify(toks []tok) unitKind {
	switch toks[0].tok {
	case token.PACKAGE:
		return packageUnit
	case token.IMPORT:
		return importUnit
	case token.TYPE, token.VAR, token.CONST:
		return declUnit
	case token.FUNC:
		// func Name… declares a function. func (recv) Name( or Name[ declares
		// a method; anything else starting with func is a function literal.
		if len(toks) > 1 && toks[1].tok == token.IDENT {
			return declUnit
		}
		if len(toks) > 1 && toks[1].tok == token.LPAREN {
			depth := 0
			for i := 1; i < len(toks); i++ {
				switch toks[i].tok {
				case token.LPAREN:
					depth++
				case token.RPAREN:
					depth--
				}
				if depth == 0 {
					if i+2 < len(toks) && toks[i+1].tok == token.IDENT &&
						(toks[i+2].tok == token.LPAREN || toks[i+2].tok == token.LBRACK) {
						return declUnit
					}
					break
				}
			}
		}
	}
	return stmtUnit
}

// blank returns code with every byte outside units replaced by a space,
// except newlines, so positions in the result equal positions in code. A
// unit that was ended by an explicit semicolon on its line keeps it, so that
// units sharing a line stay apart.
func blank(code string, units []unit) string {
	b := make([]byte, len(code))
	for i := range b {
		if code[i] == '\n' {
			b[i] = '\n'
		} else {
			b[i] = ' '
		}
	}
	for _, u := range units {
		copy(b[u.start:u.end], code[u.start:u.end])
		if u.end < len(code) && code[u.end] != '\n' {
			b[u.end] = ';'
		}
	}
	return string(b)
}
