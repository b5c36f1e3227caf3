// Package bus carries received HJ 212 frames from stateless gateways to
// writers over NATS JetStream: a gateway acknowledges a device
// only once the frame is persisted in the stream, writers commit to the
// store idempotently and acknowledge the stream afterwards.
//
// One stream (work-queue retention, file storage, DiscardNew at its
// limits) holds one message per received frame, on subject
// <Subject>.<partition>.<MN>. Each partition has one durable pull
// consumer; writers share the partitions through leases in a KV bucket,
// so one writer at a time consumes a partition and each device's frames
// are committed in order.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Config configures a Bus. Zero values take the defaults.
type Config struct {
	URL             string        // NATS URL(s), comma-separated
	Stream          string        // default "ECOWATCH_FRAMES"
	Subject         string        // default "ecowatch.frames"; messages go to <Subject>.<partition>.<MN or _>
	Partitions      int           // default 16; partition = fnv32a(MN) % Partitions
	Replicas        int           // default 1 (3 in production)
	MaxPending      int64         // stream MaxMsgs (work-queue backlog bound → back-pressure), default 2_000_000
	MaxPendingBytes int64         // default 8 GiB
	DuplicateWindow time.Duration // default 10m
	Name            string        // client name for NATS (role/instance)
	Log             *slog.Logger

	// Manage makes Connect update an existing stream to this
	// configuration (ecowatch bus init, serve --bus). Without it an
	// existing stream is used as it is — its partitions, replicas and
	// limits are adopted — so that a gateway or writer started with a
	// missing or stale flag cannot reconfigure (say, un-replicate) the
	// production stream. A missing stream is created either way.
	Manage bool

	// ackWait overrides the consumers' AckWait (tests of a writer that
	// dies without acknowledging; 0: 30s).
	ackWait time.Duration
}

// Defaults and fixed names.
const (
	DefaultStream          = "ECOWATCH_FRAMES"
	DefaultSubject         = "ecowatch.frames"
	DefaultPartitions      = 16
	DefaultMaxPending      = 2_000_000
	DefaultMaxPendingBytes = 8 << 30
	DefaultDuplicateWindow = 10 * time.Minute

	// LeaseBucket is the KV bucket of the writers' partition leases.
	LeaseBucket = "ecowatch_writers"
	// DefaultLeaseTTL is the lease TTL the bucket is created with when
	// no writer has set it yet (WriterConfig.LeaseTTL).
	DefaultLeaseTTL = 6 * time.Second

	// defaultAckWait is how long the server waits for a writer's ack before
	// redelivering. A writer retrying a failing commit keeps its messages
	// with InProgress, so this only bounds how long a dead writer's
	// messages stay invisible.
	defaultAckWait = 10 * time.Second
	// maxAckPending bounds a partition's delivered-but-unacknowledged
	// messages: a writer fetches at most one batch at a time, so this is
	// the largest useful WriterConfig.Batch.
	maxAckPending = 20_000

	// metaPartitions is the stream metadata key holding the partition
	// count: consumers and publishers must agree on it, so it is fixed at
	// creation.
	metaPartitions = "ecowatch_partitions"
)

