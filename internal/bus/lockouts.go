package bus

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go"

	"github.com/ecowatch/ecowatch/internal/gateway"
)

// The lockout feed: a gateway of a scaled-out deployment stores nothing,
// so it announces each device authentication lockout it trips on a plain
// NATS subject (<Subject>_lockouts), and the alert service of the web
// role raises the alarm and opens the case, as serve's raises them for
// its own gateway. Like the committed feed it is best effort: a lockout
// announced while no web role listens is only in the gateway's log and
// metrics, and the next lockout of a continuing attack is announced again
// (the alert service opens one case per device and day however often).

// LockoutSubject is the feed's subject.
func (b *Bus) LockoutSubject() string { return b.cfg.Subject + "_lockouts" }

// PublishLockout announces a lockout. It does not wait for the server.
func (b *Bus) PublishLockout(l gateway.Lockout) error {
	data, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("bus: lockout feed: %w", err)
	}
	if err := b.nc.Publish(b.LockoutSubject(), data); err != nil {
		return fmt.Errorf("bus: lockout feed: %w", err)
	}
	return nil
}

// SubscribeLockouts calls fn with each announced lockout, on the
// subscription's goroutine, one call at a time; fn must not block (the
// alert service's Lockout only queues). The returned function
// unsubscribes.
func (b *Bus) SubscribeLockouts(fn func(gateway.Lockout)) (func(), error) {
	sub, err := b.nc.Subscribe(b.LockoutSubject(), func(msg *nats.Msg) {
		var l gateway.Lockout
		if err := json.Unmarshal(msg.Data, &l); err != nil {
			b.log.Warn("bus: undecodable lockout-feed message", slog.Any("err", err))
			return
		}
		fn(l)
	})
	if err != nil {
		return nil, fmt.Errorf("bus: subscribe to %s: %w", b.LockoutSubject(), err)
	}
	// Subscribed once the server has it: a lockout announced after the
	// return is not missed.
	if err := b.nc.Flush(); err != nil {
		sub.Unsubscribe()
		return nil, fmt.Errorf("bus: subscribe to %s: %w", b.LockoutSubject(), err)
	}
	return func() { sub.Unsubscribe() }, nil
}
