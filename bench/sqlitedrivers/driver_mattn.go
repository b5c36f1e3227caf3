//go:build mattn

package sqlitedrivers

import (
	"net/url"

	_ "github.com/mattn/go-sqlite3"
)

const driverLabel = "mattn"
const driverName = "sqlite3"

func dsn(path, sync string) string {
	return "file:" + url.PathEscape(path) + "?_txlock=immediate" +
		"&_busy_timeout=10000&_journal_mode=WAL&_synchronous=" + sync + "&_foreign_keys=1"
}
