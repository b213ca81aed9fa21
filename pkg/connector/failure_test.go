package connector

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/igbridge/igbridge/pkg/media"
	"github.com/igbridge/igbridge/pkg/queue"
)

// allFailureClasses lists every class the connector can record; each needs a row in the table.
var allFailureClasses = []failureClass{
	failureClass(media.ClassPrivate), failureClass(media.ClassLoginRequired), failureClass(media.ClassNotFound),
	failureClass(media.ClassRateLimited), failureClass(media.ClassNoMedia), failureClass(media.ClassExtractorBroken),
	failureClass(media.ClassCookiesInvalid), failureClass(media.ClassTimeout), failureClass(media.ClassNetwork),
	failureClass(media.ClassTooLarge), failureClass(media.ClassUnavailable), failureClass(media.ClassBadOutput),
	classShareUnresolved, classHostNotAllowed, classInvalidLink, classMatrix, classInternal,
}

func TestFailureTableIsComplete(t *testing.T) {
	if len(failures) != len(allFailureClasses) {
		t.Errorf("the table has %d rows for %d classes", len(failures), len(allFailureClasses))
	}
	seen := make(map[string]failureClass)
	for _, class := range allFailureClasses {
		p, ok := failures[class]
		if !ok {
			t.Errorf("%s has no row", class)
			continue
		}
		if other, dup := seen[p.what]; dup {
			t.Errorf("%s and %s say the same: %q", class, other, p.what)
		}
		seen[p.what] = class
	}
}

// TestFailureLines checks every line a room can get: one short sentence, saying how often it
// was tried when it was retried, and the same failure whether fresh or from the cache.
func TestFailureLines(t *testing.T) {
	now := time.Date(2026, 12, 7, 6, 10, 0, 0, time.UTC)
	for _, class := range allFailureClasses {
		p := failures[class]
		lines := []string{p.line(1, time.Time{}), p.line(4, now.Add(time.Minute)), p.cachedLine(now.Add(-3*time.Minute), now.Add(2*time.Minute), now)}
		for _, line := range lines {
			if strings.ContainsAny(line, "\r\n") || len(line) > 160 || !strings.HasSuffix(line, ".") || !strings.HasPrefix(line, p.what) {
				t.Errorf("%s: %q is not one short sentence starting with %q", class, line, p.what)
			}
		}
		if !strings.Contains(lines[1], "(tried 4 times)") {
			t.Errorf("%s: %q does not say it was tried 4 times", class, lines[1])
		}
		if want := " (checked 3 min ago); post it again after 06:12 UTC to check again."; lines[2] != p.what+want {
			t.Errorf("%s: cached line %q, want %q", class, lines[2], p.what+want)
		}
	}
	for class, want := range map[failureClass]string{
		failureClass(media.ClassLoginRequired): "Instagram asks for a login for this post; the bridge can only fetch public posts.",
		failureClass(media.ClassNetwork):       "The bridge could not reach Instagram; try again in a few minutes.",
		classShareUnresolved:                   "This share link does not lead to a public post; try the post's own link.",
	} {
		if got := failures[class].line(1, time.Time{}); got != want {
			t.Errorf("%s: %q, want %q", class, got, want)
		}
	}
	limited := failures[failureClass(media.ClassRateLimited)]
	if got, want := limited.line(2, now.Add(90*time.Second)), "Instagram is limiting the bridge (tried 2 times); it waits until 06:11 UTC, post the link again after that."; got != want {
		t.Errorf("rate limited during a cool-down: %q, want %q", got, want)
	}
	if got, want := limited.line(1, time.Time{}), "Instagram is limiting the bridge; post the link again in a few minutes."; got != want {
		t.Errorf("rate limited after the cool-down: %q, want %q", got, want)
	}
	if got, want := failures[classShareUnresolved].cachedLine(now.Add(-30*time.Second), now.Add(time.Hour), now),
		"This share link does not lead to a public post (checked less than a minute ago); post it again after 07:10 UTC to check again."; got != want {
		t.Errorf("cached share failure: %q, want %q", got, want)
	}
}

