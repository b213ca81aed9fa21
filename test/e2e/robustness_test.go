package e2e

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/igbridge/igbridge/internal/fakeig"
)

// TestTransactionAuth sends hand-made transactions to the appservice port: what a homeserver that
// is misconfigured, or someone who is not the homeserver, would send.
func TestTransactionAuth(t *testing.T) {
	e := startEnv(t, envOptions{})
	put := func(path, auth, body string) int {
		req, _ := http.NewRequest(http.MethodPut, e.asURL+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("PUT %s failed: %v", path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	cases := []struct {
		name, path, auth, body string
		want                   int
	}{
		{"wrong token", "/_matrix/app/v1/transactions/t1", "not-the-token", `{"events":[]}`, http.StatusForbidden},
		{"wrong query token", "/_matrix/app/v1/transactions/t2?access_token=nope", "", `{"events":[]}`, http.StatusForbidden},
		{"malformed JSON", "/_matrix/app/v1/transactions/t3", e.hsTok, `{"events":[`, http.StatusBadRequest},
		{"token in header", "/_matrix/app/v1/transactions/t4", e.hsTok, `{"events":[]}`, http.StatusOK},
		{"token in query", "/_matrix/app/v1/transactions/t5?access_token=" + e.hsTok, "", `{"events":[]}`, http.StatusOK},
	}
	for _, tc := range cases {
		if got := put(tc.path, tc.auth, tc.body); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, e.asURL+"/_matrix/app/v1/ping", strings.NewReader(`{"transaction_id":"p1"}`))
	req.Header.Set("Authorization", "Bearer "+e.hsTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("ping: %v %v", resp, err)
	}
	resp.Body.Close()
	if strings.Contains(e.logBuf.String(), e.hsTok) {
		t.Fatalf("the hs_token from the query string reached the log")
	}
	// The bridge still works after all that.
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	sendAndWait(t, alice, roomID, "https://www.instagram.com/reel/"+fakeig.CodeReel+"/", 1)
}

// TestHostileMessages posts a huge message and one with hundreds of links.
func TestHostileMessages(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)

	// As close to the 64 KiB event limit as the homeserver accepts, with the link at the very end.
	big := strings.Repeat("lorem ipsum ", 62<<10/12) + " https://www.instagram.com/p/" + fakeig.CodeImage + "/"
	_, got := sendAndWait(t, alice, roomID, big, 1)
	if got[0].Content.AsMessage().MsgType != event.MsgImage {
		t.Fatalf("the link at the end of a 64 KiB message was not answered with the image")
	}

	var many strings.Builder
	for i := range 500 {
		many.WriteString("https://www.instagram.com/p/Many" + strings.Repeat("x", i%7) + string(rune('A'+i%26)) + "/ ")
	}
	manyID := alice.SendText(t, roomID, many.String())
	e.settle(t, alice, roomID)
	if n := e.queryInt("SELECT COUNT(*) FROM igbridge_queue_job WHERE event_id=$1", manyID); n != 3 {
		t.Fatalf("%d links of a 500-link message were accepted, want max_links_per_message=3", n)
	}
	waitReplies(t, alice, roomID, manyID, 3)
}

// TestYtdlpHangs makes Instagram hang: yt-dlp is killed at the timeout, the user gets one line,
// and the next link works.
func TestYtdlpHangs(t *testing.T) {
	e := startEnv(t, envOptions{network: map[string]any{"ytdlp": map[string]any{"timeout": "3s"}}})
	e.ig.SetDelay(fakeig.CodeSlow, time.Minute)
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	start := time.Now()
	_, got := sendAndWait(t, alice, roomID, "https://www.instagram.com/p/"+fakeig.CodeSlow+"/", 1)
	content := got[0].Content.AsMessage()
	if content.MsgType != event.MsgNotice {
		t.Fatalf("got %s %q, want a notice", content.MsgType, content.Body)
	}
	mustContain(t, "notice", strings.ToLower(content.Body), "too long")
	t.Logf("timeout answer after %v", since(start))
	sendAndWait(t, alice, roomID, "https://www.instagram.com/reel/"+fakeig.CodeReel+"/", 1)
}

// TestYtdlpGarbage replaces yt-dlp with a program that prints garbage.
func TestYtdlpGarbage(t *testing.T) {
	script := writeScript(t, "garbage-ytdlp", "#!/bin/sh\necho '{this is not json'\nexit 0\n")
	e := startEnv(t, envOptions{network: map[string]any{"ytdlp": map[string]any{"command": []any{script}}}})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	_, got := sendAndWait(t, alice, roomID, "https://www.instagram.com/reel/"+fakeig.CodeReel+"/", 1)
	if got[0].Content.AsMessage().MsgType != event.MsgNotice || got[0].Sender != e.bot {
		t.Fatalf("garbage output gave %q from %s", got[0].Content.AsMessage().Body, got[0].Sender)
	}
	mustContain(t, "status", e.waitIdle(t, alice, roomID, replyTimeout).Content.AsMessage().Body, "failed: 1")
}

// TestGhostCannotJoin: in a room where only admins may invite, the ghost cannot get in, so the
// bot posts the media itself.
func TestGhostCannotJoin(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice := e.hs.RegisterUser(t, "alice")
	ctx := t.Context()
	resp, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{
		Preset: "private_chat",
		PowerLevelOverride: &event.PowerLevelsEventContent{
			Users:         map[id.UserID]int{alice.UserID: 100},
			InvitePtr:     ptr(100),
			EventsDefault: 0,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	alice.Invite(t, resp.RoomID, e.bot)
	alice.WaitForMembership(t, resp.RoomID, e.bot, event.MembershipJoin, replyTimeout)
	_, got := sendAndWait(t, alice, resp.RoomID, "https://www.instagram.com/reel/"+fakeig.CodeReel+"/", 1)
	if got[0].Sender != e.bot || got[0].Content.AsMessage().MsgType != event.MsgVideo {
		t.Fatalf("got %s from %s, want the video from the bot", got[0].Content.AsMessage().MsgType, got[0].Sender)
	}
	fixture, _ := e.ig.Fixture(fakeig.CodeReel)
	e.checkMedia(t, alice, got[0], fixture.Items[0].MediaURL)
}

func ptr[T any](v T) *T { return &v }

// TestHomeserverRestart: the homeserver goes away and comes back; the bridge keeps answering.
func TestHomeserverRestart(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice := e.hs.RegisterUser(t, "alice")
	roomID := e.watchedRoom(t, alice)
	e.hs.Stop(t)
	e.hs.Restart(t)
	sendAndWait(t, alice, roomID, "https://www.instagram.com/reel/"+fakeig.CodeReel+"/", 1)
}

func writeExecutable(path, content string) error {
	return os.WriteFile(path, []byte(content), 0o755)
}

// TestListenAddressTaken: a second bridge on the first one's port stops at once with exit code 24
// and a line naming the address, instead of running without a listener.
func TestListenAddressTaken(t *testing.T) {
	e := startEnv(t, envOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, bridgeBinary, "-c", e.bridge.cfgPath, "-r", e.bridge.regPath, "--ignore-unsupported-server")
	second.Dir = e.bridge.dir
	second.Env = withoutProxyVars(os.Environ())
	out, err := second.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 24 {
		t.Fatalf("second bridge: %v, want exit code 24\n%s", err, tail(string(out), 20))
	}
	addr := strings.TrimPrefix(e.bridge.asURL, "http://")
	if !strings.Contains(string(out), "The appservice address cannot be bound") || !strings.Contains(string(out), addr) {
		t.Fatalf("no line naming %s:\n%s", addr, tail(string(out), 20))
	}
}
