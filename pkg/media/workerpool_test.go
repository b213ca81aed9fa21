package media

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/igbridge/igbridge/internal/fakeig"
)

// workerMarker is in every worker's command line (the embedded source).
const workerMarker = "igbridge's yt-dlp worker"

// TestMain fails the package when a worker process or a pool goroutine outlives its test:
// every pool must be closed, and Close must leave nothing behind.
func TestMain(m *testing.M) {
	if os.Getenv(scratchHelperEnv) != "" || os.Getenv(tempHelperEnv) != "" {
		os.Exit(runScratchHelper())
	}
	code := m.Run()
	if code == 0 {
		if leaks := leftovers(); leaks != "" {
			fmt.Fprintln(os.Stderr, "leaked after the tests:\n"+leaks)
			code = 1
		}
	}
	os.Exit(code)
}

func leftovers() string {
	var leaks string
	for range 100 {
		leaks = ""
		if pids := workerProcesses(workerMarker); len(pids) > 0 {
			leaks = fmt.Sprintf("worker processes %v\n", pids)
		}
		buf := make([]byte, 1<<20)
		for g := range strings.SplitSeq(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, "media.(*worker)") || strings.Contains(g, "media.(*WorkerPool)") {
				leaks += g + "\n\n"
			}
		}
		if leaks == "" {
			return ""
		}
		// A goroutine that just closed its channel may not have returned yet.
		time.Sleep(10 * time.Millisecond)
	}
	return leaks
}

// workerProcesses returns our live child processes whose command line or environment contains
// marker (a fake's CA file is in its workers' environment, a script's path in the command line).
func workerProcesses(marker string) []int {
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		state, ppid, _, ok := readStat(dir)
		if !ok || ppid != os.Getpid() || state == "Z" {
			continue
		}
		cmdline, _ := os.ReadFile(dir + "/cmdline")
		environ, _ := os.ReadFile(dir + "/environ")
		if strings.Contains(string(cmdline), marker) || strings.Contains(string(environ), marker) {
			pid, _ := strconv.Atoi(filepath.Base(dir))
			pids = append(pids, pid)
		}
	}
	return pids
}

func fakeExtractorConfig(srv *fakeig.Server, cookies string) ExtractorConfig {
	return ExtractorConfig{Ytdlp: fakeYtdlp(srv, cookies).cfg}
}

// startPool starts a pool that is closed (with closePool) when the test ends.
func startPool(t *testing.T, cfg ExtractorConfig) *WorkerPool {
	t.Helper()
	p, err := NewWorkerPool(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewWorkerPool: %v", err)
	}
	t.Cleanup(func() { closePool(t, p) })
	return p
}

// closePool closes an idle pool and checks that its workers are gone with their process groups.
// (Workers replaced earlier are stopped by Close too; TestMain checks for those.)
func closePool(t *testing.T, p *WorkerPool) {
	t.Helper()
	// Taking every slot also waits for replacements starting in the background.
	var taken []*worker
	var pids []int
	for range cap(p.slots) {
		w := <-p.slots
		taken = append(taken, w)
		if w != nil {
			pids = append(pids, w.cmd.Process.Pid)
		}
	}
	for _, w := range taken {
		p.slots <- w
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	for _, pid := range pids {
		if members := groupMembers(pid); len(members) > 0 {
			t.Errorf("processes %v of worker group %d outlived Close", members, pid)
		}
	}
}

// idleWorker returns the pid of an idle worker of p, failing when its slot is empty.
func idleWorker(t testing.TB, p *WorkerPool) int {
	t.Helper()
	w := <-p.slots
	p.slots <- w
	if w == nil {
		t.Fatal("no idle worker")
	}
	return w.cmd.Process.Pid
}

// homePageRequests counts the extractor's session set-up requests (GET / on www.instagram.com).
func homePageRequests(srv *fakeig.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Host == "www.instagram.com" && r.Path == "/" {
			n++
		}
	}
	return n
}

// comparable blanks what legitimately differs between two extractions of the same post:
// each YoutubeDL picks a random browser User-Agent.
func comparable(p *Post) *Post {
	c := *p
	c.Items = nil
	for _, it := range p.Items {
		headers := make(map[string]string, len(it.Headers))
		for k, v := range it.Headers {
			if k == "User-Agent" && v != "" {
				v = "(set)"
			}
			headers[k] = v
		}
		it.Headers = headers
		c.Items = append(c.Items, it)
	}
	return &c
}

