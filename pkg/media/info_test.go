package media

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

const cdn = "https://scontent-ams2-1.cdninstagram.com/v/"

func videoEntry(id string) map[string]any {
	return map[string]any{
		"_type": "video", "id": id, "url": cdn + id + ".mp4?oe=1", "vcodec": "avc1.64001e",
		"width": 320, "height": 240, "duration": 2.5,
		"http_headers": map[string]any{"User-Agent": "UA", "Referer": "https://www.instagram.com/"},
		"thumbnails": []any{
			map[string]any{"url": cdn + id + "-s.jpg", "width": 160, "height": 120},
			map[string]any{"url": cdn + id + "-l.jpg", "width": 320, "height": 240},
		},
	}
}

func imageEntry(id string) map[string]any {
	return map[string]any{
		"_type": "video", "id": id, "formats": []any{},
		"thumbnails": []any{
			map[string]any{"url": cdn + id + "-s.jpg", "width": 320, "height": 320},
			map[string]any{"url": cdn + id + "-l.jpg", "width": 640, "height": 640},
		},
	}
}

func playlist(entries ...any) map[string]any {
	return map[string]any{
		"_type": "playlist", "id": "Carousel01", "channel": "natgeo", "uploader": "National Geographic",
		"description": "caption", "timestamp": 1700000000, "entries": entries,
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// goldenItem is what an item parsed from a recorded -J output must look like; media URLs are
// given after the CDN prefix, durations in seconds.
type goldenItem struct {
	kind          ItemKind
	url, thumb    string
	width, height int
	seconds       float64
}

const fakeCDN = "https://scontent-ams2-1.cdninstagram.com/"

func TestParseInfoGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, id, username, fullName, caption string
		timestamp                             int64
		items                                 []goldenItem
	}{
		{
			"reel", "Video0001", "instagram", "Instagram", "Reel caption with #hashtag and emoji 🎉\nsecond line", 1661529231,
			[]goldenItem{{ItemVideo, "o1/v/t16/f2/m86/Video0001/1.mp4?efg=x&oe=6A00F00D", "v/t51.2885-15/Video0001_1.jpg?stp=dst-jpg", 320, 240, 2}},
		},
		{
			"image", "Image0001", "nasa", "NASA", `Image caption with <b>"Tom & Jerry"</b> & friends`, 1690000000,
			[]goldenItem{{ItemImage, "v/t51.2885-15/Image0001_1.jpg?stp=dst-jpg", "", 640, 480, 0}},
		},
		{
			"carousel", "Carousel01", "natgeo", "National Geographic", "Three things: a photo, a clip & another photo", 1700000000,
			[]goldenItem{
				{ItemImage, "v/t51.2885-15/Carousel01_1.jpg?stp=dst-jpg", "", 640, 640, 0},
				{ItemVideo, "o1/v/t16/f2/m86/Carousel01/2.mp4?efg=x&oe=6A00F00D", "v/t51.2885-15/Carousel01_2.jpg?stp=dst-jpg", 360, 640, 3.5},
				{ItemImage, "v/t51.2885-15/Carousel01_3.jpg?stp=dst-jpg", "", 480, 600, 0},
			},
		},
		{
			"story", "CuZLd-iMknW", "storyok", "Story OK", "", 1700000600,
			[]goldenItem{{ItemVideo, "o1/v/t16/f2/m86/CuZLd-iMknW/1.mp4?efg=x&oe=6A00F00D", "v/t51.2885-15/CuZLd-iMknW_1.jpg?stp=dst-jpg", 360, 640, 5}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", "info", tt.file+".json"))
			if err != nil {
				t.Fatal(err)
			}
			post, err := ParseInfo(data, DefaultMaxItems)
			if err != nil {
				t.Fatal(err)
			}
			if post.ID != tt.id || post.Username != tt.username || post.FullName != tt.fullName ||
				post.Caption != tt.caption || post.Timestamp.Unix() != tt.timestamp || post.TotalItems != len(tt.items) {
				t.Errorf("post = %+v", post)
			}
			if len(post.Items) != len(tt.items) {
				t.Fatalf("%d items, want %d", len(post.Items), len(tt.items))
			}
			for i, want := range tt.items {
				got := post.Items[i]
				thumb := strings.TrimPrefix(got.ThumbnailURL, fakeCDN)
				if got.Kind != want.kind || got.URL != fakeCDN+want.url || thumb != want.thumb ||
					got.Width != want.width || got.Height != want.height ||
					got.Duration != time.Duration(want.seconds*float64(time.Second)) {
					t.Errorf("item %d = %+v, want %+v", i, got, want)
				}
				if got.Headers["Referer"] != "https://www.instagram.com/" {
					t.Errorf("item %d headers = %v", i, got.Headers)
				}
				if got.Kind == ItemVideo && !strings.HasPrefix(got.Headers["User-Agent"], "Mozilla/5.0") {
					t.Errorf("video item %d has no browser User-Agent: %v", i, got.Headers)
				}
			}
		})
	}
}

