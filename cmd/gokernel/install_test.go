package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/kernelspec"
)

// installEnv isolates an install from the machine's Jupyter: every place
// `gokernel install` may look is under a new temporary directory, which is
// returned.
func installEnv(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	t.Setenv("HOME", filepath.Join(root, "home"))
	t.Setenv("JUPYTER_DATA_DIR", filepath.Join(root, "data"))
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("JUPYTER_PLATFORM_DIRS", "")
	t.Setenv("PATH", filepath.Join(root, "empty-path"))
	return root
}

// fakeJupyter creates an executable file named jupyter in dir.
func fakeJupyter(t *testing.T, dir string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake jupyter is a shell script")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "jupyter"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestInstall(t *testing.T) {
	bin, err := executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		// setup prepares root and returns the directory the spec must land in.
		setup       func(t *testing.T, root string) string
		wantDisplay string
		wantStdout  []string
	}{
		{
			name:  "default is --user",
			setup: func(t *testing.T, root string) string { return filepath.Join(root, "data", "kernels", "go") },
		},
		{
			name:  "--user honours JUPYTER_DATA_DIR",
			args:  []string{"--user"},
			setup: func(t *testing.T, root string) string { return filepath.Join(root, "data", "kernels", "go") },
		},
		{
			name: "--user without JUPYTER_DATA_DIR uses XDG_DATA_HOME",
			args: []string{"--user"},
			setup: func(t *testing.T, root string) string {
				if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
					t.Skip("XDG_DATA_HOME is for Linux and other Unix systems")
				}
				t.Setenv("JUPYTER_DATA_DIR", "")
				t.Setenv("XDG_DATA_HOME", filepath.Join(root, "xdg"))
				return filepath.Join(root, "xdg", "jupyter", "kernels", "go")
			},
		},
		{
			name: "--user without JUPYTER_DATA_DIR uses the home directory",
			args: []string{"-user"},
			setup: func(t *testing.T, root string) string {
				if runtime.GOOS != "linux" {
					t.Skip("the expected path is Linux's")
				}
				t.Setenv("JUPYTER_DATA_DIR", "")
				return filepath.Join(root, "home", ".local", "share", "jupyter", "kernels", "go")
			},
		},
		{
			name: "--prefix",
			args: []string{"--prefix", "PREFIX"},
			setup: func(t *testing.T, root string) string {
				return filepath.Join(root, "prefix", "share", "jupyter", "kernels", "go")
			},
		},
		{
			name: "--prefix=DIR that exists",
			args: []string{"--prefix=PREFIX"},
			setup: func(t *testing.T, root string) string {
				if err := os.MkdirAll(filepath.Join(root, "prefix", "share", "jupyter", "kernels"), 0o755); err != nil {
					t.Fatal(err)
				}
				return filepath.Join(root, "prefix", "share", "jupyter", "kernels", "go")
			},
		},
		{
			name: "--sys-prefix",
			args: []string{"--sys-prefix"},
			setup: func(t *testing.T, root string) string {
				fakeJupyter(t, filepath.Join(root, "venv", "bin"))
				t.Setenv("PATH", filepath.Join(root, "venv", "bin"))
				return filepath.Join(root, "venv", "share", "jupyter", "kernels", "go")
			},
			wantStdout: []string{"Using prefix ROOT/venv, the prefix of ROOT/venv/bin/jupyter"},
		},
		{
			name: "--sys-prefix follows a symlinked jupyter",
			args: []string{"--sys-prefix"},
			setup: func(t *testing.T, root string) string {
				fakeJupyter(t, filepath.Join(root, "pipx", "venvs", "jupyter", "bin"))
				links := filepath.Join(root, "links")
				if err := os.Mkdir(links, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(filepath.Join(root, "pipx", "venvs", "jupyter", "bin", "jupyter"), filepath.Join(links, "jupyter")); err != nil {
					t.Skip("cannot make symlinks:", err)
				}
				t.Setenv("PATH", links)
				return filepath.Join(root, "pipx", "venvs", "jupyter", "share", "jupyter", "kernels", "go")
			},
			wantStdout: []string{"Using prefix ROOT/pipx/venvs/jupyter,"},
		},
		{
			name:        "--name and --display-name",
			args:        []string{"--name", "Go-1.26_tip", "--display-name", "Go 1.26 (tip) <&>"},
			setup:       func(t *testing.T, root string) string { return filepath.Join(root, "data", "kernels", "go-1.26_tip") },
			wantDisplay: "Go 1.26 (tip) <&>",
			wantStdout:  []string{"Installed kernelspec go-1.26_tip in ROOT/data/kernels/go-1.26_tip"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := installEnv(t)
			// Resolve the temporary directory as install does, for the
			// paths it prints (macOS's /var is a symlink).
			root, err := filepath.EvalSymlinks(root)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.setup(t, root)
			args := slices.Clone(tt.args)
			for i, a := range args {
				args[i] = strings.ReplaceAll(a, "PREFIX", filepath.Join(root, "prefix"))
			}

			var stdout, stderr bytes.Buffer
			if code := runInstall(args, &stdout, &stderr); code != 0 {
				t.Fatalf("runInstall(%q) = %d, want 0; stderr:\n%s", args, code, &stderr)
			}
			wantStdout := append([]string{"Installed kernelspec " + filepath.Base(want) + " in " + want}, tt.wantStdout...)
			for _, s := range wantStdout {
				if s = strings.ReplaceAll(s, "ROOT", root); !strings.Contains(stdout.String(), filepath.FromSlash(s)) {
					t.Errorf("stdout does not say %q:\n%s", s, &stdout)
				}
			}
			display := tt.wantDisplay
			if display == "" {
				display = "Go"
			}
			checkSpec(t, want, bin, display)
		})
	}
}

