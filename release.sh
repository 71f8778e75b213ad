#!/usr/bin/env bash
# Builds static, cgo-free gokernel binaries for the small devices gokernel
# serves on, with their SHA-256 sums; or, with --check, only checks that the
# other platforms compile.
set -euo pipefail

# GOOS/GOARCH[/GOARM] and the file name suffix of each release binary.
TARGETS=(
	"linux/amd64 linux-amd64"
	"linux/arm64 linux-arm64"
	"linux/arm/6 linux-armv6"
	"linux/arm/7 linux-armv7"
	"linux/riscv64 linux-riscv64"
)
# Platforms that must keep compiling, though no binary is released for them.
CHECK_TARGETS=(darwin/amd64 darwin/arm64 windows/amd64)

usage() {
	cat <<EOF_USAGE
Usage: ./release.sh [--out DIR] [--version VERSION] [--help]
       ./release.sh --check | --check-all

Builds gokernel for ${#TARGETS[@]} Linux targets into DIR (default dist/):
$(for t in "${TARGETS[@]}"; do echo "  gokernel-${t#* }"; done)
with CGO_ENABLED=0, -trimpath and -ldflags "-s -w -X main.version=VERSION",
then writes DIR/SHA256SUMS and prints each binary's size.
VERSION defaults to "git describe --tags --always --dirty", else "dev".

  --check     vet for ${CHECK_TARGETS[*]} instead, every package
              that does not import yaegi: all of gokernel's platform-specific
              code, in well under two minutes. (yaegi's generated standard
              library tables take minutes per platform to compile.)
  --check-all the same for every package, yaegi's tables included
EOF_USAGE
}

out=dist
version=
check=0
while (($# > 0)); do
	case "$1" in
	-h | --help)
		usage
		exit 0
		;;
	--check) check=1 ;;
	--check-all) check=2 ;;
	--out | --version)
		if (($# < 2)) || [[ -z "$2" ]]; then
			echo "release.sh: $1 needs a value (try --help)" >&2
			exit 2
		fi
		# --out is relative to where the script was started, not to the
		# checkout it changes into below.
		if [[ "$1" == --out ]]; then out=$(realpath -m -- "$2"); else version=$2; fi
		shift
		;;
	*)
		echo "release.sh: unknown argument: $1 (try --help)" >&2
		exit 2
		;;
	esac
	shift
done

cd "$(dirname "${BASH_SOURCE[0]}")"

# Prints the packages of ./... that do not depend on yaegi, for GOOS/GOARCH
# in the environment.
packages_without_yaegi() {
	go list -f '{{.ImportPath}}{{range .Deps}} {{.}}{{end}}' ./... |
		awk '!/github.com\/traefik\/yaegi/ { print $1 }'
}

if ((check)); then
	status=0
	for target in "${CHECK_TARGETS[@]}"; do
		start=$SECONDS
		export CGO_ENABLED=0 GOOS=${target%/*} GOARCH=${target#*/}
		pkgs=(./...)
		if ((check == 1)); then
			mapfile -t pkgs < <(packages_without_yaegi)
		fi
		if go vet "${pkgs[@]}"; then
			echo "ok   $target ($((SECONDS - start))s)"
		else
			echo "FAIL $target" >&2
			status=1
		fi
	done
	exit "$status"
fi

if [[ -z "$version" ]]; then
	version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
fi
if ! mkdir -p "$out" 2>/dev/null || [[ ! -w "$out" ]]; then
	echo "release.sh: cannot write to $out" >&2
	exit 2
fi

for t in "${TARGETS[@]}"; do
	platform=${t% *} suffix=${t#* }
	IFS=/ read -r goos goarch goarm <<<"$platform"
	bin="$out/gokernel-$suffix"
	echo "building $bin"
	CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch GOARM=$goarm \
		go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$bin" ./cmd/gokernel
done

(
	cd "$out"
	sha256sum gokernel-* >SHA256SUMS
)
echo
echo "gokernel $version in $out/:"
for t in "${TARGETS[@]}"; do
	bin="$out/gokernel-${t#* }"
	size=$(stat -c %s "$bin")
	awk -v name="${bin##*/}" -v size="$size" 'BEGIN { printf "  %-24s %10d bytes  %5.1f MiB\n", name, size, size / 1048576 }'
done
