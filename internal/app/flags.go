package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/alerts/alertsvc"
	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/backup"
	"github.com/ecowatch/ecowatch/internal/bus"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/forward"
	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/usage"
)

// The command line's flag groups of what this package starts (serve, demo
// and the scaled-out roles): each registers its flags on a flag set and
// builds this package's configuration from them, so that cmd only wires.

// EnvOr returns $name, or def when it is unset or empty: each flag of the
// roles has an environment variable as its default, so that a unit file
// or an orchestrator configures a role without a command line.
func EnvOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// EnvInt is EnvOr for an integer; a value that is not one is ignored.
func EnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// BinaryVersion is version, the one set at build time, else version with
// the VCS revision the Go toolchain recorded.
func BinaryVersion(version string) string {
	if version != "dev" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return version
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return version + " (" + rev + ")"
}

// HTTPFlags are the HTTP transport flags every role with an HTTP
// listener has: TLS and the trusted reverse proxies.
type HTTPFlags struct {
	cert, key, proxies string
}

func (f *HTTPFlags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.cert, "tls-cert", EnvOr("ECOWATCH_TLS_CERT", ""), "serve HTTPS with this PEM certificate (chain after the leaf); needs --tls-key ($ECOWATCH_TLS_CERT)")
	fs.StringVar(&f.key, "tls-key", EnvOr("ECOWATCH_TLS_KEY", ""), "the PEM private key of --tls-cert ($ECOWATCH_TLS_KEY)")
	fs.StringVar(&f.proxies, "trusted-proxies", EnvOr("ECOWATCH_TRUSTED_PROXIES", ""),
		"comma-separated CIDRs or addresses of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (empty: none; the TCP peer is the client) ($ECOWATCH_TRUSTED_PROXIES)")
}

func (f *HTTPFlags) Config() (HTTPSecurity, error) {
	if (f.cert == "") != (f.key == "") {
		return HTTPSecurity{}, usage.Error{Err: fmt.Errorf("-tls-cert and -tls-key go together")}
	}
	ps, err := auth.ParseProxies(f.proxies)
	if err != nil {
		return HTTPSecurity{}, usage.Error{Err: fmt.Errorf("-trusted-proxies: %w", err)}
	}
	return HTTPSecurity{CertFile: f.cert, KeyFile: f.key, TrustedProxies: ps}, nil
}

// BusFlags configure the connection to NATS JetStream.
type BusFlags struct {
	URL, stream, subject string
	partitions, replicas int
	maxPending           int64
	maxPendingBytes      int64
	dupWindow            time.Duration
}

func (f *BusFlags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.URL, "nats", EnvOr("ECOWATCH_NATS", "nats://127.0.0.1:4222"), "NATS server URL(s), comma-separated ($ECOWATCH_NATS)")
	fs.StringVar(&f.stream, "stream", EnvOr("ECOWATCH_STREAM", "ECOWATCH_FRAMES"), "JetStream stream of received frames ($ECOWATCH_STREAM)")
	fs.StringVar(&f.subject, "subject", EnvOr("ECOWATCH_SUBJECT", "ecowatch.frames"), "subject prefix of the frames ($ECOWATCH_SUBJECT)")
	fs.IntVar(&f.partitions, "partitions", EnvInt("ECOWATCH_PARTITIONS", 16), "partitions of the stream (fixed once created): devices are spread over them by MN, one writer at a time owns each ($ECOWATCH_PARTITIONS)")
	fs.IntVar(&f.replicas, "replicas", EnvInt("ECOWATCH_REPLICAS", 1), "JetStream replicas of the stream: a gateway acknowledges a device once this many servers hold the frame (3 in production) ($ECOWATCH_REPLICAS)")
	fs.Int64Var(&f.maxPending, "max-pending", 2_000_000, "frames the stream may hold unwritten; beyond it gateways stop acknowledging (back-pressure)")
	fs.Int64Var(&f.maxPendingBytes, "max-pending-bytes", 8<<30, "bytes the stream may hold unwritten")
	fs.DurationVar(&f.dupWindow, "dup-window", 10*time.Minute, "JetStream deduplication window for retransmitted frames")
}