// checkSpec checks that dir holds exactly the kernelspec for bin.
func checkSpec(t *testing.T, dir, bin, displayName string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got kernelspec.Spec
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("kernel.json: %v\n%s", err, data)
	}
	want := kernelspec.Spec{
		Argv:          []string{bin, "kernel", "{connection_file}"},
		DisplayName:   displayName,
		Language:      "go",
		InterruptMode: "message",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("kernel.json = %+v, want %+v", got, want)
	}
	if !filepath.IsAbs(got.Argv[0]) {
		t.Errorf("argv[0] = %q, want an absolute path", got.Argv[0])
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"kernel.json", "logo-32x32.png", "logo-64x64.png", "logo-svg.svg"}; !slices.Equal(names, want) {
		t.Errorf("%s holds %q, want %q", dir, names, want)
	}
	for _, logo := range []string{"logo-32x32.png", "logo-64x64.png", "logo-svg.svg"} {
		got, err := os.ReadFile(filepath.Join(dir, logo))
		if err != nil {
			t.Error(err)
			continue
		}
		want, err := fs.ReadFile(kernelspec.Files(), logo)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("installed %s differs from the embedded one", logo)
		}
	}
	// Nothing but the spec is left in the kernels directory: no staging
	// directory survives the install.
	if entries, err := os.ReadDir(filepath.Dir(dir)); err != nil {
		t.Error(err)
	} else if len(entries) != 1 {
		t.Errorf("%s holds %d entries, want only %s", filepath.Dir(dir), len(entries), filepath.Base(dir))
	}
}

func TestInstallUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		name    string
		args    []string
		setup   func(t *testing.T, root string)
		wantErr string
	}{
		{name: "unknown flag", args: []string{"--bogus"}, wantErr: "flag provided but not defined: -bogus"},
		{name: "extra argument", args: []string{"--user", "extra"}, wantErr: `unexpected argument "extra"`},
		{name: "argument before flags", args: []string{"go", "--user"}, wantErr: `unexpected argument "go"`},
		{name: "--user and --sys-prefix", args: []string{"--user", "--sys-prefix"}, wantErr: "conflicting flags --user and --sys-prefix"},
		{name: "--prefix and --user", args: []string{"--prefix", "x", "--user"}, wantErr: "conflicting flags --user and --prefix"},
		{name: "all three", args: []string{"--sys-prefix", "--prefix=x", "--user"}, wantErr: "conflicting flags --user and --sys-prefix and --prefix"},
		{name: "--prefix without a value", args: []string{"--prefix"}, wantErr: "flag needs an argument: -prefix"},
		{name: "empty --prefix", args: []string{"--prefix="}, wantErr: "--prefix needs a directory"},
		{name: "bad --name: slash", args: []string{"--name", "a/b"}, wantErr: `invalid --name "a/b"`},
		{name: "bad --name: space", args: []string{"--name", "go kernel"}, wantErr: `invalid --name "go kernel"`},
		{name: "bad --name: empty", args: []string{"--name="}, wantErr: `invalid --name ""`},
		{name: "bad --name: ..", args: []string{"--name", ".."}, wantErr: `invalid --name ".."`},
		{name: "bad --name: non-ASCII", args: []string{"--name", "gö"}, wantErr: `invalid --name "gö"`},
		{name: "empty --display-name", args: []string{"--display-name", " "}, wantErr: "--display-name must not be empty"},
		{name: "bool flag with a value", args: []string{"--user=maybe"}, wantErr: "invalid boolean value"},
		{name: "--sys-prefix without jupyter", args: []string{"--sys-prefix"}, wantErr: "--sys-prefix: no jupyter command on PATH"},
		{
			name: "--sys-prefix with jupyter outside a bin directory",
			args: []string{"--sys-prefix"},
			setup: func(t *testing.T, root string) {
				fakeJupyter(t, filepath.Join(root, "tools"))
				t.Setenv("PATH", filepath.Join(root, "tools"))
			},
			wantErr: "which is not in a bin directory",
		},
		{
			name: "--user without JUPYTER_DATA_DIR or home",
			args: []string{"--user"},
			setup: func(t *testing.T, root string) {
				if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
					t.Skip("the home directory is not $HOME here")
				}
				t.Setenv("JUPYTER_DATA_DIR", "")
				t.Setenv("HOME", "")
			},
			wantErr: "cannot find the home directory",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := installEnv(t)
			if tt.setup != nil {
				tt.setup(t, root)
			}
			var stdout, stderr bytes.Buffer
			code := runInstall(tt.args, &stdout, &stderr)
			checkUsageError(t, code, &stdout, &stderr, tt.wantErr)
			checkNothingInstalled(t, root)
		})
	}
}

func TestInstallUnwritable(t *testing.T) {
	for _, tt := range []struct {
		name string
		// setup returns the --prefix to install into.
		setup   func(t *testing.T, root string) string
		wantErr string
	}{
		{
			name: "prefix is a file",
			setup: func(t *testing.T, root string) string {
				file := filepath.Join(root, "file")
				if err := os.WriteFile(file, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				return file
			},
			wantErr: "cannot install into ROOT/file/share/jupyter/kernels/go: ",
		},
		{
			name: "kernels is a file",
			setup: func(t *testing.T, root string) string {
				dir := filepath.Join(root, "prefix", "share", "jupyter")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "kernels"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
				return filepath.Join(root, "prefix")
			},
			wantErr: "cannot install into ROOT/prefix/share/jupyter/kernels/go: ",
		},
		{
			name: "read-only prefix",
			setup: func(t *testing.T, root string) string {
				if runtime.GOOS == "windows" || os.Geteuid() == 0 {
					t.Skip("permissions do not stop root, and Windows ignores them on directories")
				}
				dir := filepath.Join(root, "ro")
				if err := os.Mkdir(dir, 0o555); err != nil {
					t.Fatal(err)
				}
				return dir
			},
			wantErr: "permission denied (run as root, or use --user)",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := installEnv(t)
			prefix := tt.setup(t, root)
			var stdout, stderr bytes.Buffer
			code := runInstall([]string{"--prefix", prefix}, &stdout, &stderr)
			checkUsageError(t, code, &stdout, &stderr, filepath.FromSlash(strings.ReplaceAll(tt.wantErr, "ROOT", root)))
		})
	}
}

