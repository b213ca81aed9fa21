package fakeig

import (
	"net/http"
	"net/url"
	"strings"
)

// serveInstagram answers www.instagram.com (and i.instagram.com for the API).
func (s *Server) serveInstagram(w http.ResponseWriter, r *http.Request) {
	host := hostOnly(r.Host)
	if host == "instagram.com" || host == "m.instagram.com" {
		redirect(w, "https://www.instagram.com"+r.URL.RequestURI(), http.StatusMovedPermanently)
		return
	}
	p := r.URL.Path
	switch {
	case p == "/":
		// Instagram sets csrftoken on the first page view; without it yt-dlp
		// warns "No CSRF token set by Instagram API".
		http.SetCookie(w, &http.Cookie{Name: "csrftoken", Value: "fakeigCsrfToken", Domain: ".instagram.com", Path: "/", Secure: true, MaxAge: 31449600})
		writeHTML(w, http.StatusOK, homePage())
	case strings.HasPrefix(p, "/accounts/login"):
		s.serveLogin(w, r)
	case strings.HasPrefix(p, "/api/v1/"):
		s.serveAPI(w, r, strings.TrimPrefix(p, "/api/v1"))
	case strings.HasPrefix(p, "/share/"):
		s.serveShare(w, r)
	case strings.HasPrefix(p, "/stories/"):
		s.serveStoryPage(w, r)
	default:
		if code, ok := postCode(p); ok {
			s.servePost(w, r, code)
			return
		}
		writeHTML(w, http.StatusNotFound, notFoundPage())
	}
}

// postCode extracts the shortcode from /p/X, /reel/X, /reels/X, /tv/X and
// /<user>/(p|reel|tv)/X paths (with anything after X).
func postCode(p string) (string, bool) {
	seg := strings.Split(strings.Trim(p, "/"), "/")
	isKind := func(s string) bool { return s == "p" || s == "reel" || s == "reels" || s == "tv" }
	switch {
	case len(seg) >= 2 && isKind(seg[0]) && seg[1] != "":
		return seg[1], true
	case len(seg) >= 3 && isKind(seg[1]) && seg[2] != "":
		return seg[2], true
	}
	return "", false
}

func (s *Server) servePost(w http.ResponseWriter, r *http.Request, code string) {
	f := s.cat.byCode[code]
	if f == nil || f.Story {
		s.wait(r, code)
		writeHTML(w, http.StatusNotFound, notFoundPage())
		return
	}
	s.wait(r, f.Code)
	_, loggedIn := sessionState(r)
	switch {
	case f.Behavior == BehaviorNotFound:
		writeHTML(w, http.StatusNotFound, notFoundPage())
	case f.Behavior == BehaviorRateLimited || s.takeFailure(f.Code):
		writeHTML(w, http.StatusTooManyRequests, rateLimitPage)
	case loggedIn:
		s.writePostPage(w, f, true)
	case f.Behavior == BehaviorLoginWall || f.Behavior == BehaviorPrivate || f.Behavior == BehaviorRestricted:
		redirectToLogin(w, r)
	default:
		s.writePostPage(w, f, f.Behavior != BehaviorEmptyMedia)
	}
}

func (s *Server) writePostPage(w http.ResponseWriter, f *Fixture, withMedia bool) {
	var media *igMedia
	if withMedia {
		m := mediaObject(f)
		media = &m
	}
	page, err := postPage(f.FullName+" on Instagram", f.PK, media)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeHTML(w, http.StatusOK, page)
}

// serveLogin is the login page. Requests that carry API headers (a followed
// redirect from /api/v1/…) get 404, as Instagram answered invalid cookies in
// yt-dlp#17124/#17275; that makes yt-dlp's invalid-cookie detection fire.
func (s *Server) serveLogin(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-IG-App-ID") != "" || strings.HasPrefix(r.URL.Query().Get("next"), "/api/") {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "", "status": "fail"})
		return
	}
	writeHTML(w, http.StatusOK, loginPage())
}

func redirectToLogin(w http.ResponseWriter, r *http.Request) {
	redirect(w, "https://www.instagram.com/accounts/login/?next="+url.QueryEscape(r.URL.Path), http.StatusFound)
}

// serveShare resolves /share/reel/X, /share/p/X and /share/X links.
func (s *Server) serveShare(w http.ResponseWriter, r *http.Request) {
	seg := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/share/"), "/"), "/")
	key := ""
	switch len(seg) {
	case 1:
		key = "reel/" + seg[0]
	case 2:
		key = seg[0] + "/" + seg[1]
	}
	switch code := seg[len(seg)-1]; {
	case s.takeFailure(shareFailureKey(code)):
		writeHTML(w, http.StatusServiceUnavailable, notFoundPage())
		return
	case s.takeFailure(shareRateLimitKey(code)):
		writeHTML(w, http.StatusTooManyRequests, rateLimitPage)
		return
	}
	target, ok := s.cat.shares[key]
	if !ok && len(seg) == 1 {
		target, ok = s.cat.shares["p/"+seg[0]]
	}
	if !ok {
		writeHTML(w, http.StatusNotFound, notFoundPage())
		return
	}
	redirect(w, target, http.StatusFound)
}

// serveStoryPage is /stories/<user>/[<id>/]; anonymous viewers are sent to the
// login page, as Instagram does.
func (s *Server) serveStoryPage(w http.ResponseWriter, r *http.Request) {
	seg := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/stories/"), "/"), "/")
	f := s.cat.byUser[seg[0]]
	if f == nil {
		writeHTML(w, http.StatusNotFound, notFoundPage())
		return
	}
	s.wait(r, f.Code)
	if _, loggedIn := sessionState(r); !loggedIn {
		redirectToLogin(w, r)
		return
	}
	page, err := storyPage(f)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeHTML(w, http.StatusOK, page)
}