func (f *BusFlags) Config(name string, log *slog.Logger) bus.Config {
	return bus.Config{URL: f.URL, Stream: f.stream, Subject: f.subject, Partitions: f.partitions, Replicas: f.replicas,
		MaxPending: f.maxPending, MaxPendingBytes: f.maxPendingBytes, DuplicateWindow: f.dupWindow, Name: name, Log: log}
}

// RoleFlags are the flags every scaled-out role has: its store, its
// HTTP listener and its security, the ready file and the log level.
type RoleFlags struct {
	DSN, HTTPAddr, ReadyFile, level string
	http                            HTTPFlags
}

// RegisterRoleFlags defines them on fs; the DSN and the HTTP address are
// described by what the role uses them for.
func RegisterRoleFlags(fs *flag.FlagSet, dsnHelp, httpEnv, httpDef, httpHelp string) *RoleFlags {
	f := &RoleFlags{}
	fs.StringVar(&f.DSN, "db", EnvOr("ECOWATCH_DB", ""), dsnHelp+" ($ECOWATCH_DB)")
	fs.StringVar(&f.HTTPAddr, "http-addr", EnvOr(httpEnv, httpDef), httpHelp+" ($"+httpEnv+")")
	fs.StringVar(&f.ReadyFile, "ready-file", "", "write the bound addresses as JSON to this file once listening")
	fs.StringVar(&f.level, "log-level", EnvOr("ECOWATCH_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	f.http.Register(fs)
	return f
}

// Check checks the parsed flags: a DSN (what it is for names it in the
// error), and returns the JSON logger at the level asked for and the
// HTTP security.
func (f *RoleFlags) Check(what string, stderr io.Writer) (*slog.Logger, HTTPSecurity, error) {
	if f.DSN == "" {
		return nil, HTTPSecurity{}, usage.Error{Err: fmt.Errorf("-db (or $ECOWATCH_DB) is required: %s", what)}
	}
	log, err := NewJSONLogger(f.level, stderr)
	if err != nil {
		return nil, HTTPSecurity{}, err
	}
	sec, err := f.http.Config()
	return log, sec, err
}

// NewJSONLogger is the roles' logger: JSON lines on w at level.
func NewJSONLogger(level string, w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, usage.Error{Err: fmt.Errorf("-log-level: %w", err)}
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl})), nil
}

// UntilDone waits for the end of ctx (SIGINT, SIGTERM), then shuts down
// within 30 s: pending work is finished, not dropped.
func UntilDone(ctx context.Context, shutdown func(context.Context) error) error {
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return shutdown(sctx)
}

// backupFlags are serve's scheduled-backup flags.
type backupFlags struct {
	dir   string
	every time.Duration
	keep  int
}

func (b *backupFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.dir, "backup-dir", "", "take scheduled backups of the SQLite store, evidence and ledger checkpoints into this directory (empty: none)")
	fs.DurationVar(&b.every, "backup-every", 24*time.Hour, "with --backup-dir: how often to take a backup")
	fs.IntVar(&b.keep, "backup-keep", 7, "with --backup-dir: how many backups to keep (the oldest beyond it are removed)")
}

func (b *backupFlags) schedule(dsn, binary string) (*backup.Schedule, error) {
	if b.dir == "" {
		return nil, nil
	}
	if strings.HasPrefix(dsn, "postgres") {
		return nil, usage.Error{Err: errors.New("-backup-dir: scheduled backups are for the SQLite store; back up PostgreSQL with pg_dump (README: Backups, restore and upgrades)")}
	}
	if b.every < time.Minute {
		return nil, usage.Error{Err: fmt.Errorf("-backup-every: %s is under a minute", b.every)}
	}
	if b.keep < 1 {
		return nil, usage.Error{Err: fmt.Errorf("-backup-keep: want at least 1, got %d", b.keep)}
	}
	return &backup.Schedule{Dir: b.dir, Every: b.every, Keep: b.keep, Options: backup.Options{Binary: binary}}, nil
}

// DeviceFlags are the device gateway's abuse limits (gateway.Config),
// the same flags on serve and on the gateway role: connections, frame
// size and time, the guard against password guessing and the archive of
// rejected frames. Each defaults to gateway.DefaultConfig's value.
type DeviceFlags struct {
	maxConns, maxConnsPerIP, maxSegment, lockoutAfter int
	frameTimeout, delay, delayMax, lockout            time.Duration
	lockoutMax, forget, deviceDelayMax                time.Duration
	archivePerSource, archiveDaily                    int64
}

