package connector

import (
	"encoding/json"
	"testing"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// messageEvent parses a message event's content as it comes from the homeserver.
func messageEvent(t *testing.T, eventID id.EventID, content string) *event.Event {
	t.Helper()
	evt := &event.Event{ID: eventID, Type: event.EventMessage, Content: event.Content{VeryRaw: json.RawMessage(content)}}
	if err := evt.Content.ParseRaw(evt.Type); err != nil {
		t.Fatalf("failed to parse %s: %v", content, err)
	}
	return evt
}

func TestReadLinkMessage(t *testing.T) {
	const link = "https://www.instagram.com/p/Abc123/"
	tests := []struct {
		name           string
		content        string
		notices        bool
		want           bool
		wantBody       string
		wantAnswerTo   id.EventID
		wantThreadRoot id.EventID
		wantEdit       bool
	}{
		{
			name:         "text",
			content:      `{"msgtype":"m.text","body":"look ` + link + `"}`,
			want:         true,
			wantBody:     "look " + link,
			wantAnswerTo: "$msg",
		},
		{
			name:         "emote",
			content:      `{"msgtype":"m.emote","body":"shares ` + link + `"}`,
			want:         true,
			wantBody:     "shares " + link,
			wantAnswerTo: "$msg",
		},
		{
			name: "in a thread",
			content: `{"msgtype":"m.text","body":"` + link + `","m.relates_to":{"rel_type":"m.thread",` +
				`"event_id":"$root","is_falling_back":true,"m.in_reply_to":{"event_id":"$before"}}}`,
			want:           true,
			wantBody:       link,
			wantAnswerTo:   "$msg",
			wantThreadRoot: "$root",
		},
		{
			name:         "reply outside a thread",
			content:      `{"msgtype":"m.text","body":"` + link + `","m.relates_to":{"m.in_reply_to":{"event_id":"$other"}}}`,
			want:         true,
			wantBody:     link,
			wantAnswerTo: "$msg",
		},
		{
			name: "edit answers the original with the new text",
			content: `{"msgtype":"m.text","body":"* now ` + link + `",` +
				`"m.new_content":{"msgtype":"m.text","body":"now ` + link + `"},` +
				`"m.relates_to":{"rel_type":"m.replace","event_id":"$orig"}}`,
			want:         true,
			wantBody:     "now " + link,
			wantAnswerTo: "$orig",
			wantEdit:     true,
		},
		{
			name:    "edit without new content",
			content: `{"msgtype":"m.text","body":"* ` + link + `","m.relates_to":{"rel_type":"m.replace","event_id":"$orig"}}`,
		},
		{
			name: "edit into a command",
			content: `{"msgtype":"m.text","body":"* !ig get ` + link + `",` +
				`"m.new_content":{"msgtype":"m.text","body":"!ig get ` + link + `"},` +
				`"m.relates_to":{"rel_type":"m.replace","event_id":"$orig"}}`,
		},
		{
			name: "edit into a notice",
			content: `{"msgtype":"m.text","body":"* ` + link + `",` +
				`"m.new_content":{"msgtype":"m.notice","body":"` + link + `"},` +
				`"m.relates_to":{"rel_type":"m.replace","event_id":"$orig"}}`,
		},
		{
			name:    "notice ignored by default",
			content: `{"msgtype":"m.notice","body":"` + link + `"}`,
		},
		{
			name:         "notice with respond_to_notices",
			content:      `{"msgtype":"m.notice","body":"` + link + `"}`,
			notices:      true,
			want:         true,
			wantBody:     link,
			wantAnswerTo: "$msg",
		},
		{
			name:    "image",
			content: `{"msgtype":"m.image","body":"` + link + `","url":"mxc://x/y"}`,
			notices: true,
		},
		{
			name:    "file",
			content: `{"msgtype":"m.file","body":"` + link + `","url":"mxc://x/y"}`,
		},
		{
			name:    "command",
			content: `{"msgtype":"m.text","body":"!ig get ` + link + `"}`,
		},
		{
			name:    "command notice",
			content: `{"msgtype":"m.notice","body":"!ig cache purge ` + link + `"}`,
			notices: true,
		},
		{
			name:         "prefix not at the start",
			content:      `{"msgtype":"m.text","body":"try !ig get ` + link + `"}`,
			want:         true,
			wantBody:     "try !ig get " + link,
			wantAnswerTo: "$msg",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, ok := readLinkMessage(messageEvent(t, "$msg", tt.content), tt.notices, "!ig")
			if ok != tt.want {
				t.Fatalf("read as a link message: %v, want %v", ok, tt.want)
			} else if !ok {
				return
			}
			if msg.content.Body != tt.wantBody {
				t.Errorf("body = %q, want %q", msg.content.Body, tt.wantBody)
			}
			if msg.answerTo != tt.wantAnswerTo || msg.threadRoot != tt.wantThreadRoot || msg.edit != tt.wantEdit {
				t.Errorf("answer to %q in thread %q (edit %v), want %q in thread %q (edit %v)",
					msg.answerTo, msg.threadRoot, msg.edit, tt.wantAnswerTo, tt.wantThreadRoot, tt.wantEdit)
			}
		})
	}
}