// TestFailurePolicies pins the decisions the table makes beyond the wording.
func TestFailurePolicies(t *testing.T) {
	cfg := CacheConfig{FailureTTL: time.Hour, TransientFailureTTL: 5 * time.Minute}
	for _, class := range allFailureClasses {
		p := failures[class]
		if p.unreachable && !p.retryable {
			t.Errorf("%s says Instagram is unreachable but is not retried", class)
		}
		if p.retryable && p.cache == cacheLong {
			t.Errorf("%s may pass by itself but is remembered for %v", class, p.cache.ttl(cfg))
		}
		if strings.Contains(p.advice, "try again") && p.cache == cacheLong {
			t.Errorf("%s tells the user to try again but answers repeats from the cache for %v", class, p.cache.ttl(cfg))
		}
	}
	for class, want := range map[failureClass]struct {
		retryable, unreachable bool
		ttl                    time.Duration
		alert                  alertKind
	}{
		failureClass(media.ClassPrivate):         {ttl: time.Hour, alert: alertNone},
		failureClass(media.ClassRateLimited):     {retryable: true, unreachable: true, ttl: 5 * time.Minute},
		failureClass(media.ClassNetwork):         {retryable: true, unreachable: true, ttl: 5 * time.Minute},
		failureClass(media.ClassTimeout):         {retryable: true, unreachable: true, ttl: 5 * time.Minute},
		failureClass(media.ClassExtractorBroken): {ttl: time.Hour, alert: alertExtractor},
		failureClass(media.ClassCookiesInvalid):  {ttl: time.Hour, alert: alertCookies},
		classShareUnresolved:                     {ttl: time.Hour},
		classMatrix:                              {retryable: true},
		classInvalidLink:                         {},
		classInternal:                            {},
	} {
		p := failures[class]
		if p.retryable != want.retryable || p.unreachable != want.unreachable || p.cache.ttl(cfg) != want.ttl || p.alert != want.alert {
			t.Errorf("%s: retryable %v, unreachable %v, ttl %v, alert %v; want %+v",
				class, p.retryable, p.unreachable, p.cache.ttl(cfg), p.alert, want)
		}
	}
	if got := policyFor("from_a_newer_version"); got.what != failures[classInternal].what {
		t.Errorf("an unknown class is answered with %q", got.what)
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want failureClass
	}{
		{fmt.Errorf("%w: share/reel/X returned status 404", media.ErrShareUnresolved), classShareUnresolved},
		{fmt.Errorf("failed to prepare item 1: %w: evil.example", media.ErrHostNotAllowed), classHostNotAllowed},
		{fmt.Errorf("%w: https://example.org/", media.ErrInvalidLink), classInvalidLink},
		{&media.FetchError{Class: media.ClassPrivate}, failureClass(media.ClassPrivate)},
		{fmt.Errorf("failed to prepare item 2: %w", &media.TooLargeError{Size: 1, Limit: 0}), failureClass(media.ClassTooLarge)},
		{&matrixError{errors.New("M_UNKNOWN")}, classMatrix},
		{errors.New("failed to check if the room is encrypted"), classInternal},
	} {
		if got := classify(tc.err); got != tc.want {
			t.Errorf("classify(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

func TestTroubleReason(t *testing.T) {
	down := queue.LinkOutcome{Failed: true, ErrorClass: string(media.ClassNetwork)}
	limited := queue.LinkOutcome{Failed: true, ErrorClass: string(media.ClassRateLimited)}
	private := queue.LinkOutcome{Failed: true, ErrorClass: string(media.ClassPrivate)}
	ok := queue.LinkOutcome{}
	for _, tc := range []struct {
		name  string
		links []queue.LinkOutcome // newest first
		want  string
	}{
		{"no links", nil, ""},
		{"3 of 3 unreachable", []queue.LinkOutcome{down, limited, down},
			"Instagram could not be reached or refused the bridge for 3 of the last 3 links (network, rate_limited)"},
		{"only 2", []queue.LinkOutcome{down, down}, ""},
		{"newest answered", []queue.LinkOutcome{ok, down, down, down}, ""},
		{"newest private", []queue.LinkOutcome{private, down, down, down}, ""},
		{"not most", []queue.LinkOutcome{down, down, down, ok, ok, ok}, ""},
		{"most of 5", []queue.LinkOutcome{down, private, down, down, ok},
			"Instagram could not be reached or refused the bridge for 3 of the last 5 links (network)"},
	} {
		if got := troubleReason(tc.links); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
