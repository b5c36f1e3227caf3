package simulator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Mix gives a share (0..1) of the devices each misbehaviour; which devices
// is chosen by Seed (Pick), the same for the same seed.
type Mix struct {
	Seed                     int64
	Quirks                   Quirk
	QuirkShare               float64
	Exceed                   float64
	ExceedEvery, ExceedFor   time.Duration
	Offline                  float64
	OfflineEvery, OfflineFor time.Duration
	Malformed, MalformedRate float64
	WrongPassword, Split     float64
}

// Apply sets the behaviours of devs; a share outside 0..1 is an error
// naming it.
func (m Mix) Apply(devs []Device) error {
	for _, v := range []struct {
		name string
		v    float64
	}{{"quirk-share", m.QuirkShare}, {"exceed", m.Exceed}, {"offline", m.Offline}, {"malformed", m.Malformed},
		{"malformed-rate", m.MalformedRate}, {"wrong-password", m.WrongPassword}, {"split", m.Split}} {
		if v.v < 0 || v.v > 1 {
			return fmt.Errorf("%s %g: want a share between 0 and 1", v.name, v.v)
		}
	}
	for i := range devs {
		b := &devs[i].Behaviour
		if Pick(m.Seed, i, "quirks", m.QuirkShare) {
			b.Quirks = m.Quirks
		}
		if Pick(m.Seed, i, "exceed", m.Exceed) {
			b.ExceedEvery, b.ExceedFor = m.ExceedEvery, m.ExceedFor
		}
		if Pick(m.Seed, i, "offline", m.Offline) {
			b.OfflineEvery, b.OfflineFor = m.OfflineEvery, m.OfflineFor
		}
		if Pick(m.Seed, i, "malformed", m.Malformed) {
			b.Malformed = m.MalformedRate
		}
		b.WrongPassword = Pick(m.Seed, i, "wrong-password", m.WrongPassword)
		b.Split = Pick(m.Seed, i, "split", m.Split)
	}
	return nil
}

// Watch runs s until ctx ends or every device has stopped, writing a line
// of statistics every interval (0: none) and the totals at the end, as
// text or JSON lines.
func (s *Simulator) Watch(ctx context.Context, every time.Duration, w io.Writer, asJSON bool) {
	began := time.Now()
	s.Start(ctx)
	done := make(chan struct{})
	go func() {
		s.Wait()
		close(done)
	}()
	var tick <-chan time.Time
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	var prev Stats
	prevAt := began
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-done:
			break loop
		case now := <-tick:
			st := s.Stats()
			writeStats(w, asJSON, now.Sub(began), s.Now(), st, prev, now.Sub(prevAt), false)
			prev, prevAt = st, now
		}
	}
	s.Stop()
	now := time.Now()
	writeStats(w, asJSON, now.Sub(began), s.Now(), s.Stats(), Stats{}, now.Sub(began), true)
}

// writeStats writes one statistics line: rates over the interval since
// prev, or over the whole run for the final line.
func writeStats(w io.Writer, asJSON bool, elapsed time.Duration, simNow time.Time, st, prev Stats, interval time.Duration, final bool) {
	secs := interval.Seconds()
	if secs <= 0 {
		secs = 1
	}
	ackRate := float64(st.Acked-prev.Acked) / secs
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	if asJSON {
		out := struct {
			Elapsed  string    `json:"elapsed"`
			SimTime  time.Time `json:"sim_time"`
			Final    bool      `json:"final,omitempty"`
			AckPerS  float64   `json:"acked_per_s"`
			P50ms    float64   `json:"latency_p50_ms"`
			P99ms    float64   `json:"latency_p99_ms"`
			Stats    Stats     `json:"stats"`
			TopError []string  `json:"top_error_devices,omitempty"`
		}{elapsed.Round(time.Millisecond).String(), simNow, final, ackRate, ms(st.LatencyP50), ms(st.LatencyP99), st, st.TopErrors(5)}
		out.Stats.Errors = nil
		b, _ := json.Marshal(out)
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	label := "  "
	if final {
		label = "total"
	}
	fmt.Fprintf(w, "%s %6s sim %s  conn %d  sent %d  acked %d (%.0f/s)  retx %d  failed %d  malformed %d  backfill %d  cmds %d  p50 %.1fms p99 %.1fms\n",
		label, elapsed.Round(time.Second), simNow.Format("01-02 15:04"), st.Connected, st.Sent, st.Acked, ackRate,
		st.Retransmitted, st.Failed, st.Malformed, st.Backfilled, st.Commands, ms(st.LatencyP50), ms(st.LatencyP99))
	if final && len(st.Errors) > 0 {
		fmt.Fprintf(w, "devices with errors: %d; most:\n", len(st.Errors))
		for _, mn := range st.TopErrors(5) {
			e := st.Errors[mn]
			fmt.Fprintf(w, "  %s  %d× last: %s\n", mn, e.Count, e.Last)
		}
	}
}
