package api

import (
	"bufio"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

// httpMetrics counts requests per route and status. Routes come from the
// fixed route table (unmatched requests count under "other"), so the label
// set stays small whatever clients send.
type httpMetrics struct {
	mu       sync.Mutex
	requests map[routeStatus]uint64
	seconds  map[string]float64
	count    map[string]uint64
}

type routeStatus struct {
	route  string
	status int
}

func newHTTPMetrics() *httpMetrics {
	return &httpMetrics{
		requests: make(map[routeStatus]uint64),
		seconds:  make(map[string]float64),
		count:    make(map[string]uint64),
	}
}

func (m *httpMetrics) observe(route string, status int, d time.Duration) {
	if route == "" {
		route = "other"
	}
	m.mu.Lock()
	m.requests[routeStatus{route, status}]++
	m.seconds[route] += d.Seconds()
	m.count[route]++
	m.mu.Unlock()
}

// metrics serves the Prometheus text exposition format (version 0.0.4):
// the API's own request counters, then whatever Config.Metrics adds.
func (s *server) metrics(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	bw := bufio.NewWriter(w)

	s.stats.mu.Lock()
	keys := make([]routeStatus, 0, len(s.stats.requests))
	for k := range s.stats.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].route != keys[j].route {
			return keys[i].route < keys[j].route
		}
		return keys[i].status < keys[j].status
	})
	fmt.Fprintln(bw, "# HELP ecowatch_http_requests_total HTTP API requests by route and status.")
	fmt.Fprintln(bw, "# TYPE ecowatch_http_requests_total counter")
	for _, k := range keys {
		fmt.Fprintf(bw, "ecowatch_http_requests_total{route=%s,code=\"%d\"} %d\n", strconv.Quote(k.route), k.status, s.stats.requests[k])
	}
	routes := make([]string, 0, len(s.stats.count))
	for r := range s.stats.count {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	fmt.Fprintln(bw, "# HELP ecowatch_http_request_duration_seconds Time spent serving HTTP API requests.")
	fmt.Fprintln(bw, "# TYPE ecowatch_http_request_duration_seconds summary")
	for _, r := range routes {
		fmt.Fprintf(bw, "ecowatch_http_request_duration_seconds_sum{route=%s} %g\n", strconv.Quote(r), s.stats.seconds[r])
		fmt.Fprintf(bw, "ecowatch_http_request_duration_seconds_count{route=%s} %d\n", strconv.Quote(r), s.stats.count[r])
	}
	s.stats.mu.Unlock()

	if s.cfg.Metrics != nil {
		s.cfg.Metrics(bw)
	}
	return bw.Flush()
}
