package gateway

import (
	"fmt"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/model"
)

// Record is what the gateway commits for one accepted frame of a
// registered device: the upload (HasUpload false when the frame carries
// no values), the archived raw frame and the device's last contact.
type Record struct {
	Upload    model.Upload
	HasUpload bool
	Raw       model.RawFrame
	Contact   model.Contact
}

// RecordOf decodes raw as the gateway does (tolerant) and returns what the
// gateway commits for it when it arrives at recv from remote and its
// device is registered with the right password. It runs the gateway's own
// conversion (DataTime as the upload's key, or the receive time for
// status frames without one), so that a benchmark feeding a store
// directly writes exactly what the gateway writes.
func RecordOf(raw []byte, recv time.Time, remote string) (Record, error) {
	c := &conn{remote: remote, rb: &readBuf{}}
	f := &c.rb.f
	if err := hj212.Decode(raw, f, hj212.Options{Mode: hj212.Tolerant}); err != nil {
		return Record{}, err
	}
	if !f.CRCOK {
		return Record{}, fmt.Errorf("gateway: %s", reasonBadCRC)
	}
	if len(f.MN) == 0 {
		return Record{}, fmt.Errorf("gateway: %s", reasonEmptyMN)
	}
	var it item
	it.at = recv
	c.fill(&it, raw, f)
	it.contact = c.contactOf(&it, recv)
	if _, reason := badValue(it.vals); reason != "" {
		return Record{}, fmt.Errorf("gateway: %s", reason)
	}
	rf, err := c.addUpload(&it, f, recv)
	if err != nil {
		return Record{}, fmt.Errorf("gateway: %s%w", reasonBadDataTime, err)
	}
	if rf.dev != "" {
		return Record{}, fmt.Errorf("gateway: %s", rf.reason)
	}
	return Record{Upload: it.upload, HasUpload: it.hasUpload, Raw: it.raw, Contact: it.contact}, nil
}

// contactOf is the device's contact that an accepted frame records.
func (c *conn) contactOf(it *item, recv time.Time) model.Contact {
	return model.Contact{MN: it.raw.MN, At: recv.UTC(), Remote: c.remote, CN: it.raw.CN}
}