func TestWorkerPoolMatchesCLI(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	cookies := srv.WriteCookies(t)
	pools := map[bool]*WorkerPool{}
	for _, withCookies := range []bool{false, true} {
		pools[withCookies] = startPool(t, fakeExtractorConfig(srv, map[bool]string{true: cookies}[withCookies]))
	}
	tests := []struct {
		name    string
		link    Link
		cookies bool
	}{
		{"reel", Link{Kind: LinkPost, PathKind: "reel", Shortcode: fakeig.CodeReel}, false},
		{"image", fetchLink(fakeig.CodeImage), false},
		{"carousel", fetchLink(fakeig.CodeCarousel), false},
		{"big carousel", fetchLink(fakeig.CodeBigCarousel), false},
		{"private with cookies", fetchLink(fakeig.CodePrivate), true},
		{"story with cookies", Link{Kind: LinkStory, User: fakeig.StoryUser, StoryID: fakeig.StoryID}, true},
	}
	// Closing the pools waits for the subtests, which run in parallel.
	t.Run("cases", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				want, err := NewYtdlp(pools[tt.cookies].cfg.Ytdlp).Extract(context.Background(), tt.link)
				if err != nil {
					t.Fatalf("CLI: %v", err)
				}
				got, err := pools[tt.cookies].Extract(context.Background(), tt.link)
				if err != nil {
					t.Fatalf("worker: %v", err)
				}
				if g, w := fmt.Sprintf("%+v", comparable(got)), fmt.Sprintf("%+v", comparable(want)); g != w {
					t.Errorf("worker post\n%s\nCLI post\n%s", g, w)
				}
			})
		}
	})
}

func TestWorkerPoolSetsUpSessionOnce(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	p := startPool(t, fakeExtractorConfig(srv, ""))
	for i, code := range []string{fakeig.CodeReel, fakeig.CodeImage, fakeig.CodeReel} {
		if _, err := p.Extract(context.Background(), fetchLink(code)); err != nil {
			t.Fatalf("extraction %d: %v", i+1, err)
		}
		if n := homePageRequests(srv); n != 1 {
			t.Fatalf("after extraction %d the fake saw %d GET / requests, want 1", i+1, n)
		}
	}
	if n := srv.CountRequests("www.instagram.com", "/p/"); n != 3 {
		t.Errorf("the fake saw %d post page requests, want 3", n)
	}
	if n := p.Restarts(); n != 0 {
		t.Errorf("Restarts() = %d, want 0", n)
	}
}

func TestWorkerPoolErrors(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	pools := map[string]*WorkerPool{
		"":        startPool(t, fakeExtractorConfig(srv, "")),
		"valid":   startPool(t, fakeExtractorConfig(srv, srv.WriteCookies(t))),
		"expired": startPool(t, fakeExtractorConfig(srv, srv.WriteExpiredCookies(t))),
	}
	t.Run("cases", func(t *testing.T) {
		for _, tt := range fakeErrorCases {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				post, err := pools[tt.cookies].Extract(context.Background(), tt.link)
				tt.check(t, post, err)
			})
		}
	})
	// None of these is the extractor's fault, so no worker was replaced.
	for name, p := range pools {
		if n := p.Restarts(); n != 0 {
			t.Errorf("pool %q: Restarts() = %d, want 0", name, n)
		}
	}
}

func TestWorkerPoolTimeout(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	srv.SetDelay(fakeig.CodeSlow, time.Minute)
	cfg := fakeExtractorConfig(srv, "")
	cfg.Ytdlp.Timeout = 2 * time.Second
	p := startPool(t, cfg)
	pid := idleWorker(t, p)

	start := time.Now()
	_, err := p.Extract(context.Background(), fetchLink(fakeig.CodeSlow))
	if took := time.Since(start); took < cfg.Ytdlp.Timeout || took > cfg.Ytdlp.Timeout+1500*time.Millisecond {
		t.Errorf("Extract took %s with a %s timeout", took, cfg.Ytdlp.Timeout)
	}
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Extract() = %v, want ErrTimeout", err)
	}
	if members := groupMembers(pid); len(members) > 0 {
		t.Errorf("processes %v of the timed-out worker's group %d are still alive", members, pid)
	}
	if _, err := p.Extract(context.Background(), fetchLink(fakeig.CodeReel)); err != nil {
		t.Fatalf("Extract after the timeout: %v", err)
	}
	if n := p.Restarts(); n != 1 {
		t.Errorf("Restarts() = %d, want 1", n)
	}
	if fresh := idleWorker(t, p); fresh == pid {
		t.Errorf("the timed-out worker %d is still in use", pid)
	}
}

