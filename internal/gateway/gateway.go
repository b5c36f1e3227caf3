// Package gateway is the TCP endpoint HJ 212 data loggers (数采仪) report
// to. It frames the byte stream, decodes each frame in tolerant mode,
// authenticates the device by MN and password, archives every frame's raw
// bytes, stores the data through group commit (many frames per
// transaction) and acknowledges a frame (9014) only once the transaction
// holding it has committed. It also answers notifications (9013),
// calibrates device clocks on connect (1012) and requests history for gaps
// in a device's minute and hourly data (2051/2061 back-fill).
//
// Data flow:
//
//	conn goroutine (one per device connection): read → Splitter → Decode →
//	    authenticate → item ──(bounded queue: backpressure)──▶
//	committer goroutine: collect a batch → Store.CommitBatch (retry) ──▶
//	acker goroutine: write 9014 replies to the connections, update counters.
//
// With a PipelinedStore (the bus publisher) the committer only starts each
// batch, and a completer goroutine between committer and acker waits for
// the batches in order (see commit.go).
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Store is what the gateway needs from persistence. store.Store satisfies it.
type Store interface {
	// CommitBatch durably stores a batch in one transaction.
	CommitBatch(ctx context.Context, b *store.Batch) error
	// UploadTimes returns the stored DataTimes of one device and CN in
	// [from, to), ascending (used to find gaps to back-fill).
	UploadTimes(ctx context.Context, mn, cn string, from, to time.Time) ([]time.Time, error)
}

// PipelinedStore is a Store that can have several batches in flight: the
// bus publisher, whose commit is "every frame got its PubAck". StartBatch
// sends the batch on its way and returns at once; wait blocks until the
// batch is durable (nil) or failed, and is called exactly once, in batch
// order, from another goroutine. The batch must not be referenced once
// StartBatch returns (the gateway keeps it unchanged until wait returned,
// but may retry it through CommitBatch). A database store is not one:
// its transactions commit one at a time anyway, and one that failed
// behind a later one that succeeded would be acknowledged out of order.
type PipelinedStore interface {
	Store
	StartBatch(ctx context.Context, b *store.Batch) (wait func(context.Context) error)
}

// Purger drops old archived raw frames: all of them (RawRetention), or
// those of some statuses only (the archive of rejected and quarantined
// frames has its own retention). store.Store is one.
type Purger interface {
	PurgeRawBefore(ctx context.Context, t time.Time) (int64, error)
	PurgeRawStatusBefore(ctx context.Context, t time.Time, statuses ...string) (int64, error)
}

// Pinger tells a store that is down from a batch the store refuses.
// store.Store is one.
type Pinger interface {
	Ping(ctx context.Context) error
}

// DeviceSource looks devices up by MN. It is called once per frame from
// many goroutines, so it must be safe for concurrent use and fast.
type DeviceSource interface {
	Device(mn string) (model.Device, bool)
}

