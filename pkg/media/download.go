package media

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// ErrHostNotAllowed is a media URL outside Instagram's CDN; nothing is sent to such hosts.
var ErrHostNotAllowed = errors.New("media host is not an Instagram CDN")

// Downloader defaults, used when the config leaves a value at zero.
const (
	DefaultMaxMediaSize    = 100 << 20
	DefaultDownloadTimeout = 2 * time.Minute
)

const (
	dialTimeout           = 10 * time.Second
	tlsHandshakeTimeout   = 10 * time.Second
	responseHeaderTimeout = 30 * time.Second
	maxRedirects          = 5
	sniffLen              = 512 // what http.DetectContentType looks at
)

// mediaCDNSuffixes are the domains Instagram serves media from.
var mediaCDNSuffixes = []string{".cdninstagram.com", ".fbcdn.net"}

// forwardedHeaders are the yt-dlp http_headers worth sending to the CDN; credentials never leave.
var forwardedHeaders = []string{"User-Agent", "Referer", "Accept", "Accept-Language"}

// Downloader fetches media from Instagram's CDN only.
type Downloader struct {
	Client  *http.Client
	MaxSize int64
	Timeout time.Duration // whole download, headers and body
}

// DownloaderConfig configures NewDownloader.
type DownloaderConfig struct {
	Proxy   string // proxy URL; empty uses HTTPS_PROXY/HTTP_PROXY/NO_PROXY
	CAFile  string // PEM roots to trust instead of the system ones (TLS-intercepting proxies, tests)
	MaxSize int64  // bytes; 0 means DefaultMaxMediaSize
	Timeout time.Duration
}

// NewDownloader builds a Downloader whose client follows redirects only within the CDN.
func NewDownloader(cfg DownloaderConfig) (*Downloader, error) {
	proxy := http.ProxyFromEnvironment
	if cfg.Proxy != "" {
		u, err := ParseProxy(cfg.Proxy)
		if err != nil {
			return nil, err
		}
		proxy = http.ProxyURL(u)
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pool, err := loadCAFile(cfg.CAFile)
		if err != nil {
			return nil, err
		}
		tlsConfig.RootCAs = pool
	}
	transport := &http.Transport{
		Proxy:                 proxy,
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ResponseHeaderTimeout: responseHeaderTimeout,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
		// Media is already compressed, and transparent gunzip would hide Content-Length.
		DisableCompression: true,
	}
	d := &Downloader{
		Client:  &http.Client{Transport: transport, CheckRedirect: checkRedirect},
		MaxSize: cfg.MaxSize,
		Timeout: cfg.Timeout,
	}
	if d.MaxSize <= 0 {
		d.MaxSize = DefaultMaxMediaSize
	}
	if d.Timeout <= 0 {
		d.Timeout = DefaultDownloadTimeout
	}
	return d, nil
}

func loadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("failed to load CA file %s: no PEM certificates", path)
	}
	return pool, nil
}

// checkRedirect re-applies the host allow-list to every hop, so a CDN redirect cannot lead elsewhere.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if !AllowedMediaURL(req.URL.String()) {
		return fmt.Errorf("%w: redirect to %s", ErrHostNotAllowed, req.URL.Host)
	}
	return nil
}

// AllowedMediaURL reports whether u is an https URL on Instagram's CDN (*.cdninstagram.com or
// *.fbcdn.net) on the default port and without userinfo.
func AllowedMediaURL(u string) bool {
	parsed, err := url.Parse(u)
	if err != nil || parsed.Scheme != "https" || parsed.User != nil || parsed.Opaque != "" {
		return false
	}
	if port := parsed.Port(); port != "" && port != "443" {
		return false
	}
	host := strings.ToLower(parsed.Hostname())
	if !isDNSName(host) {
		return false
	}
	for _, suffix := range mediaCDNSuffixes {
		if len(host) > len(suffix) && strings.HasSuffix(host, suffix) {
			return true
		}
	}
	return false
}

// isDNSName accepts plain lowercase ASCII host names only, so escapes and odd characters
// cannot make a host look like it ends with a CDN suffix.
func isDNSName(host string) bool {
	if host == "" {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if b := label[i]; (b < 'a' || b > 'z') && (b < '0' || b > '9') && b != '-' {
				return false
			}
		}
	}
	return true
}

// Media is a download in progress: the response is checked and sniffed, the body not yet read.
type Media struct {
	Size     int64 // Content-Length, or -1 when unknown
	MimeType string

	body   *bufio.Reader
	closer io.Closer
	limit  int64
	ctx    context.Context
	cancel context.CancelFunc
}

// errDownloadTimeout is the cause of a download context that ran out of time.
var errDownloadTimeout = errors.New("media download timed out")

// Open starts downloading item. limit, when positive, lowers the size cap below d.MaxSize (e.g. the
// homeserver's upload limit). The caller must Close the Media.
func (d *Downloader) Open(ctx context.Context, item Item, limit int64) (*Media, error) {
	if !AllowedMediaURL(item.URL) {
		return nil, fmt.Errorf("%w: %s", ErrHostNotAllowed, hostOf(item.URL))
	}
	if limit <= 0 || limit > d.MaxSize {
		limit = d.MaxSize
	}
	ctx, cancel := context.WithTimeoutCause(ctx, d.Timeout, errDownloadTimeout)
	m, err := d.get(ctx, item, limit)
	if err != nil {
		cancel()
		return nil, err
	}
	m.ctx, m.cancel = ctx, cancel
	return m, nil
}

