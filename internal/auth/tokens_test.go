package auth

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// A token records its last use (to the minute, with the client address);
// a revoked token no longer authenticates; revocation takes the listed ID.
func TestTokenLastUseAndRevocation(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	m := newMem()
	m.users["bot"] = model.User{ID: "bot", Role: model.RoleMachine}
	s := New(m, Options{Params: cheap, Now: func() time.Time { return now }})
	ctx := context.Background()
	tok, err := s.NewToken(ctx, "bot", "prometheus", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	use := func() error {
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.RemoteAddr = "10.9.0.1:5555"
		r.Header.Set("Authorization", "Bearer "+tok)
		_, err := s.Authenticate(r)
		return err
	}
	if err := use(); err != nil {
		t.Fatal(err)
	}
	ts, _ := s.Tokens(ctx, "bot")
	if len(ts) != 1 || !ts[0].LastUsedAt.Equal(now) || ts[0].LastUsedFrom != "10.9.0.1" {
		t.Fatalf("after a use: %+v", ts)
	}
	id := ts[0].ID()
	if len(id) != 12 || !strings.HasPrefix(HashToken(tok), id) {
		t.Fatalf("token id %q", id)
	}
	if _, err := s.RevokeToken(ctx, "abc", "x", nil); err == nil {
		t.Error("a 3-digit id was accepted")
	}
	if _, err := s.RevokeToken(ctx, "ffffffffffff", "x", nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	got, err := s.RevokeToken(ctx, strings.ToUpper(id), "revoked by cli", nil)
	if err != nil || got.Name != "prometheus" {
		t.Fatalf("RevokeToken: %+v %v", got, err)
	}
	if err := use(); !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("revoked token: %v", err)
	}
}
