package media

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/igbridge/igbridge/internal/fakeig"
)

const systemPython = "/usr/bin/python3"

var ytdlpAvailable = sync.OnceValue(func() error {
	return exec.Command(systemPython, "-c", "import yt_dlp").Run()
})

// requireYtdlp fails (never skips) when yt-dlp is missing, so a machine without it cannot pass.
func requireYtdlp(tb testing.TB) {
	tb.Helper()
	if err := ytdlpAvailable(); err != nil {
		tb.Fatalf("%s cannot import yt_dlp (run scripts/setup.sh or make test): %v", systemPython, err)
	}
}

func fakeYtdlp(srv *fakeig.Server, cookies string) *Ytdlp {
	return NewYtdlp(YtdlpConfig{
		Python: systemPython, Proxy: srv.ProxyURL, CAFile: srv.CAFile, CookiesFile: cookies, Timeout: 30 * time.Second,
	})
}

func fetchLink(code string) Link { return Link{Kind: LinkPost, PathKind: "p", Shortcode: code} }

func kinds(items []Item) string {
	var s []string
	for _, it := range items {
		s = append(s, map[ItemKind]string{ItemVideo: "video", ItemImage: "image"}[it.Kind])
	}
	return strings.Join(s, ",")
}

func TestExtractFakeIG(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	cookies := srv.WriteCookies(t)
	tests := []struct {
		name       string
		link       Link
		cookies    string
		kinds      string
		totalItems int
	}{
		{"reel", Link{Kind: LinkPost, PathKind: "reel", Shortcode: fakeig.CodeReel}, "", "video", 1},
		{"image", fetchLink(fakeig.CodeImage), "", "image", 1},
		{"carousel", fetchLink(fakeig.CodeCarousel), "", "image,video,image", 3},
		{"big carousel", fetchLink(fakeig.CodeBigCarousel), "", "image,image,image,video,image,image,image,video,image,image", 12},
		{"private with cookies", fetchLink(fakeig.CodePrivate), cookies, "video", 1},
		{"story with cookies", Link{Kind: LinkStory, User: fakeig.StoryUser, StoryID: fakeig.StoryID}, cookies, "video", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			post, err := fakeYtdlp(srv, tt.cookies).Extract(context.Background(), tt.link)
			if err != nil {
				t.Fatal(err)
			}
			if got := kinds(post.Items); got != tt.kinds || post.TotalItems != tt.totalItems {
				t.Errorf("items %s of %d, want %s of %d", got, post.TotalItems, tt.kinds, tt.totalItems)
			}
			if post.Link != tt.link {
				t.Errorf("Link = %+v, want %+v", post.Link, tt.link)
			}
			f, ok := srv.Fixture(tt.link.Shortcode)
			if tt.link.Kind == LinkStory {
				f, ok = srv.Fixture(tt.link.StoryID)
			}
			if !ok {
				t.Fatal("no fixture")
			}
			if post.Username != f.Username || post.FullName != f.FullName || post.Caption != f.Caption ||
				post.Timestamp.Unix() != f.TakenAt {
				t.Errorf("post %q %q %q %v, want %q %q %q %d",
					post.Username, post.FullName, post.Caption, post.Timestamp, f.Username, f.FullName, f.Caption, f.TakenAt)
			}
			for i, it := range post.Items {
				want := f.Items[i]
				if it.URL != want.MediaURL || it.Width != want.Width || it.Height != want.Height ||
					it.Duration != time.Duration(want.Duration*float64(time.Second)) {
					t.Errorf("item %d = %+v, want %+v", i, it, want)
				}
				if !AllowedMediaURL(it.URL) {
					t.Errorf("item %d URL %s is not on the CDN", i, it.URL)
				}
				if it.Kind == ItemVideo && (it.Headers["Referer"] != "https://www.instagram.com/" || it.ThumbnailURL != want.ThumbURL) {
					t.Errorf("video item %d: headers %v, thumbnail %q", i, it.Headers, it.ThumbnailURL)
				}
			}
		})
	}
}

