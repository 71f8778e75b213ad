package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/gokernel/gokernel/interp/worker"
	"github.com/gokernel/gokernel/kernel"
	"github.com/gokernel/gokernel/wire"
)

const serveSynopsis = "usage: gokernel serve [--ip ADDR] [--ports A-B | --port-base N] [--connection-file PATH] [--log-level LEVEL]"

const serveHelp = serveSynopsis + `

Run a kernel without a Jupyter server, for a front end on another machine to
attach to (a Raspberry Pi, a router, a build box). It writes a connection
file with a fresh key, prints how to attach, and serves until it receives
SIGTERM or SIGHUP or a client asks it to shut down; then it removes the
connection file. Clients may come and go in between. SIGINT (Ctrl-C)
interrupts the running cell, as in a notebook; it does not stop the kernel.

  --ip ADDR               the address to listen on (default 127.0.0.1). With
                          the default, attach over SSH (jupyter console --ssh).
                          Any other address is reachable from the network:
                          messages are signed, not encrypted.
  --ports A-B             five consecutive ports for shell, iopub, stdin,
                          control and heartbeat, in that order (9000-9004)
  --port-base N           the same as --ports N-(N+4)
                          Without either, the kernel picks five free ports.
  --connection-file PATH  where to write the connection file (mode 0600);
                          default $JUPYTER_RUNTIME_DIR/kernel-gokernel-PID.json,
                          or the runtime directory under the Jupyter data
                          directory (~/.local/share/jupyter/runtime on Linux)
  --log-level LEVEL       debug, info, warn or error (default
                          $GOKERNEL_LOG_LEVEL, else warn; logs go to stderr)

Exit status: 0 after a clean stop, 2 for a usage error, a port in use or a
connection file that cannot be written, 1 for any other failure.
`

// runServe implements "gokernel serve"; it returns the exit status.
func runServe(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	return serve(ctx, args, stdout, stderr)
}

// serveConfig is what the command line of "gokernel serve" asks for.
type serveConfig struct {
	ip       string
	ports    []int // five ports, or nil for free ones
	connFile string
	logger   *slog.Logger // at the level asked for, writing to stderr
}

// serve runs "gokernel serve" with args until ctx ends.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, status, ok := parseServeArgs(args, stderr)
	if !ok {
		return status
	}
	logger := cfg.logger
	fail := func(err error) int {
		fmt.Fprintf(stderr, "gokernel serve: %v\n", err)
		return 2
	}

	ports := cfg.ports
	if ports == nil {
		var err error
		if ports, err = freePorts(cfg.ip, 5); err != nil {
			return fail(err)
		}
	} else if err := checkPortsFree(cfg.ip, ports); err != nil {
		return fail(err)
	}
	conn := &wire.ConnectionInfo{
		Transport: "tcp", IP: cfg.ip,
		ShellPort: ports[0], IOPubPort: ports[1], StdinPort: ports[2], ControlPort: ports[3], HBPort: ports[4],
		Key: rand.Text(), SignatureScheme: wire.SchemeHMACSHA256, KernelName: "gokernel",
	}

	path := cfg.connFile
	if path == "" {
		home, _ := os.UserHomeDir()
		dir, err := jupyterRuntimeDir(runtime.GOOS, os.Getenv, home)
		if err != nil {
			return fail(err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fail(fmt.Errorf("cannot create the Jupyter runtime directory: %w", err))
		}
		path = filepath.Join(dir, fmt.Sprintf("kernel-gokernel-%d.json", os.Getpid()))
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if err := conn.WriteFile(path); err != nil {
		return fail(fmt.Errorf("cannot write the connection file: %w", err))
	}
	// The file holds the key to a kernel that no longer runs once we
	// return: remove it, whatever the reason we stop.
	defer func() {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			logger.Warn("removing the connection file", "path", path, "err", err)
		}
	}()

	if !conn.IsLoopback() {
		fmt.Fprintf(stderr, "gokernel serve: warning: listening on %s, beyond this machine: anyone who can reach ports %d-%d and read %s can run code as this user; messages are signed, not encrypted (prefer the default 127.0.0.1 with jupyter console --ssh)\n",
			cfg.ip, ports[0], ports[4], path)
	}
	printAttachHelp(stdout, conn, path)
	return serveKernel(ctx, "gokernel serve", conn, logger, false, stderr)
}

