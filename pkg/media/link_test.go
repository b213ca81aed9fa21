package media

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func postLink(kind, code string) Link { return Link{Kind: LinkPost, PathKind: kind, Shortcode: code} }
func storyLink(user, id string) Link  { return Link{Kind: LinkStory, User: user, StoryID: id} }
func shareLink(code string) Link      { return Link{Kind: LinkShare, ShareCode: code} }

var parseLinkTests = []struct {
	raw  string
	want Link // zero when raw is not an Instagram media link
	url  string
	key  string
}{
	{"https://www.instagram.com/p/CxYz_1-2/", postLink("p", "CxYz_1-2"), "https://www.instagram.com/p/CxYz_1-2/", "post:CxYz_1-2"},
	{"https://instagram.com/p/ABC", postLink("p", "ABC"), "https://www.instagram.com/p/ABC/", "post:ABC"},
	{"http://m.instagram.com/reel/ABC/", postLink("reel", "ABC"), "https://www.instagram.com/reel/ABC/", "post:ABC"},
	{"https://instagr.am/p/ABC/", postLink("p", "ABC"), "https://www.instagram.com/p/ABC/", "post:ABC"},
	{"https://www.instagr.am/tv/ABC", postLink("tv", "ABC"), "https://www.instagram.com/tv/ABC/", "post:ABC"},
	{"https://www.instagram.com/reels/ABC/", postLink("reel", "ABC"), "https://www.instagram.com/reel/ABC/", "post:ABC"},
	{"HTTPS://WWW.INSTAGRAM.COM/p/AbC/", postLink("p", "AbC"), "https://www.instagram.com/p/AbC/", "post:AbC"},
	{"https://www.instagram.com/some.user_1/p/ABC/", postLink("p", "ABC"), "https://www.instagram.com/p/ABC/", "post:ABC"},
	{"https://www.instagram.com/some.user_1/reel/ABC", postLink("reel", "ABC"), "https://www.instagram.com/reel/ABC/", "post:ABC"},
	{"https://www.instagram.com/some.user_1/tv/ABC/", postLink("tv", "ABC"), "https://www.instagram.com/tv/ABC/", "post:ABC"},
	{"https://www.instagram.com/reel/ABC/?igsh=MTc4&utm_source=ig_web_copy_link", postLink("reel", "ABC"), "https://www.instagram.com/reel/ABC/", "post:ABC"},
	{"https://www.instagram.com/p/ABC/?img_index=2#comments", postLink("p", "ABC"), "https://www.instagram.com/p/ABC/", "post:ABC"},
	{"https://www.instagram.com/p/ABC#x", postLink("p", "ABC"), "https://www.instagram.com/p/ABC/", "post:ABC"},
	{"https://www.instagram.com/p/ABC/embed/", postLink("p", "ABC"), "https://www.instagram.com/p/ABC/", "post:ABC"},
	{"https://www.instagram.com/p/ABC/embed/captioned/", postLink("p", "ABC"), "https://www.instagram.com/p/ABC/", "post:ABC"},
	{"https://www.instagram.com:443/p/ABC/", postLink("p", "ABC"), "https://www.instagram.com/p/ABC/", "post:ABC"},
	{"instagram.com/p/ABC", postLink("p", "ABC"), "https://www.instagram.com/p/ABC/", "post:ABC"},
	{"www.instagram.com/reel/ABC/", postLink("reel", "ABC"), "https://www.instagram.com/reel/ABC/", "post:ABC"},
	{"https://www.instagram.com/stories/Some.User/3141592653589793238/", storyLink("some.user", "3141592653589793238"), "https://www.instagram.com/stories/some.user/3141592653589793238/", "story:some.user/3141592653589793238"},
	{"https://instagram.com/stories/someuser/42?utm_source=ig_story_item_share", storyLink("someuser", "42"), "https://www.instagram.com/stories/someuser/42/", "story:someuser/42"},
	{"https://www.instagram.com/share/reel/BAbc123/", shareLink("reel/BAbc123"), "https://www.instagram.com/share/reel/BAbc123/", "share:reel/BAbc123"},
	{"https://www.instagram.com/share/p/BAbc123", shareLink("p/BAbc123"), "https://www.instagram.com/share/p/BAbc123/", "share:p/BAbc123"},
	{"https://www.instagram.com/share/BAbc_12-3/?igsh=x", shareLink("BAbc_12-3"), "https://www.instagram.com/share/BAbc_12-3/", "share:BAbc_12-3"},

	{"https://www.instagram.com/someuser/", Link{}, "", ""},
	{"https://www.instagram.com/someuser/reels/", Link{}, "", ""},
	{"https://www.instagram.com/someuser/reels/ABC/", Link{}, "", ""},
	{"https://www.instagram.com/explore/tags/cats/", Link{}, "", ""},
	{"https://www.instagram.com/explore/p/ABC/", Link{}, "", ""},
	{"https://www.instagram.com/reels/audio/1234567890/", Link{}, "", ""},
	{"https://www.instagram.com/reels/audio/", Link{}, "", ""},
	{"https://www.instagram.com/reels/", Link{}, "", ""},
	{"https://www.instagram.com/stories/someuser/", Link{}, "", ""},
	{"https://www.instagram.com/stories/someuser/12ab/", Link{}, "", ""},
	{"https://www.instagram.com/stories/highlights/17912345678901234/", Link{}, "", ""},
	{"https://www.instagram.com/accounts/login/?next=/p/ABC/", Link{}, "", ""},
	{"https://www.instagram.com/accounts/p/ABC/", Link{}, "", ""},
	{"https://www.instagram.com/direct/t/12345/", Link{}, "", ""},
	{"https://www.instagram.com/", Link{}, "", ""},
	{"https://www.instagram.com", Link{}, "", ""},
	{"https://www.instagram.com?p=ABC", Link{}, "", ""},
	{"https://www.instagram.com//p/ABC/", Link{}, "", ""},
	{"https://www.instagram.com/p//ABC/", Link{}, "", ""},
	{"https://www.instagram.com/p/ABC/liked_by/", Link{}, "", ""},
	{"https://www.instagram.com/p/AB%43/", Link{}, "", ""},
	{"https://www.instagram.com/p/ABC.D/", Link{}, "", ""},
	{"https://www.instagram.com/p/" + strings.Repeat("A", 65) + "/", Link{}, "", ""},
	{"https://www.instagram.com/" + strings.Repeat("u", 31) + "/p/ABC/", Link{}, "", ""},
	{"https://www.instagram.com/stories/u/" + strings.Repeat("1", 26) + "/", Link{}, "", ""},
	{"https://www.instagram.com/share/a/b/c/", Link{}, "", ""},
	{"https://www.instagram.com/P/ABC/", Link{}, "", ""},
	{"https://instagram.com.evil.net/p/ABC/", Link{}, "", ""},
	{"https://evilinstagram.com/p/ABC/", Link{}, "", ""},
	{"https://instagram.com@evil.net/p/ABC/", Link{}, "", ""},
	{"https://user:pass@www.instagram.com/p/ABC/", Link{}, "", ""},
	{"https://www.instagram.com:8443/p/ABC/", Link{}, "", ""},
	{"http://www.instagram.com:443/p/ABC/", Link{}, "", ""},
	{"https://www.instagram.com./p/ABC/", Link{}, "", ""},
	{"https://in\u017ftagram.com/p/ABC/", Link{}, "", ""},
	{"https://www.instagram.com\\@evil.net/p/ABC/", Link{}, "", ""},
	{"javascript:alert('https://www.instagram.com/p/ABC/')", Link{}, "", ""},
	{"ftp://www.instagram.com/p/ABC/", Link{}, "", ""},
	{"//www.instagram.com/p/ABC/", Link{}, "", ""},
	{"https://www.instagram.com/p/ABC/" + strings.Repeat("?", maxCandidateLen), Link{}, "", ""},
}