// checkUsageError checks the result of a runInstall that must fail with
// status 2, a one-line message containing wantErr, and the synopsis.
func checkUsageError(t *testing.T, code int, stdout, stderr *bytes.Buffer, wantErr string) {
	t.Helper()
	if code != 2 {
		t.Errorf("exit status %d, want 2", code)
	}
	if stdout.Len() > 0 {
		t.Errorf("stdout = %q, want nothing", stdout)
	}
	first, rest, _ := strings.Cut(stderr.String(), "\n")
	if !strings.HasPrefix(first, "gokernel install: ") || !strings.Contains(first, wantErr) {
		t.Errorf("first line of stderr = %q, want gokernel install: ...%s...", first, wantErr)
	}
	if !strings.HasPrefix(rest, installSynopsis+"\n") {
		t.Errorf("stderr does not go on with the synopsis:\n%s", stderr)
	}
}

// checkNothingInstalled checks that no kernel.json was written under root.
func checkNothingInstalled(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "kernel.json" {
			t.Errorf("a failed install wrote %s", path)
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}

func TestInstallHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"-help"}, {"--user", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			root := installEnv(t)
			var stdout, stderr bytes.Buffer
			if code := runInstall(args, &stdout, &stderr); code != 0 {
				t.Errorf("exit status %d, want 0", code)
			}
			if stderr.Len() > 0 {
				t.Errorf("stderr = %q, want nothing", &stderr)
			}
			if !strings.HasPrefix(stdout.String(), installSynopsis) {
				t.Errorf("help does not start with the synopsis:\n%s", &stdout)
			}
			checkNothingInstalled(t, root)
		})
	}
}

// TestInstallHelpNamesEveryFlag keeps the hand-written help in step with
// the flag set.
func TestInstallHelpNamesEveryFlag(t *testing.T) {
	newInstallFlags(new(installConfig)).VisitAll(func(f *flag.Flag) {
		if !strings.Contains(installHelp, "\n  --"+f.Name+" ") {
			t.Errorf("installHelp does not describe --%s", f.Name)
		}
	})
	spec, err := kernelspec.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, def := range []string{`(default "` + kernelspec.Name + `")`, `(default "` + spec.DisplayName + `")`} {
		if !strings.Contains(installHelp, def) {
			t.Errorf("installHelp does not say %s", def)
		}
	}
}

