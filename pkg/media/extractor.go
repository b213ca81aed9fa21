package media

import (
	"context"
	"errors"
	"strings"
)

// Extractor fetches the post behind an Instagram link.
type Extractor interface {
	Extract(ctx context.Context, link Link) (*Post, error)
	Close() error
}

var (
	_ Extractor = (*Ytdlp)(nil)
	_ Extractor = (*WorkerPool)(nil)
)

// ExtractorMode is how yt-dlp is run.
type ExtractorMode string

const (
	ModeWorker ExtractorMode = "worker" // a WorkerPool
	ModeCLI    ExtractorMode = "cli"    // a Ytdlp, one process per link
)

// ExtractorStatus says which extractor NewExtractor chose and what is wrong, for the bridge's
// start-up log and status command.
type ExtractorStatus struct {
	Mode    ExtractorMode
	Version string // the yt-dlp version, "" when unknown
	Problem string // why the worker is not used or yt-dlp will not work; "" when all is well
}

// String is one line, e.g. "yt-dlp 2026.10.26 via CLI (worker unavailable: …)".
func (s ExtractorStatus) String() string {
	version := s.Version
	if version == "" {
		version = "(version unknown)"
	}
	via := "worker pool"
	if s.Mode == ModeCLI {
		via = "CLI"
	}
	line := "yt-dlp " + version + " via " + via
	if s.Problem != "" {
		line += " (" + s.Problem + ")"
	}
	return line
}

// NewExtractor returns the command line when the operator configured a yt-dlp command, else a
// WorkerPool when a worker starts and its yt-dlp is new enough, and
// otherwise the command line, which still works where the worker cannot (a yt-dlp command
// without a usable Python, an interpreter that takes too long to start). The status says
// which and why; a too old yt-dlp is reported but not refused, as the next upgrade fixes it.
func NewExtractor(ctx context.Context, cfg ExtractorConfig) (Extractor, ExtractorStatus) {
	if len(cfg.Ytdlp.Command) > 0 {
		// The operator chose a yt-dlp command, which the Python worker cannot run.
		cleanStaleScratch(ctx)
		return cliExtractor(ctx, cfg, nil)
	}
	pool, err := NewWorkerPool(ctx, cfg)
	if err == nil {
		return pool, ExtractorStatus{Mode: ModeWorker, Version: pool.Version()}
	}
	cli := NewYtdlp(cfg.Ytdlp)
	var tooOld *YtdlpTooOldError
	if errors.As(err, &tooOld) {
		return cli, ExtractorStatus{Mode: ModeCLI, Version: tooOld.Version, Problem: tooOld.Error()}
	}
	return cliExtractor(ctx, cfg, []string{"worker unavailable: " + oneLine(err.Error())})
}

// cliExtractor returns the command line extractor with its version and problems.
func cliExtractor(ctx context.Context, cfg ExtractorConfig, problems []string) (Extractor, ExtractorStatus) {
	cli := NewYtdlp(cfg.Ytdlp)
	version, err := cli.Version(ctx)
	switch {
	case err != nil:
		problems = append(problems, oneLine(err.Error()))
	case !versionAtLeast(version, MinVersion):
		problems = append(problems, (&YtdlpTooOldError{Version: version}).Error())
	}
	return cli, ExtractorStatus{Mode: ModeCLI, Version: version, Problem: strings.Join(problems, "; ")}
}

// oneLine joins the lines of an error message, which may quote a process's output.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
