package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// A display code: shown once (only its hash is stored), typed in any case
// with or without dashes, valid for 30 days by default, its last use
// recorded; expired or revoked it opens nothing, and revoking it ends the
// sessions it opened. Its session holds the screen's scope only.
func TestDisplayCodes(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	m := newMem()
	s := New(m, Options{Params: cheap, Now: func() time.Time { return now }})
	ctx := context.Background()

	for _, bad := range []struct {
		name string
		ttl  time.Duration
	}{{"", 0}, {"  ", 0}, {strings.Repeat("屏", 65), 0}, {"ok", -time.Hour}, {"ok", 400 * 24 * time.Hour}} {
		if _, _, err := s.NewDisplayCode(ctx, bad.name, bad.ttl, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("NewDisplayCode(%q, %s): %v, want ErrInvalid", bad.name, bad.ttl, err)
		}
	}
	code, c, err := s.NewDisplayCode(ctx, "指挥中心大屏", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != codeLen+3 || normalizeCode(code) == "" {
		t.Fatalf("code %q", code)
	}
	if !c.ExpiresAt.Equal(now.Add(30*24*time.Hour)) || c.Name != "指挥中心大屏" {
		t.Fatalf("listing %+v", c)
	}
	// Shown once: nothing stored holds the code.
	for h, tok := range m.tokens {
		if strings.Contains(h, normalizeCode(code)) || strings.Contains(tok.Name, normalizeCode(code)) {
			t.Fatal("the code is stored in clear")
		}
	}
	if u := m.users[c.User]; u.Role != model.RoleDisplay || u.PasswordHash != "" {
		t.Fatalf("display user %+v", u)
	}

	// Lower case without dashes works; the session ends when the code does.
	typed := strings.ToLower(strings.ReplaceAll(code, "-", ""))
	tok, p, exp, err := s.DisplayLogin(ctx, typed, "10.0.0.9")
	if err != nil || tok == "" || p.Role != model.RoleDisplay || !exp.Equal(c.ExpiresAt) {
		t.Fatalf("DisplayLogin: %q %+v %s %v", tok, p, exp, err)
	}
	if ss := m.sessions[HashToken(tok)]; !ss.ExpiresAt.Equal(c.ExpiresAt) {
		t.Fatalf("session expires %s", ss.ExpiresAt)
	}
	cs, _ := s.DisplayCodes(ctx)
	if len(cs) != 1 || !cs[0].LastUsedAt.Equal(now) || cs[0].LastUsedBy != "10.0.0.9" || cs[0].ID != c.ID {
		t.Fatalf("listing after use: %+v", cs)
	}
	// The screen and nothing else.
	for scope, want := range map[string]bool{ScopeScreen: true, ScopePublic: false, ScopeSelf: false, ScopeData: false, ScopeUsersAdmin: false, ScopeCasesRead: false} {
		if Allowed(p, scope) != want {
			t.Errorf("display role, scope %s: allowed %v", scope, !want)
		}
	}

	for _, wrong := range []string{"", "x", strings.Repeat("A", 20), code + "A", strings.Repeat("0", 20)} {
		if _, _, _, err := s.DisplayLogin(ctx, wrong, "10.0.0.8"); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("code %q: %v", wrong, err)
		}
	}

	// Expiry.
	later := now
	now = c.ExpiresAt
	if _, _, _, err := s.DisplayLogin(ctx, code, "10.0.0.9"); !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired code: %v", err)
	}
	now = later

	// Revocation: the code opens nothing more and its user is disabled.
	if _, err := s.RevokeDisplayCode(ctx, "ffffffffffff", nil); err == nil {
		t.Error("unknown id revoked")
	}
	if _, err := s.RevokeDisplayCode(ctx, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.DisplayLogin(ctx, code, "10.0.0.9"); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("revoked code: %v", err)
	}
	if !m.users[c.User].Disabled {
		t.Error("the revoked code's user is not disabled (its sessions would live on)")
	}
	cs, _ = s.DisplayCodes(ctx)
	if len(cs) != 1 || cs[0].RevokedAt.IsZero() {
		t.Fatalf("listing after revocation: %+v", cs)
	}
}

// Wrong codes count against the address's login limit: after PerIP
// failures even the right code is refused from that address, not from
// another.
func TestDisplayCodeRateLimit(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	m := newMem()
	s := New(m, Options{Params: cheap, PerIP: 3, Now: func() time.Time { return now }})
	ctx := context.Background()
	code, _, err := s.NewDisplayCode(ctx, "大屏", time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, _, _, err := s.DisplayLogin(ctx, "AAAAA-AAAAA-AAAAA-AAAAA", "10.1.1.1"); !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, _, _, err := s.DisplayLogin(ctx, code, "10.1.1.1"); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("after the limit: %v", err)
	}
	if _, _, _, err := s.DisplayLogin(ctx, code, "10.1.1.2"); err != nil {
		t.Fatalf("another address: %v", err)
	}
	now = now.Add(16 * time.Minute)
	if _, _, _, err := s.DisplayLogin(ctx, code, "10.1.1.1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}
