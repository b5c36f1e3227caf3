package usage

import (
	"errors"
	"fmt"
	"testing"
)

// TestError: wrapped anywhere in a chain, the error is still found as a
// usage error and still unwraps to its cause; a plain error is not one.
func TestError(t *testing.T) {
	cause := errors.New("--devices must be positive")
	tests := []struct {
		name  string
		err   error
		usage bool
	}{
		{"bare", Error{cause}, true},
		{"wrapped", fmt.Errorf("bench ingest: %w", Error{cause}), true},
		{"plain", fmt.Errorf("open store: %w", cause), false},
	}
	for _, tt := range tests {
		var u interface{ IsUsage() bool }
		if got := errors.As(tt.err, &u) && u.IsUsage(); got != tt.usage {
			t.Errorf("%s: usage %v, want %v", tt.name, got, tt.usage)
		}
		if !errors.Is(tt.err, cause) {
			t.Errorf("%s: does not unwrap to its cause", tt.name)
		}
	}
	if got := (Error{cause}).Error(); got != cause.Error() {
		t.Errorf("message %q, want %q", got, cause.Error())
	}
}
