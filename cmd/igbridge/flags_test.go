package main

import "testing"

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
