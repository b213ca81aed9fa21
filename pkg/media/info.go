package media

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"time"
	"unicode/utf8"
)

// DefaultMaxItems is the carousel cap used when none is configured.
const DefaultMaxItems = 10

// Bounds on strings taken from yt-dlp output; they end up in Matrix events and logs.
const (
	maxCaptionLen = 64 << 10
	maxNameLen    = 256
	maxDimension  = 1 << 16
	maxDuration   = 24 * time.Hour
)

// infoJSON is the part of yt-dlp's -J output (an info dict) the bridge reads.
// Numbers are float64 because yt-dlp does not promise integers.
type infoJSON struct {
	Type        string            `json:"_type"`
	ID          string            `json:"id"`
	Channel     string            `json:"channel"`
	Uploader    string            `json:"uploader"`
	Description string            `json:"description"`
	Timestamp   float64           `json:"timestamp"`
	URL         string            `json:"url"`
	VCodec      string            `json:"vcodec"`
	HTTPHeaders map[string]string `json:"http_headers"`
	Width       float64           `json:"width"`
	Height      float64           `json:"height"`
	Duration    float64           `json:"duration"`
	Thumbnail   string            `json:"thumbnail"`
	Thumbnails  []thumbnailJSON   `json:"thumbnails"`
	Formats     []formatJSON      `json:"formats"`
	Entries     []*infoJSON       `json:"entries"`
}

// formatJSON is one entry of an info dict's formats list.
type formatJSON struct {
	FormatID       string  `json:"format_id"`
	URL            string  `json:"url"`
	Ext            string  `json:"ext"`
	Width          float64 `json:"width"`
	Height         float64 `json:"height"`
	VCodec         string  `json:"vcodec"`
	ACodec         string  `json:"acodec"`
	Filesize       float64 `json:"filesize"`
	FilesizeApprox float64 `json:"filesize_approx"`
}

