package store

import (
	"slices"

	"github.com/ecowatch/ecowatch/internal/model"
)

// uploadKey is the storage key of an upload, at storage precision.
type uploadKey struct {
	mn, cn string
	t      int64 // unix microseconds
}

// batchScratch holds the per-commit work space of a store, reused from
// batch to batch so that the write path does not allocate per row what
// it can avoid. It is used under the store's commit mutex.
type batchScratch struct {
	idx      map[uploadKey]int
	ups      []model.Upload
	cidx     map[string]int
	contacts []model.Contact
	buf      []byte
	args     []any
	strs     []string
}

// prepare merges b in memory: uploads with the same key (a device that
// retransmitted before its first copy was acknowledged) become one, by the
// same first-value-wins rule storage applies; contacts keep the latest per
// device (ties: the later one in the batch).
func (sc *batchScratch) prepare(b *Batch) ([]model.Upload, []model.Contact) {
	if sc.idx == nil {
		sc.idx = make(map[uploadKey]int)
		sc.cidx = make(map[string]int)
	}
	clear(sc.idx)
	sc.ups = sc.ups[:0]
	for i := range b.Uploads {
		u := &b.Uploads[i]
		k := uploadKey{u.MN, u.CN, u.DataTime.UnixMicro()}
		if j, ok := sc.idx[k]; ok {
			// Clip so that appending never writes into the caller's array.
			if merged, added := mergeValues(slices.Clip(sc.ups[j].Values), u.Values); added {
				sc.ups[j].Values = merged
			}
			continue
		}
		sc.idx[k] = len(sc.ups)
		sc.ups = append(sc.ups, *u)
	}
	clear(sc.cidx)
	sc.contacts = sc.contacts[:0]
	for _, c := range b.Contacts {
		if j, ok := sc.cidx[c.MN]; ok {
			if !c.At.Before(sc.contacts[j].At) {
				sc.contacts[j] = c
			}
			continue
		}
		sc.cidx[c.MN] = len(sc.contacts)
		sc.contacts = append(sc.contacts, c)
	}
	return sc.ups, sc.contacts
}

// release drops the references to the caller's data.
func (sc *batchScratch) release() {
	clear(sc.ups)
	clear(sc.contacts)
	clear(sc.args)
	clear(sc.strs)
	sc.args = sc.args[:0]
	sc.strs = sc.strs[:0]
}
