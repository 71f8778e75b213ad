package display

import (
	"fmt"
	"html"
	"reflect"
	"slices"
	"strings"
	"text/tabwriter"
)

// Table renders rows, a slice or array of structs (or of pointers to
// structs), as a table with one column per exported field and one row per
// element; a field's fmt form is its cell. A slice of maps with string keys
// has one column per key, in sorted order. Anything else is shown as text.
func Table(rows any) Data {
	header, cells, ok := tabulate(reflect.ValueOf(rows))
	if !ok {
		return Text(fmt.Sprint(rows))
	}
	var h strings.Builder
	h.WriteString("<table>\n<thead><tr>")
	for _, c := range header {
		fmt.Fprintf(&h, "<th>%s</th>", html.EscapeString(c))
	}
	h.WriteString("</tr></thead>\n<tbody>\n")
	for _, row := range cells {
		h.WriteString("<tr>")
		for _, c := range row {
			fmt.Fprintf(&h, "<td>%s</td>", html.EscapeString(c))
		}
		h.WriteString("</tr>\n")
	}
	h.WriteString("</tbody>\n</table>")

	var t strings.Builder
	w := tabwriter.NewWriter(&t, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, strings.Join(header, "\t"))
	for _, row := range cells {
		fmt.Fprintln(w, strings.Join(row, "\t"))
	}
	w.Flush()
	return one(MIMEHTML, h.String(), strings.TrimRight(t.String(), "\n"))
}

// tabulate splits v into a header and rows of cells.
func tabulate(v reflect.Value) (header []string, rows [][]string, ok bool) {
	if k := v.Kind(); k != reflect.Slice && k != reflect.Array {
		return nil, nil, false
	}
	elem := v.Type().Elem()
	if elem.Kind() == reflect.Pointer {
		elem = elem.Elem()
	}
	switch elem.Kind() {
	case reflect.Struct:
		var fields []int
		for i := range elem.NumField() {
			if f := elem.Field(i); f.IsExported() {
				fields = append(fields, i)
				header = append(header, f.Name)
			}
		}
		for i := range v.Len() {
			e := reflect.Indirect(v.Index(i))
			row := make([]string, len(fields))
			if e.IsValid() {
				for j, f := range fields {
					row[j] = cell(e.Field(f))
				}
			}
			rows = append(rows, row)
		}
		return header, rows, true
	case reflect.Map:
		if elem.Key().Kind() != reflect.String {
			return nil, nil, false
		}
		// A nil pointer to a map is a row of empty cells, as it is for
		// a struct.
		seen := map[string]bool{}
		for i := range v.Len() {
			m := reflect.Indirect(v.Index(i))
			if !m.IsValid() {
				continue
			}
			for _, k := range m.MapKeys() {
				if !seen[k.String()] {
					seen[k.String()] = true
					header = append(header, k.String())
				}
			}
		}
		slices.Sort(header)
		for i := range v.Len() {
			m := reflect.Indirect(v.Index(i))
			row := make([]string, len(header))
			if m.IsValid() {
				for j, k := range header {
					if x := m.MapIndex(reflect.ValueOf(k).Convert(elem.Key())); x.IsValid() {
						row[j] = cell(x)
					}
				}
			}
			rows = append(rows, row)
		}
		return header, rows, true
	}
	return nil, nil, false
}

func cell(v reflect.Value) string {
	if !v.CanInterface() {
		return fmt.Sprint(v)
	}
	return fmt.Sprint(v.Interface())
}
