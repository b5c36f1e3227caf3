package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/store"
)

// forwardStore is what the forwarding page reads: the state each target's
// forwarder saves, and the queues.
type forwardStore interface {
	ForwardStates(ctx context.Context) ([]store.ForwardState, error)
	ForwardQueueStats(ctx context.Context) ([]store.ForwardQueueStat, error)
}

// forwardRow is one upper platform on the forwarding page.
type forwardRow struct {
	store.ForwardState
	Depth   int64
	Lag     string // age of the oldest waiting upload, in the page's words
	Stale   bool   // the forwarder has not saved its state for a minute
	ErrKey  string // the last error's kind, a message key
	Address string // shown to the city only
}

// forwardStaleAfter: a forwarder saves its state every 2 s; older than
// this, it is not running.
const forwardStaleAfter = time.Minute

// forwardingPage shows, per upper platform, the connection, the queue
// (depth and lag), the last acknowledgement and the last error: the
// state the forwarding service saves in the store, so any process
// serving the pages shows it.
func (h *Handler) forwardingPage(w http.ResponseWriter, r *http.Request, p *page) error {
	if !p.Scope.All {
		// City-wide links to upper platforms belong to no county.
		return errStatus(http.StatusForbidden)
	}
	ctx := r.Context()
	states, err := h.st.ForwardStates(ctx)
	if err != nil {
		return err
	}
	queues, err := h.st.ForwardQueueStats(ctx)
	if err != nil {
		return err
	}
	now := h.cfg.Now()
	byTarget := map[string]*forwardRow{}
	var rows []*forwardRow
	for _, s := range states {
		row := &forwardRow{ForwardState: s, Address: s.Address}
		byTarget[s.Target] = row
		rows = append(rows, row)
	}
	for _, q := range queues {
		row, ok := byTarget[q.Target]
		if !ok {
			row = &forwardRow{ForwardState: store.ForwardState{Target: q.Target}}
			byTarget[q.Target] = row
			rows = append(rows, row)
		}
		row.Depth = q.Depth
		if q.Depth > 0 {
			row.Lag = durationWords(p, now.Sub(q.Oldest))
		}
	}
	for _, row := range rows {
		row.Stale = row.UpdatedAt.IsZero() || now.Sub(row.UpdatedAt) > forwardStaleAfter
		row.ErrKey = forwardErrKey(row.LastError)
	}
	p.Nav, p.Title, p.Data = "monitoring", p.T("fwd.title"), rows
	return h.render(w, http.StatusOK, "forwarding", p)
}

// forwardErrKey names the kind of a forwarder's error in the catalogue.
func forwardErrKey(e string) string {
	switch {
	case e == "":
		return ""
	case strings.HasPrefix(e, "connect:"):
		return "fwd.err.connect"
	case strings.Contains(e, "no acknowledgement"):
		return "fwd.err.noack"
	case strings.HasPrefix(e, "queue"):
		return "fwd.err.store"
	default:
		return "fwd.err.link"
	}
}

// durationWords writes d as days, hours, minutes or seconds.
func durationWords(p *page, d time.Duration) string {
	switch {
	case d < 0:
		d = 0
		fallthrough
	case d < time.Minute:
		return fmt.Sprintf(p.T("fwd.seconds"), int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf(p.T("fwd.minutes"), int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf(p.T("fwd.hours"), d.Hours())
	}
	return fmt.Sprintf(p.T("fwd.days"), d.Hours()/24)
}