// Config configures a Server. Start from DefaultConfig: zero durations and
// sizes are replaced by the defaults, but booleans are taken as given.
type Config struct {
	// Addr is the TCP listen address, e.g. ":9212".
	Addr string
	// Now is the clock (injected for tests). Nil means time.Now.
	Now func() time.Time

	// QuarantineUnknown archives frames of unknown MNs or with a wrong
	// password as quarantined; false drops them (they are still counted).
	QuarantineUnknown bool
	// DisableTimeCalibration stops the 1012 sent on a device's first frame
	// and after an implausible DataTime.
	DisableTimeCalibration bool

	// MaxFuture is how far a DataTime may lie ahead of the server's clock
	// (Now). Period data is stamped with its period's start and real-time
	// data with its sampling instant, so a device with a set clock never
	// sends a future DataTime; the tolerance covers the drift of a clock
	// calibrated at each connect. A later DataTime is quarantined, never
	// official data, and the device is sent a time calibration.
	MaxFuture time.Duration
	// MinDataTime is the earliest plausible DataTime; earlier ones (a
	// device clock reset to 1970, 1900 or year 0) are quarantined like
	// future ones. Zero means DefaultMinDataTime.
	MinDataTime time.Time

	// IdleTimeout closes a connection that sends nothing for this long.
	IdleTimeout time.Duration
	// FrameTimeout bounds how long a started frame may take to complete
	// (slowloris protection).
	FrameTimeout time.Duration
	// WriteTimeout bounds a blocked write of replies; a device that does
	// not read its acks is dropped when it expires.
	WriteTimeout time.Duration
	// MaxSegment is the largest data segment accepted (LLLL). Tolerant
	// mode allows up to 9999, the most four digits can say.
	MaxSegment int
	// MaxConns caps the open device connections; MaxConnsPerIP caps them
	// per remote address. Connections beyond are refused and counted.
	MaxConns      int
	MaxConnsPerIP int

	// BatchFrames commits a batch when it holds this many frames;
	// BatchInterval commits a non-empty batch this long after its first
	// frame arrived, whichever comes first.
	BatchFrames   int
	BatchInterval time.Duration
	// CommitPipeline bounds the batches in flight at once when the store
	// is a PipelinedStore (the bus publisher); 1 keeps one at a time.
	// Other stores always commit one batch at a time.
	CommitPipeline int
	// QueueFrames bounds the frames waiting for the committer. When it is
	// full, connections stop being read (TCP backpressure).
	QueueFrames int
	// CommitRetryMin and CommitRetryMax bound the backoff between commit
	// attempts while the store fails.
	CommitRetryMin, CommitRetryMax time.Duration

	// RawRetention purges archived raw frames older than this; zero keeps
	// them forever. PurgeInterval is how often the purge runs.
	RawRetention  time.Duration
	PurgeInterval time.Duration
	// Purger runs the retention purges (RawRetention, ArchiveRetention);
	// nil when the gateway does not commit to the store that keeps the
	// archive (a bus publisher: the writers' side purges).
	Purger Purger
	// Health, when set, tells a store that is down from a batch it
	// refuses, so that the frames it refuses are isolated; nil: a failed
	// batch is retried whole (a bus publisher cannot tell).
	Health Pinger

	// The archive of frames that are not official data (rejected and
	// quarantined) is bounded: identical bytes are archived once while
	// they are among the last 65,536 archived; a source (IPv4 address,
	// IPv6 /64) may archive ArchivePerSource bytes an hour, then one
	// frame per ArchiveSample; all sources together ArchiveDaily bytes a
	// day. Those rows are purged after ArchiveRetention (negative keeps
	// them), on their own schedule, apart from RawRetention. The total is
	// then at most ArchiveDaily per day of retention per gateway.
	ArchivePerSource int64
	ArchiveSample    time.Duration
	ArchiveDaily     int64
	ArchiveRetention time.Duration

	// BackfillWindow is how far back gaps in minute (2051) and hourly
	// (2061) data are looked for; negative disables back-fill.
	BackfillWindow time.Duration
	// BackfillWhenEmpty also requests the whole window of a CN a device
	// has no data of at all in it (a device away for longer than the
	// window, or newly registered). Devices that do not produce the CN
	// answer ExeRtn=100 (no data), once per BackfillInterval.
	BackfillWhenEmpty bool
	// BackfillInterval is how often a connected device is checked again.
	BackfillInterval time.Duration
	// MinInterval is the expected minute-data interval (HJ 212-2017 CN
	// 1063 MinInterval); 10 min by default.
	MinInterval time.Duration
	// BackfillGrace leaves a just-finished period alone for this long
	// before calling it missing (devices upload a little after the period).
	BackfillGrace time.Duration
	// CommandTimeout is how long a request sent to a device (1012,
	// 2051/2061 history) may wait for its 9011/9012 answers.
	CommandTimeout time.Duration

	// Device authentication guard. A source (an IPv4 address, an IPv6
	// /64) that sends a wrong password for a registered device waits
	// AuthDelay before its next attempt is checked, doubling with each
	// failure up to AuthDelayMax; attempts while it waits are refused
	// unchecked. AuthLockoutAfter failures lock it out for AuthLockout,
	// doubling with each further lockout up to AuthLockoutMax. Failures
	// are forgotten after AuthForget without one (counted from the end of
	// a delay or lockout). A device with failures from addresses it never
	// authenticated from makes such addresses wait too (AuthDelay
	// doubling up to AuthDeviceDelayMax) while its usual addresses go on.
	// At most AuthSources sources are tracked one by one; the rest share
	// a fixed set of buckets.
	AuthDelay, AuthDelayMax     time.Duration
	AuthLockoutAfter            int
	AuthLockout, AuthLockoutMax time.Duration
	AuthForget                  time.Duration
	AuthDeviceDelayMax          time.Duration
	AuthSources                 int
	// OnLockout, when set, is called when a source is locked out or a
	// device is attacked from several addresses (e.g. to raise an alarm
	// and open a case, internal/alerts/alertsvc). It runs on a connection's
	// goroutine: it must not block.
	OnLockout func(Lockout)

	// OnCommit, when set, is called by the committer with each batch right
	// after it was committed (before the acks are written), e.g. to feed
	// the alert rules (internal/alerts/alertsvc). It runs on the single commit
	// path, so it must only enqueue and never block (drop and count when
	// full). The batch and its slices are reused after it returns: copy
	// what is needed, never retain b.
	OnCommit func(b *store.Batch)
}

