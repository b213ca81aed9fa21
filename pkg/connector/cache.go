package connector

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.mau.fi/util/dbutil"
	"maunium.net/go/mautrix/event"

	"github.com/igbridge/igbridge/pkg/media"
)

// preparedPost is a post whose media is on the homeserver: everything needed to answer a link
// to it without asking Instagram again.
type preparedPost struct {
	URL        string         `json:"url"`
	Username   string         `json:"username"`
	FullName   string         `json:"full_name"`
	Caption    string         `json:"caption"`
	TotalItems int            `json:"total_items"`
	Items      []preparedItem `json:"items"`
}

// preparedItem is one uploaded item (the media part of its message) or why it could not be uploaded.
type preparedItem struct {
	Content  *event.MessageEventContent `json:"content,omitempty"`
	TooLarge *media.TooLargeError       `json:"too_large,omitempty"`
}

// post rebuilds the fields captions need.
func (pp *preparedPost) post() *media.Post {
	link, _ := media.ParseLink(pp.URL)
	return &media.Post{Link: link, Username: pp.Username, FullName: pp.FullName, Caption: pp.Caption, TotalItems: pp.TotalItems}
}

// mediaCache stores prepared posts and recent failures.
type mediaCache struct {
	db *dbutil.Database
}

func (mc *mediaCache) Get(ctx context.Context, postKey string, encrypted bool) (*preparedPost, error) {
	var raw string
	err := mc.db.QueryRow(ctx,
		"SELECT post FROM igbridge_media_cache WHERE post_key=$1 AND encrypted=$2 AND expires_at>$3",
		postKey, encrypted, time.Now().UnixMilli(),
	).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("failed to read media cache: %w", err)
	}
	var pp preparedPost
	if err = json.Unmarshal([]byte(raw), &pp); err != nil {
		return nil, fmt.Errorf("failed to parse media cache entry: %w", err)
	}
	return &pp, nil
}

func (mc *mediaCache) Put(ctx context.Context, postKey string, encrypted bool, pp *preparedPost, ttl time.Duration) error {
	raw, err := json.Marshal(pp)
	if err != nil {
		return fmt.Errorf("failed to encode media cache entry: %w", err)
	}
	now := time.Now()
	_, err = mc.db.Exec(ctx, `
		INSERT INTO igbridge_media_cache (post_key, encrypted, post, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (post_key, encrypted) DO UPDATE SET post=excluded.post, created_at=excluded.created_at, expires_at=excluded.expires_at
	`, postKey, encrypted, string(raw), now.UnixMilli(), now.Add(ttl).UnixMilli())
	if err != nil {
		return fmt.Errorf("failed to write media cache: %w", err)
	}
	return nil
}

// Failure returns the error class of a recent failure to fetch the post, or "".
func (mc *mediaCache) Failure(ctx context.Context, postKey string) (media.ErrorClass, error) {
	var class string
	err := mc.db.QueryRow(ctx,
		"SELECT error_class FROM igbridge_fetch_failure WHERE post_key=$1 AND expires_at>$2",
		postKey, time.Now().UnixMilli(),
	).Scan(&class)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("failed to read failure cache: %w", err)
	}
	return media.ErrorClass(class), nil
}

func (mc *mediaCache) PutFailure(ctx context.Context, postKey string, class media.ErrorClass, ttl time.Duration) error {
	_, err := mc.db.Exec(ctx, `
		INSERT INTO igbridge_fetch_failure (post_key, error_class, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (post_key) DO UPDATE SET error_class=excluded.error_class, expires_at=excluded.expires_at
	`, postKey, string(class), time.Now().Add(ttl).UnixMilli())
	if err != nil {
		return fmt.Errorf("failed to write failure cache: %w", err)
	}
	return nil
}

// Purge forgets one post (postKey != "") or everything, and reports how many entries went.
func (mc *mediaCache) Purge(ctx context.Context, postKey string) (int64, error) {
	var total int64
	for _, table := range []string{"igbridge_media_cache", "igbridge_fetch_failure"} {
		query := "DELETE FROM " + table
		var args []any
		if postKey != "" {
			query += " WHERE post_key=$1"
			args = append(args, postKey)
		}
		res, err := mc.db.Exec(ctx, query, args...)
		if err != nil {
			return total, fmt.Errorf("failed to purge %s: %w", table, err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

// Prune deletes expired entries.
func (mc *mediaCache) Prune(ctx context.Context) error {
	now := time.Now().UnixMilli()
	for _, table := range []string{"igbridge_media_cache", "igbridge_fetch_failure"} {
		if _, err := mc.db.Exec(ctx, "DELETE FROM "+table+" WHERE expires_at<=$1", now); err != nil {
			return fmt.Errorf("failed to prune %s: %w", table, err)
		}
	}
	return nil
}

// Count returns how many posts are cached (not expired).
func (mc *mediaCache) Count(ctx context.Context) (int, error) {
	var n int
	err := mc.db.QueryRow(ctx, "SELECT COUNT(*) FROM igbridge_media_cache WHERE expires_at>$1", time.Now().UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("failed to count media cache: %w", err)
	}
	return n, nil
}
