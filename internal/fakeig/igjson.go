package fakeig

import "strconv"

// The structs below are the subset of Instagram's v1 media object that yt-dlp
// reads (see _extract_product / _extract_product_media), in Instagram's field
// names. The same object is served by the data-sjs page, /media/<pk>/info/
// and /feed/reels_media/.

type igUser struct {
	PK        string `json:"pk"`
	ID        string `json:"id"`
	Username  string `json:"username"`
	FullName  string `json:"full_name"`
	IsPrivate bool   `json:"is_private"`
}

type igCaption struct {
	Text      string `json:"text"`
	CreatedAt int64  `json:"created_at"`
}

type igCandidate struct {
	Width  int    `json:"width"`
	Height int    `json:"height"`
	URL    string `json:"url"`
}

type igImageVersions struct {
	Candidates []igCandidate `json:"candidates"`
}

type igVideoVersion struct {
	Type   int    `json:"type"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	URL    string `json:"url"`
	ID     string `json:"id"`
}

type igMedia struct {
	PK                 string           `json:"pk"`
	ID                 string           `json:"id"`
	Code               string           `json:"code"`
	MediaType          int              `json:"media_type"`
	ProductType        string           `json:"product_type,omitempty"`
	TakenAt            int64            `json:"taken_at"`
	Caption            *igCaption       `json:"caption"`
	User               *igUser          `json:"user,omitempty"`
	LikeCount          int              `json:"like_count"`
	CommentCount       int              `json:"comment_count"`
	ViewCount          int              `json:"view_count,omitempty"`
	OriginalWidth      int              `json:"original_width"`
	OriginalHeight     int              `json:"original_height"`
	HasAudio           *bool            `json:"has_audio,omitempty"`
	VideoDuration      float64          `json:"video_duration,omitempty"`
	VideoCodec         string           `json:"video_codec,omitempty"`
	VideoVersions      []igVideoVersion `json:"video_versions,omitempty"`
	VideoDashManifest  string           `json:"video_dash_manifest,omitempty"`
	ImageVersions2     igImageVersions  `json:"image_versions2"`
	CarouselMediaCount int              `json:"carousel_media_count,omitempty"`
	CarouselMedia      []igMedia        `json:"carousel_media,omitempty"`
}

const (
	mediaTypeImage    = 1
	mediaTypeVideo    = 2
	mediaTypeCarousel = 8
)

// mediaObject is a post's media object: the single item with the post's
// fields, or a carousel container with the items as carousel_media.
func mediaObject(f *Fixture) igMedia {
	if len(f.Items) == 1 {
		m := itemObject(f, f.Items[0], 1)
		withPostFields(&m, f)
		if m.MediaType == mediaTypeVideo {
			m.ProductType = "clips"
		}
		return m
	}
	m := igMedia{
		PK: f.PK, ID: f.PK + "_" + f.UserPK, Code: f.Code,
		MediaType: mediaTypeCarousel, ProductType: "carousel_container",
		CarouselMediaCount: len(f.Items),
	}
	for i, it := range f.Items {
		m.CarouselMedia = append(m.CarouselMedia, itemObject(f, it, i+1))
	}
	if len(m.CarouselMedia) > 0 {
		first := m.CarouselMedia[0]
		m.OriginalWidth, m.OriginalHeight, m.ImageVersions2 = first.OriginalWidth, first.OriginalHeight, first.ImageVersions2
	}
	withPostFields(&m, f)
	return m
}

// storyObjects are the items of a story reel, each a full media object.
func storyObjects(f *Fixture) []igMedia {
	var out []igMedia
	for i, it := range f.Items {
		m := itemObject(f, it, i+1)
		withPostFields(&m, f)
		m.ProductType = "story"
		m.TakenAt += int64(i) * 60
		out = append(out, m)
	}
	return out
}

func withPostFields(m *igMedia, f *Fixture) {
	m.TakenAt = f.TakenAt
	m.User = &igUser{PK: f.UserPK, ID: f.UserPK, Username: f.Username, FullName: f.FullName, IsPrivate: f.Behavior == BehaviorPrivate}
	if f.Caption != "" {
		m.Caption = &igCaption{Text: f.Caption, CreatedAt: f.TakenAt}
	}
	m.LikeCount, m.CommentCount = 1234, 56
}

// itemObject is the media object of item n (1-based); its progressive
// format id, which yt-dlp reports as format_id, is 9000+n.
func itemObject(f *Fixture, it FixtureItem, n int) igMedia {
	m := igMedia{
		PK: it.PK, ID: it.PK + "_" + f.UserPK, Code: it.ID,
		MediaType: mediaTypeImage, ProductType: "feed",
		OriginalWidth: it.Width, OriginalHeight: it.Height,
	}
	if !it.Video {
		m.ImageVersions2.Candidates = []igCandidate{
			{Width: it.Width, Height: it.Height, URL: it.MediaURL},
			{Width: it.Width / 2, Height: it.Height / 2, URL: it.ThumbURL},
		}
		return m
	}
	hasAudio := true
	m.MediaType = mediaTypeVideo
	m.HasAudio = &hasAudio
	m.VideoDuration = it.Duration
	m.VideoCodec = "avc1.64001e"
	m.ViewCount = 98765
	m.VideoVersions = []igVideoVersion{{Type: 101, Width: it.Width, Height: it.Height, URL: it.MediaURL, ID: strconv.Itoa(9000 + n)}}
	m.ImageVersions2.Candidates = []igCandidate{{Width: it.Width, Height: it.Height, URL: it.ThumbURL}}
	m.VideoDashManifest = dashManifest(it)
	if it.real {
		m.VideoVersions, m.VideoDashManifest = realVersions(f.Code), realDashManifest(f.Code)
	}
	return m
}
