#!/usr/bin/env bash
# Runs every check the project has: formatting, vet, staticcheck, the Go tests
# under the race detector, a short fuzz smoke run and the end-to-end suite.
# shellcheck disable=SC2317 # the step_* functions are called through run_step
set -euo pipefail

STATICCHECK="honnef.co/go/tools/cmd/staticcheck@v0.8.2" # staticcheck 2026.2.2
# A count, not a duration: with a duration, Go 1.26's fuzz coordinator can
# report "context deadline exceeded" as a failure when the time runs out while
# a worker is busy (go.dev/issue/75804, fixed in Go 1.27). 30000 inputs take
# about 20 s for the slowest target (interp/lower), 2 s for the others.
FUZZTIME=${FUZZTIME:-30000x}
PYTHON=/usr/bin/python3
# Debian packages the end-to-end suite needs.
APT_PACKAGES=(
	python3-jupyter-client jupyter-client jupyter-console python3-nbclient jupyter-nbconvert
	python3-nbformat python3-ipykernel python3-zmq python3-jupyter-kernel-test jupyter-notebook
	python3-pytest
)

usage() {
	cat <<EOF
Usage: ./test.sh [--no-deps] [--help]

Runs, from the repository root wherever it is called from:
  gofmt -l          fails if any Go file needs formatting
  go vet ./...
  staticcheck       $STATICCHECK (skipped if it cannot be fetched)
  go test -race ./...  (then interp/lower and interp/session without -race)
  fuzz smoke        every Fuzz target, one at a time, -fuzztime=\$FUZZTIME (now $FUZZTIME)
  e2e               $PYTHON -m pytest -q e2e

First it installs the missing Debian packages the end-to-end tests need
(apt-get, with sudo when not root):
  ${APT_PACKAGES[*]}

Options:
  --no-deps   do not check or install Debian packages
  --help      show this help

Ends with one line "N passed, N failed" counting steps; exits non-zero if any
step failed.
EOF
}


# --- dependencies ------------------------------------------------------

install_packages() {
	if [[ ! -f /etc/debian_version ]] || ! command -v dpkg-query >/dev/null; then
		echo "Not a Debian system: install these packages (or their equivalents) yourself:"
		echo "  ${APT_PACKAGES[*]}"
		return 0
	fi
	local missing=() pkg
	for pkg in "${APT_PACKAGES[@]}"; do
		if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]]; then
			missing+=("$pkg")
		fi
	done
	if ((${#missing[@]} == 0)); then
		echo "All test packages are installed."
		return 0
	fi
	local sudo=()
	if ((EUID != 0)); then
		if ! command -v sudo >/dev/null; then
			echo "Missing packages and no sudo: as root, run apt-get install ${missing[*]}"
			return 1
		fi
		sudo=(sudo)
	fi
	echo "Installing: ${missing[*]}"
	"${sudo[@]}" apt-get update -q || return 1
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" || return 1
}

# --- steps -------------------------------------------------------------
# Each step returns non-zero on failure. They run left of `||`, where set -e
# is off, so every failure is checked and returned explicitly.

go_files() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files --cached --others --exclude-standard -- '*.go'
	else
		find . -name '*.go' -not -path './.git/*'
	fi
}

step_gofmt() {
	local files unformatted
	files=$(go_files) || return 1
	[[ -n "$files" ]] || return 0
	# shellcheck disable=SC2086 # one file name a line, none with spaces
	unformatted=$(gofmt -l $files) || return 1
	if [[ -n "$unformatted" ]]; then
		echo "These files need gofmt:"
		echo "$unformatted"
		return 1
	fi
}

step_vet() {
	go vet ./...
}

step_staticcheck() {
	if ! timeout 300 go run "$STATICCHECK" -version; then
		echo "SKIP: $STATICCHECK could not be fetched or built"
		return 3
	fi
	go run "$STATICCHECK" ./...
}

step_race() {
	go test -race -timeout 240s ./... || return 1
	# Tests that run interpreted goroutines are left out under -race (yaegi
	# races with itself there); they run here without it.
	go test -count=1 -timeout 240s ./interp/lower ./interp/session
}

# Every fuzz target, one at a time. A package that does not build fails the
# step, but the targets of the other packages still run.
step_fuzz() {
	local listing targets pkg name status=0
	if ! listing=$(go test -list '^Fuzz' ./... 2>&1); then
		echo "Listing the fuzz targets failed:"
		grep -Ev '^(ok|\?|Fuzz)' <<<"$listing"
		status=1
	fi
	# "go test -list" prints a package's target names, then its "ok" line.
	targets=$(awk '
		/^Fuzz/ { names[n++] = $1; next }
		/^ok/ { for (i = 0; i < n; i++) print $2, names[i]; n = 0 }
	' <<<"$listing")
	if [[ -z "$targets" ]]; then
		echo "No fuzz targets found."
		return "$status"
	fi
	while read -r pkg name; do
		echo "--- $name ($pkg, $FUZZTIME)"
		go test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "$pkg" || status=1
	done <<<"$targets"
	return "$status"
}

step_e2e() {
	# SIGINT makes pytest stop and still print its summary.
	timeout --signal=INT --kill-after=30 720 "$PYTHON" -m pytest -q e2e
}

# --- runner ------------------------------------------------------------

passed=0
failed=0
skipped=0
failures=()

run_step() {
	local name=$1 fn=$2 start status=0
	printf '\n======== %s ========\n' "$name"
	start=$SECONDS
	"$fn" || status=$?
	local took=$((SECONDS - start))
	case "$status" in
	0)
		passed=$((passed + 1))
		printf -- '-------- %s: passed in %ds\n' "$name" "$took"
		;;
	3)
		skipped=$((skipped + 1))
		printf -- '-------- %s: skipped after %ds\n' "$name" "$took"
		;;
	*)
		failed=$((failed + 1))
		failures+=("$name")
		printf -- '-------- %s: FAILED in %ds\n' "$name" "$took"
		;;
	esac
}

# The whole run is one function, so bash has read all of it before it starts:
# editing this file during a run cannot derail the run.
main() {
	local install_deps=1 arg
	for arg in "$@"; do
		case "$arg" in
		-h | --help)
			usage
			exit 0
			;;
		--no-deps) install_deps=0 ;;
		*)
			echo "test.sh: unknown argument: $arg (try --help)" >&2
			exit 2
			;;
		esac
	done
	cd "$(dirname "${BASH_SOURCE[0]}")"

	total_start=$SECONDS
	if ((install_deps)); then
		printf '\n======== dependencies ========\n'
		if ! install_packages; then
			echo "test.sh: could not install the test packages (see above)" >&2
			exit 1
		fi
	fi

	run_step "gofmt" step_gofmt
	run_step "go vet" step_vet
	run_step "staticcheck" step_staticcheck
	run_step "go test -race" step_race
	run_step "fuzz smoke" step_fuzz
	run_step "e2e (pytest)" step_e2e

	printf '\n======== summary (%ds) ========\n' $((SECONDS - total_start))
	((skipped == 0)) || echo "$skipped skipped"
	((failed == 0)) || echo "failed: ${failures[*]}"
	echo "$passed passed, $failed failed"
	((failed == 0))
}

main "$@"
exit
