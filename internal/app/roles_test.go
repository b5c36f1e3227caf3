package app

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/bus"
	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

const testMN = "ROLE0A890000000000000001"

func testRegistry() *model.Registry {
	return &model.Registry{
		Counties:    []model.County{{Code: "371502", Name: "东昌府区", NameEN: "Dongchangfu"}},
		Enterprises: []model.Enterprise{{USCC: "91371500MA3C000001", Name: "测试热电有限公司", County: "371502", Industry: "热电"}},
		Outlets:     []model.Outlet{{ID: "91371500MA3C000001-DA001", Enterprise: "91371500MA3C000001", Name: "1号排口", Kind: model.OutletAir}},
		Devices:     []model.Device{{MN: testMN, Password: "123456", Protocol: "2017", Outlet: "91371500MA3C000001-DA001", ST: "31"}},
	}
}

// seed imports the test registry into the store at dsn, for a role or
// app that opens the store itself.
func seed(t *testing.T, dsn string) { storetest.Seed(t, dsn, testRegistry()) }

// seededStore is the store at dsn with the test registry imported, open
// until t ends, for a test that reads what the roles wrote.
func seededStore(t *testing.T, dsn string) store.Store {
	t.Helper()
	st := storetest.OpenDSN(t, dsn)
	storetest.Import(t, st, testRegistry())
	return st
}

