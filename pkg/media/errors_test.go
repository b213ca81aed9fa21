package media

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bugReport is the suffix yt-dlp appends to unexpected errors.
const bugReport = "; please report this issue on  https://github.com/yt-dlp/yt-dlp/issues?q= , filling out the appropriate issue template. Confirm you are on the latest version using  yt-dlp -U"

// cookiesHint is the suffix of yt-dlp's login-related errors.
const cookiesHint = ". Use --cookies-from-browser or --cookies for the authentication. See  https://github.com/yt-dlp/yt-dlp/wiki/FAQ#how-do-i-pass-cookies-to-yt-dlp  for how to manually pass cookies"

func TestClassifyYtdlpMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		stderr  string
		cookies bool
		want    ErrorClass
	}{
		{"private", "ERROR: [Instagram] AbCdEfGhIjKlMnOpQrStUvWxYz0123456789: This content is only available for registered users who follow this account" + cookiesHint, false, ClassPrivate},
		{"restricted", "ERROR: [Instagram] Restrict01: Restricted Video: You must be 18 years old or over to see this video" + cookiesHint, false, ClassLoginRequired},
		{"ruling other title", "ERROR: [Instagram] Gone00001: Post isn't available: The link may be broken, or the profile may have been removed.", false, ClassUnavailable},
		{"login wall", "ERROR: [Instagram] LoginWall1: The webpage request was redirected to the login page. You have exceeded the rate-limit for accessing posts anonymously" + cookiesHint, false, ClassLoginRequired},
		{"empty media response", "ERROR: [Instagram] Empty0001: Instagram sent an empty media response. Check if this post is accessible in your browser without being logged-in. If it is not, then use --cookies-from-browser or --cookies for the authentication. Otherwise, if the post is accessible in browser without being logged-in" + bugReport, false, ClassUnavailable},
		{"429", "ERROR: [Instagram] Limited001: Unable to download webpage: HTTP Error 429: Too Many Requests (caused by <HTTPError 429: Too Many Requests>)", false, ClassRateLimited},
		{"404", "ERROR: [Instagram] Missing001: Unable to download webpage: HTTP Error 404: Not Found (caused by <HTTPError 404: Not Found>)", false, ClassNotFound},
		{"404 with cookies", "ERROR: [Instagram] Missing001: Video info extraction failed: HTTP Error 404: Not Found (caused by <HTTPError 404: Not Found>)", true, ClassNotFound},
		{"500", "ERROR: [Instagram] Video0001: Unable to download webpage: HTTP Error 502: Bad Gateway (caused by <HTTPError 502: Bad Gateway>)", false, ClassNetwork},
		{"story unreachable", "ERROR: [instagram:story] storyok: This content is unreachable" + cookiesHint, false, ClassLoginRequired},
		{"story needs login", "ERROR: [instagram:story] storyok: You need to log in to access this content" + cookiesHint, false, ClassLoginRequired},
		{"image post", "ERROR: [Instagram] Image0001: There is no video in this post", false, ClassNoMedia},
		{"carousel image entry", "ERROR: [Instagram] Carousel01: No video formats found!" + bugReport, false, ClassNoMedia},
		{"LSD token", "ERROR: [Instagram] Video0001: Unable to extract LSD token" + bugReport, false, ClassExtractorBroken},
		{"unexpected", "ERROR: [Instagram] Video0001: Unable to extract media; something changed" + bugReport, false, ClassExtractorBroken},
		{"old version", "WARNING: [Instagram] Video0001: General metadata extraction failed (some metadata might be missing).\nWARNING: [Instagram] Video0001: unable to extract shared data; please report this issue on  https://github.com/yt-dlp/yt-dlp/issues\nWARNING: Main webpage is locked behind the login page. Retrying with embed webpage (some metadata might be missing).\nERROR: [Instagram] Video0001: Requested content is not available, rate-limit reached or login required" + cookiesHint, false, ClassRateLimited},
		{"connection refused", "ERROR: [Instagram] Video0001: Unable to download webpage: [Errno 111] Connection refused (caused by TransportError('[Errno 111] Connection refused'))", false, ClassNetwork},
		{"dns", "ERROR: [Instagram] Video0001: Unable to download webpage: <urlopen error [Errno -3] Temporary failure in name resolution> (caused by TransportError(...))", false, ClassNetwork},
		{"untrusted certificate", "ERROR: [Instagram] Video0001: Unable to download webpage: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain (_ssl.c:992) (caused by CertificateVerifyError(...))", false, ClassNetwork},
		{"read timeout", "ERROR: [Instagram] Video0001: Unable to download webpage: The read operation timed out (caused by TransportError('The read operation timed out'))", false, ClassNetwork},
		{"cookies warning", "WARNING: [Instagram] Video0001: The provided Instagram account cookies are no longer valid\nERROR: [Instagram] Video0001: The webpage request was redirected to the login page" + cookiesHint, true, ClassCookiesInvalid},
		{"login page instead of JSON, cookies", "ERROR: [Instagram] Video0001: Failed to parse JSON (caused by JSONDecodeError('Expecting value in \\'<!DOCTYPE html>\\': line 1 column 1 (char 0)'))" + bugReport, true, ClassCookiesInvalid},
		{"JSON failure without cookies is a bug", "ERROR: [Instagram] Video0001: Failed to parse JSON (caused by JSONDecodeError('Expecting value'))" + bugReport, false, ClassExtractorBroken},
		{"cookies file unreadable", "ERROR: failed to load cookies", true, ClassCookiesInvalid},
		{"warning text does not decide", "WARNING: [Instagram] Video0001: There is no video in this post\nERROR: [Instagram] Video0001: Unable to download webpage: HTTP Error 429: Too Many Requests", false, ClassRateLimited},
		{"traceback", "Traceback (most recent call last):\n  File \"<frozen runpy>\", line 198, in _run_module_as_main\nModuleNotFoundError: No module named 'yt_dlp'", false, ClassExtractorBroken},
		{"unknown warnings only", "WARNING: [Instagram] Video0001: No CSRF token set by Instagram API", false, ClassExtractorBroken},
		{"known warning only", "WARNING: [Instagram] There is no video in this post\nWARNING: No video formats found!", false, ClassNoMedia},
		{"cookies warning without cookies", "WARNING: [Instagram] The provided Instagram account cookies are no longer valid", false, ClassExtractorBroken},
		{"unsupported URL", "ERROR: Unsupported URL: https://www.instagram.com/explore/", false, ClassUnavailable},
		{"empty", "", false, ClassExtractorBroken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ClassifyYtdlp(tt.stderr, tt.cookies); got != tt.want {
				t.Errorf("ClassifyYtdlp() = %q, want %q", got, tt.want)
			}
		})
	}
}

