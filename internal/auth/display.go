package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// A display code signs a wall display in to the big screen. City staff
// (ScopeUsersAdmin) create one; it is shown once and stored hashed, as an
// API token of a user of its own with the display role (ScopeScreen only).
// The wall's browser enters it at /screen/login and gets a session cookie
// that lasts until the code expires. Revoking the code disables its user,
// which ends the sessions it opened.

// DisplayCodeTTL is a display code's default lifetime.
const DisplayCodeTTL = 30 * 24 * time.Hour

// DisplayUserPrefix starts the id of a display code's user.
const DisplayUserPrefix = "display-"

// codeAlphabet is base32 without 0/O and 1/I/L, so a code read off a
// sheet of paper is typed right.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// codeLen is a code's characters: 20 of 31 symbols, 99 bits.
const codeLen = 20

// DisplayCode is a display code as listed (never the code itself).
type DisplayCode struct {
	ID         string    `json:"id"` // the hash prefix that revokes it
	User       string    `json:"user"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	LastUsedBy string    `json:"last_used_from,omitempty"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

func newCode() string {
	var b strings.Builder
	buf := make([]byte, codeLen)
	_, _ = rand.Read(buf)
	for i, c := range buf {
		if i > 0 && i%5 == 0 {
			b.WriteByte('-')
		}
		// 256 % 31 = 8: the first symbols are a little likelier; at 99
		// bits the loss is under one bit.
		b.WriteByte(codeAlphabet[int(c)%len(codeAlphabet)])
	}
	return b.String()
}

// normalizeCode drops spaces and dashes and upper-cases; "" when the rest
// is not a code's shape.
func normalizeCode(s string) string {
	if len(s) > 64 {
		return ""
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ' || r == '\t':
		case strings.ContainsRune(codeAlphabet, r):
			b.WriteRune(r)
		default:
			return ""
		}
	}
	if b.Len() != codeLen {
		return ""
	}
	return b.String()
}

// hashCode is the stored form of a code; the "display:" prefix keeps it
// apart from API tokens' hashes.
func hashCode(norm string) string { return HashToken("display:" + norm) }

