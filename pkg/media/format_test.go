package media

import (
	"os"
	"testing"
)

// reelFormats are formats shaped like Instagram's: progressive files without sizes, a DASH video
// ladder and audio with approximate sizes.
func reelFormats() []Format {
	return []Format{
		{ID: "dash-a", URL: "https://x.cdninstagram.com/a", VCodec: "none", ACodec: "mp4a.40.2", Ext: "m4a", Size: 40_000, Approx: true},
		{ID: "p240", URL: "https://x.cdninstagram.com/p240", Width: 320, Height: 240, VCodec: "avc1.64001e", Ext: "mp4"},
		{ID: "p480", URL: "https://x.cdninstagram.com/p480", Width: 640, Height: 480, VCodec: "avc1.64001e", Ext: "mp4", Size: 900_000},
		{ID: "dash-480", URL: "https://x.cdninstagram.com/v480", Width: 640, Height: 480, VCodec: "avc1.64001e", ACodec: "none", Ext: "mp4", Size: 300_000, Approx: true},
		{ID: "dash-720", URL: "https://x.cdninstagram.com/v720", Width: 1280, Height: 720, VCodec: "avc1.64001f", ACodec: "none", Ext: "mp4", Size: 600_000, Approx: true},
	}
}

func choiceIDs(cs []Choice) []string {
	var out []string
	for _, c := range cs {
		id := c.Video.ID
		if c.Audio != nil {
			id += "+" + c.Audio.ID
		}
		out = append(out, id)
	}
	return out
}

func TestChoices(t *testing.T) {
	for _, tc := range []struct {
		name     string
		limit    int64
		canMerge bool
		want     []string
	}{
		{"no limit: resolution first, a single file before a pair of the same size", 0, true,
			[]string{"dash-720+dash-a", "p480", "dash-480+dash-a", "p240"}},
		{"known too large left out", 500_000, true, []string{"dash-480+dash-a", "p240"}},
		{"pair with merge overhead does not fit", 340_000 + 6_000, true, []string{"p240"}},
		{"pair with merge overhead fits", 340_000 + 6_800, true, []string{"dash-480+dash-a", "p240"}},
		{"without ffmpeg no pairs and no silent video", 0, false, []string{"p480", "p240"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := choiceIDs(Choices(reelFormats(), tc.limit, tc.canMerge))
			if len(got) != len(tc.want) {
				t.Fatalf("choices = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("choices = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestChoicesPreferH264(t *testing.T) {
	formats := []Format{
		{ID: "vp9", URL: "https://x.cdninstagram.com/1", Width: 640, Height: 480, VCodec: "vp09.00.30.08", Ext: "webm", Size: 500},
		{ID: "h264", URL: "https://x.cdninstagram.com/2", Width: 640, Height: 480, VCodec: "avc1.64001e", Ext: "mp4", Size: 400},
	}
	if got := choiceIDs(Choices(formats, 0, true)); got[0] != "h264" {
		t.Fatalf("choices = %v, want h264 first", got)
	}
}

func TestChoicesSilentVideo(t *testing.T) {
	// A video without any audio stream: its video-only format is a choice on its own.
	formats := []Format{{ID: "v", URL: "https://x.cdninstagram.com/v", Width: 320, Height: 240, VCodec: "avc1", ACodec: "none"}}
	if got := choiceIDs(Choices(formats, 0, false)); len(got) != 1 || got[0] != "v" {
		t.Fatalf("choices = %v, want [v]", got)
	}
}

func TestSmallestChoice(t *testing.T) {
	c, ok := SmallestChoice(reelFormats(), true)
	if !ok || c.Video.ID != "p240" {
		t.Fatalf("smallest = %+v, want p240 (fewest pixels; its size is unknown)", c)
	}
	sized := reelFormats()[2:] // p480 and the DASH video ladder, no audio: video-only are single files
	if c, _ := SmallestChoice(sized, true); c.Video.ID != "dash-480" {
		t.Fatalf("smallest = %+v, want dash-480", c)
	}
}

func TestParseInfoFormats(t *testing.T) {
	data, err := os.ReadFile("testdata/info/reel.json")
	if err != nil {
		t.Fatal(err)
	}
	post, err := ParseInfo(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	formats := post.Items[0].Formats
	if len(formats) != 3 {
		t.Fatalf("formats = %+v, want 3", formats)
	}
	byID := map[string]Format{}
	for _, f := range formats {
		byID[f.ID] = f
	}
	if f := byID["dash-111a"]; !f.audioOnly() || f.Size != 8448 || !f.Approx {
		t.Fatalf("audio format = %+v", f)
	}
	if f := byID["9001"]; f.Width != 320 || f.Height != 240 || f.Size != 0 || f.videoOnly() {
		t.Fatalf("progressive format = %+v", f)
	}
	if f := byID["dash-111v"]; !f.videoOnly() || f.Size != 25344 {
		t.Fatalf("dash video format = %+v", f)
	}
}