func TestReinstallReplaces(t *testing.T) {
	root := installEnv(t)
	bin, err := executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "data", "kernels", "go")
	for i, tt := range []struct {
		args        []string
		wantDisplay string
	}{
		{nil, "Go"},
		{[]string{"--display-name", "Go, again"}, "Go, again"},
		{nil, "Go"},
	} {
		if i > 0 {
			// A file from an older spec must not survive a reinstall.
			if err := os.WriteFile(filepath.Join(dir, "stale.txt"), []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var stdout, stderr bytes.Buffer
		if code := runInstall(tt.args, &stdout, &stderr); code != 0 {
			t.Fatalf("install %d: exit status %d, stderr:\n%s", i, code, &stderr)
		}
		checkSpec(t, dir, bin, tt.wantDisplay)
	}
}

func TestUserDataDir(t *testing.T) {
	for _, tt := range []struct {
		goos string
		env  map[string]string
		home string
		want string
	}{
		{"linux", map[string]string{"JUPYTER_DATA_DIR": "/j"}, "/h", "/j"},
		{"linux", nil, "/h", "/h/.local/share/jupyter"},
		{"linux", map[string]string{"XDG_DATA_HOME": "/x"}, "", "/x/jupyter"},
		{"freebsd", map[string]string{"JUPYTER_PLATFORM_DIRS": "1"}, "/h", "/h/.local/share/jupyter"},
		{"darwin", map[string]string{"XDG_DATA_HOME": "/x"}, "/h", "/h/Library/Jupyter"},
		{"darwin", map[string]string{"JUPYTER_PLATFORM_DIRS": "1"}, "/h", "/h/Library/Application Support/jupyter"},
		{"darwin", map[string]string{"JUPYTER_PLATFORM_DIRS": "off"}, "/h", "/h/Library/Jupyter"},
		{"windows", map[string]string{"APPDATA": "/a", "LOCALAPPDATA": "/l"}, "/h", "/a/jupyter"},
		{"windows", map[string]string{"APPDATA": "/a", "LOCALAPPDATA": "/l", "JUPYTER_PLATFORM_DIRS": "true"}, "/h", "/l/jupyter"},
		{"windows", map[string]string{"JUPYTER_CONFIG_DIR": "/c"}, "/h", "/c/data"},
		{"windows", nil, "/h", "/h/.jupyter/data"},
		{"linux", nil, "", ""},
		{"darwin", nil, "", ""},
	} {
		got, err := userDataDir(tt.goos, func(k string) string { return tt.env[k] }, tt.home)
		want := filepath.FromSlash(tt.want)
		if tt.want == "" {
			if err == nil {
				t.Errorf("userDataDir(%s, %v, %q) = %q, want an error", tt.goos, tt.env, tt.home, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("userDataDir(%s, %v, %q) = %q, %v, want %q", tt.goos, tt.env, tt.home, got, err, want)
		}
	}
}

func TestIsTemporaryBuild(t *testing.T) {
	for _, tt := range []struct {
		bin  string
		want bool
	}{
		{"/tmp/go-build1234/b001/exe/gokernel", true},
		{"/tmp/go-build1234/b001/gokernel.test", true},
		{"/usr/local/bin/gokernel", false},
		{"/home/me/go-builder/gokernel", false},
		{"/home/me/go/bin/gokernel", false},
	} {
		if got := isTemporaryBuild(filepath.FromSlash(tt.bin)); got != tt.want {
			t.Errorf("isTemporaryBuild(%q) = %v, want %v", tt.bin, got, tt.want)
		}
	}
}

// TestWriteSpecFailureKeepsOldSpec makes each rename of writeSpec fail in
// turn: whichever fails, the spec that was installed is still there, and no
// temporary directory is left beside it.
func TestWriteSpecFailureKeepsOldSpec(t *testing.T) {
	const oldJSON, newJSON = `{"old": true}`, `{"new": true}`
	errRename := errors.New("rename refused")
	for _, tt := range []struct {
		name     string
		old      bool // a spec is installed already
		failCall int  // the rename call that fails, counting from 1; 0 for none
		want     string
	}{
		{"fresh install", false, 0, newJSON},
		{"replace", true, 0, newJSON},
		{"old spec cannot be moved aside", true, 1, oldJSON},
		{"new spec cannot be moved in", true, 2, oldJSON},
		{"fresh install cannot be moved in", false, 2, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kernels := t.TempDir()
			dest := filepath.Join(kernels, "go")
			if tt.old {
				if err := os.Mkdir(dest, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dest, "kernel.json"), []byte(oldJSON), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			calls := 0
			rename = func(from, to string) error {
				if calls++; calls == tt.failCall {
					return errRename
				}
				return os.Rename(from, to)
			}
			t.Cleanup(func() { rename = os.Rename })

			dir, err := writeSpec(kernels, "go", []byte(newJSON))
			if tt.failCall != 0 {
				if !errors.Is(err, errRename) || !strings.Contains(err.Error(), "cannot install into "+dest) {
					t.Errorf("writeSpec error = %v, want the rename's, naming %s", err, dest)
				}
			} else if err != nil || dir != dest {
				t.Errorf("writeSpec = %q, %v; want %q", dir, err, dest)
			}
			data, err := os.ReadFile(filepath.Join(dest, "kernel.json"))
			switch {
			case tt.want == "" && !errors.Is(err, fs.ErrNotExist):
				t.Errorf("kernel.json after a failed fresh install: %q, %v; want none", data, err)
			case tt.want != "" && string(data) != tt.want:
				t.Errorf("kernel.json = %q, %v; want %q", data, err, tt.want)
			}
			entries, err := os.ReadDir(kernels)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if e.Name() != "go" {
					t.Errorf("%s left in %s", e.Name(), kernels)
				}
			}
		})
	}
}
