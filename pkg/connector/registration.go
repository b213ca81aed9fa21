package connector

import "strings"

// ConduwuitMessage is the message an operator sends in conduwuit's admin room to register the
// appservice: the command, then the registration YAML in a fenced code block.
func ConduwuitMessage(registration []byte) string {
	return "!admin appservices register\n```\n" + strings.TrimRight(string(registration), "\n") + "\n```\n"
}
