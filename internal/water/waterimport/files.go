package waterimport

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ecowatch/ecowatch/internal/store"
)

// PutSummary is a one-line account of what a put did.
func PutSummary(p store.WaterPutResult) string {
	return fmt.Sprintf("%d added, %d unchanged, %d corrected, %d repeated in the file", p.Added, p.Unchanged, p.Replaced, p.Duplicate)
}

// String is a one-line account of a sync.
func (r SyncResult) String() string {
	return fmt.Sprintf("%d automatic stations, %d hourly uploads, %d values (%d flagged, skipped): %s, %d kept",
		r.Stations, r.Uploads, r.Values, r.Flagged, PutSummary(r.Put), r.Put.Kept)
}

// ImportFiles imports laboratory files in turn ("-" is stdin), each all or
// nothing, printing each file's summary on out. A file that fails is
// reported on errs (its error names line and column) and stores nothing;
// the others are imported, and the error then names the files not
// imported.
func ImportFiles(ctx context.Context, st store.WaterStore, files []string, stdin io.Reader, out, errs io.Writer) error {
	w, err := st.WaterRegistry(ctx)
	if err != nil {
		return err
	}
	points := Points(w)
	if len(points) == 0 {
		return fmt.Errorf("the water registry has no sections or sources: import it first (ecowatch water registry import)")
	}
	var failed []string
	for _, name := range files {
		if err := importFile(ctx, st, name, stdin, out, points); err != nil {
			fmt.Fprintf(errs, "%v\n%s: nothing stored\n", err, name)
			failed = append(failed, name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d files not imported: %s", len(failed), len(files), strings.Join(failed, ", "))
	}
	return nil
}

// importFile reads, checks and stores one file: all of it or nothing.
func importFile(ctx context.Context, st store.WaterStore, name string, stdin io.Reader, out io.Writer, points map[string]bool) error {
	r := stdin
	if name != "-" {
		fh, err := os.Open(name)
		if err != nil {
			return err
		}
		defer fh.Close()
		r = fh
	}
	samples, err := ReadLab(r, filepath.Base(name), points)
	if err != nil {
		return err
	}
	put, err := ImportLab(ctx, st, samples)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %d results: %s\n", name, len(samples), PutSummary(put))
	return nil
}