func TestExtractReelDetails(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	post, err := fakeYtdlp(srv, "").Extract(context.Background(), fetchLink(fakeig.CodeReel))
	if err != nil {
		t.Fatal(err)
	}
	if post.ID != fakeig.CodeReel || post.FullName != "Instagram" || post.Username != "instagram" ||
		!strings.HasPrefix(post.Caption, "Reel caption with #hashtag") {
		t.Errorf("post = %+v", post)
	}
	it := post.Items[0]
	if !strings.Contains(it.URL, ".cdninstagram.com/") || it.Headers["Referer"] != "https://www.instagram.com/" ||
		it.Headers["User-Agent"] == "" || it.Width != 320 || it.Height != 240 || it.Duration != 2*time.Second {
		t.Errorf("item = %+v", it)
	}
	if n := srv.CountRequests("www.instagram.com", "/p/"+fakeig.CodeReel); n != 1 {
		t.Errorf("the fake saw %d requests for the post page, want 1", n)
	}
}

func TestExtractFakeIGErrors(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	cookies := map[string]string{"": "", "valid": srv.WriteCookies(t), "expired": srv.WriteExpiredCookies(t)}
	for _, tt := range fakeErrorCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			post, err := fakeYtdlp(srv, cookies[tt.cookies]).Extract(context.Background(), tt.link)
			tt.check(t, post, err)
		})
	}
}

func TestExtractLeavesCookiesFileAlone(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	// yt-dlp drops the sessionid it believes expired and saves its cookie jar on exit.
	path := srv.WriteExpiredCookies(t)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fakeYtdlp(srv, path).Extract(context.Background(), fetchLink(fakeig.CodeReel)); err != nil {
		t.Logf("Extract: %v", err)
	}
	if after, err := os.ReadFile(path); err != nil || string(after) != string(before) {
		t.Errorf("the cookies file changed:\n%s\nwas\n%s", after, before)
	}
}

func TestExtractUnreadableCookies(t *testing.T) {
	t.Parallel()
	y := NewYtdlp(YtdlpConfig{Command: writeScript(t, "echo null"), CookiesFile: filepath.Join(t.TempDir(), "missing.txt")})
	if _, err := y.Extract(context.Background(), fetchLink(fakeig.CodeReel)); !errors.Is(err, ErrCookiesInvalid) {
		t.Errorf("Extract() = %v, want ErrCookiesInvalid", err)
	}
}

func TestExtractTimeoutKillsYtdlp(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	srv.SetDelay(fakeig.CodeSlow, time.Minute)
	y := fakeYtdlp(srv, "")
	y.cfg.Timeout = 2 * time.Second

	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := y.Extract(context.Background(), fetchLink(fakeig.CodeSlow))
		done <- err
	}()
	pgid := waitForProcess(t, "/p/"+fakeig.CodeSlow+"/", done)
	err := <-done
	if took := time.Since(start); took > 3500*time.Millisecond {
		t.Errorf("Extract took %s with a 2s timeout", took)
	}
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Extract() = %v, want ErrTimeout", err)
	}
	if members := groupMembers(pgid); len(members) > 0 {
		t.Errorf("processes %v of yt-dlp's group %d outlived the timeout", members, pgid)
	}
}

// writeScript writes a shell script for YtdlpConfig.Command. It runs as "/bin/sh <file>" so it is
// never exec'ed while a parallel test's fork holds it open for writing (ETXTBSY).
func writeScript(t *testing.T, body string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "yt-dlp.sh")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"/bin/sh", path}
}

func TestExtractScripted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		script string
		want   error
	}{
		{"garbage", "echo '{not json'", ErrBadOutput},
		{"null", "echo null", ErrNoMedia},
		{"too much output", "printf '{\"id\":\"%0100000d\"}' 0", ErrBadOutput},
		{"error line", "echo 'ERROR: [Instagram] Video0001: Unable to download webpage: HTTP Error 429: Too Many Requests' >&2; exit 1", ErrRateLimited},
		{"error after a flood of warnings", "yes 'WARNING: noise' | head -n 100000 >&2; echo 'ERROR: [Instagram] Video0001: Unable to download webpage: HTTP Error 404: Not Found' >&2; exit 1", ErrNotFound},
		{"crash", "echo 'Traceback (most recent call last):' >&2; exit 1", ErrExtractorBroken},
		{"killed by a signal", "kill -9 $$", ErrExtractorBroken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			y := NewYtdlp(YtdlpConfig{Command: writeScript(t, tt.script), Timeout: 10 * time.Second, MaxOutput: 1000})
			post, err := y.Extract(context.Background(), fetchLink(fakeig.CodeReel))
			if !errors.Is(err, tt.want) {
				t.Errorf("Extract() = %+v, %v; want %v", post, err, tt.want)
			}
		})
	}
}

