package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// SessionLock is an exclusive lock held by a database session of its
// own: whoever holds it does a job that one process at a time may do
// (forwarding to upper platforms). The database releases it when the
// session ends, so a holder that dies (SIGKILL, its machine lost) lets
// another process take it without anyone cleaning up.
type SessionLock interface {
	// Lost is closed when the session is gone (the server ended it, the
	// network failed): the holder must stop the job, another process may
	// hold the lock already.
	Lost() <-chan struct{}
	// Release gives the lock back and closes the session.
	Release()
}

// SessionLocker is implemented by stores that several processes share
// (PostgreSQL). SQLite's store does not: one process owns its file.
type SessionLocker interface {
	// TrySessionLock takes the lock called name if no session holds it;
	// ok is false when another does.
	TrySessionLock(ctx context.Context, name string) (l SessionLock, ok bool, err error)
}

// SessionLockPing is how often a holder checks its session (a query on
// it), and SessionLockIdle how long the server lets the session stay
// silent before it ends it (idle_session_timeout): a holder whose machine
// died or was cut off sends no reset, and without the timeout PostgreSQL
// would keep its session, and the lock, until TCP keepalive gave up
// (two hours by default). So the lock passes on at most SessionLockIdle
// after its holder fell silent, while a live holder (one query a second)
// is never idle that long.
const (
	SessionLockPing = time.Second
	SessionLockIdle = 5 * time.Second
)

// sessionLockKey is the advisory lock key of a name: 64 bits of FNV-1a
// of "ecowatch:"+name (advisory keys are per database).
func sessionLockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("ecowatch:" + name))
	return int64(h.Sum64())
}

// TrySessionLock implements SessionLocker with pg_try_advisory_lock on a
// connection opened for it alone.
func (s *pgStore) TrySessionLock(ctx context.Context, name string) (SessionLock, bool, error) {
	cfg := s.connCfg.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = "ecowatch lock " + name
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, false, fmt.Errorf("session lock %s: connect: %w", name, err)
	}
	// idle_session_timeout exists from PostgreSQL 14; on an older server
	// the lock still works, released on a dead holder's TCP reset or
	// keepalive only (README: Scaling out, forwarding).
	if _, err := conn.Exec(ctx, fmt.Sprintf("SET idle_session_timeout = %d", SessionLockIdle.Milliseconds())); err != nil {
		s.log.Warn("session lock: idle_session_timeout not set (PostgreSQL before 14?): a dead holder's lock is released by TCP keepalive only",
			"lock", name, "err", err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, sessionLockKey(name)).Scan(&ok); err != nil {
		conn.Close(context.Background())
		return nil, false, fmt.Errorf("session lock %s: %w", name, err)
	}
	if !ok {
		conn.Close(ctx)
		return nil, false, nil
	}
	l := &pgSessionLock{conn: conn, lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go l.watch()
	return l, true, nil
}

type pgSessionLock struct {
	conn       *pgx.Conn // used by watch only (a pgx.Conn is not shared)
	lost, stop chan struct{}
	done       chan struct{}
	once       sync.Once
}

func (l *pgSessionLock) Lost() <-chan struct{} { return l.lost }

// watch queries the session every SessionLockPing: that keeps it from
// being idle, and a failure (the server ended it, the network is down)
// means the lock may be someone else's already.
func (l *pgSessionLock) watch() {
	defer close(l.done)
	t := time.NewTicker(SessionLockPing)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			// Closing the session releases the lock (an explicit
			// pg_advisory_unlock first would only add a round trip).
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			l.conn.Close(ctx)
			cancel()
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), SessionLockIdle/2)
		err := l.conn.Ping(ctx)
		cancel()
		if err != nil {
			close(l.lost)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			l.conn.Close(ctx)
			cancel()
			<-l.stop
			return
		}
	}
}

func (l *pgSessionLock) Release() {
	l.once.Do(func() { close(l.stop) })
	<-l.done
}
