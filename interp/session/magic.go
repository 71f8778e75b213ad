package session

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gokernel/gokernel/interp"
	"github.com/gokernel/gokernel/interp/magic"
)

// ErrNameMagic names the error of a cell whose magic could not be parsed,
// and ErrNameShell that of a cell whose last shell command failed.
const (
	ErrNameMagic = "MagicError"
	ErrNameShell = "ShellError"
)

// executeCell runs a cell that may mix Go with shell escapes and magics
// (package magic): the parts run in order, Go through execute, the others
// with magic.Run, streaming to the cell's output. The cell's value is that of
// its last part when that part is Go. A failing command fails the cell only
// when it is the last part, as docs/remote.md describes.
func (s *Session) executeCell(ctx context.Context, code string) (*interp.MIMEBundle, *interp.Error) {
	parts, err := magic.Parse(code)
	if err != nil {
		var me *magic.Error
		if errors.As(err, &me) {
			return nil, newError(ErrNameMagic, code, me.Line, 1, me.Msg)
		}
		return nil, newError(ErrNameMagic, code, 0, 0, err.Error())
	}
	if len(parts) == 1 && parts[0].Kind == magic.Go {
		return s.execute(ctx, code)
	}
	var result *interp.MIMEBundle
	for i, p := range parts {
		result = nil
		if p.Kind == magic.Go {
			// Blank lines before the part keep its positions in the cell.
			goCode := strings.Repeat("\n", max(p.Line-1, 0)) + p.Text
			var ierr *interp.Error
			if result, ierr = s.execute(ctx, goCode); ierr != nil {
				return nil, ierr
			}
			continue
		}
		var err error
		if p.Kind == magic.GoCommand {
			err = s.goCommand(ctx, p.Text)
		} else {
			err = magic.Run(ctx, p, magic.Streams{Stdout: s.opts.Stdout, Stderr: s.opts.Stderr})
		}
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return nil, &interp.Error{
				Name:      interp.ErrNameInterrupted,
				Value:     fmt.Sprintf("the cell was interrupted at line %d (%s)", p.Line, p.Kind),
				Traceback: []string{red(interp.ErrNameInterrupted) + fmt.Sprintf(": the cell was interrupted at line %d", p.Line)},
			}
		default:
			var exit *magic.ExitError
			if errors.As(err, &exit) && i < len(parts)-1 {
				continue // like a shell script without set -e
			}
			return nil, newError(ErrNameShell, code, p.Line, 1, err.Error())
		}
	}
	return result, nil
}

// goCommand runs the %go magic through Options.GoCommand.
func (s *Session) goCommand(ctx context.Context, args string) error {
	if s.opts.GoCommand == nil {
		return errors.New("%go is not available in this session (no module cache)")
	}
	return s.opts.GoCommand(ctx, strings.Fields(args), s.opts.Stdout)
}
