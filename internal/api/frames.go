package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Page sizes of the raw-frame listings.
const (
	defaultFrameLimit = 100
	maxFrameLimit     = 1000
)

// rawFrame is an archived frame as served. The raw bytes are given as
// base64, and again as a string when they are valid UTF-8 (the common
// case, and easy to read). Device passwords are masked unless the client
// asked for ?unredacted=true with a token allowed to (Redacted says so).
type rawFrame struct {
	ID         int64     `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	Remote     string    `json:"remote"`
	MN         string    `json:"mn,omitempty"`
	CN         string    `json:"cn,omitempty"`
	QN         string    `json:"qn,omitempty"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason,omitempty"`
	Deviations []string  `json:"deviations,omitempty"`
	Raw        *string   `json:"raw,omitempty"`
	RawBase64  string    `json:"raw_base64"`
	Redacted   bool      `json:"redacted,omitempty"`
}

func toRawFrame(f *model.RawFrame, unredacted bool) rawFrame {
	raw := f.Raw
	redacted := false
	if !unredacted {
		raw, redacted = hj212.RedactPasswords(raw)
	}
	out := rawFrame{
		ID:         f.ID,
		ReceivedAt: cnTime(f.ReceivedAt),
		Remote:     f.Remote,
		MN:         f.MN,
		CN:         f.CN,
		QN:         f.QN,
		Status:     f.Status,
		Reason:     f.Reason,
		Deviations: f.Deviations,
		RawBase64:  base64.StdEncoding.EncodeToString(raw),
		Redacted:   redacted,
	}
	if utf8.Valid(raw) {
		s := string(raw)
		out.Raw = &s
	}
	return out
}

// framesPage is a page of raw frames, newest first. Next, when present,
// is the URL of the following (older) page: the same query with
// before_id set to NextBeforeID, the smallest ID on this page.
type framesPage struct {
	Frames       []rawFrame `json:"frames"`
	Next         string     `json:"next,omitempty"`
	NextBeforeID int64      `json:"next_before_id,omitempty"`
}

// listFrames reads one page of q (whose Limit is the page size) and writes
// it. It asks the store for one frame more than the page holds, to know
// without a second query whether an older page exists.
func (s *server) listFrames(w http.ResponseWriter, r *http.Request, q url.Values, rq store.RawQuery) error {
	unredacted := false
	switch v := q.Get("unredacted"); v {
	case "", "false":
	case "true":
		client, ok := clientOf(r.Context())
		if !ok {
			return &Error{Code: CodeForbidden, Field: "unredacted",
				Message: "unredacted: device passwords are only served to clients with an API token; configure tokens"}
		}
		if err := authorize(client, ScopeRawUnredacted); err != nil {
			return err
		}
		unredacted = true
	default:
		return paramError("unredacted", "%q is not one of true, false", v)
	}
	limit := rq.Limit
	rq.Limit = limit + 1
	frames, err := s.st.RawFrames(r.Context(), rq)
	if err != nil {
		return fmt.Errorf("cannot read raw frames: %w", err)
	}
	page := framesPage{Frames: make([]rawFrame, 0, min(len(frames), limit))}
	for i := range frames {
		if i == limit {
			break
		}
		page.Frames = append(page.Frames, toRawFrame(&frames[i], unredacted))
	}
	if len(frames) > limit {
		last := page.Frames[len(page.Frames)-1].ID
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("before_id", strconv.FormatInt(last, 10))
		page.Next = r.URL.Path + "?" + next.Encode()
		page.NextBeforeID = last
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// rawQuery reads the parameters the two frame listings share.
func rawQuery(q url.Values) (store.RawQuery, error) {
	var rq store.RawQuery
	var err error
	if rq.From, rq.To, err = timeRange(q, time.Time{}, time.Time{}); err != nil {
		return rq, err
	}
	if rq.BeforeID, err = intParam(q, "before_id", 0, 1, 1<<62); err != nil {
		return rq, err
	}
	n, err := intParam(q, "limit", defaultFrameLimit, 1, maxFrameLimit)
	rq.Limit = int(n)
	return rq, err
}

var frameStatuses = []string{model.RawAccepted, model.RawQuarantined, model.RawRejected, model.RawDuplicate}

// frames lists a registered device's archived raw frames, newest first.
func (s *server) frames(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "from", "to", "before_id", "limit", "status", "unredacted")
	if err != nil {
		return err
	}
	rq, err := rawQuery(q)
	if err != nil {
		return err
	}
	if st := q.Get("status"); st != "" {
		if !slices.Contains(frameStatuses, st) {
			return paramError("status", "%q is not one of accepted, quarantined, rejected, duplicate", st)
		}
		rq.Status = st
	}
	x, err := s.loadRegistry(r.Context())
	if err != nil {
		return err
	}
	mn := r.PathValue("mn")
	if x.devices[mn] == nil {
		// Frames of unregistered MNs are in the quarantine listing.
		return notFound("mn", "no device with MN %q (frames of unknown MNs are under /api/v1/quarantine?mn=)", mn)
	}
	rq.MN = mn
	return s.listFrames(w, r, q, rq)
}

// quarantine lists quarantined frames (unknown MN or wrong password), or
// with status=rejected the frames that could not be decoded at all.
func (s *server) quarantine(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "from", "to", "before_id", "limit", "status", "mn", "unredacted")
	if err != nil {
		return err
	}
	rq, err := rawQuery(q)
	if err != nil {
		return err
	}
	switch st := q.Get("status"); st {
	case "", model.RawQuarantined:
		rq.Status = model.RawQuarantined
	case model.RawRejected:
		rq.Status = model.RawRejected
	default:
		return paramError("status", "%q is not one of quarantined, rejected", st)
	}
	rq.MN = q.Get("mn")
	return s.listFrames(w, r, q, rq)
}
