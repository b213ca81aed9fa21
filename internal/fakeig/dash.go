package fakeig

import (
	"html"
	"math"
	"strconv"
	"strings"
)

// dashSizes are the sizes of an item's video-only and audio-only DASH files.
func dashSizes(it FixtureItem) (video, audio int64) {
	return max(it.Size*3/4, mp4HeaderLen), max(it.Size/4, mp4HeaderLen)
}

const mpdTemplate = `<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" minBufferTime="PT1.500S" type="static" mediaPresentationDuration="PT{dur}S" maxSegmentDuration="PT{dur}S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">` +
	`<Period id="0" duration="PT{dur}S">` +
	`<AdaptationSet id="0" contentType="video" segmentAlignment="true" subsegmentAlignment="true" subsegmentStartsWithSAP="1">` +
	`<Representation id="111v" mimeType="video/mp4" codecs="avc1.64001e" width="{w}" height="{h}" frameRate="30" bandwidth="{vbw}">` +
	`<BaseURL>{vurl}</BaseURL><SegmentBase indexRange="32-99"><Initialization range="0-31"/></SegmentBase></Representation>` +
	`</AdaptationSet>` +
	`<AdaptationSet id="1" contentType="audio" segmentAlignment="true" subsegmentAlignment="true" subsegmentStartsWithSAP="1">` +
	`<Representation id="111a" mimeType="audio/mp4" codecs="mp4a.40.2" audioSamplingRate="44100" bandwidth="{abw}">` +
	`<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>` +
	`<BaseURL>{aurl}</BaseURL><SegmentBase indexRange="32-99"><Initialization range="0-31"/></SegmentBase></Representation>` +
	`</AdaptationSet></Period></MPD>`

// dashManifest is a minimal on-demand MPD like Instagram's video_dash_manifest:
// one video-only and one audio-only representation, each a single file. With
// -f b yt-dlp still picks the progressive file; the DASH formats make the info
// JSON look like the real thing.
func dashManifest(it FixtureItem) string {
	if it.dashVideo == "" {
		return ""
	}
	v, a := dashSizes(it)
	return mpd(it.Duration, it.Width, it.Height, v, a, it.dashVideo, it.dashAudio)
}

// mpd fills in the template; bandwidths are rounded up so that yt-dlp's filesize_approx
// (bandwidth x duration) is not below the real sizes.
func mpd(duration float64, w, h int, videoSize, audioSize int64, videoURL, audioURL string) string {
	dur := max(duration, 0.1)
	bandwidth := func(size int64) string { return strconv.Itoa(int(math.Ceil(float64(size*8)/dur)) + 1) }
	return strings.NewReplacer(
		"{dur}", strconv.FormatFloat(dur, 'f', -1, 64),
		"{w}", strconv.Itoa(w),
		"{h}", strconv.Itoa(h),
		"{vbw}", bandwidth(videoSize),
		"{abw}", bandwidth(audioSize),
		"{vurl}", html.EscapeString(videoURL),
		"{aurl}", html.EscapeString(audioURL),
	).Replace(mpdTemplate)
}
