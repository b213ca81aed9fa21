package health

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestHandler(t *testing.T) {
	report := Report{Homeserver: Homeserver{CheckedAt: time.Now(), LastError: "connection refused"}}
	handler := Handler(func(ctx context.Context) Report {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("the report is gathered without a deadline")
		}
		return report
	}, Limits{MaxFailureRate: 0.5, MinJobs: 10})
	serve := func() (int, map[string]any) {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Path, nil))
		if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("headers: %v", rec.Header())
		}
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("body is not JSON: %v\n%s", err, rec.Body)
		}
		return rec.Code, body
	}
	code, body := serve()
	if code != http.StatusServiceUnavailable || body["status"] != "unhealthy" || body["started"] != false {
		t.Errorf("while starting: %d %v", code, body)
	}
	if _, ok := body["queue"]; ok {
		t.Errorf("the queue is reported before the bridge started: %v", body)
	}
	report = Report{
		Started:    true,
		Homeserver: Homeserver{Reachable: true, CheckedAt: time.Now()},
		Extractor:  &Extractor{Mode: "worker", Version: "2026.10.26"},
		Queue:      NewQueue(1, 1, 0, 3, 15*time.Minute),
	}
	code, body = serve()
	if code != http.StatusOK || body["status"] != "healthy" || body["queue"].(map[string]any)["depth"] != 2.0 {
		t.Errorf("when healthy: %d %v", code, body)
	}
	if reasons, ok := body["reasons"].([]any); !ok || len(reasons) != 0 {
		t.Errorf("reasons when healthy: %v", body["reasons"])
	}
}