// DefaultConfig returns the production defaults.
func DefaultConfig() Config {
	return Config{
		Addr:               ":9212",
		QuarantineUnknown:  true,
		IdleTimeout:        5 * time.Minute,
		FrameTimeout:       30 * time.Second,
		WriteTimeout:       10 * time.Second,
		MaxSegment:         9999,
		MaxConns:           200000,
		MaxConnsPerIP:      200,
		BatchFrames:        2000,
		BatchInterval:      5 * time.Millisecond,
		CommitPipeline:     3,
		QueueFrames:        8192,
		CommitRetryMin:     50 * time.Millisecond,
		CommitRetryMax:     5 * time.Second,
		PurgeInterval:      time.Hour,
		BackfillWindow:     24 * time.Hour,
		BackfillWhenEmpty:  true,
		BackfillInterval:   time.Hour,
		MinInterval:        10 * time.Minute,
		BackfillGrace:      5 * time.Minute,
		CommandTimeout:     2 * time.Minute,
		MaxFuture:          defaultMaxFuture,
		AuthDelay:          time.Second,
		AuthDelayMax:       time.Minute,
		AuthLockoutAfter:   10,
		AuthLockout:        time.Hour,
		AuthLockoutMax:     24 * time.Hour,
		AuthForget:         24 * time.Hour,
		AuthDeviceDelayMax: time.Hour,
		AuthSources:        16384,
		ArchivePerSource:   256 << 10,
		ArchiveSample:      time.Minute,
		ArchiveDaily:       64 << 20,
		ArchiveRetention:   7 * 24 * time.Hour,
		MinDataTime:        DefaultMinDataTime,
	}
}

// defaultMaxFuture is Config.MaxFuture's default: ten minutes is about a
// year of drift of a data logger's real-time clock (±20 ppm is 1.7 s a
// day) and far below the 8 h a clock set to UTC instead of China time is
// off, or the hour a wrong daylight-saving setting gives.
const defaultMaxFuture = 10 * time.Minute

