package session

import (
	"maps"
	"slices"
	"strings"

	"github.com/traefik/yaegi/stdlib/unsafe"
)

// yaegiModule is the module path of the yaegi interpreter.
const yaegiModule = "github.com/traefik/yaegi"

// CompiledPackages returns the import paths a session's cells get without
// downloading anything, each list sorted: std, the standard library
// packages (compiled symbol tables, unsafe, and the interpreted supplements
// such as iter), and compiled, the other packages compiled into the kernel
// (gokernel's display, comm and input, and those added by gokernel build
// --with). They are built from the tables [New] loads, so "%go list" shows
// what cells can import.
func CompiledPackages() (std, compiled []string) {
	paths := map[string]bool{
		// Bound per session, so in no static table.
		commPath:  true,
		inputPath: true,
	}
	for _, table := range append(compiledTables(), unsafe.Symbols) {
		for key := range table {
			// Keys are "importpath/name". yaegi's tables also list
			// yaegi's own packages (for interpreting yaegi): not ones
			// cells mean to import.
			if i := strings.LastIndex(key, "/"); i > 0 && !strings.HasPrefix(key, yaegiModule+"/") {
				paths[key[:i]] = true
			}
		}
	}
	for p := range typeSources() {
		paths[p] = true
	}
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		// The go command's rule: a standard library path has no dot in
		// its first element.
		if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") {
			compiled = append(compiled, p)
		} else {
			std = append(std, p)
		}
	}
	return std, compiled
}
