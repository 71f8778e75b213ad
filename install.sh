#!/usr/bin/env bash
# install.sh builds gokernel from this checkout, installs the binary, makes
# Jupyter know the kernel, and checks that it runs a cell. Run it again to
# rebuild and reinstall: every step replaces what an earlier run left.
set -euo pipefail

readonly min_go_minor=26 # Go 1.26, as go.mod says
readonly kernel_name=go
readonly apt_packages=(jupyter-notebook jupyter-console jupyter-nbconvert python3-jupyter-client jupyter-client)

usage() {
	cat <<EOF
Usage: ./install.sh [--help]

Builds and installs gokernel, the Jupyter kernel for Go:

  1. checks that Go 1.${min_go_minor} or later is installed;
  2. builds ./cmd/gokernel with go build -trimpath, versioned by git describe;
  3. installs the binary as /usr/local/bin/gokernel when run as root, else as
     ~/.local/bin/gokernel (set GOKERNEL_BINDIR to choose another directory);
  4. installs Jupyter with apt-get if there is no jupyter command
     (Debian and Ubuntu; elsewhere it says what to install);
  5. registers the kernel for the user running it: gokernel install --user
     (under sudo, for the user who ran sudo);
  6. starts the kernel with jupyter_client and runs one cell.
EOF
}

# as_root runs a command as root, through sudo unless it is root already.
as_root() {
	if [[ $EUID -eq 0 ]]; then
		"$@"
	else
		sudo -- "$@"
	fi
}

say() { printf '==> %s\n' "$*"; }
warn() { printf 'install.sh: warning: %s\n' "$*" >&2; }
die() {
	printf 'install.sh: %s\n' "$*" >&2
	exit 1
}

case $# in
0) ;;
1)
	case $1 in
	-h | --help)
		usage
		exit 0
		;;
	*)
		printf 'install.sh: unknown argument %q\n\n' "$1" >&2
		usage >&2
		exit 2
		;;
	esac
	;;
*)
	printf 'install.sh: too many arguments\n\n' >&2
	usage >&2
	exit 2
	;;
esac

# GOKERNEL_BINDIR is relative to where the script was started, not to the
# checkout it changes into.
if [[ -n ${GOKERNEL_BINDIR:-} ]]; then
	GOKERNEL_BINDIR=$(realpath -m -- "$GOKERNEL_BINDIR")
fi
cd "$(dirname "${BASH_SOURCE[0]}")"

# Under sudo the kernel is for the user who ran sudo: as_user runs a command
# as that user, with their HOME, so it lands in their Jupyter directories.
target_user=$(id -un)
as_user() { "$@"; }
if [[ $EUID -eq 0 && -n ${SUDO_USER:-} && $SUDO_USER != root ]]; then
	target_user=$SUDO_USER
	as_user() { sudo -u "$SUDO_USER" -H -- "$@"; }
fi

# --- 1. Go ---------------------------------------------------------------
go_cmd=$(command -v go || true)
if [[ -z $go_cmd && -x /usr/local/go/bin/go ]]; then
	# sudo's secure_path usually leaves out /usr/local/go/bin.
	go_cmd=/usr/local/go/bin/go
fi
[[ -n $go_cmd ]] || die "Go 1.${min_go_minor} or later is needed to build gokernel, but there is no go command on PATH: get it from https://go.dev/dl/"
go_version=$("$go_cmd" env GOVERSION) || die "cannot run $go_cmd"
# GOVERSION is go1.26.1, go1.27rc1 or "devel go1.27-abcdef ...".
if [[ $go_version =~ go([0-9]+)\.([0-9]+) ]]; then
	major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
	if ((major == 1 && minor < min_go_minor)); then
		die "gokernel needs Go 1.${min_go_minor} or later, but $go_cmd is $go_version: get a newer Go from https://go.dev/dl/"
	fi
else
	warn "cannot tell the version of Go from '$go_version'; trying anyway"
fi
say "Using $go_cmd ($go_version)"

# --- 2. Build --------------------------------------------------------------
version=$(git describe --always --dirty 2>/dev/null || true)
version=${version:-dev}
build_dir=$(mktemp -d)
trap 'rm -rf "$build_dir"' EXIT
say "Building gokernel $version"
# CGO_ENABLED=0: nothing in gokernel needs cgo, and a static binary keeps
# working when the system's C libraries change.
CGO_ENABLED=0 "$go_cmd" build -trimpath -ldflags "-X main.version=$version" -o "$build_dir/gokernel" ./cmd/gokernel

