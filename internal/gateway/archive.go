package gateway

import (
	"hash/maphash"
	"net/netip"
	"sync"
	"time"
)

// Why a frame that is not official data was not archived.
const (
	skipDuplicate = "duplicate"     // the same bytes were archived recently
	skipSource    = "source-budget" // its source is over its budget and was sampled already
	skipTotal     = "total-cap"     // every source together is over the daily cap
)

// dedupSlots is the size of the direct-mapped table of recently archived
// content hashes (512 KiB): a flood of identical frames is archived once
// per slot eviction, not once per frame.
const dedupSlots = 1 << 16

// archiveBudget bounds what frames that are not official data (rejected,
// quarantined: mostly input nobody authenticated) may write to the raw
// archive. A frame is archived unless the same bytes were archived
// recently, or its source (IPv4 address, IPv6 /64) has archived
// Config.ArchivePerSource bytes within the hour and was sampled within
// Config.ArchiveSample, or all sources together have written
// Config.ArchiveDaily bytes today. Its memory is bounded like the
// authentication guard's: a map of at most Config.AuthSources sources and
// a fixed array of shared buckets for the rest.
type archiveBudget struct {
	cfg      *Config
	seed     maphash.Seed
	mu       sync.Mutex
	seen     []uint64
	sources  map[netip.Prefix]*budgetState
	overflow [overflowBuckets]budgetState
	day      time.Time // start of the current daily window
	dayBytes int64
	pruned   time.Time
}

type budgetState struct {
	hour    time.Time // start of the current hourly window
	bytes   int64     // archived in it
	sampled time.Time // last frame archived over the budget
}

func newArchiveBudget(cfg *Config) *archiveBudget {
	return &archiveBudget{cfg: cfg, seed: maphash.MakeSeed(), seen: make([]uint64, dedupSlots),
		sources: make(map[netip.Prefix]*budgetState)}
}

// admit reports whether raw from src may be archived at now, and if not,
// why (skipDuplicate, skipSource or skipTotal). Admitted bytes are
// charged to the source and the day.
func (a *archiveBudget) admit(src netip.Prefix, raw []byte, now time.Time) string {
	h := maphash.Bytes(a.seed, raw) | 1 // never 0, the empty slot
	n := int64(len(raw))
	a.mu.Lock()
	defer a.mu.Unlock()
	slot := &a.seen[h%dedupSlots]
	if *slot == h {
		return skipDuplicate
	}
	if now.Sub(a.day) >= 24*time.Hour || now.Before(a.day) {
		a.day, a.dayBytes = now, 0
	}
	if a.dayBytes+n > a.cfg.ArchiveDaily {
		return skipTotal
	}
	st := a.state(src, now)
	if now.Sub(st.hour) >= time.Hour || now.Before(st.hour) {
		st.hour, st.bytes = now, 0
	}
	if st.bytes+n > a.cfg.ArchivePerSource {
		if !st.sampled.IsZero() && now.Sub(st.sampled) < a.cfg.ArchiveSample && !now.Before(st.sampled) {
			return skipSource
		}
		st.sampled = now
	}
	st.bytes += n
	a.dayBytes += n
	*slot = h
	return ""
}

// state returns src's budget, in a shared bucket when the table is full.
// Caller holds mu.
func (a *archiveBudget) state(src netip.Prefix, now time.Time) *budgetState {
	if st, ok := a.sources[src]; ok {
		return st
	}
	if len(a.sources) >= a.cfg.AuthSources && now.Sub(a.pruned) >= time.Second {
		a.pruned = now
		for k, st := range a.sources {
			if now.Sub(st.hour) >= time.Hour && now.Sub(st.sampled) >= a.cfg.ArchiveSample {
				delete(a.sources, k)
			}
		}
	}
	if len(a.sources) >= a.cfg.AuthSources {
		var h maphash.Hash
		h.SetSeed(a.seed)
		b := src.Addr().As16()
		h.Write(b[:])
		return &a.overflow[h.Sum64()%overflowBuckets]
	}
	st := new(budgetState)
	a.sources[src] = st
	return st
}

func (a *archiveBudget) size() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.sources)
}