// Register defines the flags on fs.
func (f *DeviceFlags) Register(fs *flag.FlagSet) {
	d := gateway.DefaultConfig()
	fs.IntVar(&f.maxConns, "max-conns", d.MaxConns, "device connections allowed in all; more are refused and counted")
	fs.IntVar(&f.maxConnsPerIP, "max-conns-per-ip", d.MaxConnsPerIP, "device connections allowed from one address")
	fs.IntVar(&f.maxSegment, "max-segment", d.MaxSegment, "largest data segment of a frame in bytes (its LLLL, at most 9999); a longer frame is rejected")
	fs.DurationVar(&f.frameTimeout, "frame-timeout", d.FrameTimeout, "a started frame must be complete within this (slow senders are dropped)")
	fs.DurationVar(&f.delay, "auth-delay", d.AuthDelay, "after a wrong device password, the source waits this long before its next attempt is checked, doubling with each failure")
	fs.DurationVar(&f.delayMax, "auth-delay-max", d.AuthDelayMax, "the longest wait of --auth-delay's doubling")
	fs.IntVar(&f.lockoutAfter, "auth-lockout-after", d.AuthLockoutAfter, "wrong device passwords from one source that lock it out (and raise the alarm)")
	fs.DurationVar(&f.lockout, "auth-lockout", d.AuthLockout, "how long the first lockout lasts, doubling with each further one")
	fs.DurationVar(&f.lockoutMax, "auth-lockout-max", d.AuthLockoutMax, "the longest lockout")
	fs.DurationVar(&f.forget, "auth-forget", d.AuthForget, "a source's failures are forgotten after this long without one")
	fs.DurationVar(&f.deviceDelayMax, "auth-device-delay-max", d.AuthDeviceDelayMax, "the longest wait of new addresses of a device whose password is being guessed (its usual addresses go on)")
	fs.Int64Var(&f.archivePerSource, "archive-per-source", d.ArchivePerSource, "bytes of rejected or quarantined frames one source may archive an hour; then one frame a minute")
	fs.Int64Var(&f.archiveDaily, "archive-daily", d.ArchiveDaily, "bytes of rejected or quarantined frames all sources together may archive a day")
}

// Apply checks the parsed flags and sets them in gc. A value the
// gateway would silently replace by its default (zero, negative, a
// segment over 9999) or a cap below its start is a usage error naming
// the flag.
func (f *DeviceFlags) Apply(gc *gateway.Config) error {
	for _, v := range []struct {
		name string
		n    int64
	}{
		{"max-conns", int64(f.maxConns)}, {"max-conns-per-ip", int64(f.maxConnsPerIP)}, {"max-segment", int64(f.maxSegment)},
		{"auth-lockout-after", int64(f.lockoutAfter)}, {"archive-per-source", f.archivePerSource}, {"archive-daily", f.archiveDaily},
		{"frame-timeout", int64(f.frameTimeout)}, {"auth-delay", int64(f.delay)}, {"auth-delay-max", int64(f.delayMax)},
		{"auth-lockout", int64(f.lockout)}, {"auth-lockout-max", int64(f.lockoutMax)}, {"auth-forget", int64(f.forget)},
		{"auth-device-delay-max", int64(f.deviceDelayMax)},
	} {
		if v.n <= 0 {
			return usage.Error{Err: fmt.Errorf("-%s: want more than 0", v.name)}
		}
	}
	switch {
	case f.maxSegment > 9999:
		return usage.Error{Err: fmt.Errorf("-max-segment: %d is more than the 9999 a frame's four length digits can say", f.maxSegment)}
	case f.maxConnsPerIP > f.maxConns:
		return usage.Error{Err: fmt.Errorf("-max-conns-per-ip: %d is more than -max-conns %d", f.maxConnsPerIP, f.maxConns)}
	case f.delayMax < f.delay:
		return usage.Error{Err: fmt.Errorf("-auth-delay-max: %s is less than -auth-delay %s", f.delayMax, f.delay)}
	case f.lockoutMax < f.lockout:
		return usage.Error{Err: fmt.Errorf("-auth-lockout-max: %s is less than -auth-lockout %s", f.lockoutMax, f.lockout)}
	}
	gc.MaxConns, gc.MaxConnsPerIP, gc.MaxSegment, gc.FrameTimeout = f.maxConns, f.maxConnsPerIP, f.maxSegment, f.frameTimeout
	gc.AuthDelay, gc.AuthDelayMax, gc.AuthLockoutAfter = f.delay, f.delayMax, f.lockoutAfter
	gc.AuthLockout, gc.AuthLockoutMax, gc.AuthForget, gc.AuthDeviceDelayMax = f.lockout, f.lockoutMax, f.forget, f.deviceDelayMax
	gc.ArchivePerSource, gc.ArchiveDaily = f.archivePerSource, f.archiveDaily
	return nil
}