// serveKernel runs a kernel on conn until ctx ends or a client asks for a
// shutdown, with cells evaluated in worker processes started from this
// executable. SIGINT interrupts the running cell, as Jupyter's "signal"
// interrupt mode expects; it never stops the kernel. It returns the exit
// status; name prefixes its error messages. Both `gokernel kernel` and
// `gokernel serve` run through it.
func serveKernel(ctx context.Context, name string, conn *wire.ConnectionInfo, logger *slog.Logger, allowUnsigned bool, stderr io.Writer) int {
	// kernel.New checks conn before any worker is started, so a kernel
	// that cannot run does not start one only to kill it.
	executor := new(lateWorker)
	k, err := kernel.New(kernel.Config{Conn: conn, Executor: executor, Logger: logger, Version: versionString(), AllowUnsigned: allowUnsigned})
	if errors.Is(err, kernel.ErrUnsignedRemote) { // only gokernel kernel: serve always makes a key
		err = fmt.Errorf("%w: pass --allow-unsigned to allow it", err)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	exe, err := workerPath()
	if err != nil {
		fmt.Fprintf(stderr, "%s: cannot find my own executable to start the worker: %v\n", name, err)
		return 1
	}
	// The supervisor adds component=worker to the logger itself.
	executor.Supervisor, err = worker.New(ctx, worker.Config{Path: exe, Name: os.Args[0], Args: []string{"worker"}, Logger: logger})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}

	sigint := make(chan os.Signal, 1)
	signal.Notify(sigint, os.Interrupt)
	done := make(chan struct{})
	interrupter := make(chan struct{})
	go func() { // ends when the kernel does
		defer close(interrupter)
		for {
			select {
			case <-sigint:
				k.Interrupt()
				// Warn: an operator's action worth a line at the default level,
				// logged once it is done (tests wait for it).
				logger.Warn("SIGINT: interrupted the running cell, if any")
			case <-done:
				return
			}
		}
	}()
	defer func() {
		signal.Stop(sigint)
		close(done)
		<-interrupter
	}()

	if err := k.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	return 0
}

// lateWorker is the kernel's executor, set to the worker supervisor once
// kernel.New has accepted the configuration. The kernel calls it only from
// Run, after that.
type lateWorker struct{ *worker.Supervisor }

// workerPath is the executable workers are started from. On Linux it is
// /proc/self/exe, the very file this process runs even after it has been
// replaced or removed at its path (as install.sh does), so a running
// kernel keeps starting workers of its own version, which speak its pipe
// protocol. Elsewhere it is the path this process was started from.
func workerPath() (string, error) {
	const self = "/proc/self/exe"
	if runtime.GOOS == "linux" {
		if _, err := os.Stat(self); err == nil {
			return self, nil
		}
	}
	return os.Executable()
}

// parseServeArgs parses the command line; when ok is false the caller
// returns status.
func parseServeArgs(args []string, stderr io.Writer) (cfg serveConfig, status int, ok bool) {
	fs := flag.NewFlagSet("gokernel serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.ip, "ip", "127.0.0.1", "")
	portRange := fs.String("ports", "", "")
	portBase := fs.Int("port-base", 0, "")
	fs.StringVar(&cfg.connFile, "connection-file", "", "")
	newLogger := logLevelFlag(fs)
	usageError := func(format string, a ...any) (serveConfig, int, bool) {
		fmt.Fprintf(stderr, "gokernel serve: "+format+"\n%s\nRun 'gokernel serve --help' for details.\n", append(a, serveSynopsis)...)
		return serveConfig{}, 2, false
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, serveHelp)
			return serveConfig{}, 0, false
		}
		return usageError("%v", err)
	}
	if fs.NArg() != 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	set := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if ip := net.ParseIP(cfg.ip); ip == nil {
		return usageError("--ip %q: not an IP address (use 127.0.0.1, 0.0.0.0 or an address of this machine)", cfg.ip)
	}
	switch {
	case set["ports"] && set["port-base"]:
		return usageError("--ports and --port-base both set: give one")
	case set["ports"]:
		ports, err := parsePortRange(*portRange)
		if err != nil {
			return usageError("--ports %q: %v", *portRange, err)
		}
		cfg.ports = ports
	case set["port-base"]:
		if *portBase < 1 || *portBase > 65535-4 {
			return usageError("--port-base %d: want 1 to 65531, so that N to N+4 are ports", *portBase)
		}
		cfg.ports = []int{*portBase, *portBase + 1, *portBase + 2, *portBase + 3, *portBase + 4}
	}
	if set["connection-file"] && cfg.connFile == "" {
		return usageError("--connection-file: empty path")
	}
	logger, err := newLogger(stderr)
	if err != nil {
		return usageError("%v", err)
	}
	cfg.logger = logger
	return cfg, 0, true
}

