-- v2 -> v3: Per-room settings
-- The settings a room's moderators changed with `set`, in their stored form; a setting without a
-- row takes the config's default. They go with the room when the bot leaves it.
CREATE TABLE igbridge_room_setting (
	room_id TEXT NOT NULL REFERENCES igbridge_room (room_id) ON DELETE CASCADE,
	name    TEXT NOT NULL,
	value   TEXT NOT NULL,
	PRIMARY KEY (room_id, name)
);
