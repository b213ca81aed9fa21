package fakeig

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestProxyRefusesOtherHosts shows the proxy never forwards: a listener on
// loopback that a forwarding proxy could reach sees nothing, and foreign
// hosts get 502 and are logged.
func TestProxyRefusesOtherHosts(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	bystander := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer bystander.Close()
	bystanderTLS := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer bystanderTLS.Close()

	s := Start(t)
	c := s.Client()
	for _, u := range []string{bystander.URL + "/", "http://example.org/", "http://www.instagram.com:8080/"} {
		resp, _ := get(t, c, u)
		if resp.StatusCode != http.StatusBadGateway {
			t.Errorf("GET %s: status %d, want 502", u, resp.StatusCode)
		}
	}
	for _, u := range []string{"https://example.org/", bystanderTLS.URL + "/", "https://www.instagram.com:8443/", "https://a.b.instagram.com/"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Errorf("GET %s through the proxy succeeded", u)
		} else if !strings.Contains(err.Error(), "Bad Gateway") {
			t.Errorf("GET %s: %v, want a refused CONNECT", u, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("bystander servers got %d requests", n)
	}

	refused := 0
	for _, r := range s.Requests() {
		if r.Status == http.StatusBadGateway {
			refused++
		}
	}
	if refused != 7 {
		t.Errorf("logged %d refused requests, want 7: %+v", refused, s.Requests())
	}
	if n := s.CountRequests("example.org", ""); n != 2 {
		t.Errorf("CountRequests(example.org) = %d, want 2", n)
	}
}

// TestProxyRejectsDirectRequests: the proxy port is not itself a web server.
func TestProxyRejectsDirectRequests(t *testing.T) {
	t.Parallel()
	s := Start(t)
	resp, _ := get(t, http.DefaultClient, s.ProxyURL+"/p/"+CodeReel+"/")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
}
