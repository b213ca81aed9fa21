package pacing

import (
	"sync"
	"time"
)

// One post behind the login wall is that post's failure; Instagram walling off several different
// posts in a short time is how it limits anonymous viewing from the bridge's address.
const (
	// loginWallPosts distinct login-walled posts within loginWallWindow start the bridge-wide cool-down.
	loginWallPosts = 3
	// loginWallWindow is how far back login walls count towards loginWallPosts.
	loginWallWindow = 10 * time.Minute
)

// LoginWalled records that Instagram answered a request about the post with its login wall, and
// starts a cool-down as RateLimited does once loginWallPosts different posts hit one.
func (p *Pacer) LoginWalled(postKey string) {
	if p.loginWalls.add(postKey, p.clock.Now()) {
		p.RateLimited()
	}
}

// loginWalls remembers recent login walls by post, so retries or repeats of one post count once.
type loginWalls struct {
	lock sync.Mutex
	seen map[string]time.Time // post key -> last login wall
}

// add records a login wall on the post at now and reports whether loginWallPosts different posts
// hit one within loginWallWindow. It then forgets them, so the next cool-down needs new evidence.
func (lw *loginWalls) add(postKey string, now time.Time) bool {
	lw.lock.Lock()
	defer lw.lock.Unlock()
	if lw.seen == nil {
		lw.seen = make(map[string]time.Time)
	}
	for key, at := range lw.seen {
		if now.Sub(at) >= loginWallWindow {
			delete(lw.seen, key)
		}
	}
	lw.seen[postKey] = now
	if len(lw.seen) < loginWallPosts {
		return false
	}
	clear(lw.seen)
	return true
}