func TestParseInfoVideo(t *testing.T) {
	t.Parallel()
	info := videoEntry("Video0001")
	info["channel"], info["uploader"], info["description"], info["timestamp"] = "instagram", "Instagram", "hi", 1661529231
	post, err := ParseInfo(mustJSON(t, info), 10)
	if err != nil {
		t.Fatal(err)
	}
	want := Item{
		Kind: ItemVideo, URL: cdn + "Video0001.mp4?oe=1",
		Headers: map[string]string{"User-Agent": "UA", "Referer": "https://www.instagram.com/"},
		Width:   320, Height: 240, Duration: 2500 * time.Millisecond,
		ThumbnailURL: cdn + "Video0001-l.jpg", ThumbnailWidth: 320, ThumbnailHeight: 240,
	}
	if len(post.Items) != 1 || fmt.Sprint(post.Items[0]) != fmt.Sprint(want) {
		t.Errorf("items = %+v, want [%+v]", post.Items, want)
	}
	if post.ID != "Video0001" || post.Username != "instagram" || post.FullName != "Instagram" || post.Caption != "hi" ||
		!post.Timestamp.Equal(time.Unix(1661529231, 0)) || post.TotalItems != 1 {
		t.Errorf("post = %+v", post)
	}
}

func TestParseInfoCarousel(t *testing.T) {
	t.Parallel()
	noMedia := map[string]any{"_type": "video", "id": "NoMedia", "formats": []any{}}
	unresolved := map[string]any{"_type": "url", "id": "Url", "url": "https://www.instagram.com/p/X/"}
	audioOnly := videoEntry("Audio")
	audioOnly["vcodec"] = "none"
	data := mustJSON(t, playlist(imageEntry("A"), nil, noMedia, videoEntry("B"), unresolved, audioOnly))
	post, err := ParseInfo(data, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range post.Items {
		got = append(got, fmt.Sprintf("%d:%s", it.Kind, it.URL[len(cdn):]))
	}
	// An audio-only "video" falls back to its picture.
	want := []string{"2:A-l.jpg", "1:B.mp4?oe=1", "2:Audio-l.jpg"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("items = %v, want %v", got, want)
	}
	if post.TotalItems != 3 || post.Username != "natgeo" || post.Caption != "caption" {
		t.Errorf("post = %+v", post)
	}
	if img := post.Items[0]; img.Width != 640 || img.Height != 640 || img.ThumbnailURL != "" {
		t.Errorf("image item = %+v", img)
	}
}

func TestParseInfoCap(t *testing.T) {
	t.Parallel()
	var entries []any
	for i := range 12 {
		entries = append(entries, imageEntry(fmt.Sprint("I", i)))
	}
	post, err := ParseInfo(mustJSON(t, playlist(entries...)), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(post.Items) != 10 || post.TotalItems != 12 || !strings.HasSuffix(post.Items[9].URL, "I9-l.jpg") {
		t.Errorf("got %d items of %d, last %q", len(post.Items), post.TotalItems, post.Items[len(post.Items)-1].URL)
	}
	post, err = ParseInfo(mustJSON(t, playlist(entries...)), 0)
	if err != nil || len(post.Items) != DefaultMaxItems {
		t.Errorf("maxItems 0: %v items, err %v", len(post.Items), err)
	}
}

func TestParseInfoPlaylistMetadataFromEntries(t *testing.T) {
	t.Parallel()
	entry := videoEntry("S1")
	entry["channel"], entry["uploader"], entry["description"], entry["timestamp"] = "storyok", "Story OK", "c", 1700000000
	post, err := ParseInfo(mustJSON(t, map[string]any{"_type": "playlist", "id": "storyok", "entries": []any{entry}}), 10)
	if err != nil {
		t.Fatal(err)
	}
	if post.Username != "storyok" || post.FullName != "Story OK" || post.Caption != "c" || post.Timestamp.IsZero() {
		t.Errorf("post = %+v", post)
	}
}

func TestParseInfoThumbnailTies(t *testing.T) {
	t.Parallel()
	info := map[string]any{"id": "X", "thumbnails": []any{
		map[string]any{"url": cdn + "a.jpg", "width": 100, "height": 400},
		map[string]any{"url": cdn + "b.jpg", "width": 200, "height": 200},
		map[string]any{"url": cdn + "c.jpg", "width": 50, "height": 50},
	}}
	post, err := ParseInfo(mustJSON(t, info), 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := post.Items[0]; got.Kind != ItemImage || got.URL != cdn+"b.jpg" {
		t.Errorf("item = %+v, want the later of the two largest", got)
	}
	only := map[string]any{"id": "X", "thumbnail": cdn + "t.jpg"}
	if post, err := ParseInfo(mustJSON(t, only), 10); err != nil || post.Items[0].URL != cdn+"t.jpg" {
		t.Errorf("thumbnail fallback: %+v, %v", post, err)
	}
}

func TestParseInfoCaptionCapped(t *testing.T) {
	t.Parallel()
	info := videoEntry("X")
	info["description"] = strings.Repeat("🎉", maxCaptionLen) // 4 bytes each
	info["channel"] = strings.Repeat("u", 10000)
	post, err := ParseInfo(mustJSON(t, info), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(post.Caption) > maxCaptionLen || len(post.Caption) < maxCaptionLen-utf8.UTFMax || !utf8.ValidString(post.Caption) {
		t.Errorf("caption is %d bytes (valid UTF-8: %v)", len(post.Caption), utf8.ValidString(post.Caption))
	}
	if len(post.Username) != maxNameLen {
		t.Errorf("username is %d bytes", len(post.Username))
	}
}

func TestParseInfoErrors(t *testing.T) {
	t.Parallel()
	negative := videoEntry("X")
	negative["width"] = -1
	badURL := videoEntry("X")
	badURL["url"] = "::not a url"
	relative := imageEntry("X")
	relative["thumbnails"] = []any{map[string]any{"url": "/relative.jpg", "width": 1, "height": 1}}
	badDuration := videoEntry("X")
	badDuration["duration"] = 1e300
	tests := []struct {
		name string
		data string
		want error
	}{
		{"null", "null\n", ErrNoMedia},
		{"garbage", "{not json", ErrBadOutput},
		{"empty output", "", ErrBadOutput},
		{"array", "[]", ErrBadOutput},
		{"empty object", "{}", ErrBadOutput},
		{"wrong field type", `{"id":"X","width":"wide"}`, ErrBadOutput},
		{"no media", `{"id":"X","formats":[]}`, ErrNoMedia},
		{"empty playlist", `{"_type":"playlist","id":"X","entries":[]}`, ErrNoMedia},
		{"unresolved result", `{"_type":"url","id":"X","url":"https://www.instagram.com/p/X/"}`, ErrBadOutput},
		{"negative width", string(mustJSON(t, negative)), ErrBadOutput},
		{"unparsable URL", string(mustJSON(t, badURL)), ErrBadOutput},
		{"relative thumbnail", string(mustJSON(t, relative)), ErrBadOutput},
		{"absurd duration", string(mustJSON(t, badDuration)), ErrBadOutput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			post, err := ParseInfo([]byte(tt.data), 10)
			if !errors.Is(err, tt.want) {
				t.Errorf("ParseInfo() = %+v, %v; want %v", post, err, tt.want)
			}
		})
	}
}
