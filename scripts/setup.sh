#!/usr/bin/env bash
# Installs everything igbridge needs to build, run and test on a fresh Debian (bookworm) machine.
# Idempotent: each step checks first and does nothing when its part is already there.
# PostgreSQL is only for the tests that run the bridge against it; they start their own cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS=${IGBRIDGE_TOOLS:-$PWD/.tools}
DENDRITE_VERSION=v0.13.8
# Today's Instagram extractor needs yt-dlp >= 2026.07; only Debian sid has it. The package is
# Architecture: all and its dependencies are satisfied by bookworm.
YTDLP_MIN=2026.07

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_missing=()
for pkg in ca-certificates gcc python3 curl postgresql; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || apt_missing+=("$pkg")
done
if [ ${#apt_missing[@]} -gt 0 ]; then
	echo "setup: installing ${apt_missing[*]}"
	sudo_if_needed apt-get update -qq
	sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}"
fi
# The nixos/ tests: nix-instantiate (nix-bin; its recommended nix-daemon set-up is not needed) and
# systemd-analyze (systemd).
norec_missing=()
for pkg in nix-bin systemd; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || norec_missing+=("$pkg")
done
if [ ${#norec_missing[@]} -gt 0 ]; then
	echo "setup: installing ${norec_missing[*]}"
	sudo_if_needed apt-get update -qq
	sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${norec_missing[@]}"
fi

ytdlp_version() { /usr/bin/python3 -c 'import yt_dlp.version as v; print(v.__version__)' 2>/dev/null || true; }
have=$(ytdlp_version)
if [ -z "$have" ] || [ "$(printf '%s\n%s\n' "$YTDLP_MIN" "$have" | sort -V | head -n1)" != "$YTDLP_MIN" ]; then
	echo "setup: installing yt-dlp from Debian sid (found: ${have:-none})"
	apt_dir=$(mktemp -d)
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	echo "deb http://deb.debian.org/debian sid main" >"$apt_dir/sources.list"
	apt_opts=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o "Dir::Etc::sourceparts=-"
		-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "APT::Get::List-Cleanup=0")
	sudo_if_needed apt-get "${apt_opts[@]}" update -qq
	(cd "$apt_dir" && sudo_if_needed apt-get "${apt_opts[@]}" download yt-dlp)
	# Installing the .deb through bookworm's own lists pulls its dependencies from bookworm.
	sudo_if_needed apt-get update -qq
	sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$apt_dir"/yt-dlp_*.deb
	rm -rf "$apt_dir"
	echo "setup: yt-dlp $(ytdlp_version)"
fi

mkdir -p "$TOOLS/bin"
if [ ! -x "$TOOLS/bin/dendrite" ]; then
	echo "setup: building Dendrite $DENDRITE_VERSION (about 80 s)"
	GOBIN="$TOOLS/bin" CGO_ENABLED=1 go install "github.com/matrix-org/dendrite/cmd/dendrite@$DENDRITE_VERSION"
fi

go mod download
