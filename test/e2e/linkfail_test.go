package e2e

import (
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"

	"github.com/igbridge/igbridge/internal/fakeig"
)

// TestLoginWallIsThePostsFailure: a login-walled post is answered at once with one line, and
// another room's link posted right after is answered without waiting for a cool-down.
func TestLoginWallIsThePostsFailure(t *testing.T) {
	// A cool-down this long would leave room B unanswered far beyond replyTimeout.
	e := startEnv(t, envOptions{network: map[string]any{
		"rate_limit": map[string]any{"requests_per_minute": 6000, "min_interval": "1ms", "cooldown": "1h", "max_cooldown": "1h"},
		"retry":      map[string]any{"max_attempts": 3, "base_delay": "50ms", "max_delay": "200ms"},
	}})
	alice := e.hs.RegisterUser(t, "alice")
	roomA := e.watchedRoom(t, alice)
	roomB := e.watchedRoom(t, alice)

	wallID := alice.SendText(t, roomA, "https://www.instagram.com/p/"+fakeig.CodeLoginWall+"/")
	got := waitReplies(t, alice, roomA, wallID, 1)
	content := got[0].Content.AsMessage()
	if got[0].Sender != e.bot || content.MsgType != event.MsgNotice || content.Body != "Instagram asks for a login for this post; the bridge can only fetch public posts." {
		t.Fatalf("login wall: got %s %q from %s, want the one-line notice from the bot", content.MsgType, content.Body, got[0].Sender)
	}
	if n := e.ig.CountRequests("www.instagram.com", "/p/"+fakeig.CodeLoginWall); n != 1 {
		t.Fatalf("the login-walled post was requested %d times, want once (no retries)", n)
	}

	start := time.Now()
	_, got = sendAndWait(t, alice, roomB, "https://www.instagram.com/reel/"+fakeig.CodeReel+"/", 1)
	if got[0].Sender != ghostID("instagram") || got[0].Content.AsMessage().MsgType != event.MsgVideo {
		t.Fatalf("room B: got %q from %s, want the reel from the ghost", got[0].Content.AsMessage().Body, got[0].Sender)
	}
	t.Logf("room B answered %v after its link", since(start))
}

// TestShareLinkRetriedAfter503: a share link whose resolution fails with a 503 is retried, not
// cached as "not a public post", and answered with the post.
func TestShareLinkRetriedAfter503(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	e.ig.FailShareNext(fakeig.ShareCode, 1)

	_, got := sendAndWait(t, alice, roomID, "https://www.instagram.com/share/reel/"+fakeig.ShareCode+"/", 1)
	if got[0].Sender != ghostID("instagram") || got[0].Content.AsMessage().MsgType != event.MsgVideo {
		t.Fatalf("share link: got %q from %s, want the reel from the ghost", got[0].Content.AsMessage().Body, got[0].Sender)
	}
	if n := e.ig.CountRequests("www.instagram.com", "/share/reel/"+fakeig.ShareCode+"/"); n != 2 {
		t.Fatalf("the share link was requested %d times, want twice (503, then the redirect)", n)
	}
}

// TestShareLinkRateLimited: a 429 resolving a share link starts the bridge-wide cool-down that
// extractions wait for too: status reports it, a post linked in another room meanwhile is fetched
// only after it ends, and the share link is then answered with its post.
func TestShareLinkRateLimited(t *testing.T) {
	const cooldown = 3 * time.Second
	e := startEnv(t, envOptions{network: map[string]any{
		"rate_limit": map[string]any{"requests_per_minute": 6000, "min_interval": "1ms", "cooldown": cooldown.String(), "max_cooldown": "10s"},
		"retry":      map[string]any{"max_attempts": 3, "base_delay": "10ms", "max_delay": "50ms"},
	}})
	alice := e.hs.RegisterUser(t, "alice")
	roomA := e.watchedRoom(t, alice)
	roomB := e.watchedRoom(t, alice)
	e.ig.RateLimitShareNext(fakeig.ShareCode, 1)
	sharePath := "/share/reel/" + fakeig.ShareCode + "/"

	shareID := alice.SendText(t, roomA, "https://www.instagram.com"+sharePath)
	e.waitStatus(t, alice, roomB, "Instagram is rate-limiting the bridge: paused until")
	_, got := sendAndWait(t, alice, roomB, fakeig.PostURL(fakeig.CodeImage), 1)
	if got[0].Content.AsMessage().MsgType != event.MsgImage {
		t.Fatalf("room B's post got %q", got[0].Content.AsMessage().Body)
	}
	got = waitReplies(t, alice, roomA, shareID, 1)
	if got[0].Sender != ghostID("instagram") || got[0].Content.AsMessage().MsgType != event.MsgVideo {
		t.Fatalf("share link: got %q from %s, want the reel from the ghost", got[0].Content.AsMessage().Body, got[0].Sender)
	}

	var shares, posts []time.Time
	for _, r := range e.ig.Requests() {
		switch {
		case r.Path == sharePath:
			shares = append(shares, r.Time)
		case strings.HasPrefix(r.Path, "/p/"+fakeig.CodeImage):
			posts = append(posts, r.Time)
		}
	}
	if len(shares) != 2 || len(posts) == 0 {
		t.Fatalf("%d share requests and %d for room B's post, want 2 (429, then the redirect) and some", len(shares), len(posts))
	}
	if gap := shares[1].Sub(shares[0]); gap < cooldown {
		t.Errorf("the share link was retried %v after its 429, before the %v cool-down ended", gap, cooldown)
	}
	if gap := posts[0].Sub(shares[0]); gap < cooldown {
		t.Errorf("room B's post was fetched %v after the share link's 429, before the %v cool-down ended", gap, cooldown)
	}
	t.Logf("after the 429: share retried %v later, room B's post fetched %v later", shares[1].Sub(shares[0]), posts[0].Sub(shares[0]))
}
