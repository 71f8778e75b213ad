package main

import (
	"encoding/json"
	"fmt"
	"log"
	"strings"
)

// E and P are errors of the program; only functions that print their
// operands should see them as errors.
type E struct{ Code int }

func (e E) Error() string { return fmt.Sprint("E", e.Code) }

type P struct{ Code int }

func (p *P) Error() string { return fmt.Sprint("P", p.Code) }

func main() {
	// json.Marshal takes any but encodes the value, not its Error().
	b, err := json.Marshal(E{3})
	fmt.Println(string(b), err)
	b, err = json.Marshal(&P{4})
	fmt.Println(string(b), err)

	// fmt prints an error with Error() for %v, %s, %q, %x and %X only.
	fmt.Println(E{1}, &P{2})
	fmt.Printf("%v %s %q %x %+v %X\n", E{1}, E{1}, &P{2}, E{1}, &P{2}, E{1})
	fmt.Printf("%[2]d %[1]v %d\n", E{7}, &P{8})
	fmt.Printf("%*d|%-4d|%.1s|%v\n", 3, E{9}, E{9}, E{9}, E{9})
	fmt.Printf("%d%% %v\n", E{1}, E{2})
	s := fmt.Sprintf("%v", E{6})
	fmt.Println(s, fmt.Sprint(E{6}), fmt.Sprintln(&P{6}) == "P6\n")
	format := "%v|%s\n"
	fmt.Printf(format, E{1}, &P{1})

	// So does a log.Logger.
	var buf strings.Builder
	l := log.New(&buf, "", 0)
	l.Println(E{10}, &P{11})
	l.Printf("%v %d", E{12}, E{12})
	fmt.Print(buf.String())
}
