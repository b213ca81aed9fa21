package media

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/igbridge/igbridge/internal/fakeig"
)

func TestNewExtractorUsesWorkers(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	ex, status := NewExtractor(context.Background(), fakeExtractorConfig(srv, ""))
	pool, ok := ex.(*WorkerPool)
	if !ok {
		ex.Close()
		t.Fatalf("NewExtractor() = %T, %v; want a *WorkerPool", ex, status)
	}
	t.Cleanup(func() { closePool(t, pool) })
	if status.Mode != ModeWorker || !versionAtLeast(status.Version, MinVersion) || status.Problem != "" {
		t.Errorf("status = %+v", status)
	}
	if want := "yt-dlp " + status.Version + " via worker pool"; status.String() != want {
		t.Errorf("status.String() = %q, want %q", status, want)
	}
	if _, err := ex.Extract(context.Background(), fetchLink(fakeig.CodeReel)); err != nil {
		t.Error(err)
	}
}

func TestNewExtractorFallsBackToCLI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		script  string // the fake interpreter; "" for none at all
		version string
		problem []string // in the status's problem
	}{
		{"no interpreter", "", "", []string{"worker unavailable", "no such file or directory"}},
		{"no yt_dlp", "echo 'Traceback (most recent call last):' >&2\necho \"ModuleNotFoundError: No module named 'yt_dlp'\" >&2\nexit 1\n",
			"", []string{"worker unavailable", "No module named 'yt_dlp'"}},
		{"no hello", "read init\nread never\n", "", []string{"worker unavailable", "did not say hello in time"}},
		{"garbage", "read init\necho 'Hello, world'\n", "", []string{"worker unavailable", "bad output"}},
		{"too old", helloScript("2023.03.04") + "cat >/dev/null\n", "2023.03.04", []string{"yt-dlp 2023.03.04 is too old; need 2026.07 or newer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			python := filepath.Join(dir, "python")
			if tt.script != "" {
				writeInterpreter(t, dir, tt.script)
			}
			cfg := ExtractorConfig{Ytdlp: YtdlpConfig{Python: python}, StartTimeout: 500 * time.Millisecond}
			start := time.Now()
			ex, status := NewExtractor(context.Background(), cfg)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("NewExtractor took %s", took)
			}
			if _, ok := ex.(*Ytdlp); !ok {
				ex.Close()
				t.Fatalf("NewExtractor() = %T, want the CLI", ex)
			}
			if err := ex.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if status.Mode != ModeCLI || status.Version != tt.version {
				t.Errorf("status = %+v, want the CLI with version %q", status, tt.version)
			}
			line := status.String()
			for _, want := range tt.problem {
				if !strings.Contains(line, want) {
					t.Errorf("status %q does not say %q", line, want)
				}
			}
			if strings.Contains(line, "\n") {
				t.Errorf("status %q is more than one line", line)
			}
			if left := workerProcesses(dir); len(left) > 0 {
				t.Errorf("worker processes %v outlived NewExtractor", left)
			}
		})
	}
}

// TestNewExtractorCommand: a configured yt-dlp command is run per link, without starting a worker
// (its interpreter here could not even run one), and the status is clean.
func TestNewExtractorCommand(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	cfg := ExtractorConfig{Ytdlp: YtdlpConfig{Python: filepath.Join(t.TempDir(), "python"), Command: []string{"/usr/bin/yt-dlp"}}}
	ex, status := NewExtractor(context.Background(), cfg)
	defer ex.Close()
	if _, ok := ex.(*Ytdlp); !ok || status.Mode != ModeCLI || !versionAtLeast(status.Version, MinVersion) {
		t.Fatalf("NewExtractor() = %T, %+v", ex, status)
	}
	if line := status.String(); line != "yt-dlp "+status.Version+" via CLI" {
		t.Errorf("status = %q", line)
	}
}

func TestExtractorStatusString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status ExtractorStatus
		want   string
	}{
		{ExtractorStatus{Mode: ModeWorker, Version: "2026.10.26"}, "yt-dlp 2026.10.26 via worker pool"},
		{ExtractorStatus{Mode: ModeCLI, Version: "2026.10.26", Problem: "worker unavailable: boom"}, "yt-dlp 2026.10.26 via CLI (worker unavailable: boom)"},
		{ExtractorStatus{Mode: ModeCLI, Problem: "worker unavailable: boom"}, "yt-dlp (version unknown) via CLI (worker unavailable: boom)"},
	}
	for _, tt := range tests {
		if got := tt.status.String(); got != tt.want {
			t.Errorf("%+v: String() = %q, want %q", tt.status, got, tt.want)
		}
	}
}