func TestWorkerPoolRecycles(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	cfg := fakeExtractorConfig(srv, "")
	cfg.MaxRequests = 2
	p := startPool(t, cfg)
	for i := range 3 {
		if _, err := p.Extract(context.Background(), fetchLink(fakeig.CodeReel)); err != nil {
			t.Fatalf("extraction %d: %v", i+1, err)
		}
	}
	if n := p.Restarts(); n != 1 {
		t.Errorf("Restarts() = %d, want 1", n)
	}
	// Each worker sets up its session once.
	if n := homePageRequests(srv); n != 2 {
		t.Errorf("the fake saw %d GET / requests, want 2", n)
	}
}

func TestWorkerPoolWaitsForAFreeWorker(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	p := startPool(t, fakeExtractorConfig(srv, ""))
	links := []Link{fetchLink(fakeig.CodeReel), fetchLink(fakeig.CodeImage), fetchLink(fakeig.CodeCarousel), fetchLink(fakeig.CodeReel)}
	var wg sync.WaitGroup
	errs := make([]error, len(links))
	for i, link := range links {
		wg.Go(func() { _, errs[i] = p.Extract(context.Background(), link) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := homePageRequests(srv); n != 1 {
		t.Errorf("the fake saw %d GET / requests, want 1 (one worker)", n)
	}
}

func TestWorkerPoolCancelled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A worker that says hello and never answers holds the only slot.
	python := writeInterpreter(t, dir, helloScript("2026.10.26")+"read req\nread never\n")
	p := startPool(t, ExtractorConfig{Ytdlp: YtdlpConfig{Python: python, Timeout: time.Minute}})
	pid := idleWorker(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	busy := make(chan error, 1)
	go func() {
		_, err := p.Extract(ctx, fetchLink(fakeig.CodeReel))
		busy <- err
	}()
	// Once the slot is taken (the request is in flight), a second request has to wait.
	for len(p.slots) > 0 {
		runtime.Gosched()
	}
	waitCtx, waitCancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer waitCancel()
	if _, err := p.Extract(waitCtx, fetchLink(fakeig.CodeImage)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting Extract() = %v, want DeadlineExceeded", err)
	}
	// Cancelling the request in flight kills its worker, which is replaced.
	cancel()
	if err := <-busy; !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Errorf("cancelled Extract() = %v, want the caller's context error", err)
	}
	if members := groupMembers(pid); len(members) > 0 {
		t.Errorf("processes %v of the cancelled worker's group %d are still alive", members, pid)
	}
	if n := p.Restarts(); n != 1 {
		t.Errorf("Restarts() = %d, want 1", n)
	}
}

func TestWorkerPoolClosed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	python := writeInterpreter(t, dir, helloScript("2026.10.26")+"cat >/dev/null\n")
	cfg := ExtractorConfig{Ytdlp: YtdlpConfig{Python: python}, Workers: 3}
	p, err := NewWorkerPool(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	closePool(t, p)
	if _, err := p.Extract(context.Background(), fetchLink(fakeig.CodeReel)); !errors.Is(err, ErrPoolClosed) {
		t.Errorf("Extract after Close = %v, want ErrPoolClosed", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestWorkerPoolBadOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer string // the script's reaction to a request
	}{
		{"garbage", "echo 'this is not JSON'"},
		{"wrong id", `echo '{"id":99,"ok":true,"info":null}'`},
		{"neither info nor error", `echo '{"id":1,"ok":false}'`},
		{"truncated", `printf '{"id":1,"ok":tr'; exit 0`},
		{"oversized", `head -c 5000 /dev/zero | tr '\0' x; echo`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			python := writeInterpreter(t, dir, helloScript("2026.10.26")+"while read req; do "+tt.answer+"; done\n")
			cfg := ExtractorConfig{Ytdlp: YtdlpConfig{Python: python, MaxOutput: 1000}}
			p := startPool(t, cfg)
			// The replacement behaves the same, and so must its classification: no hang, no other error.
			for i := range 2 {
				if _, err := p.Extract(context.Background(), fetchLink(fakeig.CodeReel)); !errors.Is(err, ErrBadOutput) {
					t.Fatalf("extraction %d = %v, want ErrBadOutput", i+1, err)
				}
				if n := p.Restarts(); n != int64(i+1) {
					t.Errorf("Restarts() = %d, want %d", n, i+1)
				}
			}
		})
	}
}

// TestWorkerPoolWorkerDies: a worker that dies during a request is classified by what it wrote
// to stderr during that request: yt-dlp's ERROR line, or else a crash, which is retried later.
func TestWorkerPoolWorkerDies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer string
		want   error
	}{
		{"traceback", "echo 'Traceback (most recent call last):' >&2; echo 'MemoryError' >&2; exit 1", ErrWorkerCrashed},
		{"error line", "echo 'ERROR: [Instagram] Video0001: Unable to download webpage: HTTP Error 429: Too Many Requests' >&2; exit 1", ErrRateLimited},
		{"killed", "kill -9 $$", ErrWorkerCrashed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			python := writeInterpreter(t, dir, helloScript("2026.10.26")+beginRequest+tt.answer+"\n")
			p := startPool(t, ExtractorConfig{Ytdlp: YtdlpConfig{Python: python}})
			_, err := p.Extract(context.Background(), fetchLink(fakeig.CodeReel))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Extract() = %v, want %v", err, tt.want)
			}
			if errors.Is(err, ErrWorkerCrashed) && (ClassOf(err) != ClassNetwork || errors.Is(err, errWorkerDiedIdle)) {
				t.Errorf("Extract() = %v (class %s), want a crash during the request of class %s", err, ClassOf(err), ClassNetwork)
			}
			if n := p.Restarts(); n != 1 {
				t.Errorf("Restarts() = %d, want 1", n)
			}
		})
	}
}

