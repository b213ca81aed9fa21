package media

import "time"

// ItemKind says whether an item is a video or an image.
type ItemKind int

const (
	ItemVideo ItemKind = iota + 1
	ItemImage
)

// Item is one media file of a post.
type Item struct {
	Kind ItemKind
	// URL is the direct media URL: the progressive video for videos, the largest candidate for images.
	// Instagram signs these URLs with an expiry, so download soon after extraction and never cache them.
	URL string
	// Headers are the HTTP headers yt-dlp says to send with the download (User-Agent, Referer...).
	Headers         map[string]string
	Width, Height   int
	Duration        time.Duration
	ThumbnailURL    string // videos: the largest thumbnail, for the Matrix thumbnail
	ThumbnailWidth  int
	ThumbnailHeight int
	// Formats are the renditions to choose from (see Choices): a video's progressive and DASH
	// formats, an image's candidates largest first. Empty when yt-dlp listed none.
	Formats []Format
}

// Post is an Instagram post, reel or story item with its media.
type Post struct {
	Link       Link   // the link it was fetched for (canonical)
	ID         string // shortcode or story item id
	Username   string // the @handle
	FullName   string // the account's display name, may be empty
	Caption    string
	Timestamp  time.Time // zero when unknown
	Items      []Item    // at most the configured maximum
	TotalItems int       // items with media before the cap
}
