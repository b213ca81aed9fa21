# Functions for scripts/setup.sh, sourced (scripts/setup_test.go runs them against sample files).

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# quiet COMMAND... runs COMMAND with its output kept aside: shown (its last 20 lines) only when
# it fails, so that a set-up that works prints only its own "setup:" lines.
quiet() {
	local out status=0
	out=$(mktemp)
	"$@" >"$out" 2>&1 || status=$?
	if [ $status != 0 ]; then
		tail -n 20 "$out" >&2
		echo "setup: failed ($status): $*" >&2
	fi
	rm -f "$out"
	return $status
}

# debian_mirror ETC_APT CODENAME prints the URI of the first enabled Debian archive in the apt
# sources under ETC_APT (sources.list, sources.list.d/*.list, sources.list.d/*.sources), that is
# the first `deb` entry for the release CODENAME itself (not CODENAME-security, not a third-party
# repository with a suite of its own). It prints nothing when there is none.
debian_mirror() {
	local etc=$1 codename=$2 file
	local -a files=()
	[ -f "$etc/sources.list" ] && files+=("$etc/sources.list")
	for file in "$etc"/sources.list.d/*.list "$etc"/sources.list.d/*.sources; do
		[ -f "$file" ] && files+=("$file")
	done
	[ ${#files[@]} -gt 0 ] || return 0
	awk -v codename="$codename" '
		function http(uri) { return uri ~ /^https?:\/\// }
		function has_suite(list,    n, i, s) {
			n = split(list, s, /[ \t]+/)
			for (i = 1; i <= n; i++) if (s[i] == codename) return 1
			return 0
		}
		function flush() {
			if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled != "no" && has_suite(suites)) {
				n = split(uris, u, /[ \t]+/)
				for (i = 1; i <= n; i++) if (http(u[i])) { print u[i]; found = 1; exit }
			}
			types = ""; uris = ""; suites = ""; enabled = ""
		}
		FNR == 1 { flush(); deb822 = FILENAME ~ /\.sources$/ }
		deb822 && /^#/ { next }
		{ sub(/#.*/, "") }
		deb822 && /^[ \t]*$/ { flush(); next }
		deb822 {
			key = tolower($0); sub(/:.*/, "", key)
			value = $0; sub(/^[^:]*:[ \t]*/, "", value); sub(/[ \t]+$/, "", value)
			if (key == "types") types = value
			else if (key == "uris") uris = value
			else if (key == "suites") suites = value
			else if (key == "enabled") enabled = tolower(value)
			next
		}
		$1 == "deb" {
			f = 2
			if ($f ~ /^\[/) { while (f <= NF && $f !~ /\]$/) f++; f++ }
			if (http($f) && $(f + 1) == codename) { print $f; found = 1; exit }
		}
		END { if (!found) flush() }
	' "${files[@]}"
}

# sid_apt_opts APT_DIR prints, one a line, the apt-get options that use APT_DIR's own sources.list,
# lists and cache (filled by sid_lists) instead of the machine's.
sid_apt_opts() {
	printf '%s\n' -o "Dir::Etc::sourcelist=$1/sources.list" -o "Dir::Etc::sourceparts=-" \
		-o "Dir::State::Lists=$1/lists" -o "Dir::Cache=$1/cache" -o "APT::Get::List-Cleanup=0"
}

# sid_lists MIRROR APT_DIR fetches MIRROR's sid package list into APT_DIR, leaving the machine's
# apt state alone. On failure it says so in one line on stderr and returns 1.
sid_lists() {
	local mirror=$1 dir=$2 out
	local -a opts
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	echo "deb $mirror sid main" >"$dir/sources.list"
	mapfile -t opts < <(sid_apt_opts "$dir")
	# apt-get update can end with status 0 when the fetch failed: the list itself is the test.
	if ! out=$(sudo_if_needed apt-get "${opts[@]}" update 2>&1) || ! compgen -G "$dir/lists/*_sid_main_*Packages*" >/dev/null; then
		out=$(printf '%s\n' "$out" | sed -n -e 's/^[WE]: Failed to fetch [^ ]*  *//p' -e 's/^E: //p' | head -n1)
		echo "setup: cannot reach Debian sid at $mirror (needed for yt-dlp >= ${YTDLP_MIN:-2026.07}): ${out:-no package list}" >&2
		return 1
	fi
}