func TestExtractMissingCommand(t *testing.T) {
	t.Parallel()
	y := NewYtdlp(YtdlpConfig{Command: []string{filepath.Join(t.TempDir(), "no-such-yt-dlp")}})
	if _, err := y.Extract(context.Background(), fetchLink(fakeig.CodeReel)); !errors.Is(err, ErrExtractorBroken) {
		t.Errorf("Extract() = %v, want ErrExtractorBroken", err)
	}
}

func TestExtractTimeoutKillsProcessGroup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The shell waits on a child; a timeout must take both down, not just the shell.
	script := fmt.Sprintf("echo $$ >%[1]s/pid\nsleep 600 &\necho $! >%[1]s/child\nwait\n", dir)
	y := NewYtdlp(YtdlpConfig{Command: writeScript(t, script), Timeout: time.Second})
	start := time.Now()
	_, err := y.Extract(context.Background(), fetchLink(fakeig.CodeReel))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Extract() = %v, want ErrTimeout", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Extract took %s with a 1s timeout", took)
	}
	pgid := readPid(t, filepath.Join(dir, "pid"))
	child := readPid(t, filepath.Join(dir, "child"))
	if members := groupMembers(pgid); len(members) > 0 {
		t.Errorf("processes %v of the group outlived the timeout", members)
	}
	if !gone(child) {
		t.Errorf("the child %d outlived the timeout", child)
	}
}

func TestExtractStrayChildHoldingStdout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The "yt-dlp" exits at once, leaving a child that keeps stdout open.
	script := fmt.Sprintf("sleep 600 &\necho $! >%s/child\necho null\n", dir)
	y := NewYtdlp(YtdlpConfig{Command: writeScript(t, script), Timeout: 10 * time.Second})
	start := time.Now()
	if _, err := y.Extract(context.Background(), fetchLink(fakeig.CodeReel)); !errors.Is(err, ErrNoMedia) {
		t.Fatalf("Extract() = %v, want ErrNoMedia", err)
	}
	if took := time.Since(start); took > waitDelay+2*time.Second {
		t.Errorf("Extract took %s", took)
	}
	if child := readPid(t, filepath.Join(dir, "child")); !gone(child) {
		t.Errorf("the child %d outlived yt-dlp", child)
	}
}

func TestExtractCancelled(t *testing.T) {
	t.Parallel()
	y := NewYtdlp(YtdlpConfig{Command: writeScript(t, "sleep 600"), Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := y.Extract(ctx, fetchLink(fakeig.CodeReel))
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) {
		t.Errorf("Extract() = %v, want the caller's context error", err)
	}
}

// TestExtractArgumentsWithFakeYtdlp runs a fake yt-dlp that records its argv (what ps shows to
// every user) and its stdin: the cookies path and the proxy URL, which may hold a password, must
// come through stdin only.
func TestExtractArgumentsWithFakeYtdlp(t *testing.T) {
	t.Parallel()
	const proxy = "http://user:it's-secret@127.0.0.1:3128"
	tests := []struct {
		name  string
		cfg   YtdlpConfig
		link  Link
		want  []string
		stdin string // COPY stands for the path of the cookies copy
	}{
		{
			"post", YtdlpConfig{}, Link{Kind: LinkPost, PathKind: "reel", Shortcode: "Video0001"},
			[]string{"--ignore-config", "--no-cache-dir", "--no-progress", "-J", "-f", "b", "--ignore-no-formats-error",
				"--", "https://www.instagram.com/reel/Video0001/"},
			"",
		},
		{
			"story with everything", YtdlpConfig{CookiesFile: "COOKIES", Proxy: proxy, CAFile: "/ca.pem"},
			Link{Kind: LinkStory, User: "storyok", StoryID: "3141592653589793238"},
			[]string{"--ignore-config", "--no-cache-dir", "--no-progress", "-J", "-f", "b", "--ignore-no-formats-error",
				"--no-playlist", "--compat-options", "no-certifi", "--config-locations", "-",
				"--", "https://www.instagram.com/stories/storyok/3141592653589793238/"},
			"'--cookies'\n'COPY'\n'--proxy'\n'http://user:it'\\''s-secret@127.0.0.1:3128'\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			const cookies = "# Netscape HTTP Cookie File\n"
			if tt.cfg.CookiesFile != "" {
				tt.cfg.CookiesFile = filepath.Join(dir, "cookies.txt")
				if err := os.WriteFile(tt.cfg.CookiesFile, []byte(cookies), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			// Record the arguments one per line and stdin (saving the content of the cookies copy
			// it names), then answer like yt-dlp for an image post.
			script := strings.ReplaceAll(`printf '%s\n' "$@" >DIR/args
cat >DIR/stdin
copy=$(sed -n "2s/^'\(.*\)'$/\1/p" DIR/stdin)
if [ -n "$copy" ]; then cp "$copy" DIR/copy-content; fi
echo '{"id":"X","thumbnails":[{"url":"https://scontent.cdninstagram.com/x.jpg","width":1,"height":1}]}'
`, "DIR", dir)
			tt.cfg.Command = writeScript(t, script)
			if _, err := NewYtdlp(tt.cfg).Extract(context.Background(), tt.link); err != nil {
				t.Fatal(err)
			}
			args, err := os.ReadFile(filepath.Join(dir, "args"))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Split(strings.TrimSuffix(string(args), "\n"), "\n"); !slices.Equal(got, tt.want) {
				t.Errorf("arguments\n%q\nwant\n%q", got, tt.want)
			}
			stdin, err := os.ReadFile(filepath.Join(dir, "stdin"))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(args), "secret") || strings.Contains(string(args), "cookies") {
				t.Errorf("the command line %q shows the proxy password or the cookies", args)
			}
			if tt.cfg.CookiesFile == "" {
				if len(stdin) != 0 {
					t.Errorf("stdin %q, want nothing", stdin)
				}
				return
			}
			copyPath := strings.Trim(strings.Split(string(stdin), "\n")[1], "'")
			if got := strings.ReplaceAll(string(stdin), copyPath, "COPY"); got != tt.stdin {
				t.Errorf("stdin\n%s\nwant\n%s", got, tt.stdin)
			}
			if content, err := os.ReadFile(filepath.Join(dir, "copy-content")); err != nil || string(content) != cookies {
				t.Errorf("yt-dlp saw cookies %q, %v", content, err)
			}
			if _, err := os.Stat(copyPath); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the cookies copy was not removed: %v", err)
			}
		})
	}
}

