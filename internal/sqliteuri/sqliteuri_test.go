package sqliteuri

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestFileAndMissing(t *testing.T) {
	uri := File("/var/lib/igbridge/igbridge.db")
	want := "file:/var/lib/igbridge/igbridge.db?_txlock=immediate&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)&_time_format=sqlite"
	if uri != want {
		t.Fatalf("File = %q, want %q", uri, want)
	}
	if m := Missing(uri); m != nil {
		t.Errorf("Missing(File(…)) = %q, want none", m)
	}
	if m, w := Missing("file:x.db?_txlock=immediate&_time_format=sqlite"), []string{
		"_pragma=foreign_keys(1)", "_pragma=journal_mode(WAL)", "_pragma=synchronous(NORMAL)", "_pragma=busy_timeout(5000)",
	}; !reflect.DeepEqual(m, w) {
		t.Errorf("Missing = %q, want %q", m, w)
	}
}

// TestTextCopies: the copies that cannot call Go (the NixOS module builds its URI in Nix, the
// runbook shows the example config's URI) hold exactly Query's parameters.
func TestTextCopies(t *testing.T) {
	for _, c := range []struct{ file, pattern string }{
		{"../../nixos/module.nix", `sqliteParams = "([^"]*)";`},
		{"../../docs/conduwuit.md", `uri: file:igbridge\.db\?(\S*)`},
	} {
		data, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(c.pattern).FindSubmatch(data)
		if m == nil {
			t.Errorf("%s: no SQLite parameters found (pattern %s); update this test", c.file, c.pattern)
			continue
		}
		if got := strings.TrimSpace(string(m[1])); got != Query() {
			t.Errorf("%s has %q, want %q", c.file, got, Query())
		}
	}
}
