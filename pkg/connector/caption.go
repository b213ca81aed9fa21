package connector

import (
	"fmt"
	"html"
	"strings"
	"unicode/utf8"

	"github.com/igbridge/igbridge/pkg/media"
)

// caption is the text that goes with one item of a post: who posted it, the post text (on the
// first item only, so a carousel does not repeat it) and the link. Clients that show only the
// body still get all of it, so it is complete in both body and formatted_body.
func caption(post *media.Post, index, maxLen int) (plain, formatted string) {
	var p, f strings.Builder
	who := post.Username
	if post.FullName != "" {
		who = post.FullName
	}
	fmt.Fprintf(&p, "%s (@%s)", who, post.Username)
	fmt.Fprintf(&f, "<b>%s</b> (<a href=\"https://www.instagram.com/%s/\">@%s</a>)",
		html.EscapeString(who), html.EscapeString(post.Username), html.EscapeString(post.Username))
	if post.TotalItems > 1 {
		fmt.Fprintf(&p, " · %d/%d", index+1, post.TotalItems)
		fmt.Fprintf(&f, " · %d/%d", index+1, post.TotalItems)
	}
	if text := cutText(strings.TrimSpace(post.Caption), maxLen); index == 0 && text != "" {
		p.WriteString("\n" + text)
		f.WriteString("<br>" + strings.ReplaceAll(html.EscapeString(text), "\n", "<br>"))
	}
	linkPlain, linkFormatted := linkLine(post)
	p.WriteString("\n" + linkPlain)
	f.WriteString("<br>" + linkFormatted)
	return p.String(), f.String()
}

// linkLine is the post's link, as text and as HTML.
func linkLine(post *media.Post) (plain, formatted string) {
	link := post.Link.URL()
	return link, fmt.Sprintf("<a href=\"%s\">%s</a>", html.EscapeString(link), html.EscapeString(link))
}

// cutText shortens text to at most maxLen characters, marking the cut with an ellipsis.
func cutText(text string, maxLen int) string {
	if utf8.RuneCountInString(text) <= maxLen {
		return text
	}
	if maxLen == 0 {
		return ""
	}
	runes := []rune(text)
	return strings.TrimSpace(string(runes[:maxLen-1])) + "…"
}
