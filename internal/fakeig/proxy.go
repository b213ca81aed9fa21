package fakeig

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// serveProxy is the handler of the proxy port. It never dials out: CONNECT to
// a fake host is terminated here with the fake's certificate, plain
// absolute-form requests for fake hosts are answered directly, the rest is refused.
func (s *Server) serveProxy(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "fakeig: closing", http.StatusServiceUnavailable)
		return
	}
	defer s.leave()

	if s.unreachable.Load() {
		s.refuse(w, r, http.StatusBadGateway, "Instagram is unreachable (SetUnreachable)")
		return
	}
	if r.Method == http.MethodConnect {
		s.serveConnect(w, r)
		return
	}
	if r.URL.Scheme != "http" || r.URL.Host == "" {
		s.refuse(w, r, http.StatusBadRequest, "fakeig is a proxy: send absolute-form or CONNECT requests")
		return
	}
	if _, port, err := net.SplitHostPort(r.URL.Host); err == nil && port != "80" {
		s.refuse(w, r, http.StatusBadGateway, "fakeig only answers port 80 for http")
		return
	}
	if !isFakeHost(hostOnly(r.URL.Host)) {
		s.refuse(w, r, http.StatusBadGateway, "fakeig does not forward to "+r.URL.Host)
		return
	}
	s.serveFake(w, r)
}

func (s *Server) serveConnect(w http.ResponseWriter, r *http.Request) {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil || port != "443" || !isFakeHost(hostOnly(host)) {
		s.refuse(w, r, http.StatusBadGateway, "fakeig does not forward to "+r.Host)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "fakeig: cannot hijack", http.StatusInternalServerError)
		return
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		s.logf("fakeig: failed to hijack CONNECT %s: %v", r.Host, err)
		return
	}
	// The proxy server's header deadline must not cut the tunnel.
	_ = conn.SetDeadline(time.Time{})
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection Established\r\n\r\n"); err != nil {
		conn.Close()
		return
	}
	tlsConn := tls.Server(withBuffered(conn, rw.Reader), s.tlsConfig)
	if !s.tlsLn.push(tlsConn) {
		tlsConn.Close()
	}
}

// refuse answers a request the fake will not serve and logs it, so tests can
// assert that nothing tried to leave loopback.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	path := r.URL.Path
	if r.Method == http.MethodConnect {
		path = ""
	}
	s.log.add(Request{
		Time: time.Now(), Method: r.Method, Host: hostOnly(r.Host), Path: path,
		RawQuery: r.URL.RawQuery, Status: status, Scheme: r.URL.Scheme,
	})
	s.logf("fakeig: refused %s %s: %s", r.Method, r.Host, msg)
	http.Error(w, fmt.Sprintf("fakeig: %s", msg), status)
}

// bufferedConn replays bytes the HTTP server had already read past the
// CONNECT request (a client that sends its ClientHello eagerly).
type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func withBuffered(conn net.Conn, br *bufio.Reader) net.Conn {
	if br == nil || br.Buffered() == 0 {
		return conn
	}
	// br drains its buffer first, then reads the conn itself.
	return &bufferedConn{Conn: conn, r: br}
}
