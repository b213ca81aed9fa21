package media

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/igbridge/igbridge/pkg/pacing"
)

// Ytdlp defaults, used when the config leaves a value at zero.
const (
	DefaultPython        = "/usr/bin/python3"
	DefaultYtdlpTimeout  = time.Minute
	DefaultMaxYtdlpBytes = 16 << 20
)

const (
	versionTimeout = 10 * time.Second
	maxStderrBytes = 256 << 10
	// waitDelay bounds how long a finished or killed yt-dlp may keep its pipes open through children.
	waitDelay = time.Second
)

// ErrInvalidLink is a link that cannot be handed to yt-dlp as it is (an unresolved share link,
// or parts that do not look like Instagram's).
var ErrInvalidLink = errors.New("invalid Instagram link")

// errExtractTimeout is the cause of an extraction context that ran out of time.
var errExtractTimeout = errors.New("yt-dlp timed out")

var pathKinds = map[string]bool{"p": true, "reel": true, "tv": true}

// YtdlpConfig configures the yt-dlp command line wrapper.
type YtdlpConfig struct {
	// Python is the interpreter that has the yt_dlp module (DefaultPython when empty). It runs
	// `-m yt_dlp` unless Command is set.
	Python string
	// Command, when set, is run instead of `Python -m yt_dlp`, e.g. ["/usr/bin/yt-dlp"].
	Command     []string
	CookiesFile string
	// Proxy is an explicit proxy URL; when empty yt-dlp applies HTTPS_PROXY/HTTP_PROXY/NO_PROXY
	// from the environment, which is passed through.
	Proxy string
	// CAFile is a PEM file of roots to trust (TLS-intercepting proxies, tests).
	CAFile string
	// Timeout bounds one extraction; on expiry yt-dlp's whole process group is killed.
	Timeout   time.Duration
	MaxItems  int   // carousel cap
	MaxOutput int64 // cap on the info JSON read from stdout
	// Pacer, when set, is waited for right before each extraction starts (for a worker pool:
	// once a worker is free), so that requests to Instagram are spaced by when they really go
	// out, and is told what Instagram answered.
	Pacer *pacing.Pacer
}

// Ytdlp extracts Instagram posts by running yt-dlp once per link.
type Ytdlp struct {
	cfg YtdlpConfig
}

// NewYtdlp returns a Ytdlp with defaults filled in.
func NewYtdlp(cfg YtdlpConfig) *Ytdlp {
	return &Ytdlp{cfg: cfg.withDefaults()}
}

// Close does nothing: each Extract cleans up after its own run.
func (y *Ytdlp) Close() error { return nil }

func (cfg YtdlpConfig) withDefaults() YtdlpConfig {
	if cfg.Python == "" {
		cfg.Python = DefaultPython
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultYtdlpTimeout
	}
	if cfg.MaxItems <= 0 {
		cfg.MaxItems = DefaultMaxItems
	}
	if cfg.MaxOutput <= 0 {
		cfg.MaxOutput = DefaultMaxYtdlpBytes
	}
	return cfg
}

// Extract runs yt-dlp for the canonical URL of link and parses its info JSON.
// Failures are *FetchError (ErrTimeout, ErrBadOutput, or the class of yt-dlp's message),
// except ErrInvalidLink for links that are refused before running anything.
func (y *Ytdlp) Extract(ctx context.Context, link Link) (*Post, error) {
	post, err := y.extract(ctx, link)
	reportToPacer(y.cfg.Pacer, link, err)
	return post, err
}

func (y *Ytdlp) extract(ctx context.Context, link Link) (*Post, error) {
	target, err := extractURL(link)
	if err != nil {
		return nil, err
	}
	cookies, cleanup, err := copyCookies(y.cfg.CookiesFile)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if err = waitForPacer(ctx, y.cfg.Pacer); err != nil {
		return nil, err
	}
	log := zerolog.Ctx(ctx) // the caller's logger names the link (the queue's job fields)
	ctx, cancel := context.WithTimeoutCause(ctx, y.cfg.Timeout, errExtractTimeout)
	defer cancel()

	start := time.Now()
	args, stdin := y.extractArgs(link, target, cookies)
	res, err := runGroup(ctx, y.command(args), y.cfg.env(), stdin, y.cfg.MaxOutput)
	log.Debug().Dur("took", time.Since(start)).Int("stdout_bytes", len(res.stdout)).Msg("yt-dlp finished")
	if cookies != "" && cookiesRejected(res.stderr) {
		// The extractor may still succeed logged out, but the operator must renew the session.
		log.Warn().Str("stderr", ytdlpMessage(res.stderr)).Msg("Instagram rejected the configured cookies")
	}
	if err := y.runError(ctx, res, err); err != nil {
		log.Debug().Err(err).Str("stderr", res.stderr).Msg("yt-dlp failed")
		return nil, err
	}
	post, err := ParseInfo(res.stdout, y.cfg.MaxItems)
	if err != nil {
		return nil, err
	}
	post.Link = link
	return post, nil
}

