package media

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// TempDir makes a directory for one item's media files under the process's scratch directory, so
// that what a killed bridge leaves behind is removed at the next start. The caller removes it.
func TempDir() (string, error) {
	parent, err := scratchDir()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(parent, "media-")
	if err != nil {
		return "", fmt.Errorf("failed to create a directory for media files: %w", err)
	}
	return dir, nil
}

// DownloadFile downloads item into the file at path, stopping at limit (see Open), and returns
// the sniffed MIME type. A partial file is removed.
func (d *Downloader) DownloadFile(ctx context.Context, item Item, limit int64, path string) (string, error) {
	m, err := d.Open(ctx, item, limit)
	if err != nil {
		return "", err
	}
	defer m.Close()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("failed to create media file: %w", err)
	}
	_, err = m.WriteTo(f)
	err = errors.Join(err, f.Close())
	if err != nil {
		_ = os.Remove(path)
		return "", err
	}
	return m.MimeType, nil
}

// DownloadChoice downloads a choice into dir and returns the file to upload: the single file, or
// the DASH pair merged by ff into a faststart MP4. limit caps each download; the merged file's
// own size is the caller's to check.
func (d *Downloader) DownloadChoice(ctx context.Context, ff *FFmpeg, c Choice, headers map[string]string, limit int64, dir string) (path, mime string, err error) {
	inputs, mime, err := d.DownloadInputs(ctx, c, headers, limit, dir)
	if err != nil {
		return "", "", err
	}
	if len(inputs) == 1 {
		return inputs[0], mime, nil
	}
	if ff == nil {
		return "", "", errors.New("merging needs ffmpeg")
	}
	out := filepath.Join(dir, "merged.mp4")
	if err = ff.Merge(ctx, inputs[0], inputs[1], out); err != nil {
		return "", "", err
	}
	return out, "video/mp4", nil
}

// DownloadInputs downloads a choice's files into dir: the single file, or the video and then the
// audio of a pair. mime is the video's.
func (d *Downloader) DownloadInputs(ctx context.Context, c Choice, headers map[string]string, limit int64, dir string) (paths []string, mime string, err error) {
	video := filepath.Join(dir, "video")
	if mime, err = d.DownloadFile(ctx, Item{Kind: ItemVideo, URL: c.Video.URL, Headers: headers}, limit, video); err != nil {
		return nil, "", err
	}
	if c.Audio == nil {
		return []string{video}, mime, nil
	}
	audio := filepath.Join(dir, "audio")
	if _, err = d.DownloadFile(ctx, Item{Kind: ItemVideo, URL: c.Audio.URL, Headers: headers}, limit, audio); err != nil {
		return nil, "", err
	}
	return []string{video, audio}, mime, nil
}

// Merge muxes a video-only and an audio-only file into an MP4 without re-encoding, with the index
// at the front so that clients can play it while it loads.
func (f *FFmpeg) Merge(ctx context.Context, video, audio, out string) error {
	err := f.run(ctx, "-i", video, "-i", audio, "-map", "0:v:0", "-map", "1:a:0", "-c", "copy",
		"-movflags", "+faststart", "-f", "mp4", out)
	if err != nil {
		return fmt.Errorf("failed to merge video and audio: %w", err)
	}
	return nil
}
