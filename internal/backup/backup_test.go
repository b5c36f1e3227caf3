package backup_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/app"
	"github.com/ecowatch/ecowatch/internal/backup"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

func mn(i int) string { return fmt.Sprintf("BKP0A890%016d", i) }

func registry(n int) *model.Registry {
	r := &model.Registry{
		Counties:    []model.County{{Code: "371502", Name: "东昌府区", NameEN: "Dongchangfu"}},
		Enterprises: []model.Enterprise{{USCC: "91371500MA3C000001", Name: "测试热电有限公司", County: "371502", Industry: "热电"}},
	}
	for i := range n {
		oid := fmt.Sprintf("91371500MA3C000001-DA%03d", i)
		r.Outlets = append(r.Outlets, model.Outlet{ID: oid, Enterprise: "91371500MA3C000001", Name: fmt.Sprintf("%d号排口", i), Kind: model.OutletAir})
		r.Devices = append(r.Devices, model.Device{MN: mn(i), Password: "123456", Protocol: "2017", Outlet: oid, ST: "31"})
	}
	return r
}

// acked is what the devices had acknowledged, with the time of each ack.
type acked struct {
	mu   sync.Mutex
	at   map[string]time.Time // "MN DataTime" → when the 9014 arrived
	n    atomic.Int64
	errs atomic.Int64
}

func (a *acked) before(t time.Time) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var ks []string
	for k, at := range a.at {
		if at.Before(t) {
			ks = append(ks, k)
		}
	}
	return ks
}

func (a *acked) between(from, to time.Time) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, at := range a.at {
		if !at.Before(from) && at.Before(to) {
			n++
		}
	}
	return n
}

// stream runs n devices sending minute data one frame at a time, each
// waiting for its 9014, until stop closes.
func stream(t *testing.T, addr string, n int, stop <-chan struct{}) (*acked, *sync.WaitGroup) {
	a := &acked{at: map[string]time.Time{}}
	var wg sync.WaitGroup
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, hj212.CST())
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			rd := bufio.NewReader(c)
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				dt := base.Add(time.Duration(k) * time.Minute)
				qn := fmt.Sprintf("20261101%09d", k)
				m := hj212.Message{QN: qn, ST: "31", CN: "2051", PW: "123456", MN: mn(i), Flag: 5,
					CP: []hj212.KV{{Key: "DataTime", Value: string(hj212.FormatTime(nil, dt))}, {Key: "a21026-Avg", Value: fmt.Sprintf("%d.5", k)}}}
				c.SetDeadline(time.Now().Add(30 * time.Second))
				if _, err := c.Write(m.AppendFrame(nil)); err != nil {
					a.errs.Add(1)
					return
				}
				for {
					line, err := rd.ReadBytes('\n')
					if err != nil {
						a.errs.Add(1)
						return
					}
					var f hj212.Frame
					if hj212.Decode(bytes.TrimRight(line, "\r\n"), &f, hj212.Options{}) == nil && string(f.CN) == "9014" && string(f.QN) == qn {
						break
					}
				}
				a.mu.Lock()
				a.at[mn(i)+" "+dt.UTC().Format(time.RFC3339)] = time.Now()
				a.mu.Unlock()
				a.n.Add(1)
			}
		}()
	}
	return a, &wg
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	// Progress, not a deadline sized for a quiet machine: the devices
	// ack in milliseconds when the machine is idle.
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no progress waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var png = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 600)...)

