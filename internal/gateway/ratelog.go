package gateway

import (
	"sync"
	"time"
)

// rateLog limits log lines to one per second per kind, so that hostile
// input is logged as a trickle with a count of what was suppressed rather
// than once per frame or byte.
type rateLog struct {
	mu    sync.Mutex
	kinds map[string]*rateState
	every time.Duration
}

type rateState struct {
	last       time.Time
	suppressed int
}

func (r *rateLog) init() {
	r.kinds = make(map[string]*rateState)
	r.every = time.Second
}

// allow reports whether a line of this kind may be logged now and how many
// were suppressed since the last one.
func (r *rateLog) allow(kind string) (int, bool) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.kinds[kind]
	if st == nil {
		st = &rateState{}
		r.kinds[kind] = st
	}
	if !st.last.IsZero() && now.Sub(st.last) < r.every {
		st.suppressed++
		return 0, false
	}
	n := st.suppressed
	st.last, st.suppressed = now, 0
	return n, true
}