// runError turns the outcome of a yt-dlp run into an error; nil means stdout is worth parsing.
func (y *Ytdlp) runError(ctx context.Context, res runResult, err error) error {
	var exitErr *exec.ExitError
	switch {
	case errors.Is(context.Cause(ctx), errExtractTimeout):
		return &FetchError{Class: ClassTimeout, Message: fmt.Sprintf("yt-dlp ran longer than %s", y.cfg.Timeout)}
	case ctx.Err() != nil:
		return fmt.Errorf("failed to run yt-dlp: %w", context.Cause(ctx))
	case res.overflow:
		return &FetchError{Class: ClassBadOutput, Message: fmt.Sprintf("yt-dlp wrote more than %d bytes", y.cfg.MaxOutput)}
	case err == nil:
		return nil
	case errors.As(err, &exitErr):
		return &FetchError{Class: ClassifyYtdlp(res.stderr, y.cfg.CookiesFile != ""), Message: ytdlpMessage(res.stderr), Err: err}
	default:
		return &FetchError{Class: ClassExtractorBroken, Message: "failed to run yt-dlp", Err: err}
	}
}

// copyCookies gives each run (or worker process) its own copy of the cookies file src. yt-dlp
// rewrites its cookies file in place on exit and drops a session it believes expired: concurrent
// runs would read each other's half-written files, and one false alarm would delete the operator's session.
// The copy is in the scratch directory, which a later start empties if the bridge is killed first.
func copyCookies(src string) (path string, cleanup func(), err error) {
	if src == "" {
		return "", func() {}, nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return "", nil, &FetchError{Class: ClassCookiesInvalid, Message: "failed to read the cookies file", Err: err}
	}
	scratch, err := scratchDir()
	if err != nil {
		return "", nil, err
	}
	f, err := os.CreateTemp(scratch, "cookies-*.txt") // 0600
	if err != nil {
		return "", nil, fmt.Errorf("failed to create a cookies copy: %w", err)
	}
	path = f.Name()
	cleanup = func() { os.Remove(path) }
	_, err = f.Write(data)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("failed to copy the cookies file: %w", err)
	}
	return path, cleanup, nil
}

// extractURL validates the link's parts and returns its canonical URL. Links come from chat
// messages, so nothing in them may reach yt-dlp unchecked.
func extractURL(link Link) (string, error) {
	switch link.Kind {
	case LinkPost:
		if !isCodeSegment(link.Shortcode) || !pathKinds[link.PathKind] {
			return "", fmt.Errorf("%w: bad post shortcode or path", ErrInvalidLink)
		}
	case LinkStory:
		if !ValidUsername(link.User) || !isDigits(link.StoryID, 25) {
			return "", fmt.Errorf("%w: bad story user or id", ErrInvalidLink)
		}
	case LinkShare:
		return "", fmt.Errorf("%w: share links must be resolved first", ErrInvalidLink)
	default:
		return "", fmt.Errorf("%w: unknown kind %d", ErrInvalidLink, link.Kind)
	}
	raw := link.URL()
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host != "www.instagram.com" {
		return "", fmt.Errorf("%w: %q is not a canonical Instagram URL", ErrInvalidLink, raw)
	}
	return raw, nil
}

// extractArgs builds yt-dlp's arguments and what it reads from stdin. The URL always comes after
// "--" so it can never be taken for an option. The private options go through stdin, as a
// config file: a command line is visible to every user of the machine (ps).
func (y *Ytdlp) extractArgs(link Link, target, cookies string) (args []string, stdin string) {
	args = y.cfg.options(link.Kind == LinkStory)
	if private := y.cfg.privateOptions(cookies); len(private) > 0 {
		args = append(args, "--config-locations", "-")
		stdin = configText(private)
	}
	return append(args, "--", target), stdin
}

