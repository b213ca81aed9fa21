package fakeig

import (
	"encoding/json"
	"net/http"
	"strings"
)

// serveAPI answers the /api/v1 endpoints yt-dlp uses; path is without /api/v1.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, path string) {
	switch {
	case path == "/web/get_ruling_for_content/" || path == "/web/get_ruling_for_content":
		s.serveRuling(w, r)
	case strings.HasPrefix(path, "/media/") && strings.HasSuffix(path, "/info/"):
		s.serveMediaInfo(w, r, strings.TrimSuffix(strings.TrimPrefix(path, "/media/"), "/info/"))
	case path == "/feed/reels_media/" || path == "/feed/reels_media":
		s.serveReelsMedia(w, r)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Page not found", "status": "fail"})
	}
}

// serveRuling is the logged-out accessibility check: {"status":"ok"} unless
// the post is restricted, which yields a title yt-dlp turns into an error.
func (s *Server) serveRuling(w http.ResponseWriter, r *http.Request) {
	f := s.cat.byPK[r.URL.Query().Get("target_id")]
	if f != nil {
		s.wait(r, f.Code)
	}
	if f != nil && f.Behavior == BehaviorRestricted {
		writeJSON(w, http.StatusOK, map[string]any{
			"title":       "Restricted Video",
			"description": "You must be 18 years old or over to see this video",
			"status":      "ok",
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}

// serveMediaInfo is the logged-in media API. An invalid or missing sessionid
// is redirected to the login page.
func (s *Server) serveMediaInfo(w http.ResponseWriter, r *http.Request, pk string) {
	f := s.cat.byPK[pk]
	if f != nil {
		s.wait(r, f.Code)
	}
	if _, loggedIn := sessionState(r); !loggedIn {
		redirectToLogin(w, r)
		return
	}
	switch {
	case f == nil || f.Story || f.Behavior == BehaviorNotFound:
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Media not found or unavailable", "status": "fail"})
	case f.Behavior == BehaviorRateLimited:
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "Please wait a few minutes before you try again.", "status": "fail"})
	default:
		writeJSON(w, http.StatusOK, map[string]any{
			"items": []igMedia{mediaObject(f)}, "num_results": 1, "more_available": false, "status": "ok",
		})
	}
}

// serveReelsMedia is the story feed; without a valid session the reels are
// empty, which yt-dlp reports as "You need to log in to access this content".
func (s *Server) serveReelsMedia(w http.ResponseWriter, r *http.Request) {
	reels := map[string]any{}
	_, loggedIn := sessionState(r)
	for _, id := range r.URL.Query()["reel_ids"] {
		var f *Fixture
		for _, c := range s.cat.byUser {
			if c.UserPK == id {
				f = c
			}
		}
		if f == nil {
			continue
		}
		s.wait(r, f.Code)
		if !loggedIn {
			continue
		}
		reels[id] = map[string]any{
			"id":    id,
			"user":  igUser{PK: f.UserPK, ID: f.UserPK, Username: f.Username, FullName: f.FullName},
			"items": storyObjects(f),
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"reels": reels, "reels_media": []any{}, "status": "ok"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeHTML(w http.ResponseWriter, status int, page string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(page))
}
