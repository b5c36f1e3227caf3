package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// InsertRate is the result of MeasureRawInsert.
type InsertRate struct {
	Batches, Uploads, Values int
	Elapsed                  time.Duration // time spent inside CommitBatch
	UploadsPerSec            float64
	ValuesPerSec             float64
}

// MeasureRawInsert measures the raw insert rate of s: it commits synthetic
// batches shaped like the gateway's (batchSize frames per batch, each one
// 2051 minute upload of 8 factors x 5 fields, one ~400-byte raw frame and
// a contact) for about d, and reports uploads and values committed per
// second of CommitBatch time. `ecowatch bench ingest` compares the
// gateway's end-to-end rate with it.
//
// It writes real rows: devices named BENCH<run><n> with minute data going
// back from now. Run it on a scratch store.
func MeasureRawInsert(ctx context.Context, s Store, d time.Duration, batchSize int) (InsertRate, error) {
	if batchSize <= 0 {
		batchSize = 1000
	}
	run := int(time.Now().UnixNano()/1e3) % 1000000
	var r InsertRate
	var b Batch
	for seq := 0; r.Elapsed < d || r.Batches == 0; seq++ {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		fillSyntheticBatch(&b, run, seq, batchSize)
		start := time.Now()
		if err := s.CommitBatch(ctx, &b); err != nil {
			return r, fmt.Errorf("measure raw insert: %w", err)
		}
		r.Elapsed += time.Since(start)
		r.Batches++
		r.Uploads += len(b.Uploads)
		for i := range b.Uploads {
			r.Values += len(b.Uploads[i].Values)
		}
	}
	secs := r.Elapsed.Seconds()
	r.UploadsPerSec = float64(r.Uploads) / secs
	r.ValuesPerSec = float64(r.Values) / secs
	return r, nil
}

const syntheticDevices = 10000

var (
	syntheticFactors = []string{"a21026", "a21002", "a34013", "a19001", "a01011", "a01012", "a01013", "a01014"}
	syntheticFields  = []string{"Min", "Avg", "Max", "ZsAvg", "Flag"}
	syntheticBase    = time.Now().UTC().Truncate(time.Minute)
)

// fillSyntheticBatch makes b the seq-th synthetic batch of a run: frame k
// of the run is device k%10000's upload for minute k/10000 before now, so
// keys never repeat within a run.
func fillSyntheticBatch(b *Batch, run, seq, n int) {
	b.Uploads = b.Uploads[:0]
	b.Raw = b.Raw[:0]
	b.Contacts = b.Contacts[:0]
	for i := range n {
		k := seq*n + i
		mn := "BENCH" + strconv.Itoa(1000000 + run)[1:] + strconv.Itoa(100000000 + k%syntheticDevices)[1:]
		at := syntheticBase.Add(-time.Duration(k/syntheticDevices) * time.Minute)
		u := model.Upload{MN: mn, CN: "2051", DataTime: at, Values: make([]model.Value, 0, 40)}
		raw := make([]byte, 0, 420)
		raw = append(raw, "##0396QN=20260314092600000;ST=31;CN=2051;PW=123456;MN="...)
		raw = append(raw, mn...)
		raw = append(raw, ";Flag=5;CP=&&DataTime=20260314092600;"...)
		for f, factor := range syntheticFactors {
			for j, field := range syntheticFields {
				v := "N"
				if field != "Flag" {
					v = strconv.FormatFloat(float64((k+f*7+j)%997)/10, 'f', 2, 64)
				}
				u.Values = append(u.Values, model.Value{Factor: factor, Field: field, Value: v})
				if len(raw) < 390 {
					raw = append(raw, factor...)
					raw = append(raw, '-')
					raw = append(raw, field...)
					raw = append(raw, '=')
					raw = append(raw, v...)
					raw = append(raw, ';')
				}
			}
		}
		raw = append(raw, "&&4A3B\r\n"...)
		b.Uploads = append(b.Uploads, u)
		b.Raw = append(b.Raw, model.RawFrame{ReceivedAt: time.Now(), Remote: "127.0.0.1:40000", MN: mn, CN: "2051",
			QN: "20260314092600000", Status: model.RawAccepted, Raw: raw})
		b.Contacts = append(b.Contacts, model.Contact{MN: mn, At: time.Now(), Remote: "127.0.0.1:40000", CN: "2051"})
	}
}