// TestWorkerPoolEarlierStderrDoesNotClassify: a worker that reported a 404 in request 1 and dies
// without a word in request 2 is a crash, not "does not exist"; request 1's ERROR line is old news.
func TestWorkerPoolEarlierStderrDoesNotClassify(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const notFound = `{"id":1,"ok":false,"error":{"type":"ExtractorError","expected":true,"status":404,"causes":["HTTPError"],"message":"HTTP Error 404: Not Found"},"warnings":[]}`
	script := helloScript("2026.10.26") + beginRequest +
		"echo 'ERROR: [Instagram] Video0001: Unable to download webpage: HTTP Error 404: Not Found' >&2\n" +
		"echo '" + notFound + "'\n" + beginRequest + "kill -9 $$\n"
	p := startPool(t, ExtractorConfig{Ytdlp: YtdlpConfig{Python: writeInterpreter(t, dir, script)}})
	if _, err := p.Extract(context.Background(), fetchLink(fakeig.CodeNotFound)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("request 1 = %v, want ErrNotFound", err)
	}
	_, err := p.Extract(context.Background(), fetchLink(fakeig.CodeReel))
	if !errors.Is(err, ErrWorkerCrashed) || ClassOf(err) != ClassNetwork {
		t.Fatalf("request 2 = %v (class %s), want ErrWorkerCrashed of class %s", err, ClassOf(err), ClassNetwork)
	}
	if strings.Contains(err.Error(), "404") {
		t.Errorf("request 2's error %q quotes request 1's stderr", err)
	}
}

// TestWorkerPoolWorkerDiesBeforeTheRequest: a worker that died before it read the request (here:
// every worker exits right after its hello) is replaced and the request retried once; a second
// death is the caller's retryable failure.
func TestWorkerPoolWorkerDiesBeforeTheRequest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	python := writeInterpreter(t, dir, helloScript("2026.10.26")+"exit 0\n")
	p := startPool(t, ExtractorConfig{Ytdlp: YtdlpConfig{Python: python}})
	_, err := p.Extract(context.Background(), fetchLink(fakeig.CodeReel))
	if !errors.Is(err, ErrWorkerCrashed) || ClassOf(err) != ClassNetwork {
		t.Fatalf("Extract() = %v (class %s), want ErrWorkerCrashed of class %s", err, ClassOf(err), ClassNetwork)
	}
	if n := p.Restarts(); n != 2 {
		t.Errorf("Restarts() = %d, want 2 (the dead worker and the one the retry found dead)", n)
	}
}

