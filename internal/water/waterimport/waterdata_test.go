package waterimport

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

var points = map[string]bool{"WS01": true, "WD01": true}

func TestReadLab(t *testing.T) {
	in := "\ufeffsection,time,item,value,below_dl\n" +
		"WS01,2026-10-08 10:00,NH3-N,0.52,\n" +
		"WS01,2026-10-08 10:00,总磷,<0.01,\n" +
		"WD01,2026-10-08,w20124,0.003,1\n" +
		"\n"
	got, err := ReadLab(strings.NewReader(in), "lab.csv", points)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 10, 8, 2, 0, 0, 0, time.UTC) // 10:00 CST
	want := []model.WaterSample{
		{Point: "WS01", Time: t0, Item: "NH3-N", Value: "0.52", Source: "file:lab.csv"},
		{Point: "WS01", Time: t0, Item: "TP", Value: "0.01", BelowDL: true, Source: "file:lab.csv"},
		{Point: "WD01", Time: t0.Add(-10 * time.Hour), Item: "Mn", Value: "0.003", BelowDL: true, Source: "file:lab.csv"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d samples, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("sample %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestReadLabErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"unknown item", "section,time,item,value\nWS01,2026-10-08 10:00,NH3-N,0.5\nWS01,2026-10-08 10:00,CODX,4\n",
			`lab.csv:3: item: unknown item "CODX"`},
		{"unknown section", "section,time,item,value\nWS99,2026-10-08 10:00,DO,5\n",
			`lab.csv:2: section: "WS99" is not a section or drinking-water source of the water registry`},
		{"bad time and value", "section,time,item,value\nWS01,8/10/2026,DO,five\n",
			"lab.csv:2: time: \"8/10/2026\": want 2006-01-02 15:04 (China Standard Time) or RFC 3339\nlab.csv:2: value: \"five\" is not a decimal number"},
		{"negative", "section,time,item,value\nWS01,2026-10-08,DO,-1\n", `lab.csv:2: value: -1: negative`},
		{"pH", "section,time,item,value\nWS01,2026-10-08,pH,15\n", `lab.csv:2: value: pH 15 outside 0-14`},
		{"flag", "section,time,item,value,below_dl\nWS01,2026-10-08,DO,5,maybe\n", `lab.csv:2: below_dl: "maybe": want empty, 1/true/Y or 0/false/N`},
		{"missing column", "section,time,value\n", `lab.csv:1: item: missing column (want section,time,item,value,below_dl)`},
		{"empty", "section,time,item,value\n", `lab.csv: no results`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadLab(strings.NewReader(tc.in), "lab.csv", points)
			if err == nil || got != nil {
				t.Fatalf("got %v, %v; want an error and no samples", got, err)
			}
			if err.Error() != tc.want {
				t.Fatalf("error:\n%s\nwant:\n%s", err, tc.want)
			}
		})
	}
}

func TestImportLabIdempotent(t *testing.T) { storetest.Run(t, testImportLabIdempotent) }

func testImportLabIdempotent(t *testing.T, st store.Store) {
	ctx := context.Background()
	in := "section,time,item,value\nWS01,2026-10-08 10:00,NH3-N,0.52\nWS01,2026-10-08 10:00,TP,0.1\n"
	s, err := ReadLab(strings.NewReader(in), "a.csv", points)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := ImportLab(ctx, st, s); err != nil || res.Added != 2 {
		t.Fatalf("first import: %+v, %v", res, err)
	}
	if res, err := ImportLab(ctx, st, s); err != nil || res.Unchanged != 2 || res.Added+res.Replaced != 0 {
		t.Fatalf("re-import: %+v, %v; want nothing changed", res, err)
	}
	// A file with one bad line stores nothing of it.
	bad := "section,time,item,value\nWS01,2026-10-09 10:00,NH3-N,0.6\nWS01,2026-10-09 10:00,XX,1\n"
	if _, err := ReadLab(strings.NewReader(bad), "b.csv", points); err == nil {
		t.Fatal("bad file accepted")
	}
	all, _ := st.WaterSamples(ctx, store.WaterSampleQuery{})
	if len(all) != 2 {
		t.Fatalf("%d samples stored, want the first file's 2", len(all))
	}
}

func TestSync(t *testing.T) { storetest.Run(t, testSync) }

func testSync(t *testing.T, st store.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 10, 8, 2, 0, 0, 0, time.UTC)
	up := func(mn string, h int, kv ...string) model.Upload {
		u := model.Upload{MN: mn, CN: "2061", DataTime: t0.Add(time.Duration(h) * time.Hour)}
		for i := 0; i+1 < len(kv); i += 2 {
			f, field, _ := strings.Cut(kv[i], "-")
			u.Values = append(u.Values, model.Value{Factor: f, Field: field, Value: kv[i+1]})
		}
		return u
	}
	b := &store.Batch{Uploads: []model.Upload{
		up("MN21", 0, "w21003-Avg", "0.61", "w21003-Flag", "N", "w01001-Avg", "7.52", "w01003-Avg", "12.1", "w99999-Avg", "3"),
		up("MN21", 1, "w21003-Avg", "0.70", "w21003-Flag", "M", "w01009-Avg", "6.2"),
		up("OTHER", 0, "w21003-Avg", "9"),
	}}
	if err := st.CommitBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	w := &model.WaterRegistry{Sections: []model.WaterSection{{Code: "WS05", Automatic: true, MN: "MN21"}, {Code: "WS01"}}}
	// A laboratory value for the same hour is kept by the sync.
	if _, err := st.PutWaterSamples(ctx, []model.WaterSample{{Point: "WS05", Item: "pH", Time: t0, Value: "7.6", Source: "file:x"}}, store.WaterPut{}); err != nil {
		t.Fatal(err)
	}
	res, err := Sync(ctx, st, w, t0, t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Uploads != 2 || res.Values != 4 || res.Flagged != 1 || res.Put.Added != 3 || res.Put.Kept != 1 {
		t.Fatalf("sync = %+v", res)
	}
	got, _ := st.WaterSamples(ctx, store.WaterSampleQuery{})
	var s []string
	for _, x := range got {
		s = append(s, x.Point+" "+x.Item+" "+x.Value+" "+x.Source)
	}
	want := "WS05 DO 6.2 hj212|WS05 NH3-N 0.61 hj212|WS05 Turb 12.1 hj212|WS05 pH 7.6 file:x"
	if strings.Join(s, "|") != want {
		t.Fatalf("stored:\n%s\nwant\n%s", strings.Join(s, "|"), want)
	}
	again, _ := Sync(ctx, st, w, t0, t0.Add(24*time.Hour))
	if again.Put.Added != 0 || again.Put.Unchanged != 3 {
		t.Fatalf("second sync = %+v, want nothing added", again)
	}
}
