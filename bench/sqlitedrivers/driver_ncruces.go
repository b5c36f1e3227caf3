//go:build ncruces

package sqlitedrivers

import (
	"net/url"

	_ "github.com/ncruces/go-sqlite3/driver"
)

const driverLabel = "ncruces"
const driverName = "sqlite3"

func dsn(path, sync string) string {
	return "file:" + url.PathEscape(path) + "?_txlock=immediate" +
		"&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(" + sync + ")&_pragma=foreign_keys(1)"
}
