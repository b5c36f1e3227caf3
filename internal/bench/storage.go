package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/simulator"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/usage"
)

// StorageConfig configures Storage (`ecowatch bench storage`).
type StorageConfig struct {
	DB      string // "sqlite" or a postgres:// DSN
	Devices int
	Days    int // closed days of minute data per device
	Rounds  int // read rounds per layout
	JSON    bool
}

// StorageReport is what Storage measures.
type StorageReport struct {
	DB       string             `json:"db"`
	Frames   int                `json:"frames"` // minute frames stored (an upload and an accepted raw frame each)
	FrameLen float64            `json:"frame_bytes"`
	Values   float64            `json:"values_per_frame"`
	Before   store.StorageBytes `json:"before"`
	After    store.StorageBytes `json:"after"`
	Stats    store.CompactStats `json:"compacted"`
	// Bytes per frame: rows (tables and indexes) before; blocks after.
	PerFrameRows   float64 `json:"bytes_per_frame_rows"`
	PerFrameBlocks float64 `json:"bytes_per_frame_blocks"`
	CompactSeconds float64 `json:"compact_s"`
	// Reads of one device-day: uploads (Uploads) and raw frames
	// (RawFrames), median of the rounds, rows vs blocks, same run.
	ReadRowsMs   float64 `json:"read_uploads_rows_ms"`
	ReadBlocksMs float64 `json:"read_uploads_blocks_ms"`
	RawRowsMs    float64 `json:"read_raw_rows_ms"`
	RawBlocksMs  float64 `json:"read_raw_blocks_ms"`
}

