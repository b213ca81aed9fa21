package media

import (
	"bufio"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// The worker protocol, JSON lines over the worker's stdin and stdout (see worker.py):
//
//	→ {"options": {"post": [...], "story": [...]}, "marker": "…"}   yt-dlp options, once
//	← {"op": "hello", "version": "2026.10.26", "python": "3.11.2"}
//	→ {"id": 1, "url": "https://www.instagram.com/p/…/", "story": false}
//	← {"id": 1, "ok": true, "info": {…}, "warnings": […]}
//	← {"id": 1, "ok": false, "error": {"type": "ExtractorError", …}, "warnings": […]}
//
// One request is in flight at a time. Anything else on stdout (garbage, a truncated or oversized
// line, a wrong id) means the worker can no longer be trusted.
//
// On stderr the worker writes the marker, alone on a line, as it reads each request. The marker
// is random per worker, so nothing yt-dlp prints can forge it. It tells a worker that died during
// a request (classified from its stderr since the marker) from one that died before it read the
// request (the request never started and can go to another worker).

//go:embed worker.py
var workerSource string

// MinVersion is the oldest yt-dlp whose Instagram extractor works with today's Instagram
// (the June–July 2026 rework).
const MinVersion = "2026.07"

// DefaultWorkerStartTimeout bounds a worker's start: the interpreter, importing yt_dlp and the hello.
const DefaultWorkerStartTimeout = 10 * time.Second

const (
	// workerStopGrace is how long a worker may take to exit once its stdin is closed.
	workerStopGrace = 2 * time.Second
	// Only the end of a worker's stderr is kept, for the message when it dies.
	maxWorkerStderr = 64 << 10
	maxStderrLine   = 4 << 10
)

// ErrWorkerCrashed is a yt-dlp worker that died in an extraction without yt-dlp reporting why
// (killed, out of memory, a crash of the interpreter). It says nothing about the post, so it
// comes as a FetchError of ClassNetwork, a class that is retried.
var ErrWorkerCrashed = errors.New("the yt-dlp worker crashed")

// errWorkerDiedIdle is a worker that died before it read the request: the request can go to
// another worker.
var errWorkerDiedIdle = fmt.Errorf("%w while idle", ErrWorkerCrashed)

var (
	errBadWorkerOutput  = errors.New("bad output from the yt-dlp worker")
	errWorkerNoHello    = errors.New("the yt-dlp worker did not say hello in time")
	errWorkerBadVersion = errors.New("the yt-dlp worker reported an unexpected version")
)

// YtdlpTooOldError is a yt-dlp older than MinVersion: its Instagram extractor no longer works.
type YtdlpTooOldError struct {
	Version string
}

func (e *YtdlpTooOldError) Error() string {
	return fmt.Sprintf("yt-dlp %s is too old; need %s or newer", e.Version, MinVersion)
}

// WorkerError is the worker's account of a failed extraction: the facts ClassifyWorkerError
// classifies by.
type WorkerError struct {
	// Type is the Python exception class yt-dlp raised, e.g. "ExtractorError".
	Type string `json:"type"`
	// Expected is ExtractorError.expected: false means yt-dlp considers it a bug of its own.
	Expected bool `json:"expected"`
	// Status is the HTTP status of the HTTPError that caused it, 0 when none did.
	Status int `json:"status"`
	// Causes are the class names (most derived first) of the network error that caused it, if any.
	Causes  []string `json:"causes"`
	Message string   `json:"message"`
}

type workerInit struct {
	Options map[string][]string `json:"options"`
	Marker  string              `json:"marker"`
}

type workerHello struct {
	Op      string `json:"op"`
	Version string `json:"version"`
	Python  string `json:"python"`
}

type workerRequest struct {
	ID    uint64 `json:"id"`
	URL   string `json:"url"`
	Story bool   `json:"story"`
}

type workerResponse struct {
	ID       uint64          `json:"id"`
	OK       bool            `json:"ok"`
	Info     json.RawMessage `json:"info"`
	Error    *WorkerError    `json:"error"`
	Warnings []string        `json:"warnings"`
}

// workerExitError is a worker that closed its stdout: it crashed or could not start.
type workerExitError struct {
	state  string // exit status
	stderr string // the end of its stderr
}

func (e *workerExitError) Error() string {
	msg := "the yt-dlp worker exited (" + e.state + ")"
	if e.stderr != "" {
		msg += ": " + ytdlpMessage(e.stderr)
	}
	return msg
}

// worker is one yt-dlp worker process. It is not safe for concurrent use: the pool hands it to
// one request at a time.
type worker struct {
	cfg    YtdlpConfig
	log    zerolog.Logger
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *os.File
	lines  *bufio.Reader
	// marker is the line the worker writes on stderr as it reads a request.
	marker string
	// stderrTail (the end of stderr since the last marker) and begun (the number of markers) are
	// written by drainStderr and read only after exited is closed.
	stderrTail tailBuffer
	begun      uint64
	exited     chan struct{} // closed once the process is reaped and its stderr drained
	exitState  string
	cleanup    func() // removes the private cookies copy

	version, python string
	nextID          uint64
	requests        int
	dead            bool // killed or no longer trusted; must be replaced
}

// startWorker starts a worker process and waits for its hello. A yt-dlp older than MinVersion
// is a *YtdlpTooOldError.
func startWorker(ctx context.Context, cfg YtdlpConfig, startTimeout time.Duration) (*worker, error) {
	cookies, cleanup, err := copyCookies(cfg.CookiesFile)
	if err != nil {
		return nil, err
	}
	w := &worker{
		cfg:        cfg,
		marker:     "igbridge-worker-request-" + rand.Text(),
		stderrTail: tailBuffer{limit: maxWorkerStderr},
		exited:     make(chan struct{}),
		cleanup:    cleanup,
	}
	if err := w.spawn(ctx); err != nil {
		cleanup()
		return nil, fmt.Errorf("failed to start the yt-dlp worker: %w", err)
	}
	start := time.Now()
	if err := w.handshake(ctx, startTimeout, cookies); err != nil {
		w.stop()
		var tooOld *YtdlpTooOldError
		if errors.As(err, &tooOld) {
			return nil, err
		}
		return nil, fmt.Errorf("failed to start the yt-dlp worker: %w", err)
	}
	w.log.Debug().Str("version", w.version).Str("python", w.python).Dur("took", time.Since(start)).
		Msg("yt-dlp worker started")
	return w, nil
}

// spawn starts the interpreter in a process group of its own, so that a kill takes every
// process it started with it.
func (w *worker) spawn(ctx context.Context) error {
	cmd := exec.Command(w.cfg.Python, "-c", workerSource)
	cmd.Env = w.cfg.env()
	cmd.SysProcAttr = groupProcAttr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	// Plain pipes rather than StdoutPipe: Wait must not close stdout under an unread response.
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		return err
	}
	stderrR, stderrW, err := os.Pipe()
	if err != nil {
		stdoutR.Close()
		stdoutW.Close()
		return err
	}
	cmd.Stdout, cmd.Stderr = stdoutW, stderrW
	err = cmd.Start()
	stdoutW.Close()
	stderrW.Close()
	if err != nil {
		stdoutR.Close()
		stderrR.Close()
		return err
	}
	w.cmd, w.stdin, w.stdout = cmd, stdin, stdoutR
	w.lines = bufio.NewReaderSize(stdoutR, 64<<10)
	w.log = zerolog.Ctx(ctx).With().Int("worker_pid", cmd.Process.Pid).Logger()

	stderrDone := make(chan struct{})
	go w.drainStderr(stderrR, stderrDone)
	go func() {
		err := cmd.Wait()
		// Whatever the leader left running goes too. The group id cannot have been reused while
		// a member lives, and with no member left this finds nothing to kill.
		_ = killGroup(cmd.Process.Pid)
		// A member that escaped the group could hold stderr open forever.
		_ = stderrR.SetReadDeadline(time.Now().Add(waitDelay))
		<-stderrDone
		stderrR.Close()
		w.exitState = "exit status unknown"
		if cmd.ProcessState != nil {
			w.exitState = cmd.ProcessState.String()
		} else if err != nil {
			w.exitState = err.Error()
		}
		close(w.exited)
	}()
	return nil
}

