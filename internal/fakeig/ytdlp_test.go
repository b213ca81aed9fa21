package fakeig

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// These tests run the real yt-dlp extractor against the fake, in parallel
// subtests with one fake each so request-log assertions stay exact.

func TestYtdlpReel(t *testing.T) {
	t.Parallel()
	s := Start(t)
	res := runYtdlp(t, s, ReelURL(CodeReel))
	wantRC(t, res, 0)
	info := res.info(t)
	f := mustFixture(t, s, CodeReel)
	it := f.Items[0]
	wantField(t, info, "id", CodeReel)
	wantField(t, info, "_type", "video")
	wantField(t, info, "url", it.MediaURL)
	wantField(t, info, "width", float64(it.Width))
	wantField(t, info, "height", float64(it.Height))
	wantField(t, info, "duration", it.Duration)
	wantField(t, info, "channel", f.Username)
	wantField(t, info, "uploader", f.FullName)
	wantField(t, info, "uploader_id", f.UserPK)
	wantField(t, info, "description", f.Caption)
	wantField(t, info, "thumbnail", it.ThumbURL)
	headers, _ := info["http_headers"].(map[string]any)
	if headers["Referer"] != "https://www.instagram.com/" || headers["User-Agent"] == "" {
		t.Errorf("http_headers = %v, want Referer https://www.instagram.com/ and a User-Agent", headers)
	}
	wantPaths(t, s, "/", "/api/v1/web/get_ruling_for_content/", "/p/"+CodeReel)
	recordGolden(t, "info", "reel.json", res.stdout)
}

func TestYtdlpImage(t *testing.T) {
	t.Parallel()
	s := Start(t)
	res := runYtdlp(t, s, PostURL(CodeImage))
	wantRC(t, res, 0)
	wantStderr(t, res, "There is no video in this post")
	info := res.info(t)
	f := mustFixture(t, s, CodeImage)
	wantField(t, info, "description", f.Caption)
	wantField(t, info, "uploader", "NASA")
	if formats, _ := info["formats"].([]any); len(formats) != 0 {
		t.Errorf("formats = %v, want none", formats)
	}
	thumbs, _ := info["thumbnails"].([]any)
	if len(thumbs) != 2 {
		t.Fatalf("thumbnails = %v, want 2", thumbs)
	}
	largest, _ := thumbs[len(thumbs)-1].(map[string]any)
	wantField(t, largest, "url", f.Items[0].MediaURL)
	wantField(t, largest, "width", 640.0)
	wantField(t, largest, "height", 480.0)
	recordGolden(t, "info", "image.json", res.stdout)
	recordGolden(t, "errors", "image_no_video.txt", res.stderr)
}

func TestYtdlpCarousel(t *testing.T) {
	t.Parallel()
	s := Start(t)
	res := runYtdlp(t, s, PostURL(CodeCarousel))
	wantRC(t, res, 0)
	info := res.info(t)
	f := mustFixture(t, s, CodeCarousel)
	wantField(t, info, "_type", "playlist")
	wantField(t, info, "id", CodeCarousel)
	wantField(t, info, "uploader", f.FullName)
	entries, _ := info["entries"].([]any)
	if len(entries) != len(f.Items) || len(entries) != 3 {
		t.Fatalf("got %d entries, want 3", len(entries))
	}
	for i, e := range entries {
		entry, _ := e.(map[string]any)
		it := f.Items[i]
		wantField(t, entry, "id", it.ID)
		wantField(t, entry, "description", f.Caption)
		if it.Video {
			wantField(t, entry, "url", it.MediaURL)
			wantField(t, entry, "width", float64(it.Width))
			wantField(t, entry, "duration", it.Duration)
			continue
		}
		thumbs, _ := entry["thumbnails"].([]any)
		if len(thumbs) == 0 {
			t.Fatalf("entry %d has no thumbnails", i)
		}
		largest, _ := thumbs[len(thumbs)-1].(map[string]any)
		wantField(t, largest, "url", it.MediaURL)
	}
	recordGolden(t, "info", "carousel.json", res.stdout)
}

func TestYtdlpBigCarousel(t *testing.T) {
	t.Parallel()
	s := Start(t)
	res := runYtdlp(t, s, PostURL(CodeBigCarousel))
	wantRC(t, res, 0)
	if entries, _ := res.info(t)["entries"].([]any); len(entries) != 12 {
		t.Errorf("got %d entries, want 12", len(entries))
	}
}

func TestYtdlpStoryWithCookies(t *testing.T) {
	t.Parallel()
	s := Start(t)
	res := runYtdlp(t, s, StoryURL(StoryID), "--cookies", s.WriteCookies(t))
	wantRC(t, res, 0)
	info := res.info(t)
	f := mustFixture(t, s, StoryID)
	wantField(t, info, "id", StoryCode)
	wantField(t, info, "url", f.Items[0].MediaURL)
	wantField(t, info, "uploader", "Story OK")
	wantField(t, info, "channel", StoryUser)
	wantField(t, info, "uploader_id", StoryUserPK)
	wantPaths(t, s, "/stories/"+StoryUser+"/"+StoryID+"/", "/api/v1/feed/reels_media/")
	for _, r := range s.Requests() {
		if !r.Cookie {
			t.Errorf("%s %s sent no sessionid", r.Method, r.Path)
		}
	}
	recordGolden(t, "info", "story.json", res.stdout)
}

func TestYtdlpLoggedInReel(t *testing.T) {
	t.Parallel()
	s := Start(t)
	res := runYtdlp(t, s, ReelURL(CodeReel), "--cookies", s.WriteCookies(t))
	wantRC(t, res, 0)
	wantField(t, res.info(t), "url", mustFixture(t, s, CodeReel).Items[0].MediaURL)
	wantPaths(t, s, "/api/v1/media/"+CodeToPK(CodeReel)+"/info/")
}

