//go:build !mattn && !ncruces

package sqlitedrivers

import (
	"net/url"

	_ "modernc.org/sqlite"
)

const driverLabel = "modernc"
const driverName = "sqlite"

func dsn(path, sync string) string {
	return "file:" + url.PathEscape(path) + "?_txlock=immediate" +
		"&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(" + sync + ")&_pragma=foreign_keys(1)"
}
