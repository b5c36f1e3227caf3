package hj212

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"strings"
	"testing"
)

type standardExample struct {
	source string
	crcOK  bool
	frame  string
}

func loadStandardExamples(t testing.TB) []standardExample {
	t.Helper()
	fh, err := os.Open("testdata/hj212-standard-examples.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []standardExample
	sc := bufio.NewScanner(fh)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 {
			t.Fatalf("bad line %q", sc.Text())
		}
		out = append(out, standardExample{source: cols[0], crcOK: cols[1] == "yes", frame: cols[2]})
	}
	if len(out) < 17 {
		t.Fatalf("only %d examples", len(out))
	}
	return out
}

// Every frame of the standard's Appendix A and C decodes in Strict mode,
// with and without its CR LF.
func TestDecodeStandardExamples(t *testing.T) {
	for _, ex := range loadStandardExamples(t) {
		name := ex.source[strings.Index(ex.source, "Appendix"):]
		t.Run(name, func(t *testing.T) {
			var f Frame
			if err := Decode([]byte(ex.frame+"\r\n"), &f, Options{Mode: Strict}); err != nil {
				t.Fatalf("Strict: %v", err)
			}
			if f.CRCOK != ex.crcOK {
				t.Errorf("CRCOK = %v, want %v", f.CRCOK, ex.crcOK)
			}
			want := Deviation(0)
			if strings.Contains(name, "C.25") {
				want = DevSpaceAfterSemicolon // "; LA-Rtd=50.1", accepted and recorded
			}
			if f.Deviations != want {
				t.Errorf("deviations = %v, want %v", f.Deviations, want)
			}
			if f.Version != V2017 || len(f.MN) != 24 || len(f.QN) != 17 || f.Length != len(ex.frame)-10 {
				t.Errorf("decoded %+v", f)
			}
			// Re-encoding the decoded fields gives the same bytes, except
			// for C.25 whose space the encoder does not reproduce.
			if want == 0 {
				if got := string(messageOf(&f).AppendFrame(nil)); got != ex.frame+"\r\n" {
					t.Errorf("re-encoded\n got %q\nwant %q", got, ex.frame+"\r\n")
				}
			}
			var g Frame
			if err := Decode([]byte(ex.frame), &g, Options{Mode: Strict}); err != nil || g.Deviations != want|DevMissingEnding {
				t.Errorf("without CR LF: %v, %v", err, g.Deviations)
			}
		})
	}
}

func messageOf(f *Frame) *Message {
	m := &Message{QN: string(f.QN), ST: string(f.ST), CN: string(f.CN), PW: string(f.PW), MN: string(f.MN),
		Flag: f.Flag, PNUM: f.PNUM, PNO: f.PNO}
	for _, p := range f.CP {
		m.CP = append(m.CP, KV{string(p.Key), string(p.Value)})
	}
	return m
}

func TestDecodeFields(t *testing.T) {
	fr := "##0221QN=20160801085000001;ST=23;CN=2051;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20160801084000;L5-Data=53.0;L10-Data=53.0;L50-Data=49.0;L90-Data=45.0;L95-Data=43.0;Leq-Data=50.0;LMx-Data=54.0;LMn-Data=42.0&&1DC0\r\n"
	var f Frame
	if err := Decode([]byte(fr), &f, Options{}); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{"QN": string(f.QN), "ST": string(f.ST), "CN": string(f.CN), "PW": string(f.PW), "MN": string(f.MN)}
	want := map[string]string{"QN": "20160801085000001", "ST": "23", "CN": "2051", "PW": "123456", "MN": "010000A8900016F000169DC0"}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%s = %q, want %q", k, got[k], want[k])
		}
	}
	if f.Flag != 5 || !f.NeedsAck() || f.CRC != 0x1DC0 || f.Length != 221 {
		t.Errorf("Flag %d NeedsAck %v CRC %04X Length %d", f.Flag, f.NeedsAck(), f.CRC, f.Length)
	}
	keys := []string{"DataTime", "L5-Data", "L10-Data", "L50-Data", "L90-Data", "L95-Data", "Leq-Data", "LMx-Data", "LMn-Data"}
	if len(f.CP) != len(keys) {
		t.Fatalf("%d CP items, want %d", len(f.CP), len(keys))
	}
	for i, k := range keys {
		if string(f.CP[i].Key) != k {
			t.Errorf("CP[%d] = %q, want %q", i, f.CP[i].Key, k)
		}
	}
	if v, ok := f.Get("L90-Data"); !ok || string(v) != "45.0" {
		t.Errorf("Get(L90-Data) = %q %v", v, ok)
	}
	if _, ok := f.Get("L91-Data"); ok {
		t.Error("Get of a missing key succeeded")
	}
	dt, err := f.DataTime()
	if err != nil || dt.UTC().Format("2006-01-02 15:04:05") != "2016-08-01 00:40:00" {
		t.Errorf("DataTime = %v, %v", dt, err)
	}
	buf := []byte(fr)
	if err := Decode(buf, &f, Options{}); err != nil {
		t.Fatal(err)
	}
	c := f.Clone()
	copy(buf, strings.Repeat("x", len(buf)))
	if string(c.MN) != "010000A8900016F000169DC0" || string(c.CP[8].Value) != "42.0" || string(f.MN) == string(c.MN) {
		t.Errorf("Clone aliases the decode buffer: %q %q", c.MN, c.CP[8].Value)
	}
}

