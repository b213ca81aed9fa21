package connector

import (
	"encoding/json"
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"

	"github.com/igbridge/igbridge/pkg/media"
	"github.com/igbridge/igbridge/pkg/queue"
)

func TestItemMessageReduced(t *testing.T) {
	link, _ := media.ParseLink("https://www.instagram.com/reel/Video0001/")
	post := &media.Post{Link: link, Username: "instagram", Caption: "hello", TotalItems: 1}
	item := preparedItem{Content: &event.MessageEventContent{MsgType: event.MsgVideo, URL: "mxc://x/y"}, Reduced: true}
	msg := itemMessage(post, 0, item, roomOptions{Captions: true}, 1000)
	if !strings.HasPrefix(msg.Body, reducedNote+"\n") || !strings.Contains(msg.Body, "hello") {
		t.Fatalf("body = %q, want the reduced note before the caption", msg.Body)
	}
	if !strings.Contains(msg.FormattedBody, "<i>Reduced to fit") {
		t.Fatalf("formatted body = %q", msg.FormattedBody)
	}
	item.Reduced = false
	if msg := itemMessage(post, 0, item, roomOptions{Captions: true}, 1000); strings.Contains(msg.Body, reducedNote) {
		t.Fatalf("a video that was not re-encoded says it was: %q", msg.Body)
	}
}

// TestItemMessage: the room's options shape each part of an answer, and the cached content the
// message is built from is never changed (the next room may want another shape).
func TestItemMessage(t *testing.T) {
	link, _ := media.ParseLink("https://www.instagram.com/p/Carousel01/")
	post := &media.Post{Link: link, Username: "nasa", FullName: "NASA", Caption: "Saturn's rings", TotalItems: 2}
	image := preparedItem{Content: &event.MessageEventContent{MsgType: event.MsgImage, URL: "mxc://x/y", FileName: "Carousel01_1.jpg", Body: "cached"}}
	tooLarge := preparedItem{TooLarge: &media.TooLargeError{Size: 30 << 20, Limit: 20 << 20}}
	full := roomOptions{Captions: true}
	for _, tc := range []struct {
		name      string
		item      preparedItem
		index     int
		opts      roomOptions
		msgType   event.MessageType
		body      string
		formatted string
	}{
		{"first item with its caption", image, 0, full, event.MsgImage,
			"NASA (@nasa) · 1/2\nSaturn's rings\nhttps://www.instagram.com/p/Carousel01/",
			`<b>NASA</b> (<a href="https://www.instagram.com/nasa/">@nasa</a>) · 1/2<br>Saturn&#39;s rings<br><a href="https://www.instagram.com/p/Carousel01/">https://www.instagram.com/p/Carousel01/</a>`},
		{"later item without the text", image, 1, full, event.MsgImage,
			"NASA (@nasa) · 2/2\nhttps://www.instagram.com/p/Carousel01/", ""},
		{"captions off", image, 0, roomOptions{}, event.MsgImage,
			"NASA (@nasa) · 1/2\nhttps://www.instagram.com/p/Carousel01/", ""},
		{"media only", image, 0, roomOptions{Captions: true, MediaOnly: true}, event.MsgImage, "Carousel01_1.jpg", ""},
		{"too large: the account and the link, no text", tooLarge, 0, full, event.MsgText,
			"Too large to upload here: media is 30.0 MiB, the limit is 20.0 MiB.\nNASA (@nasa) · 1/2\nhttps://www.instagram.com/p/Carousel01/", ""},
		{"too large, media only", tooLarge, 0, roomOptions{MediaOnly: true}, event.MsgText,
			"Too large to upload here: media is 30.0 MiB, the limit is 20.0 MiB.\nhttps://www.instagram.com/p/Carousel01/", ""},
	} {
		msg := itemMessage(post, tc.index, tc.item, tc.opts, 1000)
		if msg.MsgType != tc.msgType || msg.Body != tc.body {
			t.Errorf("%s: %s %q, want %s %q", tc.name, msg.MsgType, msg.Body, tc.msgType, tc.body)
		}
		if tc.formatted != "" && msg.FormattedBody != tc.formatted {
			t.Errorf("%s: formatted %q, want %q", tc.name, msg.FormattedBody, tc.formatted)
		}
		if tc.item.Content != nil && msg.URL != tc.item.Content.URL {
			t.Errorf("%s: media %q, want the uploaded %q", tc.name, msg.URL, tc.item.Content.URL)
		}
	}
	if image.Content.Body != "cached" {
		t.Fatalf("itemMessage changed the cached content: body %q", image.Content.Body)
	}
}

// TestAsAnswer: every answer is a reply to the link's message, inside its thread when it was in
// one (a real reply in the thread: is_falling_back is left out, which means false), and mentions
// no one.
func TestAsAnswer(t *testing.T) {
	for _, tc := range []struct {
		name string
		job  queue.Job
		want string
	}{
		{"plain", queue.Job{EventID: "$link"},
			`{"m.mentions":{},"m.relates_to":{"m.in_reply_to":{"event_id":"$link"}}}`},
		{"in a thread", queue.Job{EventID: "$link", ThreadRoot: "$root"},
			`{"m.mentions":{},"m.relates_to":{"rel_type":"m.thread","event_id":"$root","m.in_reply_to":{"event_id":"$link"}}}`},
	} {
		content := asAnswer(&tc.job, &event.MessageEventContent{})
		raw, err := json.Marshal(map[string]any{"m.relates_to": content.RelatesTo, "m.mentions": content.Mentions})
		if err != nil {
			t.Fatal(err)
		}
		if string(raw) != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, raw, tc.want)
		}
	}
}
