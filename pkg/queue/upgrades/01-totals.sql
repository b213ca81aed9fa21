-- v1 -> v2: Totals of finished jobs, which outlive the pruned job rows

-- How many jobs ever ended in each final state. `status` and health read these instead of counting
-- the job table, which keeps up to the retention period of finished jobs.
CREATE TABLE igbridge_queue_total (
	state TEXT   PRIMARY KEY,
	jobs  BIGINT NOT NULL
);
INSERT INTO igbridge_queue_total (state, jobs)
	SELECT state, COUNT(*) FROM igbridge_queue_job WHERE state IN ('done', 'failed', 'cancelled') GROUP BY state;
