package media

import (
	"context"
	"fmt"

	"github.com/igbridge/igbridge/pkg/pacing"
)

// waitForPacer blocks until a request to Instagram may go out; without a pacer it does not wait.
func waitForPacer(ctx context.Context, p *pacing.Pacer) error {
	if p == nil {
		return nil
	}
	if err := p.Wait(ctx); err != nil {
		return fmt.Errorf("failed to wait for the rate limit: %w", err)
	}
	return nil
}

// reportToPacer tells the pacer what Instagram's answer to a request about link says about the
// bridge: a 429 starts the bridge-wide cool-down, a login wall counts towards one (one walled post
// is that post's failure), a success ends the doubling. Other failures say nothing about the
// bridge's standing with Instagram.
func reportToPacer(p *pacing.Pacer, link Link, err error) {
	if p == nil {
		return
	}
	switch ClassOf(err) {
	case ClassRateLimited:
		p.RateLimited()
	case ClassLoginRequired:
		p.LoginWalled(link.Key())
	case "":
		if err == nil {
			p.Succeeded()
		}
	}
}