// goldenErrorClasses is the expected class of each stderr text recorded by fakeig in testdata/errors,
// keyed by file name without ".txt"; the cookies flag says whether the recording used cookies.
var goldenErrorClasses = map[string]struct {
	class   ErrorClass
	cookies bool
}{
	"cookies_expired":  {ClassCookiesInvalid, true},
	"empty_media":      {ClassUnavailable, false},
	"image_no_video":   {ClassNoMedia, false},
	"login_wall":       {ClassLoginRequired, false},
	"not_found":        {ClassNotFound, false},
	"private":          {ClassPrivate, false},
	"rate_limited":     {ClassRateLimited, false},
	"restricted":       {ClassLoginRequired, false},
	"share_login":      {ClassLoginRequired, false},
	"story_no_cookies": {ClassLoginRequired, false},
}

func TestClassifyYtdlpGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/errors/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded errors in testdata/errors")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txt")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, ok := goldenErrorClasses[name]
			if !ok {
				t.Fatalf("no expected class for %s; add it to goldenErrorClasses", file)
			}
			stderr, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if got := ClassifyYtdlp(string(stderr), want.cookies); got != want.class {
				t.Errorf("ClassifyYtdlp(%s) = %q, want %q\n%s", file, got, want.class, stderr)
			}
		})
	}
}

var allClasses = []ErrorClass{
	ClassPrivate, ClassLoginRequired, ClassNotFound, ClassRateLimited, ClassNoMedia, ClassExtractorBroken,
	ClassCookiesInvalid, ClassTimeout, ClassNetwork, ClassTooLarge, ClassUnavailable, ClassBadOutput,
}

