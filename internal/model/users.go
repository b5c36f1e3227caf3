package model

import "time"

// Users, sessions, API tokens and the audit log. The
// logic is in internal/auth; these are the rows the store keeps.

// User roles. A user's role and scope (County, Enterprise) decide what the
// API shows and lets them change (internal/auth).
const (
	RoleCity       = "city"       // city bureau: everything
	RoleCounty     = "county"     // county staff: their county only
	RoleEnterprise = "enterprise" // an enterprise: its own data only
	RolePublic     = "public"     // a petitioner (not a stored user: the tracking code is the credential)
	RoleMachine    = "machine"    // a service account for machines (API tokens only)
	RoleDisplay    = "display"    // a wall display of the big screen (signed in with a display code)
)

// User is one account. PasswordHash is a PHC-format argon2id string
// (auth.HashPassword); it never leaves the store in API answers.
type User struct {
	ID           string    `json:"id"` // login name
	Name         string    `json:"name"`
	Role         string    `json:"role"`
	County       string    `json:"county,omitempty"`
	Enterprise   string    `json:"enterprise,omitempty"`
	PasswordHash string    `json:"-"`
	Disabled     bool      `json:"disabled,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// Session is a web login. Hash is the hex SHA-256 of the cookie value: the
// value itself is never stored, so a copy of the database logs nobody in.
type Session struct {
	Hash string
	User string
	// PasswordHash is the user's password hash the login was checked
	// against (not stored): the store opens the session only if the user
	// still has it and is not disabled, so a password change or a disable
	// racing a login cannot leave a session of the old password.
	PasswordHash string
	CSRF         string // the double-submit token the client echoes in X-CSRF-Token
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// APIToken is a machine credential bound to a user. Hash is the hex
// SHA-256 of the token.
type APIToken struct {
	Hash      string    `json:"-"`
	Name      string    `json:"name"`
	User      string    `json:"user"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// RevokedAt is when the token was revoked (by hand, or because its
	// user's password changed or the user was disabled: RevokedWhy).
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	RevokedWhy string    `json:"revoked_why,omitempty"`
	// LastUsedAt and LastUsedFrom are its last use (to the minute) and
	// the client address of it.
	LastUsedAt   time.Time `json:"last_used_at,omitzero"`
	LastUsedFrom string    `json:"last_used_from,omitempty"`
}

// ID names a token in listings and for revocation: the first 12 hex
// digits of its hash (the token itself is never stored).
func (t APIToken) ID() string {
	if len(t.Hash) < 12 {
		return t.Hash
	}
	return t.Hash[:12]
}

// AuditRecord is one row of the append-only audit log: who changed what,
// when, and the item before and after (JSON; empty when it did not exist).
type AuditRecord struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Role   string    `json:"role"`
	Action string    `json:"action"` // e.g. "case.accept", "user.add"
	Target string    `json:"target"` // e.g. "case/C2026-000001"
	Before string    `json:"before,omitempty"`
	After  string    `json:"after,omitempty"`
	Remote string    `json:"remote,omitempty"`
}
