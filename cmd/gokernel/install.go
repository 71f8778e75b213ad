package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/gokernel/gokernel/kernelspec"
)

const installSynopsis = "usage: gokernel install [--user | --sys-prefix | --prefix DIR] [--name NAME] [--display-name TEXT]"

const installHelp = installSynopsis + `

Install gokernel's kernelspec, so that Jupyter starts this binary as a kernel.
It writes kernel.json and the logos to KERNELS/NAME, replacing any kernelspec
already there.

  --user               KERNELS is the user's Jupyter data directory + /kernels
                       ($JUPYTER_DATA_DIR, else ~/.local/share/jupyter on Linux
                       or $XDG_DATA_HOME/jupyter if that is set, ~/Library/Jupyter
                       on macOS, %APPDATA%\jupyter on Windows).
                       This is the default.
  --sys-prefix         KERNELS is PREFIX/share/jupyter/kernels, where PREFIX is
                       that of the jupyter found on PATH: /usr for
                       /usr/bin/jupyter, VENV for VENV/bin/jupyter.
  --prefix DIR         KERNELS is DIR/share/jupyter/kernels.
  --name NAME          the kernel's name, made of [a-zA-Z0-9._-] and stored in
                       lower case, as Jupyter does (default "go").
  --display-name TEXT  the name Jupyter shows in its menus (default "Go").

Exit status: 0 when installed, 2 for a usage error or a place that cannot be
written, 1 for any other failure.
`

// installConfig is what the command line of `gokernel install` asks for.
type installConfig struct {
	user, sysPrefix bool
	prefix          string
	name            string
	displayName     string
}

// kernelNameRE is what Jupyter accepts as a kernel name
// (jupyter_client.kernelspec._kernel_name_pat).
var kernelNameRE = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// runInstall implements `gokernel install`; it returns the process exit status.
func runInstall(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseInstallArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, installHelp)
		return 0
	}
	if err != nil {
		return usageFailure(stderr, err)
	}

	bin, err := executable()
	if err != nil {
		fmt.Fprintf(stderr, "gokernel install: %v\n", err)
		return 1
	}
	kernelJSON, err := kernelspec.KernelJSON(bin, cfg.displayName)
	if err != nil {
		fmt.Fprintf(stderr, "gokernel install: %v\n", err)
		return 1
	}

	kernels, err := cfg.kernelsDir(stdout)
	if err != nil {
		return usageFailure(stderr, err)
	}
	dir, err := writeSpec(kernels, cfg.name, kernelJSON)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) && !cfg.user {
			err = fmt.Errorf("%w (run as root, or use --user)", err)
		}
		return usageFailure(stderr, err)
	}
	fmt.Fprintf(stdout, "Installed kernelspec %s in %s\n", cfg.name, dir)
	fmt.Fprintf(stdout, "Jupyter starts it as: %s kernel {connection_file}\n", bin)
	if isTemporaryBuild(bin) {
		fmt.Fprintf(stderr, "gokernel install: warning: %s is a temporary build (go run or go test): "+
			"Jupyter cannot start it once it is deleted; install a binary made by go build instead\n", bin)
	}
	return 0
}

// usageFailure reports err, then the synopsis, and returns the exit status
// for a usage error.
func usageFailure(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "gokernel install: %v\n%s\nRun 'gokernel install --help' for details.\n", err, installSynopsis)
	return 2
}

// newInstallFlags returns the flag set of `gokernel install`, storing into cfg.
func newInstallFlags(cfg *installConfig) *flag.FlagSet {
	flags := flag.NewFlagSet("gokernel install", flag.ContinueOnError)
	// runInstall prints errors and help itself, in the --flag style of installHelp.
	flags.SetOutput(io.Discard)
	flags.BoolVar(&cfg.user, "user", false, "install for the current user (the default)")
	flags.BoolVar(&cfg.sysPrefix, "sys-prefix", false, "install into the prefix of the jupyter on PATH")
	flags.StringVar(&cfg.prefix, "prefix", "", "install into `DIR`/share/jupyter/kernels")
	flags.StringVar(&cfg.name, "name", kernelspec.Name, "kernel `NAME`")
	flags.StringVar(&cfg.displayName, "display-name", "", "`TEXT` shown in Jupyter's menus")
	return flags
}