// options returns yt-dlp's command-line options for extracting a post or a story, shared by the
// command line and the worker (which parses them with yt_dlp.parse_options). Warnings stay on
// because the classification reads them, and -J also makes yt-dlp resolve carousel entries.
func (cfg YtdlpConfig) options(story bool) []string {
	args := []string{
		"--ignore-config", "--no-cache-dir", "--no-progress",
		"-J", "-f", "b", "--ignore-no-formats-error",
	}
	if story {
		// Without it a story item URL returns the user's whole story.
		args = append(args, "--no-playlist")
	}
	if cfg.CAFile != "" {
		// SSL_CERT_FILE (see env) is only honoured when yt-dlp does not use certifi's bundle.
		args = append(args, "--compat-options", "no-certifi")
	}
	return args
}

// privateOptions returns the options that must not be on a command line: the path of the
// cookies copy and the proxy URL, which may hold a password.
func (cfg YtdlpConfig) privateOptions(cookies string) []string {
	var args []string
	if cookies != "" {
		args = append(args, "--cookies", cookies)
	}
	if cfg.Proxy != "" {
		args = append(args, "--proxy", cfg.Proxy)
	}
	return args
}

// configText writes args as a yt-dlp config file, which yt-dlp splits like a POSIX shell
// (shlex): one argument per line in single quotes, a quote in it as quote, backslash-quote, quote.
func configText(args []string) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'\n")
	}
	return b.String()
}

// command returns the argv that runs yt-dlp with args.
func (y *Ytdlp) command(args []string) []string {
	if len(y.cfg.Command) > 0 {
		return append(append([]string(nil), y.cfg.Command...), args...)
	}
	return append([]string{y.cfg.Python, "-m", "yt_dlp"}, args...)
}

// env passes the process environment through (proxy variables, PYTHONPATH for an unpacked yt-dlp).
func (cfg YtdlpConfig) env() []string {
	env := append(os.Environ(),
		// -m and -c put the working directory first on sys.path; a stray yt_dlp/ there must not win.
		"PYTHONSAFEPATH=1",
	)
	if cfg.CAFile != "" {
		env = append(env, "SSL_CERT_FILE="+cfg.CAFile)
	}
	return env
}

var versionPattern = regexp.MustCompile(`^[0-9][0-9A-Za-z.+-]{0,63}$`)

// Version returns the version of yt-dlp that Extract runs.
func (y *Ytdlp) Version(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, versionTimeout)
	defer cancel()
	argv := y.command([]string{"--version"})
	if len(y.cfg.Command) == 0 {
		// Importing only the version module avoids loading every extractor.
		argv = []string{y.cfg.Python, "-c", "import yt_dlp.version as v; print(v.__version__)"}
	}
	res, err := runGroup(ctx, argv, y.cfg.env(), "", 4096)
	if err != nil {
		return "", fmt.Errorf("failed to get yt-dlp version: %w (%s)", err, ytdlpMessage(res.stderr))
	}
	v := strings.TrimSpace(string(res.stdout))
	if !versionPattern.MatchString(v) {
		return "", fmt.Errorf("failed to get yt-dlp version: unexpected output %q", truncateUTF8(v, 64))
	}
	return v, nil
}

type runResult struct {
	stdout   []byte
	stderr   string
	overflow bool // stdout passed its limit and the process was cut off
}

// runGroup runs argv, with stdin on its standard input, in a process group of its own and kills
// the whole group when ctx ends, so no interpreter or helper outlives a timeout.
func runGroup(ctx context.Context, argv []string, env []string, stdin string, maxStdout int64) (runResult, error) {
	stdout := &cappedBuffer{limit: maxStdout}
	stderr := &tailBuffer{limit: maxStderrBytes}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.SysProcAttr = groupProcAttr()
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = waitDelay
	err := cmd.Run()
	if cmd.Process != nil {
		// Whatever the leader left running goes too. The group id cannot have been reused while
		// a member lives, and with no member left this finds nothing to kill.
		_ = killGroup(cmd.Process.Pid)
	}
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState.Success() {
		// A leftover child held our pipes after a clean exit; the output is complete.
		err = nil
	}
	return runResult{stdout: stdout.buf, stderr: string(stderr.buf), overflow: stdout.overflow}, err
}

func killGroup(pgid int) error {
	err := syscall.Kill(-pgid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

// cappedBuffer keeps at most limit bytes. A write past the limit fails, which makes os/exec
// close the pipe, so the writer gets EPIPE instead of being read forever.
type cappedBuffer struct {
	buf      []byte
	limit    int64
	overflow bool
}

var errOutputTooLarge = errors.New("output too large")

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if int64(len(b.buf))+int64(len(p)) > b.limit {
		b.overflow = true
		return 0, errOutputTooLarge
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// tailBuffer keeps the last limit bytes written: yt-dlp's ERROR line comes last.
type tailBuffer struct {
	buf   []byte
	limit int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.limit; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}
