package gateway

import (
	"sync/atomic"

	"github.com/ecowatch/ecowatch/internal/model"
)

// DeviceTable is a DeviceSource over a fixed list of devices. Replace
// swaps the whole table atomically, so a registry reload never blocks or
// tears a lookup.
type DeviceTable struct {
	m atomic.Pointer[map[string]model.Device]
}

// NewDeviceTable returns a table holding devs.
func NewDeviceTable(devs []model.Device) *DeviceTable {
	t := new(DeviceTable)
	t.Replace(devs)
	return t
}

// Replace installs a new set of devices.
func (t *DeviceTable) Replace(devs []model.Device) {
	m := make(map[string]model.Device, len(devs))
	for _, d := range devs {
		m[d.MN] = d
	}
	t.m.Store(&m)
}

// Device returns the device with the given MN.
func (t *DeviceTable) Device(mn string) (model.Device, bool) {
	d, ok := (*t.m.Load())[mn]
	return d, ok
}

// Len returns the number of devices.
func (t *DeviceTable) Len() int { return len(*t.m.Load()) }
