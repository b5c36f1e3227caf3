package model

import (
	"testing"
	"time"
)

func TestDeriveState(t *testing.T) {
	now := time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC)
	const after = 30 * time.Minute
	tests := []struct {
		name string
		last time.Time
		want string
	}{
		{"never", time.Time{}, DeviceNeverSeen},
		{"just now", now, DeviceOnline},
		{"future (device clock ahead)", now.Add(time.Hour), DeviceOnline},
		{"one ns inside", now.Add(-after + time.Nanosecond), DeviceOnline},
		{"exactly at the threshold", now.Add(-after), DeviceOnline},
		{"one ns past", now.Add(-after - time.Nanosecond), DeviceOffline},
		{"a day ago", now.Add(-24 * time.Hour), DeviceOffline},
	}
	for _, tc := range tests {
		if got := DeviceStateAt(tc.last, now, after); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
