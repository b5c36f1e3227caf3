// Package sqlitedrivers benchmarks the candidate SQLite drivers for the
// ecowatch store on the store's own workload: group-committed device
// uploads (insert with the unique-key conflict check), their raw frames
// and contact upserts, in transactions of 500-2000 frames, and range reads
// of one device's data. It is a separate module so that the main module
// does not depend on the drivers it did not choose. See README.md.
//
// Each driver is selected by a build tag (mattn and ncruces both register
// the database/sql name "sqlite3", so they cannot share a binary):
//
//	go test -bench . -benchtime 20x              # modernc.org/sqlite
//	go test -bench . -benchtime 20x -tags mattn  # github.com/mattn/go-sqlite3 (cgo)
//	go test -bench . -benchtime 20x -tags ncruces
package sqlitedrivers
