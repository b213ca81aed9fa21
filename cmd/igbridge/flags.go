package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/igbridge/igbridge/pkg/connector"
)

// handleOwnFlags handles the flags whose mxmain behaviour igbridge replaces, before mxmain parses
// the command line:
//   - -e/--generate-example-config writes igbridge's full example config, because mxmain's skeleton
//     has wrong defaults for a bridge that answers in ordinary rooms;
//   - --conduwuit-message prints the admin-room message that registers the appservice on conduwuit.
//
// It reports whether it handled the invocation (the program should then exit).
func handleOwnFlags(args []string) bool {
	opts := scanArgs(args)
	switch {
	case opts.conduwuit:
		exitOn(printConduwuitMessage(opts.registrationPath))
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

func printConduwuitMessage(registrationPath string) error {
	reg, err := os.ReadFile(registrationPath)
	if err != nil {
		return fmt.Errorf("failed to read the registration (generate it with igbridge -g first): %w", err)
	}
	fmt.Print(connector.ConduwuitMessage(reg))
	return nil
}

func exitOn(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