// get sends the request and checks the response: status, announced size and the sniffed type.
func (d *Downloader) get(ctx context.Context, item Item, limit int64) (*Media, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, item.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("failed to create media request: %w", err)
	}
	for _, name := range forwardedHeaders {
		if v := headerValue(item.Headers, name); v != "" {
			req.Header.Set(name, v)
		}
	}
	resp, err := d.Client.Do(req)
	if err != nil {
		if errors.Is(err, ErrHostNotAllowed) {
			return nil, err
		}
		return nil, transferError(ctx, "failed to request media", err)
	}
	if err := checkStatus(resp); err != nil {
		resp.Body.Close()
		return nil, err
	}
	if resp.ContentLength > limit {
		resp.Body.Close()
		return nil, &TooLargeError{Size: resp.ContentLength, Limit: limit}
	}
	body := bufio.NewReaderSize(resp.Body, sniffLen)
	head, err := body.Peek(sniffLen)
	if err != nil && !errors.Is(err, io.EOF) {
		resp.Body.Close()
		return nil, transferError(ctx, "failed to read media", err)
	}
	mime, ok := mediaType(head, resp.Header.Get("Content-Type"))
	if !ok {
		resp.Body.Close()
		return nil, &FetchError{Class: ClassBadOutput, Message: "not media: " + mime}
	}
	return &Media{Size: resp.ContentLength, MimeType: mime, body: body, closer: resp.Body, limit: limit}, nil
}

// headerValue looks a header up case-insensitively, as yt-dlp's spelling is not canonical.
func headerValue(headers map[string]string, name string) string {
	for k, v := range headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func checkStatus(resp *http.Response) error {
	code := resp.StatusCode
	if code == http.StatusOK {
		return nil
	}
	msg := "media request answered " + resp.Status
	if err := temporaryStatusError(code, msg); err != nil {
		return err
	}
	if code == http.StatusNotFound || code == http.StatusGone {
		return &FetchError{Class: ClassNotFound, Message: msg}
	}
	// 403 is typical for an expired URL signature.
	return &FetchError{Class: ClassUnavailable, Message: msg}
}

// temporaryStatusError classifies the status codes that say nothing about what was asked for: 429
// is Instagram limiting the bridge, 5xx Instagram briefly down; both pass with time. Other codes
// give nil.
func temporaryStatusError(code int, msg string) error {
	switch {
	case code == http.StatusTooManyRequests:
		return &FetchError{Class: ClassRateLimited, Message: msg}
	case code >= 500:
		return &FetchError{Class: ClassNetwork, Message: msg}
	}
	return nil
}

// mediaType sniffs the body. The declared Content-Type is only trusted for formats the sniffer does
// not know (it answers application/octet-stream), and only when it names an image or video.
func mediaType(head []byte, declared string) (string, bool) {
	sniffed := http.DetectContentType(head)
	if isMediaType(sniffed) {
		return sniffed, true
	}
	if sniffed == "application/octet-stream" {
		if declared, _, _ = strings.Cut(declared, ";"); isMediaType(strings.TrimSpace(declared)) {
			return strings.ToLower(strings.TrimSpace(declared)), true
		}
	}
	return sniffed, false
}

// isMediaType accepts audio too: a DASH audio stream is downloaded to be merged.
func isMediaType(mime string) bool {
	mime = strings.ToLower(mime)
	return strings.HasPrefix(mime, "image/") || strings.HasPrefix(mime, "video/") || strings.HasPrefix(mime, "audio/")
}

// WriteTo streams the body to w. It stops with a *TooLargeError once the limit is passed (w has
// then received a partial file) and with ErrTimeout when the download time runs out.
func (m *Media) WriteTo(w io.Writer) (int64, error) {
	buf := make([]byte, 32<<10)
	var written int64
	for {
		n, rerr := m.body.Read(buf)
		if written+int64(n) > m.limit {
			return written, &TooLargeError{Size: m.Size, Limit: m.limit}
		}
		if n > 0 {
			nw, werr := w.Write(buf[:n])
			written += int64(nw)
			if werr != nil {
				return written, fmt.Errorf("failed to write media: %w", werr)
			}
		}
		if errors.Is(rerr, io.EOF) {
			return written, m.checkComplete(written)
		}
		if rerr != nil {
			return written, transferError(m.ctx, "failed to read media", rerr)
		}
	}
}

// checkComplete tells a whole file from one cut short: a body shorter than its Content-Length, or
// one that ended as our deadline passed (a cancelled chunked response can look like a clean end).
func (m *Media) checkComplete(written int64) error {
	if m.ctx.Err() != nil {
		return transferError(m.ctx, "failed to read media", m.ctx.Err())
	}
	if m.Size >= 0 && written != m.Size {
		return &FetchError{Class: ClassNetwork, Message: fmt.Sprintf("media ended after %d of %d bytes", written, m.Size)}
	}
	return nil
}

// Close releases the connection.
func (m *Media) Close() error {
	defer m.cancel()
	return m.closer.Close()
}

// transferError classifies a failed request or body read: our own deadline is a timeout, the
// caller's cancellation is passed on, anything else is the network.
func transferError(ctx context.Context, what string, err error) error {
	if errors.Is(context.Cause(ctx), errDownloadTimeout) {
		return &FetchError{Class: ClassTimeout, Message: what, Err: err}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", what, context.Cause(ctx))
	}
	return &FetchError{Class: ClassNetwork, Message: what, Err: err}
}

// hostOf returns the host of a URL for error messages, without userinfo or path.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return strconv.Quote(truncateUTF8(raw, 64))
	}
	return u.Host
}
