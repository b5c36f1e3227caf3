package forward

import (
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/model"
)

// MaxSegment is the longest data segment HJ 212-2017 allows (§6.3.1,
// table 2: 0 ≤ n ≤ 1024); a longer upload is sent as packets.
const MaxSegment = 1024

// Packet is one frame to send and the QN its 9014 will carry.
type Packet struct {
	QN    string
	Frame []byte
}

// Flag bits (HJ 212-2017 §6.3.2, table 3: V5..V0 D A).
const (
	flagA = 1 // 应答: the receiver answers 9014 (§6.5, Appendix C)
	flagD = 2 // 拆分包: PNUM and PNO follow
)

// flagFor is the Flag of a forwarded upload: the edition's version bits
// and A = 1, so that the upper platform acknowledges each frame with
// 9014; D = 1 for split packets.
func flagFor(v hj212.Version, split bool) int {
	f := int(v)<<2 | flagA
	if split {
		f |= flagD
	}
	return f
}

// STFor is the system code of an upload: the device's, else by CN's
// data — 32 (surface-water pollution source) for water factors, else 31
// (air pollution source) (§6.6.1, table 5).
func STFor(id Identity, u *model.Upload) string {
	if id.ST != "" {
		return id.ST
	}
	if u == nil {
		return "31"
	}
	for _, v := range u.Values {
		if len(v.Factor) > 0 && v.Factor[0] == 'w' {
			return "32"
		}
	}
	return "31"
}

// BuildUpload returns the frames of an upload as the upper platform is
// to receive it (HJ 212-2017 §6.3, Appendix C.11-C.23): the identity's
// MN, PW and ST, a fresh QN per frame from qn, the edition's Flag with
// A = 1, and CP = DataTime then the stored values in order. An upload
// whose segment would pass MaxSegment is split into packets (Flag D = 1,
// PNUM/PNO), each with the DataTime and whole factors, as Appendix C.49
// shows; each packet is acknowledged on its own (C.50).
func BuildUpload(u *model.Upload, id Identity, v hj212.Version, qn func() string) []Packet {
	dt := string(hj212.FormatTime(nil, u.DataTime))
	items := make([]hj212.KV, 0, len(u.Values)+1)
	items = append(items, hj212.KV{Key: "DataTime", Value: dt})
	for _, x := range u.Values {
		k := x.Field
		if x.Factor != "" {
			k = x.Factor + "-" + x.Field
		}
		items = append(items, hj212.KV{Key: k, Value: x.Value})
	}
	m := hj212.Message{ST: STFor(id, u), CN: u.CN, PW: id.PW, MN: id.MN, Flag: flagFor(v, false)}
	m.QN = qnPlaceholder
	m.CP = items
	if len(m.AppendSegment(nil)) <= MaxSegment {
		m.QN = qn()
		return []Packet{{QN: m.QN, Frame: m.AppendFrame(nil)}}
	}
	// Group the values by factor (a factor's fields stay together), then
	// fill packets greedily; the header with PNUM=9999;PNO=9999 is the
	// longest it can be.
	var groups [][]hj212.KV
	for _, kv := range items[1:] {
		f, _, _ := cut(kv.Key)
		if n := len(groups); n > 0 {
			g, _, _ := cut(groups[n-1][0].Key)
			if f != "" && f == g {
				groups[n-1] = append(groups[n-1], kv)
				continue
			}
		}
		groups = append(groups, []hj212.KV{kv})
	}
	probe := m
	probe.Flag, probe.PNUM, probe.PNO = flagFor(v, true), 9999, 9999
	probe.CP = items[:1]
	base := len(probe.AppendSegment(nil))
	var parts [][]hj212.KV
	cur, size := []hj212.KV{items[0]}, base
	for _, g := range groups {
		gs := 0
		for _, kv := range g {
			gs += len(kv.Key) + 1 + len(kv.Value) + 1
		}
		if len(cur) > 1 && size+gs > MaxSegment {
			parts = append(parts, cur)
			cur, size = []hj212.KV{items[0]}, base
		}
		cur = append(cur, g...)
		size += gs
	}
	parts = append(parts, cur)
	out := make([]Packet, len(parts))
	for i, p := range parts {
		pm := m
		pm.QN, pm.Flag, pm.PNUM, pm.PNO, pm.CP = qn(), flagFor(v, true), len(parts), i+1, p
		out[i] = Packet{QN: pm.QN, Frame: pm.AppendFrame(nil)}
	}
	return out
}

// qnPlaceholder has a QN's length, to measure a segment before its QN is
// drawn.
const qnPlaceholder = "20000101000000000"

func cut(key string) (factor, field string, ok bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == '-' {
			return key[:i], key[i+1:], true
		}
	}
	return "", key, false
}

// QNs draws QNs (YYYYMMDDhhmmsszzz, China time, §6.3.2 table 3) from a
// clock reading, strictly increasing, so that each frame's 9014 can be
// matched to it.
type QNs struct{ last time.Time }

// Next returns the next QN at or after now.
func (q *QNs) Next(now time.Time) string {
	t := now.Truncate(time.Millisecond)
	if !t.After(q.last) {
		t = q.last.Add(time.Millisecond)
	}
	q.last = t
	return string(hj212.FormatQN(make([]byte, 0, 17), t))
}
