// Package scripts_test checks the shell functions scripts/setup.sh uses (scripts/debian.sh) by
// running them in bash against sample apt sources.
package scripts_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runBash sources debian.sh and runs script with args as $1…, returning stdout, stderr and the
// exit status.
func runBash(t *testing.T, script string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"-c", "set -euo pipefail; source ./debian.sh; " + script, "bash"}, args...)...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return so.String(), se.String(), cmd.ProcessState.ExitCode()
}

func TestDebianMirror(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"oneLine", map[string]string{
			"sources.list": "# deb http://commented.example/debian bookworm main\n" +
				"deb http://security.debian.org/debian-security bookworm-security main\n" +
				"deb-src http://src.example/debian bookworm main\n" +
				"deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://ftp.de.debian.org/debian bookworm main contrib\n" +
				"deb http://later.example/debian bookworm main\n",
		}, "http://ftp.de.debian.org/debian"},
		{"optionsWithSpaces", map[string]string{
			"sources.list": "deb [ arch=amd64 trusted=yes ] https://mirror.example/debian/ bookworm main\n",
		}, "https://mirror.example/debian/"},
		{"deb822", map[string]string{
			"sources.list.d/debian.sources": "Types: deb\n# http://snapshot.debian.org/archive/debian/20250520T000000Z\n" +
				"URIs: http://disabled.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n\n" +
				"Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\nComponents: main\n\n" +
				"Types: deb deb-src\n# a comment inside the paragraph\n" +
				"URIs: cdrom:/media/ http://deb.example.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n" +
				"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n" +
				"Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\nComponents: main\n",
		}, "http://deb.example.org/debian"},
		{"listFilesToo", map[string]string{
			"sources.list":                     "# only comments\n",
			"sources.list.d/google.list":       "deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n",
			"sources.list.d/mirror.list":       "deb http://list.example/debian bookworm main\n",
			"sources.list.d/old.list.disabled": "deb http://disabled.example/debian bookworm main\n",
		}, "http://list.example/debian"},
		{"thirdPartyOnly", map[string]string{
			"sources.list.d/nodesource.sources": "Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n",
			"sources.list.d/security.list":      "deb http://security.debian.org/debian-security bookworm-security main\n",
		}, ""},
		{"nothing", map[string]string{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "sources.list.d"), 0o755); err != nil {
				t.Fatal(err)
			}
			for name, content := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			stdout, stderr, code := runBash(t, `debian_mirror "$1" bookworm`, dir)
			if code != 0 || stderr != "" {
				t.Fatalf("debian_mirror: exit %d, stderr %q", code, stderr)
			}
			if got := strings.TrimSuffix(stdout, "\n"); got != tc.want {
				t.Fatalf("debian_mirror = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSidListsUnreachable: when sid's package list cannot be fetched (here from a loopback port
// nothing listens on), sid_lists fails with one line that names the mirror and the reason.
func TestSidListsUnreachable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("apt-get update needs root (setup.sh uses sudo otherwise)")
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Skip("no apt-get on this machine")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mirror := "http://" + l.Addr().String() + "/debian"
	l.Close()
	_, stderr, code := runBash(t, `sid_lists "$1" "$2"`, mirror, t.TempDir())
	if code != 1 {
		t.Fatalf("sid_lists: exit %d, want 1; stderr %q", code, stderr)
	}
	want := "setup: cannot reach Debian sid at " + mirror + " (needed for yt-dlp >= 2026.07): Could not connect to "
	if lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], want) {
		t.Fatalf("stderr = %q, want one line starting with %q", stderr, want)
	}
}
