-- v0 -> v1: Latest revision
CREATE TABLE igbridge_room (
	room_id    TEXT    PRIMARY KEY,
	inviter    TEXT    NOT NULL,
	joined_at  BIGINT  NOT NULL,
	enabled    BOOLEAN NOT NULL DEFAULT true
);

-- The media of a post as uploaded to Matrix, reused when the post is linked again. Encrypted
-- rooms need encrypted uploads, so they have entries of their own.
CREATE TABLE igbridge_media_cache (
	post_key   TEXT    NOT NULL,
	encrypted  BOOLEAN NOT NULL,
	post       TEXT    NOT NULL,
	created_at BIGINT  NOT NULL,
	expires_at BIGINT  NOT NULL,
	PRIMARY KEY (post_key, encrypted)
);

-- Posts that could not be fetched; links to them are answered from here until the entry expires.
CREATE TABLE igbridge_fetch_failure (
	post_key    TEXT   PRIMARY KEY,
	error_class TEXT   NOT NULL,
	expires_at  BIGINT NOT NULL
);
