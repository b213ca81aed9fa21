package connector

import (
	"strings"
	"testing"

	"maunium.net/go/mautrix/event"

	"github.com/igbridge/igbridge/pkg/media"
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