// drainStderr logs the worker's stderr at debug level and keeps the end of what the current
// request wrote, for the classification and message when the worker dies.
func (w *worker) drainStderr(r io.Reader, done chan<- struct{}) {
	defer close(done)
	br := bufio.NewReaderSize(r, maxStderrLine)
	lineStart := true
	for {
		// A line longer than the buffer comes in pieces, which is fine for a log.
		line, err := br.ReadSlice('\n')
		if lineStart && strings.TrimSuffix(string(line), "\n") == w.marker && err == nil {
			w.begun++
			w.stderrTail.buf = w.stderrTail.buf[:0]
			continue
		}
		if len(line) > 0 {
			_, _ = w.stderrTail.Write(line)
			w.log.Debug().Str("line", strings.TrimRight(string(line), "\n")).Msg("yt-dlp worker stderr")
			lineStart = line[len(line)-1] == '\n'
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

// handshake sends the options and waits for the hello. A yt-dlp older than MinVersion is a
// *YtdlpTooOldError, and the worker is left alive to be stopped gracefully.
func (w *worker) handshake(ctx context.Context, timeout time.Duration, cookies string) error {
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("%w (%s)", errWorkerNoHello, timeout))
	defer cancel()
	private := w.cfg.privateOptions(cookies)
	init := workerInit{Marker: w.marker, Options: map[string][]string{
		"post":  append(w.cfg.options(false), private...),
		"story": append(w.cfg.options(true), private...),
	}}
	line, err := w.roundTrip(ctx, init)
	if err != nil {
		return err
	}
	var hello workerHello
	if err := json.Unmarshal(line, &hello); err != nil || hello.Op != "hello" {
		w.fail()
		return fmt.Errorf("%w: no hello but %q", errBadWorkerOutput, truncateUTF8(string(line), 64))
	}
	if !versionPattern.MatchString(hello.Version) {
		w.fail()
		return fmt.Errorf("%w: %q", errWorkerBadVersion, truncateUTF8(hello.Version, 64))
	}
	w.version, w.python = hello.Version, hello.Python
	if !versionAtLeast(hello.Version, MinVersion) {
		return &YtdlpTooOldError{Version: hello.Version}
	}
	return nil
}

// extract asks the worker for the info dict of target. Failures of the worker itself are
// *FetchError (ErrTimeout, ErrBadOutput, ErrWorkerCrashed, or the class of the request's dying
// words) and leave it dead; what yt-dlp reports is in the response.
func (w *worker) extract(ctx context.Context, target string, story bool) (*workerResponse, error) {
	w.requests++
	w.nextID++
	ctx, cancel := context.WithTimeoutCause(ctx, w.cfg.Timeout, errExtractTimeout)
	defer cancel()
	line, err := w.roundTrip(ctx, workerRequest{ID: w.nextID, URL: target, Story: story})
	var exit *workerExitError
	switch {
	case errors.Is(err, errExtractTimeout):
		return nil, &FetchError{Class: ClassTimeout, Message: fmt.Sprintf("yt-dlp ran longer than %s", w.cfg.Timeout)}
	case errors.Is(err, errBadWorkerOutput):
		return nil, &FetchError{Class: ClassBadOutput, Err: err}
	case errors.As(err, &exit):
		return nil, w.crashError(exit)
	case err != nil:
		return nil, fmt.Errorf("failed to run the yt-dlp worker: %w", err)
	}
	var resp workerResponse
	if err := json.Unmarshal(line, &resp); err != nil || resp.ID != w.nextID || (!resp.OK && resp.Error == nil) {
		w.fail()
		return nil, &FetchError{Class: ClassBadOutput, Message: fmt.Sprintf("unexpected answer from the yt-dlp worker: %q", truncateUTF8(string(line), 64)), Err: err}
	}
	return &resp, nil
}

// crashError classifies the death of the worker during the current request from what it wrote
// to stderr since it read that request: an earlier request's 404 says nothing about this one.
// Only an ERROR line of yt-dlp's is a reason; without one the worker crashed or was killed.
func (w *worker) crashError(exit *workerExitError) error {
	switch {
	case w.begun < w.nextID:
		return &FetchError{Class: ClassNetwork, Message: exit.Error(), Err: errWorkerDiedIdle}
	case hasErrorLine(exit.stderr):
		return &FetchError{Class: ClassifyYtdlp(exit.stderr, w.cfg.CookiesFile != ""), Message: exit.Error()}
	default:
		return &FetchError{Class: ClassNetwork, Message: exit.Error(), Err: ErrWorkerCrashed}
	}
}

func hasErrorLine(stderr string) bool {
	_, ok := lastErrorLine(stderr)
	return ok
}

// roundTrip writes msg as one line and reads one line back. When ctx ends first the worker is
// killed and the error is ctx's cause. A failed round trip leaves the worker dead.
func (w *worker) roundTrip(ctx context.Context, msg any) ([]byte, error) {
	data, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("failed to encode a worker request: %w", err)
	}
	stop := context.AfterFunc(ctx, w.kill)
	if _, err = w.stdin.Write(append(data, '\n')); err == nil {
		data, err = readLine(w.lines, w.cfg.MaxOutput)
	}
	if !stop() {
		w.fail()
		return nil, context.Cause(ctx)
	}
	switch {
	case err == nil:
		return data, nil
	case errors.Is(err, errBadWorkerOutput):
		w.fail()
		return nil, err
	default:
		// EOF, or a write to a closed stdin: the worker is gone. Its stderr since it read this
		// request (or since it started, for the hello) says why.
		w.fail()
		<-w.exited
		exit := &workerExitError{state: w.exitState}
		if w.begun == w.nextID {
			exit.stderr = string(w.stderrTail.buf)
		}
		return nil, exit
	}
}

// readLine reads one newline-terminated line of at most limit bytes.
func readLine(r *bufio.Reader, limit int64) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if int64(len(line)+len(chunk)) > limit {
			return nil, fmt.Errorf("%w: a line longer than %d bytes", errBadWorkerOutput, limit)
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return nil, fmt.Errorf("%w: truncated line %q", errBadWorkerOutput, truncateUTF8(string(line), 64))
		default:
			return nil, err
		}
	}
}

