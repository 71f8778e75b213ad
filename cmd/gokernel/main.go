// Command gokernel is a Jupyter kernel for Go.
//
// Usage:
//
//	gokernel kernel CONNECTION_FILE   serve a kernel (what Jupyter runs)
//	gokernel serve [flags]            serve a kernel without Jupyter (remote shell)
//	gokernel build --with MODULE …    build a kernel with packages compiled in
//	gokernel install [flags]          register the kernelspec with Jupyter
//	gokernel version                  print the version
//
// User code never runs in the kernel process: the kernel starts itself again
// with the hidden subcommand "worker", which evaluates cells with the yaegi
// interpreter and can die without taking the kernel down.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/gokernel/gokernel/interp/modules"
	"github.com/gokernel/gokernel/interp/session"
	"github.com/gokernel/gokernel/interp/worker"
	"github.com/gokernel/gokernel/wire"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `gokernel is a Jupyter kernel for Go.

Usage:
  gokernel kernel [--log-level LEVEL] [--allow-unsigned] CONNECTION_FILE
  gokernel serve [--ip IP] [--ports A-B | --port-base N] [--connection-file PATH]
  gokernel build --with MODULE[@VERSION][=DIR] ... [-o FILE] [--src DIR]
  gokernel install [--user | --sys-prefix | --prefix DIR] [--name NAME] [--display-name TEXT]
  gokernel version

Run "gokernel COMMAND --help" for a command's flags.
`

// run dispatches a subcommand and returns the exit status: 0 for success, 2
// for a usage error, 1 for a failure.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "kernel":
		return runKernel(rest, stderr)
	case "serve":
		return runServe(rest, stdout, stderr)
	case "build":
		return runBuild(rest, stdout, stderr)
	case "install":
		return runInstall(rest, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "gokernel %s (%s, %s/%s)\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	case "worker":
		return runWorker(rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "gokernel: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

// versionString is the -ldflags version, else the module version.
func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func runKernel(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("gokernel kernel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	newLogger := logLevelFlag(fs)
	allowUnsigned := fs.Bool("allow-unsigned", false, "serve a connection file with an empty key on a non-loopback address (anyone reaching the ports can run code)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: gokernel kernel [--log-level LEVEL] [--allow-unsigned] CONNECTION_FILE\n\nServes a Jupyter kernel on the sockets named in CONNECTION_FILE.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "gokernel kernel: want exactly one CONNECTION_FILE, got %d arguments\n", fs.NArg())
		fs.Usage()
		return 2
	}
	logger, err := newLogger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "gokernel kernel: %v\n", err)
		return 2
	}

	conn, err := wire.ReadConnectionFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "gokernel kernel: %v\n", err)
		return 2
	}
	// SIGINT interrupts the running cell (serveKernel), as Jupyter's signal
	// interrupt mode expects; it never stops the kernel. SIGTERM and SIGHUP
	// stop it.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	return serveKernel(ctx, "gokernel kernel", conn, logger, *allowUnsigned, stderr)
}

// runWorker is the hidden subcommand the kernel starts to evaluate cells.
func runWorker(args []string) int {
	if len(args) != 0 {
		fmt.Fprintln(os.Stderr, "gokernel worker: takes no arguments (it is started by the kernel)")
		return 2
	}
	return worker.Main(func(h worker.Host) (worker.Evaluator, error) {
		opts := session.Options{
			Stdin:   h.Stdin,
			Stdout:  h.Stdout,
			Stderr:  h.Stderr,
			Display: h.Display,
			Comm:    h.Comm,
		}
		// Modules fetched with %go get live in a cache shared by sessions.
		// Without one (a read-only home) cells still run; %go says why not.
		cache, err := modules.Open(moduleConfig())
		if err != nil {
			h.Logger.Warn("no module cache: %go get is unavailable", "err", err)
		} else {
			opts.GoPath = cache.GoPath()
			opts.GoCommand = cache.Magic
		}
		return session.New(opts)
	})
}

// moduleConfig configures the worker's module cache. Its lists of the
// packages cells get without downloading (what %go list shows) come from
// the tables the session loads, so they name every one.
func moduleConfig() modules.Config {
	std, compiled := session.CompiledPackages()
	return modules.Config{Std: std, Compiled: compiled}
}

// logLevelEnv sets the default of --log-level, for a kernel that Jupyter
// starts with a command line the user does not write.
const logLevelEnv = "GOKERNEL_LOG_LEVEL"

// logLevelFlag defines --log-level on fs. After fs.Parse, the returned func
// makes the logger for the level asked for, writing to w: the flag's, else
// $GOKERNEL_LOG_LEVEL's, else warn. Its error names where a bad level came
// from, since a user may not know the variable is set.
func logLevelFlag(fs *flag.FlagSet) func(w io.Writer) (*slog.Logger, error) {
	level := fs.String("log-level", "", "`LEVEL` of the logs on stderr: debug, info, warn or error (default $"+logLevelEnv+", else warn)")
	return func(w io.Writer) (*slog.Logger, error) {
		value, source := *level, "--log-level "
		set := false
		fs.Visit(func(f *flag.Flag) { set = set || f.Name == "log-level" })
		if !set {
			value, source = strings.TrimSpace(os.Getenv(logLevelEnv)), logLevelEnv+"="
			if value == "" {
				value = "warn"
			}
		}
		var lvl slog.Level
		if err := lvl.UnmarshalText([]byte(value)); err != nil {
			return nil, fmt.Errorf("%s%q: want debug, info, warn or error", source, value)
		}
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl})), nil
	}
}
