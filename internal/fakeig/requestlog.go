package fakeig

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is one request the fake saw, logged on arrival.
type Request struct {
	Time     time.Time // arrival
	Method   string
	Host     string // without port
	Path     string // "" for CONNECT
	RawQuery string
	Status   int  // 0 while in flight or when the response was aborted (Close, client gone)
	Cookie   bool // a sessionid cookie was sent (valid or not)

	Scheme    string // "https" (through CONNECT) or "http"
	Referer   string
	Range     string
	UserAgent string
}

type requestLog struct {
	mu   sync.Mutex
	reqs []Request
	// grew is closed and replaced whenever a request is logged, to wake WaitForRequest.
	grew chan struct{}
}

// add appends r and returns its index for setStatus.
func (l *requestLog) add(r Request) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, r)
	if l.grew != nil {
		close(l.grew)
		l.grew = nil
	}
	return len(l.reqs) - 1
}

// WaitForRequest waits until a request whose Host ends with hostSuffix and whose Path starts with
// pathPrefix has arrived (one already logged counts) and returns it; it fails the test after timeout.
func (s *Server) WaitForRequest(t testing.TB, hostSuffix, pathPrefix string, timeout time.Duration) Request {
	t.Helper()
	return s.WaitForRequestFunc(t, hostSuffix+pathPrefix, timeout, func(r Request) bool {
		return strings.HasSuffix(r.Host, hostSuffix) && strings.HasPrefix(r.Path, pathPrefix)
	})
}

// WaitForRequestFunc waits until a request that match accepts has arrived (one already logged
// counts) and returns it; it fails the test after timeout, naming the request by what.
func (s *Server) WaitForRequestFunc(t testing.TB, what string, timeout time.Duration, match func(Request) bool) Request {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.log.mu.Lock()
		for _, r := range s.log.reqs {
			if match(r) {
				s.log.mu.Unlock()
				return r
			}
		}
		if s.log.grew == nil {
			s.log.grew = make(chan struct{})
		}
		grew := s.log.grew
		s.log.mu.Unlock()
		select {
		case <-grew:
		case <-deadline.C:
			t.Fatalf("fakeig: no request to %s within %v", what, timeout)
		}
	}
}

func (l *requestLog) setStatus(i, status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs[i].Status = status
}

// Requests returns a copy of the request log so far, in arrival order.
func (s *Server) Requests() []Request {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return append([]Request(nil), s.log.reqs...)
}

// CountRequests counts logged requests whose Host ends with hostSuffix and
// whose Path starts with pathPrefix (e.g. "www.instagram.com", "/p/"); empty
// strings match everything.
func (s *Server) CountRequests(hostSuffix, pathPrefix string) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.Host, hostSuffix) && strings.HasPrefix(r.Path, pathPrefix) {
			n++
		}
	}
	return n
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (to flush a stalling body).
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