type thumbnailJSON struct {
	URL    string  `json:"url"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// ParseInfo converts yt-dlp -J output (run with -f b) to a Post with at most maxItems items
// (DefaultMaxItems when maxItems <= 0). Items without media are skipped; a post without any is ErrNoMedia.
// Malformed values (unparsable URLs, negative sizes) are ErrBadOutput rather than skipped, since they
// mean yt-dlp's output is not what this parser understands.
func ParseInfo(data []byte, maxItems int) (*Post, error) {
	if maxItems <= 0 {
		maxItems = DefaultMaxItems
	}
	trimmed := bytes.TrimSpace(data)
	if bytes.Equal(trimmed, []byte("null")) {
		// yt-dlp prints null when a story item is an image (--no-playlist drops it).
		return nil, &FetchError{Class: ClassNoMedia, Message: "yt-dlp returned null"}
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, &FetchError{Class: ClassBadOutput, Message: "yt-dlp output is not a JSON object"}
	}
	var info infoJSON
	if err := json.Unmarshal(trimmed, &info); err != nil {
		return nil, &FetchError{Class: ClassBadOutput, Message: "failed to decode yt-dlp output", Err: err}
	}
	if info.ID == "" {
		// yt-dlp always sets an id; without one this is not an info dict.
		return nil, &FetchError{Class: ClassBadOutput, Message: "yt-dlp output has no id"}
	}

	var entries []*infoJSON
	switch info.Type {
	case "", "video":
		entries = []*infoJSON{&info}
	case "playlist", "multi_video":
		entries = info.Entries
	default:
		return nil, &FetchError{Class: ClassBadOutput, Message: fmt.Sprintf("unexpected yt-dlp result type %q", truncateUTF8(info.Type, maxNameLen))}
	}

	post := &Post{
		ID:        truncateUTF8(info.ID, maxNameLen),
		Username:  truncateUTF8(info.Channel, maxNameLen),
		FullName:  truncateUTF8(info.Uploader, maxNameLen),
		Caption:   truncateUTF8(info.Description, maxCaptionLen),
		Timestamp: unixTime(info.Timestamp),
	}
	for _, e := range entries {
		if e == nil || (e.Type != "" && e.Type != "video") {
			continue // flat or unresolved entries carry a page URL, not media
		}
		item, ok, err := e.item(info.HTTPHeaders)
		if err != nil {
			return nil, &FetchError{Class: ClassBadOutput, Message: "invalid item " + truncateUTF8(e.ID, maxNameLen), Err: err}
		}
		if !ok {
			continue
		}
		post.TotalItems++
		if len(post.Items) < maxItems {
			post.Items = append(post.Items, item)
		}
		post.fillFrom(e)
	}
	if len(post.Items) == 0 {
		return nil, &FetchError{Class: ClassNoMedia, Message: "no media in yt-dlp output"}
	}
	return post, nil
}

// fillFrom takes the post metadata from an entry when the playlist itself lacks it.
func (p *Post) fillFrom(e *infoJSON) {
	if p.Username == "" {
		p.Username = truncateUTF8(e.Channel, maxNameLen)
	}
	if p.FullName == "" {
		p.FullName = truncateUTF8(e.Uploader, maxNameLen)
	}
	if p.Caption == "" {
		p.Caption = truncateUTF8(e.Description, maxCaptionLen)
	}
	if p.Timestamp.IsZero() {
		p.Timestamp = unixTime(e.Timestamp)
	}
}

// item turns one info dict into an Item. A video needs a direct URL (-f b gives one); anything else
// is an image, which yt-dlp only lists as thumbnails. ok is false when there is no media at all.
func (e *infoJSON) item(parentHeaders map[string]string) (item Item, ok bool, err error) {
	headers := e.HTTPHeaders
	if headers == nil {
		headers = parentHeaders
	}
	thumb, hasThumb, err := e.largestThumbnail()
	if err != nil {
		return Item{}, false, err
	}
	if e.URL != "" && e.VCodec != "none" {
		if err := checkMediaURL(e.URL); err != nil {
			return Item{}, false, err
		}
		item = Item{Kind: ItemVideo, URL: e.URL, Headers: headers}
		if item.Width, err = dimension(e.Width); err != nil {
			return Item{}, false, err
		}
		if item.Height, err = dimension(e.Height); err != nil {
			return Item{}, false, err
		}
		if item.Duration, err = duration(e.Duration); err != nil {
			return Item{}, false, err
		}
		if hasThumb {
			item.ThumbnailURL, item.ThumbnailWidth, item.ThumbnailHeight = thumb.URL, thumb.width, thumb.height
		}
		if item.Formats, err = e.formats(); err != nil {
			return Item{}, false, err
		}
		return item, true, nil
	}
	if !hasThumb {
		return Item{}, false, nil
	}
	item = Item{Kind: ItemImage, URL: thumb.URL, Headers: headers, Width: thumb.width, Height: thumb.height}
	if item.Formats, err = e.imageCandidates(); err != nil {
		return Item{}, false, err
	}
	return item, true, nil
}

// formats converts the formats list; entries without a URL (manifests yt-dlp would expand) are
// skipped, as the bridge downloads plain files only.
func (e *infoJSON) formats() ([]Format, error) {
	var out []Format
	for _, f := range e.Formats {
		if f.URL == "" {
			continue
		}
		if err := checkMediaURL(f.URL); err != nil {
			return nil, err
		}
		w, err := dimension(f.Width)
		if err != nil {
			return nil, err
		}
		h, err := dimension(f.Height)
		if err != nil {
			return nil, err
		}
		size, approx, err := formatSize(f.Filesize, f.FilesizeApprox)
		if err != nil {
			return nil, err
		}
		out = append(out, Format{
			ID: truncateUTF8(f.FormatID, maxNameLen), URL: f.URL, Width: w, Height: h,
			VCodec: truncateUTF8(f.VCodec, maxNameLen), ACodec: truncateUTF8(f.ACodec, maxNameLen),
			Ext: truncateUTF8(f.Ext, maxNameLen), Size: size, Approx: approx,
		})
	}
	return out, nil
}

// imageCandidates lists an image's thumbnails, largest first, for the largest one that fits.
func (e *infoJSON) imageCandidates() ([]Format, error) {
	var out []Format
	for _, t := range e.Thumbnails {
		if t.URL == "" {
			continue
		}
		w, err := dimension(t.Width)
		if err != nil {
			return nil, err
		}
		h, err := dimension(t.Height)
		if err != nil {
			return nil, err
		}
		out = append(out, Format{URL: t.URL, Width: w, Height: h, VCodec: "none", ACodec: "none"})
	}
	// Stable and reversed first: at equal area the later one (yt-dlp lists worst to best) wins.
	slices.Reverse(out)
	slices.SortStableFunc(out, func(a, b Format) int { return cmp.Compare(b.pixels(), a.pixels()) })
	return out, nil
}

// maxFormatSize bounds sizes from the info JSON, which are only used for comparisons.
const maxFormatSize = 1 << 40

func formatSize(exact, approx float64) (int64, bool, error) {
	for _, v := range []float64{exact, approx} {
		if math.IsNaN(v) || v < 0 || v > maxFormatSize {
			return 0, false, fmt.Errorf("invalid format size %v", v)
		}
	}
	if exact > 0 {
		return int64(exact), false, nil
	}
	return int64(approx), approx > 0, nil
}

type thumbnail struct {
	URL           string
	width, height int
}

// largestThumbnail picks the thumbnail with the most pixels; ties go to the later one, as yt-dlp
// lists thumbnails from worst to best. The "thumbnail" field is the fallback when the list is empty.
func (e *infoJSON) largestThumbnail() (best thumbnail, ok bool, err error) {
	bestArea := -1
	for _, t := range e.Thumbnails {
		if t.URL == "" {
			continue
		}
		if err := checkMediaURL(t.URL); err != nil {
			return thumbnail{}, false, err
		}
		w, err := dimension(t.Width)
		if err != nil {
			return thumbnail{}, false, err
		}
		h, err := dimension(t.Height)
		if err != nil {
			return thumbnail{}, false, err
		}
		if w*h >= bestArea {
			best, bestArea = thumbnail{URL: t.URL, width: w, height: h}, w*h
		}
	}
	if bestArea >= 0 {
		return best, true, nil
	}
	if e.Thumbnail == "" {
		return thumbnail{}, false, nil
	}
	if err := checkMediaURL(e.Thumbnail); err != nil {
		return thumbnail{}, false, err
	}
	return thumbnail{URL: e.Thumbnail}, true, nil
}

// checkMediaURL rejects URLs that cannot be fetched at all. Which hosts may be fetched is the
// downloader's decision (AllowedMediaURL), so a foreign host still parses here.
func checkMediaURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("failed to parse media URL: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("media URL %q is not an absolute http(s) URL", truncateUTF8(raw, maxNameLen))
	}
	return nil
}

func dimension(f float64) (int, error) {
	if math.IsNaN(f) || f < 0 || f > maxDimension {
		return 0, fmt.Errorf("invalid media dimension %v", f)
	}
	return int(f), nil
}

func duration(seconds float64) (time.Duration, error) {
	if math.IsNaN(seconds) || seconds < 0 || seconds > maxDuration.Seconds() {
		return 0, fmt.Errorf("invalid media duration %v", seconds)
	}
	return time.Duration(seconds * float64(time.Second)), nil
}

// unixTime converts a yt-dlp timestamp; zero or absurd values mean unknown.
func unixTime(ts float64) time.Time {
	if ts <= 0 || ts > 1e11 {
		return time.Time{}
	}
	return time.Unix(int64(ts), 0).UTC()
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