func TestParseLink(t *testing.T) {
	for _, tt := range parseLinkTests {
		got, ok := ParseLink(tt.raw)
		if ok != (tt.want.Kind != 0) || got != tt.want {
			t.Errorf("ParseLink(%q) = %+v, %v; want %+v", tt.raw, got, ok, tt.want)
			continue
		}
		if got.URL() != tt.url || got.Key() != tt.key {
			t.Errorf("ParseLink(%q): URL() = %q, Key() = %q; want %q, %q", tt.raw, got.URL(), got.Key(), tt.url, tt.key)
		}
	}
}

var findLinksTests = []struct {
	name string
	body string
	html string
	want []string // keys
}{
	{"plain", "look https://www.instagram.com/p/ABC/ wow", "", []string{"post:ABC"}},
	{"scheme-less", "look instagram.com/reel/ABC and www.instagram.com/p/DEF.", "", []string{"post:ABC", "post:DEF"}},
	{"punctuation", `(https://www.instagram.com/p/A/), "https://instagram.com/p/B", 'https://instagram.com/p/C/'! https://instagram.com/p/D? https://instagram.com/p/E/.`, "",
		[]string{"post:A", "post:B", "post:C", "post:D", "post:E"}},
	{"markdown link", "[my reel](https://www.instagram.com/reel/ABC/?igsh=x) and **instagram.com/p/DEF**", "", []string{"post:ABC", "post:DEF"}},
	{"glued text", "see:https://www.instagram.com/p/ABC/…", "", []string{"post:ABC"}},
	{"one per line", "https://www.instagram.com/p/A/\nhttps://www.instagram.com/stories/u/1/\r\nhttps://www.instagram.com/share/B/", "", []string{"post:A", "story:u/1", "share:B"}},
	{"dedup", "https://www.instagram.com/p/ABC/ http://instagr.am/reel/ABC?igsh=1 INSTAGRAM.COM/someone/tv/ABC/", "", []string{"post:ABC"}},
	{"profile", "https://www.instagram.com/someuser/", "", nil},
	{"explore", "https://www.instagram.com/explore/", "", nil},
	{"audio", "https://www.instagram.com/reels/audio/123/", "", nil},
	{"story without id", "https://www.instagram.com/stories/someuser/", "", nil},
	{"highlights", "https://www.instagram.com/stories/highlights/123/", "", nil},
	{"lookalike host", "https://instagram.com.evil.net/p/ABC/ evilinstagram.com/p/ABC", "", nil},
	{"userinfo", "https://instagram.com@evil.net/p/ABC/", "", nil},
	{"port", "https://www.instagram.com:8080/p/ABC/", "", nil},
	{"angle brackets", "no preview <https://www.instagram.com/p/ABC/> please", "", nil},
	{"angle brackets win", "<https://www.instagram.com/p/ABC/> https://www.instagram.com/p/ABC/ https://www.instagram.com/p/DEF/", "", []string{"post:DEF"}},
	{"unclosed angle bracket", "<https://www.instagram.com/p/ABC/", "", []string{"post:ABC"}},
	{"code span", "try `https://www.instagram.com/p/ABC/` or ``x https://www.instagram.com/p/DEF/ ` ``", "", nil},
	{"code span over lines", "`a\nhttps://www.instagram.com/p/ABC/ b`", "", nil},
	{"unmatched backtick", "it`s https://www.instagram.com/p/ABC/", "", []string{"post:ABC"}},
	{"code span ends at paragraph", "`a\n\nhttps://www.instagram.com/p/ABC/ b`", "", []string{"post:ABC"}},
	{"fenced code", "```\nhttps://www.instagram.com/p/ABC/\n```\nhttps://www.instagram.com/p/DEF/", "", []string{"post:DEF"}},
	{"tilde fence", "~~~~ text\nhttps://www.instagram.com/p/ABC/\n~~~\n~~~~\nhttps://www.instagram.com/p/DEF/", "", []string{"post:DEF"}},
	{"unclosed fence", "```go\nhttps://www.instagram.com/p/ABC/", "", nil},
	{"inline triple backticks", "```https://www.instagram.com/p/ABC/``` https://www.instagram.com/p/DEF/", "", []string{"post:DEF"}},
	{"reply fallback", "> <@alice:example.org> https://www.instagram.com/p/ABC/\n> more\n\nnice", "", nil},
	{"quote line", "hi\n  > https://www.instagram.com/p/ABC/\nhttps://www.instagram.com/p/DEF/", "", []string{"post:DEF"}},
	{"reply fallback with link", "> <@alice:example.org> https://www.instagram.com/p/ABC/\n\nhttps://www.instagram.com/p/DEF/", "", []string{"post:DEF"}},
	{"html href", "my reel", `<a href="https://www.instagram.com/reel/ABC/?igsh=x&amp;utm_source=y">my reel</a>`, []string{"post:ABC"}},
	{"html text", "", `<p>look https://www.instagram.com/p/ABC/</p>`, []string{"post:ABC"}},
	{"html blockquote", "", `<blockquote>https://www.instagram.com/p/ABC/</blockquote>`, []string{"post:ABC"}},
	{"html javascript href", "", `<a href="javascript:alert('https://www.instagram.com/p/ABC/')">x</a>`, nil},
	{"mx-reply", "> <@alice:example.org> https://www.instagram.com/p/ABC/\n\nnice",
		`<mx-reply><blockquote><a href="https://matrix.to/#/!r">In reply to</a> <a href="https://www.instagram.com/p/ABC/">https://www.instagram.com/p/ABC/</a></blockquote></mx-reply>nice`, nil},
	{"mx-reply then link", "> <@alice:example.org> https://www.instagram.com/p/ABC/\n\nhttps://www.instagram.com/p/DEF/",
		`<mx-reply><blockquote>https://www.instagram.com/p/ABC/</blockquote></mx-reply><a href="https://www.instagram.com/p/DEF/">https://www.instagram.com/p/DEF/</a>`, []string{"post:DEF"}},
	{"html code", "https://www.instagram.com/p/ABC/", `<code>https://www.instagram.com/p/ABC/</code>`, nil},
	{"html pre", "", `<pre><code class="language-text"><a href="https://www.instagram.com/p/ABC/">x</a></code></pre>`, nil},
	{"html escaped brackets", "", `&lt;https://www.instagram.com/p/ABC/&gt;`, nil},
	{"html bracketed anchor", "", `&lt;<a href="https://www.instagram.com/p/ABC/">https://www.instagram.com/p/ABC/</a>&gt; <a href="https://www.instagram.com/p/DEF/">x</a>&gt;`, []string{"post:DEF"}},
	{"autolink opt-out in body only", "<https://www.instagram.com/p/ABC/>", `<a href="https://www.instagram.com/p/ABC/">https://www.instagram.com/p/ABC/</a>`, nil},
	{"html first then body", "https://www.instagram.com/p/B/ https://www.instagram.com/p/A/", `<a href="https://www.instagram.com/p/A/">a</a>`, []string{"post:A", "post:B"}},
	{"malformed html", "", `<a href="https://www.instagram.com/p/ABC/"<code>`, []string{"post:ABC"}},
}

