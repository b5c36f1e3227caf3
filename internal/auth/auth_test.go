package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// The production cost is what the documentation says, and a hash made with
// it carries it.
func TestPasswordHashCost(t *testing.T) {
	if DefaultParams != (Params{Memory: 19 * 1024, Time: 2, Threads: 1}) {
		t.Fatalf("DefaultParams = %+v, want m=19456 KiB, t=2, p=1 (OWASP)", DefaultParams)
	}
	h, err := HashPassword("correct horse battery", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	p, salt, key, err := ParseHash(h)
	if err != nil || p != DefaultParams || len(salt) != saltLen || len(key) != keyLen {
		t.Fatalf("ParseHash: %+v %d %d %v", p, len(salt), len(key), err)
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"correct horse battery", true}, {"correct horse batterY", false}, {"", false}} {
		ok, err := VerifyPassword(h, tc.pw)
		if err != nil || ok != tc.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
	h2, _ := HashPassword("correct horse battery", DefaultParams)
	if h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestPasswordRules(t *testing.T) {
	for _, pw := range []string{"", "short", strings.Repeat("x", 1025)} {
		if _, err := HashPassword(pw, DefaultParams); err == nil {
			t.Errorf("HashPassword(%d bytes) accepted", len(pw))
		}
	}
	for _, h := range []string{"", "$2a$10$abc", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "$argon2id$v=18$m=64,t=1,p=1$AAAA$AAAA",
		"$argon2id$v=19$m=64,t=1,p=1$!!$AAAA"} {
		if _, err := VerifyPassword(h, "whatever1"); err == nil {
			t.Errorf("VerifyPassword accepted hash %q", h)
		}
	}
}

func TestLimiter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(3, time.Minute)
	for i := range 3 {
		if !l.Take("k", t0.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("take %d refused", i+1)
		}
	}
	if l.Take("k", t0.Add(59*time.Second)) {
		t.Error("4th within the window allowed")
	}
	if !l.Allow("other", t0) {
		t.Error("another key limited")
	}
	// The window counts from the first take: at exactly one minute it is over.
	if !l.Take("k", t0.Add(time.Minute)) {
		t.Error("new window refused")
	}
	l.Reset("k")
	if !l.Allow("k", t0.Add(time.Minute)) {
		t.Error("reset key limited")
	}
}

func TestRoleScopes(t *testing.T) {
	city := Principal{User: "c", Role: model.RoleCity}
	county := Principal{User: "x", Role: model.RoleCounty, County: "371502"}
	ent := Principal{User: "a", Role: model.RoleEnterprise, Enterprise: "E1"}
	machine := Principal{User: "m", Role: model.RoleMachine}
	tests := []struct {
		p     Principal
		scope string
		want  bool
	}{
		{Anonymous, ScopePublic, true},
		{Anonymous, ScopeSelf, false},
		{Anonymous, ScopeRegistry, false},
		{city, "some:future-scope", true},
		{county, "some:future-scope", false},
		{machine, "some:future-scope", false},
		{county, ScopeCasesWrite, true},
		{county, ScopeQuarantine, false},
		{county, ScopeUsersAdmin, false},
		{county, ScopeRawUnredacted, false},
		{ent, ScopeRaw, true},
		{ent, ScopePetitionsRead, false},
		{ent, ScopePatrols, false},
		{machine, ScopeMetrics, true},
		{machine, ScopePatrols, false},
		{city, ScopeAudit, true},
	}
	for _, tc := range tests {
		if got := Allowed(tc.p, tc.scope); got != tc.want {
			t.Errorf("Allowed(%s, %s) = %v, want %v", tc.p.Role, tc.scope, got, tc.want)
		}
	}
	rows := []struct {
		p                  Principal
		county, enterprise string
		want               bool
	}{
		{city, "any", "", true},
		{county, "371502", "E9", true},
		{county, "371581", "", false},
		{county, "", "", false},
		{ent, "371502", "E1", true},
		{ent, "371502", "E2", false},
		{ent, "", "", false},
		{Anonymous, "371502", "E1", false},
	}
	for _, r := range rows {
		if got := ScopeOf(r.p).Sees(r.county, r.enterprise); got != r.want {
			t.Errorf("%s sees (%q, %q) = %v, want %v", r.p.Role, r.county, r.enterprise, got, r.want)
		}
	}
}

// memStore is an in-memory auth.Store.
type memStore struct {
	mu       sync.Mutex
	users    map[string]model.User
	sessions map[string]model.Session
	tokens   map[string]model.APIToken
	audit    []model.AuditRecord
}

func newMem() *memStore {
	return &memStore{users: map[string]model.User{}, sessions: map[string]model.Session{}, tokens: map[string]model.APIToken{}}
}

func (m *memStore) PutUser(_ context.Context, u model.User, _ *model.AuditRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.users[u.ID] = u
	return nil
}
func (m *memStore) User(_ context.Context, id string) (model.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[id]
	if !ok {
		return u, store.ErrNotFound
	}
	return u, nil
}
func (m *memStore) Users(context.Context) ([]model.User, error) { return nil, nil }
func (m *memStore) PutSession(_ context.Context, s model.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[s.Hash] = s
	return nil
}
func (m *memStore) Session(_ context.Context, h string) (model.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[h]
	if !ok {
		return s, store.ErrNotFound
	}
	return s, nil
}
func (m *memStore) DeleteSession(_ context.Context, h string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, h)
	return nil
}
func (m *memStore) PutAPIToken(_ context.Context, t model.APIToken, _ *model.AuditRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens[t.Hash] = t
	return nil
}
func (m *memStore) APIToken(_ context.Context, h string) (model.APIToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[h]
	if !ok {
		return t, store.ErrNotFound
	}
	return t, nil
}

