package magic

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		cell string
		want []Part
	}{
		{"go only", "x := 1\nfmt.Println(x)\n", []Part{{Kind: Go, Text: "x := 1\nfmt.Println(x)\n", Line: 1}}},
		{"blank", " \n\n", nil},
		{"shell line", "!uname -m", []Part{{Kind: Shell, Text: "uname -m", Line: 1}}},
		{"indented shell line", "  !ls -l  \n", []Part{{Kind: Shell, Text: "ls -l", Line: 1}}},
		{"go, shell, go", "x := 1\n!echo hi\n\nfmt.Println(x)\n", []Part{
			{Kind: Go, Text: "x := 1\n", Line: 1},
			{Kind: Shell, Text: "echo hi", Line: 2},
			{Kind: Go, Text: "\nfmt.Println(x)\n", Line: 3},
		}},
		{"blank lines between magics are dropped", "!a\n\n!b\n", []Part{
			{Kind: Shell, Text: "a", Line: 1}, {Kind: Shell, Text: "b", Line: 3},
		}},
		{"sh cell", "%%sh\necho a\necho b\n", []Part{{Kind: Script, Text: "echo a\necho b\n", Interpreter: "sh", Line: 1}}},
		{"bash cell after blank lines", "\n%%bash\n!x\n%cd y\n", []Part{{Kind: Script, Text: "!x\n%cd y\n", Interpreter: "bash", Line: 2}}},
		{"cd", "%cd /tmp", []Part{{Kind: Cd, Text: "/tmp", Line: 1}}},
		{"cd home", "%cd", []Part{{Kind: Cd, Line: 1}}},
		{"cd quoted", `%cd "My Files"`, []Part{{Kind: Cd, Text: "My Files", Line: 1}}},
		{"env list", "%env", []Part{{Kind: Env, Line: 1}}},
		{"env get", "%env HOME", []Part{{Kind: Env, Text: "HOME", Line: 1}}},
		{"env set with spaces in the value", "%env GREETING=hello world", []Part{{Kind: Env, Text: "GREETING=hello world", Line: 1}}},
		{"help", "%help\n", []Part{{Kind: Help, Line: 1}}},
		{"go", "%go get example.com/m@v1.0.0", []Part{{Kind: GoCommand, Text: "get example.com/m@v1.0.0", Line: 1}}},

		// A tab ends a magic's name as a space does.
		{"cd after a tab", "%cd\t/tmp", []Part{{Kind: Cd, Text: "/tmp", Line: 1}}},
		{"env after a tab", "%env\tHOME", []Part{{Kind: Env, Text: "HOME", Line: 1}}},
		{"go after a tab", "%go\tlist", []Part{{Kind: GoCommand, Text: "list", Line: 1}}},

		// Where a line cannot start a Go statement, ! and % are Go.
		{"inside braces", "if x {\n!echo no\n}\n", []Part{{Kind: Go, Text: "if x {\n!echo no\n}\n", Line: 1}}},
		{"inside a call", "f(a,\n!b)\n", []Part{{Kind: Go, Text: "f(a,\n!b)\n", Line: 1}}},
		{"inside a raw string", "s := `\n!not a command\n%cd nope\n`\n", []Part{{Kind: Go, Text: "s := `\n!not a command\n%cd nope\n`\n", Line: 1}}},
		{"inside a block comment", "/* {\n%cd x\n*/\n", []Part{{Kind: Go, Text: "/* {\n%cd x\n*/\n", Line: 1}}},
		{"after an operator", "ok := a &&\n!b\n", []Part{{Kind: Go, Text: "ok := a &&\n!b\n", Line: 1}}},
		{"after a selector dot", "x := s.\n!y\n", []Part{{Kind: Go, Text: "x := s.\n!y\n", Line: 1}}},

		// And where it can, they are magics.
		{"after x++", "x++\n!ls\n", []Part{{Kind: Go, Text: "x++\n", Line: 1}, {Kind: Shell, Text: "ls", Line: 2}}},
		{"after a closed block", "if x {\n}\n!ls\n", []Part{{Kind: Go, Text: "if x {\n}\n", Line: 1}, {Kind: Shell, Text: "ls", Line: 3}}},
		{"brackets in strings and comments", "s := \"{(\\\"\" + `[` + string('{') // {\n/* ( */\n!ls\n", []Part{
			{Kind: Go, Text: "s := \"{(\\\"\" + `[` + string('{') // {\n/* ( */\n", Line: 1}, {Kind: Shell, Text: "ls", Line: 3},
		}},
		{"closed one-line raw string", "s := `x`\n%env A=1\n", []Part{{Kind: Go, Text: "s := `x`\n", Line: 1}, {Kind: Env, Text: "A=1", Line: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.cell)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.cell, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got  %+v\n want %+v", tt.cell, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name     string
		cell     string
		wantLine int
		wantMsg  string // in the message
	}{
		{"unknown line magic", "x := 1\n%time f()\n", 2, "unknown magic %time: %help lists the magics"},
		{"unknown cell magic", "%%python\nprint(1)\n", 1, "unknown cell magic %%python: %help"},
		{"cell magic not first", "x := 1\n%%sh\necho\n", 2, "cell magic %%sh must be the first line of the cell"},
		{"cell magic with arguments", "%%bash -x\necho\n", 1, "%%bash takes no arguments"},
		{"empty shell command", "!  \n", 1, "! needs a shell command"},
		{"env name with a space", "%env A B\n", 1, "want %env, %env NAME or %env NAME=VALUE"},
		{"env without a name", "%env =x\n", 1, "want %env"},
		{"help with arguments", "%help me\n", 1, "%help takes no arguments"},
		{"help with an argument after a tab", "%help\tme\n", 1, "%help takes no arguments"},
		{"cell magic with an argument after a tab", "%%bash\t-x\necho\n", 1, "%%bash takes no arguments"},
		{"a bad magic after a good one", "!ls\n%nope\n", 2, "unknown magic %nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, err := Parse(tt.cell)
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse(%q) = %+v, %v; want an *Error", tt.cell, parts, err)
			}
			if perr.Line != tt.wantLine || !strings.Contains(perr.Msg, tt.wantMsg) {
				t.Errorf("error %q at line %d, want line %d and %q", perr.Msg, perr.Line, tt.wantLine, tt.wantMsg)
			}
			if parts != nil {
				t.Errorf("parts %+v returned with an error: nothing of a bad cell may run", parts)
			}
		})
	}
}
