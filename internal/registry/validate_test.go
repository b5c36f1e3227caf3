package registry

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/model"
)

const (
	usccA = "91350100M000100Y43"
	usccB = "91110108551385082Q"
	airA  = usccA + "-DA001"
	watA  = usccA + "-DW001"
)

// baseRegistry is a small valid registry; each test case breaks one rule.
func baseRegistry() *model.Registry {
	return &model.Registry{
		Counties: []model.County{
			{Code: "371502", Name: "东昌府区", NameEN: "Dongchangfu District"},
			{Code: "371581", Name: "临清市", NameEN: "Linqing City"},
		},
		Enterprises: []model.Enterprise{
			{USCC: usccA, Name: "聊城示例热电有限公司", County: "371502", Industry: "power", Lat: 36.45, Lon: 115.98},
			{USCC: usccB, Name: "临清示例轴承有限公司", County: "371581", Industry: "bearings"},
		},
		Outlets: []model.Outlet{
			{ID: airA, Enterprise: usccA, Name: "1号机组烟囱排放口", Kind: model.OutletAir, Limits: []model.Limit{
				{Pollutant: "a21026", Unit: "mg/m3", Kind: model.LimitConverted, Period: model.PeriodHour, Max: fp(35)},
				{Pollutant: "a19001", Unit: "%", Kind: model.LimitMeasured, Period: model.PeriodHour},
			}},
			{ID: watA, Enterprise: usccA, Name: "废水总排放口", Kind: model.OutletWater, Limits: []model.Limit{
				{Pollutant: "w01001", Unit: "无量纲", Kind: model.LimitMeasured, Period: model.PeriodDay, Min: fp(6), Max: fp(9)},
			}},
		},
		Devices: []model.Device{
			{MN: "010000A8900016F000169DC0", Password: "123456", Protocol: "2017", Outlet: airA, ST: "31", Tolerances: []string{"modbus-crc"}},
			{MN: "88888880000001", Password: "654321", Protocol: "2005", Outlet: watA, ST: "32"},
		},
	}
}

func errorStrings(err error) []string {
	if err == nil {
		return nil
	}
	var list ErrorList
	if !errors.As(err, &list) {
		return []string{"not an ErrorList: " + err.Error()}
	}
	var s []string
	for _, e := range list {
		s = append(s, e.Error())
	}
	return s
}