// TestBackupWhileIngesting takes a backup of a running ecowatch while
// devices stream data through the gateway, then restores it: the devices
// keep being acknowledged during the backup; the backup verifies; the
// restored store holds every upload acknowledged before the backup began,
// the ledger with its head, and the evidence files.
func TestBackupWhileIngesting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	dsn := storetest.SQLiteDSN(data)
	os.MkdirAll(data, 0o750)
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const devices = 8
	if err := st.ImportRegistry(ctx, registry(devices)); err != nil {
		t.Fatal(err)
	}
	// A ledger and evidence before the system starts.
	seedLedger(t, st, 20)
	cs := &casesvc.Service{St: st, DataDir: data}
	var sums []string
	for i := range 3 {
		a, err := cs.PutEvidence(ctx, bytes.NewReader(append(png, byte(i))), fmt.Sprintf("photo%d.png", i), "tester")
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, a.Hash)
	}
	st.Close()

	gc := gateway.DefaultConfig()
	gc.Addr, gc.BackfillWindow = "127.0.0.1:0", -1
	a, err := app.Start(ctx, app.Config{DSN: dsn, DataDir: data, Gateway: gc, DisableAlerts: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		a.Shutdown(c)
	}()
	stop := make(chan struct{})
	acks, wg := stream(t, a.Gateway.Addr().String(), devices, stop)
	defer func() { close(stop); wg.Wait() }()
	waitFor(t, "500 acknowledged uploads", func() bool { return acks.n.Load() >= 500 })

	out := filepath.Join(dir, "backups", "b1")
	os.MkdirAll(filepath.Dir(out), 0o750)
	began := time.Now()
	m, err := backup.Create(ctx, backup.Options{DataDir: data, Out: out, Binary: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ended := time.Now()
	during := acks.between(began, ended)
	// Ingestion went on: more acks arrive after the backup too.
	after := acks.n.Load()
	waitFor(t, "acknowledgements after the backup", func() bool { return acks.n.Load() > after+50 })
	t.Logf("backup: %d rows, %d bytes, %.3f s; %d uploads acknowledged while it ran", m.Rows(), m.Bytes(), m.Seconds, during)

	if m.IntegrityCheck != "ok" || m.Ledger.Entries == 0 || len(m.Evidence) != 3 || m.SchemaVersion != store.LatestSchemaVersion() {
		t.Fatalf("manifest: %+v", m)
	}
	if m.Tables["uploads"] < int64(len(acks.before(began))) {
		t.Fatalf("backup holds %d uploads, %d were acknowledged before it began", m.Tables["uploads"], len(acks.before(began)))
	}
	if _, err := backup.Verify(ctx, out); err != nil {
		t.Fatal(err)
	}

	// Restore into a fresh data directory.
	target := filepath.Join(dir, "restored")
	if _, err := backup.Restore(ctx, backup.RestoreOptions{From: out, DataDir: target}); err != nil {
		t.Fatal(err)
	}
	rst, err := store.Open(ctx, storetest.SQLiteDSN(target), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rst.Close()
	ups, err := rst.Uploads(ctx, store.UploadQuery{CN: "2051", Limit: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, u := range ups {
		have[u.MN+" "+u.DataTime.UTC().Format(time.RFC3339)] = true
	}
	lost := 0
	for _, k := range acks.before(began) {
		if !have[k] {
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d uploads acknowledged before the backup began are not in the restored store", lost)
	}
	n, head, err := rst.RightsHead(ctx)
	if err != nil || n != m.Ledger.Entries || head.String() != m.Ledger.Head {
		t.Fatalf("restored ledger head %d %s (%v), manifest %d %s", n, head, err, m.Ledger.Entries, m.Ledger.Head)
	}
	rcs := &casesvc.Service{St: rst, DataDir: target}
	for _, s := range sums {
		f, _, err := rcs.OpenEvidence(ctx, s)
		if err != nil {
			t.Fatalf("restored evidence %s: %v", s, err)
		}
		f.Close()
	}
}

// seedLedger applies to st's emission-rights ledger its configuration
// (NOx at 6,000 yuan a tonne-year) and n paid permits of 1 t/a each: the
// ledger whose hash chain a backup or a dump must carry over.
func seedLedger(t *testing.T, st store.Store, n int) {
	t.Helper()
	ctx := context.Background()
	rs, err := rightsvc.Open(ctx, st, rightsvc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	if _, err := rs.Apply(ctx, rights.Configure{Meta: rights.Meta{Key: "cfg", Actor: "city"},
		Pollutants: []rights.Pollutant{{Code: "NOx", Name: "氮氧化物", Medium: "air"}},
		Prices:     []rights.Price{{Pollutant: "NOx", FenPerTonneYear: 600_000}}}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := rs.Apply(ctx, rights.AllocatePermit{Meta: rights.Meta{Key: fmt.Sprintf("p%d", i)}, Permit: fmt.Sprintf("PW%d", i),
			Enterprise: fmt.Sprintf("913715000000%06d", i), County: "371502", Pollutant: "NOx", Quantity: 1_000_000,
			ValidFrom: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Paid: true}); err != nil {
			t.Fatal(err)
		}
	}
}

// seedStore makes a small store with evidence in a data directory.
func seedStore(t *testing.T, data string) {
	t.Helper()
	ctx := context.Background()
	os.MkdirAll(data, 0o750)
	st, err := store.Open(ctx, storetest.SQLiteDSN(data), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.ImportRegistry(ctx, registry(2)); err != nil {
		t.Fatal(err)
	}
	cs := &casesvc.Service{St: st, DataDir: data}
	if _, err := cs.PutEvidence(ctx, bytes.NewReader(png), "a.png", "tester"); err != nil {
		t.Fatal(err)
	}
}

// TestRestoreRefusals: an existing store is not replaced without Force, a
// store in use not even with it; with Force the old files are kept aside.
func TestRestoreRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	seedStore(t, data)
	out := filepath.Join(dir, "b")
	if _, err := backup.Create(ctx, backup.Options{DataDir: data, Out: out}); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Create(ctx, backup.Options{DataDir: data, Out: out}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("a second backup into the same directory: %v", err)
	}
	target := filepath.Join(dir, "live")
	seedStore(t, target)
	if _, err := backup.Restore(ctx, backup.RestoreOptions{From: out, DataDir: target}); !errors.Is(err, backup.ErrExists) {
		t.Fatalf("restore over a store without force: %v", err)
	}
	live, err := store.Open(ctx, storetest.SQLiteDSN(target), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = backup.Restore(ctx, backup.RestoreOptions{From: out, DataDir: target, Force: true})
	live.Close()
	if !errors.Is(err, backup.ErrInUse) {
		t.Fatalf("restore over a store in use: %v", err)
	}
	now := time.Date(2026, 12, 6, 1, 2, 3, 0, time.UTC)
	if _, err := backup.Restore(ctx, backup.RestoreOptions{From: out, DataDir: target, Force: true, Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(target, "ecowatch.db.before-restore-20261206T010203Z")); err != nil {
		t.Fatalf("the replaced store is not kept: %v", err)
	}
}

// TestVerifyDetectsDamage: a changed byte in the database or an evidence
// file, or a manifest that lies about the row counts, fails Verify and
// Restore with the file named.
func TestVerifyDetectsDamage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	seedStore(t, data)
	out := filepath.Join(dir, "b")
	m, err := backup.Create(ctx, backup.Options{DataDir: data, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	ev := filepath.Join(out, filepath.FromSlash(m.Evidence[0].Path))
	b, _ := os.ReadFile(ev)
	b[len(b)-1] ^= 1
	os.WriteFile(ev, b, 0o600)
	if _, err := backup.Verify(ctx, out); err == nil || !strings.Contains(err.Error(), m.Evidence[0].Path) {
		t.Fatalf("damaged evidence: %v", err)
	}
	if _, err := backup.Restore(ctx, backup.RestoreOptions{From: out, DataDir: filepath.Join(dir, "r")}); err == nil {
		t.Fatal("restore of a damaged backup succeeded")
	}
	b[len(b)-1] ^= 1
	os.WriteFile(ev, b, 0o600)
	if _, err := backup.Verify(ctx, out); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(out, backup.DBName)
	b, _ = os.ReadFile(db)
	b[len(b)/2] ^= 0xff
	os.WriteFile(db, b, 0o600)
	if _, err := backup.Verify(ctx, out); err == nil || !strings.Contains(err.Error(), backup.DBName) {
		t.Fatalf("damaged database: %v", err)
	}
}

// TestMissingEvidence: a store that names an evidence file the data
// directory lacks still gets a complete backup, which names the file.
func TestMissingEvidence(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	seedStore(t, data)
	os.RemoveAll(filepath.Join(data, "evidence"))
	out := filepath.Join(dir, "b")
	m, err := backup.Create(ctx, backup.Options{DataDir: data, Out: out})
	if !errors.Is(err, backup.ErrMissingEvidence) || m == nil || len(m.MissingEvidence) != 1 {
		t.Fatalf("err %v, manifest %+v", err, m)
	}
	if _, err := backup.Verify(ctx, out); err != nil {
		t.Fatal(err)
	}
}

// TestScheduleKeeps: scheduled backups are pruned to the newest Keep.
func TestScheduleKeeps(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	seedStore(t, data)
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	s := backup.Schedule{Dir: filepath.Join(dir, "backups"), Keep: 2, Options: backup.Options{DataDir: data},
		Now: func() time.Time { now = now.Add(time.Hour); return now }}
	var made []string
	for range 4 {
		out, err := s.Once(ctx)
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, out)
	}
	des, _ := os.ReadDir(s.Dir)
	var got []string
	for _, de := range des {
		got = append(got, filepath.Join(s.Dir, de.Name()))
	}
	if fmt.Sprint(got) != fmt.Sprint(made[2:]) {
		t.Fatalf("kept %v, want %v", got, made[2:])
	}
}

// TestServeSchedulesBackups: the wiring of serve --backup-dir: a running
// app takes backups on its schedule and keeps the newest Keep.
func TestServeSchedulesBackups(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	seedStore(t, data)
	bdir := filepath.Join(dir, "backups")
	gc := gateway.DefaultConfig()
	gc.Addr = "127.0.0.1:0"
	a, err := app.Start(ctx, app.Config{DataDir: data, Gateway: gc, DisableAlerts: true,
		Backup: &backup.Schedule{Dir: bdir, Every: 20 * time.Millisecond, Keep: 2}})
	if err != nil {
		t.Fatal(err)
	}
	// Names have a resolution of one second: more than Keep names seen
	// over time and Keep complete now shows the pruning.
	seen := map[string]bool{}
	var complete []string
	waitFor(t, "a third scheduled backup and the pruning", func() bool {
		des, _ := os.ReadDir(bdir)
		complete = complete[:0]
		for _, de := range des {
			if strings.HasSuffix(de.Name(), ".partial") {
				continue // being written (its manifest is read back before the rename)
			}
			if _, err := os.Stat(filepath.Join(bdir, de.Name(), backup.ManifestName)); err == nil {
				complete = append(complete, de.Name())
				seen[de.Name()] = true
			}
		}
		return len(seen) > 2 && len(complete) == 2
	})
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := a.Shutdown(c); err != nil {
		t.Fatal(err)
	}
	// Stopped: what is left is at most Keep complete backups, all verified.
	des, _ := os.ReadDir(bdir)
	kept := 0
	for _, de := range des {
		if strings.HasSuffix(de.Name(), ".partial") {
			t.Errorf("an unfinished backup %s is left after shutdown", de.Name())
			continue
		}
		kept++
		if _, err := backup.Verify(ctx, filepath.Join(bdir, de.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if kept > 2 {
		t.Fatalf("%d backups kept, want at most 2", kept)
	}
}
