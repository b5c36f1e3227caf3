package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/golden"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

// The API against the real stores: every happy path must give the same
// answer as against the fake, byte for byte (the same golden files).

// seed writes the test fixture through the store's own write path.
func seed(t *testing.T, st store.Store) store.Store {
	t.Helper()
	ctx := context.Background()
	reg := testRegistry()
	if err := st.ImportRegistry(ctx, &reg); err != nil {
		t.Fatalf("import registry: %v", err)
	}
	// Raw frames in ID order, so the store's IDs are the fixture's.
	if err := st.CommitBatch(ctx, &store.Batch{Uploads: testUploads(), Raw: testRaw(), Contacts: testContacts()}); err != nil {
		t.Fatalf("commit batch: %v", err)
	}
	got, err := st.RawFrames(ctx, store.RawQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range got {
		if want := int64(len(got) - i); f.ID != want {
			t.Fatalf("store assigned raw frame ID %d at position %d; the goldens assume 7..1", f.ID, i)
		}
	}
	return st
}

func TestRealStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st store.Store) { testRealStore(t, seed(t, st)) })
}

func testRealStore(t *testing.T, st store.Store) {
	h := New(Config{Now: func() time.Time { return testNow }}, st, nil)
	for _, tc := range happyPaths {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, "GET", tc.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, body %s", rec.Code, rec.Body)
			}
			if golden.Updating() {
				return // the goldens come from the fake store's run
			}
			golden.Check(t, "testdata/"+tc.name+".json.golden", indentJSON(t, rec.Body.Bytes()))
		})
	}

	for _, tc := range []struct {
		target string
		status int
		code   string
	}{
		{"/api/v1/devices/NOPE", 404, "not_found"},
		{"/api/v1/devices/NOPE/frames", 404, "not_found"},
		{"/api/v1/measurements?mn=NOPE", 404, "not_found"},
		{"/api/v1/measurements?outlet=NOPE", 404, "not_found"},
		{"/api/v1/measurements?mn=" + mnPlant + "&from=2026-13-01", 400, "invalid_parameter"},
	} {
		rec := do(t, h, "GET", tc.target)
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.target, rec.Code, tc.status)
			continue
		}
		if e := decodeError(t, rec); e.Error.Code != tc.code {
			t.Errorf("%s: code %q, want %q", tc.target, e.Error.Code, tc.code)
		}
	}

	// CSV from the real store, read two uploads at a time, equals the
	// golden file: paging on the store's microsecond times loses and
	// repeats nothing.
	t.Run("csv paged", func(t *testing.T) {
		old := uploadPage
		uploadPage = 2
		defer func() { uploadPage = old }()
		rec := do(t, h, "GET", "/api/v1/measurements?mn="+mnPlant+"&period=min&from=2026-03-15T10:00&to=2026-03-15T10:30&format=csv")
		if rec.Code != 200 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		golden.Check(t, "testdata/min_csv.golden", rec.Body.Bytes())
	})

	// Frames paging through the real store's before_id.
	t.Run("quarantine paged", func(t *testing.T) {
		var ids []int64
		next := "/api/v1/quarantine?limit=1&status=quarantined"
		for next != "" {
			rec := do(t, h, "GET", next)
			var p framesPage
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			for _, f := range p.Frames {
				ids = append(ids, f.ID)
			}
			next = p.Next
			if len(ids) > 10 {
				t.Fatal("paging does not end")
			}
		}
		if fmt.Sprint(ids) != "[6 2]" {
			t.Errorf("quarantine pages visited %v, want [6 2]", ids)
		}
	})
}
