package media

import "strings"

// LinkKind says what an Instagram link points at.
type LinkKind int

const (
	LinkPost  LinkKind = iota + 1 // /p/<code>, /tv/<code>, /reel/<code>, /reels/<code>, /<user>/p/<code>, /<user>/reel/<code>
	LinkStory                     // /stories/<user>/<numeric id>
	LinkShare                     // /share/<...> (needs ShareResolver.Resolve before fetching)
)

// Link is one Instagram media reference found in a message, canonicalised.
type Link struct {
	Kind      LinkKind
	Shortcode string // LinkPost: the post shortcode ([A-Za-z0-9_-]+)
	PathKind  string // LinkPost: "p", "reel" or "tv" ("reels" is normalised to "reel"), only used to rebuild the URL
	User      string // LinkStory: the username, lowercased
	StoryID   string // LinkStory: the numeric item id
	ShareCode string // LinkShare: the path after /share/, e.g. "reel/BAbc123" or "BAbc123"
}

const (
	canonicalPrefix = "https://www.instagram.com/"
	// maxCandidateLen bounds the work spent on any single URL-looking string.
	maxCandidateLen = 2048
	// maxPathSegments is enough for /<user>/p/<code>/embed/captioned.
	maxPathSegments = 5
)

var instagramHosts = []string{"instagram.com", "www.instagram.com", "m.instagram.com", "instagr.am", "www.instagr.am"}

// URL returns the canonical https://www.instagram.com URL rebuilt from the parsed parts.
func (l Link) URL() string {
	switch l.Kind {
	case LinkPost:
		return canonicalPrefix + l.PathKind + "/" + l.Shortcode + "/"
	case LinkStory:
		return canonicalPrefix + "stories/" + l.User + "/" + l.StoryID + "/"
	case LinkShare:
		return canonicalPrefix + "share/" + l.ShareCode + "/"
	default:
		return ""
	}
}

// Key identifies the post for deduplication and caching: "post:<code>", "story:<user>/<id>", "share:<sharecode>".
func (l Link) Key() string {
	switch l.Kind {
	case LinkPost:
		return "post:" + l.Shortcode
	case LinkStory:
		return "story:" + l.User + "/" + l.StoryID
	case LinkShare:
		return "share:" + l.ShareCode
	default:
		return ""
	}
}

// ParseLink parses one URL string (already extracted) and reports whether it is an Instagram media link.
func ParseLink(raw string) (Link, bool) {
	raw = strings.TrimSpace(raw)
	if len(raw) > maxCandidateLen {
		return Link{}, false
	}
	rest, defaultPort := cutScheme(raw)
	hostEnd := strings.IndexAny(rest, "/?#")
	if hostEnd < 0 || rest[hostEnd] != '/' || !isInstagramHost(rest[:hostEnd], defaultPort) {
		return Link{}, false
	}
	path := rest[hostEnd:]
	if end := strings.IndexAny(path, "?#"); end >= 0 {
		path = path[:end]
	}
	return parsePath(path)
}

// cutScheme strips an http(s) scheme and returns the port that may be spelled out for it.
// Scheme-less text is accepted as people paste "instagram.com/p/..." too.
func cutScheme(raw string) (rest, defaultPort string) {
	switch {
	case hasPrefixFold(raw, "https://"):
		return raw[len("https://"):], ":443"
	case hasPrefixFold(raw, "http://"):
		return raw[len("http://"):], ":80"
	default:
		return raw, ""
	}
}

// isInstagramHost compares the whole authority, so userinfo, other ports and lookalike hosts never match.
func isInstagramHost(host, defaultPort string) bool {
	if defaultPort != "" {
		host = strings.TrimSuffix(host, defaultPort)
	}
	for _, h := range instagramHosts {
		if asciiEqualFold(host, h) {
			return true
		}
	}
	return false
}

func parsePath(path string) (Link, bool) {
	path = strings.TrimSuffix(strings.TrimPrefix(path, "/"), "/")
	var segs [maxPathSegments]string
	n := 0
	for rest, more := path, true; more; n++ {
		if n == len(segs) {
			return Link{}, false
		}
		segs[n], rest, more = strings.Cut(rest, "/")
		if segs[n] == "" {
			return Link{}, false
		}
	}
	s := segs[:n]
	switch s[0] {
	case "stories":
		// Highlights look like /stories/highlights/<digits>/ but are not a user's story.
		if n == 3 && s[1] != "highlights" && ValidUsername(s[1]) && isDigits(s[2], 25) {
			return Link{Kind: LinkStory, User: strings.ToLower(s[1]), StoryID: s[2]}, true
		}
	case "share":
		if (n == 2 || n == 3) && isCodeSegment(s[1]) && (n == 2 || isCodeSegment(s[2])) {
			return Link{Kind: LinkShare, ShareCode: path[len("share/"):]}, true
		}
	case "p", "reel", "reels", "tv":
		return parsePost(s[0], s[1:])
	case "accounts", "direct", "explore":
	default:
		if n >= 3 && (s[1] == "p" || s[1] == "reel" || s[1] == "tv") && ValidUsername(s[0]) {
			return parsePost(s[1], s[2:])
		}
	}
	return Link{}, false
}

// parsePost parses the segments after a post path kind: <code> optionally followed by embed[/captioned].
func parsePost(kind string, rest []string) (Link, bool) {
	if len(rest) == 0 || !isCodeSegment(rest[0]) || (kind == "reels" && rest[0] == "audio") {
		return Link{}, false
	}
	switch {
	case len(rest) == 1:
	case rest[1] == "embed" && (len(rest) == 2 || len(rest) == 3 && rest[2] == "captioned"):
	default:
		return Link{}, false
	}
	if kind == "reels" {
		kind = "reel"
	}
	return Link{Kind: LinkPost, Shortcode: rest[0], PathKind: kind}, true
}

// isCodeSegment reports whether s is a valid shortcode or share code segment.
func isCodeSegment(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '_' && s[i] != '-' {
			return false
		}
	}
	return true
}

// ValidUsername reports whether s can be an Instagram username: 1 to 30 letters, digits, '_' or '.'.
func ValidUsername(s string) bool {
	if len(s) == 0 || len(s) > 30 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '_' && s[i] != '.' {
			return false
		}
	}
	return true
}

func isDigits(s string, maxLen int) bool {
	if len(s) == 0 || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// asciiEqualFold is strings.EqualFold without Unicode folding, so "ſ" or "K" cannot pose as ASCII letters.
// lower must already be lowercase.
func asciiEqualFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		if b != lower[i] {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, lowerPrefix string) bool {
	return len(s) >= len(lowerPrefix) && asciiEqualFold(s[:len(lowerPrefix)], lowerPrefix)
}
