-- v3 -> v4: Find a job by its answer's event and count manual retries
-- A reaction on an answer or a failure notice names the reply's event; this finds its job.
CREATE INDEX igbridge_queue_reply_event_idx ON igbridge_queue_reply (event_id);
-- How many times a user asked for a failed job to be tried again (see Queue.Reopen); it keeps
-- the transaction IDs of each round's messages apart.
ALTER TABLE igbridge_queue_job ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
