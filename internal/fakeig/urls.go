package fakeig

import "fmt"

// cdnHost is the CDN host of the default fixtures' media.
const cdnHost = "scontent-ams2-1.cdninstagram.com"

// The URL shapes copy Instagram's so that URL checks in the bridge see
// realistic input; the query strings stand in for the signed parameters.

func videoURL(code string, n int) string {
	return fmt.Sprintf("https://%s/o1/v/t16/f2/m86/%s/%d.mp4?efg=x&oe=6A00F00D", cdnHost, code, n)
}

func imageURL(code string, n int) string {
	return fmt.Sprintf("https://%s/v/t51.2885-15/%s_%d.jpg?stp=dst-jpg", cdnHost, code, n)
}

func smallImageURL(code string, n, w, h int) string {
	return fmt.Sprintf("https://%s/v/t51.2885-15/%s_%d_s.jpg?stp=dst-jpg_s%dx%d", cdnHost, code, n, w, h)
}

// dashURL is a DASH representation file: kind "v" (video-only) or "a" (audio-only).
func dashURL(code string, n int, kind string) string {
	ext := "mp4"
	if kind == "a" {
		ext = "m4a"
	}
	return fmt.Sprintf("https://%s/o1/v/t2/f2/m367/%s/%d_dash%s.%s?efg=x&oe=6A00F00D", cdnHost, code, n, kind, ext)
}

// PostURL is the canonical URL of a post, as the bridge would normalise it.
func PostURL(code string) string { return "https://www.instagram.com/p/" + code + "/" }

// ReelURL is the /reel/ URL of a post.
func ReelURL(code string) string { return "https://www.instagram.com/reel/" + code + "/" }

// StoryURL is the URL of one story item of StoryUser.
func StoryURL(id string) string {
	return "https://www.instagram.com/stories/" + StoryUser + "/" + id + "/"
}
