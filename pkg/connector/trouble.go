package connector

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/igbridge/igbridge/pkg/queue"
)

// What the last links say about Instagram. Counting links, not jobs, keeps retries and repeats
// of one link from looking like many; a small install sees few links, so three are enough.
const (
	// troubleLinks is how many of the most recent different links are looked at.
	troubleLinks = 10
	// troubleMinLinks is how many of them must have failed because Instagram could not be
	// reached or refused the bridge (and more than half, the newest included).
	troubleMinLinks = 3
)

// instagramTrouble says why Instagram seems unreachable or blocking the bridge, judging by the
// most recent links, or "" when they do not say so.
func (ic *Connector) instagramTrouble(ctx context.Context) (string, error) {
	links, err := ic.queue.RecentLinks(ctx, troubleLinks)
	if err != nil {
		return "", err
	}
	return troubleReason(links), nil
}

// troubleReason judges recent link outcomes, newest first.
func troubleReason(links []queue.LinkOutcome) string {
	var classes []string
	failed := 0
	for i, link := range links {
		down := link.Failed && policyFor(failureClass(link.ErrorClass)).unreachable
		if i == 0 && !down {
			// The newest link went through (or failed for its own reasons): Instagram answers.
			return ""
		}
		if down {
			failed++
			if !slices.Contains(classes, link.ErrorClass) {
				classes = append(classes, link.ErrorClass)
			}
		}
	}
	if failed < troubleMinLinks || 2*failed <= len(links) {
		return ""
	}
	return fmt.Sprintf("Instagram could not be reached or refused the bridge for %d of the last %d links (%s)",
		failed, len(links), strings.Join(classes, ", "))
}