// embeddedBus starts a JetStream server of its own for t and returns the
// roles' configuration for it and its shutdown (for a test of a bus
// going away; it is shut down anyway when t ends, after the roles the
// test shut down).
func embeddedBus(t *testing.T, partitions int) (bus.Config, func()) {
	t.Helper()
	srv, err := bus.StartEmbedded(bus.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return bus.Config{URL: srv.ClientURL(), Partitions: partitions}, srv.Shutdown
}

// testGateway is a gateway on a free local port that flushes its batches
// quickly, so an upload is acknowledged without waiting.
func testGateway() gateway.Config {
	gc := gateway.DefaultConfig()
	gc.Addr = "127.0.0.1:0"
	gc.BatchInterval = 5 * time.Millisecond
	return gc
}

func TestRoles(t *testing.T) { storetest.Each(t, testRoles) }

// testRoles runs a gateway role and a writer role on one embedded
// JetStream server: a device's upload is acknowledged and lands in the
// store through the bus, and both roles answer their probes and guard
// their metrics.
func testRoles(t *testing.T, backend storetest.Backend) {
	ctx := context.Background()
	dsn := storetest.DSN(t, backend)
	st := seededStore(t, dsn)
	// A machine account with a token for the metrics.
	if err := st.PutUser(ctx, model.User{ID: "prometheus", Name: "Prometheus", Role: model.RoleMachine, CreatedAt: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	token, err := auth.New(st, auth.Options{}).NewToken(ctx, "prometheus", "scrape", time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	bc, stopBus := embeddedBus(t, 4)

	ready := filepath.Join(t.TempDir(), "writer.json")
	w, err := StartWriterRole(ctx, WriterRoleConfig{DSN: dsn, Bus: bc, OpsAddr: "127.0.0.1:0", ReadyFile: ready,
		Writer: bus.WriterConfig{ID: "w1", MaxWait: 20 * time.Millisecond, LeaseTTL: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown(ctx)
	if b, err := os.ReadFile(ready); err != nil || !strings.Contains(string(b), `"http":"`+w.OpsAddr()+`"`) {
		t.Errorf("writer ready file %s (%v)", b, err)
	}
	g, err := StartGatewayRole(ctx, GatewayRoleConfig{DSN: dsn, Bus: bc, Gateway: testGateway(), OpsAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Shutdown(ctx)

	// The device's upload is acknowledged (9014) once the stream holds it.
	dt := time.Date(2026, 12, 1, 10, 0, 0, 0, hj212.CST())
	sendAndWaitAck(t, g.Addr(), dt)
	var ups []model.Upload
	deadline := time.Now().Add(30 * time.Second)
	for len(ups) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the acknowledged upload never reached the store")
		}
		time.Sleep(20 * time.Millisecond)
		if ups, err = st.Uploads(ctx, store.UploadQuery{MNs: []string{testMN}}); err != nil {
			t.Fatal(err)
		}
	}
	if len(ups) != 1 || !ups[0].DataTime.Equal(dt) || ups[0].CN != "2051" {
		t.Fatalf("stored %+v", ups)
	}
	raws, err := st.RawFrames(ctx, store.RawQuery{MN: testMN})
	if err != nil {
		t.Fatal(err)
	}
	if len(raws) != 1 || raws[0].Status != model.RawAccepted || raws[0].BusSeq == 0 {
		t.Errorf("raw frames %+v: want one accepted, carried by the bus", raws)
	}

	for _, role := range []struct {
		name, addr string
		metrics    []string
	}{
		{"gateway", g.OpsAddr(), []string{"# TYPE ecowatch_gateway_acks_sent_total counter\necowatch_gateway_acks_sent_total 1\n",
			"ecowatch_gateway_frames_received_total 1\n", "ecowatch_bus_publish_frames_total 1\n", "# TYPE ecowatch_bus_publish_seconds histogram\n"}},
		{"writer", w.OpsAddr(), []string{"# TYPE ecowatch_writer_frames_total counter\necowatch_writer_frames_total 1\n",
			"# TYPE ecowatch_writer_partitions_owned gauge\n", "# TYPE ecowatch_rollup_hours_total counter\n", "# TYPE ecowatch_writer_commit_seconds histogram\n"}},
	} {
		base := "http://" + role.addr
		if code, _ := get(t, base+"/healthz", ""); code != 200 {
			t.Errorf("%s /healthz %d", role.name, code)
		}
		waitFor(t, role.name+" /readyz", func() bool { code, _ := get(t, base+"/readyz", ""); return code == 200 })
		if code, _ := get(t, base+"/metrics", ""); code != 401 {
			t.Errorf("%s /metrics without a token: %d, want 401", role.name, code)
		}
		if code, _ := get(t, base+"/metrics", "ewt_not_a_token"); code != 401 {
			t.Errorf("%s /metrics with a bad token: %d, want 401", role.name, code)
		}
		// The writer counts its commit just after the store has it.
		var code int
		var body string
		waitFor(t, role.name+" /metrics", func() bool {
			code, body = get(t, base+"/metrics", token)
			return code == 200 && strings.Contains(body, role.metrics[0])
		})
		for _, want := range role.metrics {
			if !strings.Contains(body, want) {
				t.Errorf("%s /metrics with a token: %d, want 200 with %q:\n%.3000s", role.name, code, want, body)
			}
		}
	}

	// A writer whose bus is gone is not ready (and says why).
	stopBus()
	waitFor(t, "writer /readyz 503 once the bus is down", func() bool {
		code, body := get(t, "http://"+w.OpsAddr()+"/readyz", "")
		return code == 503 && strings.Contains(body, "bus")
	})
}

func TestWebRoleProbes(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, storetest.SQLite)
	a, err := Start(ctx, Config{DSN: dsn, DataDir: t.TempDir(), DisableGateway: true, HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(ctx)
	if a.Gateway != nil || a.GatewayAddr() != "" {
		t.Errorf("web role runs a gateway at %q", a.GatewayAddr())
	}
	if a.Alerts == nil {
		t.Error("web role runs no alert rules")
	}
	base := "http://" + a.HTTPAddr()
	for _, p := range []string{"/healthz", "/readyz", "/api/v1/health"} {
		if code, body := get(t, base+p, ""); code != 200 {
			t.Errorf("%s: %d %s", p, code, body)
		}
	}
	if code, _ := get(t, base+"/metrics", ""); code != 401 {
		t.Errorf("/metrics without a token: %d, want 401", code)
	}
}

func sendAndWaitAck(t *testing.T, addr string, dt time.Time) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	m := hj212.Message{QN: "20261201100000001", ST: "31", CN: "2051", PW: "123456", MN: testMN, Flag: 5,
		CP: []hj212.KV{{Key: "DataTime", Value: string(hj212.FormatTime(nil, dt))}, {Key: "a21026-Avg", Value: "12.5"}, {Key: "a21026-Flag", Value: "N"}}}
	if _, err := c.Write(m.AppendFrame(nil)); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(c)
	for {
		line, err := rd.ReadBytes('\n')
		if err != nil {
			t.Fatalf("no 9014: %v", err)
		}
		var f hj212.Frame
		if err := hj212.Decode(bytes.TrimRight(line, "\r\n"), &f, hj212.Options{}); err != nil {
			t.Fatalf("reply %q: %v", line, err)
		}
		if string(f.CN) == "9014" && string(f.QN) == m.QN {
			return
		}
	}
}

func get(t *testing.T, u, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serve --bus embedded: one process with the gateway, an embedded
// JetStream server and a writer; the alert rules see the writer's commits.
func TestServeWithEmbeddedBus(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dsn := storetest.DSN(t, storetest.SQLite)
	seed(t, dsn)
	a, err := Start(ctx, Config{DSN: dsn, DataDir: dir, Gateway: testGateway(), Bus: &bus.Config{Partitions: 2}, BusDir: filepath.Join(dir, "nats")})
	if err != nil {
		t.Fatal(err)
	}
	dt := time.Date(2026, 12, 1, 10, 0, 0, 0, hj212.CST())
	sendAndWaitAck(t, a.GatewayAddr(), dt)
	// Shutdown waits for the stream's backlog to be written.
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if a.Alerts.Stats().Batches == 0 {
		t.Error("the alert rules saw no committed batch")
	}
	st := storetest.OpenDSN(t, dsn)
	raws, err := st.RawFrames(ctx, store.RawQuery{MN: testMN})
	if err != nil {
		t.Fatal(err)
	}
	ups, err := st.Uploads(ctx, store.UploadQuery{MNs: []string{testMN}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 1 || len(raws) != 1 || raws[0].BusSeq == 0 {
		t.Fatalf("stored uploads %+v, raw frames %+v: want one of each, through the bus", ups, raws)
	}
}

// The writer applies the retention: minute data, raw frames and roll-ups
// older than their bounds go, recent ones stay.
func TestWriterRetention(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, storetest.SQLite)
	st := seededStore(t, dsn)
	old, recent := time.Now().AddDate(-2, 0, 0), time.Now().Add(-time.Hour)
	var b store.Batch
	for _, at := range []time.Time{old, recent} {
		b.Uploads = append(b.Uploads, model.Upload{MN: testMN, CN: "2051", DataTime: at.Truncate(time.Minute),
			Values: []model.Value{{Factor: "a21026", Field: "Avg", Value: "1"}}})
		b.Raw = append(b.Raw, model.RawFrame{ReceivedAt: at, Remote: "10.0.0.1:1", MN: testMN, CN: "2051", Status: model.RawAccepted, Raw: []byte("##0000")})
	}
	if err := st.CommitBatch(ctx, &b); err != nil {
		t.Fatal(err)
	}
	bus1, _ := embeddedBus(t, 1)
	w, err := StartWriterRole(ctx, WriterRoleConfig{DSN: dsn, Bus: bus1,
		Writer: bus.WriterConfig{ID: "w"}, RollupEvery: -1, Retention: 365 * 24 * time.Hour, RawRetention: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown(ctx)
	waitFor(t, "the old upload and raw frame purged", func() bool {
		ups, err1 := st.Uploads(ctx, store.UploadQuery{MNs: []string{testMN}})
		raws, err2 := st.RawFrames(ctx, store.RawQuery{MN: testMN})
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if len(ups) == 0 || len(raws) == 0 {
			t.Fatalf("recent data purged too: %d uploads, %d raw frames", len(ups), len(raws))
		}
		return len(ups) == 1 && len(raws) == 1
	})
}

// The web role's alert rules follow the writers' committed feed: the
// acknowledged upload reaches them as a batch, not by polling.
func TestWebRoleFollowsCommittedFeed(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, storetest.SQLite)
	seed(t, dsn)
	bc, _ := embeddedBus(t, 2)
	web, err := Start(ctx, Config{DSN: dsn, DataDir: t.TempDir(), DisableGateway: true, Bus: &bc})
	if err != nil {
		t.Fatal(err)
	}
	defer web.Shutdown(ctx)
	w, err := StartWriterRole(ctx, WriterRoleConfig{DSN: dsn, Bus: bc, RollupEvery: -1,
		Writer: bus.WriterConfig{ID: "w1", MaxWait: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown(ctx)
	g, err := StartGatewayRole(ctx, GatewayRoleConfig{DSN: dsn, Bus: bc, Gateway: testGateway()})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Shutdown(ctx)
	sendAndWaitAck(t, g.Addr(), time.Now().Truncate(time.Minute).Add(-time.Minute))
	waitFor(t, "the web role's alert rules to receive the committed batch", func() bool {
		return web.Alerts.Stats().Batches >= 1
	})
}

// web --db-read: the monitoring reads go to the replica, the rest to the
// primary.
func TestReadReplica(t *testing.T) {
	ctx := context.Background()
	primary, replica := storetest.DSN(t, storetest.SQLite), storetest.DSN(t, storetest.SQLite)
	for _, dsn := range []string{primary, replica} {
		st, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.ImportRegistry(ctx, testRegistry()); err != nil {
			t.Fatal(err)
		}
		if dsn == replica {
			// Only the replica has this upload (as if the primary's copy
			// were not needed: the point is where the read goes).
			if err := st.CommitBatch(ctx, &store.Batch{Uploads: []model.Upload{{MN: testMN, CN: "2051",
				DataTime: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC), Values: []model.Value{{Factor: "a21026", Field: "Avg", Value: "3"}}}}}); err != nil {
				t.Fatal(err)
			}
		}
		st.Close()
	}
	a, err := Start(ctx, Config{DSN: primary, ReadDSN: replica, DataDir: t.TempDir(), DisableGateway: true, DisableAlerts: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(ctx)
	ups, err := a.Store.Uploads(ctx, store.UploadQuery{MNs: []string{testMN}})
	if err != nil || len(ups) != 1 {
		t.Fatalf("uploads through the web role's store: %v, %v; want the replica's one", ups, err)
	}
	// Writes go to the primary.
	if err := a.Store.CommitBatch(ctx, &store.Batch{Contacts: []model.Contact{{MN: testMN, At: time.Now(), Remote: "x", CN: "2051"}}}); err != nil {
		t.Fatal(err)
	}
	pst, err := store.Open(ctx, primary, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pst.Close()
	if cs, err := pst.Contacts(ctx); err != nil || len(cs) != 1 {
		t.Errorf("primary contacts %v, %v: the write did not reach the primary", cs, err)
	}
}