// DefaultMinDataTime is 2000-01-01 00:00 China Standard Time: HJ 212 data
// loggers came in with HJ/T 212-2005, so nothing real is older, while the
// values a reset clock shows (1970, 1900, year 0) all are.
var DefaultMinDataTime = time.Date(2000, 1, 1, 0, 0, 0, 0, chinatime.Zone)

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Now == nil {
		c.Now = time.Now
	}
	setDur := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setInt := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setDur(&c.IdleTimeout, d.IdleTimeout)
	setDur(&c.FrameTimeout, d.FrameTimeout)
	setDur(&c.WriteTimeout, d.WriteTimeout)
	setDur(&c.BatchInterval, d.BatchInterval)
	setDur(&c.CommitRetryMin, d.CommitRetryMin)
	setDur(&c.CommitRetryMax, d.CommitRetryMax)
	setDur(&c.PurgeInterval, d.PurgeInterval)
	setDur(&c.BackfillWindow, d.BackfillWindow)
	setDur(&c.BackfillInterval, d.BackfillInterval)
	setDur(&c.MinInterval, d.MinInterval)
	setDur(&c.BackfillGrace, d.BackfillGrace)
	setDur(&c.CommandTimeout, d.CommandTimeout)
	setDur(&c.MaxFuture, d.MaxFuture)
	setDur(&c.AuthDelay, d.AuthDelay)
	setDur(&c.AuthDelayMax, d.AuthDelayMax)
	setDur(&c.AuthLockout, d.AuthLockout)
	setDur(&c.AuthLockoutMax, d.AuthLockoutMax)
	setDur(&c.AuthForget, d.AuthForget)
	setDur(&c.AuthDeviceDelayMax, d.AuthDeviceDelayMax)
	setInt(&c.AuthLockoutAfter, d.AuthLockoutAfter)
	setInt(&c.AuthSources, d.AuthSources)
	setDur(&c.ArchiveSample, d.ArchiveSample)
	setDur(&c.ArchiveRetention, d.ArchiveRetention)
	if c.ArchivePerSource <= 0 {
		c.ArchivePerSource = d.ArchivePerSource
	}
	if c.ArchiveDaily <= 0 {
		c.ArchiveDaily = d.ArchiveDaily
	}
	if c.MinDataTime.IsZero() {
		c.MinDataTime = d.MinDataTime
	}
	setInt(&c.MaxSegment, d.MaxSegment)
	setInt(&c.MaxConns, d.MaxConns)
	setInt(&c.MaxConnsPerIP, d.MaxConnsPerIP)
	setInt(&c.BatchFrames, d.BatchFrames)
	setInt(&c.QueueFrames, d.QueueFrames)
	setInt(&c.CommitPipeline, d.CommitPipeline)
	if c.MaxSegment > 9999 {
		c.MaxSegment = 9999
	}
	return c
}

// Server is the device gateway. Create it with New, then Start it.
type Server struct {
	cfg     Config
	st      Store
	devices DeviceSource
	log     *slog.Logger
	rl      rateLog
	stats   counters
	guard   *authGuard
	budget  *archiveBudget

	items chan *item     // conn goroutines → committer (bounded)
	acks  chan *batchRun // committer (or completer) → acker
	// Pipelined commits (nil pipe: none): the committer starts batches
	// and hands them to the completer in order; slots bounds the batches
	// in flight.
	pipe     PipelinedStore
	inflight chan flight
	slots    chan struct{}
	startSeq atomic.Uint64  // batches started (pipelined)
	free     chan *batchRun // acker → committer: recycled batches
	stopping chan struct{}  // closed when Shutdown begins
	stopOnce sync.Once
	// commitCtx is cancelled when Shutdown's deadline passes: an
	// in-flight commit and its retries are abandoned (nothing is acked).
	commitCtx    context.Context
	commitCancel context.CancelFunc
	bgCtx        context.Context // background work (purge, back-fill)
	bgCancel     context.CancelFunc

	mu        sync.Mutex
	listeners []net.Listener
	conns     map[*conn]struct{}
	perIP     map[netip.Addr]int
	started   bool

	smu      sync.Mutex
	sessions map[string]*session // by MN: the device's latest connection

	connWG      sync.WaitGroup // conn goroutines
	acceptWG    sync.WaitGroup // accept loops
	bgWG        sync.WaitGroup // purge and back-fill loops
	committerWG sync.WaitGroup // committer, completer and acker
	kick        chan struct{}  // wakes the back-fill loop early

	openConns    atomic.Int64
	backfillTick time.Duration // how often sessions are scanned; tests shorten it
	shutdownErr  error
}

