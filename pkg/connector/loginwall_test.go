package connector

import (
	"testing"
	"time"
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
