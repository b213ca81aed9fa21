package connector

import "strings"

// ConduwuitMessage is the message an operator sends in the admin room of conduwuit or its
// successors continuwuity and tuwunel to register the appservice: the command, then the
// registration YAML in a fenced code block. All three parse it the same way.
func ConduwuitMessage(registration []byte) string {
	return "!admin appservices register\n```\n" + strings.TrimRight(string(registration), "\n") + "\n```\n"
}
