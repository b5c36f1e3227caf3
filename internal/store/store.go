// Package store persists ecowatch data in SQLite (the embedded default: one
// file, WAL) or PostgreSQL (production, pgx v5). Both implement Store and
// pass one shared test suite. Migrations are embedded and applied by Open.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// ErrNotFound is returned when a looked-up item does not exist.
var ErrNotFound = errors.New("not found")

// Batch is what the gateway commits in one transaction (group commit):
// many frames' uploads, their raw frames and the devices' contacts.
// CommitBatch is atomic: all of it is durable when it returns nil, none of
// it is visible when it returns an error.
type Batch struct {
	Uploads  []model.Upload
	Raw      []model.RawFrame
	Contacts []model.Contact
	// Frames, when the producer fills it, links the parts of each received
	// frame (the gateway does): the bus publishes one message per frame,
	// so that deduplication and ordering are per device. Stores ignore it.
	Frames []Frame
}

// Frame is one received frame's parts in a Batch: indexes into Uploads
// and Raw (-1: none) and the device's contact (MN empty: none). The
// contact is kept by value since Batch.Contacts holds only the latest
// per device.
type Frame struct {
	Upload, Raw int
	Contact     model.Contact
}

// UploadQuery selects uploads. Zero values mean "any" (but From/To bound the
// DataTime range as [From, To)).
type UploadQuery struct {
	MNs      []string
	CN       string
	From, To time.Time
	Limit    int // 0 means the store's default (10000)
}

// RawQuery selects archived raw frames, newest first.
type RawQuery struct {
	MN       string
	Status   string // model.Raw* or empty for any
	From, To time.Time
	BeforeID int64 // paging: only IDs below this one (0: no bound)
	Limit    int   // 0 means 1000
}

// Store is the persistence interface. Consumers (gateway, web, registry)
// declare the smaller subsets they need.
type Store interface {
	// ImportRegistry upserts a whole registry in one transaction
	// (all-or-nothing). Items not in r are kept.
	ImportRegistry(ctx context.Context, r *model.Registry) error
	// Registry returns the whole registry, ordered by key.
	Registry(ctx context.Context) (*model.Registry, error)

	// CommitBatch durably stores a batch (see Batch).
	CommitBatch(ctx context.Context, b *Batch) error

	// Uploads returns uploads ordered by (MN, CN, DataTime).
	Uploads(ctx context.Context, q UploadQuery) ([]model.Upload, error)
	// UploadTimes returns the DataTimes stored for one device and CN in
	// [from, to), ascending: the gateway uses it to find gaps to back-fill.
	UploadTimes(ctx context.Context, mn, cn string, from, to time.Time) ([]time.Time, error)
	// RawFrames returns archived raw frames, newest first.
	RawFrames(ctx context.Context, q RawQuery) ([]model.RawFrame, error)
	// PurgeRawBefore deletes raw frames received before t (retention).
	PurgeRawBefore(ctx context.Context, t time.Time) (int64, error)
	// PurgeRawStatusBefore deletes raw frames of the given statuses
	// received before t.
	PurgeRawStatusBefore(ctx context.Context, t time.Time, statuses ...string) (int64, error)
	// Contacts returns every device's last contact.
	Contacts(ctx context.Context) ([]model.Contact, error)

	// RollupStore: hour and day roll-ups of minute data, retention of
	// uploads and roll-ups (rollup.go, purge.go).
	RollupStore

	// Compactor: closed days into compacted blocks (compact.go).
	Compactor

	// AirStore: ambient air stations' hourly data and targets (air.go).
	AirStore
	// RightsStore: the emission-rights ledger (rights.go).
	RightsStore
	// WaterStore: the water registry and water samples (water.go).
	WaterStore
	// CasesStore: users, audit, cases, petitions, patrols (cases.go).
	CasesStore
	// AccountabilityStore: county accountability (accountability.go).
	AccountabilityStore
	// ForwardStore: the outbound queue to upper platforms (forward.go).
	ForwardStore
	// MarkStore: data marks and the marking rules' decisions (marks.go).
	MarkStore

	// Ping checks the connection.
	Ping(ctx context.Context) error
	Close() error
}
