package fakeig

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestHold: a held page is answered only after release; a mid-body hold sends the headers and
// the first half of a file, then the rest after release.
func TestHold(t *testing.T) {
	t.Parallel()
	s := Start(t)
	release := s.Hold("/p/"+CodeImage, false)
	answered := make(chan int)
	go func() {
		resp, _ := get(t, s.Client(), PostURL(CodeImage))
		answered <- resp.StatusCode
	}()
	s.WaitForRequest(t, "www.instagram.com", "/p/"+CodeImage, 10*time.Second)
	select {
	case status := <-answered:
		t.Fatalf("held page answered %d before release", status)
	default:
	}
	release()
	if status := <-answered; status != http.StatusOK {
		t.Fatalf("released page answered %d", status)
	}

	mediaURL := mustFixture(t, s, CodeReel).Items[0].MediaURL
	want, _ := s.Media(mediaURL)
	u, _ := url.Parse(mediaURL)
	release = s.Hold(u.Path, true)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, mediaURL, nil)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	half := make([]byte, len(want)/2)
	if _, err = io.ReadFull(resp.Body, half); err != nil || !bytes.Equal(half, want[:len(half)]) {
		t.Fatalf("first half: %v", err)
	}
	rest := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(resp.Body)
		rest <- b
	}()
	select {
	case b := <-rest:
		t.Fatalf("%d more bytes before release", len(b))
	case <-time.After(100 * time.Millisecond): // nothing may arrive meanwhile
	}
	release()
	if b := <-rest; !bytes.Equal(append(half, b...), want) {
		t.Fatalf("after release: %d bytes, want the other %d", len(b), len(want)-len(half))
	}
}
