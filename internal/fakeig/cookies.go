package fakeig

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The fake accepts exactly validSessionID; any other sessionid is "expired".
const (
	validSessionID   = StoryUserPK + "%3AfakeigValidSession%3A26"
	expiredSessionID = StoryUserPK + "%3AfakeigExpiredSession%3A26"
)

// sessionState reports whether a sessionid cookie was sent and whether it is valid.
func sessionState(r *http.Request) (present, valid bool) {
	c, err := r.Cookie("sessionid")
	if err != nil || c.Value == "" {
		return false, false
	}
	return true, c.Value == validSessionID
}

// WriteCookies writes a Netscape cookies file with a valid sessionid for
// .instagram.com and returns its path. yt-dlp rewrites the file on exit.
func (s *Server) WriteCookies(t testing.TB) string {
	t.Helper()
	return writeCookiesT(t, validSessionID)
}

// WriteExpiredCookies writes a cookies file whose sessionid the fake treats as
// invalid: the logged-in API redirects to the login page, which answers API
// requests with 404 (as Instagram did in yt-dlp#17124/#17275), so yt-dlp warns
// "cookies are no longer valid" and falls back to the logged-out flow.
func (s *Server) WriteExpiredCookies(t testing.TB) string {
	t.Helper()
	return writeCookiesT(t, expiredSessionID)
}

func writeCookiesT(t testing.TB, session string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cookies.txt")
	if err := WriteCookiesFile(path, session == validSessionID); err != nil {
		t.Fatal(err)
	}
	return path
}

// WriteCookiesFile writes a Netscape cookies file to path, with the valid or
// the expired sessionid; for use outside tests.
func WriteCookiesFile(path string, valid bool) error {
	session := expiredSessionID
	if valid {
		session = validSessionID
	}
	// The cookies themselves must not be expired, or yt-dlp would not send them.
	expiry := time.Now().Add(365 * 24 * time.Hour).Unix()
	var b strings.Builder
	b.WriteString("# Netscape HTTP Cookie File\n")
	for _, c := range [][2]string{{"sessionid", session}, {"ds_user_id", StoryUserPK}, {"csrftoken", "fakeigCsrfFromCookies"}} {
		fmt.Fprintf(&b, ".instagram.com\tTRUE\t/\tTRUE\t%d\t%s\t%s\n", expiry, c[0], c[1])
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("failed to write cookies file: %w", err)
	}
	return nil
}