// parseInstallArgs parses and checks the arguments of `gokernel install`.
// It returns flag.ErrHelp for -h and --help.
func parseInstallArgs(args []string) (installConfig, error) {
	var cfg installConfig
	flags := newInstallFlags(&cfg)
	if err := flags.Parse(args); err != nil {
		return cfg, err
	}
	if flags.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", flags.Arg(0))
	}

	var modes []string
	set := map[string]bool{}
	flags.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if cfg.user {
		modes = append(modes, "--user")
	}
	if cfg.sysPrefix {
		modes = append(modes, "--sys-prefix")
	}
	if set["prefix"] {
		if cfg.prefix == "" {
			return cfg, errors.New("--prefix needs a directory")
		}
		modes = append(modes, "--prefix")
	}
	if len(modes) > 1 {
		return cfg, fmt.Errorf("conflicting flags %s: choose one", strings.Join(modes, " and "))
	}
	if len(modes) == 0 {
		cfg.user = true
	}

	// "." and ".." match Jupyter's pattern but name no kernel directory:
	// installing there would replace kernels/ or its parent.
	if !kernelNameRE.MatchString(cfg.name) || cfg.name == "." || cfg.name == ".." {
		return cfg, fmt.Errorf("invalid --name %q: a kernel name is made of letters, digits, '.', '_' and '-', and is not \".\" or \"..\"", cfg.name)
	}
	// Jupyter looks kernels up by lower-cased name, and its own
	// `kernelspec install` lower-cases the name too.
	cfg.name = strings.ToLower(cfg.name)
	if set["display-name"] && strings.TrimSpace(cfg.displayName) == "" {
		return cfg, errors.New("--display-name must not be empty")
	}
	return cfg, nil
}

// kernelsDir returns the kernels directory cfg asks for. It tells stdout
// which prefix --sys-prefix chose, since that is a guess.
func (cfg installConfig) kernelsDir(stdout io.Writer) (string, error) {
	switch {
	case cfg.prefix != "":
		prefix, err := filepath.Abs(cfg.prefix)
		if err != nil {
			return "", fmt.Errorf("--prefix %s: %w", cfg.prefix, err)
		}
		return filepath.Join(prefix, "share", "jupyter", "kernels"), nil
	case cfg.sysPrefix:
		prefix, jupyter, err := sysPrefix()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(stdout, "Using prefix %s, the prefix of %s\n", prefix, jupyter)
		return filepath.Join(prefix, "share", "jupyter", "kernels"), nil
	default:
		home, _ := os.UserHomeDir() // userDataDir reports a missing home if it needs one
		data, err := userDataDir(runtime.GOOS, os.Getenv, home)
		if err != nil {
			return "", err
		}
		data, err = filepath.Abs(data)
		if err != nil {
			return "", fmt.Errorf("finding the Jupyter data directory: %w", err)
		}
		return filepath.Join(data, "kernels"), nil
	}
}

// sysPrefix returns the installation prefix of the jupyter command on PATH,
// and that command's path with symlinks resolved. It stands in for Python's
// sys.prefix without running Python: Jupyter's scripts live in PREFIX/bin
// (PREFIX\Scripts on Windows), in a system Python, a virtualenv or a conda
// environment alike.
func sysPrefix() (prefix, jupyter string, err error) {
	path, err := exec.LookPath("jupyter")
	if err != nil {
		return "", "", errors.New("--sys-prefix: no jupyter command on PATH; install Jupyter, or use --prefix DIR")
	}
	// Resolving symlinks finds the environment a linked command belongs to
	// (pipx, /bin -> /usr/bin on merged-/usr systems).
	jupyter, err = filepath.EvalSymlinks(path)
	if err != nil {
		return "", "", fmt.Errorf("--sys-prefix: %w", err)
	}
	if jupyter, err = filepath.Abs(jupyter); err != nil {
		return "", "", fmt.Errorf("--sys-prefix: %w", err)
	}
	bin := filepath.Dir(jupyter)
	if b := filepath.Base(bin); b != "bin" && b != "Scripts" {
		return "", "", fmt.Errorf("--sys-prefix: cannot tell the prefix of %s, which is not in a bin directory; use --prefix DIR", jupyter)
	}
	return filepath.Dir(bin), jupyter, nil
}

