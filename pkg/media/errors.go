package media

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrorClass is what went wrong fetching a post, coarse enough to pick an answer and a retry
// policy; the connector's failure table maps each class to both.
type ErrorClass string

const (
	ClassPrivate         ErrorClass = "private"
	ClassLoginRequired   ErrorClass = "login_required"
	ClassNotFound        ErrorClass = "not_found"
	ClassRateLimited     ErrorClass = "rate_limited"
	ClassNoMedia         ErrorClass = "no_media"
	ClassExtractorBroken ErrorClass = "extractor_broken"
	ClassCookiesInvalid  ErrorClass = "cookies_invalid"
	ClassTimeout         ErrorClass = "timeout"
	ClassNetwork         ErrorClass = "network"
	ClassTooLarge        ErrorClass = "too_large"
	ClassUnavailable     ErrorClass = "unavailable"
	ClassBadOutput       ErrorClass = "bad_output"
)

// classError is the type of the class sentinels; a *FetchError matches the one of its class.
type classError ErrorClass

func (c classError) Error() string { return "instagram fetch failed: " + string(c) }

// Sentinels for errors.Is; every *FetchError (and *TooLargeError) matches the one of its class.
var (
	ErrPrivate         error = classError(ClassPrivate)
	ErrLoginRequired   error = classError(ClassLoginRequired)
	ErrNotFound        error = classError(ClassNotFound)
	ErrRateLimited     error = classError(ClassRateLimited)
	ErrNoMedia         error = classError(ClassNoMedia)
	ErrExtractorBroken error = classError(ClassExtractorBroken)
	ErrCookiesInvalid  error = classError(ClassCookiesInvalid)
	ErrTimeout         error = classError(ClassTimeout)
	ErrNetwork         error = classError(ClassNetwork)
	ErrTooLarge        error = classError(ClassTooLarge)
	ErrUnavailable     error = classError(ClassUnavailable)
	ErrBadOutput       error = classError(ClassBadOutput)
)

// FetchError is a classified failure to fetch a post or its media.
type FetchError struct {
	Class   ErrorClass
	Message string // the yt-dlp (or HTTP) message, trimmed, for logs
	Err     error  // the underlying error, if any
}

func (e *FetchError) Error() string {
	msg := "instagram fetch failed (" + string(e.Class) + ")"
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *FetchError) Unwrap() error { return e.Err }

// Is matches the sentinel of the error's class.
func (e *FetchError) Is(target error) bool {
	c, ok := target.(classError)
	return ok && ErrorClass(c) == e.Class
}

// ClassOf returns the class of a fetch or download error, or "" when err is not classified.
func ClassOf(err error) ErrorClass {
	var fe *FetchError
	if errors.As(err, &fe) {
		return fe.Class
	}
	var c classError
	if errors.As(err, &c) {
		return ErrorClass(c)
	}
	if errors.Is(err, ErrTooLarge) {
		return ClassTooLarge
	}
	return ""
}

// TooLargeError is a media file over the size limit.
type TooLargeError struct {
	Size  int64 // the announced size, or -1 when the server did not announce it
	Limit int64
}

func (e *TooLargeError) Error() string {
	if e.Size < 0 {
		return "media is larger than the limit of " + formatMiB(e.Limit)
	}
	return fmt.Sprintf("media is %s, the limit is %s", formatMiB(e.Size), formatMiB(e.Limit))
}

func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