func TestWorkerPoolReplacesBrokenExtractor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		error    string
		want     error
		restarts int64
	}{
		{"unexpected", `{"type":"KeyError","expected":false,"status":null,"causes":[],"message":"'items'"}`, ErrExtractorBroken, 1},
		{"expected", `{"type":"ExtractorError","expected":true,"status":null,"causes":[],"message":"[Instagram] X: This content is only available for registered users who follow this account"}`, ErrPrivate, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			answer := `{"id":1,"ok":false,"error":` + tt.error + `,"warnings":[]}`
			python := writeInterpreter(t, dir, helloScript("2026.10.26")+"read req\necho '"+answer+"'\ncat >/dev/null\n")
			p := startPool(t, ExtractorConfig{Ytdlp: YtdlpConfig{Python: python}})
			if _, err := p.Extract(context.Background(), fetchLink(fakeig.CodeReel)); !errors.Is(err, tt.want) {
				t.Fatalf("Extract() = %v, want %v", err, tt.want)
			}
			if n := p.Restarts(); n != tt.restarts {
				t.Errorf("Restarts() = %d, want %d", n, tt.restarts)
			}
		})
	}
}

func TestWorkerPoolRefusesForgedLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	python := writeInterpreter(t, dir, helloScript("2026.10.26")+"while read req; do echo \"$req\" >>"+dir+"/requests; done\n")
	p := startPool(t, ExtractorConfig{Ytdlp: YtdlpConfig{Python: python}})
	for _, link := range []Link{
		{Kind: LinkPost, PathKind: "p", Shortcode: "--exec=x"},
		{Kind: LinkStory, User: "storyok", StoryID: "1/../2"},
		{Kind: LinkShare, ShareCode: "reel/BAbcShare1"},
	} {
		if _, err := p.Extract(context.Background(), link); !errors.Is(err, ErrInvalidLink) {
			t.Errorf("Extract(%+v) = %v, want ErrInvalidLink", link, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "requests")); err == nil {
		t.Error("a forged link reached the worker")
	}
}

