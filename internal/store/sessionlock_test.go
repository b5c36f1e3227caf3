package store

import (
	"context"
	"testing"
	"time"
)

// TestPostgresSessionLock: one session at a time holds a name (across
// two stores, as two processes), Release lets the next take it, and a
// session the server ends (as when its process dies) closes Lost and
// frees the lock. The SQLite store has no session locks (one process).
func TestPostgresSessionLock(t *testing.T) {
	ctx := context.Background()
	dsn := pgDSN(t)
	open := func() SessionLocker {
		st, err := Open(ctx, dsn, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		l, ok := st.(SessionLocker)
		if !ok {
			t.Fatal("the PostgreSQL store is not a SessionLocker")
		}
		return l
	}
	a, b := open(), open()
	la, ok, err := a.TrySessionLock(ctx, "forward")
	if err != nil || !ok {
		t.Fatalf("first lock: ok=%v err=%v", ok, err)
	}
	if _, ok, err := b.TrySessionLock(ctx, "forward"); err != nil || ok {
		t.Fatalf("second holder of the same name: ok=%v err=%v", ok, err)
	}
	lo, ok, err := b.TrySessionLock(ctx, "other")
	if err != nil || !ok {
		t.Fatalf("another name: ok=%v err=%v", ok, err)
	}
	lo.Release()
	la.Release()
	lb, ok, err := b.TrySessionLock(ctx, "forward")
	if err != nil || !ok {
		t.Fatalf("after Release: ok=%v err=%v", ok, err)
	}
	// The server ends the holder's session (pg_terminate_backend, as
	// when its process is killed): Lost closes and the lock is free.
	raw := pgTarget().raw(t, dsn)
	var n int
	if err := raw.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(a.pid)) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
		WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() AND a.application_name = 'ecowatch lock forward'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminate the holder: %d sessions, %v", n, err)
	}
	select {
	case <-lb.Lost():
	case <-time.After(SessionLockPing + SessionLockIdle + 30*time.Second):
		t.Fatal("Lost not closed after the session was ended")
	}
	lb.Release()
	lc, ok, err := a.TrySessionLock(ctx, "forward")
	if err != nil || !ok {
		t.Fatalf("after the holder's session ended: ok=%v err=%v", ok, err)
	}
	lc.Release()

	sq, err := Open(ctx, "sqlite:"+t.TempDir()+"/e.db", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	if _, ok := sq.(SessionLocker); ok {
		t.Error("the SQLite store claims session locks")
	}
}
