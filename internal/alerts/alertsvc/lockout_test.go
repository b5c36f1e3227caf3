package alertsvc

import (
	"context"
	"github.com/ecowatch/ecowatch/internal/golden"
	"strings"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/store/storetest"
)

func TestLockoutAlarmAndCase(t *testing.T) { storetest.Each(t, testLockoutAlarmAndCase) }

// testLockoutAlarmAndCase: a lockout raises one alarm to the city bureau
// and opens one case for the device's county per device and day, however
// often the attack trips it; a device without a county gets the alarm
// only.
func testLockoutAlarmAndCase(t *testing.T, backend storetest.Backend) {
	st := newStore(t, backend)
	ctx := context.Background()
	now := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)
	s := New(st, &casesvc.Service{St: st, DataDir: t.TempDir()}, Config{Now: func() time.Time { return now }, Tick: time.Hour})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	l := Lockout{Scope: "source", Source: "203.0.113.7/32", Remote: "203.0.113.7:40000", MNs: []string{tMN, "STATION"},
		Failures: 10, At: now, Until: now.Add(time.Hour)}
	s.Lockout(l)
	l.Failures, l.At = 11, now.Add(2*time.Hour) // the same attack trips it again that day
	s.Lockout(l)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	ns, err := st.Notifications(ctx, []string{"city"}, 100)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := st.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, place := deviceWhere(reg, tMN)
	_, _, _, station := deviceWhere(reg, "STATION")
	alarms := 0
	for _, n := range ns {
		if n.Kind == lockoutKind {
			alarms++
			// Each language alone in its field: the Chinese without an
			// English word, the English without a Han character.
			if !strings.HasPrefix(n.Message, "设备访问密码遭猜测：") || !strings.Contains(n.Message, "203.0.113.7/32") {
				t.Errorf("alarm message %q", n.Message)
			}
			if !strings.HasPrefix(n.MessageEN, "Device password guessing: ") || !strings.Contains(n.MessageEN, "203.0.113.7/32") {
				t.Errorf("alarm message_en %q", n.MessageEN)
			}
			golden.CheckLanguage(t, "zh", n.Message, place, station, tMN, "STATION", "203.0.113.7/32")
			golden.CheckLanguage(t, "en", n.MessageEN, place, station, tMN, "STATION")
		}
	}
	if alarms != 2 {
		t.Errorf("%d alarms, want one per device (2)", alarms)
	}
	cs, err := st.Cases(ctx, store.CaseQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var got []cases.Case
	for _, c := range cs {
		if c.ProblemType == ProblemAuthLockout {
			got = append(got, c)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d lockout cases, want one (the station has no county)", len(got))
	}
	if c := got[0]; c.County != tCounty || c.Enterprise != tEnt || c.Source != cases.SourceOnline || !strings.Contains(c.Title, tMN) {
		t.Errorf("case %+v", c)
	}
	// The device is named by its enterprise and outlet, the code only in
	// parentheses at the end; each language has its own title and
	// description, the Chinese without an English word.
	c := got[0]
	if place == tMN || c.Title != "设备访问密码遭猜测："+place+"（"+tMN+"）" || c.TitleEN != "Device password guessing: "+place+" ("+tMN+")" {
		t.Errorf("titles %q / %q (device %q)", c.Title, c.TitleEN, place)
	}
	golden.CheckLanguage(t, "zh", c.Title+"\n"+c.Description, place, tMN, "203.0.113.7/32", "203.0.113.7")
	golden.CheckLanguage(t, "en", c.TitleEN+"\n"+c.DescriptionEN, place, tMN)
	if s.lockouts.Load() != 2 || s.lockAlarms.Load() != 2 {
		t.Errorf("lockouts %d alarms %d", s.lockouts.Load(), s.lockAlarms.Load())
	}
}
