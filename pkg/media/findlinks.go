package media

// Finding links in Matrix message bodies: both renderings, code spans and fences, reply
// fallbacks and opt-outs. Parsing one link is link.go.

import (
	"strings"

	"golang.org/x/net/html"
)

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
