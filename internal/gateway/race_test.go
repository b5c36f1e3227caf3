//go:build race

package gateway

// raceEnabled: the race detector slows byte-heavy tests down several times.
const raceEnabled = true
