package connector

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/igbridge/igbridge/pkg/media"
)

// failureClass is why a link could not be answered: one of the Instagram-side classes of
// pkg/media, or one that only the connector sees. It is stored with the job and in the failure
// cache.
//
// The table lives here rather than in pkg/media because most of what it decides belongs to the
// Matrix side: the line the room sees, the cache TTLs from the connector's config, the admin
// alerts, and the classes media knows nothing of (the homeserver, the bridge itself).
type failureClass string

// The connector's own classes; the others are failureClass(media.ClassX).
const (
	classShareUnresolved failureClass = "share_unresolved"
	classHostNotAllowed  failureClass = "host_not_allowed"
	classInvalidLink     failureClass = "invalid_link"
	// classMatrix is a failure on the Matrix side (upload, send), usually the homeserver being
	// away for a moment.
	classMatrix   failureClass = "matrix"
	classInternal failureClass = "internal"
)

// failureCache is how long a failure is remembered for the post, so that the next link to it is
// answered without asking Instagram.
type failureCache int

const (
	// cacheNone: the failure says nothing about the post.
	cacheNone failureCache = iota
	// cacheShort: it may pass by itself (cache.transient_failure_ttl).
	cacheShort
	// cacheLong: it is a fact about the post (cache.failure_ttl).
	cacheLong
)

func (fc failureCache) ttl(cfg CacheConfig) time.Duration {
	switch fc {
	case cacheShort:
		return cfg.TransientFailureTTL
	case cacheLong:
		return cfg.FailureTTL
	}
	return 0
}

// failurePolicy is what a failure class means for the job, the room, the cache and the admins.
type failurePolicy struct {
	// retryable: another attempt may succeed, so the queue tries again until its last attempt.
	retryable bool
	// what happened, as the start of the room's line (no full stop).
	what string
	// advice is what the user can do, the rest of the line; "" when what says it all.
	advice string
	// untilCooldown: while the pacer's cool-down is active, the advice is to wait for its end.
	untilCooldown bool
	cache         failureCache
	alert         alertKind
	// unreachable: the failure says Instagram could not be reached or refused the bridge,
	// not anything about the post (for status and health).
	unreachable bool
}

const (
	adviceLater  = "try again in a few minutes"
	advicePublic = "the bridge can only fetch public posts"
)

// failures is the one table of failure classes.
var failures = map[failureClass]failurePolicy{
	failureClass(media.ClassPrivate): {
		what: "This post is private", advice: advicePublic, cache: cacheLong,
	},
	failureClass(media.ClassLoginRequired): {
		what: "Instagram asks for a login for this post", advice: advicePublic, cache: cacheLong,
	},
	failureClass(media.ClassNotFound): {
		what: "This post does not exist or was removed", advice: "check the link", cache: cacheLong,
	},
	failureClass(media.ClassRateLimited): {
		retryable: true, what: "Instagram is limiting the bridge", advice: "post the link again in a few minutes",
		untilCooldown: true, cache: cacheShort, unreachable: true,
	},
	failureClass(media.ClassNoMedia): {
		what: "This post has no photo or video", cache: cacheLong,
	},
	failureClass(media.ClassExtractorBroken): {
		what: "The bridge cannot read Instagram's pages at the moment", advice: "its operator has been told",
		cache: cacheLong, alert: alertExtractor,
	},
	failureClass(media.ClassCookiesInvalid): {
		what: "The bridge's Instagram login has expired", advice: "its operator has been told",
		cache: cacheLong, alert: alertCookies,
	},
	failureClass(media.ClassTimeout): {
		retryable: true, what: "Instagram took too long to answer", advice: adviceLater,
		cache: cacheShort, unreachable: true,
	},
	failureClass(media.ClassNetwork): {
		retryable: true, what: "The bridge could not reach Instagram", advice: adviceLater,
		cache: cacheShort, unreachable: true,
	},
	failureClass(media.ClassTooLarge): {
		what: "The media of this post is too large to post here", advice: "open the link in Instagram", cache: cacheLong,
	},
	failureClass(media.ClassUnavailable): {
		what: "Instagram does not show this post to the bridge", advice: "open the link in Instagram", cache: cacheLong,
	},
	failureClass(media.ClassBadOutput): {
		what: "The bridge could not read Instagram's answer", advice: adviceLater, cache: cacheShort,
	},
	classShareUnresolved: {
		what: "This share link does not lead to a public post", advice: "try the post's own link", cache: cacheLong,
	},
	classHostNotAllowed: {
		what: "Instagram pointed to media outside its CDN, so it was not downloaded", cache: cacheLong,
	},
	classInvalidLink: {
		what: "This is not a link to an Instagram post", cache: cacheNone,
	},
	classMatrix: {
		retryable: true, what: "The homeserver did not take the answer", advice: adviceLater, cache: cacheNone,
	},
	classInternal: {
		what: "Something went wrong in the bridge", advice: "its operator can find the details in the log",
		cache: cacheNone,
	},
}

// policyFor returns the policy of a class; an unknown one (say, from a newer version's cache
// entry) is treated as internal.
func policyFor(class failureClass) failurePolicy {
	if p, ok := failures[class]; ok {
		return p
	}
	return failures[classInternal]
}

// classify returns the class of a failure to answer a link.
func classify(err error) failureClass {
	var sendErr *matrixError
	switch {
	case errors.Is(err, media.ErrShareUnresolved):
		return classShareUnresolved
	case errors.Is(err, media.ErrHostNotAllowed):
		return classHostNotAllowed
	case errors.Is(err, media.ErrInvalidLink):
		return classInvalidLink
	case media.ClassOf(err) != "":
		return failureClass(media.ClassOf(err))
	case errors.As(err, &sendErr):
		return classMatrix
	}
	return classInternal
}

// line is the one line the room sees for a failure after attempts tries. cooldownUntil is the end
// of the pacer's cool-down, zero when none is active.
func (p failurePolicy) line(attempts int, cooldownUntil time.Time) string {
	var b strings.Builder
	b.WriteString(p.what)
	if attempts > 1 {
		fmt.Fprintf(&b, " (tried %d times)", attempts)
	}
	switch {
	case p.untilCooldown && !cooldownUntil.IsZero():
		fmt.Fprintf(&b, "; it waits until %s, post the link again after that", clockTime(cooldownUntil))
	case p.advice != "":
		b.WriteString("; " + p.advice)
	}
	b.WriteString(".")
	return b.String()
}

// cachedLine is the line for a link answered from the failure cache: the same failure, when it
// was seen and when the bridge will ask Instagram again.
func (p failurePolicy) cachedLine(checkedAt, expiresAt, now time.Time) string {
	return fmt.Sprintf("%s (checked %s); post it again after %s to check again.",
		p.what, agoText(now.Sub(checkedAt)), clockTime(expiresAt))
}

// clockTime is a time of day for the room; UTC, since the bridge does not know the reader's zone.
func clockTime(t time.Time) string {
	return t.UTC().Format("15:04") + " UTC"
}

func agoText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "less than a minute ago"
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	}
	return fmt.Sprintf("%d h ago", int(d/time.Hour))
}
