package connector

import (
	"testing"

	"github.com/igbridge/igbridge/pkg/queue"
)

func TestAnsweredForGood(t *testing.T) {
	for _, tc := range []struct {
		name     string
		outcome  queue.Outcome
		last     bool
		stopping bool
		want     bool
	}{
		{"done", queue.Done, false, false, true},
		{"done while stopping", queue.Done, false, true, true},
		{"failed", queue.Failed, false, false, true},
		{"cancelled", queue.Cancelled, false, false, true},
		{"retry with attempts left", queue.Retry, false, false, false},
		{"retry on the last attempt", queue.Retry, true, false, true},
		{"failed while stopping", queue.Failed, true, true, false},
	} {
		got := answeredForGood(queue.Result{Outcome: tc.outcome}, &queue.Job{LastAttempt: tc.last}, tc.stopping)
		if got != tc.want {
			t.Errorf("%s: answeredForGood = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSameReaction(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"🗑️", "🗑", true},
		{"🗑", "🗑️", true},
		{"❌", "❌", true},
		{"🔁", "🔂", false},
		{"", "🔁", false},
	} {
		if got := sameReaction(tc.a, tc.b); got != tc.want {
			t.Errorf("sameReaction(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestMessageLocks: a message's lock is held until released, other messages are not held up,
// and released locks are forgotten.
func TestMessageLocks(t *testing.T) {
	var ml messageLocks
	release := ml.acquire("$a")
	ml.acquire("$b")() // not held up by $a
	ml.lock.Lock()
	held := !ml.locks["$a"].TryLock()
	ml.lock.Unlock()
	if !held {
		t.Fatal("the lock of $a is free while acquired")
	}
	acquired := make(chan func())
	go func() { acquired <- ml.acquire("$a") }()
	release()
	(<-acquired)()
	ml.lock.Lock()
	defer ml.lock.Unlock()
	if len(ml.locks) != 0 {
		t.Fatalf("%d locks left after all were released", len(ml.locks))
	}
}

func TestReactionActionFor(t *testing.T) {
	rc := ReactionsConfig{Retry: []string{"🔁"}, Delete: []string{"🗑️", "❌"}}
	for key, want := range map[string]reactionAction{
		"🔁": actionRetry, "🗑": actionDelete, "🗑️": actionDelete, "❌": actionDelete, "👍": actionNone, "": actionNone,
	} {
		if got := rc.actionFor(key); got != want {
			t.Errorf("actionFor(%q) = %v, want %v", key, got, want)
		}
	}
	if got := (&ReactionsConfig{}).actionFor("🔁"); got != actionNone {
		t.Errorf("with no keys configured actionFor(🔁) = %v, want none", got)
	}
}

// TestPartTxnID: a job's first round keeps the IDs jobs already in the queue were sent with; each
// retry round asked for by a user gets new ones.
func TestPartTxnID(t *testing.T) {
	first := partTxnID(&queue.Job{ID: 7}, noticePart)
	if first != "igbridge-job-7--1" {
		t.Errorf("first round notice txn ID %q", first)
	}
	again := partTxnID(&queue.Job{ID: 7, Retries: 1}, noticePart)
	if again == first || again == partTxnID(&queue.Job{ID: 7, Retries: 2}, noticePart) {
		t.Errorf("retry rounds share transaction IDs: %q", again)
	}
}