func formatMiB(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// ytdlpMessages maps yt-dlp error texts (yt-dlp 2026.10, plus the old-extractor texts) to classes.
// Order matters: the first match wins, so specific texts come before the generic bug-report suffix.
var ytdlpMessages = []struct {
	text  string
	class ErrorClass
}{
	{"only available for registered users who follow this account", ClassPrivate},
	{"Restricted Video", ClassLoginRequired},
	// The anonymous /p/ page bounced to the login wall. yt-dlp calls it a rate limit, but one post
	// behind the wall says nothing about the bridge; the pacer cools down only when several
	// different posts hit it (pacing.Pacer.LoginWalled).
	{"redirected to the login page", ClassLoginRequired},
	{"This content is unreachable", ClassLoginRequired},
	{"You need to log in to access this content", ClassLoginRequired},
	// A share link whose redirect ends on the login page falls through to the generic extractor.
	{"instagram.com/accounts/login", ClassLoginRequired},
	{"HTTP Error 401", ClassLoginRequired},
	{"HTTP Error 403", ClassLoginRequired},
	{"HTTP Error 429", ClassRateLimited},
	{"HTTP Error 404", ClassNotFound},
	{"HTTP Error 410", ClassNotFound},
	// yt-dlp up to 2025: the whole fallback chain failed, which in practice meant rate limits or login walls.
	{"Requested content is not available, rate-limit reached or login required", ClassRateLimited},
	{"There is no video in this post", ClassNoMedia},
	{"No video formats found", ClassNoMedia},
	// Ambiguous upstream (blocked IP or a post that needs a login), never a bug on our side.
	{"Instagram sent an empty media response", ClassUnavailable},
	{"HTTP Error 5", ClassNetwork},
	{"Unable to connect to proxy", ClassNetwork},
	{"Tunnel connection failed", ClassNetwork},
	{"CERTIFICATE_VERIFY_FAILED", ClassNetwork},
	{"Connection refused", ClassNetwork},
	{"Connection reset", ClassNetwork},
	{"Network is unreachable", ClassNetwork},
	{"Temporary failure in name resolution", ClassNetwork},
	{"Name or service not known", ClassNetwork},
	{"timed out", ClassNetwork},
	{"Unable to extract LSD token", ClassExtractorBroken},
	{"please report this issue", ClassExtractorBroken},
}

// cookieTexts are signs that the configured session cookies no longer work. A dead session is
// redirected to the login page, which answers HTML where the API JSON was expected.
var cookieTexts = []string{
	"The provided Instagram account cookies are no longer valid",
	"Failed to parse JSON",
	"failed to load cookies",
	"Cookies file must be Netscape formatted",
}

// ClassifyYtdlp classifies the stderr of a failed yt-dlp run. The last ERROR line decides; without
// one the warnings are read instead, and an unrecognised failure means the extractor is broken.
func ClassifyYtdlp(stderr string, cookiesConfigured bool) ErrorClass {
	if cookiesConfigured && cookiesRejected(stderr) {
		return ClassCookiesInvalid
	}
	msg, ok := lastErrorLine(stderr)
	if !ok {
		if class, found := matchYtdlpMessage(stderr); found {
			return class
		}
		// A crash (traceback, missing module) or an unknown failure mode.
		return ClassExtractorBroken
	}
	if class, found := matchYtdlpMessage(msg); found {
		return class
	}
	// An expected error (no bug-report suffix) whose wording we do not know, e.g. "<ruling title>: <text>".
	return ClassUnavailable
}

// ClassifyWorkerError classifies a failure reported by the worker: the exception's HTTP status and
// network cause first, then its text (the same table as ClassifyYtdlp), then whether yt-dlp
// expected it. warnings are the yt-dlp warnings of the same request.
func ClassifyWorkerError(e WorkerError, warnings []string, cookiesConfigured bool) ErrorClass {
	if cookiesConfigured && (cookiesRejected(e.Message) || slices.ContainsFunc(warnings, cookiesRejected)) {
		return ClassCookiesInvalid
	}
	switch {
	case e.Status == 429:
		return ClassRateLimited
	case e.Status == 404 || e.Status == 410:
		return ClassNotFound
	case e.Status == 401 || e.Status == 403:
		return ClassLoginRequired
	case e.Status >= 500:
		return ClassNetwork
	case slices.ContainsFunc(e.Causes, isNetworkErrorType):
		return ClassNetwork
	}
	if class, found := matchYtdlpMessage(e.Message); found {
		return class
	}
	if e.Expected {
		// The extractor's own words for a known condition we have no entry for.
		return ClassUnavailable
	}
	return ClassExtractorBroken
}

// isNetworkErrorType reports whether a Python exception class (from the worker's list of a network
// cause's classes) means the connection failed, as opposed to a server's answer.
func isNetworkErrorType(name string) bool {
	// yt-dlp wraps socket, TLS and proxy failures in TransportError; plain OSError covers
	// timeouts and urllib's URLError raised outside its request handlers.
	return name == "TransportError" || name == "OSError"
}

func matchYtdlpMessage(text string) (ErrorClass, bool) {
	for _, m := range ytdlpMessages {
		if strings.Contains(text, m.text) {
			return m.class, true
		}
	}
	return "", false
}

// cookiesRejected reports whether stderr says the session cookies are not accepted.
func cookiesRejected(stderr string) bool {
	for _, t := range cookieTexts {
		if strings.Contains(stderr, t) {
			return true
		}
	}
	return false
}

// lastErrorLine returns the text of the last "ERROR:" line of yt-dlp's stderr.
func lastErrorLine(stderr string) (string, bool) {
	for stderr != "" {
		var line string
		if i := strings.LastIndexByte(stderr, '\n'); i >= 0 {
			stderr, line = stderr[:i], stderr[i+1:]
		} else {
			stderr, line = "", stderr
		}
		if msg, ok := strings.CutPrefix(strings.TrimSpace(line), "ERROR:"); ok {
			return strings.TrimSpace(msg), true
		}
	}
	return "", false
}

// maxMessageLen bounds the yt-dlp text kept in a FetchError; it ends up in logs.
const maxMessageLen = 500

// ytdlpMessage returns the yt-dlp error text for logs: the last ERROR line without the bug-report
// boilerplate, or the last line of stderr when there is none.
func ytdlpMessage(stderr string) string {
	msg, ok := lastErrorLine(stderr)
	if !ok {
		trimmed := strings.TrimSpace(stderr)
		msg = trimmed[strings.LastIndexByte(trimmed, '\n')+1:]
	}
	return trimYtdlpMessage(msg)
}

// trimYtdlpMessage drops the bug-report boilerplate from a yt-dlp error text and bounds it for logs.
func trimYtdlpMessage(msg string) string {
	if i := strings.Index(msg, "; please report this issue"); i >= 0 {
		msg = msg[:i]
	}
	return truncateUTF8(msg, maxMessageLen)
}