func TestFetchErrorIs(t *testing.T) {
	t.Parallel()
	sentinels := map[ErrorClass]error{
		ClassPrivate: ErrPrivate, ClassLoginRequired: ErrLoginRequired, ClassNotFound: ErrNotFound,
		ClassRateLimited: ErrRateLimited, ClassNoMedia: ErrNoMedia, ClassExtractorBroken: ErrExtractorBroken,
		ClassCookiesInvalid: ErrCookiesInvalid, ClassTimeout: ErrTimeout, ClassNetwork: ErrNetwork,
		ClassTooLarge: ErrTooLarge, ClassUnavailable: ErrUnavailable, ClassBadOutput: ErrBadOutput,
	}
	if len(sentinels) != len(allClasses) {
		t.Fatalf("%d sentinels for %d classes", len(sentinels), len(allClasses))
	}
	inner := errors.New("exit status 1")
	for _, c := range allClasses {
		err := fmt.Errorf("failed to fetch: %w", &FetchError{Class: c, Message: "msg", Err: inner})
		for other, sentinel := range sentinels {
			if got := errors.Is(err, sentinel); got != (other == c) {
				t.Errorf("errors.Is(%s error, %v) = %v", c, sentinel, got)
			}
		}
		if !errors.Is(err, inner) {
			t.Errorf("%s: the underlying error is not unwrapped", c)
		}
		if got := ClassOf(err); got != c {
			t.Errorf("ClassOf(%s error) = %q", c, got)
		}
	}
	if got := ClassOf(errors.New("other")); got != "" {
		t.Errorf("ClassOf(unclassified) = %q, want empty", got)
	}
	if got := ClassOf(fmt.Errorf("wrapped: %w", ErrRateLimited)); got != ClassRateLimited {
		t.Errorf("ClassOf(sentinel) = %q", got)
	}
}

func TestFetchErrorMessage(t *testing.T) {
	t.Parallel()
	err := &FetchError{Class: ClassNotFound, Message: "[Instagram] x: HTTP Error 404", Err: errors.New("exit status 1")}
	want := "instagram fetch failed (not_found): [Instagram] x: HTTP Error 404: exit status 1"
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestTooLargeError(t *testing.T) {
	t.Parallel()
	err := error(&TooLargeError{Size: 11 << 20, Limit: 10 << 20})
	if got, want := err.Error(), "media is 11.0 MiB, the limit is 10.0 MiB"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	unknown := &TooLargeError{Size: -1, Limit: 10 << 20}
	if got, want := unknown.Error(), "media is larger than the limit of 10.0 MiB"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	wrapped := fmt.Errorf("failed to download: %w", err)
	if !errors.Is(wrapped, ErrTooLarge) || errors.Is(wrapped, ErrTimeout) {
		t.Error("TooLargeError must match ErrTooLarge and only it")
	}
	if got := ClassOf(wrapped); got != ClassTooLarge {
		t.Errorf("ClassOf(TooLargeError) = %q", got)
	}
}

func TestYtdlpMessage(t *testing.T) {
	t.Parallel()
	stderr := "WARNING: something\nERROR: [Instagram] Video0001: Unable to extract LSD token" + bugReport + "\n"
	if got, want := ytdlpMessage(stderr), "[Instagram] Video0001: Unable to extract LSD token"; got != want {
		t.Errorf("ytdlpMessage() = %q, want %q", got, want)
	}
	crash := "Traceback (most recent call last):\nModuleNotFoundError: No module named 'yt_dlp'\n"
	if got, want := ytdlpMessage(crash), "ModuleNotFoundError: No module named 'yt_dlp'"; got != want {
		t.Errorf("ytdlpMessage() = %q, want %q", got, want)
	}
	long := "ERROR: " + strings.Repeat("é", 1000)
	if got := ytdlpMessage(long); len(got) > maxMessageLen || !strings.HasPrefix(got, "éé") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("ytdlpMessage() of a long message is not cut cleanly: %d bytes", len(got))
	}
}
