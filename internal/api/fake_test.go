package api

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// fakeStore is an in-memory Store with the ordering, bounds and limits of
// the store contract (internal/store/store.go).
type fakeStore struct {
	mu       sync.Mutex
	reg      model.Registry
	uploads  []model.Upload
	raw      []model.RawFrame
	contacts []model.Contact
	pingErr  error
	err      error           // returned by every read when set
	hook     func(op string) // called at the start of each read (may panic or block)
	queries  []store.UploadQuery
}

func (f *fakeStore) enter(ctx context.Context, op string) error {
	if f.hook != nil {
		f.hook(op)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return f.err
}

func (f *fakeStore) Registry(ctx context.Context) (*model.Registry, error) {
	if err := f.enter(ctx, "registry"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// Ordered by key, as the store contract says.
	r := model.Registry{
		Counties:    slices.Clone(f.reg.Counties),
		Enterprises: slices.Clone(f.reg.Enterprises),
		Outlets:     slices.Clone(f.reg.Outlets),
		Devices:     slices.Clone(f.reg.Devices),
		Stations:    slices.Clone(f.reg.Stations),
	}
	sort.Slice(r.Counties, func(i, j int) bool { return r.Counties[i].Code < r.Counties[j].Code })
	sort.Slice(r.Enterprises, func(i, j int) bool { return r.Enterprises[i].USCC < r.Enterprises[j].USCC })
	sort.Slice(r.Outlets, func(i, j int) bool { return r.Outlets[i].ID < r.Outlets[j].ID })
	sort.Slice(r.Devices, func(i, j int) bool { return r.Devices[i].MN < r.Devices[j].MN })
	return &r, nil
}

func (f *fakeStore) Uploads(ctx context.Context, q store.UploadQuery) ([]model.Upload, error) {
	if err := f.enter(ctx, "uploads"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	var out []model.Upload
	for _, u := range f.uploads {
		if len(q.MNs) > 0 && !slices.Contains(q.MNs, u.MN) ||
			q.CN != "" && u.CN != q.CN ||
			!q.From.IsZero() && u.DataTime.Before(q.From) ||
			!q.To.IsZero() && !u.DataTime.Before(q.To) {
			continue
		}
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.MN != b.MN {
			return a.MN < b.MN
		}
		if a.CN != b.CN {
			return a.CN < b.CN
		}
		return a.DataTime.Before(b.DataTime)
	})
	limit := q.Limit
	if limit == 0 {
		limit = 10000
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (f *fakeStore) RawFrames(ctx context.Context, q store.RawQuery) ([]model.RawFrame, error) {
	if err := f.enter(ctx, "raw"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []model.RawFrame
	for _, r := range f.raw {
		if q.MN != "" && r.MN != q.MN ||
			q.Status != "" && r.Status != q.Status ||
			!q.From.IsZero() && r.ReceivedAt.Before(q.From) ||
			!q.To.IsZero() && !r.ReceivedAt.Before(q.To) ||
			q.BeforeID != 0 && r.ID >= q.BeforeID {
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	limit := q.Limit
	if limit == 0 {
		limit = 1000
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (f *fakeStore) Contacts(ctx context.Context) ([]model.Contact, error) {
	if err := f.enter(ctx, "contacts"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.contacts), nil
}

func (f *fakeStore) Ping(ctx context.Context) error {
	if err := f.enter(ctx, "ping"); err != nil {
		return err
	}
	return f.pingErr
}

// The fixture: a small slice of the demo city, at a fixed clock.

var testNow = time.Date(2026, 3, 15, 12, 0, 0, 0, chinaTime)

const (
	mnPlant   = "88888880000001"           // 聊城热电 stack, online
	mnPlant2  = "88888880000002"           // same stack, backup CEMS, online exactly at the threshold
	mnBearing = "010000A8900016F000169DC0" // 临清轴承 wastewater, offline
	mnStation = "399435AA000001"           // air station, never seen
	usccPlant = "91371500MA3C4PXL2B"
	usccBear  = "91371581MA3D0B5K7N"
	outPlant  = usccPlant + "-DA001"
	outBear   = usccBear + "-DW001"
	secretPW  = "PwSecret-123456"
)

func f64(v float64) *float64 { return &v }

func testRegistry() model.Registry {
	return model.Registry{
		Counties: []model.County{
			{Code: "371502", Name: "东昌府区", NameEN: "Dongchangfu District"},
			{Code: "371581", Name: "临清市", NameEN: "Linqing City"},
			{Code: "371521", Name: "阳谷县", NameEN: "Yanggu County"},
		},
		Enterprises: []model.Enterprise{
			{USCC: usccPlant, Name: "聊城信源热电有限公司", County: "371502", Industry: "power and heating", Lat: 36.45, Lon: 115.98},
			{USCC: usccBear, Name: "临清市精工轴承有限公司", County: "371581", Industry: "bearings"},
		},
		Outlets: []model.Outlet{
			{ID: outPlant, Enterprise: usccPlant, Name: "1号锅炉排口", Kind: model.OutletAir, Limits: []model.Limit{
				{Pollutant: "a21026", Unit: "mg/m3", Kind: model.LimitConverted, Period: model.PeriodHour, Max: f64(35)},
				{Pollutant: "a21002", Unit: "mg/m3", Kind: model.LimitConverted, Period: model.PeriodHour, Max: f64(50)},
				{Pollutant: "a34013", Unit: "mg/m3", Kind: model.LimitMeasured, Period: model.PeriodHour, Max: f64(10)},
			}},
			{ID: outBear, Enterprise: usccBear, Name: "总排口", Kind: model.OutletWater, Limits: []model.Limit{
				{Pollutant: "w01018", Unit: "mg/L", Kind: model.LimitMeasured, Period: model.PeriodDay, Max: f64(50)},
				{Pollutant: "w01001", Unit: "", Kind: model.LimitMeasured, Period: model.PeriodDay, Min: f64(6), Max: f64(9)},
			}},
		},
		Devices: []model.Device{
			{MN: mnBearing, Password: secretPW, Protocol: "2017", Outlet: outBear, ST: "32"},
			{MN: mnStation, Password: secretPW, Protocol: "2005", ST: "22"},
			{MN: mnPlant, Password: secretPW, Protocol: "2017", Outlet: outPlant, ST: "31", Tolerances: []string{model.ToleranceModbusCRC}},
			{MN: mnPlant2, Password: secretPW, Protocol: "2025", Outlet: outPlant, ST: "31"},
		},
		Stations: []model.Station{
			{Code: "S1", Name: "市监测站", County: "371502", Level: model.StationNational, Lat: 36.45, Lon: 115.98, CityEval: true, CountyEval: true},
		},
	}
}

func vals(kv ...string) []model.Value {
	var out []model.Value
	for i := 0; i+2 < len(kv); i += 3 {
		out = append(out, model.Value{Factor: kv[i], Field: kv[i+1], Value: kv[i+2]})
	}
	return out
}

// at returns a China-time instant on the fixture's day, stored as UTC the
// way the store keeps DataTime.
func at(hh, mm int) time.Time {
	return time.Date(2026, 3, 15, hh, mm, 0, 0, chinaTime).UTC()
}

func testUploads() []model.Upload {
	return []model.Upload{
		// Minute data of the plant: SO2 converted 30 (ok), 41.2 (over 35).
		{MN: mnPlant, CN: "2051", DataTime: at(10, 0), Values: vals(
			"", "DataTime", "20260315100000",
			"a21026", "Min", "25.1", "a21026", "Avg", "28.0", "a21026", "Max", "31.5", "a21026", "ZsAvg", "30.0", "a21026", "Flag", "N",
			"a21002", "Avg", "40.2", "a21002", "ZsAvg", "44.0", "a21002", "Flag", "N",
			"a34013", "Avg", "3.1", "a34013", "Flag", "N")},
		{MN: mnPlant, CN: "2051", DataTime: at(10, 10), Values: vals(
			"a21026", "Min", "33.0", "a21026", "Avg", "38.4", "a21026", "Max", "45.0", "a21026", "ZsAvg", "41.2", "a21026", "Flag", "N",
			"a21002", "Avg", "42.0", "a21002", "ZsAvg", "46.5", "a21002", "Flag", "N",
			"a34013", "Avg", "12.5", "a34013", "Flag", "N")},
		{MN: mnPlant, CN: "2051", DataTime: at(10, 20), Values: vals(
			"a21026", "Avg", "0", "a21026", "ZsAvg", "0", "a21026", "Flag", "M",
			"a21002", "Avg", "0", "a21002", "Flag", "M")},
		// Outside a 10:00-10:30 range.
		{MN: mnPlant, CN: "2051", DataTime: at(10, 30), Values: vals("a21026", "Avg", "29.0", "a21026", "Flag", "N")},
		// Hourly and real-time data of the plant.
		{MN: mnPlant, CN: "2061", DataTime: at(9, 0), Values: vals(
			"a21026", "Min", "20.0", "a21026", "Avg", "30.5", "a21026", "Max", "44.0", "a21026", "ZsAvg", "33.9", "a21026", "Cou", "1.52", "a21026", "Flag", "N")},
		{MN: mnPlant, CN: "2061", DataTime: at(10, 0), Values: vals(
			"a21026", "Min", "22.0", "a21026", "Avg", "34.0", "a21026", "Max", "48.0", "a21026", "ZsAvg", "37.8", "a21026", "Cou", "1.70", "a21026", "Flag", "N")},
		{MN: mnPlant, CN: "2011", DataTime: at(11, 59), Values: vals(
			"a21026", "Rtd", "31.4", "a21026", "ZsRtd", "36.0", "a21026", "Flag", "N", "a21026", "SampleTime", "20260315115900")},
		// The backup CEMS on the same outlet.
		{MN: mnPlant2, CN: "2061", DataTime: at(10, 0), Values: vals(
			"a21026", "Avg", "33.0", "a21026", "ZsAvg", "34.9", "a21026", "Flag", "N")},
		// Daily water data: COD over 50 on the 14th; pH under 6 on the 13th.
		{MN: mnBearing, CN: "2031", DataTime: time.Date(2026, 3, 13, 0, 0, 0, 0, chinaTime).UTC(), Values: vals(
			"w01018", "Avg", "31.0", "w01018", "Cou", "12.4", "w01018", "Flag", "N",
			"w01001", "Avg", "5.8", "w01001", "Flag", "N")},
		{MN: mnBearing, CN: "2031", DataTime: time.Date(2026, 3, 14, 0, 0, 0, 0, chinaTime).UTC(), Values: vals(
			"w01018", "Avg", "52.5", "w01018", "Cou", "21.0", "w01018", "Flag", "N",
			"w01001", "Avg", "7.1", "w01001", "Flag", "N")},
	}
}

func testContacts() []model.Contact {
	return []model.Contact{
		{MN: mnPlant, At: testNow.Add(-5 * time.Minute).UTC(), Remote: "10.1.2.3:50123", CN: "2011"},
		{MN: mnPlant2, At: testNow.Add(-30 * time.Minute).UTC(), Remote: "10.1.2.4:50124", CN: "2061"},
		{MN: mnBearing, At: testNow.Add(-2 * time.Hour).UTC(), Remote: "10.9.8.7:40001", CN: "2031"},
		// A contact of an MN the registry does not know is ignored.
		{MN: "UNKNOWN000001", At: testNow.UTC(), Remote: "192.0.2.1:1", CN: "2011"},
	}
}

func testRaw() []model.RawFrame {
	rt := func(id int64) time.Time { return testNow.Add(-time.Duration(100-id) * time.Minute).UTC() }
	frame := "##0101QN=20260315100000001;ST=31;CN=2051;PW=" + secretPW + ";MN=" + mnPlant + ";Flag=5;CP=&&DataTime=20260315100000;a21026-Avg=28.0,a21026-Flag=N&&4F80\r\n"
	return []model.RawFrame{
		{ID: 1, ReceivedAt: rt(1), Remote: "10.1.2.3:50123", MN: mnPlant, CN: "2051", QN: "20260315100000001", Status: model.RawAccepted, Raw: []byte(frame)},
		{ID: 2, ReceivedAt: rt(2), Remote: "198.51.100.7:6000", MN: "UNKNOWN000001", CN: "2011", QN: "20260315100100001", Status: model.RawQuarantined, Reason: "unknown MN", Raw: []byte("##0080QN=20260315100100001;ST=31;CN=2011;PW=123456;MN=UNKNOWN000001;CP=&&&&ABCD\r\n")},
		{ID: 3, ReceivedAt: rt(3), Remote: "10.1.2.3:50123", MN: mnPlant, CN: "2051", QN: "20260315100000001", Status: model.RawDuplicate, Raw: []byte(frame)},
		{ID: 4, ReceivedAt: rt(4), Remote: "203.0.113.9:7000", Status: model.RawRejected, Reason: "crc: want 1C80, got FFFF", Raw: []byte("##\xff\xfe garbage \x00")},
		{ID: 5, ReceivedAt: rt(5), Remote: "10.1.2.3:50123", MN: mnPlant, CN: "2011", QN: "20260315100200001", Status: model.RawAccepted, Deviations: []string{"lowercase-crc", "lf-only"}, Raw: []byte("##0040QN=20260315100200001;CN=2011;MN=" + mnPlant + ";CP=&&&&abcd\n")},
		{ID: 6, ReceivedAt: rt(6), Remote: "10.1.2.3:50123", MN: mnPlant, CN: "2051", QN: "20260315101000001", Status: model.RawQuarantined, Reason: "wrong password", Raw: []byte("##0042QN=20260315101000001;CN=2051;PW=bad;MN=" + mnPlant + ";CP=&&&&0000\r\n")},
		{ID: 7, ReceivedAt: rt(7), Remote: "10.9.8.7:40001", MN: mnBearing, CN: "2031", QN: "20260315000000001", Status: model.RawAccepted, Raw: []byte("##0030QN=20260315000000001;MN=" + mnBearing + "1234\r\n")},
	}
}

func newFixtureStore() *fakeStore {
	return &fakeStore{reg: testRegistry(), uploads: testUploads(), raw: testRaw(), contacts: testContacts()}
}
