package modules

import (
	"context"
	"reflect"
	"testing"

	yaegi "github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
)

// sieveSrc is the package both benchmarks run: interpreted from source
// after Get, and compiled into this test binary behind a symbol table, as
// gokernel build compiles it into a kernel.
const sieveSrc = `package sieve

// Count returns the number of primes below n.
func Count(n int) int {
	composite := make([]bool, n)
	count := 0
	for i := 2; i < n; i++ {
		if composite[i] {
			continue
		}
		count++
		for j := i * i; j < n; j += i {
			composite[j] = true
		}
	}
	return count
}
`

// count is sieveSrc's Count, compiled.
func count(n int) int {
	composite := make([]bool, n)
	count := 0
	for i := 2; i < n; i++ {
		if composite[i] {
			continue
		}
		count++
		for j := i * i; j < n; j += i {
			composite[j] = true
		}
	}
	return count
}

func benchSieve(b *testing.B, in *yaegi.Interpreter) {
	if _, err := in.Eval(`import "example.com/sieve"`); err != nil {
		b.Fatal(err)
	}
	v, err := in.Eval("sieve.Count")
	if err != nil {
		b.Fatal(err)
	}
	f := v.Interface().(func(int) int)
	if got := f(1_000_000); got != 78498 {
		b.Fatalf("Count(1e6) = %d, want 78498", got)
	}
	b.ResetTimer()
	for b.Loop() {
		f(1_000_000)
	}
}

func BenchmarkSieveInterpreted(b *testing.B) {
	sieve := mod{"example.com/sieve", "v1.0.0", map[string]string{
		"go.mod":   "module example.com/sieve\n\ngo 1.22\n",
		"sieve.go": sieveSrc,
	}}
	dir := b.TempDir()
	c, err := Open(Config{Dir: b.TempDir(), Getenv: envMap{"GOPROXY": writeProxy(b, dir, sieve)}.get})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Get(context.Background(), "example.com/sieve@v1.0.0"); err != nil {
		b.Fatal(err)
	}
	in := yaegi.New(yaegi.Options{GoPath: c.GoPath()})
	if err := in.Use(stdlib.Symbols); err != nil {
		b.Fatal(err)
	}
	benchSieve(b, in)
}

func BenchmarkSieveCompiledIn(b *testing.B) {
	in := yaegi.New(yaegi.Options{})
	if err := in.Use(stdlib.Symbols); err != nil {
		b.Fatal(err)
	}
	if err := in.Use(yaegi.Exports{"example.com/sieve/sieve": {"Count": reflect.ValueOf(count)}}); err != nil {
		b.Fatal(err)
	}
	benchSieve(b, in)
}