// parsePortRange parses "A-B", five consecutive ports.
func parsePortRange(s string) ([]int, error) {
	lo, hi, ok := strings.Cut(s, "-")
	first, err1 := strconv.Atoi(lo)
	last, err2 := strconv.Atoi(hi)
	if !ok || err1 != nil || err2 != nil {
		return nil, errors.New("want FIRST-LAST, like 9000-9004")
	}
	if first < 1 || last > 65535 {
		return nil, errors.New("ports must be 1 to 65535")
	}
	if last-first != 4 {
		return nil, fmt.Errorf("want five ports (shell, iopub, stdin, control, hb), got %d; like 9000-9004", max(last-first+1, 0))
	}
	return []int{first, first + 1, first + 2, first + 3, first + 4}, nil
}

// freePorts asks the system for n distinct free TCP ports on ip. Another
// program could take one before the kernel binds it; jupyter_client picks
// ports the same way.
func freePorts(ip string, n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			return nil, fmt.Errorf("cannot find a free port on %s: %w", ip, err)
		}
		defer l.Close() // held until all n are chosen, so they differ
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// checkPortsFree reports the first of ports that cannot be listened on.
func checkPortsFree(ip string, ports []int) error {
	for _, p := range ports {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(p)))
		if err != nil {
			return fmt.Errorf("cannot listen on %s port %d: %w", ip, p, err)
		}
		l.Close()
	}
	return nil
}

// jupyterRuntimeDir is where Jupyter looks for connection files, as
// jupyter_core.paths.jupyter_runtime_dir computes it.
func jupyterRuntimeDir(goos string, getenv func(string) string, home string) (string, error) {
	if dir := getenv("JUPYTER_RUNTIME_DIR"); dir != "" {
		return dir, nil
	}
	data, err := userDataDir(goos, getenv, home)
	if err != nil {
		return "", fmt.Errorf("cannot find the Jupyter runtime directory (set JUPYTER_RUNTIME_DIR or use --connection-file): %w", err)
	}
	return filepath.Join(data, "runtime"), nil
}

// printAttachHelp tells the person who started the kernel how to reach it.
func printAttachHelp(w io.Writer, conn *wire.ConnectionInfo, path string) {
	host, err := os.Hostname()
	if err != nil {
		host = "DEVICE"
	}
	login := os.Getenv("USER")
	if u, err := user.Current(); login == "" && err == nil {
		login = u.Username
	}
	if login == "" {
		login = "USER"
	}
	base := filepath.Base(path)
	fmt.Fprintf(w, "gokernel serve: kernel %d listening on %s, ports %d (shell), %d (iopub), %d (stdin), %d (control), %d (hb)\n",
		os.Getpid(), conn.IP, conn.ShellPort, conn.IOPubPort, conn.StdinPort, conn.ControlPort, conn.HBPort)
	fmt.Fprintf(w, "Connection file: %s\n\n", path)
	fmt.Fprintf(w, "Attach on this machine:\n  jupyter console --existing %s\n\n", path)
	if conn.IsLoopback() {
		fmt.Fprintf(w, "Attach from another machine over SSH (the ports stay private; ssh forwards them):\n")
		fmt.Fprintf(w, "  scp %s@%s:%s .\n", login, host, path)
		fmt.Fprintf(w, "  jupyter console --existing ./%s --ssh %s@%s\n\n", base, login, host)
	} else {
		fmt.Fprintf(w, "Attach from another machine: copy the file, set its \"ip\" to an address of this machine")
		if addrs := hostAddrs(); len(addrs) > 0 {
			fmt.Fprintf(w, " (%s)", strings.Join(addrs, ", "))
		}
		fmt.Fprintf(w, ", then:\n  scp %s@%s:%s .\n  jupyter console --existing ./%s\n\n", login, host, path, base)
	}
	fmt.Fprintf(w, "Ctrl-C interrupts the running cell; stop the kernel with: kill %d (SIGTERM)\n", os.Getpid())
}

// hostAddrs lists this machine's non-loopback unicast addresses.
func hostAddrs() []string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			out = append(out, n.IP.String())
		}
	}
	return out
}
