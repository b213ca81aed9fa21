package e2e

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// hsProxy stands between the bridge and Dendrite so that a test can stop the bridge at a chosen
// request: held before it reaches the other side, or after the other side has done its work, with
// the answer kept back. It works both ways: in front of the homeserver for the bridge's requests,
// and in front of the bridge's appservice port for the homeserver's transactions.
type hsProxy struct {
	URL    string
	target string
	client *http.Client
	srv    *http.Server

	mu    sync.Mutex
	holds []*hsHold
	// passed logs the exchanges passed on whole, to wait for one; grew wakes the waiters.
	passed []exchange
	grew   chan struct{}
}

// exchange is a request passed on and the status of its answer.
type exchange struct {
	method, path string
	body         []byte
	status       int
}

// hsHold catches the requests whose "METHOD path" matches pattern until it is released.
type hsHold struct {
	pattern *regexp.Regexp
	// afterward lets the request through to the homeserver and holds its answer instead.
	afterward   bool
	caught      chan struct{}
	catchOnce   sync.Once
	released    chan struct{}
	releaseOnce sync.Once
	// answered is closed once a held answer has been passed on to the bridge.
	answered   chan struct{}
	answerOnce sync.Once
	proxy      *hsProxy
}

// startHSProxy starts a proxy to target on listenAddr ("127.0.0.1:0" for any port).
func startHSProxy(t testing.TB, listenAddr, target string) *hsProxy {
	t.Helper()
	ln, err := net.Listen("tcp", listenAddr)
	if err != nil {
		t.Fatalf("failed to listen: %v", err)
	}
	p := &hsProxy{URL: "http://" + ln.Addr().String(), target: target, client: &http.Client{}, grew: make(chan struct{})}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	t.Cleanup(func() {
		p.releaseAll()
		_ = p.srv.Close()
	})
	return p
}

// hold starts catching the requests that match pattern (a regexp on "METHOD /path").
func (p *hsProxy) hold(pattern string, afterward bool) *hsHold {
	h := &hsHold{pattern: regexp.MustCompile(pattern), afterward: afterward, caught: make(chan struct{}), released: make(chan struct{}), answered: make(chan struct{}), proxy: p}
	p.mu.Lock()
	p.holds = append(p.holds, h)
	p.mu.Unlock()
	return h
}

// wait waits until the hold has caught a request.
func (h *hsHold) wait(t testing.TB) {
	t.Helper()
	select {
	case <-h.caught:
	case <-time.After(replyTimeout):
		t.Fatalf("no request matching %s within %v", h.pattern, replyTimeout)
	}
}

// waitAnswered waits until a held answer has reached the bridge (after release).
func (h *hsHold) waitAnswered(t testing.TB) {
	t.Helper()
	select {
	case <-h.answered:
	case <-time.After(replyTimeout):
		t.Fatalf("no held answer to %s passed on within %v", h.pattern, replyTimeout)
	}
}

// release lets the held requests go on and stops catching new ones.
func (h *hsHold) release() {
	h.releaseOnce.Do(func() {
		close(h.released)
		p := h.proxy
		p.mu.Lock()
		defer p.mu.Unlock()
		for i, other := range p.holds {
			if other == h {
				p.holds = append(p.holds[:i], p.holds[i+1:]...)
				break
			}
		}
	})
}

func (p *hsProxy) releaseAll() {
	p.mu.Lock()
	holds := append([]*hsHold(nil), p.holds...)
	p.mu.Unlock()
	for _, h := range holds {
		h.release()
	}
}

func (p *hsProxy) holdFor(r *http.Request) *hsHold {
	key := r.Method + " " + r.URL.Path
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.holds {
		if h.pattern.MatchString(key) {
			return h
		}
	}
	return nil
}

// await holds a request until release; false when the bridge went away meanwhile.
func (h *hsHold) await(r *http.Request) bool {
	h.catchOnce.Do(func() { close(h.caught) })
	select {
	case <-h.released:
		return true
	case <-r.Context().Done():
		return false
	}
}

func (p *hsProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := p.holdFor(r)
	if h != nil && !h.afterward && !h.await(r) {
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	// The homeserver finishes what it was sent even if the bridge dies meanwhile, as over a network.
	req, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := p.client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	answer, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if h != nil && h.afterward && !h.await(r) {
		return
	}
	for key, values := range resp.Header {
		w.Header()[key] = values
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
	_ = http.NewResponseController(w).Flush()
	if h != nil && h.afterward {
		h.answerOnce.Do(func() { close(h.answered) })
	}
	p.mu.Lock()
	p.passed = append(p.passed, exchange{method: r.Method, path: r.URL.Path, body: body, status: resp.StatusCode})
	close(p.grew)
	p.grew = make(chan struct{})
	p.mu.Unlock()
}

// waitPassed waits until a request with this method, path prefix and body fragment has been
// answered with status through the proxy.
func (p *hsProxy) waitPassed(t testing.TB, method, pathPrefix, inBody string, status int) {
	t.Helper()
	deadline := time.NewTimer(replyTimeout)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		grew := p.grew
		for _, ex := range p.passed {
			if ex.method == method && strings.HasPrefix(ex.path, pathPrefix) && bytes.Contains(ex.body, []byte(inBody)) && ex.status == status {
				p.mu.Unlock()
				return
			}
		}
		p.mu.Unlock()
		select {
		case <-grew:
		case <-deadline.C:
			t.Fatalf("no %s %s… with %q answered %d within %v", method, pathPrefix, inBody, status, replyTimeout)
		}
	}
}
