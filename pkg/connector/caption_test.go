package connector

import (
	"strings"
	"testing"

	"github.com/igbridge/igbridge/pkg/media"
)

func TestCaption(t *testing.T) {
	link, _ := media.ParseLink("https://www.instagram.com/p/Abc123/")
	post := &media.Post{
		Link:       link,
		Username:   "tom.jerry",
		FullName:   `Tom & "Jerry"`,
		Caption:    "<script>alert(1)</script>\nline two",
		TotalItems: 1,
	}
	tests := []struct {
		name                  string
		post                  func() *media.Post
		index, maxLen         int
		wantPlain, wantFormat string
	}{
		{
			name:      "single post",
			post:      func() *media.Post { return post },
			maxLen:    100,
			wantPlain: "Tom & \"Jerry\" (@tom.jerry)\n<script>alert(1)</script>\nline two\nhttps://www.instagram.com/p/Abc123/",
			wantFormat: `<b>Tom &amp; &#34;Jerry&#34;</b> (<a href="https://www.instagram.com/tom.jerry/">@tom.jerry</a>)` +
				`<br>&lt;script&gt;alert(1)&lt;/script&gt;<br>line two` +
				`<br><a href="https://www.instagram.com/p/Abc123/">https://www.instagram.com/p/Abc123/</a>`,
		},
		{
			name: "no full name, cut text",
			post: func() *media.Post {
				p := *post
				p.FullName, p.Caption = "", "ééééé ééééé"
				return &p
			},
			maxLen:    4,
			wantPlain: "tom.jerry (@tom.jerry)\nééé…\nhttps://www.instagram.com/p/Abc123/",
		},
		{
			name: "second carousel item has no text",
			post: func() *media.Post {
				p := *post
				p.TotalItems = 3
				return &p
			},
			index:     1,
			maxLen:    100,
			wantPlain: "Tom & \"Jerry\" (@tom.jerry) · 2/3\nhttps://www.instagram.com/p/Abc123/",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plain, formatted := caption(tc.post(), tc.index, tc.maxLen)
			if plain != tc.wantPlain {
				t.Errorf("plain:\n%q\nwant\n%q", plain, tc.wantPlain)
			}
			if tc.wantFormat != "" && formatted != tc.wantFormat {
				t.Errorf("formatted:\n%q\nwant\n%q", formatted, tc.wantFormat)
			}
			if strings.Contains(formatted, "<script>") {
				t.Errorf("unescaped HTML in %q", formatted)
			}
		})
	}
}

func TestCutText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"a bit too long", 6, "a bit…"},
		{"anything", 0, ""},
		{"🎉🎉🎉", 2, "🎉…"},
	} {
		if got := cutText(tc.in, tc.max); got != tc.want {
			t.Errorf("cutText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
