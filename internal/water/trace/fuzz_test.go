package trace

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

// FuzzTrace bends the edge network and its data with the fuzzer's bytes
// (weird lengths, velocities, offsets, residences, links, values, query
// durations): New must reject or accept without panicking, and an accepted
// network must give finite travel times and a report that encodes.
func FuzzTrace(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3}, 1.0, int64(time.Hour))
	f.Add([]byte{7, 7, 7}, math.NaN(), int64(0))
	f.Add([]byte{3, 200, 4, 9, 11}, -1.0, int64(-time.Hour))
	f.Add([]byte{12, 0, 13, 5}, math.Inf(1), int64(48*time.Hour))
	// One fixed data set; the fuzzer perturbs a copy of its values.
	d0, q0 := edgeData(f, edgeNetwork(), pulse{outfall: "Oc1", arrive: 150, hours: 4, load: 2})
	f.Fuzz(func(t *testing.T, ops []byte, x float64, dur int64) {
		n := edgeNetwork()
		q := q0
		d := &MapData{Sections: map[Key]Series{}, Outfalls: map[Key]Series{}, OutfallFlows: d0.OutfallFlows, Limits: d0.Limits}
		for k, v := range d0.Sections {
			d.Sections[k] = v
		}
		for k, v := range d0.Outfalls {
			d.Outfalls[k] = v
		}
		for i, op := range ops {
			j := int(op) >> 4
			switch op & 15 {
			case 0:
				n.Reaches[j%len(n.Reaches)].Length = x
			case 1:
				n.Reaches[j%len(n.Reaches)].Velocity = x
			case 2:
				n.Sections[j%len(n.Sections)].Offset = x
			case 3:
				n.Outfalls[j%len(n.Outfalls)].Offset = x
			case 4:
				n.Nodes[j%len(n.Nodes)].Residence = time.Duration(dur)
			case 5:
				n.Reaches[j%len(n.Reaches)].To = n.Nodes[i%len(n.Nodes)].ID
			case 6:
				n.Outfalls[j%len(n.Outfalls)].Reach = n.Reaches[i%len(n.Reaches)].ID
			case 7:
				n.Sections[j%len(n.Sections)].Reach = n.Reaches[i%len(n.Reaches)].ID
			case 8:
				q.Window = time.Duration(dur)
			case 9:
				q.After = time.Duration(dur)
			case 10:
				q.Horizon = time.Duration(dur)
			case 11:
				q.Tolerance = time.Duration(dur)
			case 12:
				k := Key{"T", "NH3-N"}
				s := d.Sections[k]
				v := append([]float64(nil), s.Values...)
				v[(j*17+i)%len(v)] = x
				d.Sections[k] = Series{Start: s.Start, Step: s.Step, Values: v}
			case 13:
				k := Key{n.Outfalls[j%len(n.Outfalls)].ID, "NH3-N"}
				s := d.Outfalls[k]
				v := append([]float64(nil), s.Values...)
				for h := range v {
					if h%(j+1) == 0 {
						v[h] = x
					}
				}
				d.Outfalls[k] = Series{Start: s.Start, Step: s.Step, Values: v}
			case 14:
				q.Kind = Jump
			case 15:
				q.Limit = x
			}
		}
		if q.Window > 30*24*time.Hour || q.After > 30*24*time.Hour || q.Horizon > 1000*time.Hour || q.Tolerance > 1000*time.Hour {
			return // the engine does not bound query sizes; keep the fuzzer fast
		}
		eng, err := New(n)
		if err != nil {
			return
		}
		ups, err := eng.Upstream("T", 1000*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range ups {
			if u.Travel < 0 || math.IsNaN(u.Distance) || u.Distance < 0 {
				t.Fatalf("%s: travel %v distance %v", u.ID, u.Travel, u.Distance)
			}
		}
		rep, err := eng.Trace(q, d)
		if err != nil {
			return
		}
		if _, err := json.Marshal(rep); err != nil {
			t.Fatalf("report does not encode: %v", err)
		}
		_ = rep.Text()
	})
}
