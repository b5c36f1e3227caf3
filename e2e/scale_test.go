package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/bus"
	"github.com/ecowatch/ecowatch/internal/pgtest"
	"github.com/ecowatch/ecowatch/internal/store"
)

// TestScaleOut runs the scaled-out deployment on this machine: a
// three-node NATS JetStream cluster (in the test process, on loopback
// ports of its own), PostgreSQL, two gateway and two writer processes of
// the built binary, and 2,000 test devices spread over the gateways. In
// turn it kills the NATS node leading the stream, a writer and a gateway
// (each restarted after a while), then lets the writers finish the
// backlog and checks that every upload a gateway acknowledged (9014) is in
// PostgreSQL exactly once with the values sent, and that no accepted raw
// frame was archived twice.
func TestScaleOut(t *testing.T) {
	const (
		devices = 2000
		// Each device waits this long after an acknowledgement before its
		// next upload: it keeps the offered load (≤ 1,000 frames/s)
		// within what the two cores sustain with the race detector on, so
		// that the phases measure failures, not saturation.
		pace = 2 * time.Second
		// A device waits this long for its 9014 before retransmitting on a
		// new connection (HJ 212-2017 §6.2: OverTime).
		overTime = 10 * time.Second
	)
	started := time.Now()
	ctx := context.Background()
	dir := t.TempDir()

	cluster := startNATSCluster(t, 3)
	dsn := pgtest.Database(t, "ecowatch_scale")
	seedRegistry(t, dsn, devices)

	// bus init configures the stream (three replicas); the roles adopt it
	// as they find it, whatever their own flags say.
	busArgs := []string{"--nats", cluster.URLs()}
	out := runCLI(t, append([]string{"bus", "init", "--replicas", "3"}, busArgs...)...)
	t.Logf("bus init: %s", strings.TrimSpace(out))
	t.Logf("setup (3 NATS nodes, database, %d devices registered, stream): %.1f s", devices, time.Since(started).Seconds())

	startGateway := func(name string) *roleProc {
		return startRole(t, name, dir, append([]string{"gateway", "--db", dsn, "--gateway-addr", "127.0.0.1:0",
			"--http-addr", "127.0.0.1:0", "--max-conns-per-ip", "10000", "--log-level", "warn"}, busArgs...)...)
	}
	startWriter := func(name string) *roleProc {
		return startRole(t, name, dir, append([]string{"writer", "--db", dsn, "--id", name,
			"--http-addr", "127.0.0.1:0", "--rollup-every", "5s", "--log-level", "warn"}, busArgs...)...)
	}
	gws := []*roleProc{startGateway("gateway-1"), startGateway("gateway-2")}
	wrs := []*roleProc{startWriter("writer-1"), startWriter("writer-2")}
	// The roles, started without --replicas, left the stream replicated.
	if out := runCLI(t, append([]string{"bus", "status"}, busArgs...)...); !strings.Contains(out, "16 partitions, 3 replicas") {
		t.Errorf("bus status after the roles started: %s", out)
	}
	live := &liveAddrs{}
	for _, g := range gws {
		live.add(g.ready.Gateway)
	}

	stop := make(chan struct{})
	base := time.Date(2026, 9, 1, 0, 0, 0, 0, hj212.CST())
	acks, wg := streamDevices(devices, live.pick, base, overTime, stop, func() { time.Sleep(pace) })
	stopped := false
	defer func() {
		if !stopped {
			close(stop)
			wg.Wait()
		}
	}()

	// Phases: acknowledgements must keep coming in each (generous
	// deadlines: progress is checked, not speed).
	last, lastAt := int64(0), time.Now()
	phase := func(name string) {
		n := acks.count.Load()
		el := time.Since(lastAt)
		backlog, err := busBacklog(busArgs)
		if err != nil {
			backlog = -1
		}
		t.Logf("%-30s %6d acks in %4.1f s (%5.0f/s), %d in all, backlog %d", name+":", n-last, el.Seconds(), float64(n-last)/el.Seconds(), n, backlog)
		last, lastAt = n, time.Now()
	}
	// progress waits for n more acknowledgements. A machine busy with
	// other work makes them slow, not absent: it fails when none comes
	// for 90 s (a stall), or after 20 minutes in all.
	progress := func(what string, n int64) {
		t.Helper()
		target := acks.count.Load() + n
		start := time.Now()
		last, lastAt := acks.count.Load(), start
		for acks.count.Load() < target {
			now := time.Now()
			if c := acks.count.Load(); c != last {
				last, lastAt = c, now
			}
			if now.Sub(lastAt) > 90*time.Second || now.Sub(start) > 20*time.Minute {
				t.Fatalf("%s: only %d of %d acknowledgements after %.0f s (the last %.0f s ago)", what, last, target, now.Sub(start).Seconds(), now.Sub(lastAt).Seconds())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	hold := func(what string, d time.Duration, n int64) {
		t.Helper()
		progress(what, n)
		time.Sleep(d)
	}

	hold("warm-up", time.Second, devices) // every device connected, roughly
	phase("warm-up")

	// 1. The NATS node leading the stream dies: the other two elect a new
	// leader; publishes fail meanwhile, gateways retry them (same
	// Msg-Ids), devices wait or retransmit.
	leader := cluster.streamLeader(bus.DefaultStream)
	if leader < 0 {
		leader = 0
	}
	cluster.stop(leader)
	t.Logf("NATS node %d (stream leader) shut down", leader)
	hold("NATS node down", 3*time.Second, devices)
	phase(fmt.Sprintf("NATS node %d down", leader))
	cluster.restart(t, leader)
	hold("NATS node restarted", time.Second, devices/2)
	phase("NATS node restarted")

	// 2. A writer dies with frames fetched and not acknowledged: its
	// partitions' leases expire (6 s) and the other writer takes
	// them; the stream redelivers the unacknowledged messages after its
	// ack wait, to whichever writer then holds the partition.
	wrs[0].kill()
	hold("writer-1 killed", 6*time.Second, devices)
	wrs[0] = startWriter("writer-1")
	phase("writer-1 down, then restarted")

	// 3. A gateway dies: its devices lose their connections, reconnect to
	// the other gateway and retransmit what was not acknowledged.
	live.remove(gws[0].ready.Gateway)
	gws[0].kill()
	hold("gateway-1 killed", 3*time.Second, devices)
	phase("gateway-1 down")
	gws[0] = startGateway("gateway-1")
	live.add(gws[0].ready.Gateway)
	hold("gateway-1 restarted", time.Second, devices/2)
	phase("gateway-1 restarted")

	close(stop)
	wg.Wait()
	stopped = true
	phase("devices stopped")

	// The writers finish the backlog: the stream is empty (work queue: a
	// message leaves it when a writer acknowledges it after its commit)
	// and the stored count no longer grows.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	count := func(q string) int64 {
		t.Helper()
		var n int64
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	drainStart := time.Now()
	var backlog, stored int64 = -1, -1
	lastLog, lastChange := drainStart, drainStart
	for {
		b, err := busBacklog(busArgs)
		n := count("SELECT count(*) FROM uploads WHERE cn = '2051'")
		if err == nil && b == 0 && n == stored {
			break
		}
		if b != backlog || n != stored {
			lastChange = time.Now()
		}
		if err != nil {
			t.Logf("bus status: %v", err)
		}
		if time.Since(lastLog) >= 5*time.Second {
			t.Logf("draining: %d frames in the stream, %d uploads stored", b, n)
			lastLog = time.Now()
		}
		backlog, stored = b, n
		// Slow on a busy machine, but never stuck: fail when neither
		// the backlog nor the stored count moves for 90 s (more than
		// a writer's longest wait for older deliveries), or after 20
		// minutes in all.
		if time.Since(lastChange) > 90*time.Second || time.Since(drainStart) > 20*time.Minute {
			t.Fatalf("backlog not written: %d frames in the stream, %d uploads stored, no change for %.0f s (%.0f s in all)",
				backlog, stored, time.Since(lastChange).Seconds(), time.Since(drainStart).Seconds())
		}
		time.Sleep(time.Second)
	}
	t.Logf("backlog written in %.1f s", time.Since(drainStart).Seconds())
	// The restarted NATS node has caught up with the stream (logged: how
	// long Raft takes is NATS's business, not ours).
	caughtUp := time.Now()
	for !cluster.streamCurrent(bus.DefaultStream) && time.Since(caughtUp) < 30*time.Second {
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("stream current on all three nodes: %v", cluster.streamCurrent(bus.DefaultStream))

	mark := time.Now()
	for _, p := range append(append([]*roleProc{}, gws...), wrs...) {
		checkOps(t, p)
	}
	// With a token the metrics answer; they show what the failures cost
	// (logged: how many frames a kill catches in flight varies).
	runCLI(t, "users", "add", "--db", dsn, "--role", "machine", "prometheus")
	token := strings.TrimSpace(runCLI(t, "users", "token", "--db", dsn, "prometheus"))
	var published, pubErrors, pubDups, committed, redelivered float64
	for _, p := range append(append([]*roleProc{}, gws...), wrs...) {
		code, body, err := httpStatus("http://"+p.ready.HTTP+"/metrics", token)
		if err != nil || code != http.StatusOK {
			t.Errorf("%s /metrics with a token: %d %v", p.name, code, err)
			continue
		}
		published += metricSum(body, "ecowatch_bus_publish_frames_total")
		pubErrors += metricSum(body, "ecowatch_bus_publish_errors_total")
		pubDups += metricSum(body, "ecowatch_bus_publish_duplicates_total")
		committed += metricSum(body, "ecowatch_writer_frames_total")
		redelivered += metricSum(body, "ecowatch_writer_redeliveries_total")
	}
	t.Logf("metrics of the live roles (since their last start): %.0f frames published, %.0f publish errors, %.0f duplicates; %.0f frames committed, %.0f redelivered",
		published, pubErrors, pubDups, committed, redelivered)
	t.Logf("ops endpoints checked in %.1f s", time.Since(mark).Seconds())
	mark = time.Now()

	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := verifyAcked(t, st, devices, acks)
	acked := int64(len(acks.acked))
	// A device moves to its next upload only once acknowledged, so at
	// most its last one may be stored without an acknowledgement.
	if int64(n) > acked+devices {
		t.Errorf("%d uploads stored, but only %d acknowledged (+ at most one in flight per device, %d)", n, acked, devices)
	}

	// Raw frames: one archived frame per bus message (bus_seq), none twice.
	// Each test frame has a QN of its own (retransmissions get new ones),
	// so an accepted frame archived twice shows as a repeated (MN, QN).
	rawAccepted := count("SELECT count(*) FROM raw_frames WHERE status = 'accepted' AND cn = '2051'")
	withSeq := count("SELECT count(bus_seq) FROM raw_frames WHERE status = 'accepted' AND cn = '2051'")
	dupQN := count("SELECT count(*) FROM (SELECT mn, qn FROM raw_frames WHERE status = 'accepted' GROUP BY mn, qn HAVING count(*) > 1) d")
	dupSeq := count("SELECT count(*) FROM (SELECT bus_seq FROM raw_frames WHERE bus_seq IS NOT NULL GROUP BY bus_seq HAVING count(*) > 1) d")
	if dupQN != 0 || dupSeq != 0 {
		t.Errorf("raw frames archived twice: %d (MN, QN) pairs, %d bus sequences", dupQN, dupSeq)
	}
	if withSeq != rawAccepted {
		t.Errorf("%d of %d accepted raw frames have no bus sequence", rawAccepted-withSeq, rawAccepted)
	}
	// Every stored upload came with an accepted frame; a retransmission
	// of a frame already in the stream is dropped as a duplicate message,
	// so there may be fewer frames than were sent, never fewer than uploads.
	if rawAccepted < int64(n) {
		t.Errorf("%d accepted raw frames for %d stored uploads", rawAccepted, n)
	}

	// Order per device: one writer at a time holds a partition, commits
	// its frames in stream order and hands it over only once the previous
	// owner's messages are back, so each device's frames were archived
	// (raw_frames.id, assigned at insert) in stream order (bus_seq), even
	// across the writer kill.
	outOfOrder := count(`SELECT count(*) FROM (SELECT bus_seq < lag(bus_seq) OVER (PARTITION BY mn ORDER BY id) AS back
		FROM raw_frames WHERE bus_seq IS NOT NULL) x WHERE back`)
	if outOfOrder != 0 {
		t.Errorf("%d raw frames archived before an earlier frame of their device", outOfOrder)
	}

	t.Logf("stored data verified in %.1f s", time.Since(mark).Seconds())
	mark = time.Now()
	for _, p := range append(append([]*roleProc{}, gws...), wrs...) {
		p.terminate(t)
	}
	t.Logf("roles stopped (SIGTERM) in %.1f s", time.Since(mark).Seconds())
	t.Logf("%d devices: %d uploads sent (with retransmissions), %d acknowledged, %d stored, %d accepted raw frames; every acknowledged upload stored exactly once; %.1f s in all",
		devices, acks.sent.Load(), acked, n, rawAccepted, time.Since(started).Seconds())
}

// TestWebRole runs the web role on the PostgreSQL a writer fills: it
// answers the probes and the API, and serves the uploads the writer
// committed (from frames a gateway published to the bus).
func TestWebRole(t *testing.T) {
	const devices = 4
	dir := t.TempDir()
	cluster := startNATSCluster(t, 1)
	dsn := pgtest.Database(t, "ecowatch_web")
	seedRegistry(t, dsn, devices)
	busArgs := []string{"--nats", cluster.URLs()}
	runCLI(t, append([]string{"bus", "init"}, busArgs...)...)
	gw := startRole(t, "gateway", dir, append([]string{"gateway", "--db", dsn, "--gateway-addr", "127.0.0.1:0",
		"--http-addr", "127.0.0.1:0", "--log-level", "warn"}, busArgs...)...)
	wr := startRole(t, "writer", dir, append([]string{"writer", "--db", dsn, "--id", "w",
		"--http-addr", "127.0.0.1:0", "--log-level", "warn"}, busArgs...)...)

	stop := make(chan struct{})
	base := time.Now().Add(-3 * time.Hour).Truncate(time.Hour)
	acks, wg := streamDevices(devices, func() string { return gw.ready.Gateway }, base, 10*time.Second, stop, nil)
	waitUntil(t, 60*time.Second, "40 acknowledged uploads", func() bool { return acks.count.Load() >= 40 })
	close(stop)
	wg.Wait()
	waitUntil(t, 60*time.Second, "an empty stream", func() bool {
		b, err := busBacklog(busArgs)
		return err == nil && b == 0
	})

	web := startRole(t, "web", dir, "web", "--db", dsn, "--http-addr", "127.0.0.1:0", "--data-dir", dir+"/web", "--log-level", "warn")
	checkOps(t, web)
	baseURL := "http://" + web.ready.HTTP
	if code, body, err := httpStatus(baseURL+"/api/v1/health", ""); err != nil || code != http.StatusOK {
		t.Errorf("/api/v1/health: %d %s %v", code, body, err)
	}

	runCLI(t, "users", "add", "--db", dsn, "--role", "machine", "reader")
	token := strings.TrimSpace(runCLI(t, "users", "token", "--db", dsn, "reader"))

	// The machine token reads the metrics of every role.
	for _, c := range []struct {
		p    *roleProc
		want string
	}{{gw, "ecowatch_bus_publish"}, {wr, "ecowatch_writer_"}, {web, "ecowatch_"}} {
		code, body, err := httpStatus("http://"+c.p.ready.HTTP+"/metrics", token)
		if err != nil || code != http.StatusOK || !strings.Contains(body, c.want) {
			t.Errorf("%s /metrics with a token: %d, %v, has %q: %v", c.p.name, code, err, c.want, strings.Contains(body, c.want))
		}
	}

	// Device 1's minute data through the API are the acknowledged uploads.
	q := url.Values{"mn": {deviceMN(1)}, "period": {"min"}, "factor": {"a21026"},
		"from": {base.Add(-time.Minute).Format(time.RFC3339)}, "to": {base.Add(2 * time.Hour).Format(time.RFC3339)}}
	code, body, err := httpStatus(baseURL+"/api/v1/measurements?"+q.Encode(), token)
	if err != nil || code != http.StatusOK {
		t.Fatalf("/api/v1/measurements: %d %s %v", code, body, err)
	}
	var m struct {
		Series []struct {
			MN, Factor string
			Points     []struct {
				Time   time.Time
				Fields map[string]string
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("/api/v1/measurements: %v: %s", err, body)
	}
	got := map[time.Time]string{}
	for _, s := range m.Series {
		if s.MN == deviceMN(1) && s.Factor == "a21026" {
			for _, p := range s.Points {
				got[p.Time.UTC()] = p.Fields["Avg"]
			}
		}
	}
	acks.mu.Lock()
	defer acks.mu.Unlock()
	want := 0
	for k, vals := range acks.acked {
		if k.dev != 1 {
			continue
		}
		want++
		avg, ok := got[k.t]
		if !ok {
			t.Errorf("acknowledged upload of device 1 at %s missing from the API", k.t)
		} else if !strings.Contains(vals, "a21026-Avg="+avg+";") {
			t.Errorf("device 1 at %s: API has a21026 Avg %s, acknowledged %s", k.t, avg, vals)
		}
	}
	if want == 0 || len(got) > want+1 {
		t.Errorf("API returned %d minutes of device 1, %d were acknowledged", len(got), want)
	}
	t.Logf("web role served %d minutes of device 1 (%d acknowledged), %d acknowledged in all", len(got), want, acks.count.Load())
	web.terminate(t)
	gw.terminate(t)
	wr.terminate(t)
}
