-- v1 -> v2: Remember when a post failed, so a repeat can say how long ago it was checked
-- The entries from before would have no time; they last an hour at most, so they are dropped.
DELETE FROM igbridge_fetch_failure;
ALTER TABLE igbridge_fetch_failure ADD COLUMN checked_at BIGINT NOT NULL DEFAULT 0;
