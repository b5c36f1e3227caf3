package bus

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

func sampleMessages() map[string]Message {
	at := time.Date(2026, 12, 6, 8, 1, 0, 0, time.UTC)
	up := &model.Upload{MN: "88888880000001", CN: "2051", DataTime: at, Values: []model.Value{
		{Factor: "a21026", Field: "Avg", Value: "12.5"}, {Factor: "a21026", Field: "Flag", Value: "N"}}}
	raw := &model.RawFrame{ReceivedAt: at.Add(1234567 * time.Microsecond), Remote: "10.0.0.7:51000", MN: "88888880000001",
		CN: "2051", QN: "20261206080100000", Status: model.RawAccepted, Reason: "",
		Deviations: []string{"lowercase CP", "extra ;"}, Raw: []byte("##0101QN=...\r\n")}
	ct := &model.Contact{MN: "88888880000001", At: at.Add(time.Second), Remote: "10.0.0.7:51000", CN: "2051"}
	return map[string]Message{
		"full":          {Upload: up, Raw: raw, Contact: ct},
		"upload only":   {Upload: up},
		"raw only":      {Raw: &model.RawFrame{ReceivedAt: at, Remote: "r", Status: model.RawRejected, Reason: "bad CRC", Raw: []byte{0, 1, 2, 0xff}}},
		"contact only":  {Contact: ct},
		"empty values":  {Upload: &model.Upload{MN: "m", CN: "2081", DataTime: at}},
		"zero times":    {Upload: &model.Upload{MN: "m"}, Raw: &model.RawFrame{Status: model.RawRejected}, Contact: &model.Contact{MN: "m"}},
		"before epoch":  {Upload: &model.Upload{MN: "m", DataTime: time.Date(1969, 12, 31, 23, 59, 59, 999, time.UTC)}},
		"unicode and ;": {Upload: &model.Upload{MN: "站点.1 >*", CN: "2011", DataTime: at, Values: []model.Value{{Factor: "温度", Field: "Rtd", Value: "-0.0"}}}},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for name, m := range sampleMessages() {
		t.Run(name, func(t *testing.T) {
			data := AppendMessage(nil, &m)
			got, err := DecodeMessage(data)
			if err != nil {
				t.Fatal(err)
			}
			if !sameMessage(m, got) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", show(got), show(m))
			}
			// Appending to a non-empty buffer encodes the same bytes.
			prefixed := AppendMessage([]byte("xyz"), &m)
			if string(prefixed[3:]) != string(data) {
				t.Fatal("encoding depends on the buffer")
			}
		})
	}
}

// sameMessage compares messages, times by instant (a decoded time is
// UTC; the zero time stays zero).
func sameMessage(a, b Message) bool {
	norm := func(m Message) Message {
		if m.Upload != nil {
			u := *m.Upload
			u.DataTime = u.DataTime.UTC()
			if len(u.Values) == 0 {
				u.Values = nil
			}
			m.Upload = &u
		}
		if m.Raw != nil {
			r := *m.Raw
			r.ReceivedAt = r.ReceivedAt.UTC()
			if len(r.Deviations) == 0 {
				r.Deviations = nil
			}
			if len(r.Raw) == 0 {
				r.Raw = nil
			}
			m.Raw = &r
		}
		if m.Contact != nil {
			c := *m.Contact
			c.At = c.At.UTC()
			m.Contact = &c
		}
		return m
	}
	a, b = norm(a), norm(b)
	return reflect.DeepEqual(a, b)
}

func show(m Message) string {
	var sb strings.Builder
	if m.Upload != nil {
		sb.WriteString("upload{" + m.Upload.MN + " " + m.Upload.DataTime.String() + "} ")
	}
	if m.Raw != nil {
		sb.WriteString("raw{" + m.Raw.Status + " " + m.Raw.ReceivedAt.String() + "} ")
	}
	if m.Contact != nil {
		sb.WriteString("contact{" + m.Contact.MN + " " + m.Contact.At.String() + "}")
	}
	return sb.String()
}

func TestDecodeErrors(t *testing.T) {
	m := sampleMessages()["full"]
	good := AppendMessage(nil, &m)
	tests := []struct {
		name   string
		data   []byte
		field  string
		offset int
	}{
		{"empty", nil, "header", 0},
		{"one byte", []byte{1}, "header", 1},
		{"version", append([]byte{2}, good[1:]...), "version", 0},
		{"no parts", []byte{1, 0}, "flags", 1},
		{"unknown flag", []byte{1, 8}, "flags", 1},
		{"truncated MN", good[:5], "upload.mn", 2},
		{"MN length past the end", []byte{1, flagUpload, 0x7f, 'a'}, "upload.mn", 2},
		{"values count past the end", []byte{1, flagUpload, 0, 0, 0, 0, 0x80, 0x80, 0x04}, "upload.values", 6},
		{"bad varint", []byte{1, flagContact, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "contact.at", 3},
		{"nanoseconds", []byte{1, flagContact, 0, 0, 0x80, 0x94, 0xeb, 0xdc, 0x03, 0, 0}, "contact.at", 3},
		{"trailing bytes", append(append([]byte{}, good...), 0), "end", len(good)},
		{"truncated raw bytes", good[:len(good)-20], "", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeMessage(tt.data)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *DecodeError", err)
			}
			if tt.field != "" && de.Field != tt.field {
				t.Errorf("field = %q, want %q (%v)", de.Field, tt.field, err)
			}
			if tt.offset >= 0 && de.Offset != tt.offset {
				t.Errorf("offset = %d, want %d (%v)", de.Offset, tt.offset, err)
			}
			if !strings.Contains(err.Error(), "byte") {
				t.Errorf("message %q does not say where", err)
			}
		})
	}
}

