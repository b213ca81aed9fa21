package fakeig

import (
	"net/http"
	"time"
)

// serveFake logs and dispatches a decrypted (or plain http) request by host.
func (s *Server) serveFake(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "fakeig: closing", http.StatusServiceUnavailable)
		return
	}
	defer s.leave()
	if s.unreachable.Load() {
		// A tunnel opened before SetUnreachable: drop it, as a lost connection would be.
		panic(http.ErrAbortHandler)
	}

	host := hostOnly(r.Host)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	present, _ := sessionState(r)
	idx := s.log.add(Request{
		Time: time.Now(), Method: r.Method, Host: host, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Cookie: present, Scheme: scheme, Referer: r.Referer(), Range: r.Header.Get("Range"), UserAgent: r.UserAgent(),
	})
	rec := &statusRecorder{ResponseWriter: w}
	defer func() { s.log.setStatus(idx, rec.status) }()
	s.holdBefore(r)

	switch {
	case !isFakeHost(host):
		// Only reachable with a Host header that differs from the CONNECT target.
		s.logf("fakeig: refused request for host %q inside a tunnel", r.Host)
		http.Error(rec, "fakeig: unknown host "+host, http.StatusBadGateway)
	case isInstagramHost(host):
		s.serveInstagram(rec, r)
	case isShortHost(host):
		redirect(rec, "https://www.instagram.com"+r.URL.RequestURI(), http.StatusMovedPermanently)
	case isCDNHost(host):
		s.serveCDN(rec, r)
	default:
		http.Error(rec, "fakeig: unknown host "+host, http.StatusBadGateway)
	}
}

func redirect(w http.ResponseWriter, location string, status int) {
	w.Header().Set("Location", location)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
}
