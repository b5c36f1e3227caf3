package auth

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// Audit actions of login attempts.
const (
	ActionLogin        = "user.login"
	ActionLoginFailed  = "user.login-failed"  // a password was checked and was wrong
	ActionLoginRefused = "user.login-refused" // rate limited or malformed: nothing was checked
)

// maxAuditKeys bounds the failed-login gatherer's memory; beyond it, new
// (user name, address) pairs share one row per action.
const maxAuditKeys = 10000

// loginAudit gathers failed logins so that a flood writes a bounded amount
// to the append-only audit log: the first failure of a (user name,
// address) pair in a window is written at once; the ones after it are
// counted and written as one row when the window ends. Refused attempts
// (rate limited, or a name over MaxUserName) are gathered per address
// alone, since their names are the attacker's choice: one address can add
// at most (its login limit + 1) × 2 rows a window, whatever it sends.
type loginAudit struct {
	st interface {
		AppendAudit(context.Context, model.AuditRecord) error
	}
	window time.Duration

	mu        sync.Mutex
	buckets   map[auditKey]*auditBucket
	lastSweep time.Time
}

type auditKey struct{ action, user, addr string }

type auditBucket struct {
	start, last time.Time
	more        int // attempts after the one written at start
}

func newLoginAudit(st interface {
	AppendAudit(context.Context, model.AuditRecord) error
}, window time.Duration) *loginAudit {
	return &loginAudit{st: st, window: window, buckets: map[auditKey]*auditBucket{}}
}

// loginSummary is the After of a gathered row.
type loginSummary struct {
	Attempts int       `json:"attempts"`
	From     time.Time `json:"from,omitzero"`
	To       time.Time `json:"to,omitzero"`
}

func (k auditKey) record(at time.Time, s loginSummary) model.AuditRecord {
	b, _ := json.Marshal(s)
	target := "login"
	if k.user != "" {
		target = "user/" + k.user
	}
	return model.AuditRecord{At: at, Actor: k.user, Action: k.action, Target: target, After: string(b), Remote: k.addr}
}

// add counts one attempt and returns the rows to write now: the first of
// a new window, and the summaries of windows that have ended.
func (a *loginAudit) add(k auditKey, now time.Time) []model.AuditRecord {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []model.AuditRecord
	if now.Sub(a.lastSweep) >= time.Second || len(a.buckets) >= maxAuditKeys {
		out = a.sweep(now, false)
	}
	if _, ok := a.buckets[k]; !ok && len(a.buckets) >= maxAuditKeys {
		k.user, k.addr = "*", "*"
	}
	if b := a.buckets[k]; b != nil {
		b.more++
		b.last = now
		return out
	}
	a.buckets[k] = &auditBucket{start: now, last: now}
	return append(out, k.record(now, loginSummary{Attempts: 1}))
}

// sweep removes ended windows (all of them with all) and returns their
// summaries; a.mu is held.
func (a *loginAudit) sweep(now time.Time, all bool) []model.AuditRecord {
	a.lastSweep = now
	var out []model.AuditRecord
	for k, b := range a.buckets {
		if !all && now.Sub(b.start) < a.window {
			continue
		}
		delete(a.buckets, k)
		if b.more > 0 {
			out = append(out, k.record(now, loginSummary{Attempts: b.more, From: b.start, To: b.last}))
		}
	}
	return out
}

func (a *loginAudit) write(ctx context.Context, recs []model.AuditRecord) error {
	var errs []error
	for _, r := range recs {
		if err := a.st.AppendAudit(ctx, r); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// RecordLogin writes the audit of a login attempt, given Login's result:
// each success is a row; failures are gathered (see loginAudit) so that a
// flood of them writes a bounded number of rows. Store errors of Login
// itself are not attempts and are not recorded.
func (s *Service) RecordLogin(ctx context.Context, user, ip string, p Principal, err error) error {
	now := s.now()
	switch {
	case err == nil:
		return s.st.AppendAudit(ctx, model.AuditRecord{At: now, Actor: p.User, Role: p.Role, Action: ActionLogin,
			Target: "user/" + p.User, Remote: ip})
	case errors.Is(err, ErrUnauthenticated):
		return s.audit.write(ctx, s.audit.add(auditKey{ActionLoginFailed, user, ip}, now))
	case errors.Is(err, ErrRateLimited), errors.Is(err, ErrInvalid):
		return s.audit.write(ctx, s.audit.add(auditKey{ActionLoginRefused, "", ip}, now))
	}
	return nil
}

// FlushLoginAudit writes the summaries of gathered failed logins whose
// window has ended, or of all of them with all (at shutdown).
func (s *Service) FlushLoginAudit(ctx context.Context, all bool) error {
	s.audit.mu.Lock()
	recs := s.audit.sweep(s.now(), all)
	s.audit.mu.Unlock()
	return s.audit.write(ctx, recs)
}

// RunLoginAudit flushes ended windows every interval until stop is
// closed, then flushes everything.
func (s *Service) RunLoginAudit(stop <-chan struct{}, every time.Duration, onErr func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := s.FlushLoginAudit(ctx, true); err != nil && onErr != nil {
				onErr(err)
			}
			cancel()
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), every)
			if err := s.FlushLoginAudit(ctx, false); err != nil && onErr != nil {
				onErr(err)
			}
			cancel()
		}
	}
}