// Storage commits Days closed days of minute frames (the simulator's
// 2051 frames, 8 factors, with their raw bytes as the gateway archives
// them) of Devices devices into a fresh store, measures the space and
// the reads of a device-day, compacts, and measures again.
func Storage(ctx context.Context, cfg StorageConfig, stdout io.Writer) error {
	if cfg.Devices <= 0 || cfg.Days <= 0 || cfg.Rounds <= 0 {
		return usage.Error{Err: errors.New("--devices, --days and --rounds must be positive")}
	}
	h, err := openStore(ctx, cfg.DB, "full")
	if err != nil {
		return err
	}
	defer h.cleanup()
	devs := simulator.Generate(cfg.Devices, simulator.GenerateOptions{MNPrefix: "STOR"})
	sim, err := simulator.New(simulator.Config{Addr: "127.0.0.1:1", Devices: devs, Seed: 1, MinInterval: time.Minute})
	if err != nil {
		return err
	}
	// Whole China Standard Time days, ending before today.
	today := time.Now().In(chinatime.Zone)
	first := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, chinatime.Zone).AddDate(0, 0, -cfg.Days)
	rep := StorageReport{DB: h.kind}
	var buf []byte
	var frameBytes, values int
	for m := 0; m < cfg.Days*1440; m++ {
		at := first.Add(time.Duration(m) * time.Minute)
		var b store.Batch
		for i := range devs {
			recv := at.Add(time.Duration(200+i%700) * time.Millisecond)
			buf = sim.AppendUpload(buf[:0], i, "2051", at, recv)
			r, err := gateway.RecordOf(bytes.Clone(buf), recv, fmt.Sprintf("10.20.%d.%d:%d", i/250, i%250, 40000+i))
			if err != nil {
				return fmt.Errorf("frame: %w", err)
			}
			b.Uploads = append(b.Uploads, r.Upload)
			b.Raw = append(b.Raw, r.Raw)
			b.Contacts = append(b.Contacts, r.Contact)
			frameBytes += len(buf)
			values += len(r.Upload.Values)
		}
		if err := h.st.CommitBatch(ctx, &b); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		rep.Frames += len(devs)
	}
	rep.FrameLen = float64(frameBytes) / float64(rep.Frames)
	rep.Values = float64(values) / float64(rep.Frames)
	if rep.Before, err = store.MeasureStorage(ctx, h.st); err != nil {
		return err
	}
	day := first.AddDate(0, 0, cfg.Days/2)
	readRounds := func() (up, raw float64, err error) {
		var ups, raws []float64
		for r := range cfg.Rounds {
			mn := devs[r%len(devs)].MN
			t := time.Now()
			us, err := h.st.Uploads(ctx, store.UploadQuery{MNs: []string{mn}, CN: "2051", From: day, To: day.AddDate(0, 0, 1)})
			if err != nil {
				return 0, 0, err
			}
			ups = append(ups, float64(time.Since(t).Microseconds())/1000)
			t = time.Now()
			fs, err := h.st.RawFrames(ctx, store.RawQuery{MN: mn, From: day, To: day.AddDate(0, 0, 1), Limit: 1440})
			if err != nil {
				return 0, 0, err
			}
			raws = append(raws, float64(time.Since(t).Microseconds())/1000)
			if len(us) != 1440 || len(fs) != 1440 {
				return 0, 0, fmt.Errorf("read of %s: %d uploads, %d raw frames; want 1440 each", mn, len(us), len(fs))
			}
		}
		return median(ups), median(raws), nil
	}
	// The evidence before, to compare byte for byte after.
	var want []model.RawFrame
	if want, err = h.st.RawFrames(ctx, store.RawQuery{MN: devs[0].MN, Limit: 1 << 30}); err != nil {
		return err
	}
	wantUps, err := h.st.Uploads(ctx, store.UploadQuery{MNs: []string{devs[0].MN}, Limit: 1 << 30})
	if err != nil {
		return err
	}
	if rep.ReadRowsMs, rep.RawRowsMs, err = readRounds(); err != nil {
		return err
	}
	t := time.Now()
	if rep.Stats, err = h.st.Compact(ctx, time.Now()); err != nil {
		return err
	}
	rep.CompactSeconds = time.Since(t).Seconds()
	if rep.After, err = store.MeasureStorage(ctx, h.st); err != nil {
		return err
	}
	if rep.ReadBlocksMs, rep.RawBlocksMs, err = readRounds(); err != nil {
		return err
	}
	got, err := h.st.RawFrames(ctx, store.RawQuery{MN: devs[0].MN, Limit: 1 << 30})
	if err != nil {
		return err
	}
	if len(got) != len(want) {
		return fmt.Errorf("after compaction %d raw frames of %s, before %d", len(got), devs[0].MN, len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || !bytes.Equal(got[i].Raw, want[i].Raw) || !got[i].ReceivedAt.Equal(want[i].ReceivedAt) {
			return fmt.Errorf("raw frame %d differs after compaction", want[i].ID)
		}
	}
	gotUps, err := h.st.Uploads(ctx, store.UploadQuery{MNs: []string{devs[0].MN}, Limit: 1 << 30})
	if err != nil {
		return err
	}
	if fmt.Sprint(gotUps) != fmt.Sprint(wantUps) {
		return fmt.Errorf("uploads of %s differ after compaction", devs[0].MN)
	}
	n := float64(rep.Frames)
	rep.PerFrameRows = float64(rep.Before.Uploads+rep.Before.RawFrames) / n
	rep.PerFrameBlocks = float64(rep.After.UploadBlocks+rep.After.RawBlocks) / n
	if cfg.JSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	fmt.Fprintf(stdout, "%s: %d minute frames (%d devices × %d days; %.0f bytes and %.1f values per frame)\n",
		rep.DB, rep.Frames, cfg.Devices, cfg.Days, rep.FrameLen, rep.Values)
	fmt.Fprintf(stdout, "rows:    uploads %s, raw_frames %s (tables and indexes): %.0f bytes per frame\n",
		mb(rep.Before.Uploads), mb(rep.Before.RawFrames), rep.PerFrameRows)
	fmt.Fprintf(stdout, "blocks:  upload_blocks %s, raw_blocks %s: %.0f bytes per frame (%.1f for the values, %.1f for the raw frame); rows left %s + %s, free pages %s\n",
		mb(rep.After.UploadBlocks), mb(rep.After.RawBlocks), rep.PerFrameBlocks,
		float64(rep.After.UploadBlocks)/n, float64(rep.After.RawBlocks)/n, mb(rep.After.Uploads), mb(rep.After.RawFrames), mb(rep.After.Free))
	fmt.Fprintf(stdout, "compaction: %d upload blocks, %d raw blocks in %.1f s (%.0f frames/s)\n",
		rep.Stats.UploadBlocks, rep.Stats.RawBlocks, rep.CompactSeconds, n/rep.CompactSeconds)
	fmt.Fprintf(stdout, "read a device-day (median of %d): uploads rows %.2f ms, blocks %.2f ms (ratio %.2f); raw frames rows %.2f ms, blocks %.2f ms (ratio %.2f)\n",
		cfg.Rounds, rep.ReadRowsMs, rep.ReadBlocksMs, rep.ReadBlocksMs/rep.ReadRowsMs, rep.RawRowsMs, rep.RawBlocksMs, rep.RawBlocksMs/rep.RawRowsMs)
	return nil
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
