package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/igbridge/igbridge/pkg/connector"
)

// handleOwnFlags handles the flags whose mxmain behaviour igbridge replaces, before mxmain parses
// the command line:
//   - -e/--generate-example-config writes igbridge's full example config, because mxmain's skeleton
//     has wrong defaults for a bridge that answers in ordinary rooms;
//   - --conduwuit-message prints the admin-room message that registers the appservice on
//     continuwuity, tuwunel and conduwuit (the same command on all three).
//
// It reports whether it handled the invocation (the program should then exit).
func handleOwnFlags(args []string) bool {
	opts := scanArgs(args)
	switch {
	case opts.conduwuit:
		exitOn(printConduwuitMessage(os.Stdout, os.Stderr, opts.registrationPath))
		return true
	case opts.exampleConfig:
		exitOn(writeExampleConfig(opts.configPath))
		return true
	}
	return false
}

type cliOptions struct {
	exampleConfig    bool
	conduwuit        bool
	configPath       string
	registrationPath string
}

// scanArgs reads the few flags handleOwnFlags needs, accepting mauflag's forms: -e, combined short
// flags (-ec path), --long, --long=value and --long value.
func scanArgs(args []string) cliOptions {
	opts := cliOptions{configPath: "config.yaml", registrationPath: "registration.yaml"}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		next := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		name, value, hasValue := strings.Cut(arg, "=")
		switch {
		case name == "--generate-example-config":
			opts.exampleConfig = true
		case name == "--conduwuit-message":
			opts.conduwuit = true
		case name == "--config":
			opts.configPath = valueOr(hasValue, value, next)
		case name == "--registration":
			opts.registrationPath = valueOr(hasValue, value, next)
		case strings.HasPrefix(arg, "-") && !strings.HasPrefix(arg, "--") && len(arg) > 1:
			for _, short := range arg[1:] {
				switch short {
				case 'e':
					opts.exampleConfig = true
				case 'c':
					opts.configPath = next()
				case 'r':
					opts.registrationPath = next()
				}
			}
		}
	}
	return opts
}

func valueOr(hasValue bool, value string, next func() string) string {
	if hasValue {
		return value
	}
	return next()
}

func writeExampleConfig(path string) error {
	cfg, err := connector.FullExampleConfig()
	if err != nil {
		return err
	}
	if path == "-" {
		_, err = fmt.Print(cfg)
		return err
	}
	if _, err = os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s already exists, remove it if you want to generate a new example", path)
	}
	if err = os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return fmt.Errorf("failed to write example config: %w", err)
	}
	fmt.Println("Wrote example config to", path)
	return nil
}

// conduwuitHint goes to stderr, so that stdout is exactly the message to paste.
const conduwuitHint = `Send the message above as one plain-text message in the admin room of continuwuity, tuwunel or
conduwuit: the command is the same on all three. Check it with "!admin appservices list".
tuwunel can load the registration from its config instead ([global.appservice.<id>] or
appservice_dir): see docs/continuwuity-tuwunel.md.
`

func printConduwuitMessage(stdout, stderr io.Writer, registrationPath string) error {
	reg, err := os.ReadFile(registrationPath)
	if err != nil {
		return fmt.Errorf("failed to read the registration (generate it with igbridge -g first): %w", err)
	}
	if _, err = io.WriteString(stdout, connector.ConduwuitMessage(reg)); err != nil {
		return err
	}
	_, err = io.WriteString(stderr, conduwuitHint)
	return err
}

func exitOn(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
