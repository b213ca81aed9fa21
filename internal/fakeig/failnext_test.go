package fakeig

import (
	"net/http"
	"testing"
	"time"
)

func TestFailNextAndWaitForRequest(t *testing.T) {
	t.Parallel()
	s := Start(t)
	s.FailNext(BulkCode(3), 2)
	client := s.Client()
	var got []int
	for range 3 {
		resp, err := client.Get("https://www.instagram.com/p/" + BulkCode(3))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got = append(got, resp.StatusCode)
	}
	if got[0] != http.StatusTooManyRequests || got[1] != http.StatusTooManyRequests || got[2] != http.StatusOK {
		t.Fatalf("statuses = %v, want 429, 429, 200", got)
	}
	if r := s.WaitForRequest(t, "www.instagram.com", "/p/"+BulkCode(3), time.Second); r.Method != http.MethodGet {
		t.Fatalf("logged request = %+v", r)
	}
}

func TestSetUnreachable(t *testing.T) {
	t.Parallel()
	s := Start(t)
	client := s.Client()
	s.SetUnreachable(true)
	if resp, err := client.Get(PostURL(CodeImage)); err == nil {
		resp.Body.Close()
		t.Fatalf("got %d while unreachable, want a proxy error", resp.StatusCode)
	}
	s.SetUnreachable(false)
	resp, err := client.Get(PostURL(CodeImage))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d after SetUnreachable(false), want 200", resp.StatusCode)
	}
}

func TestShareFailures(t *testing.T) {
	t.Parallel()
	s := Start(t)
	s.FailShareNext(ShareCode, 1)
	s.RateLimitShareNext(ShareCode, 1)
	client := *s.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	var got []int
	for range 3 {
		resp, err := client.Get("https://www.instagram.com/share/reel/" + ShareCode + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got = append(got, resp.StatusCode)
	}
	if got[0] != http.StatusServiceUnavailable || got[1] != http.StatusTooManyRequests || got[2] != http.StatusFound {
		t.Fatalf("statuses = %v, want 503, 429, 302", got)
	}
}
