package media

import (
	"strings"
	"testing"
)

func FuzzFindLinks(f *testing.F) {
	for _, tt := range parseLinkTests {
		f.Add(tt.raw, "")
		f.Add("", `<a href="`+tt.raw+`">`+tt.raw+`</a>`)
	}
	for _, tt := range findLinksTests {
		f.Add(tt.body, tt.html)
	}
	f.Fuzz(func(t *testing.T, body, formattedBody string) {
		seen := make(map[string]bool)
		for _, l := range FindLinks(body, formattedBody) {
			if !strings.HasPrefix(l.URL(), canonicalPrefix) {
				t.Errorf("URL %q of %+v is not canonical", l.URL(), l)
			}
			if again, ok := ParseLink(l.URL()); !ok || again != l {
				t.Errorf("%+v does not round-trip through %q: got %+v, %v", l, l.URL(), again, ok)
			}
			if seen[l.Key()] {
				t.Errorf("duplicate key %q", l.Key())
			}
			seen[l.Key()] = true
		}
	})
}