// ServeFlags are the flags serve and demo share.
type ServeFlags struct {
	dataDir, dsn, sync    string
	gatewayAddr, httpAddr string
	readyFile             string
	rightsCheckpoints     string
	batchFrames           int
	batchInterval         time.Duration
	idleTimeout           time.Duration
	rawRetention          time.Duration
	devices               DeviceFlags
	quarantineUnknown     bool
	registryReload        time.Duration
	logLevel              string
	webhooks, emailTo     listFlag
	smtpAddr, smtpFrom    string
	smtpUser              string
	meterFile             string
	bus                   string
	http                  HTTPFlags
	backup                backupFlags
	forwardConfig         string
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// Register defines the flags on fs, with the device gateway's and the
// HTTP listener's default addresses.
func (f *ServeFlags) Register(fs *flag.FlagSet, defGateway, defHTTP string) {
	d := gateway.DefaultConfig()
	fs.StringVar(&f.dataDir, "data-dir", "ecowatch-data", "data directory (SQLite file ecowatch.db lives here)")
	fs.StringVar(&f.dsn, "db", "", "store DSN: sqlite:<path> or postgres://user@host:5432/db (default: SQLite in --data-dir)")
	fs.StringVar(&f.sync, "sqlite-sync", "full", "SQLite synchronous mode: full (an ack survives power loss) or normal (survives a process crash)")
	fs.StringVar(&f.gatewayAddr, "gateway-addr", defGateway, "TCP address for HJ 212 devices")
	fs.StringVar(&f.httpAddr, "http-addr", defHTTP, "HTTP address for the API and dashboard (empty disables)")
	fs.StringVar(&f.readyFile, "ready-file", "", "write the bound addresses as JSON to this file once listening")
	fs.StringVar(&f.rightsCheckpoints, "rights-checkpoints", "", "directory of the emission-rights ledger's checkpoint file, written at start and daily for the bureau to post (default <data-dir>/rights-checkpoints)")
	fs.IntVar(&f.batchFrames, "batch-frames", d.BatchFrames, "group commit: commit when this many frames are pending")
	fs.DurationVar(&f.batchInterval, "batch-interval", d.BatchInterval, "group commit: commit this long after the first pending frame")
	fs.DurationVar(&f.idleTimeout, "idle-timeout", d.IdleTimeout, "close a device connection silent for this long")
	fs.DurationVar(&f.rawRetention, "raw-retention", 0, "delete archived raw frames older than this (0 keeps them forever)")
	f.devices.Register(fs)
	fs.BoolVar(&f.quarantineUnknown, "quarantine-unknown", true, "archive frames of unknown devices or with wrong passwords for review (false: drop them, still counted)")
	fs.DurationVar(&f.registryReload, "registry-reload", 30*time.Second, "reload the device table from the registry this often")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&f.meterFile, "meter-file", "", "YAML file naming the electricity sub-meters (production and treatment) of enterprises, for the alert rules (see internal/alerts/alertsvc/meters.go)")
	fs.StringVar(&f.bus, "bus", "", "put NATS JetStream between the gateway and the store in this process: \"embedded\" (a server in-process, storage in <data-dir>/nats) or a nats:// URL; empty: commit directly (the default)")
	fs.Var(&f.webhooks, "webhook", "URL receiving each case notification as POSTed JSON (repeatable)")
	fs.StringVar(&f.smtpAddr, "smtp-addr", "", "SMTP server host:port for notification mail (empty: no mail)")
	fs.StringVar(&f.smtpFrom, "smtp-from", "ecowatch@localhost", "sender of notification mail")
	fs.StringVar(&f.smtpUser, "smtp-user", "", "SMTP user (PLAIN auth); the password comes from $ECOWATCH_SMTP_PASSWORD, never a flag")
	f.http.Register(fs)
	f.backup.register(fs)
	fs.StringVar(&f.forwardConfig, "forward-config", "", "YAML or JSON file of the upper platforms to forward the chosen devices' data to over HJ 212 (README: Forwarding to upper platforms)")
	fs.Var(&f.emailTo, "email-to", "mail a notification recipient's inbox to addresses: KEY=addr[,addr] with KEY city, county:<code>, enterprise:<uscc> or a user ID (repeatable)")
}