// Every CP field kind of table 4 and the common extensions.
func TestDecodeFieldKinds(t *testing.T) {
	seg := "QN=20160801085857223;ST=31;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&DataTime=20160801085857;" +
		"a21026-Rtd=1.5,a21026-ZsRtd=2.1,a21026-Flag=N,a21026-EFlag=A01,a21026-SampleTime=20160801085800;" +
		"a21002-Min=1,a21002-Avg=2,a21002-Max=3,a21002-Cou=4,a21002-ZsMin=1,a21002-ZsAvg=2,a21002-ZsMax=3;" +
		"SB1-RS=1;SB1-RT=23.5;i12001-Info=2;i11001-Info=//管路;堵塞,清洗//;LA-DayData=55;LA-NightData=45;a21026-SN=010000A8900016F000169DC1&&"
	var f Frame
	if err := Decode([]byte(segFrame(seg)), &f, Options{Mode: Strict}); err != nil {
		t.Fatal(err)
	}
	if f.Deviations != 0 {
		t.Errorf("deviations %v", f.Deviations)
	}
	if v, _ := f.Get("i11001-Info"); string(v) != "//管路;堵塞,清洗//" {
		t.Errorf("Info value = %q; the // // text keeps its ';' and ','", v)
	}
	if v, _ := f.Get("LA-NightData"); string(v) != "45" {
		t.Errorf("LA-NightData = %q", v)
	}
	if len(f.CP) != 20 {
		t.Errorf("%d items", len(f.CP))
	}
	// Electrical fields (ST=80 in the field) and -ZsCou are outside the
	// standard's tables: recorded, never rejected.
	seg = "QN=20160801085857223;ST=31;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&DataTime=20160801085857;100000-Ia=1.2,100000-Ua=220;a21026-ZsCou=3&&"
	if err := Decode([]byte(segFrame(seg)), &f, Options{Mode: Strict}); err != nil {
		t.Fatal(err)
	}
	if f.Deviations != DevUnknownPollutant|DevUnknownField {
		t.Errorf("deviations %v", f.Deviations)
	}
	if v, _ := f.Get("100000-Ua"); string(v) != "220" {
		t.Errorf("100000-Ua = %q", v)
	}
}

const (
	seg17 = "QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20160801085857;w01018-Rtd=50.1,w01018-Flag=N&&"
	hdr17 = "QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
)

// withCRC replaces the CRC of a frame built by segFrame.
func withCRC(frame, crc string) string {
	return frame[:len(frame)-6] + crc + "\r\n"
}

