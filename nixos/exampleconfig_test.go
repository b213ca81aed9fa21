package nixos_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite example-config.json from ../example-config.yaml")

const exampleJSON = "example-config.json"

// exampleConfigJSON renders ../example-config.yaml as the JSON module.nix reads (Nix cannot
// parse YAML): sorted keys, two-space indent, no HTML escaping (the relay formats hold <b>).
func exampleConfigJSON(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile("../example-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(raw, &v); err != nil {
		t.Fatalf("example-config.yaml: %v", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatalf("example-config.yaml has a value JSON cannot hold: %v", err)
	}
	return buf.Bytes()
}

// TestExampleConfigJSON: nixos/example-config.json is ../example-config.yaml as JSON, so the
// module's defaults are the config `igbridge -e` writes.
func TestExampleConfigJSON(t *testing.T) {
	want := exampleConfigJSON(t)
	if *update {
		if err := os.WriteFile(exampleJSON, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(exampleJSON)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("nixos/%s is out of date with example-config.yaml; regenerate it with\n"+
			"  go test -tags goolm ./nixos -run TestExampleConfigJSON -args -update", exampleJSON)
	}
}
