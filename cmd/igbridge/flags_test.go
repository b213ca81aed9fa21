package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScanArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want cliOptions
	}{
		{nil, cliOptions{configPath: "config.yaml", registrationPath: "registration.yaml"}},
		{[]string{"-e"}, cliOptions{exampleConfig: true, configPath: "config.yaml", registrationPath: "registration.yaml"}},
		{[]string{"-ec", "x.yaml"}, cliOptions{exampleConfig: true, configPath: "x.yaml", registrationPath: "registration.yaml"}},
		{[]string{"--generate-example-config", "--config=y.yaml"}, cliOptions{exampleConfig: true, configPath: "y.yaml", registrationPath: "registration.yaml"}},
		{[]string{"-c", "c.yaml", "--conduwuit-message", "-r", "r.yaml"}, cliOptions{conduwuit: true, configPath: "c.yaml", registrationPath: "r.yaml"}},
		{[]string{"--registration", "r.yaml", "-n"}, cliOptions{configPath: "config.yaml", registrationPath: "r.yaml"}},
		// -g is mxmain's; it must not be mistaken for -e.
		{[]string{"-g", "-c", "c.yaml"}, cliOptions{configPath: "c.yaml", registrationPath: "registration.yaml"}},
	} {
		if got := scanArgs(tc.args); got != tc.want {
			t.Errorf("scanArgs(%q) = %+v, want %+v", tc.args, got, tc.want)
		}
	}
}

// TestConduwuitMessageOutput: stdout is exactly the admin-room message (command, fenced
// registration), pasteable as it is; the hint naming all three homeservers goes to stderr.
func TestConduwuitMessageOutput(t *testing.T) {
	registration := "id: igbridge\nurl: http://127.0.0.1:29330\n"
	path := filepath.Join(t.TempDir(), "registration.yaml")
	if err := os.WriteFile(path, []byte(registration), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	if err := printConduwuitMessage(&stdout, &stderr, path); err != nil {
		t.Fatal(err)
	}
	if want := "!admin appservices register\n```\n" + registration + "```\n"; stdout.String() != want {
		t.Errorf("stdout = %q, want %q", stdout.String(), want)
	}
	for _, name := range []string{"continuwuity", "tuwunel", "conduwuit", "!admin appservices list", "appservice_dir"} {
		if !strings.Contains(stderr.String(), name) {
			t.Errorf("stderr does not mention %q:\n%s", name, stderr.String())
		}
	}
	if err := printConduwuitMessage(&stdout, &stderr, filepath.Join(t.TempDir(), "missing.yaml")); err == nil ||
		!strings.Contains(err.Error(), "generate it with igbridge -g first") {
		t.Errorf("missing registration: err = %v, want the hint to run -g", err)
	}
}
