package connector

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"go.mau.fi/util/exhttp"
	"maunium.net/go/mautrix"
)

// hsTokenFromQuery accepts the homeserver token from the legacy ?access_token= query parameter as
// well as the Authorization header (conduwuit sends both, older servers only the query), and answers
// a wrong token with 403 M_FORBIDDEN as the appservice API asks. The query parameter is removed
// before anything else sees the request, so the token never reaches a log line.
func hsTokenFromQuery(hsToken string) exhttp.Middleware {
	want := []byte("Bearer " + hsToken)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, "/_matrix/app/") {
				next.ServeHTTP(w, r)
				return
			}
			query := r.URL.Query()
			if token := query.Get("access_token"); token != "" {
				query.Del("access_token")
				r.URL.RawQuery = query.Encode()
				r.RequestURI = r.URL.RequestURI()
				if r.Header.Get("Authorization") == "" {
					r.Header.Set("Authorization", "Bearer "+token)
				}
			}
			auth := r.Header.Get("Authorization")
			if auth != "" && subtle.ConstantTimeCompare([]byte(auth), want) != 1 {
				mautrix.MForbidden.WithMessage("Invalid homeserver token").Write(w)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
