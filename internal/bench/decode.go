package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/simulator"
)

// DecodeConfig configures Decode (`ecowatch bench decode`).
type DecodeConfig struct {
	Duration time.Duration
	JSON     bool
}

// Decode reports the HJ 212 decode rate of a typical 2051 frame.

func Decode(cfg DecodeConfig, stdout io.Writer) error {
	devs := simulator.Generate(1, simulator.GenerateOptions{Kind: simulator.KindAir})
	sim, err := simulator.New(simulator.Config{Addr: "127.0.0.1:1", Devices: devs})
	if err != nil {
		return err
	}
	at := time.Date(2025, 3, 12, 9, 0, 0, 0, hj212.CST())
	frame := sim.AppendUpload(nil, 0, "2051", at, at)
	var f hj212.Frame
	opts := hj212.Options{Mode: hj212.Tolerant}
	if err := hj212.Decode(frame, &f, opts); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	n := 0
	start := time.Now()
	for time.Since(start) < cfg.Duration {
		for range 1000 {
			if err := hj212.Decode(frame, &f, opts); err != nil {
				return err
			}
		}
		n += 1000
	}
	el := time.Since(start)
	runtime.ReadMemStats(&ms1)
	rate := float64(n) / el.Seconds()
	allocs := float64(ms1.Mallocs-ms0.Mallocs) / float64(n)
	if cfg.JSON {
		return json.NewEncoder(stdout).Encode(map[string]any{"frame_bytes": len(frame), "frames_per_s": rate, "mb_per_s": rate * float64(len(frame)) / 1e6, "ns_per_frame": 1e9 / rate, "allocs_per_frame": allocs, "cp_items": len(f.CP)})
	}
	w := bufio.NewWriter(stdout)
	fmt.Fprintf(w, "frame: %d bytes, %d CP items\n%.0f frames/s (%.0f ns/frame), %.1f MB/s, %.2f allocs/frame (one goroutine)\n",
		len(frame), len(f.CP), rate, 1e9/rate, rate*float64(len(frame))/1e6, allocs)
	return w.Flush()
}