// Config builds the configuration of Start from the parsed flags, logging
// as text to stderr; binary is the version recorded in backups.
func (f *ServeFlags) Config(stderr io.Writer, binary string) (Config, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(f.logLevel)); err != nil {
		return Config{}, usage.Error{Err: fmt.Errorf("-log-level: %w", err)}
	}
	if f.sync != "full" && f.sync != "normal" {
		return Config{}, usage.Error{Err: fmt.Errorf("-sqlite-sync: want full or normal, got %q", f.sync)}
	}
	var mailer *casesvc.Mailer
	if f.smtpAddr != "" {
		to, err := casesvc.ParseEmailTo(f.emailTo)
		if err != nil {
			return Config{}, usage.Error{Err: fmt.Errorf("-email-to: %w", err)}
		}
		mailer = &casesvc.Mailer{Addr: f.smtpAddr, From: f.smtpFrom, Username: f.smtpUser,
			Password: os.Getenv("ECOWATCH_SMTP_PASSWORD"), To: to}
	} else if len(f.emailTo) > 0 {
		return Config{}, usage.Error{Err: fmt.Errorf("-email-to needs -smtp-addr")}
	}
	sec, err := f.http.Config()
	if err != nil {
		return Config{}, err
	}
	gc := gateway.DefaultConfig()
	gc.Addr = f.gatewayAddr
	gc.BatchFrames = f.batchFrames
	gc.BatchInterval = f.batchInterval
	gc.IdleTimeout = f.idleTimeout
	gc.RawRetention = f.rawRetention
	if err := f.devices.Apply(&gc); err != nil {
		return Config{}, err
	}
	gc.QuarantineUnknown = f.quarantineUnknown
	var bc *bus.Config
	busDir := ""
	switch {
	case f.bus == "":
	case f.bus == "embedded":
		bc, busDir = &bus.Config{}, filepath.Join(f.dataDir, "nats")
	case strings.HasPrefix(f.bus, "nats://") || strings.HasPrefix(f.bus, "tls://"):
		bc = &bus.Config{URL: f.bus}
	default:
		return Config{}, usage.Error{Err: fmt.Errorf("-bus: want embedded or a nats:// URL, got %q", f.bus)}
	}
	bsch, err := f.backup.schedule(f.dsn, binary)
	if err != nil {
		return Config{}, err
	}
	fwd, err := LoadForwardConfig(f.forwardConfig)
	if err != nil {
		return Config{}, err
	}
	return Config{
		Backup:            bsch,
		Forward:           fwd,
		Bus:               bc,
		BusDir:            busDir,
		DSN:               f.dsn,
		DataDir:           f.dataDir,
		SQLiteSync:        f.sync,
		HTTPAddr:          f.httpAddr,
		HTTP:              sec,
		Gateway:           gc,
		RegistryReload:    f.registryReload,
		ReadyFile:         f.readyFile,
		RightsCheckpoints: f.rightsCheckpoints,
		Webhooks:          f.webhooks,
		Alerts:            alertsvc.Config{MeterFile: f.meterFile},
		Mailer:            mailer,
		Logger:            slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl})),
	}, nil
}

// LoadForwardConfig reads and checks --forward-config (nil without one):
// a wrong file stops the start with every error, each naming its line.
func LoadForwardConfig(path string) (*forward.Config, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-forward-config: %w", err)
	}
	fwd, err := forward.Parse(path, data)
	if err != nil {
		return nil, fmt.Errorf("-forward-config:\n%w", err)
	}
	return fwd, nil
}