// fail marks the worker dead and kills it.
func (w *worker) fail() {
	w.dead = true
	w.kill()
}

// kill kills the worker's process group and unblocks a pending read of its stdout.
func (w *worker) kill() {
	select {
	case <-w.exited:
		return // reaped: its pid may belong to someone else by now
	default:
	}
	_ = killGroup(w.cmd.Process.Pid)
	_ = w.stdout.SetReadDeadline(time.Now())
}

// stop ends the worker and waits for it. Closing stdin lets an idle worker exit on its own;
// one that does not (busy or hung) is killed after workerStopGrace.
func (w *worker) stop() {
	_ = w.stdin.Close()
	t := time.NewTimer(workerStopGrace)
	defer t.Stop()
	select {
	case <-w.exited:
	case <-t.C:
		w.log.Warn().Msg("yt-dlp worker did not exit; killing it")
		w.kill()
		<-w.exited
	}
	w.stdout.Close()
	w.cleanup()
}

// versionAtLeast compares dotted yt-dlp versions (2026.10.26, 2026.10.26.232815) numerically.
func versionAtLeast(version, minimum string) bool {
	have, want := strings.Split(version, "."), strings.Split(minimum, ".")
	for i, part := range want {
		var h int
		if i < len(have) {
			h = leadingInt(have[i])
		}
		if n := leadingInt(part); h != n {
			return h > n
		}
	}
	return true
}

// leadingInt parses the leading digits of s; "26rc1" is 26.
func leadingInt(s string) int {
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.Atoi(s[:end])
	return n
}