// NewDisplayCode creates a display code named name (e.g. 指挥中心大屏)
// valid for ttl (0: DisplayCodeTTL) and returns it with its listing. Only
// its hash is stored: the code is shown this once.
func (s *Service) NewDisplayCode(ctx context.Context, name string, ttl time.Duration, audit *model.AuditRecord) (string, DisplayCode, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 64 {
		return "", DisplayCode{}, fmt.Errorf("display name: 1 to 64 characters: %w", ErrInvalid)
	}
	if ttl < 0 || ttl > 366*24*time.Hour {
		return "", DisplayCode{}, fmt.Errorf("display code lifetime %s: at most a year: %w", ttl, ErrInvalid)
	}
	if ttl == 0 {
		ttl = DisplayCodeTTL
	}
	now := s.now()
	code := newCode()
	h := hashCode(normalizeCode(code))
	u := model.User{ID: DisplayUserPrefix + h[:12], Name: name, Role: model.RoleDisplay, CreatedAt: now}
	if err := s.st.PutUser(ctx, u, audit); err != nil {
		return "", DisplayCode{}, fmt.Errorf("display code %q: %w", name, err)
	}
	t := model.APIToken{Hash: h, Name: name, User: u.ID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.st.PutAPIToken(ctx, t, nil); err != nil {
		return "", DisplayCode{}, fmt.Errorf("display code %q: %w", name, err)
	}
	return code, displayOf(t), nil
}

func displayOf(t model.APIToken) DisplayCode {
	return DisplayCode{ID: t.ID(), User: t.User, Name: t.Name, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt,
		LastUsedAt: t.LastUsedAt, LastUsedBy: t.LastUsedFrom, RevokedAt: t.RevokedAt}
}

// DisplayCodes lists the display codes, revoked and expired included.
func (s *Service) DisplayCodes(ctx context.Context) ([]DisplayCode, error) {
	ts, err := s.st.APITokens(ctx, "")
	if err != nil {
		return nil, err
	}
	out := []DisplayCode{}
	for _, t := range ts {
		if strings.HasPrefix(t.User, DisplayUserPrefix) {
			out = append(out, displayOf(t))
		}
	}
	return out, nil
}

// RevokeDisplayCode revokes the display code of id (its listed id) and
// disables its user, which ends the sessions the code opened.
func (s *Service) RevokeDisplayCode(ctx context.Context, id string, audit *model.AuditRecord) (DisplayCode, error) {
	cs, err := s.DisplayCodes(ctx)
	if err != nil {
		return DisplayCode{}, err
	}
	id = strings.ToLower(strings.TrimSpace(id))
	for _, c := range cs {
		if c.ID != id {
			continue
		}
		ts, err := s.st.APITokens(ctx, c.User)
		if err != nil {
			return c, fmt.Errorf("display code %s: %w", id, err)
		}
		for _, t := range ts {
			if err := s.st.RevokeAPIToken(ctx, t.Hash, s.now(), "display code revoked", audit); err != nil && !errors.Is(err, store.ErrConflict) {
				return c, fmt.Errorf("display code %s: %w", id, err)
			}
		}
		u, err := s.st.User(ctx, c.User)
		if err != nil {
			return c, fmt.Errorf("display code %s: %w", id, err)
		}
		u.Disabled = true
		if err := s.st.PutUser(ctx, u, nil); err != nil {
			return c, fmt.Errorf("display code %s: %w", id, err)
		}
		c.RevokedAt = s.now()
		return c, nil
	}
	return DisplayCode{}, fmt.Errorf("display code %q: %w", id, store.ErrNotFound)
}

// DisplayLogin exchanges a display code for a session of its display
// user, lasting until the code expires. Failures count against the
// address's login limit (as Login's), so codes cannot be guessed.
func (s *Service) DisplayLogin(ctx context.Context, code, ip string) (string, Principal, time.Time, error) {
	now := s.now()
	ikey := "ip:" + AddressKey(ip)
	if !s.ipLimit.Take(ikey, now) {
		return "", Anonymous, time.Time{}, ErrRateLimited
	}
	norm := normalizeCode(code)
	if norm == "" {
		return "", Anonymous, time.Time{}, fmt.Errorf("not a display code: %w", ErrUnauthenticated)
	}
	t, err := s.st.APIToken(ctx, hashCode(norm))
	if errors.Is(err, store.ErrNotFound) {
		return "", Anonymous, time.Time{}, fmt.Errorf("unknown display code: %w", ErrUnauthenticated)
	}
	if err != nil {
		s.ipLimit.Release(ikey, now)
		return "", Anonymous, time.Time{}, err
	}
	switch {
	case !t.RevokedAt.IsZero():
		return "", Anonymous, time.Time{}, fmt.Errorf("display code revoked: %w", ErrUnauthenticated)
	case !now.Before(t.ExpiresAt):
		return "", Anonymous, time.Time{}, fmt.Errorf("display code expired: %w", ErrUnauthenticated)
	}
	u, err := s.st.User(ctx, t.User)
	if err != nil || u.Disabled || u.Role != model.RoleDisplay {
		return "", Anonymous, time.Time{}, fmt.Errorf("display code's user gone or disabled: %w", ErrUnauthenticated)
	}
	s.ipLimit.Release(ikey, now)
	if err := s.st.TouchAPIToken(ctx, t.Hash, now, ip); err != nil {
		return "", Anonymous, time.Time{}, err
	}
	tok := randomToken(32)
	ss := model.Session{Hash: HashToken(tok), User: u.ID, CSRF: randomToken(24), CreatedAt: now, ExpiresAt: t.ExpiresAt, PasswordHash: u.PasswordHash}
	if err := s.st.PutSession(ctx, ss); err != nil {
		return "", Anonymous, time.Time{}, fmt.Errorf("display session: %w", err)
	}
	p := principalOf(u, "session")
	p.CSRF = ss.CSRF
	return tok, p, t.ExpiresAt, nil
}
