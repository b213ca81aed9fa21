package fakeig

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"image"
	_ "image/jpeg" // for image.DecodeConfig
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"testing"
)

func get(t *testing.T, c *http.Client, rawURL string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("failed to read %s: %v", rawURL, err)
	}
	return resp, body
}

// TestClientDownloadsMedia fetches every fixture file (except the huge one)
// with a plain Go client that trusts CAPool and compares with Media.
func TestClientDownloadsMedia(t *testing.T) {
	t.Parallel()
	s := Start(t)
	proxy, _ := url.Parse(s.ProxyURL)
	c := &http.Client{Transport: &http.Transport{
		Proxy:           http.ProxyURL(proxy),
		TLSClientConfig: &tls.Config{RootCAs: s.CAPool},
	}}
	for _, f := range s.Fixtures() {
		for _, it := range f.Items {
			if it.Size == HugeSize {
				continue
			}
			w, h := it.Width/2, it.Height/2
			if it.Video {
				w, h = it.Width, it.Height
			}
			checkDownload(t, s, c, it.MediaURL, it.Video, it.Width, it.Height)
			checkDownload(t, s, c, it.ThumbURL, false, w, h)
		}
	}
}

func checkDownload(t *testing.T, s *Server, c *http.Client, rawURL string, video bool, w, h int) {
	t.Helper()
	resp, body := get(t, c, rawURL, "Referer", "https://www.instagram.com/")
	want, ok := s.Media(rawURL)
	if !ok {
		t.Fatalf("Media(%s) unknown", rawURL)
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, want) {
		t.Fatalf("GET %s: status %d, %d bytes; want 200 and the %d bytes of Media", rawURL, resp.StatusCode, len(body), len(want))
	}
	if resp.Header.Get("Content-Length") != strconv.Itoa(len(want)) {
		t.Errorf("GET %s: Content-Length %q, want %d", rawURL, resp.Header.Get("Content-Length"), len(want))
	}
	wantType := "image/jpeg"
	if video {
		wantType = "video/mp4"
	}
	if got := http.DetectContentType(body); got != wantType || resp.Header.Get("Content-Type") != wantType {
		t.Errorf("GET %s: sniffed %q, header %q, want %q", rawURL, got, resp.Header.Get("Content-Type"), wantType)
	}
	if video {
		return
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil || format != "jpeg" || cfg.Width != w || cfg.Height != h {
		t.Errorf("GET %s: decoded %s %dx%d (%v), want jpeg %dx%d", rawURL, format, cfg.Width, cfg.Height, err, w, h)
	}
}

func TestClientHugeVideo(t *testing.T) {
	t.Parallel()
	s := Start(t)
	c := s.Client()
	u := mustFixture(t, s, CodeHuge).Items[0].MediaURL
	want, _ := s.Media(u)
	if len(want) != HugeSize {
		t.Fatalf("Media(huge) = %d bytes, want %d", len(want), HugeSize)
	}

	resp, body := get(t, c, u, "Range", "bytes=1000-1099")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, want[1000:1100]) {
		t.Errorf("range GET: status %d, %d bytes, want 206 and bytes 1000-1099", resp.StatusCode, len(body))
	}

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	full, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer full.Body.Close()
	if full.ContentLength != HugeSize {
		t.Errorf("Content-Length = %d, want %d", full.ContentLength, HugeSize)
	}
	h := sha256.New()
	if _, err := io.Copy(h, full.Body); err != nil {
		t.Fatal(err)
	}
	if got, wantSum := h.Sum(nil), sha256.Sum256(want); !bytes.Equal(got, wantSum[:]) {
		t.Error("streamed huge video differs from Media")
	}
}

func TestClientUnknownCDNPath(t *testing.T) {
	t.Parallel()
	s := Start(t)
	resp, _ := get(t, s.Client(), "https://"+cdnHost+"/o1/v/t16/f2/m86/Nope000001/1.mp4?efg=x")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want 404", resp.StatusCode)
	}
	if _, ok := s.Media("https://" + cdnHost + "/nope.jpg"); ok {
		t.Error("Media knows an unknown URL")
	}
}

// TestClientTLS checks the certificate chain: trusted with CAPool and with
// the PEM in CAFile, rejected without them, and covering the required names.
func TestClientTLS(t *testing.T) {
	t.Parallel()
	s := Start(t)
	pemBytes, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !ca.IsCA {
		t.Fatalf("CAFile is not a CA certificate: %v", err)
	}
	fromFile := x509.NewCertPool()
	fromFile.AppendCertsFromPEM(pemBytes)
	proxy, _ := url.Parse(s.ProxyURL)
	client := func(roots *x509.CertPool) *http.Client {
		return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{RootCAs: roots}}}
	}

	resp, _ := get(t, client(fromFile), "https://www.instagram.com/")
	leaf := resp.TLS.PeerCertificates[0]
	for _, name := range []string{"instagram.com", "*.instagram.com", "instagr.am", "*.instagr.am", "*.cdninstagram.com", "*.fbcdn.net", "evil.example"} {
		if !slices.Contains(leaf.DNSNames, name) {
			t.Errorf("leaf lacks SAN %s", name)
		}
	}
	if leaf.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("leaf key is %v, want ECDSA", leaf.PublicKeyAlgorithm)
	}

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://www.instagram.com/", nil)
	_, err = client(x509.NewCertPool()).Do(req)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("untrusting client got %v, want an unknown-authority error", err)
	}
}