// TestDecodeEveryPrefix: every strict prefix of a valid message is an
// error, never a panic or a silently shorter message.
func TestDecodeEveryPrefix(t *testing.T) {
	for name, m := range sampleMessages() {
		data := AppendMessage(nil, &m)
		for i := 0; i < len(data); i++ {
			if _, err := DecodeMessage(data[:i]); err == nil {
				t.Fatalf("%s: prefix of %d/%d bytes decoded", name, i, len(data))
			}
		}
	}
}

func TestMsgID(t *testing.T) {
	msgs := sampleMessages()
	full := msgs["full"]
	// The upload decides the ID: a retransmission (other reception time,
	// other raw bytes) of the same upload is a duplicate.
	retrans := full
	r := *full.Raw
	r.ReceivedAt = r.ReceivedAt.Add(time.Minute)
	retrans.Raw = &r
	if MsgID(&full) != MsgID(&retrans) {
		t.Error("a retransmitted upload has another Msg-Id")
	}
	if want := "u:88888880000001|2051|"; !strings.HasPrefix(MsgID(&full), want) {
		t.Errorf("Msg-Id %q, want prefix %q", MsgID(&full), want)
	}
	// Different values: a different message (the device corrected it).
	other := full
	u := *full.Upload
	u.Values = []model.Value{{Factor: "a21026", Field: "Avg", Value: "12.6"}}
	other.Upload = &u
	if MsgID(&full) == MsgID(&other) {
		t.Error("different values, same Msg-Id")
	}
	// Raw frames without an upload: by reception.
	rawOnly := msgs["raw only"]
	again := rawOnly
	r2 := *rawOnly.Raw
	again.Raw = &r2
	if MsgID(&rawOnly) != MsgID(&again) || !strings.HasPrefix(MsgID(&rawOnly), "r:") {
		t.Errorf("raw Msg-Id %q / %q", MsgID(&rawOnly), MsgID(&again))
	}
	r2.ReceivedAt = r2.ReceivedAt.Add(time.Second)
	if MsgID(&rawOnly) == MsgID(&again) {
		t.Error("two receptions of the same bytes share a Msg-Id")
	}
	c := msgs["contact only"]
	if !strings.HasPrefix(MsgID(&c), "c:") {
		t.Errorf("contact Msg-Id %q", MsgID(&c))
	}
}

func TestSubject(t *testing.T) {
	tests := []struct{ mn, token string }{
		{"88888880000001", "88888880000001"},
		{"", "_"},
		{"a.b", "a_b"},
		{"a*b>c d\te", "a_b_c_d_e"},
		{"站", "___"},
		{strings.Repeat("x", 100), strings.Repeat("x", maxSubjectMN)},
	}
	for _, tt := range tests {
		s := Subject("ecowatch.frames", 16, tt.mn)
		parts := strings.Split(s, ".")
		if len(parts) != 4 || parts[0] != "ecowatch" || parts[1] != "frames" || parts[3] != tt.token {
			t.Errorf("Subject(%q) = %q, want token %q", tt.mn, s, tt.token)
		}
		if p := Partition(tt.mn, 16); parts[2] != strconv.Itoa(p) || p < 0 || p >= 16 {
			t.Errorf("Subject(%q) = %q, partition %d", tt.mn, s, p)
		}
	}
	// All of a device's messages go to one partition; devices spread.
	seen := map[int]bool{}
	for _, mn := range deviceNames(200) {
		seen[Partition(mn, 16)] = true
	}
	if len(seen) < 12 {
		t.Errorf("200 devices use only %d of 16 partitions", len(seen))
	}
}

func FuzzDecodeMessage(f *testing.F) {
	for _, m := range sampleMessages() {
		f.Add(AppendMessage(nil, &m))
	}
	f.Add([]byte{})
	f.Add([]byte{1, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMessage(data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Offset < 0 || de.Offset > len(data) {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		// What decodes re-encodes to the same bytes (the encoding is
		// canonical), so no two byte strings mean the same message.
		if again := AppendMessage(nil, &m); string(again) != string(data) {
			t.Fatalf("re-encoding differs:\n%x\n%x", data, again)
		}
	})
}

func TestDecodeErrorNamesListElement(t *testing.T) {
	m := sampleMessages()["upload only"]
	data := AppendMessage(nil, &m)
	// Cut inside the second value's factor.
	cut := strings.LastIndex(string(data), "a21026") + 3
	_, err := DecodeMessage(data[:cut])
	var de *DecodeError
	if !errors.As(err, &de) || de.Field != "upload.values[1].factor" {
		t.Fatalf("err = %v", err)
	}
}