// TestExtractProxyWithPassword: the real yt-dlp reads the proxy from its stdin, quoting and all;
// the fake Instagram is only reachable through the proxy.
func TestExtractProxyWithPassword(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	y := fakeYtdlp(srv, srv.WriteCookies(t))
	y.cfg.Proxy = strings.Replace(srv.ProxyURL, "http://", "http://user:it's%23secret@", 1)
	post, err := y.Extract(context.Background(), fetchLink(fakeig.CodeImage))
	if err != nil {
		t.Fatal(err)
	}
	if kinds(post.Items) != "image" {
		t.Errorf("items %s, want image", kinds(post.Items))
	}
}

func TestExtractRefusesForgedLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	y := NewYtdlp(YtdlpConfig{Command: writeScript(t, fmt.Sprintf("touch %s/ran\necho null\n", dir))})
	tests := []Link{
		{Kind: LinkPost, PathKind: "p", Shortcode: "--exec=x"},
		{Kind: LinkPost, PathKind: "p", Shortcode: "a/../../evil"},
		{Kind: LinkPost, PathKind: "p", Shortcode: ""},
		{Kind: LinkPost, PathKind: "p", Shortcode: "abc def"},
		{Kind: LinkPost, PathKind: "../x", Shortcode: "Video0001"},
		{Kind: LinkPost, PathKind: "", Shortcode: "Video0001"},
		{Kind: LinkStory, User: "--exec", StoryID: "1"},
		{Kind: LinkStory, User: "storyok", StoryID: "1/../2"},
		{Kind: LinkStory, User: "storyok", StoryID: ""},
		{Kind: LinkShare, ShareCode: "reel/BAbcShare1"},
		{},
	}
	for _, link := range tests {
		if _, err := y.Extract(context.Background(), link); !errors.Is(err, ErrInvalidLink) {
			t.Errorf("Extract(%+v) = %v, want ErrInvalidLink", link, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
		t.Error("yt-dlp ran for a forged link")
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	for _, cfg := range []YtdlpConfig{{Python: systemPython}, {Command: []string{"/usr/bin/yt-dlp"}}} {
		v, err := NewYtdlp(cfg).Version(context.Background())
		if err != nil {
			t.Fatalf("%+v: %v", cfg, err)
		}
		// Today's Instagram extractor needs 2026.07 or later.
		if v < "2026.07" {
			t.Errorf("%+v: version %q", cfg, v)
		}
	}
}

func TestVersionBadOutput(t *testing.T) {
	t.Parallel()
	y := NewYtdlp(YtdlpConfig{Command: writeScript(t, "echo 'not a version'")})
	if v, err := y.Version(context.Background()); err == nil {
		t.Errorf("Version() = %q, want an error", v)
	}
}

func BenchmarkExtractCLI(b *testing.B) {
	requireYtdlp(b)
	srv := fakeig.Start(b)
	y := fakeYtdlp(srv, "")
	link := fetchLink(fakeig.CodeReel)
	// CPU time of the yt-dlp processes is steadier than wall time on a busy machine.
	cpuBefore := childCPU(b)
	for b.Loop() {
		if _, err := y.Extract(context.Background(), link); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((childCPU(b)-cpuBefore).Milliseconds())/float64(b.N), "child-cpu-ms/op")
}

// childCPU returns the user and system time used by waited-for child processes so far.
func childCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// waitForProcess polls /proc until a process whose command line contains marker appears and
// returns its process group; it gives up when done delivers first.
func waitForProcess(t *testing.T, marker string, done chan error) int {
	t.Helper()
	for {
		if pgid, ok := findProcessGroup(marker); ok {
			return pgid
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("no process with %q seen before Extract returned", marker)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func findProcessGroup(marker string) (int, bool) {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		cmdline, err := os.ReadFile(dir + "/cmdline")
		if err != nil || !strings.Contains(string(cmdline), marker) {
			continue
		}
		// Only our own child: other test binaries may run yt-dlp for the same post.
		if _, ppid, pgid, ok := readStat(dir); ok && ppid == os.Getpid() {
			return pgid, true
		}
	}
	return 0, false
}

// groupMembers returns the live (not zombie) processes of a process group, allowing a moment
// for a SIGKILL to land.
func groupMembers(pgid int) []int {
	var members []int
	for range 50 {
		members = members[:0]
		dirs, _ := filepath.Glob("/proc/[0-9]*")
		for _, dir := range dirs {
			state, _, g, ok := readStat(dir)
			if ok && g == pgid && state != "Z" {
				pid, _ := strconv.Atoi(filepath.Base(dir))
				members = append(members, pid)
			}
		}
		if len(members) == 0 {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return members
}

// gone reports whether a process is gone or a zombie, allowing a moment for a SIGKILL to land.
func gone(pid int) bool {
	for range 50 {
		state, _, _, ok := readStat(fmt.Sprintf("/proc/%d", pid))
		if !ok || state == "Z" {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// readStat reads the state, parent and process group from /proc/<pid>/stat.
func readStat(dir string) (state string, ppid, pgid int, ok bool) {
	data, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return "", 0, 0, false
	}
	// The command name may contain spaces and parentheses; the fields start after the last ')'.
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(fields) < 3 {
		return "", 0, 0, false
	}
	ppid, err1 := strconv.Atoi(fields[1])
	pgid, err2 := strconv.Atoi(fields[2])
	return fields[0], ppid, pgid, err1 == nil && err2 == nil
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// fakeErrorCase is a post the fake Instagram fails for, and what both extractors must report.
type fakeErrorCase struct {
	name    string
	link    Link
	cookies string // "", "valid" or "expired"
	want    error
}

var fakeErrorCases = []fakeErrorCase{
	{"private", fetchLink(fakeig.CodePrivate), "", ErrPrivate},
	{"login wall", fetchLink(fakeig.CodeLoginWall), "", ErrLoginRequired},
	{"not found", fetchLink(fakeig.CodeNotFound), "", ErrNotFound},
	{"rate limited", fetchLink(fakeig.CodeRateLimited), "", ErrRateLimited},
	{"restricted", fetchLink(fakeig.CodeRestricted), "", ErrLoginRequired},
	{"empty media", fetchLink(fakeig.CodeEmptyMedia), "", ErrUnavailable},
	{"story without cookies", Link{Kind: LinkStory, User: fakeig.StoryUser, StoryID: fakeig.StoryID}, "", ErrLoginRequired},
	{"story image", Link{Kind: LinkStory, User: fakeig.StoryUser, StoryID: fakeig.StoryImageID}, "valid", ErrNoMedia},
	{"expired cookies", fetchLink(fakeig.CodePrivate), "expired", ErrCookiesInvalid},
}

func (tt fakeErrorCase) check(t *testing.T, post *Post, err error) {
	t.Helper()
	if !errors.Is(err, tt.want) {
		t.Fatalf("Extract() = %+v, %v; want %v", post, err, tt.want)
	}
	var fe *FetchError
	if errors.As(err, &fe) && fe.Message == "" {
		t.Errorf("no yt-dlp message in %v", err)
	}
}