func TestDecodeDeviations(t *testing.T) {
	big := hdr17 + "CP=&&DataTime=20160801085857" + strings.Repeat(";w01018-Rtd=50.1", 70) + "&&"
	modbus := func(seg string) string {
		f := segFrame(seg)
		return withCRC(f, string(appendHex4(nil, bits.ReverseBytes16(ModbusCRC16([]byte(seg))))))
	}
	tests := []struct {
		name       string
		frame      string
		opts       Options
		dev        Deviation // recorded in Tolerant mode
		strictErr  string    // field of the Strict error; "" = accepted
		crcBad     bool
		tolerantOK bool // always true here; fatal errors are in TestDecodeErrors
	}{
		{"clean", segFrame(seg17), Options{}, 0, "", false, true},
		{"lowercase CRC", "##0101" + appendixASegment + "1c80\r\n", Options{}, DevLowercaseCRC, "CRC", false, true},
		{"oversize segment", segFrame(big), Options{}, DevOversize, "segment", false, true},
		{"oversize allowed by MaxSegment", segFrame(big), Options{MaxSegment: 2048}, DevOversize, "", false, true},
		{"LF only", strings.TrimSuffix(segFrame(seg17), "\r\n") + "\n", Options{}, DevLFOnly, "ending", false, true},
		{"missing ending", strings.TrimSuffix(segFrame(seg17), "\r\n"), Options{}, DevMissingEnding, "", false, true},
		{"CR only", strings.TrimSuffix(segFrame(seg17), "\n"), Options{}, DevMissingEnding, "", false, true},
		{"length too large", "##0999" + segFrame(seg17)[6:], Options{}, DevLengthMismatch, "length", false, true},
		{"length 9999 short body", "##9999" + segFrame(seg17)[6:], Options{}, DevLengthMismatch, "length", false, true},
		{"missing QN", segFrame(strings.Replace(seg17, "QN=20160801085857223;", "", 1)), Options{}, DevMissingQN, "QN", false, true},
		{"epoch QN", segFrame(strings.Replace(seg17, "20160801085857223", "1617936069734", 1)), Options{}, DevEpochQN, "QN", false, true},
		{"malformed QN", segFrame(strings.Replace(seg17, "20160801085857223", "2016-08-01", 1)), Options{}, DevMalformedQN, "QN", false, true},
		{"2005 frame", segFrame("ST=32;CN=2011;PW=123456;MN=88888880000001;CP=&&DataTime=20160801085857;011-Rtd=50.1,011-Flag=N&&"), Options{}, 0, "", false, true},
		{"2005 frame, Flag=0", segFrame("ST=32;CN=2011;PW=123456;MN=88888880000001;Flag=0;CP=&&DataTime=20160801085857;B01-Rtd=1&&"), Options{}, 0, "", false, true},
		{"2005 code in a 2017 frame", segFrame(hdr17 + "CP=&&011-Rtd=1&&"), Options{}, DevUnknownPollutant, "", false, true},
		{"14-char MN in a 2017 frame", segFrame(strings.Replace(seg17, "010000A8900016F000169DC0", "88888880000001", 1)), Options{}, DevMN2005, "MN", false, true},
		{"17-char MN", segFrame(strings.Replace(seg17, "010000A8900016F000169DC0", "JLYP01_AIR01_0001", 1)), Options{}, DevMNLength, "MN", false, true},
		{"empty PW", segFrame(strings.Replace(seg17, "PW=123456", "PW=", 1)), Options{}, DevMalformedPW, "PW", false, true},
		{"unknown ST 80", segFrame(strings.Replace(seg17, "ST=32", "ST=80", 1)), Options{}, DevUnknownST, "ST", false, true},
		{"unknown ST 101", segFrame(strings.Replace(seg17, "ST=32", "ST=101", 1)), Options{}, DevUnknownST, "ST", false, true},
		{"extension ST A1", segFrame(strings.Replace(seg17, "ST=32", "ST=A1", 1)), Options{}, 0, "", false, true},
		{"unknown CN 9021", segFrame(strings.Replace(seg17, "CN=2011", "CN=9021", 1)), Options{}, DevUnknownCN, "CN", false, true},
		{"2025 CN in a 2017 frame", segFrame(strings.Replace(seg17, "CN=2011", "CN=9015", 1)), Options{}, DevUnknownCN, "CN", false, true},
		{"2025 heartbeat", segFrame(strings.Replace(strings.Replace(seg17, "CN=2011", "CN=9015", 1), "Flag=5", "Flag=8", 1)), Options{}, 0, "", false, true},
		{"unknown pollutant", segFrame(hdr17 + "CP=&&DataTime=20160801085857;a99999-Rtd=1,a99999-Flag=N&&"), Options{}, DevUnknownPollutant, "", false, true},
		{"space after ;", segFrame(hdr17 + "CP=&&DataTime=20160801085857; w01018-Rtd=50.1&&"), Options{}, DevSpaceAfterSemicolon, "", false, true},
		{"space before =", segFrame(hdr17 + "CP=&&DataTime=20160801085857;i12003-Info =0&&"), Options{}, DevSpaceBeforeEquals, "", false, true},
		{"stray ; before &&", segFrame(hdr17 + "CP=&&DataTime=20160801085857;w01018-Rtd=50.1;&&"), Options{}, DevStraySemicolon, "CP", false, true},
		{"empty item", segFrame(hdr17 + "CP=&&DataTime=20160801085857;;w01018-Rtd=50.1&&"), Options{}, DevStraySemicolon, "CP", false, true},
		{"CP=&& &&", segFrame(strings.Replace(hdr17, "CN=2011", "CN=9013", 1) + "CP=&& &&"), Options{}, DevBlankCP, "", false, true},
		{"comma between factors", segFrame(hdr17 + "CP=&&DataTime=20160801085857,w01018-Rtd=50.1&&"), Options{}, DevCommaBetweenFactors, "CP", false, true},
		{"missing Flag", segFrame(strings.Replace(seg17, "Flag=5;", "", 1)), Options{}, DevMissingFlag, "Flag", false, true},
		{"unknown version", segFrame(strings.Replace(seg17, "Flag=5", "Flag=13", 1)), Options{}, DevUnknownVersion, "Flag", false, true},
		{"MN before PW", segFrame(strings.Replace(seg17, "PW=123456;MN=010000A8900016F000169DC0", "MN=010000A8900016F000169DC0;PW=123456", 1)), Options{}, DevFieldOrder, "PW", false, true},
		{"PNO before PNUM", segFrame(strings.Replace(seg17, "Flag=5;", "Flag=7;PNO=1;PNUM=2;", 1)), Options{}, DevFieldOrder, "PNUM", false, true},
		{"CP not last", segFrame("QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;CP=&&DataTime=20160801085857&&;Flag=5"), Options{}, DevFieldOrder, "Flag", false, true},
		{"duplicate ST", segFrame(strings.Replace(seg17, "ST=32;", "ST=32;ST=31;", 1)), Options{}, DevDuplicateField, "ST", false, true},
		{"unknown header field", segFrame(strings.Replace(seg17, "Flag=5;", "Flag=5;XX=1;", 1)), Options{}, DevUnknownHeaderField, "segment", false, true},
		{"split without PNUM", segFrame(strings.Replace(seg17, "Flag=5", "Flag=7", 1)), Options{}, DevSplitFields, "PNUM", false, true},
		{"PNUM without D bit", segFrame(strings.Replace(seg17, "Flag=5;", "Flag=5;PNUM=2;PNO=1;", 1)), Options{}, DevSplitFields, "PNUM", false, true},
		{"empty MN", segFrame(strings.Replace(seg17, "MN=010000A8900016F000169DC0", "MN=", 1)), Options{}, DevMissingMN, "MN", false, true},
		{"no MN", segFrame(strings.Replace(seg17, "MN=010000A8900016F000169DC0;", "", 1)), Options{}, DevMissingMN, "MN", false, true},
		{"bad CRC", withCRC(segFrame(seg17), "0000"), Options{}, 0, "CRC", true, true},
		{"unpadded CRC", unpadded(), Options{}, DevUnpaddedCRC, "CRC", false, true},
		{"Modbus CRC not accepted", modbus(seg17), Options{}, 0, "CRC", true, true},
		{"Modbus CRC accepted", modbus(seg17), Options{AcceptModbusCRC: true}, DevModbusCRC, "", false, true},
		{"several at once", strings.TrimSuffix(segFrame("ST=80;CN=2011;PW=123456;MN=88888880000001;Flag=5;CP=&&DataTime=20160801085857;a99999-Rtd=1;&&"), "\r\n") + "\n", Options{},
			DevLFOnly | DevMissingQN | DevMN2005 | DevUnknownST | DevUnknownPollutant | DevStraySemicolon, "ending", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Frame
			opts := tt.opts
			opts.Mode = Tolerant
			err := Decode([]byte(tt.frame), &f, opts)
			if err != nil {
				t.Fatalf("Tolerant: %v", err)
			}
			if f.Deviations != tt.dev {
				t.Errorf("Tolerant deviations = %v, want %v", f.Deviations, tt.dev)
			}
			if f.CRCOK == tt.crcBad {
				t.Errorf("CRCOK = %v", f.CRCOK)
			}
			opts.Mode = Strict
			var g Frame
			err = Decode([]byte(tt.frame), &g, opts)
			if tt.strictErr == "" {
				if err != nil {
					t.Fatalf("Strict: %v", err)
				}
				if g.Deviations != tt.dev {
					t.Errorf("Strict deviations = %v, want %v", g.Deviations, tt.dev)
				}
				return
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Strict: error %v, want a *DecodeError for field %s", err, tt.strictErr)
			}
			if de.Field != tt.strictErr {
				t.Errorf("Strict: field %q, want %q (%v)", de.Field, tt.strictErr, err)
			}
			if de.Deviation != 0 && tt.dev&de.Deviation == 0 {
				t.Errorf("Strict rejected %v, not among %v", de.Deviation, tt.dev)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name   string
		frame  string
		offset int
		field  string
	}{
		{"empty", "", 0, "header"},
		{"no ##", "#0101" + appendixASegment + "1C80\r\n", 0, "header"},
		{"length not digits", "##01a1" + appendixASegment + "1C80\r\n", 2, "length"},
		{"too short", "##0000\r\n", 6, "CRC"},
		{"CRC not hex", "##0101" + appendixASegment + "1C8G\r\n", 107, "CRC"},
		{"no CN", segFrame("QN=20160801085857223;ST=32;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&&&"), 6, "CN"},
		{"no CP", segFrame("QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5"), 85, "CP"},
		{"CP not opened", segFrame(hdr17 + "CP=DataTime=1&&"), 89, "CP"},
		{"CP not closed", segFrame(hdr17 + "CP=&&DataTime=1"), 89, "CP"},
		{"item without =", segFrame(hdr17 + "CP=&&DataTime=1;a21026-Rtd&&"), 102, "CP"},
		{"Flag not a number", segFrame(strings.Replace(seg17, "Flag=5", "Flag=N", 1)), 84, "Flag"},
		{"Flag too big", segFrame(strings.Replace(seg17, "Flag=5", "Flag=256", 1)), 84, "Flag"},
		{"PNO > PNUM", segFrame(strings.Replace(seg17, "Flag=5;", "Flag=7;PNUM=2;PNO=3;", 1)), 97, "PNO"},
		{"over MaxSegment", segFrame(seg17), 6, "segment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Mode: Tolerant}
			if tt.name == "over MaxSegment" {
				opts.MaxSegment = 100
			}
			var f Frame
			err := Decode([]byte(tt.frame), &f, opts)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v, want *DecodeError", err)
			}
			if de.Offset != tt.offset || de.Field != tt.field {
				t.Errorf("got offset %d field %s (%v), want offset %d field %s", de.Offset, de.Field, err, tt.offset, tt.field)
			}
			if !strings.HasPrefix(err.Error(), "hj212: offset ") || !strings.Contains(err.Error(), ": field "+tt.field+": ") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

// A data logger whose MN was never configured sends "MN=;". Tolerant mode
// decodes the frame and records the missing MN; Strict mode refuses it
// where the empty value starts, as it did before Tolerant mode took it.
func TestDecodeEmptyMN(t *testing.T) {
	frame := []byte(segFrame("QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=;Flag=5;CP=&&DataTime=20160801085857;w01018-Rtd=50.1,w01018-Flag=N&&"))
	var f Frame
	if err := Decode(frame, &f, Options{Mode: Tolerant}); err != nil {
		t.Fatalf("Tolerant: %v", err)
	}
	if f.Deviations != DevMissingMN || len(f.MN) != 0 || !f.CRCOK || string(f.CN) != "2011" || len(f.CP) != 3 || f.Version != V2017 {
		t.Errorf("Tolerant: deviations %v, MN %q, CRCOK %v, CN %s, %d items, version %v", f.Deviations, f.MN, f.CRCOK, f.CN, len(f.CP), f.Version)
	}
	if f.Deviations.String() != "missing-mn" {
		t.Errorf("name %q", f.Deviations.String())
	}
	err := Decode(frame, &f, Options{Mode: Strict})
	var de *DecodeError
	if !errors.As(err, &de) || de.Offset != 54 || de.Field != "MN" || de.Deviation != DevMissingMN ||
		err.Error() != "hj212: offset 54: field MN: no MN" {
		t.Errorf("Strict: %v (%+v)", err, de)
	}
}

func TestNeedsAck(t *testing.T) {
	tests := []struct {
		flag int
		cn   string
		want bool
	}{
		{5, "2051", true}, {7, "2061", true}, {4, "2051", false}, {6, "2061", false},
		{-1, "2011", false}, {5, "9014", false}, {5, "9013", false}, {9, "2011", true},
	}
	for _, tt := range tests {
		f := Frame{Flag: tt.flag, CN: []byte(tt.cn)}
		if got := f.NeedsAck(); got != tt.want {
			t.Errorf("Flag %d CN %s: NeedsAck = %v", tt.flag, tt.cn, got)
		}
	}
}

func TestSplitKey(t *testing.T) {
	for _, tt := range []struct{ key, factor, field string }{
		{"a21026-Rtd", "a21026", "Rtd"}, {"DataTime", "", "DataTime"}, {"SB1-RS", "SB1", "RS"},
		{"100000-Ia", "100000", "Ia"}, {"a-b-c", "a", "b-c"}, {"-Rtd", "", "Rtd"},
	} {
		f, g := SplitKey([]byte(tt.key))
		if string(f) != tt.factor || string(g) != tt.field {
			t.Errorf("SplitKey(%q) = %q, %q", tt.key, f, g)
		}
	}
}

func TestDecodeReuseNoAlloc(t *testing.T) {
	b := []byte(segFrame(benchSegment2051))
	var f Frame
	if err := Decode(b, &f, Options{}); err != nil || f.Deviations != 0 || len(f.CP) != 41 {
		t.Fatalf("%v %v %d", err, f.Deviations, len(f.CP))
	}
	for _, mode := range []Mode{Strict, Tolerant} {
		if n := testing.AllocsPerRun(100, func() { _ = Decode(b, &f, Options{Mode: mode}) }); n != 0 {
			t.Errorf("mode %d: %v allocs per Decode", mode, n)
		}
	}
	// A frame with deviations decodes without allocating in Tolerant mode
	// too.
	q := []byte(strings.TrimSuffix(segFrame("ST=80;CN=9021;PW=;MN=88888880000001;Flag=5;CP=&&DataTime=20160801085857; a99999-Rtd=1;&&"), "\r\n") + "\n")
	if n := testing.AllocsPerRun(100, func() { _ = Decode(q, &f, Options{Mode: Tolerant}) }); n != 0 {
		t.Errorf("quirky frame: %v allocs per Decode", n)
	}
}

func TestRoundTrip(t *testing.T) {
	msgs := []Message{
		{QN: "20240315103000123", ST: "31", CN: "2051", PW: "123456", MN: "010000A8900016F000169DC0", Flag: 5,
			CP: []KV{{"DataTime", "20240315102900"}, {"a21026-Avg", "15.3"}, {"a21026-Flag", "N"}, {"a34013-Avg", "4.1"}}},
		{ST: "32", CN: "2011", PW: "123456", MN: "88888880000001", Flag: -1, CP: []KV{{"DataTime", "20240315102900"}, {"011-Rtd", "5"}}},
		{QN: "20240315103000123", ST: "32", CN: "3020", PW: "123456", MN: "010000A8900016F000169DC0", Flag: 7, PNUM: 3, PNO: 2,
			CP: []KV{{"DataTime", "20240315102900"}, {"PolId", "w01018"}, {"i11001-Info", "//反吹;完成,正常//"}}},
		{QN: "20240315103000123", ST: "91", CN: "9014", PW: "123456", MN: "010000A8900016F000169DC0", Flag: 4},
	}
	for i, m := range msgs {
		b := m.AppendFrame(nil)
		var f Frame
		if err := Decode(b, &f, Options{Mode: Strict}); err != nil {
			t.Fatalf("%d: %v\n%s", i, err, b)
		}
		if got := messageOf(&f); !equalMessage(got, &m) {
			t.Errorf("%d: round trip\n got %+v\nwant %+v", i, got, m)
		}
	}
}

func equalMessage(a, b *Message) bool {
	if a.QN != b.QN || a.ST != b.ST || a.CN != b.CN || a.PW != b.PW || a.MN != b.MN || a.Flag != b.Flag ||
		a.PNUM != b.PNUM || a.PNO != b.PNO || len(a.CP) != len(b.CP) {
		return false
	}
	for i := range a.CP {
		if a.CP[i] != b.CP[i] {
			return false
		}
	}
	return true
}

func BenchmarkDecode2051(b *testing.B) {
	frame := []byte(segFrame(benchSegment2051))
	for _, mode := range []struct {
		name string
		m    Mode
	}{{"strict", Strict}, {"tolerant", Tolerant}} {
		b.Run(mode.name, func(b *testing.B) {
			var f Frame
			opts := Options{Mode: mode.m}
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			startAllocs(b)
			for b.Loop() {
				if err := Decode(frame, &f, opts); err != nil {
					b.Fatal(err)
				}
			}
			reportPerFrame(b, 1)
		})
	}
}

// unpadded returns a frame whose CRC has a leading zero, written without
// it ("880" for 0880), as some implementations do.
func unpadded() string {
	for i := range 100000 {
		seg := strings.Replace(seg17, "20160801085857223", string(appendDigits(nil, 20160801085800000+i, 17)), 1)
		if crc := CRC16([]byte(seg)); crc >= 0x100 && crc < 0x1000 {
			fr := segFrame(seg)
			return fr[:len(fr)-6] + strings.TrimLeft(fr[len(fr)-6:len(fr)-2], "0") + "\r\n"
		}
	}
	panic("no CRC below 0x1000")
}

// The usual header ("QN=...;ST=...;CN=...;PW=...;MN=...;Flag=n;CP=") is
// read by headerUsual, every other one by the field loop; each frame here
// breaks the usual layout at one place, or keeps it with values that the
// checks after the loop must still see, and must decode exactly as the
// reference decoder decodes it (frame, deviations, error), in every mode.
func TestDecodeHeaderUsual(t *testing.T) {
	const cp = "CP=&&DataTime=20160801085857;w01018-Rtd=50.1,w01018-Flag=N&&"
	for _, hdr := range []string{
		hdr17,
		"QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=;Flag=5;",          // empty MN, as the loop sees it
		"QN=1470012537223;ST=32;CN=2011;PW=12345;MN=88888880000001;Flag=9;", // epoch QN, short PW, 2005 MN, unknown version
		"QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=255;",
		"QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=256;", // Flag out of range: the loop's error
		"QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=;",
		"QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=1234;",
		"QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=7;PNUM=2;PNO=1;",
		"QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=7;", // D bit without PNUM
		"ST=32;CN=2011;PW=123456;MN=88888880000001;",                                       // 2005: no QN, no Flag
		"QN=20160801085857223;CN=2011;ST=32;PW=123456;MN=010000A8900016F000169DC0;Flag=5;", // order
		"QN=20160801085857223;ST=32;ST=33;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;",
		"QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;;",
		"QN=20160801085857223; ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;",
		"QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;X=1;",
		"QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5",
		"QN=;ST=;CN=;PW=;MN=;Flag=0;",
	} {
		for _, seg := range []string{hdr + cp, hdr + cp + ";QN=1", hdr + cp + ";", hdr, hdr + "CP="} {
			checkAgainstReference(t, []byte(segFrame(seg)))
		}
	}
}

// The CP fast path (scanFast) takes an item of the pollutant before it by
// its first bytes, and the field name with its '=' from a table; every
// item it must leave to the general path, and every way back, decodes
// exactly as the reference decoder decodes it.
func TestDecodeItemsFastPath(t *testing.T) {
	for _, cp := range []string{
		"a21026-Rtd=1.5,a21026-Flag=N;a21002-Rtd=2,a21002-Flag=N",
		"SB 1-Rtd=1,SB 1-Flag=N;SB 1-Min=2",         // a known code with a space: the general path, then the same code
		"x99999-Rtd=1,x99999-Flag=N;x99999-Min=2",   // an unknown code repeated
		"a21026-Rtd=1,a21002-Rtd=2;a21002-Min=3",    // ',' between pollutants
		"a21026-Rtd=1,a21026-Bogus=2,a21026-Flag=N", // an unknown field between known ones
		"a21026-Rtd=1;a21026=2;a21026-=3;-Rtd=4",    // no field, empty field, no code
		"abcdefg-EFlag=1;abcdefg-Rtd=2;LA-Rtd=3;LA-ZsMax=4;Leq-Data=5",
		"SB1234-Rtd=1,SB1234-Flag=N;SB12345-Rtd=2;SB123456-Rtd=3",
		"a21026-Rtd=1;DataTime=20160801085857;a21026-Rtd=2,a21026-Flag=N",
		"a21026-Rtd=1,DataTime=20160801085857",
		"a21026-Rtd=1;a21026-Rtd=12345678901234567890;a21026-Flag=N;",
		"a21026-Rtd=1;a21026-Rtd=123456789012345678901234567890123", // a long value that runs to the end
		"a21026-Rtd=//a;b,c//;a21026-Flag=N",
		"i11001-Info=//x//,i11001-SN=1",
		"a21026-Rtd=1; a21026-Flag=N;a21026-Min =2",
		"a21026-SampleTime=1,a21026-NightData=2,a21026-DayData=3",
		"a21026-Rtd=1;a21026-Rtd",
		"a21026-Rtd=1;a21026-",
		"a21026-",
		"a21026-Rtd=1,a21026-",
		"a21026-Rtd=1;;a21026-Flag=N",
		"a21026-Rtd==1,a21026-Flag=N=",
		"w01018-Rtd=1\x00,w01018-Flag=\x00;\x00a21026-Rtd=2",
		// The last item of the previous item's pollutant (lastItem).
		"a21026-Rtd=1,a21026-Flag=", "a21026-Rtd=1,a21026-Info=//x;y//", "a21026-Rtd=1,a21026-Info=//",
		"a21026-Rtd=1,a21026-Rtd=1;2", "a21026-Rtd=1,a21026-Rtd=123456789012", "a21026-Rtd=1,a21026-Bogus=2",
		"a21026-Rtd=1,a21026-Flag=N\x00", "a21026-Rtd=1,a2102-Rtd=2", "a21026-Rtd=1,a21026-Rtd=a=b",
		// DataTime first, as uploads send it (scanItems takes it itself).
		"DataTime=", "DataTime=1", "DataTime=//a;b//;a21026-Rtd=1", "DataTime=20160801085857,a21026-Rtd=1",
		"DataTime=20160801085857123456789;a21026-Rtd=1", "DataTime=;", "DataTimeX=1", "DataTime =1",
	} {
		// The window path (windowLoop) takes items that start 33 bytes or
		// more before the end: usual items around cp put each of its
		// items there, after items of other pollutants and of its own.
		const usual = "a34013-Rtd=11.39,a34013-Flag=N;a19001-Rtd=9.07,a19001-Flag=N"
		for _, seg := range []string{
			hdr17 + "CP=&&" + cp + "&&",
			hdr17 + "CP=&&DataTime=20160801085857;" + cp + "&&",
			hdr17 + "CP=&&DataTime=20160801085857;" + usual + ";" + cp + ";" + usual + "&&",
			hdr17 + "CP=&&" + usual + "," + cp + "," + usual + "," + usual + "&&",
			hdr17 + "CP=&&" + cp + ";" + cp + ";" + usual + "&&",
			hdr17 + "CP=&&" + usual + ";" + cp + "&&",
		} {
			checkAgainstReference(t, []byte(segFrame(seg)))
		}
	}
}

// fixedHeader takes exactly the headers whose names and ';' sit at the
// fixed offsets of HJ 212-2017's lengths (it may refuse one with a ':'
// right after a ';'), and Decode reads every header the same either way:
// each byte of the first 80 changed to each of a few bytes.
func TestFixedHeader(t *testing.T) {
	const seg = "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"
	want := func(s string) bool {
		noSemi := func(b string) bool { return !strings.Contains(b, ";") }
		digits := func(b string) bool { return strings.Trim(b, "0123456789") == "" }
		return s[0:3] == "QN=" && digits(s[3:20]) && s[20] == ';' && s[21:24] == "ST=" && noSemi(s[24:26]) &&
			s[26] == ';' && s[27:30] == "CN=" && noSemi(s[30:34]) && s[34] == ';' && s[35:38] == "PW=" &&
			noSemi(s[38:44]) && s[44] == ';' && s[45:48] == "MN=" && noSemi(s[48:72]) && s[72] == ';' &&
			s[73:78] == "Flag=" && digits(s[78:79])
	}
	if !fixedHeader([]byte(seg)) {
		t.Fatalf("fixedHeader refuses %s", seg)
	}
	for i := range 80 {
		for _, c := range []byte{';', ' ', ':', '/', '0', '7', '9', 'a', 'Z', '=', 0x80 | ';'} {
			b := []byte(seg)
			b[i] = c
			got, w := fixedHeader(b), want(string(b))
			if got && !w || !got && w && !strings.Contains(string(b[:80]), ";:") {
				t.Errorf("byte %d = %q: fixedHeader %v, want %v", i, c, got, w)
			}
			checkAgainstReference(t, []byte(segFrame(string(b))))
		}
	}
}

// digits4Value agrees with strconv on every four-digit string, as the
// frame's LLLL and the fixed header's CN are read with it.
func TestDigits4Value(t *testing.T) {
	for n := range 10000 {
		s := fmt.Sprintf("%04d", n)
		if got := digits4Value(binary.LittleEndian.Uint32([]byte(s))); got != uint(n) {
			t.Fatalf("digits4Value(%q) = %d", s, got)
		}
	}
}
