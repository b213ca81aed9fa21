package fakeig

// Shortcodes (and story identifiers) of the default fixtures.
const (
	// CodeReel is a reel by @instagram: one 320x240 video of 2.0 s with a cover.
	CodeReel = "Video0001"
	// CodeImage is a single 640x480 image by @nasa with HTML-special caption characters.
	CodeImage = "Image0001"
	// CodeCarousel is a carousel of image, video, image.
	CodeCarousel = "Carousel01"
	// CodeBigCarousel is a carousel of 12 items (every 4th a video), for max_items caps.
	CodeBigCarousel = "BigCarou01"
	// CodeHuge is a 20-minute video whose file is HugeSize bytes: too large to upload and too
	// long to re-encode (the bridge's default cap is 10 minutes).
	CodeHuge = "HugeVid001"
	// CodeBigVideo is a 60 s video of BigVideoSize bytes, for memory measurements; BigVideoCode
	// names more like it.
	CodeBigVideo = "BigVideo01"
	// CodePrivate is longer than 28 characters, which yt-dlp treats as a private
	// post when logged out; with the valid cookies it is served like a reel.
	CodePrivate = "Private01" + "Xq9ZkLmN8pR4tV6wY0aC5eG7iB3h"
	// CodeLoginWall redirects /p/<code> to the login page when logged out.
	CodeLoginWall = "LoginWall1"
	// CodeNotFound answers 404 everywhere.
	CodeNotFound = "Missing001"
	// CodeRateLimited answers 429 on /p/<code> and on the media info API.
	CodeRateLimited = "Limited001"
	// CodeRestricted gets "Restricted Video" from the ruling endpoint when logged out.
	CodeRestricted = "Restrict01"
	// CodeEmptyMedia serves a /p/ page without the media JSON when logged out.
	CodeEmptyMedia = "EmptyMed01"
	// CodeSlow is a reel meant for SetDelay.
	CodeSlow = "SlowPost01"
	// CodeHostile is a video whose media URL is on evil.example, not an Instagram CDN.
	CodeHostile = "Hostile001"
	// CodeHTTPMedia is a video whose media URL is plain http on the Instagram CDN.
	CodeHTTPMedia = "HTTPMedia1"

	// ShareCode is /share/reel/<ShareCode>, which redirects to the reel CodeReel.
	ShareCode = "BAbcShare1"
	// ShareLoginCode is /share/p/<ShareLoginCode>, which redirects to the login page.
	ShareLoginCode = "BLoginOnly"

	// StoryUser is the story owner; its story needs the valid sessionid cookie.
	StoryUser = "storyok"
	// StoryUserPK is StoryUser's numeric id.
	StoryUserPK = "4242"
	// StoryID is the story's video item (its pk); /stories/storyok/<StoryID>/.
	StoryID = "3141592653589793238"
	// StoryCode is the shortcode of StoryID, the "id" yt-dlp reports for it.
	StoryCode = "CuZLd-iMknW"
	// StoryImageID is the story's second item, an image (yt-dlp drops it).
	StoryImageID = "3141592653589793239"
)

// HugeSize is the size of CodeHuge's video: 11 MiB, above a 10 MiB upload limit.
const HugeSize = 11 << 20

// BigVideoSize is the size of CodeBigVideo's file: 50 MiB.
const BigVideoSize = 50 << 20

// Behavior is how the fake answers logged-out requests for a fixture.
type Behavior int

// Behaviors of fixtures; see the Code* constants for which fixture has which.
const (
	BehaviorOK Behavior = iota
	BehaviorPrivate
	BehaviorLoginWall
	BehaviorNotFound
	BehaviorRateLimited
	BehaviorRestricted
	BehaviorEmptyMedia
)

var behaviorNames = [...]string{"ok", "private", "loginWall", "notFound", "rateLimited", "restricted", "emptyMedia"}

// String returns the behaviour's name as used in the design notes.
func (b Behavior) String() string {
	if b < 0 || int(b) >= len(behaviorNames) {
		return "unknown"
	}
	return behaviorNames[b]
}

// Fixture is what the fake knows of a post (or, with Story set, of a story).
type Fixture struct {
	Code     string // shortcode; for the story, StoryCode
	PK       string // numeric media pk, CodeToPK(Code)
	Username string // yt-dlp "channel"
	FullName string // yt-dlp "uploader"
	UserPK   string // yt-dlp "uploader_id"
	Caption  string // yt-dlp "description"
	TakenAt  int64  // yt-dlp "timestamp"
	Story    bool
	Behavior Behavior
	Items    []FixtureItem
}

// FixtureItem is one media item. For images MediaURL is the largest candidate
// (Width x Height) and ThumbURL a half-size one; for videos MediaURL is the
// progressive file and ThumbURL the Width x Height cover.
type FixtureItem struct {
	ID       string // the id yt-dlp reports for the item (shortcode of PK)
	PK       string
	Video    bool
	MediaURL string
	Width    int
	Height   int
	Duration float64 // seconds, videos only
	ThumbURL string
	Size     int64 // bytes served at MediaURL (videos; images are whatever the JPEG encodes to)

	// DASH representations listed in video_dash_manifest ("" for none).
	dashVideo, dashAudio string
	// real makes the item a real video (CodeFormats, CodeBigDash, CodeBigTranscode): its
	// fixture's RealFormatsOf instead of synthetic files.
	real bool
}

// clone returns a deep copy so callers cannot change the fake's fixtures.
func (f *Fixture) clone() Fixture {
	c := *f
	c.Items = append([]FixtureItem(nil), f.Items...)
	return c
}
