package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestIgnoredSpecVersionIsInfo: mautrix's "outdated homeserver" error (as it logs it, by level
// and text) becomes one info line with the versions; other errors stay errors.
func TestIgnoredSpecVersionIsInfo(t *testing.T) {
	var buf bytes.Buffer
	log := withIgnoredSpecVersion(zerolog.New(&buf), func() string { return "v1.2" })
	log.WithLevel(zerolog.ErrorLevel).Str("server_supports", "v1.2").Str("bridge_requires", "v1.4").Msg(outdatedServerMsg)
	log.Error().Msg("Failed to connect to homeserver")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	var first, second map[string]string
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first["level"] != "info" || first["server_supports"] != "v1.2" || first["bridge_requires"] == "" ||
		!strings.Contains(first["message"], "--ignore-unsupported-server") {
		t.Errorf("first line = %v, want the info line naming the flag and both versions", first)
	}
	if second["level"] != "error" || second["message"] != "Failed to connect to homeserver" {
		t.Errorf("second line = %v, want the unrelated error unchanged", second)
	}
}
