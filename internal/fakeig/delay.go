package fakeig

import (
	"net/http"
	"sync"
	"time"
)

type delays struct {
	mu       sync.Mutex
	by       map[string]time.Duration
	failNext map[string]int
}

// SetDelay makes every response about the post or story with this shortcode
// (or StoryID) wait d before answering: pages, API calls and its CDN files.
// d <= 0 removes the delay. Waiting responses are aborted by Close or when the
// client goes away.
func (s *Server) SetDelay(code string, d time.Duration) {
	key := code
	if f := s.cat.lookup(code); f != nil {
		key = f.Code
	}
	s.delays.mu.Lock()
	defer s.delays.mu.Unlock()
	if s.delays.by == nil {
		s.delays.by = make(map[string]time.Duration)
	}
	if d <= 0 {
		delete(s.delays.by, key)
		return
	}
	s.delays.by[key] = d
}

func (s *Server) delayFor(key string) time.Duration {
	s.delays.mu.Lock()
	defer s.delays.mu.Unlock()
	return s.delays.by[key]
}

// wait applies the delay of key. When the wait is cut short the handler's
// response is aborted (connection dropped), like a hanging server.
func (s *Server) wait(r *http.Request, key string) {
	d := s.delayFor(key)
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		panic(http.ErrAbortHandler)
	case <-s.closed:
		panic(http.ErrAbortHandler)
	}
}

// FailNext makes the next n requests for the post page of code answer 429 Too Many Requests, as
// Instagram does in a burst of rate limiting; after them the post is served normally.
func (s *Server) FailNext(code string, n int) {
	s.delays.mu.Lock()
	defer s.delays.mu.Unlock()
	if s.delays.failNext == nil {
		s.delays.failNext = make(map[string]int)
	}
	s.delays.failNext[code] = n
}

// FailShareNext makes the next n requests for the share link /share/.../code answer 503 Service
// Unavailable, as Instagram does when it is briefly down; after them the link redirects normally.
func (s *Server) FailShareNext(code string, n int) {
	s.FailNext(shareFailureKey(code), n)
}

// RateLimitShareNext makes the next n requests for the share link /share/.../code answer 429 Too
// Many Requests; after them the link redirects normally.
func (s *Server) RateLimitShareNext(code string, n int) {
	s.FailNext(shareRateLimitKey(code), n)
}

func shareFailureKey(code string) string { return "share/" + code }

func shareRateLimitKey(code string) string { return "share429/" + code }

// takeFailure reports whether this request for code is one FailNext asked to fail.
func (s *Server) takeFailure(code string) bool {
	s.delays.mu.Lock()
	defer s.delays.mu.Unlock()
	if s.delays.failNext[code] > 0 {
		s.delays.failNext[code]--
		return true
	}
	return false
}

// SetUnreachable makes the proxy answer every CONNECT and request with 502 Bad Gateway while on,
// as a proxy does when Instagram cannot be reached; off serves normally again.
func (s *Server) SetUnreachable(on bool) {
	s.unreachable.Store(on)
}
