package fakeig

import (
	"net/http"
	"testing"
)

func TestShortcodes(t *testing.T) {
	// Values computed with yt-dlp's _id_to_pk/_pk_to_id.
	for code, pk := range map[string]string{CodeReel: "6062533854317877", CodeCarousel: "43539061330828597"} {
		if got := CodeToPK(code); got != pk {
			t.Errorf("CodeToPK(%s) = %s, want %s", code, got, pk)
		}
		if got := PKToCode(pk); got != code {
			t.Errorf("PKToCode(%s) = %s, want %s", pk, got, code)
		}
	}
	if got := PKToCode(StoryID); got != StoryCode {
		t.Errorf("PKToCode(StoryID) = %s, want %s", got, StoryCode)
	}
	if len(CodePrivate) <= 28 || CodeToPK(CodePrivate) != CodeToPK("Private01") {
		t.Errorf("CodePrivate %q must be a 9-char code plus 28 characters", CodePrivate)
	}
	if CodeToPK("bad!") != "" || PKToCode("x") != "" {
		t.Error("invalid input accepted")
	}
}

func TestFixtures(t *testing.T) {
	s := Start(t)
	codes := map[string]int{
		CodeReel: 1, CodeImage: 1, CodeCarousel: 3, CodeBigCarousel: 12, CodeHuge: 1, CodePrivate: 1,
		CodeLoginWall: 1, CodeNotFound: 0, CodeRateLimited: 1, CodeRestricted: 1, CodeEmptyMedia: 1,
		CodeSlow: 1, CodeHostile: 1, CodeHTTPMedia: 1, StoryID: 2, StoryUser: 2, StoryCode: 2,
		CodeBigVideo: 1, CodeFormats: 1, CodeBigDash: 1, CodeBigTranscode: 1,
	}
	for code, n := range codes {
		f, ok := s.Fixture(code)
		if !ok || len(f.Items) != n {
			t.Errorf("Fixture(%s): ok=%v, %d items, want %d", code, ok, len(f.Items), n)
		}
	}
	f, _ := s.Fixture(CodeReel)
	f.Items[0].MediaURL = "changed"
	if g, _ := s.Fixture(CodeReel); g.Items[0].MediaURL == "changed" {
		t.Error("Fixture returned shared items")
	}
	if f, _ := s.Fixture(CodeHostile); f.Items[0].MediaURL != "https://evil.example/clip.mp4" {
		t.Errorf("hostile media URL %s", f.Items[0].MediaURL)
	}
	if f, _ := s.Fixture(CodeHuge); f.Items[0].Size != HugeSize {
		t.Errorf("huge size %d", f.Items[0].Size)
	}
	if BigVideoCode(0) != CodeBigVideo {
		t.Errorf("BigVideoCode(0) = %s, want CodeBigVideo", BigVideoCode(0))
	}
	for i := range BigVideoCount {
		if f, ok := s.Fixture(BigVideoCode(i)); !ok || len(f.Items) != 1 || f.Items[0].Size != BigVideoSize {
			t.Errorf("Fixture(%s): ok=%v, %+v, want one video of BigVideoSize", BigVideoCode(i), ok, f.Items)
		}
	}
}

func TestRequestLog(t *testing.T) {
	s := Start(t)
	c := s.Client()
	get(t, c, "https://www.instagram.com/")
	get(t, c, PostURL(CodeNotFound), "Cookie", "sessionid=whatever")
	resp, _ := get(t, c, "http://instagr.am/p/"+CodeReel+"/")
	if resp.Request.URL.String() != PostURL(CodeReel) {
		t.Errorf("instagr.am ended at %s", resp.Request.URL)
	}
	reqs := s.Requests()
	if len(reqs) != 4 {
		t.Fatalf("logged %d requests, want 4: %+v", len(reqs), reqs)
	}
	want := []Request{
		{Method: "GET", Host: "www.instagram.com", Path: "/", Status: 200, Scheme: "https"},
		{Method: "GET", Host: "www.instagram.com", Path: "/p/" + CodeNotFound + "/", Status: 404, Cookie: true, Scheme: "https"},
		{Method: "GET", Host: "instagr.am", Path: "/p/" + CodeReel + "/", Status: http.StatusMovedPermanently, Scheme: "http"},
		{Method: "GET", Host: "www.instagram.com", Path: "/p/" + CodeReel + "/", Status: 200, Scheme: "https"},
	}
	for i, w := range want {
		r := reqs[i]
		if r.Time.IsZero() || (i > 0 && r.Time.Before(reqs[i-1].Time)) {
			t.Errorf("request %d has time %v", i, r.Time)
		}
		if r.Method != w.Method || r.Host != w.Host || r.Path != w.Path || r.Status != w.Status || r.Cookie != w.Cookie || r.Scheme != w.Scheme {
			t.Errorf("request %d = %+v, want %+v", i, r, w)
		}
	}
	if n := s.CountRequests("www.instagram.com", "/p/"); n != 2 {
		t.Errorf("CountRequests = %d, want 2", n)
	}
	if n := s.CountRequests("instagram.com", ""); n != 3 {
		t.Errorf("CountRequests(instagram.com) = %d, want 3", n)
	}
}

func TestShareRedirects(t *testing.T) {
	s := Start(t)
	c := s.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for path, want := range map[string]string{
		"/share/reel/" + ShareCode + "/":              ReelURL(CodeReel) + "?igsh=fake",
		"/share/p/" + ShareLoginCode + "/":            "https://www.instagram.com/accounts/login/?next=%2Fshare%2Fp%2F" + ShareLoginCode + "%2F",
		"/p/" + CodeLoginWall + "/":                   "https://www.instagram.com/accounts/login/?next=%2Fp%2F" + CodeLoginWall + "%2F",
		"/stories/" + StoryUser + "/" + StoryID + "/": "https://www.instagram.com/accounts/login/?next=%2Fstories%2F" + StoryUser + "%2F" + StoryID + "%2F",
	} {
		resp, _ := get(t, c, "https://www.instagram.com"+path)
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
			t.Errorf("%s: %d → %q, want 302 → %q", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
}
