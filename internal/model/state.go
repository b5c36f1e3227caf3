package model

import "time"

// DeviceStateAt returns a device's state from its last contact: online while
// now - lastSeen <= offlineAfter (a contact stamped in the future, from a
// skewed clock, counts as online), offline after that, never without any
// contact. The API and the pages both show states by it.
func DeviceStateAt(lastSeen, now time.Time, offlineAfter time.Duration) string {
	switch {
	case lastSeen.IsZero():
		return DeviceNeverSeen
	case now.Sub(lastSeen) <= offlineAfter:
		return DeviceOnline
	default:
		return DeviceOffline
	}
}