func TestFindLinks(t *testing.T) {
	for _, tt := range findLinksTests {
		t.Run(tt.name, func(t *testing.T) {
			var keys []string
			for _, l := range FindLinks(tt.body, tt.html) {
				keys = append(keys, l.Key())
			}
			if !slices.Equal(keys, tt.want) {
				t.Errorf("FindLinks(%q, %q) = %q; want %q", tt.body, tt.html, keys, tt.want)
			}
		})
	}
}

func TestFindLinksParseLinkTable(t *testing.T) {
	// Rejected as a whole, but running text around them contains a plain link.
	embedded := map[string]Link{
		"javascript:alert('https://www.instagram.com/p/ABC/')": postLink("p", "ABC"),
		"//www.instagram.com/p/ABC/":                           postLink("p", "ABC"),
	}
	for _, tt := range parseLinkTests {
		want := []Link{tt.want}
		if l, ok := embedded[tt.raw]; ok {
			want = []Link{l}
		} else if tt.want.Kind == 0 {
			want = nil
		}
		if got := FindLinks("x "+tt.raw+" y", ""); !slices.Equal(got, want) {
			t.Errorf("FindLinks(%q) = %+v; want %+v", tt.raw, got, want)
		}
	}
}

func manyLinksMessage(n int) (string, []string) {
	var sb strings.Builder
	keys := make([]string, n)
	for i := range n {
		keys[i] = fmt.Sprintf("post:C%06d", i)
		fmt.Fprintf(&sb, "Post number %d is at https://www.instagram.com/p/C%06d/?igsh=MTc4MmM1YmI2Ng%%3D%%3D&utm_source=x, go look; ", i, i)
		sb.WriteString(strings.Repeat("filler text ", 2))
		if i%10 == 0 {
			sb.WriteString("\n\n")
		}
	}
	return sb.String(), keys
}

func TestFindLinksMany(t *testing.T) {
	body, want := manyLinksMessage(500)
	start := time.Now()
	links := FindLinks(body, "")
	elapsed := time.Since(start)
	var keys []string
	for _, l := range links {
		keys = append(keys, l.Key())
	}
	if !slices.Equal(keys, want) {
		t.Fatalf("got %d links, want %d in order", len(keys), len(want))
	}
	t.Logf("%d links in %d bytes took %s", len(links), len(body), elapsed)
}

func BenchmarkFindLinks(b *testing.B) {
	body, _ := manyLinksMessage(500)
	for len(body) < 64<<10 {
		body += "more filler text without links. "
	}
	body = body[:64<<10]
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		FindLinks(body, "")
	}
}

func BenchmarkFindLinksHTML(b *testing.B) {
	var sb strings.Builder
	for i := 0; sb.Len() < 64<<10; i++ {
		fmt.Fprintf(&sb, `<p>Post <a href="https://www.instagram.com/p/C%06d/?igsh=x&amp;utm_source=y">number %d</a> <code>x</code> filler</p>`, i, i)
	}
	formatted := sb.String()
	b.SetBytes(int64(len(formatted)))
	for b.Loop() {
		FindLinks("", formatted)
	}
}
