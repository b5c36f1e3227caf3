package model

import "time"

// Users, sessions, API tokens and the audit log (issue 5, part 1). The
// logic is in internal/auth; these are the rows the store keeps.

// User roles. A user's role and scope (County, Enterprise) decide what the
// API shows and lets them change (internal/auth).
const (
	RoleCity       = "city"       // city bureau: everything
	RoleCounty     = "county"     // county staff: their county only
	RoleEnterprise = "enterprise" // an enterprise: its own data only
	RolePublic     = "public"     // a petitioner (not a stored user: the tracking code is the credential)
	RoleMachine    = "machine"    // a service account for machines (API tokens only)
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
	Hash      string
	User      string
	CSRF      string // the double-submit token the client echoes in X-CSRF-Token
	CreatedAt time.Time
	ExpiresAt time.Time
}

// APIToken is a machine credential bound to a user. Hash is the hex
// SHA-256 of the token.
type APIToken struct {
	Hash      string    `json:"-"`
	Name      string    `json:"name"`
	User      string    `json:"user"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
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
