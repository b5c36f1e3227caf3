//go:build none

// Command none is footprint.sh's baseline: an HTTP server writing one
// counter by hand.
package main

import (
	"fmt"
	"net/http"
	"sync/atomic"
)

func main() {
	var frames atomic.Uint64
	frames.Add(1)
	http.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "# HELP frames_total Frames.\n# TYPE frames_total counter\nframes_total %d\n", frames.Load())
	})
	http.ListenAndServe("127.0.0.1:0", nil)
}
