package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecowatch/ecowatch/internal/metrics"
)

// httpMetrics counts requests per route and status. Routes come from the
// fixed route table (unmatched requests count under "other"), so the label
// set stays small whatever clients send.
type httpMetrics struct {
	requests *prometheus.CounterVec
	seconds  *prometheus.SummaryVec // sum and count, no quantiles
}

func newHTTPMetrics(r prometheus.Registerer) (*httpMetrics, error) {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ecowatch_http_requests_total",
		Help: "HTTP API requests by route and status."}, []string{"route", "code"})
	seconds := prometheus.NewSummaryVec(prometheus.SummaryOpts{Name: "ecowatch_http_request_duration_seconds",
		Help: "Time spent serving HTTP API requests."}, []string{"route"})
	var err error
	// A second API handler on the same registry counts in the first one's
	// families (AlreadyRegisteredError hands them over).
	if requests, err = registerOnce(r, requests); err != nil {
		return nil, err
	}
	if seconds, err = registerOnce(r, seconds); err != nil {
		return nil, err
	}
	return &httpMetrics{requests: requests, seconds: seconds}, nil
}

func registerOnce[C prometheus.Collector](r prometheus.Registerer, c C) (C, error) {
	err := r.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	if err != nil {
		return c, fmt.Errorf("register the API's metrics: %w", err)
	}
	return c, nil
}

func (m *httpMetrics) observe(route string, status int, d time.Duration) {
	if route == "" {
		route = "other"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.seconds.WithLabelValues(route).Observe(d.Seconds())
}

// metrics serves the process's registry (Config.Metrics: the API's own
// request counters and whatever the other components registered) in the
// format the scraper asks for, the Prometheus text format by default.
func (s *server) metrics(w http.ResponseWriter, r *http.Request) error {
	metrics.Handler(s.reg).ServeHTTP(w, r)
	return nil
}