// userDataDir returns the user's Jupyter data directory, as
// jupyter_core.paths.jupyter_data_dir computes it on goos, given the
// environment and the home directory (empty when unknown).
func userDataDir(goos string, getenv func(string) string, home string) (string, error) {
	if dir := getenv("JUPYTER_DATA_DIR"); dir != "" {
		return dir, nil
	}
	// Linux and other Unix systems use XDG and need no home when it is set.
	if goos != "darwin" && goos != "windows" && goos != "ios" {
		if xdg := getenv("XDG_DATA_HOME"); xdg != "" {
			return filepath.Join(xdg, "jupyter"), nil
		}
	}
	platformDirs := usePlatformDirs(getenv("JUPYTER_PLATFORM_DIRS"))
	if goos == "windows" {
		// jupyter_core uses %LOCALAPPDATA% with platform dirs, else %APPDATA%.
		env := "APPDATA"
		if platformDirs {
			env = "LOCALAPPDATA"
		}
		if dir := getenv(env); dir != "" {
			return filepath.Join(dir, "jupyter"), nil
		}
		if dir := getenv("JUPYTER_CONFIG_DIR"); dir != "" {
			return filepath.Join(dir, "data"), nil
		}
	}
	if home == "" {
		return "", errors.New("cannot find the home directory for --user; set JUPYTER_DATA_DIR, or use --prefix DIR")
	}
	switch {
	case goos == "darwin" && platformDirs:
		return filepath.Join(home, "Library", "Application Support", "jupyter"), nil
	case goos == "darwin":
		return filepath.Join(home, "Library", "Jupyter"), nil
	case goos == "windows":
		return filepath.Join(home, ".jupyter", "data"), nil
	default:
		return filepath.Join(home, ".local", "share", "jupyter"), nil
	}
}

// usePlatformDirs reports whether JUPYTER_PLATFORM_DIRS, set to v, turns on
// platformdirs locations: jupyter_core treats any value but these as true.
func usePlatformDirs(v string) bool {
	switch strings.ToLower(v) {
	case "", "no", "n", "false", "off", "0", "0.0":
		return false
	}
	return true
}

// executable returns the absolute path of the running binary with symlinks
// resolved, so that kernel.json survives a change of PATH.
func executable() (string, error) {
	bin, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot find the path of this program: %w", err)
	}
	resolved, err := filepath.EvalSymlinks(bin)
	if err != nil {
		return "", fmt.Errorf("cannot resolve the path of this program: %w", err)
	}
	return filepath.Abs(resolved)
}

// isTemporaryBuild reports whether bin was built by go run or go test, which
// delete it when they finish.
func isTemporaryBuild(bin string) bool {
	for dir := filepath.Dir(bin); ; dir = filepath.Dir(dir) {
		// The go command's work directories are named go-build and digits.
		if n, ok := strings.CutPrefix(filepath.Base(dir), "go-build"); ok && n != "" && strings.Trim(n, "0123456789") == "" {
			return true
		}
		if parent := filepath.Dir(dir); parent == dir {
			return false
		}
	}
}

// writeSpec writes the kernelspec into kernels/name, replacing whatever is
// there, and returns that directory. The files are written into a new
// directory beside it first, and the old spec is moved aside rather than
// deleted until the new one is in place, so a failure leaves an existing
// spec intact.
func writeSpec(kernels, name string, kernelJSON []byte) (string, error) {
	dest := filepath.Join(kernels, name)
	fail := func(err error) (string, error) {
		return "", fmt.Errorf("cannot install into %s: %w", dest, err)
	}
	if err := os.MkdirAll(kernels, 0o755); err != nil {
		return fail(err)
	}
	tmp, err := os.MkdirTemp(kernels, ".gokernel-install-*")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp) // after a successful rename there is nothing left to remove

	files := kernelspec.Files()
	err = fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data := kernelJSON
		if path != kernelspec.FileName {
			if data, err = fs.ReadFile(files, path); err != nil {
				return err
			}
		}
		return os.WriteFile(filepath.Join(tmp, filepath.FromSlash(path)), data, 0o644)
	})
	if err != nil {
		return fail(err)
	}
	// MkdirTemp creates the directory private to us, but a spec in a shared
	// prefix must be readable by every user who runs Jupyter.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fail(err)
	}
	if err := replaceDir(tmp, dest); err != nil {
		return fail(err)
	}
	return dest, nil
}

// rename is os.Rename; tests replace it to make a rename fail.
var rename = os.Rename

// replaceDir moves the directory src to dest, replacing whatever dest holds.
// The old dest is moved into a directory beside it and put back if src
// cannot take its place, then removed.
func replaceDir(src, dest string) error {
	aside, err := os.MkdirTemp(filepath.Dir(dest), ".gokernel-old-*")
	if err != nil {
		return err
	}
	old := filepath.Join(aside, filepath.Base(dest))
	hadOld := true
	if err := rename(dest, old); errors.Is(err, fs.ErrNotExist) {
		hadOld = false
	} else if err != nil {
		os.Remove(aside)
		return err
	}
	if err := rename(src, dest); err != nil {
		if hadOld {
			if rerr := rename(old, dest); rerr != nil {
				return fmt.Errorf("%w (and the previous kernelspec could not be put back: it is in %s: %v)", err, old, rerr)
			}
		}
		os.Remove(aside)
		return err
	}
	// The new spec is in place: a copy of the old one that cannot be
	// removed is clutter, not a failure of the install.
	os.RemoveAll(aside)
	return nil
}
