package connector

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/igbridge/igbridge/pkg/media"
)

// startFFmpeg looks for ffmpeg and says in the log what the bridge can do with media: without it
// only single-file formats are posted, never merged or re-encoded.
func (ic *Connector) startFFmpeg(ctx context.Context) {
	log := zerolog.Ctx(ctx)
	ff, err := media.FindFFmpeg(ic.Config.Media.FFmpeg)
	if err != nil {
		log.Warn().Err(err).Msg("ffmpeg not found: merging DASH formats and transcoding are off; see network.media.ffmpeg")
		return
	}
	ic.ffmpeg = ff
	ic.transcodeSlots = make(chan struct{}, ic.Config.Media.Transcode.MaxConcurrent)
	log.Info().Str("ffmpeg", ff.Path).Bool("transcode", ic.Config.Media.Transcode.Enabled).Msg("ffmpeg found: merging DASH formats is on")
}

// ffmpegStatus is the status command's line about ffmpeg.
func (ic *Connector) ffmpegStatus() string {
	switch {
	case ic.ffmpeg == nil:
		return "not found: merging and transcoding are off"
	case !ic.Config.Media.Transcode.Enabled:
		return ic.ffmpeg.Path + " (merging on, transcoding disabled in the config)"
	}
	return ic.ffmpeg.Path + " (merging and transcoding on)"
}
