package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ecowatch/ecowatch/internal/bus"
	"github.com/ecowatch/ecowatch/internal/gateway"
	"github.com/ecowatch/ecowatch/internal/store"
)

// startBus connects the in-process bus (starting the embedded JetStream
// server first when Config.BusDir is set), starts a writer committing to
// the store with onCommit after each commit, and returns the publisher the
// gateway uses as its store.
func (a *App) startBus(ctx context.Context, bc bus.Config, onCommit func(*store.Batch)) (*bus.Publisher, error) {
	if a.cfg.BusDir != "" {
		if err := a.step("embedded NATS server"); err != nil {
			return nil, err
		}
		srv, err := bus.StartEmbedded(bus.EmbeddedConfig{Dir: a.cfg.BusDir})
		if err != nil {
			return nil, fmt.Errorf("cannot start the embedded NATS server: %w", err)
		}
		a.natsSrv = srv
		a.started("embedded NATS server", func(context.Context) error {
			srv.Shutdown()
			srv.WaitForShutdown()
			return nil
		})
		bc.URL = srv.ClientURL()
		bc.Manage = true // this process owns the embedded server's stream
	}
	if bc.Log == nil {
		bc.Log = a.log.With("component", "bus")
	}
	if bc.Name == "" {
		bc.Name = "ecowatch-serve"
	}
	if err := a.step("bus connection"); err != nil {
		return nil, err
	}
	b, err := bus.Connect(ctx, bc)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to the bus: %w", err)
	}
	a.bus = b
	a.started("bus connection", func(context.Context) error { b.Close(); return nil })
	if err := a.step("bus writer"); err != nil {
		return nil, err
	}
	w := bus.NewWriter(b, a.Store, bus.WriterConfig{ID: "serve", OnCommit: onCommit, Health: a.Store})
	a.busWriter = w
	if err := w.RegisterMetrics(a.Metrics); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Run(wctx); err != nil && !errors.Is(err, context.Canceled) {
			a.log.Error("bus writer stopped", "err", err)
		}
	}()
	a.started("bus writer", func(ctx context.Context) error {
		// What the gateway acknowledged is in the stream; let the writer
		// store it now rather than at the next start.
		a.waitBacklog(ctx, b)
		cancel()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("bus writer did not stop: %w", ctx.Err())
		}
	})
	pub := bus.NewPublisher(b, a.Store)
	if err := pub.RegisterMetrics(a.Metrics); err != nil {
		return nil, err
	}
	return pub, nil
}

// followCommitted feeds the alert rules from the writers' committed feed
// (web role); a gap in the feed makes them re-read the store.
func (a *App) followCommitted(ctx context.Context, bc bus.Config) error {
	if bc.Log == nil {
		bc.Log = a.log.With("component", "bus")
	}
	if bc.Name == "" {
		bc.Name = "ecowatch-web"
	}
	if err := a.step("bus connection"); err != nil {
		return err
	}
	b, err := bus.Connect(ctx, bc)
	if err != nil {
		return fmt.Errorf("cannot connect to the bus: %w", err)
	}
	a.bus = b
	a.started("bus connection", func(context.Context) error { b.Close(); return nil })
	if err := a.step("committed feed"); err != nil {
		return err
	}
	unsub, err := b.SubscribeCommitted(a.Alerts.Enqueue, a.Alerts.Gap)
	if err != nil {
		return fmt.Errorf("cannot follow the committed feed: %w", err)
	}
	a.started("committed feed", func(context.Context) error { unsub(); return nil })
	// The gateways of a scaled-out deployment store nothing: their
	// lockouts come over the bus, for the same alarm and case as serve's.
	unlock, err := b.SubscribeLockouts(func(l gateway.Lockout) { a.Alerts.Lockout(alertLockout(l)) })
	if err != nil {
		return fmt.Errorf("cannot follow the gateways' lockouts: %w", err)
	}
	a.started("lockout feed", func(context.Context) error { unlock(); return nil })
	// What was committed before the subscription is in the store.
	a.Alerts.Gap()
	return nil
}

// waitBacklog waits (within ctx) until the writer has stored what the
// stream holds.
func (a *App) waitBacklog(ctx context.Context, b *bus.Bus) {
	for {
		n, err := b.Lag(ctx)
		if err != nil || n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			a.log.Warn("shutdown: frames left in the stream for the next start", "frames", n)
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}
