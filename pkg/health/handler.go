package health

import (
	"context"
	"net/http"
	"time"

	"go.mau.fi/util/exhttp"
)

// Path is where the appservice listener serves reports.
const Path = "/_igbridge/v1/health"

// reportTimeout bounds gathering a report, so that a stuck database makes a slow 503, not a
// request that hangs.
const reportTimeout = 5 * time.Second

// Handler answers with a report from gather, decided with limits: 200 when healthy or degraded,
// 503 when unhealthy. It needs no authentication: a report holds nothing secret.
func Handler(gather func(ctx context.Context) Report, limits Limits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), reportTimeout)
		defer cancel()
		report := gather(ctx)
		report.Decide(limits)
		w.Header().Set("Cache-Control", "no-store")
		exhttp.WriteJSONResponse(w, report.HTTPStatus(), &report)
	})
}
