package fakeig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Server is a running fake Instagram.
type Server struct {
	ProxyURL string // "http://127.0.0.1:PORT"
	CAFile   string // PEM file of the CA that signs the fake's certificates
	CAPool   *x509.CertPool

	dir       string
	tlsConfig *tls.Config
	proxyLn   net.Listener
	tlsLn     *chanListener
	proxySrv  *http.Server
	fakeSrv   *http.Server
	serving   sync.WaitGroup

	cat    *catalog
	media  *mediaStore
	log    requestLog
	delays delays
	holds  holds
	logf   func(format string, args ...any)
	// unreachable makes the proxy refuse every tunnel and request, see SetUnreachable.
	unreachable atomic.Bool

	// mu guards closing; handlers register in active so Close can wait for them.
	mu       sync.Mutex
	isClosed bool
	closed   chan struct{}
	active   sync.WaitGroup
}

// Start starts a fake with the default fixtures; it is closed in t.Cleanup.
// Refused (non-fake) requests are reported with t.Logf.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := newServer(t.Logf)
	if err != nil {
		t.Fatalf("failed to start fake Instagram: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("failed to close fake Instagram: %v", err)
		}
	})
	return s
}

// New starts a fake with the default fixtures, for use outside tests (a
// benchmark command, a demo mode). Call Close when done.
func New() (*Server, error) {
	return newServer(func(string, ...any) {})
}

func newServer(logf func(string, ...any)) (*Server, error) {
	auth, err := newAuthority(certNames)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "fakeig-")
	if err != nil {
		return nil, fmt.Errorf("failed to create temp dir: %w", err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, auth.caPEM, 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("failed to write CA file: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("failed to listen: %w", err)
	}

	cat := newCatalog(defaultFixtures())
	s := &Server{
		ProxyURL:  "http://" + ln.Addr().String(),
		CAFile:    caFile,
		CAPool:    auth.pool,
		dir:       dir,
		tlsConfig: auth.tlsConfig(),
		proxyLn:   ln,
		tlsLn:     newChanListener(ln.Addr()),
		cat:       cat,
		media:     newMediaStore(cat),
		logf:      logf,
		closed:    make(chan struct{}),
	}
	// Handshake failures (clients that do not trust the CA) are expected in tests.
	quiet := log.New(io.Discard, "", 0)
	s.proxySrv = &http.Server{Handler: http.HandlerFunc(s.serveProxy), ErrorLog: quiet, ReadHeaderTimeout: 30 * time.Second}
	s.fakeSrv = &http.Server{Handler: http.HandlerFunc(s.serveFake), ErrorLog: quiet, ReadHeaderTimeout: 30 * time.Second}
	s.serving.Add(2)
	go func() { defer s.serving.Done(); _ = s.proxySrv.Serve(ln) }()
	go func() { defer s.serving.Done(); _ = s.fakeSrv.Serve(s.tlsLn) }()
	return s, nil
}

// Close stops the proxy, aborts pending (delayed) responses, waits for the
// handlers and removes the CA file. It is safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.isClosed {
		s.mu.Unlock()
		return nil
	}
	s.isClosed = true
	close(s.closed)
	s.mu.Unlock()

	s.tlsLn.Close()
	errProxy := s.proxySrv.Close()
	errFake := s.fakeSrv.Close()
	s.active.Wait()
	s.serving.Wait()
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("failed to remove %s: %w", s.dir, err)
	}
	return errors.Join(ignoreClosed(errProxy), ignoreClosed(errFake))
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// enter registers a running handler; false once Close has begun.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isClosed {
		return false
	}
	s.active.Add(1)
	return true
}

func (s *Server) leave() { s.active.Done() }

// Client returns an http.Client that goes through the fake's proxy and trusts
// its CA. It has no timeout; use request contexts.
func (s *Server) Client() *http.Client {
	proxy, _ := url.Parse(s.ProxyURL) // built by newServer, always valid
	return &http.Client{Transport: &http.Transport{
		Proxy:           http.ProxyURL(proxy),
		TLSClientConfig: &tls.Config{RootCAs: s.CAPool},
	}}
}
