package media

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/igbridge/igbridge/internal/fakeig"
)

const testLimit = 10 << 20

func newFakeIGDownloader(t *testing.T, srv *fakeig.Server, timeout time.Duration) *Downloader {
	t.Helper()
	d, err := NewDownloader(DownloaderConfig{Proxy: srv.ProxyURL, CAFile: srv.CAFile, MaxSize: 100 << 20, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func fixtureItem(t *testing.T, srv *fakeig.Server, code string, n int) fakeig.FixtureItem {
	t.Helper()
	f, ok := srv.Fixture(code)
	if !ok || len(f.Items) <= n {
		t.Fatalf("fake has no item %d of %s", n, code)
	}
	return f.Items[n]
}

func TestDownloadFromFakeIG(t *testing.T) {
	t.Parallel()
	srv := fakeig.Start(t)
	d := newFakeIGDownloader(t, srv, 10*time.Second)
	tests := []struct {
		name, code string
		n          int
		mime       string
	}{
		{"video", fakeig.CodeReel, 0, "video/mp4"},
		{"image", fakeig.CodeImage, 0, "image/jpeg"},
		{"carousel video", fakeig.CodeCarousel, 1, "video/mp4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fi := fixtureItem(t, srv, tt.code, tt.n)
			item := Item{URL: fi.MediaURL, Headers: map[string]string{
				"User-Agent": "igbridge-test", "referer": "https://www.instagram.com/",
				"Cookie": "sessionid=secret", "Authorization": "Bearer secret",
			}}
			m, err := d.Open(context.Background(), item, testLimit)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			var buf bytes.Buffer
			n, err := m.WriteTo(&buf)
			if err != nil {
				t.Fatal(err)
			}
			want, ok := srv.Media(fi.MediaURL)
			if !ok || !bytes.Equal(buf.Bytes(), want) || n != int64(len(want)) {
				t.Errorf("got %d bytes (%d written), want the fake's %d bytes", buf.Len(), n, len(want))
			}
			if m.MimeType != tt.mime || m.Size != int64(len(want)) {
				t.Errorf("MimeType %q Size %d, want %q %d", m.MimeType, m.Size, tt.mime, len(want))
			}
			for _, r := range srv.Requests() {
				if r.Path != "" && strings.Contains(fi.MediaURL, r.Path) {
					if r.Cookie || r.UserAgent != "igbridge-test" || r.Referer != "https://www.instagram.com/" {
						t.Errorf("CDN request: cookie %v, UA %q, Referer %q", r.Cookie, r.UserAgent, r.Referer)
					}
				}
			}
		})
	}
}

func TestDownloadTooLargeByContentLength(t *testing.T) {
	t.Parallel()
	srv := fakeig.Start(t)
	d := newFakeIGDownloader(t, srv, 10*time.Second)
	item := Item{URL: fixtureItem(t, srv, fakeig.CodeHuge, 0).MediaURL}
	for _, limits := range []struct{ maxSize, limit int64 }{{100 << 20, testLimit}, {testLimit, 0}, {testLimit, 50 << 20}} {
		d.MaxSize = limits.maxSize
		m, err := d.Open(context.Background(), item, limits.limit)
		var tooLarge *TooLargeError
		if !errors.As(err, &tooLarge) || !errors.Is(err, ErrTooLarge) {
			if m != nil {
				m.Close()
			}
			t.Fatalf("limits %+v: Open() = %v, want a TooLargeError", limits, err)
		}
		if tooLarge.Size != fakeig.HugeSize || tooLarge.Limit != testLimit {
			t.Errorf("limits %+v: %+v", limits, tooLarge)
		}
		if got, want := err.Error(), "media is 11.0 MiB, the limit is 10.0 MiB"; got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	}
}

func TestDownloadRefusesForeignHosts(t *testing.T) {
	t.Parallel()
	srv := fakeig.Start(t)
	d := newFakeIGDownloader(t, srv, 10*time.Second)
	for _, code := range []string{fakeig.CodeHostile, fakeig.CodeHTTPMedia} {
		fi := fixtureItem(t, srv, code, 0)
		m, err := d.Open(context.Background(), Item{URL: fi.MediaURL}, testLimit)
		if !errors.Is(err, ErrHostNotAllowed) {
			if m != nil {
				m.Close()
			}
			t.Errorf("%s: Open(%s) = %v, want ErrHostNotAllowed", code, fi.MediaURL, err)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("the fake saw %d requests, want none: %+v", n, srv.Requests())
	}
}

func TestDownloadTimeout(t *testing.T) {
	t.Parallel()
	srv := fakeig.Start(t)
	srv.SetDelay(fakeig.CodeSlow, time.Minute)
	d := newFakeIGDownloader(t, srv, 500*time.Millisecond)
	start := time.Now()
	m, err := d.Open(context.Background(), Item{URL: fixtureItem(t, srv, fakeig.CodeSlow, 0).MediaURL}, testLimit)
	if !errors.Is(err, ErrTimeout) {
		if m != nil {
			m.Close()
		}
		t.Fatalf("Open() = %v, want ErrTimeout", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("timeout took %s", took)
	}
}

// mp4Header is enough of an MP4 for http.DetectContentType.
var mp4Header = []byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41")

// newFakeServerDownloader returns a Downloader whose every connection goes to an httptest TLS
// server running handler, whatever host the URL names, so CDN URLs can be served with any behaviour.
func newFakeServerDownloader(t *testing.T, timeout time.Duration, handler http.HandlerFunc) (*Downloader, *hostLog) {
	t.Helper()
	hosts := &hostLog{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts.add(r.Host)
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	d, err := NewDownloader(DownloaderConfig{MaxSize: 100 << 20, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	transport := srv.Client().Transport.(*http.Transport).Clone()
	transport.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	// httptest's certificate names example.com.
	transport.TLSClientConfig = &tls.Config{RootCAs: transport.TLSClientConfig.RootCAs, ServerName: "example.com"}
	d.Client.Transport = transport
	return d, hosts
}

type hostLog struct {
	mu    sync.Mutex
	hosts []string
}

func (l *hostLog) add(h string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hosts = append(l.hosts, h)
}

func (l *hostLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.hosts...)
}

const fakeCDNURL = "https://scontent-ams2-1.cdninstagram.com/o1/v/clip.mp4?oe=1"

func TestDownloadTooLargeWhileStreamingWithFakeServer(t *testing.T) {
	t.Parallel()
	d, _ := newFakeServerDownloader(t, 10*time.Second, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/mp4")
		w.Write(mp4Header)
		chunk := make([]byte, 64<<10)
		for range fakeig.HugeSize / len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush() // no Content-Length: the body is chunked
		}
	})
	m, err := d.Open(context.Background(), Item{URL: fakeCDNURL}, testLimit)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Size != -1 || m.MimeType != "video/mp4" {
		t.Errorf("Size %d MimeType %q, want -1 video/mp4", m.Size, m.MimeType)
	}
	n, err := m.WriteTo(io.Discard)
	var tooLarge *TooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Limit != testLimit || tooLarge.Size != -1 {
		t.Fatalf("WriteTo() = %d, %v; want a TooLargeError", n, err)
	}
	if n > testLimit {
		t.Errorf("wrote %d bytes past the limit", n)
	}
}

func TestDownloadStallWhileStreamingWithFakeServer(t *testing.T) {
	t.Parallel()
	d, _ := newFakeServerDownloader(t, 500*time.Millisecond, func(w http.ResponseWriter, r *http.Request) {
		w.Write(mp4Header)
		w.Write(make([]byte, 1024))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	m, err := d.Open(context.Background(), Item{URL: fakeCDNURL}, testLimit)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	start := time.Now()
	if _, err := m.WriteTo(io.Discard); !errors.Is(err, ErrTimeout) {
		t.Fatalf("WriteTo() = %v, want ErrTimeout", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("timeout took %s", took)
	}
}

func TestDownloadRejectsNonMediaWithFakeServer(t *testing.T) {
	t.Parallel()
	const page = "<!DOCTYPE html><html><head><title>Login • Instagram</title></head><body></body></html>"
	tests := []struct{ name, contentType, body string }{
		{"html", "text/html; charset=utf-8", page},
		{"html declared as video", "video/mp4", page},
		{"json", "application/json", `{"status":"fail"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, _ := newFakeServerDownloader(t, 10*time.Second, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				io.WriteString(w, tt.body)
			})
			m, err := d.Open(context.Background(), Item{URL: fakeCDNURL}, testLimit)
			if !errors.Is(err, ErrBadOutput) || !strings.Contains(err.Error(), "not media") {
				if m != nil {
					m.Close()
				}
				t.Errorf("Open() = %v, want a not-media ErrBadOutput", err)
			}
		})
	}
}

func TestDownloadDeclaredTypeForUnknownFormatWithFakeServer(t *testing.T) {
	t.Parallel()
	// HEIF is not in http.DetectContentType's table; the declared type decides.
	heic := append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), make([]byte, 100)...)
	d, _ := newFakeServerDownloader(t, 10*time.Second, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/heic")
		w.Write(heic)
	})
	m, err := d.Open(context.Background(), Item{URL: fakeCDNURL}, testLimit)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil || !bytes.Equal(buf.Bytes(), heic) || m.MimeType != "image/heic" {
		t.Errorf("WriteTo() = %v, %d bytes, MimeType %q", err, buf.Len(), m.MimeType)
	}
}

func TestDownloadStatusWithFakeServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		want   error
	}{
		{http.StatusNotFound, ErrNotFound},
		{http.StatusGone, ErrNotFound},
		{http.StatusTooManyRequests, ErrRateLimited},
		{http.StatusServiceUnavailable, ErrNetwork},
		{http.StatusForbidden, ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			t.Parallel()
			d, _ := newFakeServerDownloader(t, 10*time.Second, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
			})
			m, err := d.Open(context.Background(), Item{URL: fakeCDNURL}, testLimit)
			if !errors.Is(err, tt.want) {
				if m != nil {
					m.Close()
				}
				t.Errorf("Open() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDownloadRedirectsWithFakeServer(t *testing.T) {
	t.Parallel()
	d, hosts := newFakeServerDownloader(t, 10*time.Second, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-cdn":
			http.Redirect(w, r, "https://instagram.fams2-1.fna.fbcdn.net/clip.mp4", http.StatusFound)
		case "/to-evil":
			http.Redirect(w, r, "https://evil.example/clip.mp4", http.StatusFound)
		default:
			w.Write(mp4Header)
		}
	})
	m, err := d.Open(context.Background(), Item{URL: "https://scontent.cdninstagram.com/to-cdn"}, testLimit)
	if err != nil {
		t.Fatalf("redirect within the CDN: %v", err)
	}
	m.Close()
	m, err = d.Open(context.Background(), Item{URL: "https://scontent.cdninstagram.com/to-evil"}, testLimit)
	if !errors.Is(err, ErrHostNotAllowed) {
		if m != nil {
			m.Close()
		}
		t.Fatalf("redirect to evil.example: %v, want ErrHostNotAllowed", err)
	}
	for _, h := range hosts.get() {
		if !AllowedMediaURL("https://" + h + "/") {
			t.Errorf("a request went to %s", h)
		}
	}
}

func TestAllowedMediaURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		want bool
	}{
		{"https://scontent-ams2-1.cdninstagram.com/v/t51/x.jpg?stp=1", true},
		{"https://instagram.fams2-1.fna.fbcdn.net/v/x.mp4", true},
		{"https://SCONTENT.CDNINSTAGRAM.COM/x", true},
		{"https://scontent.cdninstagram.com:443/x", true},
		{"http://scontent.cdninstagram.com/x", false},
		{"https://cdninstagram.com/x", false},
		{"https://fbcdn.net/x", false},
		{"https://evilcdninstagram.com/x", false},
		{"https://scontent.cdninstagram.com.evil.example/x", false},
		{"https://scontent.cdninstagram.com./x", false},
		{"https://scontent.cdninstagram.com:8443/x", false},
		{"https://user:pass@scontent.cdninstagram.com/x", false},
		{"https://evil.example%2f.cdninstagram.com/x", false},
		{"https://evil.example/x.cdninstagram.com", false},
		{"https://evil.example/?.cdninstagram.com", false},
		{"https://evil.example#.cdninstagram.com", false},
		{"https://127.0.0.1/x", false},
		{"//scontent.cdninstagram.com/x", false},
		{"scontent.cdninstagram.com/x", false},
		{"https:scontent.cdninstagram.com", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := AllowedMediaURL(tt.url); got != tt.want {
			t.Errorf("AllowedMediaURL(%q) = %v, want %v", tt.url, got, tt.want)
		}
	}
}
