package hj212

import (
	"errors"
	"testing"
)

func packet(t *testing.T, qn string, pnum, pno int, cp ...KV) *Frame {
	t.Helper()
	m := Message{QN: qn, ST: "32", CN: "2061", PW: "123456", MN: "010000A8900016F000169DC0", Flag: 7, PNUM: pnum, PNO: pno, CP: cp}
	var f Frame
	if err := Decode(m.AppendFrame(nil), &f, Options{Mode: Strict}); err != nil {
		t.Fatal(err)
	}
	return &f
}

func TestReassembler(t *testing.T) {
	// Appendix C.49/C.50: hourly data over two packets, QN …534 and …535.
	dt := KV{"DataTime", "20160801080000"}
	p1 := packet(t, "20160801085857534", 2, 1, dt, KV{"w01018-Avg", "50.1"}, KV{"w01018-Flag", "N"})
	p2 := packet(t, "20160801085857535", 2, 2, dt, KV{"w21003-Avg", "2.2"}, KV{"w21003-Flag", "N"})
	other := packet(t, "20160801085857536", 2, 1, KV{"DataTime", "20160801090000"}, KV{"w01018-Avg", "40"})

	var r Reassembler
	if _, done, err := r.Add(p2); done || err != nil {
		t.Fatalf("first packet: done %v err %v", done, err)
	}
	if _, done, _ := r.Add(other); done {
		t.Fatal("a packet of another hour completed the upload")
	}
	if _, done, _ := r.Add(p2); done {
		t.Fatal("a retransmitted packet completed the upload")
	}
	if r.Pending() != 2 {
		t.Fatalf("Pending = %d", r.Pending())
	}
	g, done, err := r.Add(p1)
	if !done || err != nil {
		t.Fatalf("done %v err %v", done, err)
	}
	var keys []string
	for _, kv := range g.CP {
		keys = append(keys, string(kv.Key)+"="+string(kv.Value))
	}
	want := []string{"DataTime=20160801080000", "w01018-Avg=50.1", "w01018-Flag=N", "w21003-Avg=2.2", "w21003-Flag=N"}
	if len(keys) != len(want) {
		t.Fatalf("joined CP %q, want %q", keys, want)
	}
	for i := range want {
		if keys[i] != want[i] {
			t.Fatalf("joined CP %q, want %q", keys, want)
		}
	}
	if g.PNUM != 0 || g.PNO != 0 || g.Flag != 5 || string(g.QN) != "20160801085857534" || !g.CRCOK {
		t.Errorf("joined header %+v", g)
	}
	if r.Pending() != 1 {
		t.Errorf("Pending = %d after completion", r.Pending())
	}
}

func TestReassemblerBounds(t *testing.T) {
	r := Reassembler{MaxPending: 2}
	for i := range 5 {
		dt := KV{"DataTime", string(appendDigits([]byte("201608010"), i, 5))}
		if _, done, err := r.Add(packet(t, "20160801085857534", 3, 1, dt)); done || err != nil {
			t.Fatal(done, err)
		}
	}
	if r.Pending() != 2 || r.Dropped != 3 {
		t.Errorf("Pending %d Dropped %d", r.Pending(), r.Dropped)
	}
	dt := KV{"DataTime", "20160801000004"}
	if _, _, err := r.Add(packet(t, "20160801085857535", 4, 2, dt)); !errors.Is(err, ErrSplitMismatch) {
		t.Errorf("PNUM change: %v", err)
	}
	// Not split: passed through.
	f := &Frame{Flag: 5}
	if g, done, err := r.Add(f); g != f || !done || err != nil {
		t.Error("unsplit frame not passed through")
	}
}
