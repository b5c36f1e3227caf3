package backup

import "testing"

func TestManifestSummary(t *testing.T) {
	m := Manifest{SchemaVersion: 12, Database: File{Size: 1000}, IntegrityCheck: "ok", Tables: map[string]int64{"a": 3, "b": 4},
		Ledger: Ledger{Entries: 5, Head: "0123456789abcdef0123"}, Evidence: []File{{Size: 20}}, Files: []File{{Size: 30}}, Seconds: 1.234}
	for _, c := range []struct {
		missing []string
		want    string
	}{
		{nil, "backup d: schema 12, 7 rows in 2 tables, integrity ok, ledger 5 entries (head 0123456789abcdef), 1 evidence files, 1050 bytes, taken in 1.23 s"},
		{[]string{"x"}, "backup d: schema 12, 7 rows in 2 tables, integrity ok, ledger 5 entries (head 0123456789abcdef), 1 evidence files (1 missing), 1050 bytes, taken in 1.23 s"},
	} {
		m.MissingEvidence = c.missing
		if got := m.Summary("d"); got != c.want {
			t.Errorf("Summary:\n got %s\nwant %s", got, c.want)
		}
	}
}