func (c *Config) setDefaults() {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.Subject == "" {
		c.Subject = DefaultSubject
	}
	if c.Partitions <= 0 {
		c.Partitions = DefaultPartitions
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.MaxPending <= 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.MaxPendingBytes <= 0 {
		c.MaxPendingBytes = DefaultMaxPendingBytes
	}
	if c.DuplicateWindow <= 0 {
		c.DuplicateWindow = DefaultDuplicateWindow
	}
	if c.Name == "" {
		c.Name = "ecowatch"
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.URL == "" {
		c.URL = nats.DefaultURL
	}
	if c.ackWait <= 0 {
		c.ackWait = defaultAckWait
	}
}

// Bus is a connection to the JetStream stream of frames.
type Bus struct {
	cfg Config
	nc  *nats.Conn
	js  jetstream.JetStream
	log *slog.Logger

	mu        sync.Mutex
	consumers map[int]jetstream.Consumer
	kv        jetstream.KeyValue
}

// Connect connects to NATS and ensures the stream, the partitions'
// consumers and the lease bucket exist with cfg's settings. The
// connection reconnects forever (with a growing, jittered delay), so a
// NATS restart or a node loss is ridden out; Connect itself waits for the
// server (retrying) until ctx is done. A stream created with another
// partition count is refused: partitions cannot change under running
// gateways and writers.
func Connect(ctx context.Context, cfg Config) (*Bus, error) {
	cfg.setDefaults()
	if err := checkName(cfg.Stream, "stream"); err != nil {
		return nil, err
	}
	if err := checkSubject(cfg.Subject); err != nil {
		return nil, err
	}
	log := cfg.Log
	nc, err := nats.Connect(cfg.URL,
		nats.Name(cfg.Name),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.CustomReconnectDelay(reconnectDelay),
		nats.ReconnectBufSize(64<<20),
		nats.DisconnectErrHandler(func(c *nats.Conn, err error) {
			if c.IsClosed() {
				// Our own Close: nothing to warn about (and nothing may
				// be written once the caller has returned).
				return
			}
			log.Warn("bus: disconnected from NATS", slog.Any("err", err))
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("bus: reconnected to NATS", slog.String("url", c.ConnectedUrlRedacted()))
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("bus: connect to NATS: %w", err)
	}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(maxAsyncPending),
		// A PubAck that never comes (the request or its answer was lost
		// in a node failure) fails its frame after this, so the batch is
		// retried instead of waiting forever.
		jetstream.WithPublishAsyncTimeout(pubAckTimeout),
	)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("bus: JetStream context: %w", err)
	}
	b := &Bus{cfg: cfg, nc: nc, js: js, log: log, consumers: make(map[int]jetstream.Consumer)}
	backoff := 100 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = b.ensure(actx)
		cancel()
		if err == nil {
			return b, nil
		}
		if !retryable(err) || ctx.Err() != nil {
			nc.Close()
			if ctx.Err() != nil && retryable(err) {
				return nil, fmt.Errorf("bus: NATS at %s not ready: %w (last: %v)", redactURL(cfg.URL), ctx.Err(), err)
			}
			return nil, err
		}
		log.Warn("bus: NATS not ready, retrying", slog.Any("err", err), slog.Duration("in", backoff))
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

const (
	maxAsyncPending = 65536
	pubAckTimeout   = 15 * time.Second
)

// reconnectDelay grows from 100 ms to 5 s with jitter, so that a fleet of
// gateways and writers does not reconnect in lock step after a restart.
func reconnectDelay(attempts int) time.Duration {
	d := 100 * time.Millisecond << min(attempts, 6)
	d = min(d, 5*time.Second)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// retryable tells a transient error (no server yet, no JetStream leader
// yet, a timeout) from a refusal that retrying cannot change.
func retryable(err error) bool {
	var perm *configError
	if errors.As(err, &perm) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrDisconnected) ||
		errors.Is(err, nats.ErrConnectionReconnecting) || errors.Is(err, jetstream.ErrJetStreamNotEnabled) {
		return true
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		// 503: JetStream not ready (no meta leader, insufficient
		// resources while a cluster forms); 500: a cluster still
		// electing; 400 "no suitable peers for placement": the meta
		// leader is elected but has not yet heard from enough peers
		// for the replicas (a forming cluster; a cluster really too
		// small keeps refusing until the caller's context ends, and
		// Connect reports it then). Anything else (400: bad config)
		// is final.
		return apiErr.Code >= 500 || apiErr.ErrorCode == errCodeNoPeers
	}
	return true
}

// errCodeNoPeers is the NATS server's JSClusterNoPeersErrF ("no suitable
// peers for placement"), which nats.go names no constant for.
const errCodeNoPeers jetstream.ErrorCode = 10005

// configError is a refusal of the configuration (not retried).
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

var nameRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func checkName(s, what string) error {
	if !nameRe.MatchString(s) {
		return &configError{fmt.Sprintf("bus: bad %s name %q (letters, digits, '-' and '_' only)", what, s)}
	}
	return nil
}

func checkSubject(s string) error {
	for _, tok := range strings.Split(s, ".") {
		if tok == "" || strings.ContainsAny(tok, "*> \t\r\n") {
			return &configError{fmt.Sprintf("bus: bad subject %q (dot-separated tokens without wildcards or spaces)", s)}
		}
	}
	return nil
}

func redactURL(u string) string {
	var out []string
	for _, one := range strings.Split(u, ",") {
		if scheme, rest, ok := strings.Cut(one, "://"); ok {
			if at := strings.LastIndex(rest, "@"); at >= 0 {
				rest = "***@" + rest[at+1:]
			}
			one = scheme + "://" + rest
		}
		out = append(out, one)
	}
	return strings.Join(out, ",")
}

// streamConfig is the stream cfg asks for.
func (b *Bus) streamConfig() jetstream.StreamConfig {
	c := b.cfg
	return jetstream.StreamConfig{
		Name:        c.Stream,
		Description: fmt.Sprintf("ecowatch received frames, %d partitions", c.Partitions),
		Subjects:    []string{c.Subject + ".>"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    c.Replicas,
		MaxMsgs:     c.MaxPending,
		MaxBytes:    c.MaxPendingBytes,
		// DiscardNew: a full stream refuses new frames, so gateways stop
		// acknowledging devices (which keep and resend them) instead of
		// the stream dropping frames it already acknowledged.
		Discard:    jetstream.DiscardNew,
		Duplicates: c.DuplicateWindow,
		Metadata:   map[string]string{metaPartitions: strconv.Itoa(c.Partitions)},
	}
}

var descPartitionsRe = regexp.MustCompile(`, (\d+) partitions$`)

// storedPartitions reads the partition count an existing stream was
// created with: the metadata, or the description on a server older than
// 2.10 (which drops metadata).
func storedPartitions(cfg jetstream.StreamConfig) (int, bool) {
	if v, ok := cfg.Metadata[metaPartitions]; ok {
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	if m := descPartitionsRe.FindStringSubmatch(cfg.Description); m != nil {
		n, err := strconv.Atoi(m[1])
		return n, err == nil
	}
	return 0, false
}

// ensure creates or updates the stream, the consumers and the KV bucket.
func (b *Bus) ensure(ctx context.Context) error {
	want := b.streamConfig()
	s, err := b.js.Stream(ctx, want.Name)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		if _, err := b.js.CreateStream(ctx, want); err != nil {
			return fmt.Errorf("bus: create stream %s: %w", want.Name, err)
		}
		b.log.Info("bus: stream created", slog.String("stream", want.Name), slog.Int("partitions", b.cfg.Partitions), slog.Int("replicas", want.Replicas))
	case err != nil:
		return fmt.Errorf("bus: look up stream %s: %w", want.Name, err)
	default:
		have := s.CachedInfo().Config
		n, ok := storedPartitions(have)
		if !ok {
			return &configError{fmt.Sprintf("bus: stream %s exists but was not created by ecowatch (no partition count in its metadata or description)", want.Name)}
		}
		if have.Retention != want.Retention {
			return &configError{fmt.Sprintf("bus: stream %s exists with retention %v, want work-queue", want.Name, have.Retention)}
		}
		if !b.cfg.Manage {
			if n != b.cfg.Partitions || !sameLimits(have, want) {
				b.log.Info("bus: using the existing stream's settings (ecowatch bus init changes them)", slog.String("stream", want.Name),
					slog.Int("partitions", n), slog.Int("replicas", have.Replicas), slog.Int64("max_msgs", have.MaxMsgs))
			}
			b.cfg.Partitions, b.cfg.Replicas = n, have.Replicas
			b.cfg.MaxPending, b.cfg.MaxPendingBytes, b.cfg.DuplicateWindow = have.MaxMsgs, have.MaxBytes, have.Duplicates
			break
		}
		if n != b.cfg.Partitions {
			return &configError{fmt.Sprintf("bus: stream %s has %d partitions, configuration asks for %d: partitions cannot change on an existing stream (drain it and delete it, or use its partition count)", want.Name, n, b.cfg.Partitions)}
		}
		if !sameLimits(have, want) {
			if _, err := b.js.UpdateStream(ctx, want); err != nil {
				return fmt.Errorf("bus: update stream %s: %w", want.Name, err)
			}
			b.log.Info("bus: stream updated", slog.String("stream", want.Name), slog.Int("replicas", want.Replicas),
				slog.Int64("max_msgs", want.MaxMsgs), slog.Int64("max_bytes", want.MaxBytes))
		}
	}
	for p := 0; p < b.cfg.Partitions; p++ {
		if _, err := b.ensureConsumer(ctx, p); err != nil {
			return err
		}
	}
	kv, err := b.js.KeyValue(ctx, LeaseBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = b.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      LeaseBucket,
			Description: "ecowatch writers' partition leases",
			TTL:         DefaultLeaseTTL,
			Replicas:    b.cfg.Replicas,
			Storage:     jetstream.FileStorage,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = b.js.KeyValue(ctx, LeaseBucket)
		}
	}
	if err != nil {
		return fmt.Errorf("bus: lease bucket %s: %w", LeaseBucket, err)
	}
	if st, err := kv.Status(ctx); err != nil {
		return fmt.Errorf("bus: lease bucket %s: %w", LeaseBucket, err)
	} else if kc := st.Config(); kc.Replicas != b.cfg.Replicas {
		// Keep the TTL (the writers set it), follow the replicas.
		kc.Replicas = b.cfg.Replicas
		if kv, err = b.js.CreateOrUpdateKeyValue(ctx, kc); err != nil {
			return fmt.Errorf("bus: lease bucket %s: set replicas to %d: %w", LeaseBucket, b.cfg.Replicas, err)
		}
	}
	b.mu.Lock()
	b.kv = kv
	b.mu.Unlock()
	return nil
}

// consumerConfig is partition p's durable pull consumer.
func (b *Bus) consumerConfig(p int) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       consumerName(p),
		Description:   fmt.Sprintf("ecowatch writers, partition %d", p),
		FilterSubject: fmt.Sprintf("%s.%d.>", b.cfg.Subject, p),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       b.cfg.ackWait,
		MaxAckPending: maxAckPending,
		MaxDeliver:    -1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
}

// ensureConsumer creates (or updates) partition p's consumer and returns it.
func (b *Bus) ensureConsumer(ctx context.Context, p int) (jetstream.Consumer, error) {
	cc := b.consumerConfig(p)
	c, err := b.js.CreateOrUpdateConsumer(ctx, b.cfg.Stream, cc)
	if err != nil {
		return nil, fmt.Errorf("bus: consumer %s: %w", cc.Durable, err)
	}
	b.mu.Lock()
	b.consumers[p] = c
	b.mu.Unlock()
	return c, nil
}

// resetConsumer deletes partition p's consumer and creates it anew: the
// new one delivers, in stream order, every message of the partition still
// in the stream (with work-queue retention: every message not yet
// acknowledged), and has nothing outstanding. Deleting a consumer of a
// work-queue stream removes no message.
func (b *Bus) resetConsumer(ctx context.Context, p int) (jetstream.Consumer, error) {
	name := consumerName(p)
	if err := b.js.DeleteConsumer(ctx, b.cfg.Stream, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, fmt.Errorf("bus: delete consumer %s: %w", name, err)
	}
	return b.ensureConsumer(ctx, p)
}

func sameLimits(have, want jetstream.StreamConfig) bool {
	return have.Replicas == want.Replicas && have.MaxMsgs == want.MaxMsgs && have.MaxBytes == want.MaxBytes &&
		have.Discard == want.Discard && have.Duplicates == want.Duplicates && have.Storage == want.Storage &&
		len(have.Subjects) == 1 && have.Subjects[0] == want.Subjects[0] &&
		(have.Metadata == nil || have.Metadata[metaPartitions] == want.Metadata[metaPartitions])
}

func consumerName(p int) string { return fmt.Sprintf("writer-p%02d", p) }

// Config returns the configuration with defaults applied.
func (b *Bus) Config() Config { return b.cfg }

// Close closes the connection (pending async publishes fail).
func (b *Bus) Close() {
	b.nc.Close()
}

// Ready tells whether the connection is up and the stream answers.
func (b *Bus) Ready(ctx context.Context) error {
	if !b.nc.IsConnected() {
		return fmt.Errorf("bus: not connected to NATS (%s)", b.nc.Status())
	}
	if _, err := b.js.Stream(ctx, b.cfg.Stream); err != nil {
		return fmt.Errorf("bus: stream %s: %w", b.cfg.Stream, err)
	}
	return nil
}

// Lag returns the number of messages waiting in the stream: with
// work-queue retention, the frames published but not yet committed and
// acknowledged by a writer.
func (b *Bus) Lag(ctx context.Context) (int64, error) {
	s, err := b.js.Stream(ctx, b.cfg.Stream)
	if err != nil {
		return 0, fmt.Errorf("bus: stream %s: %w", b.cfg.Stream, err)
	}
	return int64(s.CachedInfo().State.Msgs), nil
}

func (b *Bus) consumer(p int) jetstream.Consumer {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.consumers[p]
}

func (b *Bus) leases() jetstream.KeyValue {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.kv
}

// Status is what `ecowatch bus status` shows of the stream.
type Status struct {
	Frames int64  // messages waiting (the writers' backlog)
	Bytes  uint64 // their size
	Leader string // the server leading the stream ("" outside a cluster)
	// Replicas are the other servers holding the stream: Current false
	// means it is still catching up (after a node came back or the
	// replica count was raised), Lag how many operations behind.
	Replicas []ReplicaStatus
	// Leases maps each partition to the writer holding it ("" when none).
	Leases map[int]string
}

// ReplicaStatus is one follower of the stream.
type ReplicaStatus struct {
	Name    string
	Current bool
	Offline bool
	Lag     uint64
}

// Status reads the stream's state, its replicas and the partition leases.
func (b *Bus) Status(ctx context.Context) (Status, error) {
	s, err := b.js.Stream(ctx, b.cfg.Stream)
	if err != nil {
		return Status{}, fmt.Errorf("bus: stream %s: %w", b.cfg.Stream, err)
	}
	info := s.CachedInfo()
	st := Status{Frames: int64(info.State.Msgs), Bytes: info.State.Bytes, Leases: map[int]string{}}
	if c := info.Cluster; c != nil {
		st.Leader = c.Leader
		for _, r := range c.Replicas {
			st.Replicas = append(st.Replicas, ReplicaStatus{Name: r.Name, Current: r.Current, Offline: r.Offline, Lag: r.Lag})
		}
	}
	kv := b.leases()
	for p := 0; p < b.cfg.Partitions; p++ {
		st.Leases[p] = ""
		e, err := kv.Get(ctx, leaseKey(b.cfg.Stream, p))
		if err == nil && e.Operation() == jetstream.KeyValuePut {
			st.Leases[p] = string(e.Value())
		}
	}
	return st, nil
}
