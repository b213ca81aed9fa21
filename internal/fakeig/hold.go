package fakeig

import (
	"io"
	"net/http"
	"strings"
	"sync"
)

// holds are the request holds set with Hold, checked in order.
type holds struct {
	mu   sync.Mutex
	list []*hold
}

type hold struct {
	pathPrefix string
	midBody    bool
	released   chan struct{}
	once       sync.Once
}

// Hold makes every request whose path starts with pathPrefix wait, until the returned release is
// called, the client goes away or the fake closes (then the response is aborted). Without
// midBody the request waits before it is answered at all; with midBody a CDN file is answered
// with its headers and the first half of its bytes first, like a download that stalls.
// Requests are logged before they wait, so WaitForRequest sees a held request.
func (s *Server) Hold(pathPrefix string, midBody bool) (release func()) {
	h := &hold{pathPrefix: pathPrefix, midBody: midBody, released: make(chan struct{})}
	s.holds.mu.Lock()
	s.holds.list = append(s.holds.list, h)
	s.holds.mu.Unlock()
	return func() {
		h.once.Do(func() {
			close(h.released)
			s.holds.mu.Lock()
			defer s.holds.mu.Unlock()
			for i, other := range s.holds.list {
				if other == h {
					s.holds.list = append(s.holds.list[:i], s.holds.list[i+1:]...)
					break
				}
			}
		})
	}
}

// holdFor returns the first hold on a path, or nil.
func (s *Server) holdFor(path string) *hold {
	s.holds.mu.Lock()
	defer s.holds.mu.Unlock()
	for _, h := range s.holds.list {
		if strings.HasPrefix(path, h.pathPrefix) {
			return h
		}
	}
	return nil
}

// await waits for h to be released; a wait cut short aborts the response.
func (s *Server) await(r *http.Request, h *hold) {
	select {
	case <-h.released:
	case <-r.Context().Done():
		panic(http.ErrAbortHandler)
	case <-s.closed:
		panic(http.ErrAbortHandler)
	}
}

// holdBefore waits out a hold on the request that applies before its answer.
func (s *Server) holdBefore(r *http.Request) {
	if h := s.holdFor(r.URL.Path); h != nil && !h.midBody {
		s.await(r, h)
	}
}

// stallingBody returns body, or, when a mid-body hold applies to the request, a body that sends
// the first half of size bytes and then waits for the hold.
func (s *Server) stallingBody(w http.ResponseWriter, r *http.Request, body io.ReadSeeker, size int64) io.ReadSeeker {
	h := s.holdFor(r.URL.Path)
	if h == nil || !h.midBody {
		return body
	}
	return &stallingReader{ReadSeeker: body, left: size / 2, stall: func() {
		// The first half must reach the client before the stall, not wait in a buffer.
		_ = http.NewResponseController(w).Flush()
		s.await(r, h)
	}}
}

// stallingReader reads left bytes, then calls stall once before reading on.
type stallingReader struct {
	io.ReadSeeker
	left  int64
	stall func()
}

func (sr *stallingReader) Read(p []byte) (int, error) {
	if sr.left == 0 && sr.stall != nil {
		sr.stall()
		sr.stall = nil
	}
	if sr.stall != nil && int64(len(p)) > sr.left {
		p = p[:sr.left]
	}
	n, err := sr.ReadSeeker.Read(p)
	if sr.stall != nil {
		sr.left -= int64(n)
	}
	return n, err
}
