// Package extracted holds the yaegi symbol tables of the packages compiled
// into the kernel, as `go generate` writes them. Package exports serves them
// to cells; nothing else should import this package.
//
// To compile one more package into the kernel, add a go:generate line below
// naming its import path and run `go generate ./interp/exports/...`. Each
// generated file adds its table to Symbols from an init function.
package extracted

import "reflect"

//go:generate go run github.com/traefik/yaegi/cmd/yaegi extract github.com/go-zeromq/zmq4
//go:generate go run github.com/traefik/yaegi/cmd/yaegi extract github.com/gokernel/gokernel/system

// Symbols maps "importpath/name" to the package's exported symbols. It is
// filled by the init functions of the generated files and not changed after.
var Symbols = map[string]map[string]reflect.Value{}