func TestClassifyWorkerError(t *testing.T) {
	t.Parallel()
	const bug = "; please report this issue on  https://github.com/yt-dlp/yt-dlp/issues?q= , filling out the appropriate issue template. Confirm you are on the latest version using  yt-dlp -U"
	httpCause := []string{"HTTPError", "RequestError", "YoutubeDLError", "Exception", "BaseException"}
	tests := []struct {
		name     string
		err      WorkerError
		warnings []string
		cookies  bool
		want     ErrorClass
	}{
		// The status decides, whatever the text says.
		{"429", WorkerError{Type: "ExtractorError", Expected: true, Status: 429, Causes: httpCause, Message: "Unable to download JSON metadata"}, nil, false, ClassRateLimited},
		{"404", WorkerError{Type: "ExtractorError", Expected: true, Status: 404, Causes: httpCause, Message: "Restricted Video"}, nil, false, ClassNotFound},
		{"410", WorkerError{Type: "ExtractorError", Expected: true, Status: 410, Causes: httpCause}, nil, false, ClassNotFound},
		{"401", WorkerError{Type: "ExtractorError", Expected: true, Status: 401, Causes: httpCause}, nil, false, ClassLoginRequired},
		{"403", WorkerError{Type: "ExtractorError", Expected: true, Status: 403, Causes: httpCause}, nil, false, ClassLoginRequired},
		{"503", WorkerError{Type: "ExtractorError", Expected: true, Status: 503, Causes: httpCause}, nil, false, ClassNetwork},
		{"transport", WorkerError{Type: "ExtractorError", Expected: true, Causes: []string{"ProxyError", "TransportError", "RequestError"}, Message: "Unable to download webpage: Tunnel"}, nil, false, ClassNetwork},
		{"timeout", WorkerError{Type: "ExtractorError", Expected: true, Causes: []string{"TimeoutError", "OSError", "Exception"}, Message: "read"}, nil, false, ClassNetwork},
		{"url error", WorkerError{Type: "URLError", Causes: []string{"URLError", "OSError", "Exception"}, Message: "<urlopen error>"}, nil, false, ClassNetwork},
		// Then the message table.
		{"private", WorkerError{Type: "ExtractorError", Expected: true, Message: "[Instagram] X: This content is only available for registered users who follow this account"}, nil, false, ClassPrivate},
		{"empty media, unexpected", WorkerError{Type: "ExtractorError", Message: "[Instagram] X: Instagram sent an empty media response" + bug}, nil, false, ClassUnavailable},
		// Then expected or not.
		{"unknown but expected", WorkerError{Type: "ExtractorError", Expected: true, Message: "[Instagram] X: Post isn't available: gone"}, nil, false, ClassUnavailable},
		{"unexpected", WorkerError{Type: "ExtractorError", Message: "[Instagram] X: Something new"}, nil, false, ClassExtractorBroken},
		{"python bug", WorkerError{Type: "KeyError", Message: "'items'"}, nil, false, ClassExtractorBroken},
		// Rejected cookies come first when cookies are configured, from the message or a warning.
		{"cookies warning", WorkerError{Type: "ExtractorError", Expected: true, Message: "[Instagram] X: This content is only available for registered users who follow this account"},
			[]string{"[Instagram] X: The provided Instagram account cookies are no longer valid"}, true, ClassCookiesInvalid},
		{"cookies warning without cookies", WorkerError{Type: "ExtractorError", Expected: true, Message: "[Instagram] X: This content is only available for registered users who follow this account"},
			[]string{"[Instagram] X: The provided Instagram account cookies are no longer valid"}, false, ClassPrivate},
	}
	for _, tt := range tests {
		if got := ClassifyWorkerError(tt.err, tt.warnings, tt.cookies); got != tt.want {
			t.Errorf("%s: ClassifyWorkerError() = %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestWorkerPoolKilledDuringRequestAfterNotFound: request 1 gets a 404, the worker is killed
// while request 2 (a story, whose page no post request asks for) hangs at the fake Instagram.
// Request 2 is a retryable crash, not request 1's "does not exist", and the replacement answers
// the next link.
func TestWorkerPoolKilledDuringRequestAfterNotFound(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	srv.SetDelay(fakeig.StoryID, time.Minute)
	p := startPool(t, fakeExtractorConfig(srv, srv.WriteCookies(t)))
	if _, err := p.Extract(context.Background(), fetchLink(fakeig.CodeNotFound)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("request 1 = %v, want ErrNotFound", err)
	}
	pid := idleWorker(t, p)
	done := make(chan error, 1)
	go func() {
		_, err := p.Extract(context.Background(), Link{Kind: LinkStory, User: fakeig.StoryUser, StoryID: fakeig.StoryID})
		done <- err
	}()
	srv.WaitForRequest(t, "www.instagram.com", "/stories/"+fakeig.StoryUser+"/", 30*time.Second)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	err := <-done
	t.Logf("request 2 failed %s after the kill", time.Since(killed))
	if errors.Is(err, ErrNotFound) || !errors.Is(err, ErrWorkerCrashed) || errors.Is(err, errWorkerDiedIdle) || ClassOf(err) != ClassNetwork {
		t.Fatalf("request 2 = %v (class %s), want ErrWorkerCrashed during the request, class %s", err, ClassOf(err), ClassNetwork)
	}
	if n := p.Restarts(); n != 1 {
		t.Errorf("Restarts() = %d, want 1", n)
	}
	if _, err := p.Extract(context.Background(), fetchLink(fakeig.CodeReel)); err != nil {
		t.Fatalf("request 3: %v", err)
	}
	t.Logf("request 3 was answered by the replacement %s after the kill", time.Since(killed))
}

// TestWorkerPoolReplacesWorkerKilledWhileIdle: the next link after an idle worker was killed is
// answered by a replacement. The debug log shows the replacement's start-up time ("took").
func TestWorkerPoolReplacesWorkerKilledWhileIdle(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.DebugLevel).With().Timestamp().Logger()
	p, err := NewWorkerPool(log.WithContext(context.Background()), fakeExtractorConfig(srv, ""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closePool(t, p) })
	if _, err := p.Extract(context.Background(), fetchLink(fakeig.CodeReel)); err != nil {
		t.Fatal(err)
	}
	pid := idleWorker(t, p)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	if _, err := p.Extract(context.Background(), fetchLink(fakeig.CodeImage)); err != nil {
		t.Fatalf("Extract after the kill: %v", err)
	}
	t.Logf("the link after the kill was answered %s after it", time.Since(killed))
	if n := p.Restarts(); n != 1 {
		t.Errorf("Restarts() = %d, want 1", n)
	}
	if fresh := idleWorker(t, p); fresh == pid {
		t.Errorf("the killed worker %d is still in use", pid)
	}
	if n := homePageRequests(srv); n != 2 {
		t.Errorf("the fake saw %d GET / requests, want 2 (two workers)", n)
	}
}