func TestYtdlpExpiredCookies(t *testing.T) {
	t.Parallel()
	s := Start(t)
	res := runYtdlp(t, s, ReelURL(CodeReel), "--cookies", s.WriteExpiredCookies(t))
	wantRC(t, res, 0)
	wantStderr(t, res, "The provided Instagram account cookies are no longer valid")
	wantField(t, res.info(t), "id", CodeReel)
	// The API is redirected to the login page, then yt-dlp falls back to the logged-out flow.
	wantPaths(t, s, "/api/v1/media/"+CodeToPK(CodeReel)+"/info/", "/accounts/login/",
		"/", "/api/v1/web/get_ruling_for_content/", "/p/"+CodeReel)
	recordGolden(t, "errors", "cookies_expired.txt", res.stderr)
}

func TestYtdlpPrivateWithCookies(t *testing.T) {
	t.Parallel()
	s := Start(t)
	res := runYtdlp(t, s, PostURL(CodePrivate), "--cookies", s.WriteCookies(t))
	wantRC(t, res, 0)
	wantField(t, res.info(t), "channel", "secretuser")
}

func TestYtdlpRedirectingURLs(t *testing.T) {
	t.Parallel()
	for _, url := range []string{
		"http://instagr.am/p/" + CodeReel + "/",
		"https://instagr.am/p/" + CodeReel + "/",
		"https://www.instagram.com/share/reel/" + ShareCode + "/",
		"https://instagram.com/reels/" + CodeReel + "/",
	} {
		t.Run(url, func(t *testing.T) {
			t.Parallel()
			s := Start(t)
			res := runYtdlp(t, s, url)
			wantRC(t, res, 0)
			wantField(t, res.info(t), "id", CodeReel)
		})
	}
}

func TestYtdlpOddMediaURLs(t *testing.T) {
	t.Parallel()
	for _, code := range []string{CodeHostile, CodeHTTPMedia, CodeHuge} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			s := Start(t)
			res := runYtdlp(t, s, PostURL(code))
			wantRC(t, res, 0)
			wantField(t, res.info(t), "url", mustFixture(t, s, code).Items[0].MediaURL)
			if n := s.CountRequests("evil.example", ""); n != 0 {
				t.Errorf("-J fetched evil.example %d times", n)
			}
		})
	}
}

func TestYtdlpErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, url string
		want      string
	}{
		{"private", PostURL(CodePrivate), "This content is only available for registered users who follow this account"},
		{"login_wall", PostURL(CodeLoginWall), "The webpage request was redirected to the login page. You have exceeded the rate-limit"},
		{"not_found", PostURL(CodeNotFound), "HTTP Error 404: Not Found"},
		{"rate_limited", PostURL(CodeRateLimited), "HTTP Error 429: Too Many Requests"},
		{"restricted", PostURL(CodeRestricted), "Restricted Video: You must be 18 years old or over to see this video"},
		{"empty_media", PostURL(CodeEmptyMedia), "Instagram sent an empty media response"},
		{"story_no_cookies", StoryURL(StoryID), "This content is unreachable"},
		{"share_login", "https://www.instagram.com/share/p/" + ShareLoginCode + "/", "Unsupported URL: https://www.instagram.com/accounts/login/"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := Start(t)
			res := runYtdlp(t, s, c.url)
			if res.rc == 0 {
				t.Fatalf("rc = 0, want failure; stdout %.300s", res.stdout)
			}
			wantStderr(t, res, "ERROR: ")
			wantStderr(t, res, c.want)
			recordGolden(t, "errors", c.name+".txt", res.stderr)
		})
	}
}

// TestYtdlpVerifiesTLS proves yt-dlp really checks the fake's certificate:
// without SSL_CERT_FILE it must refuse the connection.
func TestYtdlpVerifiesTLS(t *testing.T) {
	t.Parallel()
	s := Start(t)
	res := runYtdlpEnv(t, s, ytdlpEnv(t), ReelURL(CodeReel))
	if res.rc == 0 {
		t.Fatal("yt-dlp accepted the fake's certificate without SSL_CERT_FILE")
	}
	wantStderr(t, res, "CERTIFICATE_VERIFY_FAILED")
	if n := s.CountRequests("", ""); n != 0 {
		t.Errorf("%d requests got past the TLS handshake", n)
	}
}

func mustFixture(t *testing.T, s *Server, code string) Fixture {
	t.Helper()
	f, ok := s.Fixture(code)
	if !ok {
		t.Fatalf("no fixture %q", code)
	}
	return f
}

func wantRC(t *testing.T, res ytdlpResult, rc int) {
	t.Helper()
	if res.rc != rc {
		t.Fatalf("yt-dlp rc = %d, want %d\nstderr:\n%s", res.rc, rc, res.stderr)
	}
}

func wantStderr(t *testing.T, res ytdlpResult, substr string) {
	t.Helper()
	if !bytes.Contains(res.stderr, []byte(substr)) {
		t.Errorf("stderr lacks %q:\n%s", substr, res.stderr)
	}
}

func wantField(t *testing.T, m map[string]any, key string, want any) {
	t.Helper()
	if got := m[key]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %#v, want %#v", key, got, want)
	}
}

// wantPaths checks the exact sequence of Instagram (non-CDN) paths requested.
func wantPaths(t *testing.T, s *Server, want ...string) {
	t.Helper()
	var got []string
	for _, r := range s.Requests() {
		if isInstagramHost(r.Host) {
			got = append(got, r.Path)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("requested paths %q, want %q", got, want)
	}
}