func TestValidateBaseIsValid(t *testing.T) {
	if err := Validate(baseRegistry(), nil, nil); err != nil {
		t.Fatalf("base registry: %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(r *model.Registry)
		existing *model.Registry
		want     []string
	}{
		// Counties.
		{"county code empty", func(r *model.Registry) { r.Counties[1].Code = "" },
			nil, []string{"counties[1].code: required", `enterprises[1].county: unknown county "371581"`}},
		{"county code duplicate", func(r *model.Registry) { r.Counties[1].Code = "371502" },
			nil, []string{`counties[1].code: duplicate county code "371502" (first at counties[0].code)`, `enterprises[1].county: unknown county "371581"`}},
		{"county code with a space", func(r *model.Registry) { r.Counties = append(r.Counties, model.County{Code: "3715 99", Name: "x"}) },
			nil, []string{`counties[2].code: contains ' ' at character 5: only printable ASCII without spaces is allowed`}},
		{"county name empty", func(r *model.Registry) { r.Counties[0].Name = " " },
			nil, []string{"counties[0].name: required"}},

		// Enterprises.
		{"uscc empty", func(r *model.Registry) { r.Enterprises[1].USCC = "" },
			nil, []string{"enterprises[1].uscc: required"}},
		{"uscc check digit", func(r *model.Registry) { r.Enterprises[1].USCC = "91110108551385082R" },
			nil, []string{"enterprises[1].uscc: check digit is R, want Q"}},
		{"uscc length", func(r *model.Registry) { r.Enterprises[1].USCC = "9111010855138508" },
			nil, []string{"enterprises[1].uscc: has 16 characters, want 18"}},
		{"uscc letter not in the alphabet", func(r *model.Registry) { r.Enterprises[1].USCC = "91110108551385O82Q" },
			nil, []string{`enterprises[1].uscc: character 15 'O' is not allowed (GB 32100-2015 excludes I, O, Z, S, V)`}},
		{"uscc duplicate", func(r *model.Registry) { r.Enterprises[1].USCC = usccA },
			nil, []string{`enterprises[1].uscc: duplicate unified social credit code "91350100M000100Y43" (first at enterprises[0].uscc)`}},
		{"enterprise name empty", func(r *model.Registry) { r.Enterprises[0].Name = "" },
			nil, []string{"enterprises[0].name: required"}},
		{"enterprise county empty", func(r *model.Registry) { r.Enterprises[0].County = "" },
			nil, []string{"enterprises[0].county: required"}},
		{"enterprise county unknown", func(r *model.Registry) { r.Enterprises[0].County = "371599" },
			nil, []string{`enterprises[0].county: unknown county "371599"`}},
		{"enterprise county already stored", func(r *model.Registry) {
			r.Counties = r.Counties[:1]
		}, &model.Registry{Counties: []model.County{{Code: "371581", Name: "临清市"}}}, nil},
		{"latitude out of range", func(r *model.Registry) { r.Enterprises[0].Lat = 96 },
			nil, []string{"enterprises[0].lat: 96 is not a latitude"}},
		{"longitude NaN", func(r *model.Registry) { r.Enterprises[0].Lon = math.NaN() },
			nil, []string{"enterprises[0].lon: NaN is not a longitude"}},
		{"lat without lon", func(r *model.Registry) { r.Enterprises[0].Lon = 0 },
			nil, []string{"enterprises[0]: lat and lon must be given together"}},

		// Outlets.
		{"outlet id empty", func(r *model.Registry) { r.Outlets[1].ID = "" },
			nil, []string{"outlets[1].id: required", `devices[1].outlet: unknown outlet "` + watA + `"`}},
		{"outlet id duplicate", func(r *model.Registry) { r.Outlets[1].ID = airA },
			nil, []string{`outlets[1].id: duplicate outlet id "` + airA + `" (first at outlets[0].id)`, `devices[1].outlet: unknown outlet "` + watA + `"`}},
		{"outlet id with a separator", func(r *model.Registry) { r.Outlets[1].ID = "DW;001"; r.Devices[1].Outlet = "DW;001" },
			nil, []string{`outlets[1].id: contains ';', which separates HJ 212 fields`}},
		{"outlet enterprise empty", func(r *model.Registry) { r.Outlets[0].Enterprise = "" },
			nil, []string{"outlets[0].enterprise: required"}},
		{"outlet enterprise unknown", func(r *model.Registry) { r.Outlets[0].Enterprise = usccB[:17] + "X" },
			nil, []string{`outlets[0].enterprise: unknown enterprise "91110108551385082X"`}},
		{"outlet enterprise already stored", func(r *model.Registry) {
			r.Outlets[0].Enterprise = "91440300708461136T"
		}, &model.Registry{Enterprises: []model.Enterprise{{USCC: "91440300708461136T"}}}, nil},
		{"outlet kind empty", func(r *model.Registry) { r.Outlets[0].Kind = "" },
			nil, []string{"outlets[0].kind: required (air or water)"}},
		{"outlet kind unknown", func(r *model.Registry) { r.Outlets[0].Kind = "gas" },
			nil, []string{`outlets[0].kind: is "gas", want air or water`}},

		// Limits.
		{"limit pollutant empty", func(r *model.Registry) { r.Outlets[0].Limits[0].Pollutant = "" },
			nil, []string{"outlets[0].limits[0].pollutant: required"}},
		{"limit pollutant with field suffix", func(r *model.Registry) { r.Outlets[0].Limits[0].Pollutant = "a21026-Rtd" },
			nil, []string{`outlets[0].limits[0].pollutant: "a21026-Rtd" is not a pollutant code: the code is the part before '-' (e.g. a21026, not a21026-Rtd)`}},
		{"limit pollutant with a space", func(r *model.Registry) { r.Outlets[0].Limits[0].Pollutant = "SO 2" },
			nil, []string{`outlets[0].limits[0].pollutant: "SO 2" is not a pollutant code: only letters, digits and _ are allowed`}},
		{"limit pollutant unknown but well-formed is allowed", func(r *model.Registry) {
			r.Outlets[0].Limits[0].Pollutant = "a34047"
			r.Outlets[0].Limits = append(r.Outlets[0].Limits,
				model.Limit{Pollutant: "O3", Unit: "ug/m3", Kind: "measured", Period: "hour"},
				model.Limit{Pollutant: "831", Unit: "mg/m3", Kind: "measured", Period: "hour"},
				model.Limit{Pollutant: "ua19004", Unit: "%", Kind: "measured", Period: "hour"})
		}, nil, nil},
		{"limit unit empty", func(r *model.Registry) { r.Outlets[0].Limits[1].Unit = "" },
			nil, []string{"outlets[0].limits[1].unit: required"}},
		{"limit kind empty", func(r *model.Registry) { r.Outlets[0].Limits[0].Kind = "" },
			nil, []string{"outlets[0].limits[0].kind: required (measured or converted)"}},
		{"limit kind unknown", func(r *model.Registry) { r.Outlets[0].Limits[0].Kind = "zs" },
			nil, []string{`outlets[0].limits[0].kind: is "zs", want measured or converted`}},
		{"limit period empty", func(r *model.Registry) { r.Outlets[0].Limits[0].Period = "" },
			nil, []string{"outlets[0].limits[0].period: required (hour or day)"}},
		{"limit period unknown", func(r *model.Registry) { r.Outlets[0].Limits[0].Period = "minute" },
			nil, []string{`outlets[0].limits[0].period: is "minute", want hour or day`}},
		{"limit max below min", func(r *model.Registry) { r.Outlets[1].Limits[0].Max = fp(5) },
			nil, []string{"outlets[1].limits[0].max: 5 is below min 6"}},
		{"limit max equal to min", func(r *model.Registry) { r.Outlets[1].Limits[0].Max = fp(6) }, nil, nil},
		{"limit max infinite", func(r *model.Registry) { r.Outlets[0].Limits[0].Max = fp(math.Inf(1)) },
			nil, []string{"outlets[0].limits[0].max: must be a finite number"}},
		{"limit given twice", func(r *model.Registry) {
			r.Outlets[0].Limits = append(r.Outlets[0].Limits, r.Outlets[0].Limits[0])
		}, nil, []string{"outlets[0].limits[2]: a second converted hour limit of a21026 (first at outlets[0].limits[0])"}},
		{"same pollutant, other kind and period is fine", func(r *model.Registry) {
			r.Outlets[0].Limits = append(r.Outlets[0].Limits,
				model.Limit{Pollutant: "a21026", Unit: "mg/m3", Kind: "measured", Period: "hour", Max: fp(50)},
				model.Limit{Pollutant: "a21026", Unit: "mg/m3", Kind: "converted", Period: "day", Max: fp(30)})
		}, nil, nil},

		// Devices.
		{"mn empty", func(r *model.Registry) { r.Devices[0].MN = "" },
			nil, []string{"devices[0].mn: required"}},
		{"mn duplicate", func(r *model.Registry) { r.Devices[1].MN = r.Devices[0].MN },
			nil, []string{`devices[1].mn: duplicate MN "010000A8900016F000169DC0" (first at devices[0].mn)`}},
		{"mn real-world forms are allowed", func(r *model.Registry) {
			r.Devices[0].MN = "JLYP01_AIR01_0001"
			r.Devices[1].MN = "4201003"
			r.Devices = append(r.Devices, model.Device{MN: "NJGDKYYC202101q0001w0001", Password: "123456", Protocol: "2025"})
		}, nil, nil},
		{"mn with a control character", func(r *model.Registry) { r.Devices[0].MN = "0100\t00" },
			nil, []string{`devices[0].mn: contains '\t' at character 5: only printable ASCII without spaces is allowed`}},
		{"mn too long", func(r *model.Registry) { r.Devices[0].MN = strings.Repeat("A", 65) },
			nil, []string{"devices[0].mn: is 65 characters long, at most 64 allowed"}},
		{"password empty", func(r *model.Registry) { r.Devices[0].Password = "" },
			nil, []string{"devices[0].password: required"}},
		{"password with a separator", func(r *model.Registry) { r.Devices[0].Password = "12;456" },
			nil, []string{`devices[0].password: contains ';', which separates HJ 212 fields`}},
		{"protocol empty", func(r *model.Registry) { r.Devices[0].Protocol = "" },
			nil, []string{"devices[0].protocol: required (2005, 2017 or 2025)"}},
		{"protocol unknown", func(r *model.Registry) { r.Devices[0].Protocol = "2011" },
			nil, []string{`devices[0].protocol: is "2011", want 2005, 2017 or 2025`}},
		{"outlet unknown", func(r *model.Registry) { r.Devices[0].Outlet = "nope" },
			nil, []string{`devices[0].outlet: unknown outlet "nope"`}},
		{"outlet empty is a station", func(r *model.Registry) { r.Devices[0].Outlet = ""; r.Devices[0].ST = "22" }, nil, nil},
		{"outlet already stored", func(r *model.Registry) { r.Devices[0].Outlet = "stored-outlet" },
			&model.Registry{Outlets: []model.Outlet{{ID: "stored-outlet"}}}, nil},
		{"st malformed", func(r *model.Registry) { r.Devices[0].ST = "3" },
			nil, []string{`devices[0].st: is "3", want a system code such as 31 or 32`}},
		{"st of three digits seen in the field", func(r *model.Registry) { r.Devices[0].ST = "101" }, nil, nil},
		// Analysers: measuring range (量程) and detection limit (检出限).
		{"analysers valid", func(r *model.Registry) {
			r.Devices[0].Factors = []model.DeviceFactor{
				{Factor: "a21026", Unit: "mg/m3", RangeMax: fp(200), DetectionLimit: fp(3)},
				{Factor: "a19001", Unit: "%", RangeMin: 0.5, RangeMax: fp(25)},
				{Factor: "a34013", Unit: "mg/m3", DetectionLimit: fp(1)},
			}
		}, nil, nil},
		{"analyser twice", func(r *model.Registry) {
			r.Devices[0].Factors = []model.DeviceFactor{{Factor: "a21026", Unit: "mg/m3", RangeMax: fp(200)}, {Factor: "a21026", Unit: "mg/m3", RangeMax: fp(500)}}
		}, nil, []string{"devices[0].factors[1]: a second analyser of a21026 (first at devices[0].factors[0])"}},
		{"analyser without unit or figures", func(r *model.Registry) { r.Devices[0].Factors = []model.DeviceFactor{{Factor: "a21026"}} },
			nil, []string{"devices[0].factors[0].unit: required", "devices[0].factors[0]: give the measuring range (range_max) or the detection limit, or leave the factor out"}},
		{"analyser range upside down", func(r *model.Registry) {
			r.Devices[0].Factors = []model.DeviceFactor{{Factor: "a21026", Unit: "mg/m3", RangeMin: 10, RangeMax: fp(10)}}
		}, nil, []string{"devices[0].factors[0].range_max: 10 is not above range_min 10"}},
		{"analyser detection limit zero", func(r *model.Registry) {
			r.Devices[0].Factors = []model.DeviceFactor{{Factor: "a21026", Unit: "mg/m3", RangeMax: fp(200), DetectionLimit: fp(0)}}
		}, nil, []string{"devices[0].factors[0].detection_limit: 0: a detection limit is above zero"}},
		{"analyser detection limit at the top of the range", func(r *model.Registry) {
			r.Devices[0].Factors = []model.DeviceFactor{{Factor: "a21026", Unit: "mg/m3", RangeMax: fp(200), DetectionLimit: fp(200)}}
		}, nil, []string{"devices[0].factors[0].detection_limit: 200 is not below range_max 200"}},
		{"analyser range not finite", func(r *model.Registry) {
			r.Devices[0].Factors = []model.DeviceFactor{{Factor: "a21026", Unit: "mg/m3", RangeMax: fp(math.Inf(1))}}
		}, nil, []string{"devices[0].factors[0].range_max: must be a finite number"}},
		{"analyser factor code malformed", func(r *model.Registry) {
			r.Devices[0].Factors = []model.DeviceFactor{{Factor: "a21 026", Unit: "mg/m3", RangeMax: fp(200)}}
		}, nil, []string{`devices[0].factors[0].factor: "a21 026" is not a pollutant code: only letters, digits and _ are allowed`}},
		{"tolerance unknown", func(r *model.Registry) { r.Devices[0].Tolerances = []string{"anything-goes"} },
			nil, []string{`devices[0].tolerances[0]: unknown tolerance "anything-goes" (known: ` + strings.Join(KnownTolerances(), ", ") + ")"}},
		{"tolerance twice", func(r *model.Registry) {
			r.Devices[0].Tolerances = []string{"modbus-crc", "lowercase-crc", "modbus-crc"}
		},
			nil, []string{`devices[0].tolerances[2]: tolerance "modbus-crc" listed twice`}},

		// Several problems are all reported, in order.
		{"errors are collected", func(r *model.Registry) {
			r.Enterprises[0].Name = ""
			r.Outlets[0].Kind = "gas"
			r.Devices[1].Password = ""
		}, nil, []string{"enterprises[0].name: required", `outlets[0].kind: is "gas", want air or water`, "devices[1].password: required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := baseRegistry()
			tt.mutate(r)
			got := errorStrings(Validate(r, tt.existing, nil))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got errors:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestKnownTolerancesIncludeModelConstant(t *testing.T) {
	if !slices.Contains(KnownTolerances(), model.ToleranceModbusCRC) {
		t.Fatalf("KnownTolerances() = %v lacks %q", KnownTolerances(), model.ToleranceModbusCRC)
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "registry.yaml", Line: 42, Field: "enterprises[3].uscc", Msg: "check digit is 7, want Y"}, "registry.yaml:42: enterprises[3].uscc: check digit is 7, want Y"},
		{Error{File: "devices.csv", Line: 3, Field: "mn", Msg: "required"}, "devices.csv:3: mn: required"},
		{Error{File: "devices.csv", Line: 3, Msg: "has 2 fields, the header has 6"}, "devices.csv:3: has 2 fields, the header has 6"},
		{Error{File: "limits.csv", Msg: "missing"}, "limits.csv: missing"},
		{Error{Field: "devices[0].mn", Msg: "required"}, "devices[0].mn: required"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

// Unknown references are marked so that the command can tell a file that
// is wrong whatever is stored from one that needs the store.
func TestUnresolvedReferences(t *testing.T) {
	r := baseRegistry()
	r.Enterprises[0].County = "371599"
	r.Outlets[0].Enterprise = "91440300708461136T"
	r.Devices[0].Outlet = "elsewhere"
	r.Devices[1].Protocol = "2011"
	var list ErrorList
	if !errors.As(Validate(r, nil, nil), &list) || len(list) != 4 {
		t.Fatalf("got %v, want 4 errors", list)
	}
	for _, e := range list {
		want := !strings.Contains(e.Field, "protocol")
		if e.Unresolved != want {
			t.Errorf("%v: Unresolved = %v, want %v", e, e.Unresolved, want)
		}
	}
}
