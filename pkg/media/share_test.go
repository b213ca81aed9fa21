package media

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// fakeShareServer serves /share/ paths like Instagram does and counts the requests it gets.
type fakeShareServer struct {
	server   *httptest.Server
	requests atomic.Int32
	release  chan struct{}
}

func newFakeShareServer(t *testing.T) *fakeShareServer {
	fake := &fakeShareServer{release: make(chan struct{})}
	fake.server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fake.requests.Add(1)
		if r.Host != "www.instagram.com" || r.Method != http.MethodGet {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		switch r.URL.Path {
		case "/share/reel/BAreel/":
			http.Redirect(w, r, "https://www.instagram.com/reel/Creel_1-x/?igsh=x", http.StatusFound)
		case "/share/BApost/":
			// Relative locations must be resolved against the share URL.
			w.Header().Set("Location", "/p/Cpost/")
			w.WriteHeader(http.StatusMovedPermanently)
		case "/share/p/BAlogin/":
			http.Redirect(w, r, "https://www.instagram.com/accounts/login/?next=%2Fshare%2Fp%2FBAlogin%2F", http.StatusFound)
		case "/share/BAprofile/":
			http.Redirect(w, r, "https://www.instagram.com/someuser/", http.StatusFound)
		case "/share/BAelsewhere/":
			http.Redirect(w, r, "https://example.com/p/Cpost/", http.StatusTemporaryRedirect)
		case "/share/BAlimited/":
			http.Error(w, "Please wait a few minutes", http.StatusTooManyRequests)
		case "/share/BAdown/":
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		case "/share/BAslow/":
			select {
			case <-r.Context().Done():
			case <-fake.release:
			}
		default:
			_, _ = w.Write([]byte("<html>a page, not a redirect</html>"))
		}
	}))
	t.Cleanup(func() {
		close(fake.release)
		fake.server.Close()
	})
	return fake
}

// client returns a client that sends every request to the fake server while keeping the
// www.instagram.com URL, Host header and TLS server name checks intact.
func (fake *fakeShareServer) client() *http.Client {
	transport := fake.server.Client().Transport.(*http.Transport).Clone()
	transport.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, fake.server.Listener.Addr().String())
	}
	// httptest's certificate is issued for example.com.
	transport.TLSClientConfig.ServerName = "example.com"
	return &http.Client{Transport: transport}
}

func TestResolveShareWithFakeServer(t *testing.T) {
	fake := newFakeShareServer(t)
	tests := []struct {
		name    string
		link    Link
		want    Link
		wantErr error
	}{
		{"reel", shareLink("reel/BAreel"), postLink("reel", "Creel_1-x"), nil},
		{"relative location", shareLink("BApost"), postLink("p", "Cpost"), nil},
		{"login", shareLink("p/BAlogin"), Link{}, ErrShareUnresolved},
		{"profile", shareLink("BAprofile"), Link{}, ErrShareUnresolved},
		{"other host", shareLink("BAelsewhere"), Link{}, ErrShareUnresolved},
		{"no redirect", shareLink("BAnothing"), Link{}, ErrShareUnresolved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveShare(context.Background(), fake.client(), tt.link)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("ResolveShare(%+v) = %+v, %v; want %+v, %v", tt.link, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestResolveShareTemporaryFailures checks that failures saying nothing about the link are classed
// temporary (retried), and a 429 as rate limiting, never as "no public post".
func TestResolveShareTemporaryFailures(t *testing.T) {
	fake := newFakeShareServer(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedAddr := closed.Listener.Addr().String()
	closed.Close()
	unreachable := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, closedAddr)
	}}}
	tests := []struct {
		name   string
		client *http.Client
		code   string
		want   ErrorClass
	}{
		{"429", fake.client(), "BAlimited", ClassRateLimited},
		{"503", fake.client(), "BAdown", ClassNetwork},
		{"connection refused", unreachable, "BAreel", ClassNetwork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ResolveShare(context.Background(), tt.client, shareLink(tt.code))
			if got := ClassOf(err); got != tt.want || errors.Is(err, ErrShareUnresolved) {
				t.Errorf("ResolveShare = %v (class %q); want class %q and not ErrShareUnresolved", err, got, tt.want)
			}
		})
	}
}

func TestResolveShareTimeout(t *testing.T) {
	fake := newFakeShareServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := ResolveShare(ctx, fake.client(), shareLink("BAslow"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got error %v; want %v", err, context.DeadlineExceeded)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("ResolveShare took %s despite the context timeout", elapsed)
	}
}

func TestResolveShareNonShare(t *testing.T) {
	fake := newFakeShareServer(t)
	for _, link := range []Link{postLink("reel", "ABC"), storyLink("someuser", "42")} {
		got, err := ResolveShare(context.Background(), fake.client(), link)
		if err != nil || got != link {
			t.Errorf("ResolveShare(%+v) = %+v, %v; want it unchanged", link, got, err)
		}
	}
	if n := fake.requests.Load(); n != 0 {
		t.Errorf("made %d requests for non-share links", n)
	}
}
