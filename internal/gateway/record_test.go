package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
)

func TestRecordOf(t *testing.T) {
	recv := time.Date(2025, 3, 12, 1, 2, 3, 456e6, time.UTC)
	data := hj212.AppendFrame(nil, []byte("QN=20250312090203000;ST=22;CN=2051;PW=123456;MN=AIR0001;Flag=5;CP=&&DataTime=20250312090000;a34004-Avg=35.2,a34004-Flag=N;a01001-Avg=12&&"))
	r, err := RecordOf(data, recv, "10.0.0.7:4000")
	if err != nil {
		t.Fatal(err)
	}
	// DataTime is China Standard Time; the upload is keyed in UTC.
	if !r.HasUpload || !r.Upload.DataTime.Equal(time.Date(2025, 3, 12, 1, 0, 0, 0, time.UTC)) || r.Upload.CN != "2051" || r.Upload.MN != "AIR0001" {
		t.Fatalf("upload %+v", r.Upload)
	}
	if len(r.Upload.Values) != 3 || r.Upload.Values[0].Factor != "a34004" || r.Upload.Values[0].Field != "Avg" || r.Upload.Values[0].Value != "35.2" {
		t.Errorf("values %+v", r.Upload.Values)
	}
	if r.Raw.Remote != "10.0.0.7:4000" || !r.Raw.ReceivedAt.Equal(recv) || string(r.Raw.Raw) != string(data) || r.Contact.MN != "AIR0001" || !r.Contact.At.Equal(recv) {
		t.Errorf("raw %+v contact %+v", r.Raw, r.Contact)
	}

	// A status frame without DataTime is keyed by its receive time.
	status := hj212.AppendFrame(nil, []byte("QN=20250312090203000;ST=22;CN=2081;PW=123456;MN=AIR0001;Flag=4;CP=&&RestartTime=20250312085000&&"))
	r, err = RecordOf(status, recv, "10.0.0.7:4000")
	if err != nil {
		t.Fatal(err)
	}
	if !r.HasUpload || !r.Upload.DataTime.Equal(recv.Truncate(time.Second)) {
		t.Errorf("status upload at %v, want the receive time %v", r.Upload.DataTime, recv.Truncate(time.Second))
	}

	bad := hj212.AppendFrame(nil, []byte("QN=20250312090203000;ST=22;CN=2051;PW=123456;MN=AIR0001;Flag=5;CP=&&DataTime=2025031209;a34004-Avg=35.2&&"))
	if _, err := RecordOf(bad, recv, "x"); err == nil || !strings.Contains(err.Error(), "DataTime") {
		t.Errorf("bad DataTime: %v", err)
	}
}
