package media

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/igbridge/igbridge/internal/fakeclock"
	"github.com/igbridge/igbridge/internal/fakeig"
	"github.com/igbridge/igbridge/pkg/pacing"
)

// TestReportToPacer checks which answers start the bridge-wide cool-down.
func TestReportToPacer(t *testing.T) {
	newPacer := func() *pacing.Pacer {
		return pacing.New(pacing.Config{CooldownInitial: time.Hour, CooldownMax: time.Hour}, fakeclock.New())
	}
	share := shareLink("BAshare")
	wall := &FetchError{Class: ClassLoginRequired}

	p := newPacer()
	for range 5 {
		reportToPacer(p, fetchLink("A"), wall)
	}
	if !p.CooldownUntil().IsZero() {
		t.Fatal("repeated login walls on one post started the bridge-wide cool-down")
	}
	reportToPacer(p, share, &FetchError{Class: ClassNetwork})
	reportToPacer(p, fetchLink("B"), ErrNoMedia)
	if !p.CooldownUntil().IsZero() {
		t.Fatal("a 503 or a post without media started the cool-down")
	}
	reportToPacer(p, fetchLink("B"), wall)
	reportToPacer(p, fetchLink("C"), wall)
	if p.CooldownUntil().IsZero() {
		t.Fatal("login walls on 3 different posts did not start the cool-down")
	}

	p = newPacer()
	reportToPacer(p, share, &FetchError{Class: ClassRateLimited})
	if p.CooldownUntil().IsZero() {
		t.Fatal("a 429 resolving a share link did not start the cool-down")
	}
	// Without a pacer nothing is paced.
	reportToPacer(nil, share, &FetchError{Class: ClassRateLimited})
}

// TestExtractorsReportToPacer checks that both extractors wait for the pacer and tell it what
// Instagram answered: a 429 starts the cool-down, the next extraction waits it out, and a success
// makes the next cool-down the initial length again.
func TestExtractorsReportToPacer(t *testing.T) {
	t.Parallel()
	requireYtdlp(t)
	srv := fakeig.Start(t)
	extractors := map[string]func(t *testing.T, cfg YtdlpConfig) Extractor{
		"cli":         func(_ *testing.T, cfg YtdlpConfig) Extractor { return NewYtdlp(cfg) },
		"worker pool": func(t *testing.T, cfg YtdlpConfig) Extractor { return startPool(t, ExtractorConfig{Ytdlp: cfg}) },
	}
	for name, newExtractor := range extractors {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clock := fakeclock.New()
			pacer := pacing.New(pacing.Config{CooldownInitial: time.Minute, CooldownMax: time.Hour}, clock)
			cfg := fakeYtdlp(srv, "").cfg
			cfg.Pacer = pacer
			ex := newExtractor(t, cfg)
			// extract returns how long the extraction waited for the pacer, and its error.
			extract := func(code string) (time.Duration, error) {
				start := clock.Now()
				var err error
				clock.Drive(t, func() { _, err = ex.Extract(context.Background(), fetchLink(code)) })
				return clock.Now().Sub(start), err
			}
			cooldown := func() time.Duration { return pacer.CooldownUntil().Sub(clock.Now()) }

			if _, err := extract(fakeig.CodeRateLimited); !errors.Is(err, ErrRateLimited) {
				t.Fatalf("Extract = %v, want ErrRateLimited", err)
			}
			if got := cooldown(); got != time.Minute {
				t.Fatalf("a 429 started a cool-down of %v, want %v", got, time.Minute)
			}
			if waited, err := extract(fakeig.CodeRateLimited); !errors.Is(err, ErrRateLimited) || waited != time.Minute {
				t.Fatalf("Extract during the cool-down = %v after %v, want ErrRateLimited after %v", err, waited, time.Minute)
			}
			if got := cooldown(); got != 2*time.Minute {
				t.Fatalf("a second 429 started a cool-down of %v, want %v", got, 2*time.Minute)
			}
			if waited, err := extract(fakeig.CodeReel); err != nil || waited != 2*time.Minute {
				t.Fatalf("Extract during the cool-down = %v after %v, want success after %v", err, waited, 2*time.Minute)
			}
			if _, err := extract(fakeig.CodeRateLimited); !errors.Is(err, ErrRateLimited) {
				t.Fatalf("Extract = %v, want ErrRateLimited", err)
			}
			if got := cooldown(); got != time.Minute {
				t.Errorf("a 429 after a success started a cool-down of %v, want %v", got, time.Minute)
			}
		})
	}
}