// New returns a gateway that stores into st and authenticates against
// devices. log may be nil (logs are discarded).
func New(cfg Config, st Store, devices DeviceSource, log *slog.Logger) *Server {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:          cfg,
		st:           st,
		devices:      devices,
		log:          log,
		items:        make(chan *item, cfg.QueueFrames),
		acks:         make(chan *batchRun, 2),
		stopping:     make(chan struct{}),
		conns:        make(map[*conn]struct{}),
		perIP:        make(map[netip.Addr]int),
		sessions:     make(map[string]*session),
		kick:         make(chan struct{}, 1),
		backfillTick: time.Second,
	}
	depth := 1
	if p, ok := st.(PipelinedStore); ok && cfg.CommitPipeline > 1 {
		depth = cfg.CommitPipeline
		s.pipe = p
		s.inflight = make(chan flight, depth)
		s.slots = make(chan struct{}, depth)
	}
	// One batch collecting, depth committing, two queued for the acker.
	s.free = make(chan *batchRun, depth+2)
	for range depth + 2 {
		s.free <- &batchRun{contacts: make(map[string]int)}
	}
	s.rl.init()
	s.guard = newAuthGuard(&s.cfg)
	s.budget = newArchiveBudget(&s.cfg)
	s.commitCtx, s.commitCancel = context.WithCancel(context.Background())
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	return s
}

// Start listens on Config.Addr and starts serving. ctx bounds the listen
// call only: stop the server with Shutdown.
func (s *Server) Start(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("gateway: listen %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ln)
}

// Serve serves devices on an extra listener (e.g. several addresses for a
// connection benchmark). The first call also starts the committer and the
// background loops. The server closes ln at Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	select {
	case <-s.stopping:
		s.mu.Unlock()
		ln.Close()
		return errors.New("gateway: server is shut down")
	default:
	}
	s.listeners = append(s.listeners, ln)
	first := !s.started
	s.started = true
	s.mu.Unlock()
	if first {
		s.committerWG.Add(2)
		go s.committer()
		go s.acker()
		if s.pipe != nil {
			s.committerWG.Add(1)
			go s.completer()
		}
		s.bgWG.Add(1)
		go s.backfillLoop()
		if s.cfg.Purger != nil && (s.cfg.RawRetention > 0 || s.cfg.ArchiveRetention > 0) {
			s.bgWG.Add(1)
			go s.purgeLoop()
		}
	}
	s.acceptWG.Add(1)
	go s.acceptLoop(ln)
	s.log.Info("gateway listening", slog.String("addr", ln.Addr().String()))
	return nil
}

// Addr returns the address of the first listener (nil before Start).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.listeners) == 0 {
		return nil
	}
	return s.listeners[0].Addr()
}

// Shutdown stops accepting, stops reading from devices, commits what is
// queued, acknowledges what committed and closes the connections. If ctx
// ends first, pending commits are abandoned (nothing uncommitted is ever
// acknowledged) and the connections are closed; ctx.Err() is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		close(s.stopping)
		for _, ln := range s.listeners {
			ln.Close()
		}
		// Wake every reader: they stop reading but leave the connection
		// open so that acknowledgements of committed frames still go out.
		for c := range s.conns {
			c.nc.SetReadDeadline(time.Now())
		}
		started := s.started
		s.mu.Unlock()
		s.bgCancel()

		done := make(chan struct{})
		go func() {
			s.acceptWG.Wait()
			s.connWG.Wait()
			// No conn goroutine sends any more: the committer drains the
			// queue, commits, hands the last batch to the acker and stops.
			close(s.items)
			if started {
				s.committerWG.Wait()
			}
			s.bgWG.Wait()
			close(done)
		}()
		var err error
		select {
		case <-done:
		case <-ctx.Done():
			s.commitCancel()
			err = ctx.Err()
			<-done
		}
		s.commitCancel()
		s.mu.Lock()
		for c := range s.conns {
			c.close()
		}
		s.mu.Unlock()
		s.shutdownErr = err
	})
	return s.shutdownErr
}
