package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ecowatch/ecowatch/internal/bus"
	"github.com/ecowatch/ecowatch/internal/store"
)

// startBus connects the in-process bus (starting the embedded JetStream
// server first when Config.BusDir is set), starts a writer committing to
// the store with onCommit after each commit, and returns the publisher the
// gateway uses as its store.
func (a *App) startBus(ctx context.Context, bc bus.Config, onCommit func(*store.Batch)) (*bus.Publisher, error) {
	if a.cfg.BusDir != "" {
		srv, err := bus.StartEmbedded(bus.EmbeddedConfig{Dir: a.cfg.BusDir})
		if err != nil {
			return nil, fmt.Errorf("cannot start the embedded NATS server: %w", err)
		}
		a.natsSrv = srv
		bc.URL = srv.ClientURL()
		bc.Manage = true // this process owns the embedded server's stream
	}
	if bc.Log == nil {
		bc.Log = a.log.With("component", "bus")
	}
	if bc.Name == "" {
		bc.Name = "ecowatch-serve"
	}
	b, err := bus.Connect(ctx, bc)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to the bus: %w", err)
	}
	a.bus = b
	a.busWriter = bus.NewWriter(b, a.Store, bus.WriterConfig{ID: "serve", OnCommit: onCommit})
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.stopWriter, a.writerDone = cancel, make(chan struct{})
	go func() {
		defer close(a.writerDone)
		if err := a.busWriter.Run(wctx); err != nil && !errors.Is(err, context.Canceled) {
			a.log.Error("bus writer stopped", "err", err)
		}
	}()
	return bus.NewPublisher(b, a.Store), nil
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
	b, err := bus.Connect(ctx, bc)
	if err != nil {
		return fmt.Errorf("cannot connect to the bus: %w", err)
	}
	a.bus = b
	unsub, err := b.SubscribeCommitted(a.Alerts.Enqueue, a.Alerts.Gap)
	if err != nil {
		return err
	}
	a.unsubscribe = unsub
	// What was committed before the subscription is in the store.
	a.Alerts.Gap()
	return nil
}

// waitBacklog waits (within ctx) until the writer has stored what the
// stream holds.
func (a *App) waitBacklog(ctx context.Context) {
	for {
		n, err := a.bus.Lag(ctx)
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

// stopBus stops the writer, closes the connection and the embedded server.
func (a *App) stopBus(ctx context.Context) {
	if a.unsubscribe != nil {
		a.unsubscribe()
		a.unsubscribe = nil
	}
	if a.stopWriter != nil {
		a.stopWriter()
		select {
		case <-a.writerDone:
		case <-ctx.Done():
		}
		a.stopWriter = nil
	}
	if a.bus != nil {
		a.bus.Close()
		a.bus = nil
	}
	if a.natsSrv != nil {
		a.natsSrv.Shutdown()
		a.natsSrv.WaitForShutdown()
		a.natsSrv = nil
	}
}
