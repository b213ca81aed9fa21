package pacing

import (
	"testing"
	"time"

	"github.com/igbridge/igbridge/internal/fakeclock"
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

// TestLoginWalled checks that the pacer cools down after login walls on several different posts,
// counted on its own clock, and not after one post walled again and again.
func TestLoginWalled(t *testing.T) {
	clock := fakeclock.New()
	p := New(Config{CooldownInitial: time.Minute}, clock)
	for range 5 {
		p.LoginWalled("p/A")
	}
	clock.Advance(time.Minute)
	p.LoginWalled("p/B")
	if !p.CooldownUntil().IsZero() {
		t.Fatal("login walls on two posts started a cool-down")
	}
	// p/A leaves the window, p/B stays in it.
	clock.Advance(loginWallWindow - time.Minute)
	p.LoginWalled("p/C")
	if !p.CooldownUntil().IsZero() {
		t.Fatal("a login wall older than the window counted")
	}
	p.LoginWalled("p/D")
	if got := p.CooldownUntil().Sub(clock.Now()); got != time.Minute {
		t.Fatalf("login walls on %d posts within %s started a cool-down of %v, want %v", loginWallPosts, loginWallWindow, got, time.Minute)
	}
}
