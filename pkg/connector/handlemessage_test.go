package connector

import (
	"testing"

	"maunium.net/go/mautrix/id"
)

func TestReadsAsLink(t *testing.T) {
	const link = "https://www.instagram.com/p/Abc123/"
	tests := []struct {
		body             string
		inManagementRoom bool
		want             bool
	}{
		{"get " + link, false, true}, // commands elsewhere need the prefix
		{"cache purge " + link, false, true},
		{link, true, true},
		{"look at this " + link, true, true},
		{"get " + link, true, false},
		{"GET " + link, true, false}, // bridgev2 matches commands case-insensitively
		{"  cache purge " + link, true, false},
		{"getting " + link, true, true}, // a word that starts like a command is none
		{"status " + link, true, true},  // status takes no link: the link is answered
	}
	for _, tt := range tests {
		if got := readsAsLink(tt.body, tt.inManagementRoom); got != tt.want {
			t.Errorf("readsAsLink(%q, management room %v) = %v, want %v", tt.body, tt.inManagementRoom, got, tt.want)
		}
	}
}

// TestIsLinkMessageOnce: the command processor asks once per event; the mark must not stay
// behind for the life of the process.
func TestIsLinkMessageOnce(t *testing.T) {
	var ic Connector
	ic.linkMessages.Store(id.EventID("$claimed"), struct{}{})
	if ic.isLinkMessage("$other") {
		t.Fatal("an unclaimed event reads as a link message")
	}
	if !ic.isLinkMessage("$claimed") {
		t.Fatal("a claimed event does not read as a link message")
	}
	if ic.isLinkMessage("$claimed") {
		t.Fatal("a claimed event reads as a link message twice")
	}
}
