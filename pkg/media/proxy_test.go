package media

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// badProxies hold a password ("secret") and are wrong in ways that make url.Parse quote them,
// or pieces of them, in its error.
var badProxies = []string{
	"http://alice:secret@[bad",
	"http://alice:secret/x@proxy:3128", // url.Parse: invalid port ":secret" after host
	"http://ali ce:secret@proxy:3128",
	"alice:secret@proxy:3128", // no scheme: "alice" is taken for one
	"ftp://alice:secret@proxy:21",
	"http://alice:secret@",
}

func TestParseProxyNeverQuotesTheURL(t *testing.T) {
	t.Parallel()
	for _, raw := range badProxies {
		_, err := ParseProxy(raw)
		if !errors.Is(err, ErrInvalidProxy) {
			t.Errorf("ParseProxy(%q) = %v, want ErrInvalidProxy", raw, err)
			continue
		}
		if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "alice") {
			t.Errorf("ParseProxy(%q) = %q, which quotes the URL", raw, err)
		}
	}
	for _, raw := range []string{"http://alice:secret@127.0.0.1:3128", "https://proxy.example", "socks5h://127.0.0.1:1080"} {
		if u, err := ParseProxy(raw); err != nil || u.String() != raw {
			t.Errorf("ParseProxy(%q) = %v, %v", raw, u, err)
		}
	}
}

// TestProxyErrorsNeverQuoteTheURL: the downloader and the worker pool refuse a bad proxy with
// ParseProxy's words.
func TestProxyErrorsNeverQuoteTheURL(t *testing.T) {
	t.Parallel()
	for _, raw := range badProxies {
		_, errDownloader := NewDownloader(DownloaderConfig{Proxy: raw})
		_, errPool := NewWorkerPool(context.Background(), ExtractorConfig{Ytdlp: YtdlpConfig{Python: "/nonexistent", Proxy: raw}})
		for name, err := range map[string]error{"NewDownloader": errDownloader, "NewWorkerPool": errPool} {
			if !errors.Is(err, ErrInvalidProxy) || strings.Contains(err.Error(), "secret") {
				t.Errorf("%s with proxy %q = %v, want ErrInvalidProxy without the password", name, raw, err)
			}
		}
	}
}
