package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
)

// FFmpeg runs the ffmpeg binary for merging DASH pairs and re-encoding. A nil *FFmpeg means
// ffmpeg is not available; merging and transcoding are then off.
type FFmpeg struct {
	Path string
}

// FindFFmpeg returns the configured ffmpeg (a path or a name looked up on PATH), or "ffmpeg" on
// PATH when none is configured. The error says what was looked for.
func FindFFmpeg(configured string) (*FFmpeg, error) {
	name := configured
	if name == "" {
		name = "ffmpeg"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("failed to find ffmpeg %q: %w", name, err)
	}
	return &FFmpeg{Path: path}, nil
}

// niceness is how much lower than the bridge's own ffmpeg's CPU priority is, so that a
// re-encode does not slow the replies of other links.
const niceness = 10

// run runs ffmpeg with args, niced, in its own process group that is killed with ctx. The error
// carries the end of ffmpeg's output.
func (f *FFmpeg) run(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, f.Path, append([]string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}, args...)...)
	cmd.SysProcAttr = groupProcAttr()
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{buf: &stderr, max: 4096}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("failed to start ffmpeg: %w", err)
	}
	// Lowering the priority right after the start leaves ffmpeg a few milliseconds at normal
	// priority, which does not matter; it spares wrapping it in nice(1).
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, cmd.Process.Pid, niceness)
	err := cmd.Wait()
	if ctxErr := context.Cause(ctx); ctxErr != nil && err != nil {
		return fmt.Errorf("ffmpeg stopped: %w", ctxErr)
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) && msg != "" {
			return fmt.Errorf("ffmpeg failed: %s", lastLine(msg))
		}
		return fmt.Errorf("ffmpeg failed: %w", err)
	}
	return nil
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// limitedWriter keeps the first max bytes written and drops the rest.
type limitedWriter struct {
	buf *bytes.Buffer
	max int
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
