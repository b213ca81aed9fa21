package connector

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"maunium.net/go/mautrix/id"
)

// TestParseSettingArgs: each setting takes its values in any case and "default"; anything else
// is refused with one line that says what the setting takes.
func TestParseSettingArgs(t *testing.T) {
	cfg := loadExampleConfig(t) // max_items 10
	for _, tc := range []struct {
		args        string
		name, value string
		err         string
	}{
		{args: "captions off", name: "captions", value: "off"},
		{args: "CAPTIONS On", name: "captions", value: "on"},
		{args: "mode media", name: "mode", value: "media"},
		{args: "mode full", name: "mode", value: "full"},
		{args: "max-items 1", name: "max-items", value: "1"},
		{args: "max-items 10", name: "max-items", value: "10"},
		{args: "auto off", name: "auto", value: "off"},
		{args: "auto default", name: "auto", value: ""},
		{args: "max-items Default", name: "max-items", value: ""},
		{args: "captions maybe", err: "`captions` is `on` or `off` (or `default`)"},
		{args: "mode text", err: "`mode` is `full` or `media` (or `default`)"},
		{args: "max-items 0", err: "`max-items` is a number from 1 to 10 (or `default`)"},
		{args: "max-items 11", err: "`max-items` is a number from 1 to 10 (or `default`)"},
		{args: "max-items three", err: "`max-items` is a number from 1 to 10"},
		{args: "volume 11", err: "there is no setting `volume`; the settings are `auto`, `captions`, `mode`, `max-items`"},
		{args: "captions", err: "usage: `set <setting> <value>`"},
		{args: "captions on off", err: "usage: `set <setting> <value>`"},
	} {
		setting, value, err := parseSettingArgs(strings.Fields(tc.args), cfg)
		switch {
		case tc.err != "":
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%q: error %v, want one line starting %q", tc.args, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case setting.name != tc.name || value != tc.value:
			t.Errorf("%q: got %s=%q, want %s=%q", tc.args, setting.name, value, tc.name, tc.value)
		}
	}
}

// TestOptionsFor: unset settings take the config's defaults, set ones override them, and a
// max-items above a lowered max_items falls back to the new maximum.
func TestOptionsFor(t *testing.T) {
	cfg := loadExampleConfig(t)
	if got, want := cfg.optionsFor(nil), (roomOptions{Auto: true, Captions: true, MaxItems: 10}); got != want {
		t.Fatalf("defaults: %+v, want %+v", got, want)
	}
	cfg.RoomDefaults = RoomDefaults{Auto: false, Captions: false, Mode: modeMedia}
	if got, want := cfg.optionsFor(nil), (roomOptions{MediaOnly: true, MaxItems: 10}); got != want {
		t.Fatalf("configured defaults: %+v, want %+v", got, want)
	}
	stored := map[string]string{"auto": "on", "captions": "on", "mode": "full", "max-items": "3"}
	if got, want := cfg.optionsFor(stored), (roomOptions{Auto: true, Captions: true, MaxItems: 3}); got != want {
		t.Fatalf("room settings: %+v, want %+v", got, want)
	}
	cfg.MaxItems = 2
	if got := cfg.optionsFor(stored).MaxItems; got != 2 {
		t.Fatalf("max-items 3 with max_items 2 gives %d", got)
	}
	if value, isDefault := cfg.effectiveValue(&roomSettings[3], stored); value != "2" || !isDefault {
		t.Fatalf("max-items 3 with max_items 2 shows %q (default %v)", value, isDefault)
	}
}

// TestRoomStoreSettings: settings are saved, seen at once through the cache, reset by "", and
// go with the room when it is no longer watched.
func TestRoomStoreSettings(t *testing.T) {
	ctx := context.Background()
	rs := newTestRoomStore(t)
	roomID := id.RoomID("!settings:localhost")
	if err := rs.Watch(ctx, roomID, "@alice:localhost"); err != nil {
		t.Fatal(err)
	}
	check := func(want map[string]string) {
		t.Helper()
		room, err := rs.Get(ctx, roomID)
		if err != nil || room == nil || !reflect.DeepEqual(room.Settings, want) {
			t.Fatalf("settings %+v (%v), want %v", room, err, want)
		}
	}
	check(map[string]string{})
	for _, kv := range [][2]string{{"captions", "off"}, {"max-items", "3"}, {"captions", "on"}} {
		if err := rs.SetSetting(ctx, roomID, kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	check(map[string]string{"captions": "on", "max-items": "3"})
	if err := rs.SetSetting(ctx, roomID, "captions", ""); err != nil {
		t.Fatal(err)
	}
	check(map[string]string{"max-items": "3"})
	if err := rs.Unwatch(ctx, roomID); err != nil {
		t.Fatal(err)
	}
	if err := rs.Watch(ctx, roomID, "@alice:localhost"); err != nil {
		t.Fatal(err)
	}
	check(map[string]string{})
}
