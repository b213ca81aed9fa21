#!/usr/bin/env bash
# Installs what igbridge needs to build and run on a fresh Debian (bookworm) machine (`make run`);
# with --test also what only the tests need (`make test`): PostgreSQL, nix-instantiate and
# systemd-analyze. Idempotent: each step checks first and does nothing when its part is there.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/debian.sh

with_tests=false
case "${1:-}" in
--test) with_tests=true ;;
"") ;;
*) echo "usage: scripts/setup.sh [--test]" >&2; exit 2 ;;
esac

TOOLS=${IGBRIDGE_TOOLS:-$PWD/.tools}
DENDRITE_VERSION=v0.13.8
# Today's Instagram extractor needs yt-dlp >= 2026.07; only Debian sid has it. The package is
# Architecture: all and its dependencies are satisfied by bookworm.
YTDLP_MIN=2026.07

apt_updated=false
# apt_install [apt-get install options --] PACKAGE... installs the packages that are missing.
apt_install() {
	local -a opts=() missing=() pkg
	if [[ " $* " == *" -- "* ]]; then
		while [ "$1" != "--" ]; do opts+=("$1"); shift; done
		shift
	fi
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	echo "setup: installing ${missing[*]}"
	if ! $apt_updated; then
		quiet sudo_if_needed apt-get update
		apt_updated=true
	fi
	quiet sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y "${opts[@]}" "${missing[@]}"
}

# ffmpeg is optional for the bridge (merging DASH formats, transcoding to fit the upload limit);
# its recommends (a desktop's worth of codecs' helpers) are not needed.
apt_install ca-certificates gcc python3 curl
apt_install --no-install-recommends -- ffmpeg
if $with_tests; then
	# PostgreSQL for the tests that run the bridge against it (they start their own cluster);
	# nix-instantiate (nix-bin; its recommended nix-daemon set-up is not needed) and
	# systemd-analyze (systemd) for the nixos/ and contrib/ checks.
	apt_install postgresql
	apt_install --no-install-recommends -- nix-bin systemd
fi

ytdlp_version() { /usr/bin/python3 -c 'import yt_dlp.version as v; print(v.__version__)' 2>/dev/null || true; }
have=$(ytdlp_version)
if [ -z "$have" ] || [ "$(printf '%s\n%s\n' "$YTDLP_MIN" "$have" | sort -V | head -n1)" != "$YTDLP_MIN" ]; then
	echo "setup: installing yt-dlp from Debian sid (found: ${have:-none})"
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	mirror=${IGBRIDGE_DEBIAN_MIRROR:-$(debian_mirror /etc/apt "$codename")}
	if [ -z "$mirror" ]; then
		echo "setup: no Debian mirror for $codename in /etc/apt/sources.list{,.d}; set IGBRIDGE_DEBIAN_MIRROR=http://…/debian" >&2
		exit 1
	fi
	apt_dir=$(mktemp -d)
	trap 'rm -rf "$apt_dir"' EXIT
	sid_lists "$mirror" "$apt_dir" || exit 1
	mapfile -t apt_opts < <(sid_apt_opts "$apt_dir")
	(cd "$apt_dir" && quiet sudo_if_needed apt-get "${apt_opts[@]}" download yt-dlp)
	# Installing the .deb through bookworm's own lists pulls its dependencies from bookworm.
	$apt_updated || quiet sudo_if_needed apt-get update
	quiet sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$apt_dir"/yt-dlp_*.deb
	echo "setup: yt-dlp $(ytdlp_version)"
fi

mkdir -p "$TOOLS/bin"
if [ ! -x "$TOOLS/bin/dendrite" ]; then
	echo "setup: building Dendrite $DENDRITE_VERSION (about 80 s)"
	quiet env GOBIN="$TOOLS/bin" CGO_ENABLED=1 go install "github.com/matrix-org/dendrite/cmd/dendrite@$DENDRITE_VERSION"
fi

go mod download
