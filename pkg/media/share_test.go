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

	"github.com/igbridge/igbridge/internal/fakeclock"
	"github.com/igbridge/igbridge/pkg/pacing"
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
			got, err := (&ShareResolver{Client: fake.client()}).Resolve(context.Background(), tt.link)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("Resolve(%+v) = %+v, %v; want %+v, %v", tt.link, got, err, tt.want, tt.wantErr)
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
			_, err := (&ShareResolver{Client: tt.client}).Resolve(context.Background(), shareLink(tt.code))
			if got := ClassOf(err); got != tt.want || errors.Is(err, ErrShareUnresolved) {
				t.Errorf("ResolveShare = %v (class %q); want class %q and not ErrShareUnresolved", err, got, tt.want)
			}
		})
	}
}

func TestResolveShareTimeout(t *testing.T) {
	fake := newFakeShareServer(t)
	resolver := &ShareResolver{Client: fake.client(), Timeout: 100 * time.Millisecond}
	start := time.Now()
	_, err := resolver.Resolve(context.Background(), shareLink("BAslow"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got error %v; want %v", err, context.DeadlineExceeded)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("ResolveShare took %s despite the timeout", elapsed)
	}
}

func TestResolveShareNonShare(t *testing.T) {
	fake := newFakeShareServer(t)
	for _, link := range []Link{postLink("reel", "ABC"), storyLink("someuser", "42")} {
		got, err := (&ShareResolver{Client: fake.client()}).Resolve(context.Background(), link)
		if err != nil || got != link {
			t.Errorf("Resolve(%+v) = %+v, %v; want it unchanged", link, got, err)
		}
	}
	if n := fake.requests.Load(); n != 0 {
		t.Errorf("made %d requests for non-share links", n)
	}
}

// TestShareResolverPaced checks that share links wait for the pacer and report to it: a 429
// starts the cool-down, a share link sends nothing to Instagram until it ends, and a success
// makes the next cool-down the initial length again.
func TestShareResolverPaced(t *testing.T) {
	fake := newFakeShareServer(t)
	clock := fakeclock.New()
	pacer := pacing.New(pacing.Config{CooldownInitial: time.Minute, CooldownMax: time.Hour}, clock)
	resolver := &ShareResolver{Client: fake.client(), Pacer: pacer}
	cooldown := func() time.Duration { return pacer.CooldownUntil().Sub(clock.Now()) }
	limited := func() {
		t.Helper()
		var err error
		clock.Drive(t, func() { _, err = resolver.Resolve(context.Background(), shareLink("BAlimited")) })
		if !errors.Is(err, ErrRateLimited) {
			t.Fatalf("Resolve = %v, want ErrRateLimited", err)
		}
	}

	limited()
	if got := cooldown(); got != time.Minute {
		t.Fatalf("a 429 started a cool-down of %v, want %v", got, time.Minute)
	}
	limited() // waits the minute out
	if got := cooldown(); got != 2*time.Minute {
		t.Fatalf("a second 429 started a cool-down of %v, want %v", got, 2*time.Minute)
	}

	sent := fake.requests.Load()
	type result struct {
		link Link
		err  error
	}
	done := make(chan result)
	go func() {
		link, err := resolver.Resolve(context.Background(), shareLink("BApost"))
		done <- result{link, err}
	}()
	if at := clock.WaitForTimer(t); !at.Equal(pacer.CooldownUntil()) {
		t.Fatalf("Resolve waits until %v, want the cool-down's end %v", at, pacer.CooldownUntil())
	}
	if n := fake.requests.Load(); n != sent {
		t.Fatalf("%d requests went out during the cool-down", n-sent)
	}
	clock.AdvanceTo(pacer.CooldownUntil())
	select {
	case res := <-done:
		if want := postLink("p", "Cpost"); res.err != nil || res.link != want {
			t.Fatalf("Resolve after the cool-down = %+v, %v; want %+v", res.link, res.err, want)
		}
	case <-time.After(fakeclock.WaitLimit):
		t.Fatal("Resolve did not return after the cool-down")
	}

	limited()
	if got := cooldown(); got != time.Minute {
		t.Errorf("a 429 after a success started a cool-down of %v, want %v", got, time.Minute)
	}
}
