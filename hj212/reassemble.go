package hj212

import (
	"errors"
	"fmt"
)

// Reassembler joins the packets of split uploads. A device that cannot fit
// its data in one segment sends PNUM packets numbered PNO = 1..PNUM, each a
// complete frame with its own QN, length and CRC and the Flag D bit set
// (HJ 212-2017 §6.3.2, Appendix C.49-C.50). Packets of one upload share
// MN, CN and DataTime (or, without DataTime, the request's QN).
//
// Each packet is still acknowledged on its own (9014 with its own QN);
// the Reassembler only rebuilds the data. It keeps at most MaxPending
// incomplete uploads, dropping the oldest beyond that, so a device that
// never sends the last packet cannot grow it without bound. It is not
// safe for concurrent use; use one per connection or per device.
type Reassembler struct {
	// MaxPending bounds the incomplete uploads kept; 0 means 16.
	MaxPending int
	// Dropped counts incomplete uploads evicted by MaxPending.
	Dropped uint64

	pending []*partial
}

type partial struct {
	key     string
	packets []*Frame // by PNO-1
	have    int
}

// ErrSplitMismatch is returned when a packet contradicts the others of its
// upload (a different PNUM).
var ErrSplitMismatch = errors.New("hj212: split packet does not match its upload")

// Add takes a decoded frame. A frame that is not split is returned as is,
// with done true. A packet is cloned and kept; when the last one of its
// upload arrives, Add returns the joined frame with done true: the header
// of packet 1 with PNUM, PNO and the Flag D bit cleared, the CP items of
// all packets in PNO order (a DataTime repeated by later packets is kept
// once), the deviations of all packets, and CRCOK only if all were good.
// A repeated packet (a retransmission) is ignored.
func (r *Reassembler) Add(f *Frame) (joined *Frame, done bool, err error) {
	if f.PNUM <= 0 {
		return f, true, nil
	}
	if f.PNO < 1 || f.PNO > f.PNUM {
		return nil, false, fmt.Errorf("%w: PNO %d of PNUM %d", ErrSplitMismatch, f.PNO, f.PNUM)
	}
	key := string(f.MN) + "\x00" + string(f.CN) + "\x00"
	if dt, ok := f.Get("DataTime"); ok {
		key += "T" + string(dt)
	} else {
		key += "Q" + string(f.QN)
	}
	var p *partial
	idx := -1
	for i, q := range r.pending {
		if q.key == key {
			p, idx = q, i
			break
		}
	}
	if p == nil {
		if f.PNUM == 1 {
			g := f.Clone()
			g.PNUM, g.PNO = 0, 0
			if g.Flag >= 0 {
				g.Flag &^= 2
			}
			return g, true, nil
		}
		limit := r.MaxPending
		if limit <= 0 {
			limit = 16
		}
		if len(r.pending) >= limit {
			r.pending = r.pending[1:]
			r.Dropped++
		}
		p = &partial{key: key, packets: make([]*Frame, f.PNUM)}
		r.pending = append(r.pending, p)
		idx = len(r.pending) - 1
	}
	if len(p.packets) != f.PNUM {
		r.pending = append(r.pending[:idx], r.pending[idx+1:]...)
		return nil, false, fmt.Errorf("%w: PNUM %d, earlier packets said %d", ErrSplitMismatch, f.PNUM, len(p.packets))
	}
	if p.packets[f.PNO-1] != nil {
		return nil, false, nil // retransmission
	}
	p.packets[f.PNO-1] = f.Clone()
	p.have++
	if p.have < len(p.packets) {
		return nil, false, nil
	}
	r.pending = append(r.pending[:idx], r.pending[idx+1:]...)
	return join(p.packets), true, nil
}

// Pending returns the number of incomplete uploads held.
func (r *Reassembler) Pending() int { return len(r.pending) }

func join(packets []*Frame) *Frame {
	g := *packets[0]
	g.PNUM, g.PNO = 0, 0
	if g.Flag >= 0 {
		g.Flag &^= 2
	}
	n := 0
	for _, p := range packets {
		n += len(p.CP)
	}
	g.CP = make([]Pair, 0, n)
	g.CP = append(g.CP, packets[0].CP...)
	dt, hasDT := packets[0].Get("DataTime")
	for _, p := range packets[1:] {
		g.Deviations |= p.Deviations
		g.CRCOK = g.CRCOK && p.CRCOK
		for _, kv := range p.CP {
			if hasDT && string(kv.Key) == "DataTime" && string(kv.Value) == string(dt) {
				continue
			}
			g.CP = append(g.CP, kv)
		}
	}
	return &g
}
