#!/usr/bin/env bash
# The test command (README.md's, and .ci/run's through it): provides what
# the tests need when it is missing, then runs them.
#
#   ./test.sh                 the whole suite (go test -race -count=1 ./...)
#   ./test.sh ./internal/bus  the given packages or go test flags instead
#
# PostgreSQL: ECOWATCH_TEST_PG when set; else the server answering at
# 127.0.0.1:${ECOWATCH_PG_PORT:-5432} (trust authentication, user
# postgres); else a private cluster in a temporary directory, started with
# Debian's initdb and pg_ctl and removed on exit (PostgreSQL is installed
# from Debian's packages first when missing and this runs as root).
# Chromium (the dashboard's browser tests): installed from Debian's
# packages when missing and this runs as root.
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '[test.sh] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

answers() { # host port: something accepts TCP connections there
	(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

apt_install() {
	if [ "$(id -u)" != 0 ]; then
		return 1
	fi
	if [ -z "${apt_updated:-}" ]; then
		apt-get update -qq >&2
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_bin() { # the newest installed PostgreSQL's bin directory
	{ ls -d "${ECOWATCH_PG_LIB:-/usr/lib/postgresql}"/*/bin 2>/dev/null || true; } | sort -V | tail -1
}

private_pg() {
	local bin
	bin=$(pg_bin)
	if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
		log "PostgreSQL's server binaries (initdb, pg_ctl) are missing: installing postgresql from Debian's packages"
		apt_install postgresql ||
			die "no PostgreSQL at 127.0.0.1:$pg_port and none installed: run as root (to install Debian's postgresql), install it yourself, or set ECOWATCH_TEST_PG to a server where the tests may create databases"
		bin=$(pg_bin)
		[ -n "$bin" ] && [ -x "$bin/initdb" ] || die "postgresql installed, but no initdb under /usr/lib/postgresql/*/bin"
	fi
	pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/ecowatch-pg.XXXXXX")
	# initdb refuses to run as root: the cluster belongs to the postgres
	# user the Debian package creates.
	local as=()
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || die "running as root and no postgres user to own the private cluster"
		chown postgres: "$pg_dir"
		as=(runuser -u postgres --)
	fi
	local port=${ECOWATCH_PRIVATE_PG_PORT:-25432}
	while answers 127.0.0.1 "$port"; do port=$((port + 1)); done
	log "no PostgreSQL at 127.0.0.1:$pg_port: starting a private cluster in $pg_dir on port $port"
	"${as[@]}" "$bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1 ||
		die "initdb failed: $(tail -5 "$pg_dir/initdb.log")"
	trap stop_private_pg EXIT
	"${as[@]}" "$bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 120 \
		-o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null ||
		die "the private PostgreSQL did not start: $(tail -5 "$pg_dir/server.log")"
	pg_stop=("${as[@]}" "$bin/pg_ctl" -D "$pg_dir/data" -m immediate stop)
	ECOWATCH_TEST_PG="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
}

stop_private_pg() {
	if [ -n "${pg_stop:-}" ]; then
		"${pg_stop[@]}" >/dev/null 2>&1 || true
	fi
	rm -rf "$pg_dir"
}

pg_port=${ECOWATCH_PG_PORT:-5432}
if [ -z "${ECOWATCH_TEST_PG:-}" ]; then
	if answers 127.0.0.1 "$pg_port"; then
		ECOWATCH_TEST_PG="postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable"
	else
		private_pg
	fi
fi
export ECOWATCH_TEST_PG

if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ] && [ -z "${ECOWATCH_CHROMIUM:-}" ]; then
	log "Chromium is missing: installing chromium from Debian's packages"
	apt_install chromium ||
		die "Chromium is missing (the dashboard's browser tests need it): run as root to install Debian's chromium, or install it yourself, or set ECOWATCH_CHROMIUM"
fi

command -v go >/dev/null 2>&1 || PATH=$PATH:/usr/local/go/bin
[ $# -gt 0 ] || set -- ./...
log "PostgreSQL for the tests: ${ECOWATCH_TEST_PG%%\?*}"
# The timeout is generous (the default 10 minutes per package is not
# enough for the cluster tests on a busy 2-core machine); every test's
# waits end by themselves well before it.
go test -race -count=1 -timeout 40m "$@"
