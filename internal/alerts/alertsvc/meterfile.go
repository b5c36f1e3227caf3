package alertsvc

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// ImportMeterReadings reads electricity sub-meter readings from a CSV file
// (for meters that do not speak HJ 212: the utility's or the enterprise's
// exports) with the columns
//
//	mn,time,kw[,factor]
//
// time as "2006-01-02 15:04:05" in China Standard Time or RFC 3339, kw the
// active power. A first line starting with "mn" is a header. The readings
// are stored as real-time uploads (CN 2011, field Pt of the factor,
// default 100000) of the meter's MN, in one transaction, so that they are
// kept, replayed after a restart and judged like HJ 212 readings; then they
// are queued for the rules. Nothing is stored if any line is bad.
func ImportMeterReadings(ctx context.Context, st store.Store, svc *Service, r io.Reader) (int, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var b store.Batch
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("meter readings: %w", err)
		}
		if line == 1 && len(rec) > 0 && strings.EqualFold(strings.TrimSpace(rec[0]), "mn") {
			continue
		}
		if len(rec) < 3 || len(rec) > 4 {
			return 0, fmt.Errorf("meter readings line %d: want mn,time,kw[,factor], got %d fields", line, len(rec))
		}
		mn := strings.TrimSpace(rec[0])
		if mn == "" {
			return 0, fmt.Errorf("meter readings line %d: empty mn", line)
		}
		at, err := parseReadingTime(strings.TrimSpace(rec[1]))
		if err != nil {
			return 0, fmt.Errorf("meter readings line %d: %w", line, err)
		}
		kw := strings.TrimSpace(rec[2])
		if x, err := strconv.ParseFloat(kw, 64); err != nil || x < 0 {
			return 0, fmt.Errorf("meter readings line %d: kw %q is not a non-negative number", line, kw)
		}
		factor := meterFactor
		if len(rec) == 4 && strings.TrimSpace(rec[3]) != "" {
			factor = strings.TrimSpace(rec[3])
		}
		b.Uploads = append(b.Uploads, model.Upload{MN: mn, CN: cnRealtime, DataTime: at.UTC(),
			Values: []model.Value{{Factor: factor, Field: "Pt", Value: kw}}})
	}
	if len(b.Uploads) == 0 {
		return 0, nil
	}
	if err := st.CommitBatch(ctx, &b); err != nil {
		return 0, fmt.Errorf("meter readings: %w", err)
	}
	if svc != nil {
		svc.Enqueue(&b)
	}
	return len(b.Uploads), nil
}

func parseReadingTime(s string) (time.Time, error) {
	if t, err := time.ParseInLocation(time.DateTime, s, cst); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: want 2006-01-02 15:04:05 (CST) or RFC 3339", s)
	}
	return t, nil
}
