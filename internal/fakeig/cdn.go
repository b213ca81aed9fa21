package fakeig

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// mediaStore produces the bytes of catalog files; JPEGs are cached because
// encoding them is the only costly part.
type mediaStore struct {
	cat   *catalog
	mu    sync.Mutex
	jpegs map[string][]byte
}

func newMediaStore(cat *catalog) *mediaStore {
	return &mediaStore{cat: cat, jpegs: map[string][]byte{}}
}

// open returns the content of the file with this key as a ReadSeeker.
func (m *mediaStore) open(key string) (*mediaFile, io.ReadSeeker, error) {
	f := m.cat.files[key]
	if f == nil {
		return nil, nil, nil
	}
	if f.real != "" {
		files, err := realFiles(f.code)
		if err != nil {
			return nil, nil, err
		}
		return f, bytes.NewReader(files[f.real]), nil
	}
	if f.video {
		v := newSyntheticMP4(f.size, f.seed)
		return f, io.NewSectionReader(v, 0, v.size), nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.jpegs[key]
	if !ok {
		var err error
		if b, err = renderJPEG(f.width, f.height, f.seed); err != nil {
			return nil, nil, err
		}
		m.jpegs[key] = b
	}
	return f, bytes.NewReader(b), nil
}

// Media returns the exact bytes the fake serves at a CDN URL of a fixture.
func (s *Server) Media(url string) ([]byte, bool) {
	_, r, err := s.media.open(mediaKey(url))
	if err != nil || r == nil {
		return nil, false
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, false
	}
	return b, true
}

// serveCDN serves fixture media with Content-Type, Content-Length and Range
// support; unknown paths are 404 like an unsigned CDN URL.
func (s *Server) serveCDN(w http.ResponseWriter, r *http.Request) {
	f, body, err := s.media.open(requestMediaKey(r.Host, r.URL.EscapedPath()))
	if err != nil {
		http.Error(w, fmt.Sprintf("fakeig: %v", err), http.StatusInternalServerError)
		return
	}
	if body == nil {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	s.wait(r, f.code)
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Cache-Control", "max-age=1209600, no-transform")
	size, err := body.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = body.Seek(0, io.SeekStart)
	}
	if err != nil {
		http.Error(w, fmt.Sprintf("fakeig: %v", err), http.StatusInternalServerError)
		return
	}
	http.ServeContent(w, r, "", time.Time{}, s.stallingBody(w, r, body, size))
}
