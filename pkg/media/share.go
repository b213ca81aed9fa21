package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/igbridge/igbridge/pkg/pacing"
)

// ErrShareUnresolved means a /share/ link did not redirect to a post.
var ErrShareUnresolved = errors.New("share link could not be resolved")

// maxShareBodyRead bounds how much of a share response is drained so the connection can be reused.
const maxShareBodyRead = 4 << 10

// ShareResolver turns share links into the posts they lead to. Each resolution is a request to
// Instagram, so it waits for the pacer and reports the answer to it, as an extraction does.
type ShareResolver struct {
	// Client sends the requests; nil means http.DefaultClient. The redirect is never followed,
	// so a login wall is recognised instead of fetched.
	Client *http.Client
	// Pacer, when set, is shared with the extractor.
	Pacer *pacing.Pacer
	// Timeout bounds the request, not the wait for the pacer, which may be a long cool-down.
	// Zero means no bound beyond the context's.
	Timeout time.Duration
}

// Resolve turns a LinkShare into the LinkPost it redirects to. Non-share links are returned
// unchanged, without a request.
func (r *ShareResolver) Resolve(ctx context.Context, link Link) (Link, error) {
	if link.Kind != LinkShare {
		return link, nil
	}
	if err := waitForPacer(ctx, r.Pacer); err != nil {
		return Link{}, err
	}
	if r.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.Timeout)
		defer cancel()
	}
	resolved, err := requestShare(ctx, r.Client, link)
	reportToPacer(r.Pacer, link, err)
	return resolved, err
}

// requestShare asks Instagram where a share link leads, without following the redirect.
func requestShare(ctx context.Context, client *http.Client, link Link) (Link, error) {
	if client == nil {
		client = http.DefaultClient
	}
	// Following the redirect would fetch the post page (or a login wall) for nothing.
	noFollow := *client
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link.URL(), nil)
	if err != nil {
		return Link{}, fmt.Errorf("failed to prepare share link request: %w", err)
	}
	resp, err := noFollow.Do(req)
	if err != nil {
		// Not an answer about the link: it may resolve on the next try.
		class := ClassNetwork
		if errors.Is(err, context.DeadlineExceeded) {
			class = ClassTimeout
		}
		return Link{}, &FetchError{Class: class, Message: "failed to request share link " + link.Key(), Err: err}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxShareBodyRead))

	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		status := fmt.Sprintf("%s returned status %d", link.Key(), resp.StatusCode)
		if err := temporaryStatusError(resp.StatusCode, "share link "+status); err != nil {
			return Link{}, err
		}
		return Link{}, fmt.Errorf("%w: %s", ErrShareUnresolved, status)
	}
	location := resp.Header.Get("Location")
	if location == "" {
		return Link{}, fmt.Errorf("%w: %s redirected without a location", ErrShareUnresolved, link.Key())
	}
	// Location may be relative to the share URL.
	target, err := req.URL.Parse(location)
	if err != nil {
		return Link{}, fmt.Errorf("%w: %s redirected to an invalid location: %w", ErrShareUnresolved, link.Key(), err)
	}
	if strings.HasPrefix(target.Path, "/accounts/login") {
		return Link{}, fmt.Errorf("%w: %s redirected to the login page", ErrShareUnresolved, link.Key())
	}
	resolved, ok := ParseLink(target.String())
	if !ok || resolved.Kind != LinkPost {
		return Link{}, fmt.Errorf("%w: %s redirected to %s%s, not a post", ErrShareUnresolved, link.Key(), target.Host, target.Path)
	}
	return resolved, nil
}
