package hj212

import (
	"testing"
	"time"
)

func TestMessageAppendFrame(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want string
	}{
		{
			name: "appendix A",
			m: Message{QN: "20160801085857223", ST: "32", CN: "1062", PW: "100000",
				MN: "010000A8900016F000169DC0", Flag: 5, CP: []KV{{"RtdInterval", "30"}}},
			want: "##0101" + appendixASegment + "1C80\r\n",
		},
		{
			name: "C.14 9014 empty CP",
			m: Message{QN: "20160801085857223", ST: "91", CN: "9014", PW: "123456",
				MN: "010000A8900016F000169DC0", Flag: 4},
			want: "##0087QN=20160801085857223;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&3240\r\n",
		},
		{
			name: "grouping by pollutant",
			m: Message{QN: "20240101000000000", ST: "31", CN: "2011", PW: "123456", MN: "M", Flag: 4,
				CP: []KV{{"DataTime", "20240101000000"}, {"PolId", "a21026"}, {"a21026-Rtd", "1.5"}, {"a21026-Flag", "N"}, {"a21002-Rtd", "2"}, {"a21002-Flag", "N"}}},
			want: segFrame("QN=20240101000000000;ST=31;CN=2011;PW=123456;MN=M;Flag=4;CP=&&DataTime=20240101000000;PolId=a21026;a21026-Rtd=1.5,a21026-Flag=N;a21002-Rtd=2,a21002-Flag=N&&"),
		},
		{
			name: "2005 style: no QN, no Flag",
			m:    Message{ST: "32", CN: "2011", PW: "123456", MN: "88888880000001", Flag: -1, CP: []KV{{"DataTime", "20240101000000"}, {"011-Rtd", "5"}}},
			want: segFrame("ST=32;CN=2011;PW=123456;MN=88888880000001;CP=&&DataTime=20240101000000;011-Rtd=5&&"),
		},
		{
			name: "split packet",
			m:    Message{QN: "20160801085857534", ST: "32", CN: "2061", PW: "123456", MN: "010000A8900016F000169DC0", Flag: 7, PNUM: 2, PNO: 1, CP: []KV{{"DataTime", "20160801080000"}}},
			want: segFrame("QN=20160801085857534;ST=32;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=7;PNUM=2;PNO=1;CP=&&DataTime=20160801080000&&"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(tt.m.AppendFrame([]byte("prefix")))
			if got != "prefix"+tt.want {
				t.Errorf("got  %q\nwant %q", got, "prefix"+tt.want)
			}
		})
	}
}

// segFrame wraps a segment the slow way, independently of AppendFrame.
func segFrame(seg string) string {
	l := len(seg)
	return "##" + string([]byte{byte('0' + l/1000), byte('0' + l/100%10), byte('0' + l/10%10), byte('0' + l%10)}) +
		seg + string(appendHex4(nil, crc16Slow([]byte(seg)))) + "\r\n"
}

func TestAppendFrameUTF8Length(t *testing.T) {
	// Appendix C.40: the length counts UTF-8 bytes, not characters.
	seg := "QN=20160801085857223;ST=32;CN=3020;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20100301145000;PolId=w01018;i11001-Info=//清洗管路//&&"
	want := "##0152" + seg + "9741\r\n"
	if got := string(AppendFrame(nil, []byte(seg))); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestAppendReply(t *testing.T) {
	req := &Frame{QN: []byte("20160801085857223"), ST: []byte("32"), CN: []byte("2011"), PW: []byte("123456"),
		MN: []byte("010000A8900016F000169DC0"), Flag: 5, Version: V2017}
	tests := []struct {
		name   string
		req    *Frame
		cn, cp string
		want   string
	}{
		// The standard's Appendix C.14, byte for byte.
		{"C.14 9014", req, CNDataAnswer, "", "##0087QN=20160801085857223;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&3240\r\n"},
		{"C.11 9013", req, CNNotifyAnswer, "", "##0087QN=20160801085857223;ST=91;CN=9013;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&2A80\r\n"},
		{"C.1 9011", req, CNRequestAnswer, "QnRtn=1", "##0094QN=20160801085857223;ST=91;CN=9011;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&QnRtn=1&&1B00\r\n"},
		{"C.1 9012", req, CNExecuteResult, "ExeRtn=1", "##0095QN=20160801085857223;ST=91;CN=9012;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&ExeRtn=1&&6240\r\n"},
		{"2005 no QN", &Frame{ST: []byte("32"), PW: []byte("123456"), MN: []byte("88888880000001"), Flag: -1, Version: V2005}, CNDataAnswer, "",
			segFrame("ST=91;CN=9014;PW=123456;MN=88888880000001;Flag=4;CP=&&&&")},
		{"2025 keeps version bits", &Frame{QN: []byte("20250101000000000"), PW: []byte("123456"), MN: []byte("010000A8900016F000169DC0"), Flag: 9, Version: V2025}, CNDataAnswer, "",
			segFrame("QN=20250101000000000;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=8;CP=&&&&")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(AppendReply(nil, tt.req, tt.cn, tt.cp)); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestAppendReplyZeroPaddedCRC(t *testing.T) {
	// Search a QN whose reply CRC has a leading zero nibble, to check the
	// padding that a %X formatter would drop (0880 not 880).
	req := &Frame{PW: []byte("123456"), MN: []byte("010000A8900016F000169DC0"), Version: V2017}
	for i := range 100000 {
		req.QN = appendDigits(req.QN[:0], 20160801085857000+i, 17)
		fr := AppendReply(nil, req, CNDataAnswer, "")
		crc := fr[len(fr)-6 : len(fr)-2]
		if crc[0] == '0' {
			v, upper, ok := parseHex4(crc)
			if !ok || !upper || v >= 0x1000 || v != CRC16(fr[6:len(fr)-6]) {
				t.Fatalf("bad CRC field %q in %q", crc, fr)
			}
			return
		}
	}
	t.Fatal("no CRC with a leading zero found")
}

func TestAppendReplyNoAlloc(t *testing.T) {
	req := &Frame{QN: []byte("20160801085857223"), PW: []byte("123456"), MN: []byte("010000A8900016F000169DC0"), Version: V2017}
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf = AppendReply(buf[:0], req, CNDataAnswer, "") }); n != 0 {
		t.Errorf("AppendReply allocates %v times", n)
	}
}

func TestTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"20160801085857", time.Date(2016, 8, 1, 0, 58, 57, 0, time.UTC), true},
		{"20160801085857223", time.Date(2016, 8, 1, 0, 58, 57, 223e6, time.UTC), true},
		{"20240229000000", time.Date(2024, 2, 28, 16, 0, 0, 0, time.UTC), true},
		{"20230229000000", time.Time{}, false},
		{"20161301000000", time.Time{}, false},
		{"20160801245857", time.Time{}, false},
		{"2016080108585", time.Time{}, false},
		{"2016080108585x", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := ParseTime([]byte(tt.in))
		if (err == nil) != tt.ok || !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok && len(tt.in) == 14 {
			if s := string(FormatTime(nil, got)); s != tt.in {
				t.Errorf("FormatTime(ParseTime(%q)) = %q", tt.in, s)
			}
		}
	}
	if s := string(FormatQN(nil, time.Date(2016, 8, 1, 0, 58, 57, 7e6, time.UTC))); s != "20160801085857007" {
		t.Errorf("FormatQN = %q", s)
	}
}
