package fakeig

import (
	"net/http"
	"testing"
	"time"
)

func TestSetDelay(t *testing.T) {
	t.Parallel()
	s := Start(t)
	const d = 300 * time.Millisecond
	s.SetDelay(CodeSlow, d)
	start := time.Now()
	resp, _ := get(t, s.Client(), PostURL(CodeSlow))
	if elapsed := time.Since(start); resp.StatusCode != http.StatusOK || elapsed < d {
		t.Errorf("status %d after %v, want 200 after at least %v", resp.StatusCode, elapsed, d)
	}
	// The post's CDN files are delayed too.
	start = time.Now()
	get(t, s.Client(), mustFixture(t, s, CodeSlow).Items[0].MediaURL)
	if elapsed := time.Since(start); elapsed < d {
		t.Errorf("media answered after %v, want at least %v", elapsed, d)
	}
	s.SetDelay(CodeSlow, 0)
	start = time.Now()
	get(t, s.Client(), PostURL(CodeSlow))
	if elapsed := time.Since(start); elapsed >= d {
		t.Errorf("delay not removed: %v", elapsed)
	}
}

func TestSetDelayByStoryID(t *testing.T) {
	t.Parallel()
	s := Start(t)
	const d = 200 * time.Millisecond
	s.SetDelay(StoryID, d)
	start := time.Now()
	resp, _ := get(t, s.Client(), StoryURL(StoryID), "Cookie", "sessionid="+validSessionID)
	if elapsed := time.Since(start); resp.StatusCode != http.StatusOK || elapsed < d {
		t.Errorf("status %d after %v, want 200 after at least %v", resp.StatusCode, elapsed, d)
	}
}

// TestCloseAbortsDelayedResponses: a hanging response must not block Close.
func TestCloseAbortsDelayedResponses(t *testing.T) {
	t.Parallel()
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s.SetDelay(CodeSlow, time.Hour)
	errc := make(chan error, 1)
	go func() {
		resp, err := s.Client().Get(PostURL(CodeSlow))
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	s.WaitForRequest(t, "", "/p/", 10*time.Second)
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Close took %v", elapsed)
	}
	if err := <-errc; err == nil {
		t.Error("delayed request succeeded after Close")
	}
	if r := s.Requests()[0]; r.Status != 0 {
		t.Errorf("aborted request logged with status %d, want 0", r.Status)
	}
}
