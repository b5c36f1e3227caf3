package bus

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// TestRetryable: the errors of a cluster still forming are retried until
// the caller's context ends; a refusal of the configuration is not.
func TestRetryable(t *testing.T) {
	api := func(code int, ec jetstream.ErrorCode) error {
		return fmt.Errorf("create stream: %w", &jetstream.APIError{Code: code, ErrorCode: ec, Description: "x"})
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"no suitable peers while the cluster forms", api(400, errCodeNoPeers), true},
		{"JetStream not ready", api(503, 0), true},
		{"cluster electing", api(500, 0), true},
		{"bad stream config", api(400, jetstream.JSErrCodeBadRequest), false},
		{"stream name in use with another config", api(400, jetstream.JSErrCodeStreamNameInUse), false},
		{"our own refusal", &configError{msg: "replicas 5 > nodes"}, false},
		{"deadline", fmt.Errorf("connect: %w", context.DeadlineExceeded), true},
		{"unknown error", errors.New("boom"), true},
	} {
		if got := retryable(tc.err); got != tc.want {
			t.Errorf("%s: retryable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
