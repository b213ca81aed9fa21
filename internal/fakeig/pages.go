package fakeig

import (
	"encoding/json"
	"fmt"
	"html"
)

// lsdToken is what the home page hands out; yt-dlp only needs one to exist.
const lsdToken = "AVqFakeigLsdToken"

// homePage carries the LSD token where yt-dlp's _real_initialize looks: the
// __eqmc JSON ("l") and, as a fallback, the ["LSD",[],{"token":…}] define.
func homePage() string {
	return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Instagram</title>` + "\n" +
		`<script type="application/json" id="__eqmc">{"u":"\/","e":"fakeig","s":"fakeig:0:0","l":"` + lsdToken + `","f":"fakeig"}</script>` + "\n" +
		`<script type="application/json" data-sjs>{"require":[["ScheduledServerJS","handle",null,[{"__bbox":{"define":[["LSD",[],{"token":"` + lsdToken + `"},323]]}}]]]}</script>` + "\n" +
		`</head><body><div id="root"></div></body></html>`
}

func loginPage() string {
	return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Login • Instagram</title></head>` +
		`<body><form id="loginForm"><input name="username"><input name="password" type="password"></form></body></html>`
}

func notFoundPage() string {
	return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Page not found • Instagram</title></head>` +
		`<body><h2>Sorry, this page isn't available.</h2></body></html>`
}

// postPage embeds the media the way yt-dlp's logged-out fallback reads it: a
// one-line <script … data-sjs> whose JSON nests the media under
// require[…][…][…].__bbox.require[RelayPrefetchedStreamCache…][…].__bbox.result.data.xig_polaris_media.
// A nil media gives the page of an "empty media response".
func postPage(title string, pk string, media *igMedia) (string, error) {
	head := `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>` + html.EscapeString(title) + `</title>` + "\n" +
		// An unrelated data-sjs script first, as on the real page.
		`<script type="application/json" data-content-len="95" data-sjs>{"require":[["ScheduledServerJS","handle",null,[{"__bbox":{"define":[["PolarisConfig",[],{"fake":true},1]]}}]]]}</script>` + "\n"
	tail := `</head><body><div id="root"></div></body></html>`
	if media == nil {
		return head + tail, nil
	}
	payload := map[string]any{"xig_polaris_media": map[string]any{"if_not_gated_logged_out": media}}
	doc := map[string]any{"require": []any{
		[]any{"ScheduledServerJS", "handle", nil, []any{
			map[string]any{"__bbox": map[string]any{"require": []any{
				[]any{"RelayPrefetchedStreamCache", "next", []any{}, []any{
					"adp_PolarisPostRootQueryRelayPreloader_" + pk,
					map[string]any{"__bbox": map[string]any{"complete": true, "result": map[string]any{"data": payload}}},
				}},
			}}},
		}},
	}}
	// json.Marshal escapes <, > and &, so the JSON cannot end the script early,
	// and it never emits raw newlines, which the extractor's regex needs.
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("failed to encode post page JSON: %w", err)
	}
	return head + `<script type="application/json" data-content-len="` + fmt.Sprint(len(b)) + `" data-sjs>` + string(b) + "</script>\n" + tail, nil
}

// storyPage contains the owner as the first `"user":{…}` object, which is all
// yt-dlp's story extractor takes from it.
func storyPage(f *Fixture) (string, error) {
	b, err := json.Marshal(map[string]any{"props": map[string]any{
		"user": igUser{PK: f.UserPK, ID: f.UserPK, Username: f.Username, FullName: f.FullName},
	}})
	if err != nil {
		return "", fmt.Errorf("failed to encode story page JSON: %w", err)
	}
	return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Stories • Instagram</title>` + "\n" +
		`<script type="application/json" data-sjs>` + string(b) + "</script>\n" +
		`</head><body><div id="root"></div></body></html>`, nil
}

// rateLimitPage is what Instagram answers with a 429.
const rateLimitPage = `<!DOCTYPE html><html><body>Please wait a few minutes before you try again.</body></html>`
