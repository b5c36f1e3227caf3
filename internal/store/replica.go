package store

import (
	"context"
	"errors"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// WithReadReplica returns a Store that sends the read-only monitoring
// queries to replica (a PostgreSQL streaming replica, which may lag the
// primary by a little) and everything else to primary. Close closes both.
//
// Routed to the replica: measurement data whose readers tolerate being a
// few seconds behind — Uploads, UploadTimes, RawFrames, Contacts,
// Rollups, AirDays, AirChanges, WaterSamples. UploadTimes is the
// gateway's gap finder: a lagging answer only makes it ask a device for
// data it already sent, which storing merges away. Everything else stays
// on the primary: writes, and reads that must see the caller's own
// writes at once (registry after an import, users and sessions right
// after a login, a case right after an action, accountability results).
// A method added to Store later goes to the primary until listed here.
func WithReadReplica(primary, replica Store) Store {
	return &replicaStore{Store: primary, replica: replica}
}

type replicaStore struct {
	Store         // the primary
	replica Store // pure reads
}

func (r *replicaStore) Uploads(ctx context.Context, q UploadQuery) ([]model.Upload, error) {
	return r.replica.Uploads(ctx, q)
}

func (r *replicaStore) UploadTimes(ctx context.Context, mn, cn string, from, to time.Time) ([]time.Time, error) {
	return r.replica.UploadTimes(ctx, mn, cn, from, to)
}

func (r *replicaStore) RawFrames(ctx context.Context, q RawQuery) ([]model.RawFrame, error) {
	return r.replica.RawFrames(ctx, q)
}

func (r *replicaStore) Contacts(ctx context.Context) ([]model.Contact, error) {
	return r.replica.Contacts(ctx)
}

func (r *replicaStore) Rollups(ctx context.Context, q RollupQuery) ([]model.Rollup, error) {
	return r.replica.Rollups(ctx, q)
}

func (r *replicaStore) AirDays(ctx context.Context, q AirDayQuery, fn func(*model.AirDay) error) error {
	return r.replica.AirDays(ctx, q, fn)
}

func (r *replicaStore) AirChanges(ctx context.Context, q AirChangeQuery) ([]model.AirChange, error) {
	return r.replica.AirChanges(ctx, q)
}

func (r *replicaStore) WaterSamples(ctx context.Context, q WaterSampleQuery) ([]model.WaterSample, error) {
	return r.replica.WaterSamples(ctx, q)
}

// Ping checks both: the API cannot serve reads without its replica.
func (r *replicaStore) Ping(ctx context.Context) error {
	return errors.Join(r.Store.Ping(ctx), r.replica.Ping(ctx))
}

// Close closes both stores.
func (r *replicaStore) Close() error {
	return errors.Join(r.Store.Close(), r.replica.Close())
}
