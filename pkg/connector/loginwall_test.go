package connector

import (
	"testing"
	"time"

	"github.com/igbridge/igbridge/pkg/media"
	"github.com/igbridge/igbridge/pkg/pacing"
)

func TestLoginWallsCountDistinctPosts(t *testing.T) {
	var lw loginWalls
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// One post retried many times is that post's failure, never the bridge's.
	for i := range 10 {
		if lw.add("p/A", start.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("login wall %d on the same post started a cool-down", i+1)
		}
	}
	if lw.add("p/B", start.Add(time.Minute)) {
		t.Fatal("two different posts started a cool-down")
	}
	if !lw.add("p/C", start.Add(2*time.Minute)) {
		t.Fatalf("%d different posts within %s did not start a cool-down", loginWallPosts, loginWallWindow)
	}
	// The evidence was used up: the next cool-down needs new walls.
	if lw.add("p/D", start.Add(3*time.Minute)) {
		t.Fatal("a cool-down started again on evidence already used")
	}
}

func TestLoginWallsWindow(t *testing.T) {
	var lw loginWalls
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lw.add("p/A", start)
	lw.add("p/B", start.Add(time.Minute))
	// p/A is out of the window by now.
	if lw.add("p/C", start.Add(loginWallWindow)) {
		t.Fatal("a login wall older than the window counted")
	}
	if len(lw.seen) != 2 {
		t.Fatalf("%d posts remembered, want 2 (old ones forgotten)", len(lw.seen))
	}
}

// TestReportToPacer checks which answers start the bridge-wide cool-down.
func TestReportToPacer(t *testing.T) {
	post := func(code string) media.Link { return media.Link{Kind: media.LinkPost, PathKind: "p", Shortcode: code} }
	share := media.Link{Kind: media.LinkShare, ShareCode: "BAshare"}
	newConnector := func() *Connector {
		return &Connector{pacer: pacing.New(pacing.Config{CooldownInitial: time.Hour, CooldownMax: time.Hour}, nil)}
	}
	wall := &media.FetchError{Class: media.ClassLoginRequired}

	ic := newConnector()
	for range 5 {
		ic.reportToPacer(post("A"), wall)
	}
	if !ic.pacer.CooldownUntil().IsZero() {
		t.Fatal("repeated login walls on one post started the bridge-wide cool-down")
	}
	ic.reportToPacer(share, &media.FetchError{Class: media.ClassNetwork})
	if !ic.pacer.CooldownUntil().IsZero() {
		t.Fatal("a 503 resolving a share link started the cool-down")
	}
	ic.reportToPacer(post("B"), wall)
	ic.reportToPacer(post("C"), wall)
	if ic.pacer.CooldownUntil().IsZero() {
		t.Fatalf("login walls on %d different posts did not start the cool-down", loginWallPosts)
	}

	ic = newConnector()
	ic.reportToPacer(share, &media.FetchError{Class: media.ClassRateLimited})
	if ic.pacer.CooldownUntil().IsZero() {
		t.Fatal("a 429 resolving a share link did not start the cool-down")
	}
}