func (m *memStore) APITokens(_ context.Context, user string) ([]model.APIToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []model.APIToken
	for _, t := range m.tokens {
		if user == "" || t.User == user {
			out = append(out, t)
		}
	}
	return out, nil
}
func (m *memStore) RevokeAPIToken(_ context.Context, h string, at time.Time, why string, _ *model.AuditRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[h]
	if !ok {
		return store.ErrNotFound
	}
	if !t.RevokedAt.IsZero() {
		return store.ErrConflict
	}
	t.RevokedAt, t.RevokedWhy = at, why
	m.tokens[h] = t
	return nil
}
func (m *memStore) TouchAPIToken(_ context.Context, h string, at time.Time, from string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tokens[h]
	if t.LastUsedAt.Before(at) {
		t.LastUsedAt, t.LastUsedFrom = at, from
		m.tokens[h] = t
	}
	return nil
}
func (m *memStore) AppendAudit(_ context.Context, a model.AuditRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.audit = append(m.audit, a)
	return nil
}

func (m *memStore) auditRows() []model.AuditRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]model.AuditRecord(nil), m.audit...)
}

var cheap = Params{Memory: 64, Time: 1, Threads: 1}

func TestSessionsAndTokens(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	m := newMem()
	h, _ := HashPassword("password-1", cheap)
	m.users["x"] = model.User{ID: "x", Role: model.RoleCounty, County: "371502", PasswordHash: h}
	s := New(m, Options{Now: clock, Params: cheap, SessionTTL: time.Hour})
	ctx := context.Background()

	tok, p, err := s.Login(ctx, "x", "password-1", "10.0.0.1")
	if err != nil || p.County != "371502" || p.CSRF == "" {
		t.Fatalf("Login: %+v %v", p, err)
	}
	for h := range m.sessions {
		if h == tok || strings.Contains(h, tok) {
			t.Fatal("the session cookie value is stored in the clear")
		}
	}
	req := httptest.NewRequest("POST", "/x", nil)
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: tok})
	got, err := s.Authenticate(req)
	if err != nil || got.User != "x" || got.Via != "session" {
		t.Fatalf("Authenticate: %+v %v", got, err)
	}
	if err := CheckCSRF(req, got); !errors.Is(err, ErrCSRF) {
		t.Errorf("POST without header: %v", err)
	}
	req.Header.Set(CSRFHeader, got.CSRF)
	if err := CheckCSRF(req, got); err != nil {
		t.Errorf("POST with header: %v", err)
	}
	// Expiry.
	now = now.Add(time.Hour)
	if _, err := s.Authenticate(req); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("expired session: %v", err)
	}
	// API tokens are stored hashed and act as their user; disabling the
	// user disables the token.
	at, err := s.NewToken(ctx, "x", "rules", 0, nil)
	if err != nil || !strings.HasPrefix(at, TokenPrefix) {
		t.Fatalf("NewToken: %q %v", at, err)
	}
	if _, ok := m.tokens[HashToken(at)]; !ok {
		t.Fatal("token not stored by hash")
	}
	treq := httptest.NewRequest("POST", "/x", nil)
	treq.Header.Set("Authorization", "Bearer "+at)
	got, err = s.Authenticate(treq)
	if err != nil || got.User != "x" || got.Via != "token" || CheckCSRF(treq, got) != nil {
		t.Fatalf("token: %+v %v", got, err)
	}
	u := m.users["x"]
	u.Disabled = true
	m.users["x"] = u
	if _, err := s.Authenticate(treq); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("disabled user's token: %v", err)
	}
	// Unknown users fail like wrong passwords and count against the IP.
	if _, _, err := s.Login(ctx, "nobody", "password-1", "10.0.0.2"); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("unknown user: %v", err)
	}
}

func TestLoginLimitPerIP(t *testing.T) {
	m := newMem()
	s := New(m, Options{Params: cheap, PerIP: 3, PerUser: 100})
	for i := range 3 {
		if _, _, err := s.Login(context.Background(), "u"+string(rune('a'+i)), "password-1", "10.0.0.9"); !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, _, err := s.Login(context.Background(), "ud", "password-1", "10.0.0.9"); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("4th from the IP: %v", err)
	}
	if _, _, err := s.Login(context.Background(), "ud", "password-1", "10.0.0.10"); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("another IP: %v", err)
	}
}

func TestValidateUser(t *testing.T) {
	for _, tc := range []struct {
		u  model.User
		ok bool
	}{
		{model.User{ID: "a", Role: model.RoleCity}, true},
		{model.User{ID: "a", Role: model.RoleCounty}, false},
		{model.User{ID: "a", Role: model.RoleCounty, County: "1"}, true},
		{model.User{ID: "a", Role: model.RoleEnterprise}, false},
		{model.User{ID: "a b", Role: model.RoleCity}, false},
		{model.User{ID: "a", Role: "admin"}, false},
		{model.User{ID: "a", Role: model.RolePublic}, false},
	} {
		if err := ValidateUser(tc.u); (err == nil) != tc.ok {
			t.Errorf("ValidateUser(%+v) = %v", tc.u, err)
		}
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("correct horse battery", DefaultParams); err != nil {
			b.Fatal(err)
		}
	}
}
