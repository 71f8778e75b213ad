package kernel

import (
	"context"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gokernel/gokernel/interp"
)

// pagerCell matches a cell that asks for documentation, as IPython's
// "?name", "name?" and gokernel's "%doc name" do. Go code never starts with
// "?" or "%" nor ends with "?", so no Go cell is taken for one.
var pagerCell = regexp.MustCompile(`^\s*(?:\?\s*|%doc\s+)([\pL_][\pL\pN_]*(?:\.[\pL_][\pL\pN_]*)*)\s*$|^\s*([\pL_][\pL\pN_]*(?:\.[\pL_][\pL\pN_]*)*)\?\s*$`)

// pagerName returns the name a pager cell asks about.
func pagerName(code string) (string, bool) {
	m := pagerCell.FindStringSubmatch(code)
	if m == nil {
		return "", false
	}
	return m[1] + m[2], true
}

// page answers a pager cell with the inspection of name at detail level 1,
// sent as the execute_reply's page payload, which front ends show in their
// pager. A name without documentation is said so on stdout, as IPython does.
func (k *Kernel) page(ctx context.Context, name string, out interp.Output) interp.ExecuteResult {
	ins, err := k.exec.Inspect(ctx, name, utf8.RuneCountInString(name), 1)
	if err != nil {
		return interp.ExecuteResult{Error: &interp.Error{Name: "InspectionError", Value: err.Error(), Traceback: []string{err.Error()}}}
	}
	if !ins.Found || len(ins.Data) == 0 {
		out.Stream("stdout", "no documentation found for "+strings.TrimSpace(name)+"\n")
		return interp.ExecuteResult{}
	}
	return interp.ExecuteResult{Payload: []map[string]any{{"source": "page", "data": ins.Data, "start": 0}}}
}
