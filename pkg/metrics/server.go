package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
)

// shutdownTimeout bounds waiting for a scrape in progress when the bridge stops.
const shutdownTimeout = 5 * time.Second

// Server serves the metrics at /metrics on a listener of its own.
type Server struct {
	server *http.Server
}

// Listen serves the metrics on addr, logging with ctx's logger. The port is taken before it
// returns, so a port in use fails the bridge's start instead of leaving it without metrics.
func (m *Metrics) Listen(ctx context.Context, addr string) (*Server, error) {
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("failed to listen for metrics on %s: %w", addr, err)
	}
	log := zerolog.Ctx(ctx).With().Str("component", "metrics").Logger()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorLog:      errorLog{log},
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.registry,
	}))
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
			log.Err(err).Msg("Metrics listener failed")
		}
	}()
	log.Info().Stringer("address", listener.Addr()).Msg("Serving metrics")
	return &Server{server: server}, nil
}

// Close stops the listener, letting a scrape in progress finish.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := s.server.Shutdown(ctx); err != nil {
		return fmt.Errorf("failed to stop the metrics listener: %w", err)
	}
	return nil
}

// errorLog passes errors of a scrape (a state that could not be read) to the bridge's log.
type errorLog struct{ log zerolog.Logger }

var _ promhttp.Logger = errorLog{}

func (el errorLog) Println(v ...any) {
	el.log.Warn().Str("error", fmt.Sprint(v...)).Msg("Failed to collect metrics")
}
