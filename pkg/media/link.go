package media

import (
	"strings"

	"golang.org/x/net/html"
)

// LinkKind says what an Instagram link points at.
type LinkKind int

const (
	LinkPost  LinkKind = iota + 1 // /p/<code>, /tv/<code>, /reel/<code>, /reels/<code>, /<user>/p/<code>, /<user>/reel/<code>
	LinkStory                     // /stories/<user>/<numeric id>
	LinkShare                     // /share/<...> (needs ResolveShare before fetching)
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

// FindLinks returns the Instagram media links in a Matrix message, deduplicated by Key, in order of appearance.
// body is the plain body; formattedBody is the formatted_body HTML (may be empty).
//
// Both renderings are read because clients differ in which one carries a link. Links from formattedBody come
// first (it is the preferred rendering), then links only found in body. Text in reply fallbacks is ignored.
// A link opted out anywhere (in code, or wrapped in <...>) is dropped even if it also appears plainly elsewhere,
// since an opt-out is often only visible in one rendering (e.g. "<url>" in body becomes a bare <a> in HTML).
func FindLinks(body, formattedBody string) []Link {
	c := linkCollector{seen: make(map[string]bool), optedOut: make(map[string]bool)}
	if formattedBody != "" {
		c.scanHTML(formattedBody)
	}
	c.scanBody(body)
	return c.result()
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

// linkCollector gathers link occurrences from both renderings of a message.
type linkCollector struct {
	links    []Link
	seen     map[string]bool
	optedOut map[string]bool
}

func (c *linkCollector) add(l Link, optOut bool) {
	key := l.Key()
	if optOut {
		c.optedOut[key] = true
	} else if !c.seen[key] {
		c.seen[key] = true
		c.links = append(c.links, l)
	}
}

func (c *linkCollector) result() []Link {
	out := c.links[:0]
	for _, l := range c.links {
		if !c.optedOut[l.Key()] {
			out = append(out, l)
		}
	}
	return out
}

// scanBody reads the plain body as the Markdown most clients send: quote lines (including the reply
// fallback) are skipped, fenced code blocks and code spans are opt-outs.
func (c *linkCollector) scanBody(body string) {
	var fenceChar byte
	var fenceLen int
	para := -1 // start of the paragraph being collected, -1 when there is none
	flush := func(end int) {
		if para >= 0 {
			c.scanInline(body[para:end])
			para = -1
		}
	}
	for start := 0; start < len(body); {
		end := strings.IndexByte(body[start:], '\n')
		if end < 0 {
			end = len(body)
		} else {
			end += start
		}
		line := body[start:end]
		trimmed := strings.TrimLeft(line, " \t")
		switch {
		case fenceLen > 0:
			if closesFence(trimmed, fenceChar, fenceLen) {
				fenceLen = 0
			} else {
				c.scanText(line, true)
			}
		case strings.HasPrefix(trimmed, ">"):
			flush(start)
		case strings.TrimSpace(trimmed) == "":
			flush(start)
		default:
			if fenceChar, fenceLen = opensFence(trimmed); fenceLen > 0 {
				flush(start)
			} else if para < 0 {
				para = start
			}
		}
		start = end + 1
	}
	flush(len(body))
}

// opensFence returns the fence character and length if line opens a fenced code block.
func opensFence(line string) (byte, int) {
	if len(line) < 3 || (line[0] != '`' && line[0] != '~') {
		return 0, 0
	}
	n := leadingRun(line, line[0])
	// A backtick "fence" with backticks after it is an inline code span (CommonMark).
	if n < 3 || (line[0] == '`' && strings.IndexByte(line[n:], '`') >= 0) {
		return 0, 0
	}
	return line[0], n
}

func closesFence(line string, char byte, n int) bool {
	run := leadingRun(line, char)
	return run >= n && strings.TrimSpace(line[run:]) == ""
}

func leadingRun(s string, b byte) int {
	n := 0
	for n < len(s) && s[n] == b {
		n++
	}
	return n
}

type backtickRun struct {
	start, len int
	next       int // index of the next run of the same length, -1 if none
}

// scanInline scans one paragraph, treating code spans as opt-outs. A span runs from a backtick
// string to the next one of the same length; linking equal runs up front keeps this linear.
func (c *linkCollector) scanInline(text string) {
	if strings.IndexByte(text, '`') < 0 {
		c.scanText(text, false)
		return
	}
	var runs []backtickRun
	for i := 0; i < len(text); {
		if text[i] != '`' {
			i++
			continue
		}
		n := leadingRun(text[i:], '`')
		runs = append(runs, backtickRun{start: i, len: n, next: -1})
		i += n
	}
	lastByLen := make(map[int]int)
	for i := len(runs) - 1; i >= 0; i-- {
		if j, ok := lastByLen[runs[i].len]; ok {
			runs[i].next = j
		}
		lastByLen[runs[i].len] = i
	}
	pos := 0
	for i := 0; i < len(runs); i++ {
		open := runs[i]
		if open.next < 0 {
			continue // unmatched backticks are literal
		}
		closing := runs[open.next]
		c.scanText(text[pos:open.start], false)
		c.scanText(text[open.start+open.len:closing.start], true)
		pos = closing.start + closing.len
		i = open.next
	}
	c.scanText(text[pos:], false)
}

// urlDelimiters holds the bytes that cannot be part of a link we accept before its query string. Cutting a
// query short is harmless as it is dropped, and non-ASCII bytes end a link (NBSP, "…", full-width brackets).
var urlDelimiters = func() (t [256]bool) {
	for b := range t {
		t[b] = b <= ' ' || b >= 0x7f || strings.IndexByte("<>\"'`()[]{}|\\^", byte(b)) >= 0
	}
	return t
}()

// scanText finds links in plain text; optOut marks everything found as opted out.
func (c *linkCollector) scanText(text string, optOut bool) {
	for i := 0; i < len(text); {
		if urlDelimiters[text[i]] {
			i++
			continue
		}
		start := i
		for i < len(text) && !urlDelimiters[text[i]] {
			i++
		}
		c.scanWord(text, start, i, optOut)
	}
}

// scanWord checks the candidate in text[start:end], a run of non-delimiter bytes.
func (c *linkCollector) scanWord(text string, start, end int, optOut bool) {
	// Every media link has a path; this skips ordinary words cheaply.
	if end-start > maxCandidateLen || strings.IndexByte(text[start:end], '/') < 0 {
		return
	}
	if i := indexScheme(text[start:end]); i >= 0 {
		start += i
	} else {
		// Scheme-less links may follow Markdown emphasis or other punctuation.
		for start < end && !isAlnum(text[start]) {
			start++
		}
	}
	urlEnd := end
	for urlEnd > start && strings.IndexByte(".,:;!?*~", text[urlEnd-1]) >= 0 {
		urlEnd--
	}
	l, ok := ParseLink(text[start:urlEnd])
	if !ok {
		return
	}
	// <url> is the usual way of asking bots not to preview a link.
	bracketed := start > 0 && text[start-1] == '<' && end < len(text) && text[end] == '>'
	c.add(l, optOut || bracketed)
}

func indexScheme(s string) int {
	for i := 0; i+len("http://") <= len(s); i++ {
		if (s[i] == 'h' || s[i] == 'H') && (hasPrefixFold(s[i:], "https://") || hasPrefixFold(s[i:], "http://")) {
			return i
		}
	}
	return -1
}

// scanHTML reads formatted_body: <a href> targets and text outside <mx-reply>, with <code> and <pre>
// content and links shown as "&lt;url&gt;" treated as opt-outs.
func (c *linkCollector) scanHTML(formatted string) {
	z := html.NewTokenizer(strings.NewReader(formatted))
	var replyDepth, codeDepth int
	var afterLT bool // the previous token was text ending with '<'
	var open Link    // the link of the open anchor, if it directly follows a '<'
	var closed Link  // the link of the anchor the previous token closed, if it directly followed a '<'
	for {
		tt := z.Next()
		wasAfterLT, justClosed := afterLT, closed
		afterLT, closed = false, Link{}
		switch tt {
		case html.ErrorToken:
			return // io.EOF or a tokenizer error; either way there is nothing more to read
		case html.TextToken:
			if replyDepth > 0 {
				continue
			}
			text := string(z.Text())
			if justClosed.Kind != 0 && strings.HasPrefix(text, ">") {
				c.add(justClosed, true)
			}
			c.scanText(text, codeDepth > 0)
			afterLT = strings.HasSuffix(text, "<")
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			if tt == html.StartTagToken {
				switch tag {
				case "mx-reply":
					replyDepth++
				case "code", "pre":
					codeDepth++
				}
			}
			if replyDepth > 0 || tag != "a" {
				continue
			}
			open = Link{}
			for hasAttr {
				var key, val []byte
				key, val, hasAttr = z.TagAttr()
				if string(key) != "href" {
					continue
				}
				if l, ok := ParseLink(string(val)); ok {
					c.add(l, codeDepth > 0)
					if wasAfterLT {
						open = l
					}
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "mx-reply":
				replyDepth = max(replyDepth-1, 0)
			case "code", "pre":
				codeDepth = max(codeDepth-1, 0)
			case "a":
				closed, open = open, Link{}
			}
		}
	}
}