# --- 3. Install the binary -------------------------------------------------
if [[ -n ${GOKERNEL_BINDIR:-} ]]; then
	bindir=$GOKERNEL_BINDIR
elif [[ $EUID -eq 0 ]]; then
	bindir=/usr/local/bin
else
	bindir=$HOME/.local/bin
fi
mkdir -p "$bindir"
# Copy beside the target and rename over it, so a failed copy leaves the
# installed one intact, and a kernel already running keeps its old binary:
# the file it was started from lives on, unnamed, until it exits, and on
# Linux it starts its workers from that file (/proc/self/exe), not from the
# new one at this path. Elsewhere, restart running kernels after this.
install -m 0755 "$build_dir/gokernel" "$bindir/.gokernel.new"
mv -f "$bindir/.gokernel.new" "$bindir/gokernel"
bin=$bindir/gokernel
say "Installed $bin"
case ":$PATH:" in
*":$bindir:"*) ;;
*) warn "$bindir is not on your PATH; add it, e.g. export PATH=\"$bindir:\$PATH\" in ~/.profile" ;;
esac

# --- 4. Jupyter ------------------------------------------------------------
if ! command -v jupyter >/dev/null; then
	if command -v apt-get >/dev/null; then
		say "No jupyter command: installing Jupyter with apt-get"
		if [[ $EUID -ne 0 ]] && ! command -v sudo >/dev/null; then
			die "installing Jupyter needs root: run as root, or install: ${apt_packages[*]}"
		fi
		as_root apt-get update
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${apt_packages[@]}"
	else
		warn "no jupyter command and no apt-get: install Jupyter (Notebook, Console, nbconvert and jupyter_client), then run ./install.sh again"
	fi
fi

# --- 5. Register the kernelspec ---------------------------------------------
say "Registering the kernel for $target_user"
as_user "$bin" install --user --name "$kernel_name"
if command -v jupyter >/dev/null; then
	# Read the whole list first: grep -q stopping early would make jupyter
	# fail with a broken pipe, and pipefail would report that.
	specs=$(as_user jupyter kernelspec list 2>/dev/null || true)
	if grep -Eq "^[[:space:]]*${kernel_name}[[:space:]]" <<<"$specs"; then
		say "jupyter kernelspec list shows the '$kernel_name' kernel"
	else
		warn "jupyter kernelspec list does not show the '$kernel_name' kernel: is JUPYTER_DATA_DIR or JUPYTER_PATH set differently for Jupyter?"
	fi
fi

# --- 6. Smoke test -------------------------------------------------------------
python=/usr/bin/python3
if [[ ! -x $python ]] || ! "$python" -c 'import jupyter_client' 2>/dev/null; then
	warn "smoke test skipped: $python with jupyter_client is not installed"
	exit 0
fi
say "Smoke test: starting the kernel and running one cell"
as_user "$python" - "$kernel_name" <<'PY' || die "smoke test failed: the kernel is installed, but it did not run a cell (see above)"
import sys
from jupyter_client.manager import KernelManager

TIMEOUT = 60  # seconds, for start-up and for the cell
CODE = 'import "fmt"\nfmt.Println("gokernel ok")'


def smoke(km):
    """Runs CODE on the started kernel; returns an error message or None."""
    kc = km.client()
    kc.start_channels()
    try:
        try:
            kc.wait_for_ready(timeout=TIMEOUT)
        except RuntimeError as e:  # the kernel died, or did not answer in time
            return "kernel did not start: %s" % e
        out = []

        def hook(msg):
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("\n".join(msg["content"]["traceback"]))

        try:
            reply = kc.execute_interactive(CODE, timeout=TIMEOUT, output_hook=hook)
        except TimeoutError:
            return "the cell did not finish within %d seconds" % TIMEOUT
        status, got = reply["content"]["status"], "".join(out)
        if status != "ok" or "gokernel ok" not in got:
            return "unexpected result: status %s, output %r" % (status, got)
        print(got.strip())
        return None
    finally:
        kc.stop_channels()


def main():
    km = KernelManager(kernel_name=sys.argv[1])
    km.start_kernel()
    try:
        return smoke(km)
    finally:
        km.shutdown_kernel(now=False)


# main's objects are gone before the interpreter shuts down, when
# jupyter_client's destructors could no longer log.
sys.exit(main())
PY
say "Done: try  jupyter console --kernel $kernel_name"
