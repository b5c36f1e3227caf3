// Package metricslib is the benchmark that chose ecowatch's metrics library
// (DEPENDENCIES.md): github.com/VictoriaMetrics/metrics against
// github.com/prometheus/client_golang, and the hand-written atomics they
// replace, on what ecowatch does with metrics:
//
//   - a counter incremented by every frame from many connections at once
//     (the gateway's hot path);
//   - a latency histogram observed for every acknowledgement, and a
//     sum-and-count summary per HTTP route;
//   - writing the exposition of the series a combined `ecowatch serve` with
//     a bus exposes (series.go), as one scrape does.
//
// The binary size each library adds and the modules it pulls in are
// measured by footprint.sh.
//
// It is a module of its own so that the library that was not chosen is no
// dependency of ecowatch:
//
//	cd bench/metricslib && go test -run X -bench . -benchmem -cpu 1,2
//	cd bench/metricslib && ./footprint.sh
package metricslib
