// Package bus carries received HJ 212 frames from stateless gateways to
// writers over NATS JetStream (issue 9): a gateway acknowledges a device
// only once the frame is persisted in the stream, writers commit to
// PostgreSQL idempotently and acknowledge the stream afterwards.
package bus

import (
	_ "github.com/nats-io/nats-server/v2/server"
	_ "github.com/nats-io/nats.go/jetstream"
)
