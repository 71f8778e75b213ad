// Command gokernel is a Jupyter kernel for Go.
//
// Usage:
//
//	gokernel kernel CONNECTION_FILE   serve a kernel (what Jupyter runs)
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

	"github.com/gokernel/gokernel/interp/session"
	"github.com/gokernel/gokernel/interp/worker"
	"github.com/gokernel/gokernel/kernel"
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
	level := fs.String("log-level", envOr("GOKERNEL_LOG_LEVEL", "warn"), "log level: debug, info, warn or error (logs go to stderr)")
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
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(stderr, "gokernel kernel: --log-level %q: want debug, info, warn or error\n", *level)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))

	conn, err := wire.ReadConnectionFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "gokernel kernel: %v\n", err)
		return 2
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "gokernel kernel: cannot find my own executable to start the worker: %v\n", err)
		return 1
	}

	// SIGINT interrupts the running cell, as Jupyter's signal interrupt
	// mode expects; it never stops the kernel. SIGTERM and SIGHUP stop it.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	sigint := make(chan os.Signal, 1)
	signal.Notify(sigint, os.Interrupt)
	defer signal.Stop(sigint)

	sup, err := worker.New(ctx, worker.Config{Path: exe, Args: []string{"worker"}, Logger: logger.With("component", "worker")})
	if err != nil {
		fmt.Fprintf(stderr, "gokernel kernel: %v\n", err)
		return 1
	}
	k, err := kernel.New(kernel.Config{Conn: conn, Executor: sup, Logger: logger, Version: versionString(), AllowUnsigned: *allowUnsigned})
	if err != nil {
		sup.Close()
		fmt.Fprintf(stderr, "gokernel kernel: %v\n", err)
		return 2
	}
	go func() {
		for range sigint {
			logger.Info("SIGINT: interrupting the running cell")
			k.Interrupt()
		}
	}()
	if err := k.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "gokernel kernel: %v\n", err)
		return 1
	}
	return 0
}

// runWorker is the hidden subcommand the kernel starts to evaluate cells.
func runWorker(args []string) int {
	if len(args) != 0 {
		fmt.Fprintln(os.Stderr, "gokernel worker: takes no arguments (it is started by the kernel)")
		return 2
	}
	return worker.Main(func(h worker.Host) (worker.Evaluator, error) {
		return session.New(session.Options{
			Stdin:   h.Stdin,
			Stdout:  h.Stdout,
			Stderr:  h.Stderr,
			Display: h.Display,
		})
	})
}

func envOr(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}
