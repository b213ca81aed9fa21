package media

import (
	"errors"
	"testing"
	"time"
)

func TestPlanEncode(t *testing.T) {
	p, err := planEncode(1_200_000, 1080, 1920)
	if err != nil {
		t.Fatal(err)
	}
	// 1.2 Mbit/s: 64k audio, the rest video, at most 720 lines; width scaled to even.
	if p.audioBitrate != 64_000 || p.videoBitrate != 1_136_000 || p.height != 720 || p.width != 406 {
		t.Fatalf("plan = %+v", p)
	}
	p, _ = planEncode(120_000, 320, 240)
	if p.audioBitrate != 32_000 || p.height != 240 || p.width != 320 {
		t.Fatalf("plan = %+v, want 32k audio and the source's 320x240 (never scaled up)", p)
	}
	if _, err := planEncode(60_000, 320, 240); !errors.Is(err, ErrCannotFit) {
		t.Fatalf("60 kbit/s: err = %v, want ErrCannotFit", err)
	}
}

func TestCheckFit(t *testing.T) {
	if err := CheckFit(20<<20, 10*time.Minute); err != nil {
		t.Fatalf("20 MiB for 10 minutes (about 250 kbit/s): %v", err)
	}
	if err := CheckFit(1<<20, 10*time.Minute); !errors.Is(err, ErrCannotFit) {
		t.Fatalf("1 MiB for 10 minutes: err = %v, want ErrCannotFit", err)
	}
	if err := CheckFit(1<<20, 0); !errors.Is(err, ErrCannotFit) {
		t.Fatalf("unknown duration: err = %v, want ErrCannotFit", err)
	}
}
