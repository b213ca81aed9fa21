package media

import (
	"errors"
	"fmt"
	"net/url"
)

// ErrInvalidProxy is a proxy URL that cannot be used. Its messages never quote the URL, which
// may hold a password.
var ErrInvalidProxy = errors.New("invalid proxy URL")

// proxySchemes are the proxy schemes both yt-dlp and Go's HTTP transport (media downloads) speak.
var proxySchemes = map[string]bool{"http": true, "https": true, "socks5": true, "socks5h": true}

// ParseProxy parses the configured proxy URL, for yt-dlp and the media downloads alike.
func ParseProxy(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		// url.Error quotes the whole URL, and its reason can quote a piece of the password
		// (`invalid port ":secret"` for "http://user:secret/@host").
		return nil, fmt.Errorf("%w: it is malformed (special characters in a user name or password must be percent-encoded)", ErrInvalidProxy)
	case !proxySchemes[u.Scheme]:
		return nil, fmt.Errorf("%w: the scheme must be http, https, socks5 or socks5h", ErrInvalidProxy)
	case u.Host == "":
		return nil, fmt.Errorf("%w: it has no host", ErrInvalidProxy)
	}
	return u, nil
}
